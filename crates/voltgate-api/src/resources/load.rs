//! Site load management (issue 6): `GET/PUT /sites/{site}/load-management` with Zaptec's
//! installation semantics (main fuse, available current for all phases or per phase, a negative
//! value clears an override) and the live allocation; AMPECO-style nested circuits with chargers
//! attached by priority (`/sites/{site}/circuits...`); and Volttime's connector `power-usage`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use voltgate_core::load::{CircuitFields, CircuitRecord, LatestReading, LoadSettings};
use voltgate_core::load_control;
use voltgate_core::model::{Charger, Site};

use super::chargers::visible_charger;
use super::path_uuid;
use super::sites::visible_site;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::time_fmt::{format, format_opt};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route(
            "/sites/{site}/load-management",
            get(show).put(update).patch(update),
        )
        .route(
            "/sites/{site}/circuits",
            get(list_circuits).post(create_circuit),
        )
        .route(
            "/sites/{site}/circuits/{circuit}",
            get(show_circuit)
                .put(update_circuit)
                .patch(update_circuit)
                .delete(delete_circuit),
        )
        .route(
            "/sites/{site}/circuits/{circuit}/chargers/{charger}",
            put(attach_charger).delete(detach_charger),
        )
        .route(
            "/chargers/{charger}/connectors/{connector_id}/power-usage",
            get(power_usage),
        )
}

/// The largest current accepted anywhere, and what an unset limit stands for.
const MAX_AMPS: f64 = load_control::UNLIMITED;

