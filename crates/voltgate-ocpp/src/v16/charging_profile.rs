//! ChargingProfile, ChargingSchedule and ChargingSchedulePeriod (OCPP 1.6 §7), shared by
//! RemoteStartTransaction, SetChargingProfile and GetCompositeSchedule (smart charging, §3.13).

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// A charging profile (OCPP 1.6 §7 ChargingProfile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargingProfile {
    pub charging_profile_id: i32,
    /// Only for `TxProfile`: the transaction the profile applies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<i32>,
    /// Precedence among profiles of the same purpose; higher wins.
    pub stack_level: i32,
    pub charging_profile_purpose: ChargingProfilePurpose,
    pub charging_profile_kind: ChargingProfileKind,
    /// Only for `Recurring` profiles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrency_kind: Option<RecurrencyKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    pub charging_schedule: ChargingSchedule,
}

/// Limits over time (OCPP 1.6 §7 ChargingSchedule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargingSchedule {
    /// Seconds; absent means the last period continues indefinitely.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_schedule: Option<String>,
    pub charging_rate_unit: ChargingRateUnit,
    /// Ordered by `start_period`.
    pub charging_schedule_period: Vec<ChargingSchedulePeriod>,
    /// In `charging_rate_unit`, a multiple of 0.1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_charging_rate: Option<f64>,
}

/// One period of a schedule (OCPP 1.6 §7 ChargingSchedulePeriod).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargingSchedulePeriod {
    /// Seconds from the start of the schedule.
    pub start_period: i32,
    /// In the schedule's unit (A or W), a multiple of 0.1.
    pub limit: f64,
    /// Absent means 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_phases: Option<i32>,
}

string_enum! {
    /// What a profile is for (OCPP 1.6 §7 ChargingProfilePurposeType).
    pub enum ChargingProfilePurpose {
        ChargePointMaxProfile = "ChargePointMaxProfile",
        TxDefaultProfile = "TxDefaultProfile",
        TxProfile = "TxProfile",
    }
}

string_enum! {
    /// How a schedule's start is determined (OCPP 1.6 §7 ChargingProfileKindType).
    pub enum ChargingProfileKind {
        Absolute = "Absolute",
        Recurring = "Recurring",
        Relative = "Relative",
    }
}

string_enum! {
    /// The period of a recurring profile (OCPP 1.6 §7 RecurrencyKindType).
    pub enum RecurrencyKind {
        Daily = "Daily",
        Weekly = "Weekly",
    }
}

string_enum! {
    /// Amperes or watts (OCPP 1.6 §7 ChargingRateUnitType).
    pub enum ChargingRateUnit {
        A = "A",
        W = "W",
    }
}
