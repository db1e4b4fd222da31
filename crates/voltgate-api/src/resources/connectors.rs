//! `/chargers/{charger}/connectors`: connectors appear as the charger reports them; operators
//! set their phase rotation and maximum current.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use voltgate_core::store::ConnectorPatch;

use super::chargers::visible_charger;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::views::ConnectorView;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/chargers/{charger}/connectors", get(list))
        .route(
            "/chargers/{charger}/connectors/{connector_id}",
            get(show).put(update).patch(update),
        )
}

/// Volttime's phase rotations (three-, two- and single-phase), plus L1/L2/L3 for single-phase.
const PHASE_ROTATIONS: &[&str] = &[
    "RST", "RTS", "SRT", "STR", "TRS", "TSR", "RS", "RT", "SR", "ST", "TR", "TS", "R", "S", "T",
    "L1", "L2", "L3",
];

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct UpdateConnector {
    /// RST, RTS, SRT, STR, TRS, TSR (3-phase); RS, RT, SR, ST, TR, TS (2-phase); R, S, T or L1, L2, L3 (1-phase).
    pub phase_rotation: Option<String>,
    /// 1 to 1000 A.
    pub max_amperage: Option<i32>,
}

#[utoipa::path(get, path = "/api/v3/chargers/{charger}/connectors", tag = "Connectors", params(("charger" = String, Path)),
    responses((status = 200, body = inline(Data<Vec<ConnectorView>>)), (status = 404)))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<Json<Data<Vec<ConnectorView>>>> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    let connectors = state.store.list_connectors(&[charger.id]).await?;
    Ok(data(
        connectors
            .iter()
            .map(|c| ConnectorView::new(c, charger.uuid))
            .collect(),
    ))
}

async fn find(
    state: &ApiState,
    caller: &Caller,
    charger: &str,
    connector_id: &str,
) -> ApiResult<(voltgate_core::model::Charger, ConnectorView)> {
    let charger = visible_charger(state, caller, charger).await?;
    let n: i32 = connector_id.parse().map_err(|_| ApiError::NotFound)?;
    let connectors = state.store.list_connectors(&[charger.id]).await?;
    let c = connectors
        .iter()
        .find(|c| c.connector_id == n)
        .ok_or(ApiError::NotFound)?;
    let view = ConnectorView::new(c, charger.uuid);
    Ok((charger, view))
}

#[utoipa::path(get, path = "/api/v3/chargers/{charger}/connectors/{connector_id}", tag = "Connectors",
    params(("charger" = String, Path), ("connector_id" = i32, Path, description = "OCPP connector number")),
    responses((status = 200, body = inline(Data<ConnectorView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path((charger, connector_id)): Path<(String, String)>,
) -> ApiResult<Json<Data<ConnectorView>>> {
    Ok(data(
        find(&state, &caller, &charger, &connector_id).await?.1,
    ))
}

/// Sets phase rotation and maximum current (partial update).
#[utoipa::path(put, path = "/api/v3/chargers/{charger}/connectors/{connector_id}", tag = "Connectors",
    params(("charger" = String, Path), ("connector_id" = i32, Path)), request_body = UpdateConnector,
    responses((status = 200, body = inline(Data<ConnectorView>)), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path((charger, connector_id)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<ConnectorView>>> {
    let (charger, view) = find(&state, &caller, &charger, &connector_id).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["phase_rotation", "max_amperage"]);
    let mut patch = ConnectorPatch::default();
    match b.opt_choice("phase_rotation", PHASE_ROTATIONS) {
        Some(Some(p)) => patch.phase_rotation = Some(p),
        Some(None) => b.error("phase_rotation", "This field is required."),
        None => {}
    }
    match b.opt_i64("max_amperage", 1, 1000) {
        Some(Some(a)) => patch.max_amperage = Some(a as i32),
        Some(None) => b.error("max_amperage", "This field is required."),
        None => {}
    }
    b.finish()?;
    if !caller.can_write(charger.team_id) {
        return Err(ApiError::Forbidden);
    }
    state
        .store
        .update_connector(charger.id, view.connector_id, patch)
        .await?;
    state.load.events().charger_changed(charger.id);
    let (_, view) = find(&state, &caller, &charger.uuid.to_string(), &connector_id).await?;
    Ok(data(view))
}
