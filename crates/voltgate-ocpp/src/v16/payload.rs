//! [`Payload`]: ties each typed 1.6 payload to its action and schema, so decoding always
//! validates first and encoding cannot pick the wrong action name.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::*;
use crate::{validate, ErrorCode, OcppVersion, PayloadKind, Violation};

/// A typed OCPP 1.6 request or response payload.
pub trait Payload: Serialize + DeserializeOwned {
    /// The action this payload belongs to.
    const ACTION: Action;
    /// Whether it is the CALL (`.req`) or CALLRESULT (`.conf`) payload.
    const KIND: PayloadKind;

    /// Validates `payload` against the schema, then deserialises it.
    ///
    /// A payload that validates but does not fit the Rust types (an integer beyond
    /// `i32`/`i64`) is reported as a `PropertyConstraintViolation`.
    fn from_payload(payload: Value) -> Result<Self, Violation> {
        validate(OcppVersion::V16, Self::ACTION, Self::KIND, &payload)?;
        serde_json::from_value(payload).map_err(|_| Violation {
            code: ErrorCode::PropertyConstraintViolation,
            path: String::new(),
            description: "payload: a number is outside the range this central system supports"
                .into(),
        })
    }

    /// The payload as a JSON object, ready for a [`crate::Call`] or [`crate::CallResult`].
    fn to_payload(&self) -> Value {
        // Our payload types hold only strings, integers, floats, enums, vectors and
        // options: none of them can fail to serialise.
        serde_json::to_value(self).expect("payload types always serialise")
    }
}

macro_rules! payloads {
    ($($action:ident: $request:ty, $response:ty;)+) => {
        $(
            impl Payload for $request {
                const ACTION: Action = Action::$action;
                const KIND: PayloadKind = PayloadKind::Request;
            }

            impl Payload for $response {
                const ACTION: Action = Action::$action;
                const KIND: PayloadKind = PayloadKind::Response;
            }
        )+
    };
}

payloads! {
    Authorize: AuthorizeRequest, AuthorizeResponse;
    BootNotification: BootNotificationRequest, BootNotificationResponse;
    CancelReservation: CancelReservationRequest, CancelReservationResponse;
    ChangeAvailability: ChangeAvailabilityRequest, ChangeAvailabilityResponse;
    ChangeConfiguration: ChangeConfigurationRequest, ChangeConfigurationResponse;
    ClearCache: ClearCacheRequest, ClearCacheResponse;
    ClearChargingProfile: ClearChargingProfileRequest, ClearChargingProfileResponse;
    DataTransfer: DataTransferRequest, DataTransferResponse;
    DiagnosticsStatusNotification: DiagnosticsStatusNotificationRequest, DiagnosticsStatusNotificationResponse;
    FirmwareStatusNotification: FirmwareStatusNotificationRequest, FirmwareStatusNotificationResponse;
    GetCompositeSchedule: GetCompositeScheduleRequest, GetCompositeScheduleResponse;
    GetConfiguration: GetConfigurationRequest, GetConfigurationResponse;
    GetDiagnostics: GetDiagnosticsRequest, GetDiagnosticsResponse;
    GetLocalListVersion: GetLocalListVersionRequest, GetLocalListVersionResponse;
    Heartbeat: HeartbeatRequest, HeartbeatResponse;
    MeterValues: MeterValuesRequest, MeterValuesResponse;
    RemoteStartTransaction: RemoteStartTransactionRequest, RemoteStartTransactionResponse;
    RemoteStopTransaction: RemoteStopTransactionRequest, RemoteStopTransactionResponse;
    ReserveNow: ReserveNowRequest, ReserveNowResponse;
    Reset: ResetRequest, ResetResponse;
    SendLocalList: SendLocalListRequest, SendLocalListResponse;
    SetChargingProfile: SetChargingProfileRequest, SetChargingProfileResponse;
    StartTransaction: StartTransactionRequest, StartTransactionResponse;
    StatusNotification: StatusNotificationRequest, StatusNotificationResponse;
    StopTransaction: StopTransactionRequest, StopTransactionResponse;
    TriggerMessage: TriggerMessageRequest, TriggerMessageResponse;
    UnlockConnector: UnlockConnectorRequest, UnlockConnectorResponse;
    UpdateFirmware: UpdateFirmwareRequest, UpdateFirmwareResponse;
}
