//! One team and its members: `GET/PUT/DELETE /teams/{team}`, `GET/POST /teams/{team}/members`,
//! `PUT/DELETE /teams/{team}/members/{user}`. Members see the team; owners and admins manage it;
//! only owners grant or take the owner role, and a team always keeps at least one owner.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use voltgate_core::model::Membership;
use voltgate_core::types::TeamRole;

use super::path_uuid;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::views::{TeamView, UserView};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route(
            "/teams/{team}",
            get(show).put(update).patch(update).delete(destroy),
        )
        .route("/teams/{team}/members", get(members).post(add))
        .route(
            "/teams/{team}/members/{user}",
            put(set_role).patch(set_role).delete(remove),
        )
}

const ROLES: &[&str] = &["owner", "admin", "member"];

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct MemberView {
    pub user: UserView,
    /// owner, admin or member.
    pub role: String,
}

/// The caller's membership of the team, or 404 (a team the caller is not in does not exist for them).
fn membership<'a>(caller: &'a Caller, team: &str) -> ApiResult<&'a Membership> {
    let uuid = path_uuid(team)?;
    caller
        .memberships
        .iter()
        .find(|m| m.team.uuid == uuid)
        .ok_or(ApiError::NotFound)
}

fn manages(m: &Membership) -> bool {
    matches!(m.role, TeamRole::Owner | TeamRole::Admin)
}

#[utoipa::path(get, path = "/api/v3/teams/{team}", tag = "Teams", params(("team" = String, Path)), responses((status = 200, body = inline(Data<TeamView>)), (status = 404)))]
pub(crate) async fn show(
    caller: Caller,
    Path(team): Path<String>,
) -> ApiResult<Json<Data<TeamView>>> {
    Ok(data(TeamView::from(membership(&caller, &team)?)))
}

#[utoipa::path(put, path = "/api/v3/teams/{team}", tag = "Teams", params(("team" = String, Path)), request_body(content = Object, description = "{\"name\": ..., \"email\": ...}"),
    responses((status = 200, body = inline(Data<TeamView>)), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(team): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<TeamView>>> {
    let m = membership(&caller, &team)?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["name", "email"]);
    let name = match b.opt_string("name", 255) {
        Some(Some(n)) if !n.trim().is_empty() => Some(n),
        Some(_) => {
            b.error("name", "This field is required.");
            None
        }
        None => None,
    };
    let email = b.opt_string("email", 255);
    b.finish()?;
    if !manages(m) {
        return Err(ApiError::Forbidden);
    }
    state.store.update_team(m.team.id, name, email).await?;
    let updated = state
        .store
        .find_team_by_uuid(m.team.uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(data(TeamView::new(&updated, Some(m.role.as_str()))))
}

/// Deletes a team that owns nothing (409 while it owns sites, chargers or cards). Owners only;
/// a personal team cannot be deleted.
#[utoipa::path(delete, path = "/api/v3/teams/{team}", tag = "Teams", params(("team" = String, Path)), responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub(crate) async fn destroy(
    State(state): State<ApiState>,
    caller: Caller,
    Path(team): Path<String>,
) -> ApiResult<StatusCode> {
    let m = membership(&caller, &team)?;
    if m.role != TeamRole::Owner || m.team.is_personal_team {
        return Err(ApiError::Forbidden);
    }
    match state.store.delete_team(m.team.id).await {
        Err(voltgate_core::StoreError::Conflict(_)) => Err(ApiError::Conflict(
            "The team still owns sites, chargers or cards; move or delete them first.".into(),
        )),
        other => other
            .map(|()| StatusCode::NO_CONTENT)
            .map_err(ApiError::from),
    }
}

#[utoipa::path(get, path = "/api/v3/teams/{team}/members", tag = "Teams", params(("team" = String, Path)), responses((status = 200, body = inline(Data<Vec<MemberView>>)), (status = 404)))]
pub(crate) async fn members(
    State(state): State<ApiState>,
    caller: Caller,
    Path(team): Path<String>,
) -> ApiResult<Json<Data<Vec<MemberView>>>> {
    let m = membership(&caller, &team)?;
    let list = state.store.list_members(m.team.id).await?;
    Ok(data(
        list.iter()
            .map(|(u, r)| MemberView {
                user: UserView::from(u),
                role: r.as_str().to_owned(),
            })
            .collect(),
    ))
}

