//! Starting, stopping and restarting a simulated charger's runtime, and watching it. Whether it
//! should run is stored, so a running charger starts again after Voltgate restarts.

use axum::extract::{Path, State};
use axum::Json;
use tokio::time::Instant;
use voltgate_core::lab::LabCharger;

use super::visible_charger;
use crate::auth::Caller;
use crate::error::{HttpErrorResponse, LabResult};
use crate::views::{format_time, ConnectorView, RuntimeEvent, RuntimePayload, RuntimeView};
use crate::Lab;

fn event(lab: &Lab, charger: &LabCharger, event_type: &'static str, running: bool) -> RuntimeEvent {
    RuntimeEvent {
        id: format!("evt-{}", uuid::Uuid::new_v4()),
        charger_id: charger.public_id.clone(),
        event_type,
        ocpp_version: charger.ocpp_version.clone(),
        payload: RuntimePayload {
            provider: "voltgate",
            runtime_kind: "in_process",
            service_name: charger.identity.clone(),
            desired_count: u8::from(running),
            status: "ACTIVE",
        },
        runtime_state: lab.runtime_state(charger.id).as_str().to_owned(),
    }
}

/// Starts the runtime: the simulated charger connects to its `ws_url`, boots and reports its
/// connectors. It must be READY (409 otherwise). Starting a running charger changes nothing.
#[utoipa::path(post, path = "/ocpp/chargers/{charger_id}/start-charger", tag = "Runtime",
    params(("charger_id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = RuntimeEvent), (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse),
        (status = 409, body = HttpErrorResponse, description = "not READY")))]
pub(crate) async fn start(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
) -> LabResult<Json<RuntimeEvent>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    caller.require_write(charger.team_id)?;
    lab.set_running(&charger, true).await?;
    Ok(Json(event(&lab, &charger, "start_charger", true)))
}

/// Stops the runtime: open sessions end (reason `Other`), the socket closes with a Close frame.
#[utoipa::path(post, path = "/ocpp/chargers/{charger_id}/stop-charger", tag = "Runtime",
    params(("charger_id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = RuntimeEvent), (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn stop(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
) -> LabResult<Json<RuntimeEvent>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    caller.require_write(charger.team_id)?;
    lab.set_running(&charger, false).await?;
    Ok(Json(event(&lab, &charger, "stop_charger", false)))
}

/// Stops (sessions end with `Reboot`) and starts the runtime again, with the definition as it
/// is now (a changed identity or ws_url takes effect here).
#[utoipa::path(post, path = "/ocpp/chargers/{charger_id}/restart-charger", tag = "Runtime",
    params(("charger_id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = RuntimeEvent), (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse),
        (status = 409, body = HttpErrorResponse, description = "not READY")))]
pub(crate) async fn restart(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
) -> LabResult<Json<RuntimeEvent>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    caller.require_write(charger.team_id)?;
    lab.restart_runtime(&charger).await?;
    Ok(Json(event(&lab, &charger, "restart_charger", true)))
}

/// What the runtime is doing, with each connector's status, EV, current, power and energy.
#[utoipa::path(get, path = "/ocpp/chargers/{charger_id}/runtime", tag = "Runtime",
    params(("charger_id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = RuntimeView), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn show(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
) -> LabResult<Json<RuntimeView>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    let snapshot = lab.inner.runtimes.snapshot(charger.id);
    let now = Instant::now();
    let connectors = match &snapshot.charger {
        None => Vec::new(),
        Some(sim) => (1..=sim.connector_count())
            .filter_map(|id| sim.connector(id).map(|c| (id, c)))
            .map(|(id, mut c)| ConnectorView {
                connector_id: id,
                status: c.status.as_str().to_owned(),
                error_code: c.error_code.as_str().to_owned(),
                transaction_id: c.transaction_id,
                ev_plugged: c.ev.is_some(),
                ev_max_current: c.ev.as_ref().map(|ev| ev.max_current_a),
                offered_current: c.offered_a,
                current: c.meter.current_a(),
                power: c.meter.power_w(),
                energy: c.meter.register_wh(now),
            })
            .collect(),
    };
    Ok(Json(RuntimeView {
        charger_id: charger.public_id.clone(),
        identity: charger.identity.clone(),
        desired_state: if charger.desired_running {
            "running"
        } else {
            "stopped"
        },
        state: snapshot.state.as_str().to_owned(),
        connected: snapshot.charger.as_ref().is_some_and(|c| c.is_connected()),
        ws_url: lab.ws_url(&charger),
        started_at: snapshot.started_at.map(format_time),
        last_error: snapshot.last_error,
        connectors,
    }))
}
