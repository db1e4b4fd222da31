//! DiagnosticsStatusNotification (OCPP 1.6 §4.4; §6 DiagnosticsStatusNotification.req/.conf):
//! progress of a diagnostics upload started by GetDiagnostics.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// DiagnosticsStatusNotification.req, charge point → central system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticsStatusNotificationRequest {
    pub status: DiagnosticsStatus,
}

/// DiagnosticsStatusNotification.conf: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticsStatusNotificationResponse {}

string_enum! {
    /// OCPP 1.6 §7 DiagnosticsStatus.
    pub enum DiagnosticsStatus {
        Idle = "Idle",
        Uploaded = "Uploaded",
        UploadFailed = "UploadFailed",
        Uploading = "Uploading",
    }
}
