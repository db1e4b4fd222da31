//! `GET/PUT /chargers/{charger}/licenses` ({smart, pro}; team owners and admins change them) and
//! `GET /products`, the catalogue of what each license enables. New chargers get the server's
//! default licenses (`--default-licenses`, smart by default).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use voltgate_core::store::ChargerPatch;

use super::chargers::visible_charger;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, Data};
use crate::error::{ApiError, ApiResult};
use crate::views::Licenses;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route(
            "/chargers/{charger}/licenses",
            get(show).put(update).patch(update),
        )
        .route("/products", get(products))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Product {
    pub id: &'static str,
    pub name: &'static str,
    /// The license flag it sets on a charger.
    pub license: &'static str,
    pub digital: bool,
    pub active: bool,
    /// What a charger with this license gets.
    pub enables: Vec<&'static str>,
}

/// What each license enables.
#[utoipa::path(get, path = "/api/v3/products", tag = "Licenses", responses((status = 200, body = inline(Data<Vec<Product>>))))]
pub(crate) async fn products(_caller: Caller) -> Json<Data<Vec<Product>>> {
    data(vec![
        Product {
            id: "smart",
            name: "Smart charging",
            license: "smart",
            digital: true,
            active: true,
            enables: vec![
                "load management: the charger's sessions share the site's and circuits' current",
                "smart charging: off-peak and price-based schedules",
            ],
        },
        Product {
            id: "pro",
            name: "Pro",
            license: "pro",
            digital: true,
            active: true,
            enables: vec![
                "priority in load management",
                "extended history and exports",
            ],
        },
    ])
}

#[utoipa::path(get, path = "/api/v3/chargers/{charger}/licenses", tag = "Licenses", params(("charger" = String, Path)),
    responses((status = 200, body = inline(Data<Licenses>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<Json<Data<Licenses>>> {
    let c = visible_charger(&state, &caller, &charger).await?;
    Ok(data(Licenses {
        smart: c.license_smart,
        pro: c.license_pro,
    }))
}

/// Sets the charger's licenses (partial: only the flags sent change). Team owners and admins.
#[utoipa::path(put, path = "/api/v3/chargers/{charger}/licenses", tag = "Licenses", params(("charger" = String, Path)),
    request_body(content = Object, description = "{\"smart\": true, \"pro\": false}"),
    responses((status = 200, body = inline(Data<Licenses>)), (status = 403), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<Licenses>>> {
    let c = visible_charger(&state, &caller, &charger).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&["smart", "pro"]);
    let smart = b.opt_bool("smart");
    let pro = b.opt_bool("pro");
    for (field, v) in [("smart", smart), ("pro", pro)] {
        if v == Some(None) {
            b.error(field, "Must be true or false.");
        }
    }
    b.finish()?;
    if !caller.can_write(c.team_id) {
        return Err(ApiError::Forbidden);
    }
    let patch = ChargerPatch {
        license_smart: smart.flatten(),
        license_pro: pro.flatten(),
        ..Default::default()
    };
    state.store.update_charger(c.id, patch).await?;
    state.load.events().charger_moved(c.id);
    let c = visible_charger(&state, &caller, &charger).await?;
    Ok(data(Licenses {
        smart: c.license_smart,
        pro: c.license_pro,
    }))
}
