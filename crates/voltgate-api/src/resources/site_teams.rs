//! Sites > Teams (Volttime v3): which teams have access to a site and how much. The owner team
//! manages the access of the others (grant or revoke sensitive data, asset access, remove a
//! team, transfer ownership); a team with access may ask for sensitive data or leave.
//!
//! A team appears here only when the caller may see the row: the owner team's members see every
//! team with access; a team with access sees the owner and itself. Anything else is 404.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use voltgate_core::access::{GrantAccess, NewDataRequest, SiteGrant};
use voltgate_core::model::{Charger, Site, Team};

use super::path_uuid;
use crate::access::{managed_site, may_write, visible_site};
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::time_fmt::{format, format_opt};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/sites/{site}/teams", get(list))
        .route("/sites/{site}/teams/{team}", get(show).delete(remove))
        .route(
            "/sites/{site}/teams/{team}/grant-sensitive-data",
            post(grant_sensitive),
        )
        .route(
            "/sites/{site}/teams/{team}/revoke-sensitive-data",
            post(revoke_sensitive),
        )
        .route(
            "/sites/{site}/teams/{team}/sensitive-data",
            axum::routing::delete(revoke_sensitive),
        )
        .route(
            "/sites/{site}/teams/{team}/asset-access",
            put(asset_access).patch(asset_access),
        )
        .route(
            "/sites/{site}/teams/{team}/transfer-ownership",
            post(transfer_ownership),
        )
        .route(
            "/sites/{site}/teams/{team}/request-sensitive-data",
            post(request_sensitive),
        )
        .route("/sites/{site}/data-access-requests", get(requests))
}

/// How long a former owner keeps sensitive-data access after a transfer (Volttime: an installer
/// loses most access after 14 days unless granted extended access).
pub(crate) const FORMER_OWNER_DATA_ACCESS: Duration = Duration::days(14);

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AssetView {
    /// Always `charger`.
    pub asset_type: &'static str,
    pub asset_id: Uuid,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AccessView {
    pub is_owner: bool,
    /// Sensitive-data access now (false once `data_access_expires_at` has passed).
    pub data_access: bool,
    pub data_access_expires_at: Option<String>,
    pub can_access_all_assets: bool,
    /// With limited access: the chargers the team may see.
    pub accessible_assets: Vec<AssetView>,
    pub created_at: String,
    pub updated_at: String,
}

/// A team with its access to one site.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SiteTeamView {
    pub uuid: Uuid,
    pub id: i64,
    pub is_personal_team: bool,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub access: AccessView,
}

impl SiteTeamView {
    fn new(team: &Team, site: &Site, grant: Option<&SiteGrant>, chargers: &[Charger]) -> Self {
        let now = OffsetDateTime::now_utc();
        let access = match grant {
            None => AccessView {
                is_owner: true,
                data_access: true,
                data_access_expires_at: None,
                can_access_all_assets: true,
                accessible_assets: Vec::new(),
                created_at: format(site.created_at),
                updated_at: format(site.updated_at),
            },
            Some(g) => AccessView {
                is_owner: false,
                data_access: g.sensitive_at(now),
                data_access_expires_at: format_opt(g.data_access_expires_at),
                can_access_all_assets: g.full_asset_access,
                accessible_assets: chargers
                    .iter()
                    .filter(|c| !g.full_asset_access && g.charger_ids.contains(&c.id))
                    .map(|c| AssetView {
                        asset_type: "charger",
                        asset_id: c.uuid,
                    })
                    .collect(),
                created_at: format(g.created_at),
                updated_at: format(g.updated_at),
            },
        };
        Self {
            uuid: team.uuid,
            id: team.id,
            is_personal_team: team.is_personal_team,
            name: team.name.clone(),
            kind: team.kind.clone(),
            email: team.email.clone(),
            created_at: format(team.created_at),
            updated_at: format(team.updated_at),
            access,
        }
    }
}

/// Every charger on the site (to name accessible assets by uuid).
pub(crate) async fn site_chargers(state: &ApiState, site: &Site) -> ApiResult<Vec<Charger>> {
    Ok(voltgate_core::load_control::site_chargers(state.store.as_ref(), site).await?)
}

