//! The simulator API's OpenAPI 3.1 document, generated from the handlers' annotations, for the
//! API crate to merge into Voltgate's document.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::*;

#[derive(OpenApi)]
#[openapi(
    info(title = "Voltgate simulator API", description = "OCPPLAB-compatible: simulated OCPP 1.6J chargers that connect to this Voltgate or any central system. Create a definition (202, poll its status until READY), start its runtime, drive it with commands, read its OCPP frames. Authenticate with `Authorization: Bearer <token>` (the same tokens as /api/v3). Errors: `{\"detail\": \"...\"}`; 422: `{\"detail\": [{\"type\", \"loc\", \"msg\", \"input\", \"ctx\"}]}`."),
    paths(
        chargers::list, chargers::create, chargers::show, chargers::update, chargers::destroy, chargers::status,
        runtime::start, runtime::stop, runtime::restart, runtime::show,
        logs::list,
        commands::create, commands::show,
        locations::list, locations::create, locations::show, locations::update, locations::destroy,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct LabDoc;

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

/// The OpenAPI document of the simulator API (`/ocpp/...` paths).
pub fn openapi() -> utoipa::openapi::OpenApi {
    LabDoc::openapi()
}

#[cfg(test)]
mod tests {
    #[test]
    fn documents_every_route() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for (path, method) in [
            ("/ocpp/chargers", "post"),
            ("/ocpp/chargers/{charger_id}", "put"),
            ("/ocpp/chargers/{charger_id}/status", "get"),
            ("/ocpp/chargers/{charger_id}/start-charger", "post"),
            ("/ocpp/chargers/{charger_id}/logs", "get"),
            ("/ocpp/chargers/{charger_id}/commands/{command}", "post"),
            ("/ocpp/commands/{command_id}", "get"),
            ("/ocpp/locations/{location_id}", "delete"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        }
        assert!(doc["components"]["schemas"]["ChargerView"].is_object());
    }
}
