//! BootNotification (OCPP 1.6 §4.2; §6 BootNotification.req/.conf): a charge point
//! announces itself and learns whether it is accepted and how often to send heartbeats.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// BootNotification.req, charge point → central system. Length limits in characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationRequest {
    /// At most 20.
    pub charge_point_vendor: String,
    /// At most 20.
    pub charge_point_model: String,
    /// At most 25.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_point_serial_number: Option<String>,
    /// At most 25. Deprecated in 1.6 in favour of `charge_point_serial_number`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_box_serial_number: Option<String>,
    /// At most 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// At most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// At most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    /// At most 25.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter_type: Option<String>,
    /// At most 25.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter_serial_number: Option<String>,
}

/// BootNotification.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationResponse {
    pub status: RegistrationStatus,
    /// The central system's clock, RFC 3339.
    pub current_time: String,
    /// Heartbeat interval in seconds when accepted; retry delay when pending or rejected.
    pub interval: i32,
}

string_enum! {
    /// Whether the charge point is registered (OCPP 1.6 §7 RegistrationStatus).
    pub enum RegistrationStatus {
        Accepted = "Accepted",
        Pending = "Pending",
        Rejected = "Rejected",
    }
}
