//! The OpenAPI 3.1 document, generated from the handlers' annotations, at
//! `/api/v3/openapi.json`, and a self-contained docs page at `/docs`.

use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::resources::*;
use crate::ApiState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Voltgate API", description = "Operate EV chargers: sites, chargers, connectors, cards, transactions, meter values and OCPP logs. Shaped like the Volttime v3 API. Authenticate with `Authorization: Bearer <token>`."),
    paths(
        users::me, users::list_teams, users::create_team,
        tokens::list, tokens::create, tokens::revoke, tokens::create_user,
        teams::show, teams::update, teams::destroy, teams::members, teams::add, teams::set_role, teams::remove,
        sites::list, sites::create, sites::show, sites::update, sites::destroy,
        site_teams::list, site_teams::show, site_teams::remove, site_teams::grant_sensitive, site_teams::revoke_sensitive, site_teams::asset_access, site_teams::transfer_ownership, site_teams::request_sensitive, site_teams::requests,
        site_invites::invite, site_invites::accept, site_invites::outbox,
        site_chargers::list, site_chargers::attach, site_chargers::detach, site_chargers::connectors, site_chargers::transactions, site_chargers::team_transactions, site_chargers::audit_log,
        chargers::list, chargers::create, chargers::show, chargers::update, chargers::destroy,
        connectors::list, connectors::show, connectors::update,
        cards::list, cards::site_cards, cards::create, cards::show, cards::update, cards::destroy,
        history::list_transactions, history::show_transaction, history::charger_transactions, history::meter_values, history::logs,
        actions::perform, actions::list,
        charger_state::configuration, charger_state::profiles, charger_state::local_list, charger_state::reservations, charger_state::reservation,
        settings::show, settings::update,
        licenses::show, licenses::update, licenses::products,
        load::show, load::update, load::list_circuits, load::create_circuit, load::show_circuit, load::update_circuit, load::delete_circuit, load::attach_charger, load::detach_charger, load::power_usage,
        smart::show, smart::update, smart::list_prices, smart::import_prices,
        v2::create,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v3/openapi.json", get(spec))
        .route("/docs", get(docs))
}

async fn spec() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

async fn docs() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_every_charger_route_as_openapi_3_1() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v3/chargers",
            "/api/v3/chargers/{charger}",
            "/api/v3/chargers/{charger}/metervalues",
            "/api/v2/teams/{team_id}/sites/{site_id}/chargers",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is documented");
        }
        assert!(doc["paths"]["/api/v3/chargers/{charger}"]["put"].is_object());
    }
}
