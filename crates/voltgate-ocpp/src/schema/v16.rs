//! The OCPP 1.6 JSON schemas, embedded at build time.
//!
//! The files in `schemas/v16/` are the official OCPP 1.6 and security-whitepaper schemas as
//! shipped by the MIT-licensed `ocpp` Python package; see `schemas/v16/NOTICE.md` for
//! provenance and the one local change.

use super::PayloadKind;
use crate::v16::Action;

macro_rules! schema_sources {
    ($($action:ident),+ $(,)?) => {
        /// The JSON text of the schema for `action`'s request or response.
        pub(crate) fn source(action: Action, kind: PayloadKind) -> &'static str {
            match (action, kind) {
                $(
                    (Action::$action, PayloadKind::Request) => {
                        include_str!(concat!("../../schemas/v16/", stringify!($action), ".json"))
                    }
                    (Action::$action, PayloadKind::Response) => {
                        include_str!(concat!("../../schemas/v16/", stringify!($action), "Response.json"))
                    }
                )+
            }
        }
    };
}

schema_sources!(
    Authorize,
    BootNotification,
    CancelReservation,
    CertificateSigned,
    ChangeAvailability,
    ChangeConfiguration,
    ClearCache,
    ClearChargingProfile,
    DataTransfer,
    DeleteCertificate,
    DiagnosticsStatusNotification,
    ExtendedTriggerMessage,
    FirmwareStatusNotification,
    GetCompositeSchedule,
    GetConfiguration,
    GetDiagnostics,
    GetInstalledCertificateIds,
    GetLocalListVersion,
    GetLog,
    Heartbeat,
    InstallCertificate,
    LogStatusNotification,
    MeterValues,
    RemoteStartTransaction,
    RemoteStopTransaction,
    ReserveNow,
    Reset,
    SecurityEventNotification,
    SendLocalList,
    SetChargingProfile,
    SignCertificate,
    SignedFirmwareStatusNotification,
    SignedUpdateFirmware,
    StartTransaction,
    StatusNotification,
    StopTransaction,
    TriggerMessage,
    UnlockConnector,
    UpdateFirmware,
);
