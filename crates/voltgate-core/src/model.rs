//! Domain objects as core and its callers see them (storage rows stay private to the store).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::types::{CardStatus, ConnectionStatus, Direction, TeamRole, TransactionStatus};

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub uuid: Uuid,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: i64,
    pub uuid: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub kind: String,
    pub is_personal_team: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A team the caller belongs to, with the caller's role in it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub team: Team,
    pub role: TeamRole,
}

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    pub uuid: Uuid,
    pub user_id: i64,
    pub name: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct Address {
    pub name: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub house_number_addition: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: String,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub id: i64,
    pub uuid: Uuid,
    pub team_id: i64,
    pub team_uuid: Uuid,
    pub address: Address,
    pub chargers_count: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What a charger told us about itself in BootNotification.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BootInfo {
    pub vendor: String,
    pub model: String,
    pub charge_point_serial_number: Option<String>,
    pub charge_box_serial_number: Option<String>,
    pub firmware_version: Option<String>,
    pub iccid: Option<String>,
    pub imsi: Option<String>,
    pub meter_type: Option<String>,
    pub meter_serial_number: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Charger {
    pub id: i64,
    pub uuid: Uuid,
    pub team_id: i64,
    pub team_uuid: Uuid,
    pub site_id: Option<i64>,
    pub site_uuid: Option<Uuid>,
    pub identity: String,
    pub reference: Option<String>,
    /// SHA-256 of the OCPP Basic-auth password, if the charger has one. Never shown.
    pub password_hash: Option<String>,
    pub pincode: String,
    pub connection_status: ConnectionStatus,
    pub status: Option<String>,
    pub error: Option<String>,
    pub error_info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    pub boot: Option<BootInfo>,
    pub ocpp_version: Option<String>,
    pub license_smart: bool,
    pub license_pro: bool,
    pub firmware_status: Option<String>,
    pub diagnostics_status: Option<String>,
    /// `accept` or `pending`; None follows the server's default.
    pub boot_policy: Option<String>,
    /// `pending` while Voltgate provisions the charger, then `accepted`.
    pub registration_status: Option<String>,
    pub local_list_version: Option<i32>,
    pub last_boot_at: Option<OffsetDateTime>,
    pub last_connection_at: Option<OffsetDateTime>,
    pub last_disconnection_at: Option<OffsetDateTime>,
    pub last_heartbeat_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Connector {
    pub id: i64,
    pub charger_id: i64,
    pub connector_id: i32,
    pub status: Option<String>,
    pub error: Option<String>,
    pub error_info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    pub status_at: Option<OffsetDateTime>,
    pub max_amperage: Option<i32>,
    pub phase_rotation: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Card {
    pub id: i64,
    pub uuid: Uuid,
    pub team_id: i64,
    pub uid: String,
    pub name: Option<String>,
    pub status: CardStatus,
    pub expires_at: Option<OffsetDateTime>,
    pub parent_uid: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Transaction {
    /// The OCPP transactionId Voltgate handed out (or, for an orphan, a new id).
    pub id: i64,
    pub uuid: Uuid,
    pub charger_id: i64,
    pub charger_uuid: Uuid,
    pub charger_identity: String,
    pub connector_id: i32,
    pub id_tag: Option<String>,
    pub status: TransactionStatus,
    pub meter_start: i64,
    pub meter_stop: Option<i64>,
    pub started_at: OffsetDateTime,
    pub stopped_at: Option<OffsetDateTime>,
    pub stop_reason: Option<String>,
    pub stop_id_tag: Option<String>,
    pub reservation_id: Option<i64>,
    /// Set when a StopTransaction named an id Voltgate never handed out.
    pub orphan_transaction_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Transaction {
    /// Energy in Wh, when stopped.
    pub fn energy_wh(&self) -> Option<i64> {
        self.meter_stop.map(|stop| (stop - self.meter_start).max(0))
    }
}

/// One sampled value of a MeterValues (or StopTransaction transactionData) report.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterSample {
    pub charger_id: i64,
    pub connector_id: i32,
    pub transaction_id: Option<i64>,
    pub timestamp: OffsetDateTime,
    pub value: String,
    pub context: Option<String>,
    pub format: Option<String>,
    pub measurand: Option<String>,
    pub phase: Option<String>,
    pub location: Option<String>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StoredMeterValue {
    pub id: i64,
    pub sample: MeterSample,
}

/// One OCPP frame in or out, as written to the message log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub charger_id: i64,
    pub direction: Direction,
    /// 2 CALL, 3 CALLRESULT, 4 CALLERROR; 0 for a frame that could not be parsed.
    pub message_type: i16,
    pub action: Option<String>,
    pub message_id: Option<String>,
    pub payload: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct StoredLogEntry {
    pub id: i64,
    pub entry: LogEntry,
}

/// One remote action as it was asked for and answered (the audit trail).
#[derive(Debug, Clone)]
pub struct ActionRecord {
    pub id: i64,
    pub uuid: Uuid,
    pub charger_id: i64,
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub action: String,
    /// The request body as received (JSON text).
    pub request: String,
    pub idempotency_key: Option<String>,
    /// pending, succeeded or failed.
    pub state: String,
    pub http_status: Option<i32>,
    /// The response body as sent (JSON text).
    pub response: Option<String>,
    pub created_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
}

/// A configuration key last read from the charger.
#[derive(Debug, Clone)]
pub struct StoredConfigKey {
    pub key: String,
    pub value: Option<String>,
    pub readonly: bool,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Reservation {
    /// The OCPP reservationId.
    pub id: i64,
    pub uuid: Uuid,
    pub charger_id: i64,
    pub charger_uuid: Uuid,
    pub connector_id: i32,
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    pub expires_at: OffsetDateTime,
    /// pending, active, rejected, used, cancelled; `expired` is derived from `expires_at`.
    pub status: String,
    pub transaction_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Reservation {
    /// The status as seen at `now`: an active reservation past its expiry is expired.
    pub fn status_at(&self, now: OffsetDateTime) -> &str {
        if self.status == "active" && self.expires_at <= now {
            "expired"
        } else {
            &self.status
        }
    }
}

/// A charging profile the charger accepted.
#[derive(Debug, Clone)]
pub struct InstalledProfile {
    pub connector_id: i32,
    pub profile: crate::commands::ChargingProfile,
    pub installed_at: OffsetDateTime,
}
