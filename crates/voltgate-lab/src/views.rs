//! Response shapes of the simulator API, apart from core's domain types. Field order follows the
//! OCPPLAB documents (seed 004, REFERENCE-APIS §1.4); fields they do not have come after theirs.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};
use voltgate_core::lab::{LabCharger, LabLocation};

/// `2025-07-04T13:42:21.000000Z`: RFC 3339 UTC with microseconds, as everywhere in Voltgate.
pub fn format_time(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    at.to_offset(UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// An RFC 3339 date-time, or a `YYYY-MM-DD` date (its midnight, UTC).
pub fn parse_datetime(text: &str) -> Option<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    // A naive date-time is read as UTC, as a date alone is.
    let naive = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Ok(at) = time::PrimitiveDateTime::parse(text, &naive) {
        return Some(at.assume_utc());
    }
    let date = format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &date)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

fn time_opt(at: Option<OffsetDateTime>) -> Option<String> {
    at.map(format_time)
}

/// A paginated list: `{"data", "total", "page", "limit"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListEnvelope<T> {
    pub data: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub limit: u64,
}

/// A simulated charger deployment (seed 004's object, then Voltgate's additions).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChargerView {
    /// The deployment id, used by the CRUD routes.
    pub id: String,
    /// The OCPP charge point identity.
    pub identity: String,
    pub name: Option<String>,
    pub vendor_name: Option<String>,
    pub model: Option<String>,
    pub image_url: Option<String>,
    /// `OCPP1.6`.
    pub ocpp_version: Option<String>,
    pub number_of_connectors: Option<i32>,
    /// In W.
    pub max_charging_power: Option<i64>,
    pub connector_type: Option<String>,
    /// The location's id (uuid).
    pub location_id: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The central system it connects to (this Voltgate's OCPP listener unless set).
    pub ws_url: String,
    pub brand_slug: Option<String>,
    pub model_slug: Option<String>,
    /// The id tag its commands and automatic sessions use when none is given.
    pub id_tag: Option<String>,
    /// `sessions`: it plugs in, charges and unplugs on its own while running.
    pub scenario: Option<String>,
    /// Provisioning: PENDING, PROVISIONING, READY or FAILED.
    pub status: String,
    /// Runtime: stopped, starting, running or reconnecting.
    pub runtime_state: String,
}

impl ChargerView {
    pub fn new(charger: &LabCharger, ws_url: String, runtime_state: &str) -> Self {
        ChargerView {
            id: charger.public_id.clone(),
            identity: charger.identity.clone(),
            name: charger.name.clone(),
            vendor_name: charger.vendor_name.clone(),
            model: charger.model.clone(),
            image_url: charger.image_url.clone(),
            ocpp_version: Some(charger.ocpp_version.clone()),
            number_of_connectors: Some(charger.number_of_connectors),
            max_charging_power: charger.max_charging_power,
            connector_type: charger.connector_type.clone(),
            location_id: charger.location_uuid.map(|u| u.to_string()),
            created_at: Some(format_time(charger.created_at)),
            updated_at: Some(format_time(charger.updated_at)),
            ws_url,
            brand_slug: charger.brand_slug.clone(),
            model_slug: charger.model_slug.clone(),
            id_tag: charger.id_tag.clone(),
            scenario: charger.scenario.clone(),
            status: charger.provisioning.status.as_str().to_owned(),
            runtime_state: runtime_state.to_owned(),
        }
    }
}

/// The 202 answer to a create: poll `status_url` until READY or FAILED.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreateAccepted {
    pub charger_id: String,
    pub identity: String,
    pub status: String,
    pub status_url: String,
    pub workflow_run_id: Option<String>,
}

/// Why provisioning failed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProvisioningErrorView {
    /// e.g. `IDENTITY_TAKEN`, `WS_URL_UNREACHABLE`.
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

/// Provisioning status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub charger_id: String,
    pub identity: String,
    /// PENDING, PROVISIONING, READY or FAILED.
    pub status: String,
    pub workflow_run_id: Option<String>,
    pub error: Option<ProvisioningErrorView>,
    pub provisioned_at: Option<String>,
}

impl StatusView {
    pub fn new(charger: &LabCharger) -> Self {
        let p = &charger.provisioning;
        StatusView {
            charger_id: charger.public_id.clone(),
            identity: charger.identity.clone(),
            status: p.status.as_str().to_owned(),
            workflow_run_id: p.workflow_run_id.clone(),
            error: p.error.as_ref().map(|e| ProvisioningErrorView {
                code: e.code.clone(),
                message: e.message.clone(),
                retryable: e.retryable,
            }),
            provisioned_at: time_opt(p.provisioned_at),
        }
    }
}

