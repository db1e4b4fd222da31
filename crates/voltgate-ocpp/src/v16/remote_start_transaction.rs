//! RemoteStartTransaction (OCPP 1.6 §5.11; §6 RemoteStartTransaction.req/.conf).

use serde::{Deserialize, Serialize};

use super::{ChargingProfile, RemoteStartStopStatus};

/// RemoteStartTransaction.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStartTransactionRequest {
    /// Absent lets the charge point choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i32>,
    /// At most 20 characters.
    pub id_tag: String,
    /// Must have purpose `TxProfile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charging_profile: Option<ChargingProfile>,
}

/// RemoteStartTransaction.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteStartTransactionResponse {
    pub status: RemoteStartStopStatus,
}
