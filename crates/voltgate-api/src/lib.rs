#![doc = include_str!("../README.md")]

mod access;
mod audit;
pub mod auth;
pub mod body;
pub mod envelope;
pub mod error;
mod openapi;
mod ops;
pub mod ratelimit;
mod resources;
pub mod time_fmt;
pub mod views;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use voltgate_core::{Metrics, Store};

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    /// Licenses new chargers get (smart, pro).
    pub default_licenses: (bool, bool),
    /// Requests per minute per user.
    pub rate_limiter: Arc<ratelimit::RateLimiter>,
    /// Sends commands to chargers (through core's `ChargerLink` port).
    pub commands: Arc<voltgate_core::command_service::CommandService>,
    /// Computes allocations and hears what changes them.
    pub load: Arc<voltgate_core::load_control::LoadController>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").finish_non_exhaustive()
    }
}

/// The API listener's routes: `/api/v3`, the deprecated `/api/v2` route, OpenAPI and docs, and
/// the unauthenticated operations endpoints.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .nest("/api/v3", resources::v3_router())
        .nest("/api/v2", resources::v2_router())
        .merge(openapi::router())
        .merge(ops::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record,
        ))
        .layer(axum::middleware::from_fn(ratelimit::headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

async fn not_found() -> error::ApiError {
    error::ApiError::NotFound
}

async fn count_requests(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .api_request(&method, response.status().as_u16());
    response
}
