//! The simulator's storage port (seed 004, OCPPLAB): locations and simulated charger
//! definitions ("deployments"), their provisioning status and whether their runtime should run.
//!
//! A definition is what `voltgate-lab` needs to start a simulated charger again after a restart:
//! its identity, the central system it connects to, its connectors and power, and whether it was
//! running. The runtime itself (sockets, meters) is never stored.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::page::{Page, PageRequest};
use crate::store::StoreResult;

/// Where a definition is in its provisioning workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProvisioningStatus {
    /// Stored; provisioning has not started.
    Pending,
    /// Being provisioned (e.g. its charger created in this Voltgate).
    Provisioning,
    /// Ready: its runtime may start.
    Ready,
    /// Provisioning failed; see the error.
    Failed,
}

impl ProvisioningStatus {
    /// The wire and storage spelling: `PENDING`, `PROVISIONING`, `READY`, `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisioningStatus::Pending => "PENDING",
            ProvisioningStatus::Provisioning => "PROVISIONING",
            ProvisioningStatus::Ready => "READY",
            ProvisioningStatus::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "PENDING" => Some(ProvisioningStatus::Pending),
            "PROVISIONING" => Some(ProvisioningStatus::Provisioning),
            "READY" => Some(ProvisioningStatus::Ready),
            "FAILED" => Some(ProvisioningStatus::Failed),
            _ => None,
        }
    }
}

/// Why provisioning failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningError {
    /// A stable code, e.g. `IDENTITY_TAKEN`.
    pub code: String,
    /// For people.
    pub message: String,
    /// Whether trying again may succeed.
    pub retryable: bool,
}

/// The outcome of a provisioning step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioning {
    pub status: ProvisioningStatus,
    pub error: Option<ProvisioningError>,
    pub workflow_run_id: Option<String>,
    pub provisioned_at: Option<OffsetDateTime>,
}

/// A location (hub, depot, car park) simulated chargers are grouped by.
#[derive(Debug, Clone, PartialEq)]
pub struct LabLocation {
    pub id: i64,
    pub uuid: Uuid,
    pub team_id: i64,
    pub name: String,
    pub slug: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: Option<String>,
    pub owner_name: Option<String>,
    pub public: bool,
    /// `active`.
    pub status: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct NewLabLocation {
    pub team_id: i64,
    pub name: String,
    pub slug: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: Option<String>,
    pub owner_name: Option<String>,
    pub public: bool,
}

/// Fields to change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct LabLocationPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub address: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub timezone: Option<Option<String>>,
    pub owner_name: Option<Option<String>>,
    pub public: Option<bool>,
}

