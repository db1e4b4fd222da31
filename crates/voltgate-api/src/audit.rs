//! The audit log: every mutating request (POST, PUT, PATCH, DELETE) of an authenticated caller,
//! with who, method, path, status and when, for the team that owns what the request touched (the
//! site, charger or team the access layer looked up or checked a write on; the caller's personal
//! team for their own things, such as tokens). A user in several teams therefore shows each team
//! only what they did to that team's objects (`GET /teams/{team}/audit-log`).
//!
//! The row is written by a spawned task after the response is ready: a request never waits for
//! its own audit insert. A write that fails is logged, never turned into a failed request.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use time::OffsetDateTime;
use voltgate_core::access::AuditEntry;
use voltgate_core::model::{Membership, User};

use crate::ApiState;

#[derive(Debug, Clone)]
struct Actor {
    user_id: i64,
    email: String,
    /// Where rows go when the request touched no team's object.
    own_team: Option<i64>,
    /// The owner teams of what the request touched.
    touched: Vec<i64>,
}

/// Where the `Caller` extractor leaves who is acting, and the access layer what was touched,
/// for the audit middleware to read.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActorSlot(Arc<Mutex<Option<Actor>>>);

impl ActorSlot {
    pub(crate) fn set(&self, user: &User, memberships: &[Membership]) {
        let own_team = memberships
            .iter()
            .find(|m| m.team.is_personal_team)
            .or(memberships.first())
            .map(|m| m.team.id);
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Actor {
            user_id: user.id,
            email: user.email.clone(),
            own_team,
            touched: Vec::new(),
        });
    }

    /// The request looked up, or checked a write on, an object of `team_id`.
    pub(crate) fn touch(&self, team_id: i64) {
        if let Some(actor) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            if !actor.touched.contains(&team_id) {
                actor.touched.push(team_id);
            }
        }
    }

    fn take(&self) -> Option<Actor> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

fn mutating(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Records mutating requests once they are answered.
pub(crate) async fn record(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    if !mutating(request.method()) {
        return next.run(request).await;
    }
    let slot = ActorSlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(actor) = slot.take() {
        let at = OffsetDateTime::now_utc();
        let status = response.status().as_u16();
        let teams = if actor.touched.is_empty() {
            actor.own_team.into_iter().collect()
        } else {
            actor.touched.clone()
        };
        let entries: Vec<AuditEntry> = teams
            .iter()
            .map(|team_id| AuditEntry {
                team_id: *team_id,
                user_id: actor.user_id,
                user_email: actor.email.clone(),
                method: method.clone(),
                path: path.clone(),
                status,
                created_at: at,
            })
            .collect();
        let store = state.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.write_audit(&entries).await {
                tracing::warn!(error = %e, "could not write the audit log entry");
            }
        });
    }
    response
}