const PHASE_NAMES: [&str; 3] = ["L1", "L2", "L3"];

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ChargerAllocationView {
    pub uuid: String,
    pub identity: String,
    /// The circuit it hangs below; null: directly below the site's fuse.
    pub circuit_uuid: Option<String>,
    pub priority: i32,
    /// The site phases it draws on (L1, L2, L3).
    pub phases: Vec<String>,
    /// Amperes per phase it may draw (0 when idle or paused).
    pub current: f64,
    /// idle, unmanaged, paused, at_cap or circuit_limit.
    pub reason: String,
    pub min_current: f64,
    pub max_current: f64,
    /// Has the smart license (unmanaged chargers count at their maximum).
    pub managed: bool,
    /// Has an active session.
    pub active: bool,
    /// Highest recent Current.Import on any phase, if known.
    pub measured_current: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct LoadManagementView {
    /// The main fuse, A.
    pub max_current: Option<f64>,
    pub available_current: Option<f64>,
    pub available_current_phase1: Option<f64>,
    pub available_current_phase2: Option<f64>,
    pub available_current_phase3: Option<f64>,
    pub three_to_one_phase_switch_current: Option<f64>,
    /// The minimum current of chargers without one of their own.
    pub minimum_current: Option<f64>,
    pub updated_at: Option<String>,
    /// What the site may draw per phase (L1, L2, L3): the fuse lowered by the available current;
    /// 10,000 when nothing is set.
    pub phase_limits: Vec<f64>,
    /// The allocated (and unmanaged) current per phase.
    pub allocated_per_phase: Vec<f64>,
    /// The live allocation, per charger of the site.
    pub allocation: Vec<ChargerAllocationView>,
}

/// The site's live allocation, as the load controller computes it.
async fn site_allocation(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
) -> ApiResult<(LoadSettings, [f64; 3], [f64; 3], Vec<ChargerAllocationView>)> {
    let computed = state.load.compute(site).await?;
    let per_phase = computed.per_phase();
    let views = computed
        .entries
        .iter()
        // Limited asset access: the other chargers count in the totals but are not listed.
        .filter(|e| caller.scope.basic.charger(&e.charger))
        .map(|e| ChargerAllocationView {
            uuid: e.charger.uuid.to_string(),
            identity: e.charger.identity.clone(),
            circuit_uuid: e.circuit_uuid.map(|u| u.to_string()),
            priority: e.load.priority,
            phases: e
                .allocation
                .phases
                .iter()
                .map(|p| PHASE_NAMES[*p].to_owned())
                .collect(),
            current: (e.allocation.current * 10.0).floor() / 10.0,
            reason: load_control::reason_name(e.allocation.reason).to_owned(),
            min_current: e.load.min_current,
            max_current: e.load.max_current,
            managed: e.load.managed,
            active: e.load.active,
            measured_current: e.measured,
        })
        .collect();
    Ok((computed.settings, computed.limits, per_phase, views))
}

async fn load_view(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
) -> ApiResult<LoadManagementView> {
    let (s, limits, per_phase, allocation) = site_allocation(state, caller, site).await?;
    Ok(LoadManagementView {
        max_current: s.max_current,
        available_current: s.available_current,
        available_current_phase1: s.available_current_phase1,
        available_current_phase2: s.available_current_phase2,
        available_current_phase3: s.available_current_phase3,
        three_to_one_phase_switch_current: s.three_to_one_phase_switch_current,
        minimum_current: s.minimum_current,
        updated_at: format_opt(s.updated_at),
        phase_limits: limits.to_vec(),
        allocated_per_phase: per_phase.map(|a| (a * 10.0).round() / 10.0).to_vec(),
        allocation,
    })
}

#[utoipa::path(get, path = "/api/v3/sites/{site}/load-management", tag = "Load management", params(("site" = String, Path)),
    responses((status = 200, body = inline(Data<LoadManagementView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<Data<LoadManagementView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    Ok(data(load_view(&state, &caller, &site).await?))
}

/// An available-current field: a negative value (or null) clears the override.
fn available(b: &mut Body, field: &str) -> Option<Option<f64>> {
    let v = b.opt_f64(field, f64::MIN, f64::MAX)?;
    match v {
        Some(a) if a > MAX_AMPS => {
            b.error(field, "Must not be greater than 10000.");
            None
        }
        Some(a) if a < 0.0 => Some(None),
        other => Some(other),
    }
}

const AVAILABLE: [&str; 4] = [
    "available_current",
    "available_current_phase1",
    "available_current_phase2",
    "available_current_phase3",
];

/// Partial update: only the fields sent change.
#[utoipa::path(put, path = "/api/v3/sites/{site}/load-management", tag = "Load management", params(("site" = String, Path)),
    request_body(content = Object, description = "Any of max_current, available_current, available_current_phase1..3 (negative clears), three_to_one_phase_switch_current, minimum_current"),
    responses((status = 200, body = inline(Data<LoadManagementView>)), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<LoadManagementView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&[
        "max_current",
        "available_current",
        "available_current_phase1",
        "available_current_phase2",
        "available_current_phase3",
        "three_to_one_phase_switch_current",
        "minimum_current",
    ]);
    let mut next = state.store.load_settings(site.id).await?;
    if let Some(v) = b.opt_f64("max_current", 0.0, MAX_AMPS) {
        next.max_current = v;
    }
    for field in AVAILABLE {
        if let Some(v) = available(&mut b, field) {
            match field {
                "available_current" => next.available_current = v,
                "available_current_phase1" => next.available_current_phase1 = v,
                "available_current_phase2" => next.available_current_phase2 = v,
                _ => next.available_current_phase3 = v,
            }
        }
    }
    if let Some(v) = b.opt_f64("three_to_one_phase_switch_current", 0.0, MAX_AMPS) {
        next.three_to_one_phase_switch_current = v;
    }
    if let Some(v) = b.opt_f64("minimum_current", 0.0, MAX_AMPS) {
        next.minimum_current = v;
    }
    if let Some(max) = next.max_current {
        for (field, v) in AVAILABLE.iter().zip([
            next.available_current,
            next.available_current_phase1,
            next.available_current_phase2,
            next.available_current_phase3,
        ]) {
            if v.is_some_and(|v| v > max) {
                if b.has(field) {
                    b.error(field, "Must not be greater than max_current.");
                } else {
                    b.error(
                        "max_current",
                        &format!("Must not be less than {field} ({}).", v.unwrap_or(0.0)),
                    );
                }
            }
        }
    }
    b.finish()?;
    if !caller.can_write(site.team_id) {
        return Err(ApiError::Forbidden);
    }
    state.store.save_load_settings(site.id, &next).await?;
    state.load.events().site_changed(site.id);
    Ok(data(load_view(&state, &caller, &site).await?))
}

// ---- circuits ----

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CircuitChargerView {
    pub uuid: String,
    pub identity: String,
    pub priority: i32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CircuitView {
    pub uuid: String,
    pub name: String,
    /// A, on each of its phases.
    pub max_current: f64,
    /// 1 or 3.
    pub phases: i32,
    /// null: directly below the site's fuse.
    pub parent_circuit_uuid: Option<String>,
    pub chargers: Vec<CircuitChargerView>,
    pub created_at: String,
    pub updated_at: String,
}

async fn circuit_views(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
    only: Option<i64>,
) -> ApiResult<Vec<CircuitView>> {
    let records = state.store.list_circuits(site.id).await?;
    let attached = state.store.circuit_chargers(site.id).await?;
    let chargers = if attached.is_empty() {
        vec![]
    } else {
        load_control::site_chargers(state.store.as_ref(), site).await?
    };
    let uuid_of: HashMap<i64, String> =
        records.iter().map(|c| (c.id, c.uuid.to_string())).collect();
    Ok(records
        .iter()
        .filter(|c| only.is_none_or(|id| id == c.id))
        .map(|c| CircuitView {
            uuid: c.uuid.to_string(),
            name: c.name.clone(),
            max_current: c.max_current,
            phases: c.phases,
            parent_circuit_uuid: c.parent_id.and_then(|p| uuid_of.get(&p).cloned()),
            chargers: attached
                .iter()
                .filter(|a| a.circuit_id == c.id)
                .filter_map(|a| {
                    // Limited asset access: the other chargers are not there for this caller.
                    let ch = chargers
                        .iter()
                        .find(|ch| ch.id == a.charger_id && caller.scope.basic.charger(ch))?;
                    Some(CircuitChargerView {
                        uuid: ch.uuid.to_string(),
                        identity: ch.identity.clone(),
                        priority: a.priority,
                    })
                })
                .collect(),
            created_at: format(c.created_at),
            updated_at: format(c.updated_at),
        })
        .collect())
}

async fn one_view(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
    id: i64,
) -> ApiResult<CircuitView> {
    circuit_views(state, caller, site, Some(id))
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

async fn visible_circuit(state: &ApiState, site: &Site, circuit: &str) -> ApiResult<CircuitRecord> {
    let uuid = path_uuid(circuit)?;
    state
        .store
        .find_circuit(site.id, uuid)
        .await?
        .ok_or(ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/v3/sites/{site}/circuits", tag = "Load management", params(("site" = String, Path)),
    responses((status = 200, body = inline(Data<Vec<CircuitView>>)), (status = 404)))]
pub(crate) async fn list_circuits(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<Data<Vec<CircuitView>>>> {
    let site = visible_site(&state, &caller, &site).await?;
    Ok(data(circuit_views(&state, &caller, &site, None).await?))
}

#[utoipa::path(get, path = "/api/v3/sites/{site}/circuits/{circuit}", tag = "Load management", params(("site" = String, Path), ("circuit" = String, Path)),
    responses((status = 200, body = inline(Data<CircuitView>)), (status = 404)))]
pub(crate) async fn show_circuit(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, circuit)): Path<(String, String)>,
) -> ApiResult<Json<Data<CircuitView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let c = visible_circuit(&state, &site, &circuit).await?;
    Ok(data(one_view(&state, &caller, &site, c.id).await?))
}