/// The runtime part of a runtime event, shaped like OCPPLAB's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuntimePayload {
    /// `voltgate`.
    pub provider: &'static str,
    /// `in_process`: the simulated charger runs inside this Voltgate.
    pub runtime_kind: &'static str,
    /// The identity.
    pub service_name: String,
    /// 1 while it should run, 0 otherwise.
    pub desired_count: u8,
    /// `ACTIVE`.
    pub status: &'static str,
}

/// The answer to start-charger, stop-charger and restart-charger.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuntimeEvent {
    pub id: String,
    pub charger_id: String,
    /// `start_charger`, `stop_charger` or `restart_charger`.
    pub event_type: &'static str,
    pub ocpp_version: String,
    pub payload: RuntimePayload,
    /// stopped, starting, running or reconnecting, right after the event.
    pub runtime_state: String,
}

/// One connector of a running simulated charger.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectorView {
    pub connector_id: u32,
    /// The OCPP status it reported last.
    pub status: String,
    pub error_code: String,
    pub transaction_id: Option<i32>,
    pub ev_plugged: bool,
    /// The EV's own maximum, in A per phase.
    pub ev_max_current: Option<f64>,
    /// Offered by the charger (its maximum and charging profiles), in A per phase.
    pub offered_current: f64,
    /// Drawn now, in A per phase.
    pub current: f64,
    /// In W.
    pub power: f64,
    /// The energy register, in Wh.
    pub energy: u64,
}

/// What a simulated charger's runtime is doing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuntimeView {
    pub charger_id: String,
    pub identity: String,
    /// `running` or `stopped`: what it should do (kept across restarts of Voltgate).
    pub desired_state: &'static str,
    /// stopped, starting, running or reconnecting.
    pub state: String,
    pub connected: bool,
    pub ws_url: String,
    pub started_at: Option<String>,
    /// The last connection error, while it cannot connect.
    pub last_error: Option<String>,
    pub connectors: Vec<ConnectorView>,
}

/// One OCPP frame.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogView {
    /// Position in the charger's log (increases by one per frame).
    pub id: u64,
    /// `cp_to_csms` or `csms_to_cp`.
    pub direction: &'static str,
    /// The action of a CALL, or of the CALL a CALLRESULT/CALLERROR answers (when still logged).
    pub action: Option<String>,
    /// CALL, CALLRESULT, CALLERROR (or UNKNOWN for a frame that is not OCPP-J).
    pub message_type: &'static str,
    /// The raw OCPP-J frame.
    pub message: String,
    pub timestamp: String,
}

/// A page of frames: `{"data", "total", "limit", "offset"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogsEnvelope {
    pub data: Vec<LogView>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// A location.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LocationView {
    /// uuid.
    pub id: String,
    pub name: String,
    pub slug: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub timezone: Option<String>,
    pub owner_name: Option<String>,
    pub public: bool,
    /// `active`.
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&LabLocation> for LocationView {
    fn from(l: &LabLocation) -> Self {
        LocationView {
            id: l.uuid.to_string(),
            name: l.name.clone(),
            slug: l.slug.clone(),
            address: l.address.clone(),
            city: l.city.clone(),
            country: l.country.clone(),
            coordinates: l
                .latitude
                .zip(l.longitude)
                .map(|(latitude, longitude)| Coordinates {
                    latitude,
                    longitude,
                }),
            timezone: l.timezone.clone(),
            owner_name: l.owner_name.clone(),
            public: l.public,
            status: l.status.clone(),
            created_at: format_time(l.created_at),
            updated_at: format_time(l.updated_at),
        }
    }
}

/// A command on a simulated charger: queued, then run in order on its runtime.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommandView {
    pub command_id: String,
    /// e.g. `plug`, `start-session`.
    pub command: String,
    /// The deployment id.
    pub charger_id: String,
    pub identity: String,
    /// QUEUED, RUNNING, SUCCEEDED or FAILED.
    pub status: &'static str,
    pub status_url: String,
    /// The parameters it runs with (defaults filled in).
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// What it produced, e.g. `{"transaction_id": 7}`.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_have_microseconds_and_a_z() {
        assert_eq!(
            format_time(datetime!(2025-07-04 13:42:21.5 +02:00)),
            "2025-07-04T11:42:21.500000Z"
        );
    }

    #[test]
    fn reads_datetimes_dates_and_naive_times() {
        let at = datetime!(2025-07-04 0:00 UTC);
        assert_eq!(parse_datetime("2025-07-04"), Some(at));
        assert_eq!(parse_datetime("2025-07-04T00:00:00"), Some(at));
        assert_eq!(parse_datetime("2025-07-04T02:00:00+02:00"), Some(at));
        assert_eq!(parse_datetime("yesterday"), None);
    }
}
