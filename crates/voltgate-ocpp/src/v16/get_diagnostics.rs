//! GetDiagnostics (OCPP 1.6 §5.9; §6 GetDiagnostics.req/.conf): upload a diagnostics
//! file; progress comes back as DiagnosticsStatusNotification.

use serde::{Deserialize, Serialize};

/// GetDiagnostics.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDiagnosticsRequest {
    /// Upload directory, an absolute URI (e.g. `ftp://...`).
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    /// Seconds between retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<String>,
}

/// GetDiagnostics.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDiagnosticsResponse {
    /// At most 255 characters; absent when there is nothing to upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}
