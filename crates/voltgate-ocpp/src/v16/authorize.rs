//! Authorize (OCPP 1.6 §4.1; messages §6 Authorize.req/.conf): may this id charge?

use serde::{Deserialize, Serialize};

use super::IdTagInfo;

/// Authorize.req, charge point → central system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeRequest {
    /// At most 20 characters.
    pub id_tag: String,
}

/// Authorize.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeResponse {
    pub id_tag_info: IdTagInfo,
}
