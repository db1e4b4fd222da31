//! Payloads of the CALLs a charger sends, and readers for their answers (OCPP 1.6, section 6).
//!
//! Requests are built with `serde_json::json!` exactly as the 1.6 JSON schemas name the fields;
//! answers are read leniently (unknown fields ignored) but a missing required field is an error,
//! so a central system that answers with the wrong shape fails the test that drives it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::now_rfc3339;
use crate::error::SimError;
use crate::meter::SampledValue;
use crate::types::{
    AuthorizationStatus, ChargePointErrorCode, ChargePointStatus, RegistrationStatus, StopReason,
};

/// StatusNotification.req (6.47).
pub fn status_notification(
    connector: u32,
    status: ChargePointStatus,
    error_code: ChargePointErrorCode,
) -> Value {
    json!({
        "connectorId": connector,
        "errorCode": error_code,
        "status": status,
        "timestamp": now_rfc3339(),
    })
}

/// StatusNotification.req (6.47) with the free-text `info` of a fault.
pub fn status_notification_with_info(
    connector: u32,
    status: ChargePointStatus,
    error_code: ChargePointErrorCode,
    info: Option<String>,
) -> Value {
    let mut payload = status_notification(connector, status, error_code);
    if let Some(info) = info {
        let info: String = info.chars().take(50).collect();
        payload["info"] = info.into();
    }
    payload
}

/// FirmwareStatusNotification.req (6.27).
pub fn firmware_status_notification(status: &str) -> Value {
    json!({ "status": status })
}

/// DiagnosticsStatusNotification.req (6.25).
pub fn diagnostics_status_notification(status: &str) -> Value {
    json!({ "status": status })
}

/// Authorize.req (6.1).
pub fn authorize(id_tag: &str) -> Value {
    json!({ "idTag": id_tag })
}

/// StartTransaction.req (6.45).
pub fn start_transaction(connector: u32, id_tag: &str, meter_start: u64) -> Value {
    json!({
        "connectorId": connector,
        "idTag": id_tag,
        "meterStart": meter_start,
        "timestamp": now_rfc3339(),
    })
}

/// MeterValues.req (6.31) with one `meterValue` taken now.
pub fn meter_values(
    connector: u32,
    transaction_id: Option<i32>,
    samples: &[SampledValue],
) -> Value {
    serde_json::to_value(MeterValuesRequest::now(
        connector,
        transaction_id,
        samples.to_vec(),
    ))
    .expect("strings and integers always serialise")
}

/// MeterValues.req (6.31) as a typed value, serialised straight into its frame (the load
/// generator sends thousands a second; a JSON tree first would cost more than the send).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValuesRequest {
    connector_id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_id: Option<i32>,
    meter_value: [MeterValue; 1],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct MeterValue {
    timestamp: String,
    sampled_value: Vec<SampledValue>,
}

impl MeterValuesRequest {
    /// One `meterValue` of `samples`, taken now.
    pub fn now(connector: u32, transaction_id: Option<i32>, samples: Vec<SampledValue>) -> Self {
        MeterValuesRequest {
            connector_id: connector,
            transaction_id,
            meter_value: [MeterValue {
                timestamp: now_rfc3339(),
                sampled_value: samples,
            }],
        }
    }
}

/// StopTransaction.req (6.49).
pub fn stop_transaction(
    transaction_id: i32,
    meter_stop: u64,
    reason: Option<StopReason>,
    id_tag: Option<&str>,
) -> Value {
    let mut payload = json!({
        "transactionId": transaction_id,
        "meterStop": meter_stop,
        "timestamp": now_rfc3339(),
    });
    if let Some(reason) = reason {
        payload["reason"] = reason.as_str().into();
    }
    if let Some(id_tag) = id_tag {
        payload["idTag"] = id_tag.into();
    }
    payload
}

/// `IdTagInfo` (7.15), part of the Authorize, StartTransaction and StopTransaction answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdTagInfo {
    /// Whether the id tag may charge.
    pub status: AuthorizationStatus,
    /// Until when the answer may be cached.
    pub expiry_date: Option<String>,
    /// The id tag's parent (group) id tag.
    pub parent_id_tag: Option<String>,
}

/// BootNotification.conf (6.3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationResponse {
    /// Accepted, Pending or Rejected.
    pub status: RegistrationStatus,
    /// Heartbeat interval (Accepted) or retry interval (otherwise), in seconds.
    pub interval: u64,
    /// The central system's time.
    pub current_time: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdTagAnswer {
    pub id_tag_info: IdTagInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StartTransactionAnswer {
    pub id_tag_info: IdTagInfo,
    pub transaction_id: i32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StopTransactionAnswer {
    pub id_tag_info: Option<IdTagInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HeartbeatAnswer {
    pub current_time: String,
}

/// Reads an answer payload as `T`, or explains what is wrong with it.
pub(crate) fn read_answer<T: serde::de::DeserializeOwned>(
    action: &str,
    payload: Value,
) -> Result<T, SimError> {
    serde_json::from_value(payload).map_err(|e| SimError::UnexpectedResponse {
        action: action.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_use_the_schema_field_names() {
        let status = status_notification(
            1,
            ChargePointStatus::Charging,
            ChargePointErrorCode::NoError,
        );
        assert_eq!(status["status"], "Charging");
        assert_eq!(status["errorCode"], "NoError");
        assert!(status["timestamp"].is_string());
        let stop = stop_transaction(5, 1200, Some(StopReason::EVDisconnected), None);
        assert_eq!(stop["reason"], "EVDisconnected");
        assert!(stop.get("idTag").is_none());
        let values = meter_values(2, None, &[SampledValue::new(1, "Voltage", "V")]);
        assert!(values.get("transactionId").is_none());
        assert_eq!(
            values["meterValue"][0]["sampledValue"][0]["measurand"],
            "Voltage"
        );
    }

    #[test]
    fn answers_missing_a_required_field_are_refused() {
        let error = read_answer::<BootNotificationResponse>(
            "BootNotification",
            json!({"status": "Accepted", "interval": 10}),
        )
        .unwrap_err();
        assert!(
            matches!(error, SimError::UnexpectedResponse { .. }),
            "{error}"
        );
        let boot: BootNotificationResponse = read_answer(
            "BootNotification",
            json!({"status": "Pending", "interval": 10, "currentTime": "2025-01-01T00:00:00Z"}),
        )
        .unwrap();
        assert_eq!(boot.status, RegistrationStatus::Pending);
    }
}
