//! Personal access tokens (`/user/tokens`: create shows the token once; list; revoke) and user
//! creation by administrators (`POST /users`, with the new user's personal team).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Serialize;
use uuid::Uuid;
use voltgate_core::auth::{generate_token, hash_token};

use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::time_fmt::format;
use crate::views::UserView;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/user/tokens", get(list).post(create))
        .route("/user/tokens/{token}", delete(revoke))
        .route("/users", post(create_user))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TokenView {
    pub uuid: Uuid,
    pub name: String,
    /// Only in the answer to its creation; Voltgate keeps a digest, never the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub created_at: String,
}

/// The caller's tokens (names and dates; the secrets are not stored).
#[utoipa::path(get, path = "/api/v3/user/tokens", tag = "User", responses((status = 200, body = inline(Data<Vec<TokenView>>))))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
) -> ApiResult<Json<Data<Vec<TokenView>>>> {
    let tokens = state.store.list_tokens(caller.user.id).await?;
    Ok(data(
        tokens
            .into_iter()
            .map(|t| TokenView {
                uuid: t.uuid,
                name: t.name,
                token: None,
                created_at: format(t.created_at),
            })
            .collect(),
    ))
}

/// Creates a token for the caller; the answer is the only time it is shown.
#[utoipa::path(post, path = "/api/v3/user/tokens", tag = "User", request_body(content = Object, description = "{\"name\": \"home assistant\"}"),
    responses((status = 201, body = inline(Data<TokenView>)), (status = 422)))]
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<TokenView>>)> {
    let mut b = Body::parse(&bytes)?;
    b.only(&["name"]);
    let name = b.required_string("name", 255);
    b.finish()?;
    let token = generate_token();
    let stored = state
        .store
        .create_token(
            caller.user.id,
            &name.unwrap_or_default(),
            &hash_token(&token),
        )
        .await?;
    let view = TokenView {
        uuid: stored.uuid,
        name: stored.name,
        token: Some(token),
        created_at: format(stored.created_at),
    };
    Ok((StatusCode::CREATED, data(view)))
}

/// Revokes one of the caller's tokens (the token in use can revoke itself).
#[utoipa::path(delete, path = "/api/v3/user/tokens/{token}", tag = "User", params(("token" = String, Path, description = "Token uuid")),
    responses((status = 204), (status = 404)))]
pub(crate) async fn revoke(
    State(state): State<ApiState>,
    caller: Caller,
    Path(token): Path<String>,
) -> ApiResult<StatusCode> {
    let uuid = super::path_uuid(&token)?;
    if state.store.revoke_token(caller.user.id, uuid).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Creates a user with a personal team (administrators only). Give them a token with
/// `voltgate token create --email ...`, or let them create their own once they have one.
#[utoipa::path(post, path = "/api/v3/users", tag = "User", request_body(content = Object, description = "{\"name\": \"Ada\", \"email\": \"ada@example.com\"}"),
    responses((status = 201, body = inline(Data<UserView>)), (status = 403), (status = 422)))]
pub(crate) async fn create_user(
    State(state): State<ApiState>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<UserView>>)> {
    if !caller.user.is_admin {
        return Err(ApiError::Forbidden);
    }
    let mut b = Body::parse(&bytes)?;
    b.only(&["name", "email"]);
    let name = b.required_string("name", 255);
    let email = b.required_string("email", 255);
    if let Some(e) = &email {
        let valid = e
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !e.contains(' '));
        if !valid {
            b.error("email", "Must be a valid email address.");
        }
    }
    b.finish()?;
    let (name, email) = (name.unwrap_or_default(), email.unwrap_or_default());
    let user = match state.store.create_user(&name, &email, false).await {
        Err(voltgate_core::StoreError::Conflict(_)) => {
            return Err(ApiError::field("email", "Has already been taken."))
        }
        other => other?,
    };
    state
        .store
        .create_team(
            user.id,
            &format!("{name}'s team"),
            Some(&email),
            "Personal",
            true,
        )
        .await?;
    Ok((StatusCode::CREATED, data(UserView::from(&user))))
}
