//! Charger settings with Zaptec's semantics (seed 003): current and phase limits, the offline
//! fallback, and the meter-value interval. They are stored, then applied on the charger through
//! commands (`CommandService::apply_settings`), and applied again after every boot.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::store::StoreResult;

/// The charging profile ids Voltgate uses for settings (kept apart from operators' profiles).
pub const MAX_PROFILE_ID: i32 = 9_900;
pub const OFFLINE_PROFILE_ID: i32 = 9_901;
/// The load controller's dynamic limit (`crate::load_control`).
pub const DYNAMIC_PROFILE_ID: i32 = 9_902;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChargerSettings {
    /// 0–32 A; None: no limit of Voltgate's.
    pub max_charge_current: Option<f64>,
    /// 0–32 A.
    pub min_charge_current: Option<f64>,
    /// 1 or 3.
    pub max_charge_phases: Option<i32>,
    /// −1 automatic (no fallback profile), 0–32 A override; None: left as it is.
    pub offline_charge_current: Option<f64>,
    /// 0 automatic, 1, 2, 4 (one phase: L1, L2, L3) or 7 (three phases).
    pub offline_charge_phase: Option<i32>,
    /// Seconds; 0 disables meter values.
    pub meter_value_interval: Option<i32>,
}

/// Where the settings stand on the charger.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsState {
    pub settings: ChargerSettings,
    /// applied, pending (waiting for the charger to connect) or failed.
    pub status: String,
    pub detail: Option<String>,
    pub applied_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
}

impl ChargerSettings {
    /// Phases used by the offline fallback, from Zaptec's bit mask (1, 2, 4 one phase; 7 three).
    pub fn offline_phases(&self) -> Option<i32> {
        match self.offline_charge_phase {
            Some(1 | 2 | 4) => Some(1),
            Some(7) => Some(3),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == ChargerSettings::default()
    }
}

#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn settings(&self, charger_id: i64) -> StoreResult<SettingsState>;
    /// The stored settings of each of `charger_ids` that has any (one query for a site).
    async fn settings_of(&self, charger_ids: &[i64]) -> StoreResult<Vec<(i64, ChargerSettings)>>;
    async fn save_settings(&self, charger_id: i64, settings: &ChargerSettings) -> StoreResult<()>;
    /// Records the outcome of applying them (`applied`, `pending`, `failed`).
    async fn settings_outcome(
        &self,
        charger_id: i64,
        status: &str,
        detail: Option<&str>,
    ) -> StoreResult<()>;
}
