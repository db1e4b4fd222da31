//! SendLocalList (OCPP 1.6 §5.15; §6 SendLocalList.req/.conf): replace or patch the
//! charge point's local authorization list.

use serde::{Deserialize, Serialize};

use super::IdTagInfo;
use crate::string_enum::string_enum;

/// SendLocalList.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendLocalListRequest {
    pub list_version: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_authorization_list: Option<Vec<AuthorizationData>>,
    pub update_type: UpdateType,
}

/// One list entry (OCPP 1.6 §7 AuthorizationData). In a differential update, an entry
/// without `id_tag_info` removes the id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationData {
    /// At most 20 characters.
    pub id_tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

/// SendLocalList.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendLocalListResponse {
    pub status: UpdateStatus,
}

string_enum! {
    /// OCPP 1.6 §7 UpdateType.
    pub enum UpdateType {
        Differential = "Differential",
        Full = "Full",
    }
}

string_enum! {
    /// OCPP 1.6 §7 UpdateStatus.
    pub enum UpdateStatus {
        Accepted = "Accepted",
        Failed = "Failed",
        NotSupported = "NotSupported",
        VersionMismatch = "VersionMismatch",
    }
}
