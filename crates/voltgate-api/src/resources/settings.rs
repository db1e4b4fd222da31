//! `GET/PUT /chargers/{charger}/settings`: Zaptec's charger settings (seed 003), stored and applied
//! on the charger (meter-value interval, current and phase limit, offline fallback). A charger that
//! is offline gets them when it next boots.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use voltgate_core::settings::{ChargerSettings, SettingsState};

use super::chargers::visible_charger;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::time_fmt::format_opt;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new().route(
        "/chargers/{charger}/settings",
        get(show).put(update).patch(update),
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SettingResult {
    pub setting: String,
    /// The charger's answer (Accepted, Rejected, NotSupported, ...).
    pub status: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SettingsView {
    /// 0–32 A, null: no limit.
    pub max_charge_current: Option<f64>,
    /// 0–32 A.
    pub min_charge_current: Option<f64>,
    /// 1 or 3.
    pub max_charge_phases: Option<i32>,
    /// −1 automatic, 0–32 A override.
    pub offline_charge_current: Option<f64>,
    /// 0 automatic, 1, 2, 4 (a single phase: L1, L2, L3) or 7 (three phases).
    pub offline_charge_phase: Option<i32>,
    /// Seconds between meter values; 0 disables them.
    pub meter_value_interval: Option<i32>,
    /// applied, pending (applied when the charger connects) or failed.
    pub status: String,
    pub detail: Option<String>,
    pub applied_at: Option<String>,
    pub updated_at: Option<String>,
    /// What the charger answered to each command, when they were just applied.
    pub results: Vec<SettingResult>,
}

fn view(state: SettingsState, results: Vec<(String, String)>) -> SettingsView {
    let s = state.settings;
    SettingsView {
        max_charge_current: s.max_charge_current,
        min_charge_current: s.min_charge_current,
        max_charge_phases: s.max_charge_phases,
        offline_charge_current: s.offline_charge_current,
        offline_charge_phase: s.offline_charge_phase,
        meter_value_interval: s.meter_value_interval,
        status: state.status,
        detail: state.detail,
        applied_at: format_opt(state.applied_at),
        updated_at: format_opt(state.updated_at),
        results: results
            .into_iter()
            .map(|(setting, status)| SettingResult { setting, status })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v3/chargers/{charger}/settings", tag = "Settings", params(("charger" = String, Path)),
    responses((status = 200, body = inline(Data<SettingsView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<Json<Data<SettingsView>>> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    Ok(data(view(state.store.settings(charger.id).await?, vec![])))
}

/// A number in 0..=32 A, or null.
fn amps(b: &mut Body, field: &str, allow_auto: bool) -> Option<Option<f64>> {
    let v = b.opt_f64(field, if allow_auto { -1.0 } else { 0.0 }, 32.0)?;
    if let Some(a) = v {
        if allow_auto && a < 0.0 && a != -1.0 {
            b.error(field, "Must be -1 (automatic) or between 0 and 32.");
            return None;
        }
    }
    Some(v)
}

/// Partial update (only the fields sent change), then applied on the charger when it is online.
#[utoipa::path(put, path = "/api/v3/chargers/{charger}/settings", tag = "Settings", params(("charger" = String, Path)),
    request_body(content = Object, description = "Any of max_charge_current, min_charge_current, max_charge_phases, offline_charge_current, offline_charge_phase, meter_value_interval"),
    responses((status = 200, body = inline(Data<SettingsView>)), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<SettingsView>>> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&[
        "max_charge_current",
        "min_charge_current",
        "max_charge_phases",
        "offline_charge_current",
        "offline_charge_phase",
        "meter_value_interval",
    ]);
    let current = state.store.settings(charger.id).await?.settings;
    let mut next: ChargerSettings = current.clone();
    if let Some(v) = amps(&mut b, "max_charge_current", false) {
        next.max_charge_current = v;
    }
    if let Some(v) = amps(&mut b, "min_charge_current", false) {
        next.min_charge_current = v;
    }
    if let Some(v) = b.opt_i64("max_charge_phases", 1, 3) {
        if v == Some(2) {
            b.error("max_charge_phases", "Must be 1 or 3.");
        } else {
            next.max_charge_phases = v.map(|p| p as i32);
        }
    }
    // Zaptec: null leaves the offline current as it is.
    if let Some(Some(v)) = amps(&mut b, "offline_charge_current", true) {
        next.offline_charge_current = Some(v);
    }
    if let Some(v) = b.opt_i64("offline_charge_phase", 0, 7) {
        match v {
            Some(p @ (0 | 1 | 2 | 4 | 7)) => next.offline_charge_phase = Some(p as i32),
            Some(_) => b.error(
                "offline_charge_phase",
                "Must be 0 (automatic), 1, 2, 4 (one phase) or 7 (three phases).",
            ),
            None => next.offline_charge_phase = None,
        }
    }
    if let Some(v) = b.opt_i64("meter_value_interval", 0, 86_400) {
        next.meter_value_interval = v.map(|s| s as i32);
    }
    if let (Some(min), Some(max)) = (next.min_charge_current, next.max_charge_current) {
        if min > max {
            b.error(
                "min_charge_current",
                "Must not be greater than max_charge_current.",
            );
        }
    }
    let offline_changed = next.offline_charge_current != current.offline_charge_current
        || next.offline_charge_phase != current.offline_charge_phase;
    if offline_changed && !b.has_errors() {
        offline_within_fuse(&state, &charger, &next, &mut b).await?;
    }
    b.finish()?;
    if !caller.can_write(charger.team_id) {
        return Err(ApiError::Forbidden);
    }
    state.store.save_settings(charger.id, &next).await?;
    state.load.events().charger_changed(charger.id);
    let results = match state
        .commands
        .apply_settings(&charger, &next, Duration::from_secs(30))
        .await
    {
        Ok(results) => results,
        // Not connected: pending until the next boot; other failures are recorded in the state.
        Err(e) => {
            tracing::info!(charger.identity = %charger.identity, error = %e, "settings saved; not applied now");
            vec![]
        }
    };
    Ok(data(view(state.store.settings(charger.id).await?, results)))
}

/// Zaptec's rule: the offline currents of a site's chargers, which apply with nobody to share
/// them out, must fit in the site's fuse on every phase.
async fn offline_within_fuse(
    state: &ApiState,
    charger: &voltgate_core::model::Charger,
    next: &ChargerSettings,
    b: &mut Body,
) -> ApiResult<()> {
    let Some(site_id) = charger.site_id else {
        return Ok(());
    };
    let Some(fuse) = state.store.load_settings(site_id).await?.max_current else {
        return Ok(());
    };
    let Some(site) = state.store.site_by_id(site_id).await? else {
        return Ok(());
    };
    let load = state.load.offline_load(&site, charger.id, next).await?;
    if let Some((phase, sum)) = load.iter().enumerate().find(|(_, a)| **a > fuse + 1e-9) {
        b.error(
            "offline_charge_current",
            &format!(
                "The offline currents of this site's chargers would add up to {sum} A on L{}, above the site's fuse of {fuse} A.",
                phase + 1
            ),
        );
    }
    Ok(())
}
