//! UpdateFirmware (OCPP 1.6 §5.19; §6 UpdateFirmware.req/.conf): download and install
//! firmware; progress comes back as FirmwareStatusNotification.

use serde::{Deserialize, Serialize};

/// UpdateFirmware.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateFirmwareRequest {
    /// Where to download the firmware, an absolute URI.
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    /// Earliest download time, RFC 3339.
    pub retrieve_date: String,
    /// Seconds between retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i32>,
}

/// UpdateFirmware.conf: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateFirmwareResponse {}
