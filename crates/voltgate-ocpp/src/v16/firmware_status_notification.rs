//! FirmwareStatusNotification (OCPP 1.6 §4.5; §6 FirmwareStatusNotification.req/.conf):
//! progress of a firmware update started by UpdateFirmware.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// FirmwareStatusNotification.req, charge point → central system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirmwareStatusNotificationRequest {
    pub status: FirmwareStatus,
}

/// FirmwareStatusNotification.conf: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareStatusNotificationResponse {}

string_enum! {
    /// OCPP 1.6 §7 FirmwareStatus.
    pub enum FirmwareStatus {
        Downloaded = "Downloaded",
        DownloadFailed = "DownloadFailed",
        Downloading = "Downloading",
        Idle = "Idle",
        InstallationFailed = "InstallationFailed",
        Installing = "Installing",
        Installed = "Installed",
    }
}