/// Validates a circuit body onto `fields`; `id` is the circuit being changed (None: new).
async fn circuit_fields(
    state: &ApiState,
    site: &Site,
    b: &mut Body,
    fields: &mut CircuitFields,
    id: Option<i64>,
) -> ApiResult<()> {
    b.only(&["name", "max_current", "phases", "parent_circuit_uuid"]);
    let creating = id.is_none();
    if creating || b.has("name") {
        if let Some(name) = b.required_string("name", 255) {
            fields.name = name;
        }
    }
    if creating && !b.has("max_current") {
        b.error("max_current", "This field is required.");
    }
    match b.opt_f64("max_current", 0.0, MAX_AMPS) {
        Some(Some(v)) if v > 0.0 => fields.max_current = v,
        Some(Some(_)) => b.error("max_current", "Must be greater than 0."),
        Some(None) => b.error("max_current", "This field is required."),
        None => {}
    }
    if creating && !b.has("phases") {
        b.error("phases", "This field is required.");
    }
    match b.opt_i64("phases", 1, 3) {
        Some(Some(p @ (1 | 3))) => fields.phases = p as i32,
        Some(Some(_)) => b.error("phases", "Must be 1 or 3."),
        Some(None) => b.error("phases", "This field is required."),
        None => {}
    }
    if let Some(parent) = b.opt_uuid("parent_circuit_uuid") {
        match parent {
            None => fields.parent_id = None,
            Some(uuid) => match state.store.find_circuit(site.id, uuid).await? {
                None => b.error("parent_circuit_uuid", "Must be a circuit of this site."),
                Some(p) => {
                    // No cycles: the new parent must not be the circuit or below it.
                    if let Some(me) = id {
                        let all = state.store.list_circuits(site.id).await?;
                        let mut at = Some(p.id);
                        let mut hops = 0;
                        let mut cycle = false;
                        while let Some(x) = at {
                            if x == me {
                                cycle = true;
                                break;
                            }
                            at = all.iter().find(|c| c.id == x).and_then(|c| c.parent_id);
                            hops += 1;
                            if hops > all.len() {
                                break;
                            }
                        }
                        if cycle {
                            b.error(
                                "parent_circuit_uuid",
                                "Must not be the circuit itself or one of its sub-circuits.",
                            );
                        }
                    }
                    fields.parent_id = Some(p.id);
                }
            },
        }
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v3/sites/{site}/circuits", tag = "Load management", params(("site" = String, Path)),
    request_body(content = Object, description = "name, max_current (> 0 A), phases (1 or 3), parent_circuit_uuid (optional)"),
    responses((status = 201, body = inline(Data<CircuitView>)), (status = 404), (status = 422)))]
