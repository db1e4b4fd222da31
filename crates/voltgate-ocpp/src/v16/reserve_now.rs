//! ReserveNow (OCPP 1.6 §5.13; §6 ReserveNow.req/.conf).

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// ReserveNow.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReserveNowRequest {
    /// 0 reserves any connector, if the charge point allows it.
    pub connector_id: i32,
    /// RFC 3339.
    pub expiry_date: String,
    /// At most 20 characters.
    pub id_tag: String,
    /// At most 20 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<String>,
    pub reservation_id: i32,
}

/// ReserveNow.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveNowResponse {
    pub status: ReservationStatus,
}

string_enum! {
    /// OCPP 1.6 §7 ReservationStatus.
    pub enum ReservationStatus {
        Accepted = "Accepted",
        Faulted = "Faulted",
        Occupied = "Occupied",
        Rejected = "Rejected",
        Unavailable = "Unavailable",
    }
}
