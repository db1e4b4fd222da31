//! StopTransaction (OCPP 1.6 §4.10; §6 StopTransaction.req/.conf): a charging session
//! ended. The central system cannot refuse it, only acknowledge it (OCPP-RPC-RULES §1.1).

use serde::{Deserialize, Serialize};

use super::{IdTagInfo, MeterValue};
use crate::string_enum::string_enum;

/// StopTransaction.req, charge point → central system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopTransactionRequest {
    /// The id that stopped the transaction, if any; at most 20 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag: Option<String>,
    /// Energy register at stop, in Wh.
    pub meter_stop: i64,
    /// RFC 3339; see [`crate::parse_timestamp`].
    pub timestamp: String,
    pub transaction_id: i32,
    /// Absent means `Local` (many real chargers omit it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Samples taken during the transaction (the `StopTxnSampledData` configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_data: Option<Vec<MeterValue>>,
}

/// StopTransaction.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopTransactionResponse {
    /// Present only when the request carried an `id_tag`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

string_enum! {
    /// Why a transaction stopped (OCPP 1.6 §7 Reason).
    pub enum Reason {
        EmergencyStop = "EmergencyStop",
        EvDisconnected = "EVDisconnected",
        HardReset = "HardReset",
        Local = "Local",
        Other = "Other",
        PowerLoss = "PowerLoss",
        Reboot = "Reboot",
        Remote = "Remote",
        SoftReset = "SoftReset",
        UnlockCommand = "UnlockCommand",
        DeAuthorized = "DeAuthorized",
    }
}
