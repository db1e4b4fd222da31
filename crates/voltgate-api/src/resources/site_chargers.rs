//! The views across one site: `/sites/{site}/chargers` (attach with identity + pincode, detach),
//! `/sites/{site}/connectors`, `/sites/{site}/transactions`; and across one team:
//! `/teams/{team}/transactions` (sites where the team has sensitive access) and
//! `/teams/{team}/audit-log`.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Serialize;
use voltgate_core::access::Reach;
use voltgate_core::model::Site;
use voltgate_core::types::TeamRole;

use super::chargers::{charger_page, identity_field, view};
use super::history::{transaction_page, transaction_query};
use crate::access::{charger_query, managed_site, visible_site};
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, page_request, paginated, Data, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::views::{ChargerView, ConnectorView, TransactionView};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/sites/{site}/chargers", get(list).post(attach))
        .route("/sites/{site}/chargers/{charger}", delete(detach))
        .route("/sites/{site}/connectors", get(connectors))
        .route("/sites/{site}/transactions", get(transactions))
        .route("/teams/{team}/transactions", get(team_transactions))
        .route("/teams/{team}/audit-log", get(audit_log))
}

/// The chargers of the site the caller may see (only the accessible ones with limited access).
#[utoipa::path(get, path = "/api/v3/sites/{site}/chargers", tag = "Sites > Chargers", params(("site" = String, Path), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<ChargerView>>)), (status = 404)))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<ChargerView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let query = voltgate_core::store::ChargerQuery {
        site_id: Some(site.id),
        page: page_request(&params)?,
        ..charger_query(&caller.scope.basic)
    };
    charger_page(&state, &caller, &uri, query).await
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct AttachBody {
    /// The charger's OCPP identity.
    pub identity: String,
    /// The charger's pincode (proves the charger is yours to attach).
    pub pincode: String,
}

/// Attaches an existing charger, proven by its identity and pincode; the site's owner team owns
/// it from now on.
#[utoipa::path(post, path = "/api/v3/sites/{site}/chargers", tag = "Sites > Chargers", params(("site" = String, Path)), request_body = AttachBody,
    responses((status = 200, body = inline(Data<ChargerView>)), (status = 403), (status = 404), (status = 422, description = "pincode: The identity and pincode do not match a charger.")))]
pub(crate) async fn attach(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<ChargerView>>> {
    let site = managed_site(&state, &caller, &site).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["identity", "pincode"]);
    let identity = identity_field(&mut b);
    let pincode = b.required_string("pincode", 32);
    b.finish()?;
    let (Some(identity), Some(pincode)) = (identity, pincode) else {
        return Err(ApiError::field("identity", "This field is required."));
    };
    let found = state.store.find_charger_by_identity(&identity).await?;
    // One message for an unknown identity and a wrong pincode: neither reveals the other.
    let charger = found
        .filter(|c| same(&c.pincode, &pincode))
        .ok_or_else(|| {
            ApiError::field(
                "pincode",
                "The identity and pincode do not match a charger.",
            )
        })?;
    state
        .store
        .move_charger_to_site(charger.id, site.id, site.team_id)
        .await?;
    let charger = state
        .store
        .find_charger(&Reach::teams(vec![site.team_id]), charger.uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(data(view(&state, &caller, &charger).await?))
}

/// Compares in constant time (a pincode is a secret).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Detaches a charger from the site; the owner team keeps it.
#[utoipa::path(delete, path = "/api/v3/sites/{site}/chargers/{charger}", tag = "Sites > Chargers", params(("site" = String, Path), ("charger" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub(crate) async fn detach(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, charger)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let site = visible_site(&state, &caller, &site).await?;
    let charger = crate::access::visible_charger(&state, &caller, &charger).await?;
    if charger.site_id != Some(site.id) {
        return Err(ApiError::NotFound);
    }
    crate::access::may_write(&caller, site.team_id)?;
    state
        .store
        .update_charger(
            charger.id,
            voltgate_core::store::ChargerPatch {
                site_id: Some(None),
                ..Default::default()
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every accessible charger of the site.
async fn accessible_chargers(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
) -> ApiResult<Vec<voltgate_core::model::Charger>> {
    let query = voltgate_core::store::ChargerQuery {
        site_id: Some(site.id),
        ..charger_query(&caller.scope.basic)
    };
    Ok(voltgate_core::store::all_chargers(state.store.as_ref(), query).await?)
}

/// The connectors of the site's accessible chargers.
#[utoipa::path(get, path = "/api/v3/sites/{site}/connectors", tag = "Sites > Connectors", params(("site" = String, Path)),
    responses((status = 200, body = inline(Data<Vec<ConnectorView>>)), (status = 404)))]
pub(crate) async fn connectors(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<Data<Vec<ConnectorView>>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let chargers = accessible_chargers(&state, &caller, &site).await?;
    let ids: Vec<i64> = chargers.iter().map(|c| c.id).collect();
    let list = state.store.list_connectors(&ids).await?;
    Ok(data(
        list.iter()
            .filter_map(|k| {
                let c = chargers.iter().find(|c| c.id == k.charger_id)?;
                Some(ConnectorView::new(k, c.uuid))
            })
            .collect(),
    ))
}

/// Transactions on the site (sensitive data: needs unexpired sensitive access).
#[utoipa::path(get, path = "/api/v3/sites/{site}/transactions", tag = "Sites > Transactions",
    params(("site" = String, Path), ("filter[status]" = Option<String>, Query), ("sort" = Option<String>, Query), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<TransactionView>>)), (status = 403), (status = 404)))]
