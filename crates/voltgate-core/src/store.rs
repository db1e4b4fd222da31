//! The storage port: everything core and the edges need from a database.
//!
//! Implemented by `voltgate-store` for SQLite and PostgreSQL. Visibility is part of the query
//! (`team_ids`), so an object of another team is simply not found.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::access::Reach;
use crate::error::StoreError;
use crate::model::*;
use crate::page::{Page, PageRequest};
use crate::types::{CardStatus, ConnectionStatus, Direction, TeamRole, TransactionStatus};

pub type StoreResult<T> = Result<T, StoreError>;

/// Sort order of a list: a column name and the direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub column: &'static str,
    pub descending: bool,
}

#[derive(Debug, Clone)]
pub struct NewSite {
    pub team_id: i64,
    pub address: Address,
}

#[derive(Debug, Clone, Default)]
pub struct SitePatch {
    pub name: Option<String>,
    pub street: Option<Option<String>>,
    pub house_number: Option<Option<String>>,
    pub house_number_addition: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SiteQuery {
    /// Sites owned by these teams...
    pub team_ids: Vec<i64>,
    /// ... and these sites (granted to the caller's teams).
    pub site_ids: Vec<i64>,
    pub search: Option<String>,
    pub sort: Option<Sort>,
    pub page: PageRequest,
}

#[derive(Debug, Clone)]
pub struct NewCharger {
    pub team_id: i64,
    pub site_id: Option<i64>,
    pub uuid: Uuid,
    pub identity: String,
    pub reference: Option<String>,
    pub password_hash: Option<String>,
    pub pincode: String,
    pub license_smart: bool,
    pub license_pro: bool,
    pub boot_policy: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ChargerPatch {
    pub boot_policy: Option<Option<String>>,
    pub reference: Option<Option<String>>,
    pub site_id: Option<Option<i64>>,
    pub password_hash: Option<Option<String>>,
    pub license_smart: Option<bool>,
    pub license_pro: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct ChargerQuery {
    /// Chargers owned by these teams ...
    pub team_ids: Vec<i64>,
    /// ... on these sites (granted with full asset access) ...
    pub site_ids: Vec<i64>,
    /// ... and these chargers (granted one by one).
    pub charger_ids: Vec<i64>,
    pub site_id: Option<i64>,
    pub connection_status: Option<ConnectionStatus>,
    pub status: Option<String>,
    pub search: Option<String>,
    pub sort: Option<Sort>,
    pub page: PageRequest,
}

#[derive(Debug, Clone)]
pub struct StatusReport {
    pub connector_id: i32,
    pub status: String,
    pub error_code: String,
    pub info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    pub timestamp: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct ConnectorPatch {
    pub max_amperage: Option<i32>,
    pub phase_rotation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewCard {
    pub team_id: i64,
    pub uid: String,
    pub name: Option<String>,
    pub status: CardStatus,
    pub expires_at: Option<OffsetDateTime>,
    pub parent_uid: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CardPatch {
    pub name: Option<Option<String>>,
    pub status: Option<CardStatus>,
    pub expires_at: Option<Option<OffsetDateTime>>,
    pub parent_uid: Option<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct CardQuery {
    pub team_ids: Vec<i64>,
    pub status: Option<CardStatus>,
    pub search: Option<String>,
    pub page: PageRequest,
}

/// A StartTransaction as the charger reported it.
#[derive(Debug, Clone)]
pub struct StartTx {
    pub charger_id: i64,
    pub connector_id: i32,
    pub id_tag: String,
    pub meter_start: i64,
    pub started_at: OffsetDateTime,
    pub reservation_id: Option<i64>,
}

/// What the store did with a StartTransaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// A new transaction; `connector_busy` when another transaction was still active there.
    Created { id: i64, connector_busy: bool },
    /// The same start was reported before (a retry): its id.
    Duplicate { id: i64 },
}

#[derive(Debug, Clone)]
pub struct StopTx {
    pub charger_id: i64,
    pub transaction_id: i64,
    pub id_tag: Option<String>,
    pub meter_stop: i64,
    pub stopped_at: OffsetDateTime,
    pub reason: Option<String>,
    pub samples: Vec<MeterSample>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    Stopped {
        id: i64,
    },
    /// The transaction was already stopped with the same values (a retry).
    AlreadyStopped {
        id: i64,
    },
    /// Unknown id: stored as an orphan under a new id.
    Orphan {
        id: i64,
    },
}

#[derive(Debug, Clone, Default)]
pub struct TransactionQuery {
    /// Transactions on chargers of these teams, on these sites and these chargers (a reach).
    pub team_ids: Vec<i64>,
    pub site_ids: Vec<i64>,
    pub charger_ids: Vec<i64>,
    pub charger_id: Option<i64>,
    pub site_id: Option<i64>,
    pub status: Option<TransactionStatus>,
    pub started_from: Option<OffsetDateTime>,
    pub started_until: Option<OffsetDateTime>,
    pub sort: Option<Sort>,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Default)]
pub struct MeterValueQuery {
    pub charger_id: i64,
    pub connector_id: Option<i32>,
    pub transaction_id: Option<i64>,
    pub date_from: Option<OffsetDateTime>,
    pub date_to: Option<OffsetDateTime>,
    pub measurand: Option<String>,
    pub phase: Option<String>,
    pub unit: Option<String>,
    pub context: Option<String>,
    pub location: Option<String>,
    pub descending: bool,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub charger_id: i64,
    pub action: Option<String>,
    pub direction: Option<Direction>,
    pub date_from: Option<OffsetDateTime>,
    pub date_to: Option<OffsetDateTime>,
    pub descending: bool,
    pub page: PageRequest,
}

/// Where the store leaves the result of a batched write that has one (a transaction's id): set
/// inside the batch's database transaction, read by the waiting caller once the batch committed
/// (a batch that fails and is retried item by item sets it again).
#[derive(Debug)]
pub struct Outcome<T>(std::sync::Arc<std::sync::Mutex<Option<T>>>);

impl<T> Default for Outcome<T> {
    fn default() -> Self {
        Outcome(Default::default())
    }
}

impl<T> Clone for Outcome<T> {
    fn clone(&self) -> Self {
        Outcome(self.0.clone())
    }
}

impl<T> Outcome<T> {
    pub fn set(&self, value: T) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    }

    /// The value the committed batch left; an error if it left none.
    pub fn committed(&self) -> StoreResult<T> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| {
                StoreError::Database("a batched write committed without its outcome".into())
            })
    }
}

/// The most frames of one charger a store keeps in one row of its message log (the log's frame
/// ids are row id × 64 + position). The writer's log lane writes a busy charger's held frames
/// as soon as they fill a row.
pub const LOG_FRAMES_PER_ROW: usize = 64;

/// Writes that may be batched: the hot path (meter values, logs, heartbeats, status, boots,
/// registrations, transaction starts and stops).
#[derive(Debug)]
pub enum BatchItem {
    /// An unknown charger registering on its first connection (`--auto-register`): inserted
    /// unless its identity exists by then, first in its batch. A boot storm of new chargers
    /// commits hundreds of these at once instead of one commit each.
    Register(NewCharger),
    MeterValues(Vec<MeterSample>),
    /// A StartTransaction, in arrival order with the charger's other reports; its outcome (the
    /// transaction's id) is left in `outcome` for the caller to read after the commit.
    Start {
        start: StartTx,
        outcome: Outcome<StartOutcome>,
    },
    /// A StopTransaction (with its transactionData), like [`BatchItem::Start`].
    Stop {
        stop: StopTx,
        outcome: Outcome<StopOutcome>,
    },
    Log(LogEntry),
    Heartbeat {
        charger_id: i64,
        at: OffsetDateTime,
    },
    /// Written in order with the other ordered items (status, connection, boot).
    Status {
        charger_id: i64,
        report: StatusReport,
    },
    Connection {
        charger_id: i64,
        status: ConnectionStatus,
        ocpp_version: Option<String>,
        at: OffsetDateTime,
    },
    Boot {
        charger_id: i64,
        info: BootInfo,
        ocpp_version: String,
        at: OffsetDateTime,
        /// Also records the charger's registration as accepted (its first accepted boot), in
        /// the same write instead of a commit of its own.
        accept_registration: bool,
    },
}

impl BatchItem {
    /// A start and where its outcome will be once the batch committed.
    pub fn start(start: StartTx) -> (Self, Outcome<StartOutcome>) {
        let outcome = Outcome::default();
        let item = BatchItem::Start {
            start,
            outcome: outcome.clone(),
        };
        (item, outcome)
    }

