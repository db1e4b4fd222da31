//! `GET /user` (who am I) and `/teams` (the caller's teams; create one).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::ApiResult;
use crate::views::{TeamView, UserView};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/user", get(me))
        .route("/teams", get(list_teams).post(create_team))
}

/// The authenticated user.
#[utoipa::path(get, path = "/api/v3/user", tag = "User", responses((status = 200, body = inline(Data<UserView>)), (status = 401)))]
pub(crate) async fn me(caller: Caller) -> Json<Data<UserView>> {
    data(UserView::from(&caller.user))
}

/// The teams the caller belongs to, with the caller's role.
#[utoipa::path(get, path = "/api/v3/teams", tag = "Teams", responses((status = 200, body = inline(Data<Vec<TeamView>>))))]
pub(crate) async fn list_teams(caller: Caller) -> Json<Data<Vec<TeamView>>> {
    data(caller.memberships.iter().map(TeamView::from).collect())
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct CreateTeam {
    /// At most 255 characters.
    pub name: String,
    pub email: Option<String>,
    /// Free text, e.g. "Installer", "Fleet", "Other".
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Creates a team; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v3/teams", tag = "Teams", request_body = CreateTeam,
    responses((status = 201, body = inline(Data<TeamView>)), (status = 422)))]
pub(crate) async fn create_team(
    State(state): State<ApiState>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<TeamView>>)> {
    let mut b = Body::parse(&bytes)?;
    b.only(&["name", "email", "type"]);
    let name = b.required_string("name", 255);
    let email = b.opt_string("email", 255).flatten();
    let kind = b
        .opt_string("type", 64)
        .flatten()
        .unwrap_or_else(|| "Other".into());
    b.finish()?;
    let name = name.unwrap_or_default();
    let team = state
        .store
        .create_team(caller.user.id, &name, email.as_deref(), &kind, false)
        .await?;
    Ok((
        StatusCode::CREATED,
        data(TeamView::new(&team, Some("owner"))),
    ))
}