/// Adds an existing user (by e-mail) with a role. Owners and admins; only owners add owners.
#[utoipa::path(post, path = "/api/v3/teams/{team}/members", tag = "Teams", params(("team" = String, Path)), request_body(content = Object, description = "{\"email\": ..., \"role\": \"member\"}"),
    responses((status = 201, body = inline(Data<MemberView>)), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn add(
    State(state): State<ApiState>,
    caller: Caller,
    Path(team): Path<String>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<MemberView>>)> {
    let m = membership(&caller, &team)?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["email", "role"]);
    let email = b.required_string("email", 255);
    let role = b
        .opt_choice("role", ROLES)
        .flatten()
        .unwrap_or_else(|| "member".into());
    let user = match &email {
        Some(e) => state.store.find_user_by_email(e).await?,
        None => None,
    };
    if email.is_some() && user.is_none() {
        b.error("email", "No user has this e-mail address.");
    }
    b.finish()?;
    let role = TeamRole::parse(&role).unwrap_or(TeamRole::Member);
    if !manages(m) || (role == TeamRole::Owner && m.role != TeamRole::Owner) {
        return Err(ApiError::Forbidden);
    }
    let user = user.ok_or(ApiError::NotFound)?;
    match state.store.add_member(m.team.id, user.id, role).await {
        Err(voltgate_core::StoreError::Conflict(_)) => {
            return Err(ApiError::field("email", "This user is already a member."))
        }
        other => other?,
    }
    Ok((
        StatusCode::CREATED,
        data(MemberView {
            user: UserView::from(&user),
            role: role.as_str().to_owned(),
        }),
    ))
}

/// Finds a member of the team by user uuid, or 404.
async fn member(
    state: &ApiState,
    team_id: i64,
    user: &str,
) -> ApiResult<(voltgate_core::model::User, TeamRole, Vec<TeamRole>)> {
    let uuid = path_uuid(user)?;
    let list = state.store.list_members(team_id).await?;
    let roles = list.iter().map(|(_, r)| *r).collect();
    let (u, r) = list
        .into_iter()
        .find(|(u, _)| u.uuid == uuid)
        .ok_or(ApiError::NotFound)?;
    Ok((u, r, roles))
}

fn last_owner(role: TeamRole, roles: &[TeamRole]) -> bool {
    role == TeamRole::Owner && roles.iter().filter(|r| **r == TeamRole::Owner).count() == 1
}

#[utoipa::path(put, path = "/api/v3/teams/{team}/members/{user}", tag = "Teams", params(("team" = String, Path), ("user" = String, Path)), request_body(content = Object, description = "{\"role\": \"admin\"}"),
    responses((status = 200, body = inline(Data<MemberView>)), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn set_role(
    State(state): State<ApiState>,
    caller: Caller,
    Path((team, user)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<MemberView>>> {
    let m = membership(&caller, &team)?;
    let (target, current, roles) = member(&state, m.team.id, &user).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["role"]);
    let role = match b.opt_choice("role", ROLES) {
        Some(Some(r)) => TeamRole::parse(&r),
        None if b.has("role") => None,
        _ => {
            b.error("role", "This field is required.");
            None
        }
    };
    if let Some(r) = role {
        if r != TeamRole::Owner && last_owner(current, &roles) {
            b.error("role", "A team needs at least one owner.");
        }
    }
    b.finish()?;
    let role = role.unwrap_or(current);
    let touches_owner = role == TeamRole::Owner || current == TeamRole::Owner;
    if !manages(m) || (touches_owner && m.role != TeamRole::Owner) {
        return Err(ApiError::Forbidden);
    }
    state
        .store
        .set_member_role(m.team.id, target.id, role)
        .await?;
    Ok(data(MemberView {
        user: UserView::from(&target),
        role: role.as_str().to_owned(),
    }))
}

/// Removes a member (owners and admins; anyone may leave). The last owner cannot leave.
#[utoipa::path(delete, path = "/api/v3/teams/{team}/members/{user}", tag = "Teams", params(("team" = String, Path), ("user" = String, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn remove(
    State(state): State<ApiState>,
    caller: Caller,
    Path((team, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let m = membership(&caller, &team)?;
    let (target, current, roles) = member(&state, m.team.id, &user).await?;
    let leaving = target.id == caller.user.id;
    if !leaving && (!manages(m) || (current == TeamRole::Owner && m.role != TeamRole::Owner)) {
        return Err(ApiError::Forbidden);
    }
    if last_owner(current, &roles) {
        return Err(ApiError::field("user", "A team needs at least one owner."));
    }
    state.store.remove_member(m.team.id, target.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