    /// A stop and where its outcome will be once the batch committed.
    pub fn stop(stop: StopTx) -> (Self, Outcome<StopOutcome>) {
        let outcome = Outcome::default();
        let item = BatchItem::Stop {
            stop,
            outcome: outcome.clone(),
        };
        (item, outcome)
    }
}

/// Liveness of the database.
#[async_trait]
pub trait HealthStore: Send + Sync {
    async fn ping(&self) -> StoreResult<()>;
}

/// Users, teams, memberships and API tokens.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn count_users(&self) -> StoreResult<i64>;
    async fn create_user(&self, name: &str, email: &str, is_admin: bool) -> StoreResult<User>;
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn create_team(
        &self,
        owner_user_id: i64,
        name: &str,
        email: Option<&str>,
        kind: &str,
        personal: bool,
    ) -> StoreResult<Team>;
    async fn memberships(&self, user_id: i64) -> StoreResult<Vec<Membership>>;
    async fn add_member(&self, team_id: i64, user_id: i64, role: TeamRole) -> StoreResult<()>;
    async fn find_team_by_uuid(&self, uuid: Uuid) -> StoreResult<Option<Team>>;
    async fn find_user_by_uuid(&self, uuid: Uuid) -> StoreResult<Option<User>>;
    /// The team's members with their roles, oldest first.
    async fn list_members(&self, team_id: i64) -> StoreResult<Vec<(User, TeamRole)>>;
    async fn set_member_role(&self, team_id: i64, user_id: i64, role: TeamRole) -> StoreResult<()>;
    /// False when the user was not a member.
    async fn remove_member(&self, team_id: i64, user_id: i64) -> StoreResult<bool>;
    async fn update_team(
        &self,
        team_id: i64,
        name: Option<String>,
        email: Option<Option<String>>,
    ) -> StoreResult<()>;
    /// Deletes a team that owns nothing; `Conflict("team")` while it still owns sites, chargers or cards.
    async fn delete_team(&self, team_id: i64) -> StoreResult<()>;
    async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> StoreResult<ApiToken>;
    /// The user a token hash belongs to.
    async fn user_for_token(&self, token_hash: &str) -> StoreResult<Option<User>>;
    /// The user's tokens, oldest first (never the secret: only its digest is stored).
    async fn list_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>>;
    /// Deletes one of the user's tokens; false when the user has no such token.
    async fn revoke_token(&self, user_id: i64, uuid: Uuid) -> StoreResult<bool>;
}

/// Sites (locations).
#[async_trait]
pub trait SiteStore: Send + Sync {
    async fn create_site(&self, site: NewSite) -> StoreResult<Site>;
    async fn list_sites(&self, query: &SiteQuery) -> StoreResult<Page<Site>>;
    /// A site within `reach` (its owner teams or grants), by uuid.
    async fn find_site(&self, reach: &Reach, uuid: Uuid) -> StoreResult<Option<Site>>;
    async fn find_site_by_id(&self, reach: &Reach, id: i64) -> StoreResult<Option<Site>>;
    async fn update_site(&self, id: i64, patch: SitePatch) -> StoreResult<()>;
    async fn delete_site(&self, id: i64) -> StoreResult<()>;
}

/// Chargers and their connectors, as operators manage them.
#[async_trait]
pub trait ChargerStore: Send + Sync {
    async fn create_charger(&self, charger: NewCharger) -> StoreResult<Charger>;
    async fn list_chargers(&self, query: &ChargerQuery) -> StoreResult<Page<Charger>>;
    /// A charger within `reach`, by uuid.
    async fn find_charger(&self, reach: &Reach, uuid: Uuid) -> StoreResult<Option<Charger>>;
    async fn find_charger_by_identity(&self, identity: &str) -> StoreResult<Option<Charger>>;
    async fn update_charger(&self, id: i64, patch: ChargerPatch) -> StoreResult<()>;
    async fn delete_charger(&self, id: i64) -> StoreResult<()>;
    async fn list_connectors(&self, charger_ids: &[i64]) -> StoreResult<Vec<Connector>>;
    async fn update_connector(
        &self,
        charger_id: i64,
        connector_id: i32,
        patch: ConnectorPatch,
    ) -> StoreResult<()>;
}

/// What chargers report over OCPP.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Marks every charger `online` as `offline` (used at start-up: no socket survives a restart).
    async fn reset_connections(&self, at: OffsetDateTime) -> StoreResult<u64>;
    async fn record_firmware_status(&self, charger_id: i64, status: &str) -> StoreResult<()>;
    async fn record_diagnostics_status(&self, charger_id: i64, status: &str) -> StoreResult<()>;
    async fn find_card_for_charger(
        &self,
        charger_id: i64,
        uid_normalized: &str,
    ) -> StoreResult<Option<Card>>;
    /// A start in a batch of its own; commits before returning. (Chargers' starts go through the
    /// batch writer as [`BatchItem::Start`], which this writes.)
    async fn start_transaction(&self, start: StartTx) -> StoreResult<StartOutcome> {
        let (item, outcome) = BatchItem::start(start);
        self.write_batch(std::slice::from_ref(&item)).await?;
        outcome.committed()
    }
    /// A stop in a batch of its own; commits before returning.
    async fn stop_transaction(&self, stop: StopTx) -> StoreResult<StopOutcome> {
        let (item, outcome) = BatchItem::stop(stop);
        self.write_batch(std::slice::from_ref(&item)).await?;
        outcome.committed()
    }
    async fn active_transaction_id(
        &self,
        charger_id: i64,
        connector_id: i32,
    ) -> StoreResult<Option<i64>>;
    /// Writes a batch of hot-path items in one database transaction, except its
    /// [`BatchItem::Log`] rows: those are written on their own, best effort (a failing row is
    /// dropped with a warning), and the result is the other items' outcome. So a failed batch
    /// has written its log rows already, and a retry must not send them again.
    async fn write_batch(&self, items: &[BatchItem]) -> StoreResult<()>;
}

