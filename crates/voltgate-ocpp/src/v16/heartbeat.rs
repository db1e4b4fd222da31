//! Heartbeat (OCPP 1.6 §4.6; §6 Heartbeat.req/.conf): liveness and time synchronisation.

use serde::{Deserialize, Serialize};

/// Heartbeat.req, charge point → central system: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatRequest {}

/// Heartbeat.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatResponse {
    /// The central system's clock, RFC 3339.
    pub current_time: String,
}