/// Whether the caller belongs to the site's owner team.
fn in_owner_team(caller: &Caller, site: &Site) -> bool {
    caller.scope.basic.team_ids.contains(&site.team_id)
}

/// The rows (team, grant; no grant = owner) the caller may see on this site.
async fn rows(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
) -> ApiResult<Vec<(Team, Option<SiteGrant>)>> {
    let owner = state
        .store
        .find_team_by_uuid(site.team_uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut out = vec![(owner, None)];
    let all = in_owner_team(caller, site);
    for (team, grant) in state.store.site_grants(site.id).await? {
        if all || caller.scope.basic.team_ids.contains(&team.id) {
            out.push((team, Some(grant)));
        }
    }
    Ok(out)
}

/// One row by team uuid, or 404 (no access, or not the caller's to see).
async fn row(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
    team: &str,
) -> ApiResult<(Team, Option<SiteGrant>)> {
    let uuid = path_uuid(team)?;
    rows(state, caller, site)
        .await?
        .into_iter()
        .find(|(t, _)| t.uuid == uuid)
        .ok_or(ApiError::NotFound)
}

async fn one_view(
    state: &ApiState,
    caller: &Caller,
    site: &Site,
    team_id: i64,
) -> ApiResult<Json<Data<SiteTeamView>>> {
    let site = state
        .store
        .find_site_by_id(
            &voltgate_core::access::Reach::teams(vec![site.team_id]),
            site.id,
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let chargers = site_chargers(state, &site).await?;
    let (team, grant) = rows(state, caller, &site)
        .await?
        .into_iter()
        .find(|(t, _)| t.id == team_id)
        .ok_or(ApiError::NotFound)?;
    Ok(data(SiteTeamView::new(
        &team,
        &site,
        grant.as_ref(),
        &chargers,
    )))
}

/// All teams with access to the site (the owner first).
#[utoipa::path(get, path = "/api/v3/sites/{site}/teams", tag = "Sites > Teams", params(("site" = String, Path)),
    responses((status = 200, body = inline(Data<Vec<SiteTeamView>>)), (status = 404)))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<Data<Vec<SiteTeamView>>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let chargers = site_chargers(&state, &site).await?;
    let rows = rows(&state, &caller, &site).await?;
    Ok(data(
        rows.iter()
            .map(|(t, g)| SiteTeamView::new(t, &site, g.as_ref(), &chargers))
            .collect(),
    ))
}

/// One team's access to the site; 404 when the team has no access.
#[utoipa::path(get, path = "/api/v3/sites/{site}/teams/{team}", tag = "Sites > Teams", params(("site" = String, Path), ("team" = String, Path)),
    responses((status = 200, body = inline(Data<SiteTeamView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, team)): Path<(String, String)>,
) -> ApiResult<Json<Data<SiteTeamView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let (team, grant) = row(&state, &caller, &site, &team).await?;
    let chargers = site_chargers(&state, &site).await?;
    Ok(data(SiteTeamView::new(
        &team,
        &site,
        grant.as_ref(),
        &chargers,
    )))
}

/// A team with a grant (not the owner) that the caller's owner team may manage.
async fn managed_grant(
    state: &ApiState,
    caller: &Caller,
    site: &str,
    team: &str,
) -> ApiResult<(Site, Team, SiteGrant)> {
    let site = visible_site(state, caller, site).await?;
    let (team, grant) = row(state, caller, &site, team).await?;
    may_write(caller, site.team_id)?;
    let Some(grant) = grant else {
        return Err(ApiError::field(
            "team",
            "The owner team always has full access to its site.",
        ));
    };
    Ok((site, team, grant))
}