/// Cards (OCPP id tags).
#[async_trait]
pub trait CardStore: Send + Sync {
    async fn create_card(&self, card: NewCard) -> StoreResult<Card>;
    async fn list_cards(&self, query: &CardQuery) -> StoreResult<Page<Card>>;
    async fn find_card(&self, team_ids: &[i64], uid: &str) -> StoreResult<Option<Card>>;
    async fn update_card(&self, id: i64, patch: CardPatch) -> StoreResult<()>;
    async fn delete_card(&self, id: i64) -> StoreResult<()>;
}

/// Transactions, meter values and message logs.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    async fn list_transactions(&self, query: &TransactionQuery) -> StoreResult<Page<Transaction>>;
    /// A transaction on a charger within `reach` (the caller's sensitive reach).
    async fn find_transaction(&self, reach: &Reach, id: i64) -> StoreResult<Option<Transaction>>;
    async fn list_meter_values(
        &self,
        query: &MeterValueQuery,
    ) -> StoreResult<Page<StoredMeterValue>>;
    async fn list_logs(&self, query: &LogQuery) -> StoreResult<Page<StoredLogEntry>>;
}

/// A remote action about to be sent.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub charger_id: i64,
    pub user_id: Option<i64>,
    pub action: String,
    pub request: String,
    pub idempotency_key: Option<String>,
}

