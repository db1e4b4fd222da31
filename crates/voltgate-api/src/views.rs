//! What the API answers with: response shapes apart from domain types (rust-registry's
//! "views"), field names and order following the Volttime v3 seed.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use voltgate_core::access::Permissions;
use voltgate_core::model::{
    Card, Charger, Connector, Membership, Site, StoredLogEntry, StoredMeterValue, Team,
    Transaction, User,
};

use crate::time_fmt::{format, format_opt};

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub uuid: Uuid,
    pub id: i64,
    pub name: String,
    pub email: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            uuid: u.uuid,
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            created_at: format(u.created_at),
            updated_at: format(u.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    pub uuid: Uuid,
    pub id: i64,
    pub is_personal_team: bool,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub email: Option<String>,
    /// The caller's role in the team: owner, admin or member.
    pub role: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl TeamView {
    pub fn new(t: &Team, role: Option<&str>) -> Self {
        Self {
            uuid: t.uuid,
            id: t.id,
            is_personal_team: t.is_personal_team,
            name: t.name.clone(),
            kind: t.kind.clone(),
            email: t.email.clone(),
            role: role.map(str::to_owned),
            created_at: format(t.created_at),
            updated_at: format(t.updated_at),
        }
    }
}

impl From<&Membership> for TeamView {
    fn from(m: &Membership) -> Self {
        Self::new(&m.team, Some(m.role.as_str()))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    pub uuid: Uuid,
    pub id: i64,
    pub team_uuid: Uuid,
    pub name: String,
    /// The address on one line.
    pub address: String,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub house_number_addition: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: String,
    pub chargers_count: i64,
    pub permissions: PermissionsView,
    pub created_at: String,
    pub updated_at: String,
}

/// What the caller may do with the object (Volttime's `permissions{basic, sensitive, full}`):
/// see it, see its sensitive data, own it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct PermissionsView {
    pub basic: bool,
    pub sensitive: bool,
    pub full: bool,
}

impl From<Permissions> for PermissionsView {
    fn from(p: Permissions) -> Self {
        Self {
            basic: p.basic,
            sensitive: p.sensitive,
            full: p.full,
        }
    }
}

impl SiteView {
    pub fn new(s: &Site, permissions: Permissions) -> Self {
        let a = &s.address;
        let street = [
            a.street.as_deref(),
            a.house_number.as_deref(),
            a.house_number_addition.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let town = [a.postal_code.as_deref(), a.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let address = [
            street.as_str(),
            town.as_str(),
            a.country.as_deref().unwrap_or(""),
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
        Self {
            uuid: s.uuid,
            id: s.id,
            team_uuid: s.team_uuid,
            name: a.name.clone(),
            address,
            street: a.street.clone(),
            house_number: a.house_number.clone(),
            house_number_addition: a.house_number_addition.clone(),
            postal_code: a.postal_code.clone(),
            city: a.city.clone(),
            country: a.country.clone(),
            latitude: a.latitude,
            longitude: a.longitude,
            timezone: a.timezone.clone(),
            chargers_count: s.chargers_count,
            permissions: permissions.into(),
            created_at: format(s.created_at),
            updated_at: format(s.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Licenses {
    pub smart: bool,
    pub pro: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorView {
    pub id: i64,
    pub charger_uuid: Uuid,
    /// The OCPP connector number (1, 2, ...).
    pub connector_id: i32,
    pub status: Option<String>,
    pub error: Option<String>,
    pub error_info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    pub status_at: Option<String>,
    pub max_amperage: Option<i32>,
    pub phase_rotation: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl ConnectorView {
    pub fn new(c: &Connector, charger_uuid: Uuid) -> Self {
        Self {
            id: c.id,
            charger_uuid,
            connector_id: c.connector_id,
            status: c.status.clone(),
            error: c.error.clone(),
            error_info: c.error_info.clone(),
            vendor_id: c.vendor_id.clone(),
            vendor_error_code: c.vendor_error_code.clone(),
            status_at: format_opt(c.status_at),
            max_amperage: c.max_amperage,
            phase_rotation: c.phase_rotation.clone(),
            created_at: format(c.created_at),
            updated_at: format(c.updated_at),
        }
    }
}

/// A charger: the seed-000 fields first, then what the charger told us about itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargerView {
    pub uuid: Uuid,
    pub id: i64,
    pub identity: String,
    pub reference: Option<String>,
    /// never_seen, online or offline.
    pub connection_status: String,
    /// Status of connector 0 (the charger as a whole), as OCPP reports it.
    pub status: Option<String>,
    pub error: Option<String>,
    pub error_info: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub licenses: Licenses,
    pub team_uuid: Uuid,
    pub site_uuid: Option<Uuid>,
    /// Needed to attach the charger to a site; only with sensitive-data access (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pincode: Option<String>,
    pub permissions: PermissionsView,
    /// Whether the charger must authenticate with HTTP Basic (the password itself is never shown).
    pub has_password: bool,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub charge_point_serial_number: Option<String>,
    pub charge_box_serial_number: Option<String>,
    pub firmware_version: Option<String>,
    pub iccid: Option<String>,
    pub imsi: Option<String>,
    pub meter_type: Option<String>,
    pub meter_serial_number: Option<String>,
    pub ocpp_version: Option<String>,
    pub firmware_status: Option<String>,
    pub diagnostics_status: Option<String>,
    /// accept or pending; null follows the server default.
    pub boot_policy: Option<String>,
    /// pending while Voltgate provisions the charger, then accepted.
    pub registration_status: Option<String>,
    /// Version of the local authorization list the charger last accepted or reported.
    pub local_list_version: Option<i32>,
    pub last_boot_at: Option<String>,
    pub last_connection_at: Option<String>,
    pub last_disconnection_at: Option<String>,
    pub last_heartbeat_at: Option<String>,
    pub connectors: Vec<ConnectorView>,
}

impl ChargerView {
    /// The charger as a caller with `permissions` sees it: sensitive fields only with sensitive access.
    pub fn new(c: &Charger, connectors: &[Connector], permissions: Permissions) -> Self {
        let boot = c.boot.as_ref();
        let b = |f: fn(&voltgate_core::model::BootInfo) -> Option<String>| boot.and_then(f);
        Self {
            uuid: c.uuid,
            id: c.id,
            identity: c.identity.clone(),
            reference: c.reference.clone(),
            connection_status: c.connection_status.as_str().to_owned(),
            status: c.status.clone(),
            error: c.error.clone(),
            error_info: c.error_info.clone(),
            created_at: format(c.created_at),
            updated_at: format(c.updated_at),
            licenses: Licenses {
                smart: c.license_smart,
                pro: c.license_pro,
            },
            team_uuid: c.team_uuid,
            site_uuid: c.site_uuid,
            pincode: permissions.sensitive.then(|| c.pincode.clone()),
            permissions: permissions.into(),
            has_password: c.password_hash.is_some(),
            vendor_id: c.vendor_id.clone(),
            vendor_error_code: c.vendor_error_code.clone(),
            vendor: b(|b| Some(b.vendor.clone())),
            model: b(|b| Some(b.model.clone())),
            charge_point_serial_number: b(|b| b.charge_point_serial_number.clone()),
            charge_box_serial_number: b(|b| b.charge_box_serial_number.clone()),
            firmware_version: b(|b| b.firmware_version.clone()),
            iccid: b(|b| b.iccid.clone()),
            imsi: b(|b| b.imsi.clone()),
            meter_type: b(|b| b.meter_type.clone()),
            meter_serial_number: b(|b| b.meter_serial_number.clone()),
            ocpp_version: c.ocpp_version.clone(),
            firmware_status: c.firmware_status.clone(),
            diagnostics_status: c.diagnostics_status.clone(),
            boot_policy: c.boot_policy.clone(),
            registration_status: c.registration_status.clone(),
            local_list_version: c.local_list_version,
            last_boot_at: format_opt(c.last_boot_at),
            last_connection_at: format_opt(c.last_connection_at),
            last_disconnection_at: format_opt(c.last_disconnection_at),
            last_heartbeat_at: format_opt(c.last_heartbeat_at),
            connectors: connectors
                .iter()
                .filter(|k| k.charger_id == c.id)
                .map(|k| ConnectorView::new(k, c.uuid))
                .collect(),
        }
    }
}

/// The deprecated v2 charger (seed 001): the `deprecation` notice first, no licenses.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargerV2View {
    pub deprecation: &'static str,
    pub uuid: Uuid,
    pub id: i64,
    pub identity: String,
    pub reference: Option<String>,
    pub connection_status: String,
    pub status: Option<String>,
    pub error: Option<String>,
    pub error_info: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Charger> for ChargerV2View {
    fn from(c: &Charger) -> Self {
        Self {
            deprecation: "charger.id is deprecated. Use charger.uuid instead.",
            uuid: c.uuid,
            id: c.id,
            identity: c.identity.clone(),
            reference: c.reference.clone(),
            connection_status: c.connection_status.as_str().to_owned(),
            status: c.status.clone(),
            error: c.error.clone(),
            error_info: c.error_info.clone(),
            created_at: format(c.created_at),
            updated_at: format(c.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CardView {
    pub uuid: Uuid,
    pub id: i64,
    pub uid: String,
    pub name: Option<String>,
    /// accepted, blocked or expired.
    pub status: String,
    pub expires_at: Option<String>,
    pub parent_uid: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Card> for CardView {
    fn from(c: &Card) -> Self {
        Self {
            uuid: c.uuid,
            id: c.id,
            uid: c.uid.clone(),
            name: c.name.clone(),
            status: c.status.as_str().to_owned(),
            expires_at: format_opt(c.expires_at),
            parent_uid: c.parent_uid.clone(),
            created_at: format(c.created_at),
            updated_at: format(c.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionCharger {
    pub uuid: Uuid,
    pub identity: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionView {
    /// The OCPP transactionId.
    pub id: i64,
    pub uuid: Uuid,
    /// active or finished.
    pub status: String,
    pub charger_uuid: Uuid,
    pub connector_id: i32,
    pub id_tag: Option<String>,
    /// Energy register at the start, in Wh.
    pub meter_start: i64,
    /// Energy register at the stop, in Wh.
    pub meter_stop: Option<i64>,
    /// Energy delivered in kWh, as a decimal string ("7.00").
    pub total_kwh: Option<String>,
    pub started_at: String,
    pub stopped_at: Option<String>,
    pub stop_reason: Option<String>,
    pub stop_id_tag: Option<String>,
    pub reservation_id: Option<i64>,
    /// Set when the charger stopped a transaction Voltgate never started: the id it used.
    pub orphan_transaction_id: Option<i64>,
    pub charger: TransactionCharger,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Transaction> for TransactionView {
    fn from(t: &Transaction) -> Self {
        Self {
            id: t.id,
            uuid: t.uuid,
            status: t.status.as_str().to_owned(),
            charger_uuid: t.charger_uuid,
            connector_id: t.connector_id,
            id_tag: t.id_tag.clone(),
            meter_start: t.meter_start,
            meter_stop: t.meter_stop,
            total_kwh: t.energy_wh().map(|wh| format!("{:.2}", wh as f64 / 1000.0)),
            started_at: format(t.started_at),
            stopped_at: format_opt(t.stopped_at),
            stop_reason: t.stop_reason.clone(),
            stop_id_tag: t.stop_id_tag.clone(),
            reservation_id: t.reservation_id,
            orphan_transaction_id: t.orphan_transaction_id,
            charger: TransactionCharger {
                uuid: t.charger_uuid,
                identity: t.charger_identity.clone(),
            },
            created_at: format(t.created_at),
            updated_at: format(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeterValueView {
    pub id: i64,
    pub connector_id: i32,
    pub transaction_id: Option<i64>,
    pub timestamp: String,
    pub value: String,
    pub measurand: Option<String>,
    pub phase: Option<String>,
    pub unit: Option<String>,
    pub context: Option<String>,
    pub location: Option<String>,
    pub format: Option<String>,
}

impl From<&StoredMeterValue> for MeterValueView {
    fn from(m: &StoredMeterValue) -> Self {
        let s = &m.sample;
        Self {
            id: m.id,
            connector_id: s.connector_id,
            transaction_id: s.transaction_id,
            timestamp: format(s.timestamp),
            value: s.value.clone(),
            measurand: s.measurand.clone(),
            phase: s.phase.clone(),
            unit: s.unit.clone(),
            context: s.context.clone(),
            location: s.location.clone(),
            format: s.format.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogView {
    pub id: i64,
    /// cp_to_csms or csms_to_cp.
    pub direction: String,
    /// 2 CALL, 3 CALLRESULT, 4 CALLERROR, 0 unparseable.
    pub message_type: i16,
    pub action: Option<String>,
    pub message_id: Option<String>,
    /// The frame as it travelled on the wire.
    pub payload: String,
    pub created_at: String,
}

impl From<&StoredLogEntry> for LogView {
    fn from(l: &StoredLogEntry) -> Self {
        let e = &l.entry;
        Self {
            id: l.id,
            direction: e.direction.as_str().to_owned(),
            message_type: e.message_type,
            action: e.action.clone(),
            message_id: e.message_id.clone(),
            payload: e.payload.clone(),
            created_at: format(e.created_at),
        }
    }
}