pub(crate) async fn transactions(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<TransactionView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    if !caller.scope.sensitive.site(&site) {
        return Err(ApiError::Forbidden);
    }
    let mut q = transaction_query(&params, &caller.scope.sensitive)?;
    q.site_id = Some(site.id);
    transaction_page(&state, &uri, &q).await
}

fn membership<'a>(
    caller: &'a Caller,
    team: &str,
) -> ApiResult<&'a voltgate_core::model::Membership> {
    let uuid = super::path_uuid(team)?;
    caller
        .memberships
        .iter()
        .find(|m| m.team.uuid == uuid)
        .ok_or(ApiError::NotFound)
}

/// Transactions on chargers where the team has sensitive access (its own sites, and granted
/// sites with unexpired sensitive-data access), newest first.
#[utoipa::path(get, path = "/api/v3/teams/{team}/transactions", tag = "Teams",
    params(("team" = String, Path), ("filter[status]" = Option<String>, Query), ("sort" = Option<String>, Query), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<TransactionView>>)), (status = 404)))]
pub(crate) async fn team_transactions(
    State(state): State<ApiState>,
    caller: Caller,
    Path(team): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<TransactionView>>> {
    let m = membership(&caller, &team)?;
    let scope = caller.team_scope(m.team.id);
    let q = transaction_query(&params, &scope.sensitive)?;
    transaction_page(&state, &uri, &q).await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AuditView {
    pub user_email: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub created_at: String,
}

/// Mutating requests by the team's members, newest first (owners and admins).
#[utoipa::path(get, path = "/api/v3/teams/{team}/audit-log", tag = "Teams", params(("team" = String, Path), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<AuditView>>)), (status = 403), (status = 404)))]
pub(crate) async fn audit_log(
    State(state): State<ApiState>,
    caller: Caller,
    Path(team): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<AuditView>>> {
    let m = membership(&caller, &team)?;
    if !matches!(m.role, TeamRole::Owner | TeamRole::Admin) {
        return Err(ApiError::Forbidden);
    }
    let page = state
        .store
        .list_audit(m.team.id, page_request(&params)?)
        .await?;
    Ok(paginated(
        &uri,
        page.map(|e| AuditView {
            user_email: e.user_email,
            method: e.method,
            path: e.path,
            status: e.status,
            created_at: crate::time_fmt::format(e.created_at),
        }),
    ))
}