/// What `begin_action` did.
#[derive(Debug, Clone)]
pub enum BeginAction {
    Started {
        id: i64,
    },
    /// An action with the same idempotency key exists (finished or still pending).
    Existing(Box<crate::model::ActionRecord>),
}

/// Remote actions (audit and idempotency) and the state they leave behind: configuration keys,
/// reservations, installed charging profiles, the local authorization list.
#[async_trait]
pub trait CommandStore: Send + Sync {
    async fn begin_action(&self, action: NewAction) -> StoreResult<BeginAction>;
    async fn finish_action(
        &self,
        id: i64,
        state: &str,
        http_status: i32,
        response: &str,
    ) -> StoreResult<()>;
    async fn find_action(&self, id: i64) -> StoreResult<Option<ActionRecord>>;
    async fn list_actions(
        &self,
        charger_id: i64,
        page: PageRequest,
    ) -> StoreResult<Page<ActionRecord>>;

    /// Stores keys read from the charger; `replace_all` drops keys not in the list first.
    async fn save_configuration(
        &self,
        charger_id: i64,
        keys: &[crate::commands::ConfigKey],
        replace_all: bool,
    ) -> StoreResult<()>;
    async fn list_configuration(&self, charger_id: i64) -> StoreResult<Vec<StoredConfigKey>>;

