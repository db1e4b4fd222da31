//! Invitations to a site by e-mail (Volttime `POST /sites/{site}/teams/invite`, at most 5 per
//! minute per user) and their acceptance (`POST /sites/invite/accept`). The invitee may get the
//! ownership (an installer hands a site over) or access with or without sensitive data.
//!
//! E-mails go to an outbox table; `GET /admin/outbox` shows it to administrators until a
//! delivery worker exists.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use voltgate_core::access::{GrantAccess, Invite, NewInvite};
use voltgate_core::auth::hash_token;

use super::site_teams::{accessible_assets, date_after_today, former_owner_access, site_chargers};
use crate::access::managed_site;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{page_request, paginated, Data, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::RateSlot;
use crate::time_fmt::{format, format_opt};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/sites/{site}/teams/invite", post(invite))
        .route("/sites/invite/accept", post(accept))
        .route("/admin/outbox", get(outbox))
}

/// Volttime: location invitations, 5 per minute per user.
const INVITES_PER_MINUTE: u32 = 5;
/// How long an invitation can be accepted.
const INVITE_VALIDITY: Duration = Duration::days(7);
const TOKEN_LEN: usize = 64;

/// 64 hexadecimal characters from two random UUIDs (244 random bits).
fn invite_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !e.chars().any(char::is_whitespace)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct InviteView {
    pub id: i64,
    pub uuid: Uuid,
    pub site_id: i64,
    pub site_uuid: Uuid,
    pub email: String,
    pub transfer_ownership: bool,
    pub data_access: bool,
    pub data_access_expires_at: Option<String>,
    pub can_access_all_assets: bool,
    pub expires_at: String,
    pub created_at: String,
}

