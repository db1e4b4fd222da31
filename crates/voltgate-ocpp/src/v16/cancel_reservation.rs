//! CancelReservation (OCPP 1.6 §5.1; §6 CancelReservation.req/.conf).

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// CancelReservation.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelReservationRequest {
    pub reservation_id: i32,
}

/// CancelReservation.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelReservationResponse {
    pub status: CancelReservationStatus,
}

string_enum! {
    /// OCPP 1.6 §7 CancelReservationStatus.
    pub enum CancelReservationStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