/// Removes a team's access. The owner team manages this; a team with access may also leave.
/// The owner itself cannot be removed (transfer the ownership first).
#[utoipa::path(delete, path = "/api/v3/sites/{site}/teams/{team}", tag = "Sites > Teams", params(("site" = String, Path), ("team" = String, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 422, description = "team: The owner of a site cannot remove its own access.")))]
pub(crate) async fn remove(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, team)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let site = visible_site(&state, &caller, &site).await?;
    let (team, grant) = row(&state, &caller, &site, &team).await?;
    if grant.is_none() {
        may_write(&caller, site.team_id)?;
        return Err(ApiError::field(
            "team",
            "The owner of a site cannot remove its own access. Transfer the ownership first.",
        ));
    }
    if !caller.can_write(site.team_id) && !caller.can_write(team.id) {
        return Err(ApiError::Forbidden);
    }
    state.store.remove_grant(site.id, team.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `field`: a date after today (`Y-m-d`, or a full timestamp), as the instant access ends.
pub(crate) fn date_after_today(b: &mut Body, field: &str) -> Option<Option<OffsetDateTime>> {
    let text = b.opt_string(field, 64)?;
    let Some(text) = text else {
        return Some(None);
    };
    let Some(at) = crate::time_fmt::parse(&text) else {
        b.error(field, "Must be a valid date in the format `Y-m-d`.");
        return None;
    };
    if at.date() <= OffsetDateTime::now_utc().date() {
        b.error(field, "Must be a date after `today`.");
        return None;
    }
    Some(Some(at))
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct GrantSensitiveBody {
    /// Required: true for access without an end.
    pub expires_never: bool,
    /// Required when `expires_never` is false: a date after today (`Y-m-d`).
    pub data_access_expires_at: Option<String>,
}

/// Grants sensitive-data access (transactions, meter values, logs, pincodes).
#[utoipa::path(post, path = "/api/v3/sites/{site}/teams/{team}/grant-sensitive-data", tag = "Sites > Teams", params(("site" = String, Path), ("team" = String, Path)),
    request_body = GrantSensitiveBody,
    responses((status = 200, body = inline(Data<SiteTeamView>)), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn grant_sensitive(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, team)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<SiteTeamView>>> {
    let mut b = Body::parse(&bytes)?;
    b.only(&["expires_never", "data_access_expires_at"]);
    let (site, team, _) = managed_grant(&state, &caller, &site, &team).await?;
    let expires_never = b.opt_bool("expires_never");
    let expires_never = b.require("expires_never", expires_never);
    let expires_at = date_after_today(&mut b, "data_access_expires_at").flatten();
    if expires_never == Some(false)
        && expires_at.is_none()
        && !b.has_error("data_access_expires_at")
    {
        b.error(
            "data_access_expires_at",
            "This field is required when `expires_never` is `false`.",
        );
    }
    b.finish()?;
    let expires_at = if expires_never == Some(true) {
        None
    } else {
        expires_at
    };
    state
        .store
        .set_data_access(site.id, team.id, true, expires_at)
        .await?;
    one_view(&state, &caller, &site, team.id).await
}

/// Revokes sensitive-data access (basic and asset access stay).
#[utoipa::path(post, path = "/api/v3/sites/{site}/teams/{team}/revoke-sensitive-data", tag = "Sites > Teams", params(("site" = String, Path), ("team" = String, Path)),
    responses((status = 200, body = inline(Data<SiteTeamView>)), (status = 403), (status = 404)))]
pub(crate) async fn revoke_sensitive(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, team)): Path<(String, String)>,
) -> ApiResult<Json<Data<SiteTeamView>>> {
    let (site, team, _) = managed_grant(&state, &caller, &site, &team).await?;
    state
        .store
        .set_data_access(site.id, team.id, false, None)
        .await?;
    one_view(&state, &caller, &site, team.id).await
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct AssetAccessBody {
    /// `full_access` or `limited_access`.
    pub access_of_assets: String,
    /// Required with `limited_access`: `[{"asset_type": "charger", "asset_id": "<charger uuid>"}]`.
    pub accessible_assets: Option<Vec<serde_json::Value>>,
}

/// `accessible_assets`: chargers of the site, by uuid; errors on `field.N.asset_id`.
pub(crate) fn accessible_assets(
    b: &mut Body,
    field: &str,
    chargers: &[Charger],
) -> Option<Vec<i64>> {
    let items = b.children(field)?;
    let mut ids = Vec::new();
    for mut item in items {
        item.only(&["asset_type", "asset_id"]);
        let kind = item.opt_choice("asset_type", &["charger"]);
        item.require("asset_type", kind);
        let id = item.opt_uuid("asset_id");
        if let Some(uuid) = item.require("asset_id", id) {
            match chargers.iter().find(|c| c.uuid == uuid) {
                Some(c) => ids.push(c.id),
                None => item.error(
                    "asset_id",
                    "The uuid of an existing record in the chargers table.",
                ),
            }
        }
        b.absorb(item);
    }
    Some(ids)
}

/// Sets asset access: every charger of the site, or only the listed ones.
#[utoipa::path(put, path = "/api/v3/sites/{site}/teams/{team}/asset-access", tag = "Sites > Teams", params(("site" = String, Path), ("team" = String, Path)),
    request_body = AssetAccessBody,
    responses((status = 200, body = inline(Data<SiteTeamView>)), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn asset_access(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, team)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<SiteTeamView>>> {
    let mut b = Body::parse(&bytes)?;
    b.only(&["access_of_assets", "accessible_assets"]);
    let (site, team, _) = managed_grant(&state, &caller, &site, &team).await?;
    let chargers = site_chargers(&state, &site).await?;
    let kind = b.opt_choice("access_of_assets", &["full_access", "limited_access"]);
    let kind = b.require("access_of_assets", kind);
    let limited = kind.as_deref() == Some("limited_access");
    let assets = accessible_assets(&mut b, "accessible_assets", &chargers);
    if limited && assets.is_none() && !b.has_error("accessible_assets") {
        b.error(
            "accessible_assets",
            "This field is required when `access_of_assets` is `limited_access`.",
        );
    }
    b.finish()?;
    let full = !limited;
    state
        .store
        .set_asset_access(site.id, team.id, full, &assets.unwrap_or_default())
        .await?;
    one_view(&state, &caller, &site, team.id).await
}

/// The access a former owner keeps: every charger, sensitive data for 14 more days.
pub(crate) fn former_owner_access() -> GrantAccess {
    GrantAccess {
        data_access: true,
        data_access_expires_at: Some(OffsetDateTime::now_utc() + FORMER_OWNER_DATA_ACCESS),
        full_asset_access: true,
        charger_ids: Vec::new(),
    }
}

/// Makes a team that already has access the owner of the site and its chargers. The former owner
/// keeps access to every charger, and sensitive data for 14 days.
#[utoipa::path(post, path = "/api/v3/sites/{site}/teams/{team}/transfer-ownership", tag = "Sites > Teams", params(("site" = String, Path), ("team" = String, Path)),
    responses((status = 200, body = inline(Data<SiteTeamView>), description = "The new owner"), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn transfer_ownership(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, team)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<SiteTeamView>>> {
    let mut b = Body::parse(&bytes)?;
    b.only(&[]);
    b.finish()?;
    let site = managed_site(&state, &caller, &site).await?;
    let target = path_uuid(&team)?;
    let grants = state.store.site_grants(site.id).await?;
    let Some((team, _)) = grants.iter().find(|(t, _)| t.uuid == target) else {
        if target == site.team_uuid {
            return Err(ApiError::field("team", "The team already owns this site."));
        }
        return Err(ApiError::field(
            "team",
            "The team must have access to the site before it can become its owner.",
        ));
    };
    state
        .store
        .transfer_site(site.id, site.team_id, team.id, &former_owner_access())
        .await?;
    // The caller's scope changed with the transfer: read the new owner's row as its owner would.
    let site = state
        .store
        .find_site_by_id(&voltgate_core::access::Reach::teams(vec![team.id]), site.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let chargers = site_chargers(&state, &site).await?;
    Ok(data(SiteTeamView::new(team, &site, None, &chargers)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DataRequestView {
    pub uuid: Uuid,
    pub team_uuid: Uuid,
    pub team_name: String,
    pub requested_by: String,
    pub reason: String,
    pub requested_expires_never: bool,
    pub requested_data_expires_at: Option<String>,
    pub created_at: String,
}

impl From<&voltgate_core::access::DataRequest> for DataRequestView {
    fn from(r: &voltgate_core::access::DataRequest) -> Self {
        Self {
            uuid: r.uuid,
            team_uuid: r.team.uuid,
            team_name: r.team.name.clone(),
            requested_by: r.user_email.clone(),
            reason: r.reason.clone(),
            requested_expires_never: r.requested_expires_never,
            requested_data_expires_at: format_opt(r.requested_expires_at),
            created_at: format(r.created_at),
        }
    }
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct RequestSensitiveBody {
    /// Required, at most 255 characters.
    pub reason: String,
    pub requested_expires_never: Option<bool>,
    /// A date after today (`Y-m-d`).
    pub requested_data_expires_at: Option<String>,
}

/// A team with access asks the owner for sensitive-data access; the owner's managers get an
/// e-mail and see the request at `GET /sites/{site}/data-access-requests`.
#[utoipa::path(post, path = "/api/v3/sites/{site}/teams/{team}/request-sensitive-data", tag = "Sites > Teams", params(("site" = String, Path), ("team" = String, Path, description = "The requesting team (one of the caller's)")),
    request_body = RequestSensitiveBody,
    responses((status = 201, body = inline(Data<DataRequestView>)), (status = 404), (status = 422)))]
pub(crate) async fn request_sensitive(
    State(state): State<ApiState>,
    caller: Caller,
    Path((site, team)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<DataRequestView>>)> {
    let site = visible_site(&state, &caller, &site).await?;
    let (team, grant) = row(&state, &caller, &site, &team).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&[
        "reason",
        "requested_expires_never",
        "requested_data_expires_at",
    ]);
    let reason = b.required_string("reason", 255);
    let never = b.opt_bool("requested_expires_never").flatten();
    let expires_at = date_after_today(&mut b, "requested_data_expires_at").flatten();
    if grant.is_none() {
        b.error(
            "team",
            "The owner team already has access to sensitive data.",
        );
    }
    b.finish()?;
    if !caller.scope.basic.team_ids.contains(&team.id) {
        // The caller sees the row (as the owner) but speaks for another team.
        return Err(ApiError::Forbidden);
    }
    let request = state
        .store
        .create_data_request(NewDataRequest {
            site_id: site.id,
            team_id: team.id,
            user_id: caller.user.id,
            reason: reason.unwrap_or_default(),
            requested_expires_never: never.unwrap_or(false),
            requested_expires_at: expires_at,
        })
        .await?;
    notify_owner(&state, &site, &request).await?;
    Ok((StatusCode::CREATED, data(DataRequestView::from(&request))))
}

/// Queues an e-mail to the owner team's owners and admins about a data-access request.
async fn notify_owner(
    state: &ApiState,
    site: &Site,
    request: &voltgate_core::access::DataRequest,
) -> ApiResult<()> {
    let members = state.store.list_members(site.team_id).await?;
    let subject = format!(
        "{} asks for sensitive-data access to {}",
        request.team.name, site.address.name
    );
    let body = format!(
        "{} ({}) asks for access to the transactions, meter values and logs of site {}.\n\nReason: {}\n\n\
         Grant it with POST /api/v3/sites/{}/teams/{}/grant-sensitive-data.",
        request.team.name,
        request.user_email,
        site.address.name,
        request.reason,
        site.uuid,
        request.team.uuid
    );
    for (user, role) in members {
        if matches!(
            role,
            voltgate_core::types::TeamRole::Owner | voltgate_core::types::TeamRole::Admin
        ) {
            state
                .store
                .queue_email(&user.email, &subject, &body)
                .await?;
        }
    }
    Ok(())
}

/// Requests for sensitive-data access to the site, newest first (the owner team only).
#[utoipa::path(get, path = "/api/v3/sites/{site}/data-access-requests", tag = "Sites > Teams", params(("site" = String, Path)),
    responses((status = 200, body = inline(Data<Vec<DataRequestView>>)), (status = 403), (status = 404)))]
pub(crate) async fn requests(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<Data<Vec<DataRequestView>>>> {
    let site = visible_site(&state, &caller, &site).await?;
    if !in_owner_team(&caller, &site) {
        return Err(ApiError::Forbidden);
    }
    let list = state.store.list_data_requests(site.id).await?;
    Ok(data(list.iter().map(DataRequestView::from).collect()))
}