/// A simulated charger definition.
#[derive(Debug, Clone, PartialEq)]
pub struct LabCharger {
    pub id: i64,
    /// The deployment id shown to clients, e.g. `dep-3f2a9c0d4b1e6a7f`.
    pub public_id: String,
    pub team_id: i64,
    /// The OCPP identity it connects with (unique).
    pub identity: String,
    pub name: Option<String>,
    pub vendor_name: Option<String>,
    pub model: Option<String>,
    pub image_url: Option<String>,
    /// `OCPP1.6`.
    pub ocpp_version: String,
    pub number_of_connectors: i32,
    /// In W.
    pub max_charging_power: Option<i64>,
    /// e.g. `Type2`, `CCS2`.
    pub connector_type: Option<String>,
    pub location_id: Option<i64>,
    pub location_uuid: Option<Uuid>,
    pub brand_slug: Option<String>,
    pub model_slug: Option<String>,
    /// The central system's base URL; `None` means this Voltgate's own OCPP listener.
    pub ws_url: Option<String>,
    /// The OCPP Basic-auth password it sends (stored as given: the simulator must send it).
    pub password: Option<String>,
    /// The id tag its automatic sessions and commands use by default.
    pub id_tag: Option<String>,
    /// What it does on its own once running: `None` (nothing) or `sessions`.
    pub scenario: Option<String>,
    pub provisioning: Provisioning,
    /// Whether its runtime should run (it starts again at boot).
    pub desired_running: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewLabCharger {
    pub public_id: String,
    pub team_id: i64,
    pub identity: String,
    pub name: Option<String>,
    pub vendor_name: Option<String>,
    pub model: Option<String>,
    pub image_url: Option<String>,
    pub ocpp_version: String,
    pub number_of_connectors: i32,
    pub max_charging_power: Option<i64>,
    pub connector_type: Option<String>,
    pub location_id: Option<i64>,
    pub brand_slug: Option<String>,
    pub model_slug: Option<String>,
    pub ws_url: Option<String>,
    pub password: Option<String>,
    pub id_tag: Option<String>,
    pub scenario: Option<String>,
    pub provisioning: Provisioning,
}

/// Fields to change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct LabChargerPatch {
    pub identity: Option<String>,
    pub name: Option<Option<String>>,
    pub vendor_name: Option<Option<String>>,
    pub model: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
    pub ocpp_version: Option<String>,
    pub number_of_connectors: Option<i32>,
    pub max_charging_power: Option<Option<i64>>,
    pub connector_type: Option<Option<String>>,
    pub location_id: Option<Option<i64>>,
    pub ws_url: Option<Option<String>>,
    pub password: Option<Option<String>>,
    pub id_tag: Option<Option<String>>,
    pub scenario: Option<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct LabChargerQuery {
    pub team_ids: Vec<i64>,
    pub location_id: Option<i64>,
    pub page: PageRequest,
}

/// Locations and simulated charger definitions.
#[async_trait]
pub trait LabStore: Send + Sync {
    async fn create_lab_location(&self, location: NewLabLocation) -> StoreResult<LabLocation>;
    async fn list_lab_locations(
        &self,
        team_ids: &[i64],
        page: PageRequest,
    ) -> StoreResult<Page<LabLocation>>;
    async fn find_lab_location(
        &self,
        team_ids: &[i64],
        uuid: Uuid,
    ) -> StoreResult<Option<LabLocation>>;
    /// The oldest location of these teams with this name (case-insensitive).
    async fn find_lab_location_by_name(
        &self,
        team_ids: &[i64],
        name: &str,
    ) -> StoreResult<Option<LabLocation>>;
    async fn update_lab_location(&self, id: i64, patch: LabLocationPatch) -> StoreResult<()>;
    /// Deletes a location; its chargers stay, without a location.
    async fn delete_lab_location(&self, id: i64) -> StoreResult<()>;

    /// Fails with `Conflict("identity")` when the identity is taken.
    async fn create_lab_charger(&self, charger: NewLabCharger) -> StoreResult<LabCharger>;
    async fn list_lab_chargers(&self, query: &LabChargerQuery) -> StoreResult<Page<LabCharger>>;
    async fn find_lab_charger(
        &self,
        team_ids: &[i64],
        public_id: &str,
    ) -> StoreResult<Option<LabCharger>>;
    async fn find_lab_charger_by_identity(
        &self,
        team_ids: &[i64],
        identity: &str,
    ) -> StoreResult<Option<LabCharger>>;
    async fn find_lab_charger_by_id(&self, id: i64) -> StoreResult<Option<LabCharger>>;
    /// Fails with `Conflict("identity")` when a new identity is taken.
    async fn update_lab_charger(&self, id: i64, patch: LabChargerPatch) -> StoreResult<()>;
    async fn delete_lab_charger(&self, id: i64) -> StoreResult<()>;
    async fn set_lab_provisioning(&self, id: i64, provisioning: &Provisioning) -> StoreResult<()>;
    async fn set_lab_desired_running(&self, id: i64, running: bool) -> StoreResult<()>;
    /// Every definition (of any team) whose runtime should run, oldest first.
    async fn lab_chargers_to_run(&self) -> StoreResult<Vec<LabCharger>>;
    /// Every definition (of any team) whose provisioning did not finish, oldest first.
    async fn lab_chargers_to_provision(&self) -> StoreResult<Vec<LabCharger>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_statuses_round_trip() {
        for status in [
            ProvisioningStatus::Pending,
            ProvisioningStatus::Provisioning,
            ProvisioningStatus::Ready,
            ProvisioningStatus::Failed,
        ] {
            assert_eq!(ProvisioningStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ProvisioningStatus::parse("ready"), None);
    }
}
