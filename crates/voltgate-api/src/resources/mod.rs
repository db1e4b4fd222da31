//! The REST resources, one module each; every module exposes `router()` and this module merges
//! them under `/api/v3` (and the deprecated `/api/v2` subset).

pub(crate) mod actions;
pub(crate) mod cards;
pub(crate) mod charger_state;
pub(crate) mod chargers;
pub(crate) mod connectors;
pub(crate) mod history;
pub(crate) mod licenses;
pub(crate) mod load;
pub(crate) mod settings;
pub(crate) mod site_chargers;
pub(crate) mod site_invites;
pub(crate) mod site_teams;
pub(crate) mod sites;
pub(crate) mod smart;
pub(crate) mod teams;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod v2;

use axum::Router;
use uuid::Uuid;

use crate::error::ApiError;
use crate::ApiState;

pub(crate) fn v3_router() -> Router<ApiState> {
    Router::new()
        .merge(users::router())
        .merge(tokens::router())
        .merge(teams::router())
        .merge(sites::router())
        .merge(site_teams::router())
        .merge(site_invites::router())
        .merge(site_chargers::router())
        .merge(chargers::router())
        .merge(connectors::router())
        .merge(cards::router())
        .merge(history::router())
        .merge(actions::router())
        .merge(charger_state::router())
        .merge(settings::router())
        .merge(licenses::router())
        .merge(load::router())
        .merge(smart::router())
}

pub(crate) fn v2_router() -> Router<ApiState> {
    v2::router()
}

/// A path uuid; anything else is a 404 like any unknown object.
pub(crate) fn path_uuid(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::NotFound)
}
