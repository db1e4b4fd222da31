//! ChangeAvailability (OCPP 1.6 §5.2; §6 ChangeAvailability.req/.conf).

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// ChangeAvailability.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeAvailabilityRequest {
    /// 0 means the whole charge point.
    pub connector_id: i32,
    /// Named `type` on the wire.
    #[serde(rename = "type")]
    pub kind: AvailabilityType,
}

/// ChangeAvailability.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeAvailabilityResponse {
    pub status: AvailabilityStatus,
}

string_enum! {
    /// OCPP 1.6 §7 AvailabilityType.
    pub enum AvailabilityType {
        Inoperative = "Inoperative",
        Operative = "Operative",
    }
}

string_enum! {
    /// OCPP 1.6 §7 AvailabilityStatus.
    pub enum AvailabilityStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        /// Will change after the running transaction(s).
        Scheduled = "Scheduled",
    }
}
