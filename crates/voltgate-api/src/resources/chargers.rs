//! `/chargers`: register chargers by identity, list, show (with connectors), update, delete.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use uuid::Uuid;
use voltgate_core::auth::{generate_pincode, hash_charger_password};
use voltgate_core::model::Charger;
use voltgate_core::store::{ChargerPatch, ChargerQuery, NewCharger};
use voltgate_core::types::{ChargerIdentity, ConnectionStatus};

use voltgate_core::access::Reach;

use crate::access::{charger_query, find_site, may_write};
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, filter, page_request, paginated, sort, Data, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::views::ChargerView;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/chargers", get(list).post(create))
        .route(
            "/chargers/{charger}",
            get(show).put(update).patch(update).delete(destroy),
        )
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct CreateCharger {
    /// The OCPP identity (last segment of the charger's WebSocket URL): required, unique, at most
    /// 45 characters of `a-z A-Z 0-9 * - _ = : + | @ .`.
    pub identity: String,
    /// A label for people, at most 255 characters.
    pub reference: Option<String>,
    /// Attach to this site (its team owns the charger).
    pub site_uuid: Option<Uuid>,
    /// Owning team when no site is given (default: the caller's personal team).
    pub team_uuid: Option<Uuid>,
    /// OCPP security profile 1: the charger must send HTTP Basic auth with this password
    /// (8 to 64 characters). Write-only.
    pub password: Option<String>,
    /// `accept` or `pending` (hold in Pending while Voltgate reads and sets the configuration);
    /// null follows the server's `--boot-policy`.
    pub boot_policy: Option<String>,
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct UpdateCharger {
    pub reference: Option<String>,
    /// Move to another site of the same team, or `null` to detach.
    pub site_uuid: Option<Uuid>,
    /// New Basic-auth password, or `null` to remove it. Write-only.
    pub password: Option<String>,
}

pub(crate) use crate::access::visible_charger;

pub(crate) async fn view(
    state: &ApiState,
    caller: &Caller,
    charger: &Charger,
) -> ApiResult<ChargerView> {
    let connectors = state.store.list_connectors(&[charger.id]).await?;
    Ok(ChargerView::new(
        charger,
        &connectors,
        caller.charger_permissions(charger),
    ))
}

fn password_field(b: &mut Body) -> Option<Option<String>> {
    match b.opt_string("password", 64)? {
        Some(p) if p.chars().count() < 8 => {
            b.error("password", "Must be at least 8 characters.");
            None
        }
        other => Some(other),
    }
}

/// Lists chargers (`filter[site_uuid]`, `filter[connection_status]`, `filter[status]`, `search`, `sort`).
#[utoipa::path(get, path = "/api/v3/chargers", tag = "Chargers",
    params(("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query), ("filter[site_uuid]" = Option<String>, Query),
        ("filter[connection_status]" = Option<String>, Query), ("filter[status]" = Option<String>, Query), ("search" = Option<String>, Query),
        ("sort" = Option<String>, Query, description = "id, identity, reference, created_at, updated_at, connection_status, status, last_heartbeat_at; prefix - for descending")),
    responses((status = 200, description = "Paginated chargers", body = inline(Data<Vec<ChargerView>>))))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    let site_id = match filter(&params, "site_uuid") {
        Some(s) => {
            let uuid = Uuid::parse_str(s)
                .map_err(|_| ApiError::field("filter[site_uuid]", "Must be a valid UUID."))?;
            // An invisible site filters to nothing, like an unknown one.
            Some(
                find_site(&state, &caller.scope.basic, uuid)
                    .await?
                    .map_or(-1, |s| s.id),
            )
        }
        None => None,
    };
    let connection_status = match filter(&params, "connection_status") {
        Some(s) => Some(ConnectionStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                "filter[connection_status]",
                "Must be one of: never_seen, online, offline.",
            )
        })?),
        None => None,
    };
    let query = ChargerQuery {
        site_id,
        connection_status,
        status: filter(&params, "status").map(str::to_owned),
        search: filter(&params, "search").map(str::to_owned),
        sort: sort(
            &params,
            &[
                "id",
                "identity",
                "reference",
                "created_at",
                "updated_at",
                "connection_status",
                "status",
                "last_heartbeat_at",
            ],
        )?,
        page: page_request(&params)?,
        ..charger_query(&caller.scope.basic)
    };
    charger_page(&state, &caller, &uri, query).await
}

/// One page of chargers with their connectors, as the caller sees them.
pub(crate) async fn charger_page(
    state: &ApiState,
    caller: &Caller,
    uri: &axum::http::Uri,
    query: ChargerQuery,
) -> ApiResult<Json<Paginated<ChargerView>>> {
    let page = state.store.list_chargers(&query).await?;
    let ids: Vec<i64> = page.items.iter().map(|c| c.id).collect();
    let connectors = state.store.list_connectors(&ids).await?;
    Ok(paginated(
        uri,
        page.map(|c| ChargerView::new(&c, &connectors, caller.charger_permissions(&c))),
    ))
}

/// Validated input for a new charger, shared with the deprecated v2 route.
pub(crate) struct NewChargerInput {
    pub identity: String,
    pub reference: Option<String>,
    pub password: Option<String>,
    pub boot_policy: Option<String>,
}

const BOOT_POLICIES: &[&str] = &["accept", "pending"];