pub(crate) async fn create_circuit(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<CircuitView>>)> {
    let site = visible_site(&state, &caller, &site).await?;
    let mut b = Body::parse(&bytes)?;
    let mut fields = CircuitFields {
        parent_id: None,
        name: String::new(),
        max_current: 0.0,
        phases: 3,
    };
    circuit_fields(&state, &site, &mut b, &mut fields, None).await?;
    b.finish()?;
    if !caller.can_write(site.team_id) {
        return Err(ApiError::Forbidden);
    }
    let c = state.store.create_circuit(site.id, &fields).await?;
    state.load.events().site_changed(site.id);
    Ok((
        StatusCode::CREATED,
        data(one_view(&state, &caller, &site, c.id).await?),
    ))
}

#[utoipa::path(put, path = "/api/v3/sites/{site}/circuits/{circuit}", tag = "Load management", params(("site" = String, Path), ("circuit" = String, Path)),
    request_body(content = Object, description = "Any of name, max_current, phases, parent_circuit_uuid"),
    responses((status = 200, body = inline(Data<CircuitView>)), (status = 404), (status = 422)))]
pub(crate) async fn update_circuit(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, circuit)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<CircuitView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let c = visible_circuit(&state, &site, &circuit).await?;
    let mut b = Body::parse(&bytes)?;
    let mut fields = CircuitFields {
        parent_id: c.parent_id,
        name: c.name.clone(),
        max_current: c.max_current,
        phases: c.phases,
    };
    circuit_fields(&state, &site, &mut b, &mut fields, Some(c.id)).await?;
    b.finish()?;
    if !caller.can_write(site.team_id) {
        return Err(ApiError::Forbidden);
    }
    state.store.update_circuit(c.id, &fields).await?;
    state.load.events().site_changed(site.id);
    Ok(data(one_view(&state, &caller, &site, c.id).await?))
}

#[utoipa::path(delete, path = "/api/v3/sites/{site}/circuits/{circuit}", tag = "Load management", params(("site" = String, Path), ("circuit" = String, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "It has sub-circuits")))]
pub(crate) async fn delete_circuit(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, circuit)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let site = visible_site(&state, &caller, &site).await?;
    let c = visible_circuit(&state, &site, &circuit).await?;
    if !caller.can_write(site.team_id) {
        return Err(ApiError::Forbidden);
    }
    let all = state.store.list_circuits(site.id).await?;
    if all.iter().any(|x| x.parent_id == Some(c.id)) {
        return Err(ApiError::Conflict(
            "The circuit has sub-circuits: delete or move them first.".into(),
        ));
    }
    state.store.delete_circuit(c.id).await?;
    state.load.events().site_changed(site.id);
    Ok(StatusCode::NO_CONTENT)
}

async fn site_charger(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
    charger: &str,
) -> ApiResult<Charger> {
    let charger = visible_charger(state, caller, charger).await?;
    if charger.site_id != Some(site.id) {
        return Err(ApiError::field(
            "charger",
            "The charger is not on this site.",
        ));
    }
    Ok(charger)
}

/// Attaches the charger (moving it from any other circuit) with a priority (higher first).
#[utoipa::path(put, path = "/api/v3/sites/{site}/circuits/{circuit}/chargers/{charger}", tag = "Load management",
    params(("site" = String, Path), ("circuit" = String, Path), ("charger" = String, Path)),
    request_body(content = Object, description = "priority: 0–1000, default 0; higher is served first"),
    responses((status = 200, body = inline(Data<CircuitView>)), (status = 404), (status = 422)))]
