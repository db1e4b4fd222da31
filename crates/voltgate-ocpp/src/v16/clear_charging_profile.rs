//! ClearChargingProfile (OCPP 1.6 §5.5; §6 ClearChargingProfile.req/.conf). The optional
//! fields are filters; with none, every profile is cleared.

use serde::{Deserialize, Serialize};

use super::ChargingProfilePurpose;
use crate::string_enum::string_enum;

/// ClearChargingProfile.req, central system → charge point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearChargingProfileRequest {
    /// A `charging_profile_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charging_profile_purpose: Option<ChargingProfilePurpose>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_level: Option<i32>,
}

/// ClearChargingProfile.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearChargingProfileResponse {
    pub status: ClearChargingProfileStatus,
}

string_enum! {
    /// OCPP 1.6 §7 ClearChargingProfileStatus.
    pub enum ClearChargingProfileStatus {
        Accepted = "Accepted",
        Unknown = "Unknown",
    }
}
