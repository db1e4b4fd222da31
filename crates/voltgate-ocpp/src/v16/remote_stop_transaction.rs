//! RemoteStopTransaction (OCPP 1.6 §5.12; §6 RemoteStopTransaction.req/.conf), and the
//! status shared with RemoteStartTransaction.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// RemoteStopTransaction.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStopTransactionRequest {
    pub transaction_id: i32,
}

/// RemoteStopTransaction.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteStopTransactionResponse {
    pub status: RemoteStartStopStatus,
}

string_enum! {
    /// OCPP 1.6 §7 RemoteStartStopStatus.
    pub enum RemoteStartStopStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
