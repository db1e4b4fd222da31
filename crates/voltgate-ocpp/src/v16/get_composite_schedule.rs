//! GetCompositeSchedule (OCPP 1.6 §5.7; §6 GetCompositeSchedule.req/.conf): the schedule
//! that results from all active profiles of a connector.

use serde::{Deserialize, Serialize};

use super::{ChargingRateUnit, ChargingSchedule};
use crate::string_enum::string_enum;

/// GetCompositeSchedule.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetCompositeScheduleRequest {
    pub connector_id: i32,
    /// Seconds.
    pub duration: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charging_rate_unit: Option<ChargingRateUnit>,
}

/// GetCompositeSchedule.conf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetCompositeScheduleResponse {
    pub status: GetCompositeScheduleStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charging_schedule: Option<ChargingSchedule>,
}

string_enum! {
    /// OCPP 1.6 §7 GetCompositeScheduleStatus.
    pub enum GetCompositeScheduleStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}
