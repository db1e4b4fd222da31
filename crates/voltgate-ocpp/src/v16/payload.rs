//! [`Payload`]: ties each typed 1.6 payload to its action and schema, so decoding always
//! validates first and encoding cannot pick the wrong action name.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::*;
use crate::{accepts_text, validate, ErrorCode, OcppVersion, PayloadKind, Violation};

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

    /// Decodes the payload straight from its JSON text, without a `Value` in between, when it
    /// certainly passes the schema ([`accepts_text`]) and fits the Rust types. `None` otherwise:
    /// then parse the text and call [`Payload::from_payload`], which says what is wrong.
    /// Whenever this is `Some`, `from_payload` of the parsed text gives the same value.
    fn from_text(json: &str) -> Option<Self> {
        if !accepts_text(OcppVersion::V16, Self::ACTION, Self::KIND, json) {
            return None;
        }
        serde_json::from_str(json).ok()
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

#[cfg(test)]
mod tests {
    //! `from_text` (the fast path) against `from_payload` (schema check on a `Value`, then
    //! typed): on valid payloads and on hundreds of mutants of them, whenever the fast path
    //! decodes, the slow path must decode the same value.

    use serde_json::json;

    use super::*;

    /// Every change of one place in `v`: removed, set to values of other types and shapes,
    /// an unknown key added; applied recursively.
    fn mutants(v: &Value) -> Vec<Value> {
        let replacements = [
            json!(null),
            json!(true),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(1e2),
            json!(2147483648_i64),
            json!(u64::MAX),
            json!("x"),
            json!("2024-03-01T12:00:00Z"),
            json!("Charging"),
            json!("é".repeat(30)),
            json!("x".repeat(600)),
            json!([]),
            json!({}),
        ];
        let mut out = Vec::new();
        match v {
            Value::Object(map) => {
                let mut extra = map.clone();
                extra.insert("unknownKey".into(), json!(1));
                out.push(Value::Object(extra));
                for (key, child) in map {
                    let mut removed = map.clone();
                    removed.remove(key);
                    out.push(Value::Object(removed));
                    for r in replacements.iter().chain(mutants(child).iter()) {
                        let mut changed = map.clone();
                        changed.insert(key.clone(), r.clone());
                        out.push(Value::Object(changed));
                    }
                }
            }
            Value::Array(items) => {
                out.push(json!([]));
                let mut doubled = items.clone();
                doubled.extend(items.iter().cloned());
                out.push(Value::Array(doubled));
                for (i, child) in items.iter().enumerate() {
                    for r in replacements.iter().chain(mutants(child).iter()) {
                        let mut changed = items.clone();
                        changed[i] = r.clone();
                        out.push(Value::Array(changed));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// Texts of `v` with a key repeated: first a wrong value then the right one (a `Value`
    /// keeps the last), and the other way round.
    fn repeated_keys(v: &Value) -> Vec<String> {
        let Value::Object(map) = v else {
            return Vec::new();
        };
        let text = v.to_string();
        let body = &text[1..];
        map.keys()
            .flat_map(|key| {
                let key = serde_json::to_string(key).unwrap();
                [
                    format!("{{{key}:\"wrong\",{body}"),
                    format!(
                        "{}{}:\"wrong\"}}",
                        &text[..text.len() - 1],
                        [",", key.as_str()].concat()
                    ),
                ]
            })
            .collect()
    }

    /// Checks `valid` and its mutants; returns how many mutants the fast path decoded.
    fn agree<P: Payload + PartialEq + std::fmt::Debug>(valid: Value) -> usize {
        let text = valid.to_string();
        let fast = P::from_text(&text);
        assert!(
            fast.is_some(),
            "{:?}: the fast path refused a valid payload {text}",
            P::ACTION
        );
        assert_eq!(fast.map(Ok), Some(P::from_payload(valid.clone())));
        let mut texts: Vec<String> = mutants(&valid).iter().map(Value::to_string).collect();
        texts.extend(repeated_keys(&valid));
        // Spacing and escapes the fast path must read the same way.
        texts.push(serde_json::to_string_pretty(&valid).unwrap());
        let mut decoded = 0;
        for text in &texts {
            // The streaming check on its own: it never accepts what the schema rejects.
            let value: Value = serde_json::from_str(text).unwrap();
            if accepts_text(OcppVersion::V16, P::ACTION, P::KIND, text) {
                let checked = validate(OcppVersion::V16, P::ACTION, P::KIND, &value);
                assert_eq!(checked, Ok(()), "{:?}: {text}", P::ACTION);
            }
            let Some(fast) = P::from_text(text) else {
                continue;
            };
            decoded += 1;
            let slow = P::from_payload(value);
            assert_eq!(Ok(fast), slow, "{:?}: {text}", P::ACTION);
        }
        decoded
    }

    #[test]
    fn the_fast_path_decodes_what_the_schema_and_types_decode_and_nothing_else() {
        let sampled = json!([
            {"value": "1234.5", "context": "Sample.Periodic", "format": "Raw",
             "measurand": "Energy.Active.Import.Register", "location": "Outlet", "unit": "Wh"},
            {"value": "16.0", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            {"value": "21", "measurand": "Temperature", "unit": "Celcius"}
        ]);
        let meter_value =
            json!([{"timestamp": "2024-03-01T12:00:00.123Z", "sampledValue": sampled}]);
        let mut decoded = 0;
        decoded += agree::<MeterValuesRequest>(
            json!({"connectorId": 1, "transactionId": 7, "meterValue": meter_value}),
        );
        decoded += agree::<HeartbeatRequest>(json!({}));
        decoded += agree::<StatusNotificationRequest>(json!({
            "connectorId": 1, "errorCode": "NoError", "status": "Charging",
            "info": "ok", "timestamp": "2024-03-01T12:00:00Z", "vendorId": "v", "vendorErrorCode": "e"
        }));
        decoded += agree::<BootNotificationRequest>(json!({
            "chargePointVendor": "Vendor", "chargePointModel": "Model",
            "chargePointSerialNumber": "S1", "firmwareVersion": "1.0", "meterType": "M"
        }));
        decoded += agree::<AuthorizeRequest>(json!({"idTag": "TAG\u{e9}\"1"}));
        decoded += agree::<StartTransactionRequest>(json!({
            "connectorId": 1, "idTag": "TAG1", "meterStart": 0,
            "timestamp": "2024-03-01T12:00:00+01:00", "reservationId": 3
        }));
        decoded += agree::<StopTransactionRequest>(json!({
            "idTag": "TAG1", "meterStop": 1200, "timestamp": "2024-03-01T13:00:00Z",
            "transactionId": 7, "reason": "EVDisconnected", "transactionData": meter_value
        }));
        decoded += agree::<DataTransferRequest>(
            json!({"vendorId": "com.example", "messageId": "m", "data": "{\"a\":1}"}),
        );
        decoded += agree::<FirmwareStatusNotificationRequest>(json!({"status": "Installed"}));
        decoded += agree::<DiagnosticsStatusNotificationRequest>(json!({"status": "Uploaded"}));
        // Plenty of mutants stay valid (say, an optional field removed) and take the fast path.
        assert!(decoded > 50, "only {decoded} mutants took the fast path");
    }

    #[test]
    fn payloads_the_fast_path_refuses() {
        // A repeated key, even when its last value is valid, and anything the schema rejects.
        for text in [
            r#"{"idTag":"A","idTag":"B"}"#,
            r#"{"idTag":null}"#,
            r#"{"idTag":"A","extra":1}"#,
            r#"{"idTag":"AAAAAAAAAAAAAAAAAAAAA"}"#,
            r#"{}"#,
            r#"{"idTag":"A"} trailing"#,
            r#"[]"#,
        ] {
            assert_eq!(AuthorizeRequest::from_text(text), None, "{text}");
        }
        assert!(AuthorizeRequest::from_text(r#" { "idTag" : "A" } "#).is_some());
    }

    #[test]
    fn a_repeated_key_cannot_stand_in_for_a_missing_required_one() {
        let start = |text: &str| {
            accepts_text(
                OcppVersion::V16,
                Action::StartTransaction,
                PayloadKind::Request,
                text,
            )
        };
        assert!(start(
            r#"{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2024-03-01T12:00:00Z"}"#
        ));
        assert!(!start(
            r#"{"connectorId":1,"idTag":"A","meterStart":0,"meterStart":0}"#
        ));
    }
}
