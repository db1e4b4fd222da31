//! The audit log: every mutating request (POST, PUT, PATCH, DELETE) of an authenticated caller,
//! with who, method, path, status and when. One row per team the caller belonged to, so each
//! team's owners and admins read their own trail (`GET /teams/{team}/audit-log`).
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
    team_ids: Vec<i64>,
}

/// Where the `Caller` extractor leaves who is acting, for the audit middleware to read.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActorSlot(Arc<Mutex<Option<Actor>>>);

impl ActorSlot {
    pub(crate) fn set(&self, user: &User, memberships: &[Membership]) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Actor {
            user_id: user.id,
            email: user.email.clone(),
            team_ids: memberships.iter().map(|m| m.team.id).collect(),
        });
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
        let entries: Vec<AuditEntry> = actor
            .team_ids
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
