//! UnlockConnector (OCPP 1.6 §5.18; §6 UnlockConnector.req/.conf).

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// UnlockConnector.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnlockConnectorRequest {
    pub connector_id: i32,
}

/// UnlockConnector.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockConnectorResponse {
    pub status: UnlockStatus,
}

string_enum! {
    /// OCPP 1.6 §7 UnlockStatus.
    pub enum UnlockStatus {
        Unlocked = "Unlocked",
        UnlockFailed = "UnlockFailed",
        NotSupported = "NotSupported",
    }
}