pub(crate) fn identity_field(b: &mut Body) -> Option<String> {
    let identity = b.required_string("identity", 45)?;
    match ChargerIdentity::parse(&identity) {
        Ok(i) => Some(i.as_str().to_owned()),
        Err(e) => {
            b.error("identity", &e.0);
            None
        }
    }
}

pub(crate) async fn insert_charger(
    state: &ApiState,
    team_id: i64,
    site_id: Option<i64>,
    input: NewChargerInput,
) -> ApiResult<Charger> {
    let uuid = Uuid::new_v4();
    let (smart, pro) = state.default_licenses;
    let created = state
        .store
        .create_charger(NewCharger {
            team_id,
            site_id,
            uuid,
            identity: input.identity,
            reference: input.reference,
            password_hash: input.password.map(|p| hash_charger_password(uuid, &p)),
            pincode: generate_pincode(),
            license_smart: smart,
            license_pro: pro,
            boot_policy: input.boot_policy,
        })
        .await;
    match created {
        Err(voltgate_core::StoreError::Conflict("identity")) => {
            Err(ApiError::field("identity", "Has already been taken."))
        }
        other => Ok(other?),
    }
}

/// Registers a charger by its OCPP identity.
#[utoipa::path(post, path = "/api/v3/chargers", tag = "Chargers", request_body = CreateCharger,
    responses((status = 201, body = inline(Data<ChargerView>)), (status = 422, description = "e.g. identity: Must not be greater than 45 characters.")))]
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<ChargerView>>)> {
    let mut b = Body::parse(&bytes)?;
    b.only(&[
        "identity",
        "reference",
        "site_uuid",
        "team_uuid",
        "password",
        "boot_policy",
    ]);
    let identity = identity_field(&mut b);
    let boot_policy = b.opt_choice("boot_policy", BOOT_POLICIES).flatten();
    let reference = b.opt_string("reference", 255).flatten();
    let password = password_field(&mut b).flatten();
    let site = b.opt_uuid("site_uuid").flatten();
    let team = b.opt_uuid("team_uuid").flatten();
    let mut target = None;
    if let Some(site_uuid) = site {
        match find_site(&state, &caller.scope.basic, site_uuid).await? {
            Some(s) if caller.can_write(s.team_id) => target = Some((s.team_id, Some(s.id))),
            _ => b.error(
                "site_uuid",
                "The uuid of an existing record in the sites table.",
            ),
        }
    } else if let Some(team_uuid) = team {
        match caller.writable_team(team_uuid) {
            Some(m) => target = Some((m.team.id, None)),
            None => b.error(
                "team_uuid",
                "The uuid of an existing record in the teams table.",
            ),
        }
    } else {
        target = caller.default_team().map(|m| (m.team.id, None));
    }
    b.finish()?;
    let (team_id, site_id) = target.ok_or(ApiError::Forbidden)?;
    let input = NewChargerInput {
        identity: identity.unwrap_or_default(),
        reference,
        password,
        boot_policy,
    };
    let charger = insert_charger(&state, team_id, site_id, input).await?;
    Ok((
        StatusCode::CREATED,
        data(view(&state, &caller, &charger).await?),
    ))
}

#[utoipa::path(get, path = "/api/v3/chargers/{charger}", tag = "Chargers", params(("charger" = String, Path, description = "Charger uuid")),
    responses((status = 200, body = inline(Data<ChargerView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<Json<Data<ChargerView>>> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    Ok(data(view(&state, &caller, &charger).await?))
}

/// Partial update (PUT and PATCH alike): only the fields sent change.
#[utoipa::path(put, path = "/api/v3/chargers/{charger}", tag = "Chargers", params(("charger" = String, Path)), request_body = UpdateCharger,
    responses((status = 200, body = inline(Data<ChargerView>)), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<ChargerView>>> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["reference", "site_uuid", "password", "boot_policy"]);
    let mut patch = ChargerPatch {
        reference: b.opt_string("reference", 255),
        boot_policy: b.opt_choice("boot_policy", BOOT_POLICIES),
        ..Default::default()
    };
    if let Some(p) = password_field(&mut b) {
        patch.password_hash = Some(p.map(|p| hash_charger_password(charger.uuid, &p)));
    }
    match b.opt_uuid("site_uuid") {
        Some(Some(site_uuid)) => {
            match find_site(&state, &Reach::teams(vec![charger.team_id]), site_uuid).await? {
                Some(s) => patch.site_id = Some(Some(s.id)),
                None => b.error(
                    "site_uuid",
                    "The uuid of an existing site of the charger's team.",
                ),
            }
        }
        Some(None) => patch.site_id = Some(None),
        None => {}
    }
    b.finish()?;
    may_write(&caller, charger.team_id)?;
    state.store.update_charger(charger.id, patch).await?;
    state.load.events().charger_moved(charger.id);
    let charger = state
        .store
        .find_charger(&Reach::teams(vec![charger.team_id]), charger.uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(data(view(&state, &caller, &charger).await?))
}

/// Deletes the charger with its connectors, transactions, meter values and logs.
#[utoipa::path(delete, path = "/api/v3/chargers/{charger}", tag = "Chargers", params(("charger" = String, Path)), responses((status = 204), (status = 404)))]
pub(crate) async fn destroy(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<StatusCode> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    may_write(&caller, charger.team_id)?;
    state.store.delete_charger(charger.id).await?;
    // A deleted charger keeps no connection (its reports would have nothing to belong to).
    state.commands.disconnect(&charger).await;
    Ok(StatusCode::NO_CONTENT)
}
