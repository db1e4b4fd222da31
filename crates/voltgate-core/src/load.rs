//! Site load management (issue 6, items 2 and 3): a site's main fuse and available current with
//! Zaptec's installation semantics (seed 003, REFERENCE-APIS §1.3), and AMPECO-style nested
//! circuits with chargers attached by priority (§1.2). The allocator (`crate::allocation`) turns
//! them, with the chargers' settings and sessions, into a current per charger.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::StoreResult;

/// A site's load-management settings; every value is in amperes, None when not set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadSettings {
    /// The main fuse.
    pub max_current: Option<f64>,
    /// Available current on every phase (an override below the fuse).
    pub available_current: Option<f64>,
    /// Per-phase overrides; they win over `available_current` for their phase.
    pub available_current_phase1: Option<f64>,
    pub available_current_phase2: Option<f64>,
    pub available_current_phase3: Option<f64>,
    /// Below this current per phase, a three-phase session would rather charge on one phase.
    pub three_to_one_phase_switch_current: Option<f64>,
    /// The minimum current of a charger that has no minimum of its own.
    pub minimum_current: Option<f64>,
    pub updated_at: Option<OffsetDateTime>,
}

impl LoadSettings {
    /// The limit per site phase: the fuse, lowered by the available current (per phase first).
    /// `unlimited` stands for a value that is not set.
    pub fn phase_limits(&self, unlimited: f64) -> [f64; 3] {
        let per_phase = [
            self.available_current_phase1,
            self.available_current_phase2,
            self.available_current_phase3,
        ];
        let fuse = self.max_current.unwrap_or(unlimited);
        per_phase.map(|p| match p.or(self.available_current) {
            Some(a) => a.min(fuse),
            None => fuse,
        })
    }
}

/// A circuit below a site (or below another circuit of the same site).
#[derive(Debug, Clone, PartialEq)]
pub struct CircuitRecord {
    pub id: i64,
    pub uuid: Uuid,
    pub site_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub max_current: f64,
    /// 1 or 3.
    pub phases: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A circuit's editable fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CircuitFields {
    pub parent_id: Option<i64>,
    pub name: String,
    pub max_current: f64,
    pub phases: i32,
}

/// A charger attached to a circuit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitCharger {
    pub circuit_id: i64,
    pub charger_id: i64,
    pub priority: i32,
}

/// One sample of the latest meter reading of a connector (Current.Import or Power.Active.Import).
#[derive(Debug, Clone, PartialEq)]
pub struct LatestReading {
    pub charger_id: i64,
    pub connector_id: i32,
    pub timestamp: OffsetDateTime,
    pub measurand: String,
    pub phase: Option<String>,
    pub unit: Option<String>,
    pub value: String,
}

impl LatestReading {
    /// The value in A or W (`mA` and `kW` converted); None when it is not a number.
    pub fn base_value(&self) -> Option<f64> {
        let v: f64 = self.value.trim().parse().ok()?;
        Some(match self.unit.as_deref() {
            Some("mA") => v / 1000.0,
            Some("kW") => v * 1000.0,
            _ => v,
        })
    }
}

#[async_trait]
pub trait LoadStore: Send + Sync {
    /// The site's settings (all None when never set).
    async fn load_settings(&self, site_id: i64) -> StoreResult<LoadSettings>;
    async fn save_load_settings(&self, site_id: i64, settings: &LoadSettings) -> StoreResult<()>;

    async fn list_circuits(&self, site_id: i64) -> StoreResult<Vec<CircuitRecord>>;
    async fn find_circuit(&self, site_id: i64, uuid: Uuid) -> StoreResult<Option<CircuitRecord>>;
    async fn create_circuit(
        &self,
        site_id: i64,
        fields: &CircuitFields,
    ) -> StoreResult<CircuitRecord>;
    async fn update_circuit(&self, id: i64, fields: &CircuitFields) -> StoreResult<()>;
    /// Deletes the circuit and detaches its chargers.
    async fn delete_circuit(&self, id: i64) -> StoreResult<()>;

    /// Every charger attached to a circuit of the site.
    async fn circuit_chargers(&self, site_id: i64) -> StoreResult<Vec<CircuitCharger>>;
    /// Attaches the charger to the circuit (moving it from any other circuit) with a priority.
    async fn attach_charger(
        &self,
        circuit_id: i64,
        charger_id: i64,
        priority: i32,
    ) -> StoreResult<()>;
    /// Detaches it; false when it was not attached to that circuit.
    async fn detach_charger(&self, circuit_id: i64, charger_id: i64) -> StoreResult<bool>;

    /// The site each of the chargers is attached to, if any; a charger that does not exist is
    /// left out.
    async fn sites_of_chargers(&self, charger_ids: &[i64]) -> StoreResult<Vec<(i64, Option<i64>)>>;
    /// A site by id, whoever owns it (the load controller acts for the system, not a caller).
    async fn site_by_id(&self, site_id: i64) -> StoreResult<Option<crate::model::Site>>;

    /// The chargers among `charger_ids` that have an active transaction.
    async fn chargers_with_sessions(&self, charger_ids: &[i64]) -> StoreResult<Vec<i64>>;
    /// The latest Current.Import and Power.Active.Import samples of each connector of the
    /// chargers (those sharing the connector's most recent timestamp), among readings taken at
    /// or after `since` when given (which also bounds the rows the database looks at).
    async fn latest_readings(
        &self,
        charger_ids: &[i64],
        since: Option<OffsetDateTime>,
    ) -> StoreResult<Vec<LatestReading>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_limits_take_the_lowest_of_fuse_and_overrides() {
        let mut s = LoadSettings {
            max_current: Some(32.0),
            ..Default::default()
        };
        assert_eq!(s.phase_limits(1e4), [32.0; 3]);
        s.available_current = Some(20.0);
        s.available_current_phase2 = Some(10.0);
        s.available_current_phase3 = Some(40.0);
        assert_eq!(s.phase_limits(1e4), [20.0, 10.0, 32.0]);
        assert_eq!(LoadSettings::default().phase_limits(1e4), [1e4; 3]);
    }
}
