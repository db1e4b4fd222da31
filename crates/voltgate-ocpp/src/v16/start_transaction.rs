//! StartTransaction (OCPP 1.6 §4.8; §6 StartTransaction.req/.conf): a charging session
//! began; the central system assigns the transaction id.

use serde::{Deserialize, Serialize};

use super::IdTagInfo;

/// StartTransaction.req, charge point → central system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransactionRequest {
    pub connector_id: i32,
    /// At most 20 characters.
    pub id_tag: String,
    /// Energy register at start, in Wh. `i64`: a busy DC charger passes 2^31 Wh.
    pub meter_start: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<i32>,
    /// RFC 3339; see [`crate::parse_timestamp`].
    pub timestamp: String,
}

/// StartTransaction.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransactionResponse {
    pub id_tag_info: IdTagInfo,
    pub transaction_id: i32,
}
