//! The simulator API's routes, one module per resource, each with its handlers; this module
//! assembles them and holds what several need (finding a caller's charger or location).

pub(crate) mod chargers;
pub(crate) mod commands;
pub(crate) mod locations;
pub(crate) mod logs;
pub(crate) mod runtime;

use axum::routing::{get, post};
use axum::Router;
use uuid::Uuid;
use voltgate_core::lab::{LabCharger, LabLocation, NewLabLocation};

use crate::auth::Caller;
use crate::error::{LabError, LabResult};
use crate::Lab;

pub(crate) fn router() -> Router<Lab> {
    Router::new()
        .route("/ocpp/chargers", get(chargers::list).post(chargers::create))
        .route(
            "/ocpp/chargers/{charger_id}",
            get(chargers::show)
                .put(chargers::update)
                .patch(chargers::update)
                .delete(chargers::destroy),
        )
        .route("/ocpp/chargers/{charger_id}/status", get(chargers::status))
        .route(
            "/ocpp/chargers/{charger_id}/start-charger",
            post(runtime::start),
        )
        .route(
            "/ocpp/chargers/{charger_id}/stop-charger",
            post(runtime::stop),
        )
        .route(
            "/ocpp/chargers/{charger_id}/restart-charger",
            post(runtime::restart),
        )
        .route("/ocpp/chargers/{charger_id}/runtime", get(runtime::show))
        .route("/ocpp/chargers/{charger_id}/logs", get(logs::list))
        .route(
            "/ocpp/chargers/{charger_id}/commands/{command}",
            post(commands::create),
        )
        .route("/ocpp/commands/{command_id}", get(commands::show))
        .route(
            "/ocpp/locations",
            get(locations::list).post(locations::create),
        )
        .route(
            "/ocpp/locations/{location_id}",
            get(locations::show)
                .put(locations::update)
                .patch(locations::update)
                .delete(locations::destroy),
        )
}

pub(crate) const CHARGER_NOT_FOUND: &str = "Charger not found";
pub(crate) const LOCATION_NOT_FOUND: &str = "Location not found";

/// A definition of one of the caller's teams, by deployment id, or 404.
pub(crate) async fn visible_charger(
    lab: &Lab,
    caller: &Caller,
    charger_id: &str,
) -> LabResult<LabCharger> {
    lab.store()
        .find_lab_charger(&caller.team_ids(), charger_id)
        .await?
        .ok_or(LabError::NotFound(CHARGER_NOT_FOUND))
}

/// A definition by deployment id or, for the control routes, by OCPP identity.
pub(crate) async fn charger_by_id_or_identity(
    lab: &Lab,
    caller: &Caller,
    key: &str,
) -> LabResult<LabCharger> {
    let teams = caller.team_ids();
    if let Some(found) = lab.store().find_lab_charger(&teams, key).await? {
        return Ok(found);
    }
    lab.store()
        .find_lab_charger_by_identity(&teams, key)
        .await?
        .ok_or(LabError::NotFound(CHARGER_NOT_FOUND))
}

/// A location of one of the caller's teams, by id (uuid), or 404.
pub(crate) async fn visible_location(
    lab: &Lab,
    caller: &Caller,
    location_id: &str,
) -> LabResult<LabLocation> {
    let uuid = Uuid::parse_str(location_id).map_err(|_| LabError::NotFound(LOCATION_NOT_FOUND))?;
    lab.store()
        .find_lab_location(&caller.team_ids(), uuid)
        .await?
        .ok_or(LabError::NotFound(LOCATION_NOT_FOUND))
}

/// The location named `name` in the caller's teams, created in `team_id` when there is none.
pub(crate) async fn location_by_name(
    lab: &Lab,
    caller: &Caller,
    team_id: i64,
    name: &str,
) -> LabResult<LabLocation> {
    if let Some(found) = lab
        .store()
        .find_lab_location_by_name(&caller.team_ids(), name)
        .await?
    {
        return Ok(found);
    }
    let created = lab
        .store()
        .create_lab_location(NewLabLocation {
            team_id,
            name: name.to_owned(),
            slug: slugify(name),
            ..Default::default()
        })
        .await?;
    Ok(created)
}

/// `Depot North #2` -> `depot-north-2`.
pub(crate) fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "location".into()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_lowercase_ascii_with_dashes() {
        assert_eq!(super::slugify("Depot North #2"), "depot-north-2");
        assert_eq!(super::slugify("  Ümlaut  "), "mlaut");
        assert_eq!(super::slugify("!!!"), "location");
    }
}
