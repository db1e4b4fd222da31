//! `/cards`: id tags (RFID cards, app tokens) that may start charging on the team's chargers.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use voltgate_core::model::Card;
use voltgate_core::store::{CardPatch, CardQuery, NewCard};
use voltgate_core::types::{CardStatus, IdTag};

use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, filter, page_request, paginated, Data, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::views::CardView;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/cards", get(list).post(create))
        .route("/sites/{site}/cards", get(site_cards))
        .route(
            "/cards/{uid}",
            get(show).put(update).patch(update).delete(destroy),
        )
}

const STATUSES: &[&str] = &["accepted", "blocked", "expired"];

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct CardBody {
    /// The OCPP idTag, at most 20 characters, case-insensitive, unique per team. Create only.
    pub uid: String,
    pub name: Option<String>,
    /// accepted (default), blocked or expired.
    pub status: Option<String>,
    pub expires_at: Option<String>,
    /// The group id tag (OCPP parentIdTag), at most 20 characters.
    pub parent_uid: Option<String>,
    /// Owning team (default: the caller's personal team). Create only.
    pub team_uuid: Option<uuid::Uuid>,
}

async fn visible(state: &ApiState, caller: &Caller, uid: &str) -> ApiResult<Card> {
    state
        .store
        .find_card(&caller.team_ids(), uid)
        .await?
        .ok_or(ApiError::NotFound)
}

fn common(b: &mut Body) -> CardPatch {
    let mut p = CardPatch {
        name: b.opt_string("name", 255),
        ..Default::default()
    };
    match b.opt_choice("status", STATUSES) {
        Some(Some(s)) => p.status = CardStatus::parse(&s),
        Some(None) => b.error("status", "This field is required."),
        None => {}
    }
    p.expires_at = b.opt_time("expires_at");
    p.parent_uid = b.opt_string("parent_uid", IdTag::MAX_LEN);
    p
}

#[utoipa::path(get, path = "/api/v3/cards", tag = "Cards", params(("filter[status]" = Option<String>, Query), ("search" = Option<String>, Query), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<CardView>>))))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    let status = match filter(&params, "status") {
        Some(s) => Some(CardStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                "filter[status]",
                "Must be one of: accepted, blocked, expired.",
            )
        })?),
        None => None,
    };
    let query = CardQuery {
        team_ids: caller.team_ids(),
        status,
        search: filter(&params, "search").map(str::to_owned),
        page: page_request(&params)?,
    };
    let page = state.store.list_cards(&query).await?;
    Ok(paginated(&uri, page.map(|c| CardView::from(&c))))
}

/// Volttime's Sites > Cards: the cards the site's chargers accept (its owner team's cards). Card
/// uids are sensitive data: a team with access to the site needs sensitive-data access (403
/// without; 404 when the site is not visible at all).
#[utoipa::path(get, path = "/api/v3/sites/{site}/cards", tag = "Cards", params(("site" = String, Path), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<CardView>>)), (status = 403), (status = 404)))]
pub(crate) async fn site_cards(
    State(state): State<ApiState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(site): Path<String>,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    let site = crate::access::visible_site(&state, &caller, &site).await?;
    if !caller.scope.sensitive.site(&site) {
        return Err(ApiError::Forbidden);
    }
    let query = CardQuery {
        team_ids: vec![site.team_id],
        status: None,
        search: None,
        page: page_request(&params)?,
    };
    let page = state.store.list_cards(&query).await?;
    Ok(paginated(&uri, page.map(|c| CardView::from(&c))))
}

#[utoipa::path(post, path = "/api/v3/cards", tag = "Cards", request_body = CardBody, responses((status = 201, body = inline(Data<CardView>)), (status = 422)))]
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<CardView>>)> {
    let mut b = Body::parse(&bytes)?;
    b.only(&[
        "uid",
        "name",
        "status",
        "expires_at",
        "parent_uid",
        "team_uuid",
    ]);
    let uid = b.required_string("uid", IdTag::MAX_LEN);
    let p = common(&mut b);
    let team_id = match b.opt_uuid("team_uuid").flatten() {
        Some(uuid) => match caller.writable_team(uuid) {
            Some(m) => Some(m.team.id),
            None => {
                b.error(
                    "team_uuid",
                    "The uuid of an existing record in the teams table.",
                );
                None
            }
        },
        None => caller.default_team().map(|m| m.team.id),
    };
    b.finish()?;
    let team_id = team_id.ok_or(ApiError::Forbidden)?;
    let card = NewCard {
        team_id,
        uid: uid.unwrap_or_default(),
        name: p.name.flatten(),
        status: p.status.unwrap_or(CardStatus::Accepted),
        expires_at: p.expires_at.flatten(),
        parent_uid: p.parent_uid.flatten(),
    };
    let card = match state.store.create_card(card).await {
        Err(voltgate_core::StoreError::Conflict(_)) => {
            return Err(ApiError::field("uid", "Has already been taken."))
        }
        other => other?,
    };
    Ok((StatusCode::CREATED, data(CardView::from(&card))))
}

#[utoipa::path(get, path = "/api/v3/cards/{uid}", tag = "Cards", params(("uid" = String, Path)), responses((status = 200, body = inline(Data<CardView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uid): Path<String>,
) -> ApiResult<Json<Data<CardView>>> {
    Ok(data(CardView::from(&visible(&state, &caller, &uid).await?)))
}

#[utoipa::path(put, path = "/api/v3/cards/{uid}", tag = "Cards", params(("uid" = String, Path)), request_body = CardBody,
    responses((status = 200, body = inline(Data<CardView>)), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<CardView>>> {
    let card = visible(&state, &caller, &uid).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["name", "status", "expires_at", "parent_uid"]);
    let patch = common(&mut b);
    b.finish()?;
    if !caller.can_write(card.team_id) {
        return Err(ApiError::Forbidden);
    }
    state.store.update_card(card.id, patch).await?;
    Ok(data(CardView::from(&visible(&state, &caller, &uid).await?)))
}

#[utoipa::path(delete, path = "/api/v3/cards/{uid}", tag = "Cards", params(("uid" = String, Path)), responses((status = 204), (status = 404)))]
pub(crate) async fn destroy(
    State(state): State<ApiState>,
    caller: Caller,
    Path(uid): Path<String>,
) -> ApiResult<StatusCode> {
    let card = visible(&state, &caller, &uid).await?;
    if !caller.can_write(card.team_id) {
        return Err(ApiError::Forbidden);
    }
    state.store.delete_card(card.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