pub(crate) async fn attach_charger(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, circuit, charger)): Path<(String, String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<CircuitView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let c = visible_circuit(&state, &site, &circuit).await?;
    let charger = site_charger(&state, &caller, &site, &charger).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["priority"]);
    let priority = b.opt_i64("priority", 0, 1000).flatten().unwrap_or(0);
    b.finish()?;
    if !caller.can_write(site.team_id) {
        return Err(ApiError::Forbidden);
    }
    state
        .store
        .attach_charger(c.id, charger.id, priority as i32)
        .await?;
    state.load.events().site_changed(site.id);
    Ok(data(one_view(&state, &caller, &site, c.id).await?))
}

#[utoipa::path(delete, path = "/api/v3/sites/{site}/circuits/{circuit}/chargers/{charger}", tag = "Load management",
    params(("site" = String, Path), ("circuit" = String, Path), ("charger" = String, Path)),
    responses((status = 204), (status = 404)))]
pub(crate) async fn detach_charger(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, circuit, charger)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let site = visible_site(&state, &caller, &site).await?;
    let c = visible_circuit(&state, &site, &circuit).await?;
    let charger = visible_charger(&state, &caller, &charger).await?;
    if !caller.can_write(site.team_id) {
        return Err(ApiError::Forbidden);
    }
    if state.store.detach_charger(c.id, charger.id).await? {
        state.load.events().site_changed(site.id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

// ---- power usage ----

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(non_snake_case)]
pub(crate) struct PowerUsageView {
    /// When the latest current/power reading was taken; null when none.
    pub timestamp: Option<String>,
    /// Amperes, "-" when the phase is not used (or not reported).
    pub L1: String,
    pub L2: String,
    pub L3: String,
    /// Active power in kW, "-" when not reported.
    pub kW: String,
}

fn number(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

fn power_view(readings: &[&LatestReading]) -> PowerUsageView {
    let mut phases: [Option<f64>; 3] = [None; 3];
    let mut unphased = None;
    let mut watts: Option<f64> = None;
    let mut phase_watts: Option<f64> = None;
    for r in readings {
        let Some(v) = r.base_value() else { continue };
        let phase = r
            .phase
            .as_deref()
            .and_then(|p| PHASE_NAMES.iter().position(|n| p.starts_with(n)));
        match (r.measurand.as_str(), phase) {
            ("Current.Import", Some(p)) => phases[p] = Some(v),
            ("Current.Import", None) => unphased = Some(v),
            ("Power.Active.Import", None) => watts = Some(v),
            ("Power.Active.Import", Some(_)) => phase_watts = Some(phase_watts.unwrap_or(0.0) + v),
            _ => {}
        }
    }
    if phases.iter().all(Option::is_none) {
        phases[0] = unphased;
    }
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |a| number(a, 1));
    PowerUsageView {
        timestamp: readings.first().map(|r| format(r.timestamp)),
        L1: cell(phases[0]),
        L2: cell(phases[1]),
        L3: cell(phases[2]),
        kW: watts
            .or(phase_watts)
            .map_or_else(|| "-".to_owned(), |w| number(w / 1000.0, 2)),
    }
}

/// Volttime's live view of a connector: current per phase and power, from the latest meter values.
#[utoipa::path(get, path = "/api/v3/chargers/{charger}/connectors/{connector_id}/power-usage", tag = "Connectors",
    params(("charger" = String, Path), ("connector_id" = i32, Path)),
    responses((status = 200, body = inline(Data<PowerUsageView>)), (status = 404)))]
pub(crate) async fn power_usage(
    State(state): State<ApiState>,
    caller: Caller,
    Path((charger, connector_id)): Path<(String, String)>,
) -> ApiResult<Json<Data<PowerUsageView>>> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    let connector_id: i32 = connector_id
        .parse()
        .ok()
        .filter(|c| *c >= 1)
        .ok_or(ApiError::NotFound)?;
    let readings = state.store.latest_readings(&[charger.id], None).await?;
    let mine: Vec<&LatestReading> = readings
        .iter()
        .filter(|r| r.connector_id == connector_id)
        .collect();
    if mine.is_empty() {
        let known = state
            .store
            .list_connectors(&[charger.id])
            .await?
            .iter()
            .any(|c| c.connector_id == connector_id);
        if !known {
            return Err(ApiError::NotFound);
        }
    }
    Ok(data(power_view(&mine)))
}
