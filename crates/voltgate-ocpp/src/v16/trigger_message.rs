//! TriggerMessage (OCPP 1.6 §5.17; §6 TriggerMessage.req/.conf): ask the charge point to
//! send one of its messages now.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// TriggerMessage.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerMessageRequest {
    pub requested_message: MessageTrigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i32>,
}

/// TriggerMessage.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerMessageResponse {
    pub status: TriggerMessageStatus,
}

string_enum! {
    /// OCPP 1.6 §7 MessageTrigger.
    pub enum MessageTrigger {
        BootNotification = "BootNotification",
        DiagnosticsStatusNotification = "DiagnosticsStatusNotification",
        FirmwareStatusNotification = "FirmwareStatusNotification",
        Heartbeat = "Heartbeat",
        MeterValues = "MeterValues",
        StatusNotification = "StatusNotification",
    }
}

string_enum! {
    /// OCPP 1.6 §7 TriggerMessageStatus.
    pub enum TriggerMessageStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        NotImplemented = "NotImplemented",
    }
}
