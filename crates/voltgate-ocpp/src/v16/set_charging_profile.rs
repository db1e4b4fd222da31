//! SetChargingProfile (OCPP 1.6 §5.16; §6 SetChargingProfile.req/.conf).

use serde::{Deserialize, Serialize};

use super::ChargingProfile;
use crate::string_enum::string_enum;

/// SetChargingProfile.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetChargingProfileRequest {
    /// 0 applies a `ChargePointMaxProfile` or `TxDefaultProfile` to the whole charge point.
    pub connector_id: i32,
    /// Singular despite the name.
    pub cs_charging_profiles: ChargingProfile,
}

/// SetChargingProfile.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetChargingProfileResponse {
    pub status: ChargingProfileStatus,
}

string_enum! {
    /// OCPP 1.6 §7 ChargingProfileStatus.
    pub enum ChargingProfileStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        NotSupported = "NotSupported",
    }
}
