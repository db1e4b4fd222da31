//! Who is calling: a personal access token (`Authorization: Bearer ...`) resolves to a user, the
//! teams they belong to and the site grants of those teams. Everything the caller can see is
//! scoped by these (see `access.rs`), so another team's object is simply not found (404, never
//! 403: existence is not revealed).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use time::OffsetDateTime;
use voltgate_core::access::{Scope, SiteGrant};
use voltgate_core::auth::hash_token;
use voltgate_core::model::{Membership, User};
use voltgate_core::types::TeamRole;

use crate::error::ApiError;
use crate::ApiState;

#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub memberships: Vec<Membership>,
    /// Site grants held by the caller's teams (other teams' sites they may see).
    pub grants: Vec<SiteGrant>,
    /// What the caller may see, folded from memberships and grants at the start of the request.
    pub scope: Scope,
    /// Where the audit log hears which team's objects the request touched (mutating requests).
    pub(crate) audit: Option<crate::audit::ActorSlot>,
}

impl Caller {
    /// Ids of every team the caller belongs to.
    pub fn team_ids(&self) -> Vec<i64> {
        self.memberships.iter().map(|m| m.team.id).collect()
    }

    /// The team new objects go to when none is named: the first (personal) team.
    pub fn default_team(&self) -> Option<&Membership> {
        self.memberships
            .iter()
            .find(|m| m.team.is_personal_team)
            .or(self.memberships.first())
    }

    /// Tells the audit log the request touched an object of `team_id`.
    pub(crate) fn touch(&self, team_id: i64) {
        if let Some(slot) = &self.audit {
            slot.touch(team_id);
        }
    }

    /// A team the caller may create objects in (owner or admin), by uuid.
    pub fn writable_team(&self, uuid: uuid::Uuid) -> Option<&Membership> {
        let found = self
            .memberships
            .iter()
            .find(|m| m.team.uuid == uuid && matches!(m.role, TeamRole::Owner | TeamRole::Admin));
        if let Some(m) = found {
            self.touch(m.team.id);
        }
        found
    }

    /// Whether the caller may change objects of `team_id`.
    pub fn can_write(&self, team_id: i64) -> bool {
        self.touch(team_id);
        self.memberships
            .iter()
            .any(|m| m.team.id == team_id && matches!(m.role, TeamRole::Owner | TeamRole::Admin))
    }
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthenticated)?;
        let user = state
            .store
            .user_for_token(&hash_token(token))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let checked = state.rate_limiter.check(user.id);
        if let Some(slot) = parts.extensions.get::<crate::ratelimit::RateSlot>() {
            let remaining = *checked.as_ref().unwrap_or(&0);
            *slot.0.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((state.rate_limiter.limit(), remaining));
        }
        if let Err(retry_after) = checked {
            return Err(ApiError::TooManyRequests { retry_after });
        }
        let memberships = state.store.memberships(user.id).await?;
        let team_ids: Vec<i64> = memberships.iter().map(|m| m.team.id).collect();
        let grants = state.store.grants_for_teams(&team_ids).await?;
        let scope = Scope::new(team_ids, &grants, OffsetDateTime::now_utc());
        let audit = parts.extensions.get::<crate::audit::ActorSlot>().cloned();
        if let Some(slot) = &audit {
            slot.set(&user, &memberships);
        }
        Ok(Caller {
            user,
            memberships,
            grants,
            scope,
            audit,
        })
    }
}
