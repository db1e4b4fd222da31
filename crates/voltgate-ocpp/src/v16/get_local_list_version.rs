//! GetLocalListVersion (OCPP 1.6 §5.10; §6 GetLocalListVersion.req/.conf).

use serde::{Deserialize, Serialize};

/// GetLocalListVersion.req, central system → charge point: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetLocalListVersionRequest {}

/// GetLocalListVersion.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLocalListVersionResponse {
    /// 0 means the list is empty, -1 that local authorization lists are not supported.
    pub list_version: i32,
}
