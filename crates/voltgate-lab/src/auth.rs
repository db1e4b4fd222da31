//! Who is calling: the same personal access tokens as the REST API (`Authorization: Bearer
//! <token>`, stored hashed), resolved through core's account store to a user and their teams.
//! Simulated chargers and locations belong to a team; another team's object is not found (404).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use voltgate_core::auth::hash_token;
use voltgate_core::model::Membership;
use voltgate_core::types::TeamRole;

use crate::error::LabError;
use crate::Lab;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub memberships: Vec<Membership>,
}

impl Caller {
    /// Ids of every team the caller belongs to.
    pub fn team_ids(&self) -> Vec<i64> {
        self.memberships.iter().map(|m| m.team.id).collect()
    }

    /// The team new objects go to: the personal team, else the first.
    pub fn default_team(&self) -> Option<i64> {
        self.memberships
            .iter()
            .find(|m| m.team.is_personal_team)
            .or(self.memberships.first())
            .map(|m| m.team.id)
    }

    /// Whether the caller may change objects of `team_id` (owner or admin).
    pub fn can_write(&self, team_id: i64) -> bool {
        self.memberships
            .iter()
            .any(|m| m.team.id == team_id && matches!(m.role, TeamRole::Owner | TeamRole::Admin))
    }

    /// 403 unless the caller may change objects of `team_id`.
    pub fn require_write(&self, team_id: i64) -> Result<(), LabError> {
        if self.can_write(team_id) {
            Ok(())
        } else {
            Err(LabError::Forbidden)
        }
    }
}

impl FromRequestParts<Lab> for Caller {
    type Rejection = LabError;

    async fn from_request_parts(parts: &mut Parts, lab: &Lab) -> Result<Self, Self::Rejection> {
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
            .ok_or(LabError::Unauthenticated("Not authenticated"))?;
        let store = lab.store();
        let user = store
            .user_for_token(&hash_token(token))
            .await?
            .ok_or(LabError::Unauthenticated("Invalid or expired token"))?;
        let memberships = store.memberships(user.id).await?;
        Ok(Caller {
            user_id: user.id,
            memberships,
        })
    }
}