impl From<&Invite> for InviteView {
    fn from(i: &Invite) -> Self {
        Self {
            id: i.id,
            uuid: i.uuid,
            site_id: i.site_id,
            site_uuid: i.site_uuid,
            email: i.email.clone(),
            transfer_ownership: i.transfer_ownership,
            data_access: i.access.data_access,
            data_access_expires_at: format_opt(i.access.data_access_expires_at),
            can_access_all_assets: i.access.full_asset_access,
            expires_at: format(i.expires_at),
            created_at: format(i.created_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct InviteLinks {
    /// Path of the web page that accepts the invitation.
    pub web: String,
    /// Link for the mobile app.
    pub deep_link: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct InviteCreated {
    pub message: &'static str,
    pub invite: InviteView,
    /// Shown once: only its digest is stored.
    pub invite_token: String,
    pub invite_links: InviteLinks,
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct InviteBody {
    /// Required, at most 255 characters.
    pub email: String,
    /// The accepting team becomes the owner (the inviting team keeps access, sensitive data for 14 days).
    pub transfer_ownership: Option<bool>,
    pub data_access: Option<bool>,
    /// A date after today (`Y-m-d`); none: access does not expire.
    pub data_access_expires_at: Option<String>,
    /// Default true; false needs `accessible_assets`.
    pub can_access_all_assets: Option<bool>,
    /// `[{"asset_type": "charger", "asset_id": "<charger uuid>"}]`.
    pub accessible_assets: Option<Vec<serde_json::Value>>,
}

/// Invites someone by e-mail to the site (owner team, owner or admin role; 5 per minute).
#[utoipa::path(post, path = "/api/v3/sites/{site}/teams/invite", tag = "Sites > Teams", params(("site" = String, Path)),
    request_body = InviteBody,
    responses((status = 201, body = InviteCreated), (status = 403), (status = 404), (status = 422), (status = 429, description = "Too Many Attempts. (Retry-After)")))]
pub(crate) async fn invite(
    State(state): State<ApiState>,
    Extension(slot): Extension<RateSlot>,
    caller: Caller,
    Path(site): Path<String>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<InviteCreated>)> {
    let site = managed_site(&state, &caller, &site).await?;
    let checked =
        state
            .rate_limiter
            .check_bucket("site-invites", INVITES_PER_MINUTE, caller.user.id);
    *slot.0.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((INVITES_PER_MINUTE, *checked.as_ref().unwrap_or(&0)));
    if let Err(retry_after) = checked {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let chargers = site_chargers(&state, &site).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&[
        "email",
        "transfer_ownership",
        "data_access",
        "data_access_expires_at",
        "can_access_all_assets",
        "accessible_assets",
    ]);
    let email = b.required_string("email", 255);
    if let Some(e) = &email {
        if !valid_email(e) {
            b.error("email", "Must be a valid email address.");
        }
    }
    let transfer = b.opt_bool("transfer_ownership").flatten().unwrap_or(false);
    let data_access = b.opt_bool("data_access").flatten().unwrap_or(false);
    let expires_at = date_after_today(&mut b, "data_access_expires_at").flatten();
    let all_assets = b
        .opt_bool("can_access_all_assets")
        .flatten()
        .unwrap_or(true);
    let assets = accessible_assets(&mut b, "accessible_assets", &chargers);
    if !all_assets && assets.is_none() && !b.has_error("accessible_assets") {
        b.error(
            "accessible_assets",
            "This field is required when `can_access_all_assets` is `false`.",
        );
    }
    b.finish()?;
    let email = email.unwrap_or_default();
    let token = invite_token();
    let invite = state
        .store
        .create_invite(NewInvite {
            site_id: site.id,
            invited_by: caller.user.id,
            email: email.clone(),
            token_hash: hash_token(&token),
            transfer_ownership: transfer,
            access: GrantAccess {
                data_access,
                data_access_expires_at: if data_access { expires_at } else { None },
                full_asset_access: all_assets,
                charger_ids: if all_assets {
                    Vec::new()
                } else {
                    assets.unwrap_or_default()
                },
            },
            expires_at: OffsetDateTime::now_utc() + INVITE_VALIDITY,
        })
        .await?;
    let links = InviteLinks {
        web: format!("/invites/{token}"),
        deep_link: format!("voltgate://invites/{token}"),
    };
    let body = format!(
        "{} invites you to the site {}.\n\nAccept with POST /api/v3/sites/invite/accept \
         {{\"token\": \"{token}\"}} or open {}. The invitation expires at {}.",
        caller.user.name,
        site.address.name,
        links.web,
        format(invite.expires_at)
    );
    state
        .store
        .queue_email(
            &email,
            &format!("Invitation to {}", site.address.name),
            &body,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(InviteCreated {
            message: "Invitation sent.",
            invite: InviteView::from(&invite),
            invite_token: token,
            invite_links: links,
        }),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct InviteAccepted {
    pub message: &'static str,
    pub site_id: Uuid,
    pub team_uuid: Uuid,
    pub is_owner: bool,
    pub data_access: bool,
}

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct AcceptBody {
    /// The 64-character invitation token.
    pub token: String,
    /// The team that gets the access (one the caller owns or administers); default: the caller's
    /// personal team, created when the caller has none.
    pub team_uuid: Option<Uuid>,
}

/// Accepts an invitation for one of the caller's teams.
#[utoipa::path(post, path = "/api/v3/sites/invite/accept", tag = "Sites > Teams", request_body = AcceptBody,
    responses((status = 200, body = InviteAccepted), (status = 422)))]
pub(crate) async fn accept(
    State(state): State<ApiState>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<Json<InviteAccepted>> {
    let mut b = Body::parse(&bytes)?;
    b.only(&["token", "team_uuid"]);
    let token = b.required_string("token", 255);
    if let Some(t) = &token {
        if t.chars().count() != TOKEN_LEN {
            b.error("token", "Must be 64 characters.");
        }
    }
    let team = match b.opt_uuid("team_uuid").flatten() {
        Some(uuid) => match caller.writable_team(uuid) {
            Some(m) => Some(m.team.clone()),
            None => {
                b.error(
                    "team_uuid",
                    "The uuid of an existing record in the teams table.",
                );
                None
            }
        },
        None => None,
    };
    b.finish()?;
    let invalid = || ApiError::field("token", "The invitation is invalid or has expired.");
    let now = OffsetDateTime::now_utc();
    let invite = state
        .store
        .find_invite(&hash_token(&token.unwrap_or_default()))
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > now)
        .ok_or_else(invalid)?;
    // The token travels by e-mail: it is proof only together with the address it went to.
    if !invite
        .email
        .trim()
        .eq_ignore_ascii_case(caller.user.email.trim())
    {
        return Err(ApiError::field(
            "token",
            "This invitation was sent to another e-mail address: sign in as that user to accept it.",
        ));
    }
    let team = match team {
        Some(t) => t,
        None => match caller.default_team() {
            Some(m) => m.team.clone(),
            None => {
                let name = format!("{}'s team", caller.user.name);
                state
                    .store
                    .create_team(caller.user.id, &name, None, "Personal", true)
                    .await?
            }
        },
    };
    let owner_id = invite.site_team_id;
    if owner_id == team.id {
        return Err(ApiError::field(
            "team_uuid",
            "This team already owns the site.",
        ));
    }
    if !state
        .store
        .mark_invite_accepted(invite.id, team.id, now)
        .await?
    {
        return Err(invalid());
    }
    if invite.transfer_ownership {
        state
            .store
            .transfer_site(invite.site_id, owner_id, team.id, &former_owner_access())
            .await?;
    } else {
        state
            .store
            .put_grant(invite.site_id, team.id, &invite.access)
            .await?;
    }
    Ok(Json(InviteAccepted {
        message: "Invitation accepted.",
        site_id: invite.site_uuid,
        team_uuid: team.uuid,
        is_owner: invite.transfer_ownership,
        data_access: invite.transfer_ownership || invite.access.data_access,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct OutboxView {
    pub uuid: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
}

/// E-mails waiting for delivery, newest first (administrators only).
#[utoipa::path(get, path = "/api/v3/admin/outbox", tag = "Admin", params(("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<OutboxView>>)), (status = 403)))]
pub(crate) async fn outbox(
    State(state): State<ApiState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<OutboxView>>> {
    if !caller.user.is_admin {
        return Err(ApiError::Forbidden);
    }
    let page = state.store.list_outbox(page_request(&params)?).await?;
    Ok(paginated(
        &uri,
        page.map(|e| OutboxView {
            uuid: e.uuid,
            recipient: e.recipient,
            subject: e.subject,
            body: e.body,
            created_at: format(e.created_at),
        }),
    ))
}
