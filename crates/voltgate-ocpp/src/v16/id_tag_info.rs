//! IdTagInfo and AuthorizationStatus (OCPP 1.6 §7 "IdTagInfo", "AuthorizationStatus"),
//! shared by Authorize, StartTransaction, StopTransaction and SendLocalList.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

string_enum! {
    /// Whether an identifier is allowed to charge (OCPP 1.6 §7 AuthorizationStatus).
    pub enum AuthorizationStatus {
        Accepted = "Accepted",
        Blocked = "Blocked",
        Expired = "Expired",
        Invalid = "Invalid",
        /// Already in a transaction elsewhere; only valid when the id is in a transaction.
        ConcurrentTx = "ConcurrentTx",
    }
}

/// Status information about an identifier (OCPP 1.6 §7 IdTagInfo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdTagInfo {
    /// When the id stops being valid; absent means no expiry. RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// The parent id (group), at most 20 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<String>,
    pub status: AuthorizationStatus,
}

impl IdTagInfo {
    /// Only a status, no expiry and no parent.
    pub fn with_status(status: AuthorizationStatus) -> Self {
        IdTagInfo {
            expiry_date: None,
            parent_id_tag: None,
            status,
        }
    }
}
