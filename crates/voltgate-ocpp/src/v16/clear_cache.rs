//! ClearCache (OCPP 1.6 §5.4; §6 ClearCache.req/.conf): empty the authorization cache.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// ClearCache.req, central system → charge point: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearCacheRequest {}

/// ClearCache.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearCacheResponse {
    pub status: ClearCacheStatus,
}

string_enum! {
    /// OCPP 1.6 §7 ClearCacheStatus.
    pub enum ClearCacheStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
