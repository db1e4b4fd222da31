//! Reset (OCPP 1.6 §5.14; §6 Reset.req/.conf).

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// Reset.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    /// Named `type` on the wire.
    #[serde(rename = "type")]
    pub kind: ResetType,
}

/// Reset.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetResponse {
    pub status: ResetStatus,
}

string_enum! {
    /// OCPP 1.6 §7 ResetType.
    pub enum ResetType {
        Hard = "Hard",
        Soft = "Soft",
    }
}

string_enum! {
    /// OCPP 1.6 §7 ResetStatus.
    pub enum ResetStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