    /// Creates a pending reservation; its id is the OCPP reservationId.
    async fn create_reservation(
        &self,
        charger_id: i64,
        connector_id: i32,
        id_tag: &str,
        parent_id_tag: Option<&str>,
        expires_at: OffsetDateTime,
    ) -> StoreResult<i64>;
    async fn set_reservation_status(&self, id: i64, status: &str) -> StoreResult<()>;
    /// Reservations of chargers within `reach` (pass the sensitive reach: they carry id tags).
    async fn find_reservation(
        &self,
        reach: &crate::access::Reach,
        id: i64,
    ) -> StoreResult<Option<Reservation>>;
    async fn list_reservations(
        &self,
        reach: &crate::access::Reach,
        charger_id: Option<i64>,
        page: PageRequest,
    ) -> StoreResult<Page<Reservation>>;

    async fn save_profile(
        &self,
        charger_id: i64,
        connector_id: i32,
        profile: &crate::commands::ChargingProfile,
    ) -> StoreResult<()>;
    /// Removes profiles matching every given criterion; returns how many.
    async fn clear_profiles(
        &self,
        charger_id: i64,
        id: Option<i32>,
        connector_id: Option<i32>,
        purpose: Option<&str>,
        stack_level: Option<i32>,
    ) -> StoreResult<u64>;
    async fn list_profiles(&self, charger_id: i64) -> StoreResult<Vec<InstalledProfile>>;

    /// Records the local list the charger accepted (`full` replaces it) and its version.
    async fn save_local_list(
        &self,
        charger_id: i64,
        version: i32,
        full: bool,
        entries: &[crate::commands::LocalListEntry],
    ) -> StoreResult<()>;
    async fn set_local_list_version(&self, charger_id: i64, version: i32) -> StoreResult<()>;
    async fn local_list(
        &self,
        charger_id: i64,
    ) -> StoreResult<(i32, Vec<crate::commands::LocalListEntry>)>;
    /// The cards of the charger's team, as local-list entries.
    async fn cards_for_local_list(&self, charger_id: i64) -> StoreResult<Vec<Card>>;

    /// Registration (boot policy): `pending` until provisioning finished, then `accepted`.
    async fn set_registration_status(&self, charger_id: i64, status: &str) -> StoreResult<()>;
}

/// The whole storage port.
pub trait Store:
    HealthStore
    + AccountStore
    + SiteStore
    + ChargerStore
    + ReportStore
    + CardStore
    + HistoryStore
    + CommandStore
    + crate::lab::LabStore
    + crate::settings::SettingsStore
    + crate::load::LoadStore
    + crate::smart::SmartStore
    + crate::access::AccessStore
    + 'static
{
}

impl<T> Store for T where
    T: HealthStore
        + AccountStore
        + SiteStore
        + ChargerStore
        + ReportStore
        + CardStore
        + HistoryStore
        + CommandStore
        + crate::lab::LabStore
        + crate::settings::SettingsStore
        + crate::load::LoadStore
        + crate::smart::SmartStore
        + crate::access::AccessStore
        + 'static
{
}

/// Every charger a query matches, page after page (for work over a whole site, where the API's
/// page size does not apply).
pub async fn all_chargers(
    store: &(impl ChargerStore + ?Sized),
    mut query: ChargerQuery,
) -> StoreResult<Vec<Charger>> {
    let mut out = Vec::new();
    for page in 1.. {
        query.page = PageRequest::new(page, PageRequest::MAX_PER_PAGE);
        let got = store.list_chargers(&query).await?;
        let n = got.items.len() as u64;
        out.extend(got.items);
        if n < PageRequest::MAX_PER_PAGE {
            break;
        }
    }
    Ok(out)
}
