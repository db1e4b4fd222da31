//! The deprecated Volttime v2 route of seed 001, kept for existing integrations:
//! `POST /api/v2/teams/{team_id}/sites/{site_id}/chargers` with integer ids. Its answer carries
//! the `deprecation` notice.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};

use super::chargers::{identity_field, insert_charger, NewChargerInput};
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::views::ChargerV2View;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new().route("/teams/{team_id}/sites/{site_id}/chargers", post(create))
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct CreateChargerV2 {
    /// Must not be greater than 45 characters.
    pub identity: String,
}

/// Deprecated: use `POST /api/v3/chargers` with `site_uuid`.
#[utoipa::path(post, path = "/api/v2/teams/{team_id}/sites/{site_id}/chargers", tag = "Deprecated", request_body = CreateChargerV2,
    params(("team_id" = i64, Path), ("site_id" = i64, Path)),
    responses((status = 200, body = inline(Data<ChargerV2View>)), (status = 404), (status = 422)))]
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Path((team_id, site_id)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult<Json<Data<ChargerV2View>>> {
    let team_id: i64 = team_id.parse().map_err(|_| ApiError::NotFound)?;
    let site_id: i64 = site_id.parse().map_err(|_| ApiError::NotFound)?;
    if !caller.team_ids().contains(&team_id) {
        return Err(ApiError::NotFound);
    }
    let site = state
        .store
        .find_site_by_id(&voltgate_core::access::Reach::teams(vec![team_id]), site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["identity", "reference"]);
    let identity = identity_field(&mut b);
    let reference = b.opt_string("reference", 255).flatten();
    b.finish()?;
    if !caller.can_write(team_id) {
        return Err(ApiError::Forbidden);
    }
    let input = NewChargerInput {
        identity: identity.unwrap_or_default(),
        reference,
        password: None,
        boot_policy: None,
    };
    let charger = insert_charger(&state, team_id, Some(site.id), input).await?;
    Ok(data(ChargerV2View::from(&charger)))
}
