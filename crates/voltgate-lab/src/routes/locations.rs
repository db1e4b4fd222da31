//! `/ocpp/locations`: where simulated chargers are (hub, depot, car park). Create answers 201;
//! `PUT` (and `PATCH`) change only the fields sent; deleting a location keeps its chargers,
//! without a location.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{Map, Value};
use voltgate_core::lab::{LabLocationPatch, NewLabLocation};
use voltgate_core::PageRequest;

use super::{slugify, visible_location};
use crate::auth::Caller;
use crate::body::{Body, QueryParams};
use crate::error::{Detail, HttpErrorResponse, HttpValidationError, LabError, LabResult};
use crate::views::{ListEnvelope, LocationView};
use crate::Lab;

/// Documents the body for OpenAPI; bodies are validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct LocationBody {
    /// Required on create; 1 to 255 characters.
    name: Option<String>,
    address: Option<String>,
    city: Option<String>,
    country: Option<String>,
    /// `{"latitude": -90..90, "longitude": -180..180}`, or `null`.
    #[schema(value_type = Option<Object>)]
    coordinates: Option<Value>,
    /// An IANA time zone, e.g. `Europe/Amsterdam`.
    timezone: Option<String>,
    owner_name: Option<String>,
    public: Option<bool>,
}

/// Reads `coordinates`: absent (`None`), `null` (`Some(None)`), or both numbers in range.
fn coordinates(b: &mut Body) -> Option<Option<(f64, f64)>> {
    let map = b.opt_object("coordinates")?;
    let Some(map) = map else {
        return Some(None);
    };
    let latitude = coordinate(b, &map, "latitude", 90.0);
    let longitude = coordinate(b, &map, "longitude", 180.0);
    Some(latitude.zip(longitude))
}

fn coordinate(b: &mut Body, map: &Map<String, Value>, key: &str, limit: f64) -> Option<f64> {
    let loc = vec![
        Value::from("body"),
        Value::from("coordinates"),
        Value::from(key),
    ];
    let Some(value) = map.get(key).cloned() else {
        b.error(Detail {
            kind: "missing",
            loc,
            msg: "Field required".into(),
            input: Value::Object(map.clone()),
            ctx: None,
        });
        return None;
    };
    let problem = match value.as_f64() {
        Some(n) if n < -limit => (
            "greater_than_equal",
            format!("Input should be greater than or equal to -{limit}"),
            Some(serde_json::json!({ "ge": -limit })),
        ),
        Some(n) if n > limit => (
            "less_than_equal",
            format!("Input should be less than or equal to {limit}"),
            Some(serde_json::json!({ "le": limit })),
        ),
        Some(n) => return Some(n),
        None => ("float_type", "Input should be a valid number".into(), None),
    };
    let (kind, msg, ctx) = problem;
    b.error(Detail {
        kind,
        loc,
        msg,
        input: value,
        ctx,
    });
    None
}

fn timezone(b: &mut Body) -> Option<Option<String>> {
    let zone = b.opt_string("timezone", 1, 64)?;
    if let Some(zone) = &zone {
        let plausible = zone == "UTC"
            || zone.split('/').count() >= 2
                && zone
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
        if !plausible {
            b.value_error(
                "timezone",
                "must be an IANA time zone such as Europe/Amsterdam",
            );
            return None;
        }
    }
    Some(zone)
}

#[utoipa::path(get, path = "/ocpp/locations", tag = "Locations",
    params(("page" = Option<u64>, Query, description = "From 1 (default 1)"), ("limit" = Option<u64>, Query, description = "1 to 100 (default 50)")),
    responses((status = 200, body = inline(ListEnvelope<LocationView>)), (status = 422, body = HttpValidationError)))]
pub(crate) async fn list(
    State(lab): State<Lab>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> LabResult<Json<ListEnvelope<LocationView>>> {
    let mut q = QueryParams::new(params);
    let page = q.int("page", 1, 1, i64::from(u32::MAX)) as u64;
    let limit = q.int("limit", 50, 1, 100) as u64;
    q.finish()?;
    let found = lab
        .store()
        .list_lab_locations(
            &caller.team_ids(),
            PageRequest {
                page,
                per_page: limit,
            },
        )
        .await?;
    Ok(Json(ListEnvelope {
        data: found.items.iter().map(LocationView::from).collect(),
        total: found.total,
        page,
        limit,
    }))
}

#[utoipa::path(post, path = "/ocpp/locations", tag = "Locations", request_body = LocationBody,
    responses((status = 201, body = LocationView), (status = 403, body = HttpErrorResponse), (status = 422, body = HttpValidationError)))]
pub(crate) async fn create(
    State(lab): State<Lab>,
    caller: Caller,
    bytes: Bytes,
) -> LabResult<(StatusCode, Json<LocationView>)> {
    let mut b = Body::parse(&bytes)?;
    let name = b.required_string("name", 1, 255);
    let address = b.opt_string("address", 0, 255).flatten();
    let city = b.opt_string("city", 0, 255).flatten();
    let country = b.opt_string("country", 0, 64).flatten();
    let coordinates = coordinates(&mut b).flatten();
    let timezone = timezone(&mut b).flatten();
    let owner_name = b.opt_string("owner_name", 0, 255).flatten();
    let public = b.opt_bool("public").flatten().unwrap_or(false);
    b.finish()?;
    let team_id = caller.default_team().ok_or(LabError::Forbidden)?;
    caller.require_write(team_id)?;
    let name = name.unwrap_or_default();
    let created = lab
        .store()
        .create_lab_location(NewLabLocation {
            team_id,
            slug: slugify(&name),
            name,
            address,
            city,
            country,
            latitude: coordinates.map(|c| c.0),
            longitude: coordinates.map(|c| c.1),
            timezone,
            owner_name,
            public,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(LocationView::from(&created))))
}

#[utoipa::path(get, path = "/ocpp/locations/{location_id}", tag = "Locations",
    params(("location_id" = String, Path, description = "uuid")),
    responses((status = 200, body = LocationView), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn show(
    State(lab): State<Lab>,
    caller: Caller,
    Path(location_id): Path<String>,
) -> LabResult<Json<LocationView>> {
    let location = visible_location(&lab, &caller, &location_id).await?;
    Ok(Json(LocationView::from(&location)))
}

/// Partial update (PUT and PATCH alike): only the fields sent change.
#[utoipa::path(put, path = "/ocpp/locations/{location_id}", tag = "Locations",
    params(("location_id" = String, Path, description = "uuid")), request_body = LocationBody,
    responses((status = 200, body = LocationView), (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub(crate) async fn update(
    State(lab): State<Lab>,
    caller: Caller,
    Path(location_id): Path<String>,
    bytes: Bytes,
) -> LabResult<Json<LocationView>> {
    let location = visible_location(&lab, &caller, &location_id).await?;
    let mut b = Body::parse(&bytes)?;
    let name = if b.has("name") {
        b.required_string("name", 1, 255)
    } else {
        None
    };
    let coordinates = coordinates(&mut b);
    let patch = LabLocationPatch {
        slug: name.as_deref().map(slugify),
        name,
        address: b.opt_string("address", 0, 255),
        city: b.opt_string("city", 0, 255),
        country: b.opt_string("country", 0, 64),
        latitude: coordinates.map(|c| c.map(|c| c.0)),
        longitude: coordinates.map(|c| c.map(|c| c.1)),
        timezone: timezone(&mut b),
        owner_name: b.opt_string("owner_name", 0, 255),
        public: b.opt_bool("public").map(|p| p.unwrap_or(false)),
    };
    b.finish()?;
    caller.require_write(location.team_id)?;
    lab.store().update_lab_location(location.id, patch).await?;
    let updated = visible_location(&lab, &caller, &location_id).await?;
    Ok(Json(LocationView::from(&updated)))
}

#[utoipa::path(delete, path = "/ocpp/locations/{location_id}", tag = "Locations",
    params(("location_id" = String, Path, description = "uuid")),
    responses((status = 204), (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn destroy(
    State(lab): State<Lab>,
    caller: Caller,
    Path(location_id): Path<String>,
) -> LabResult<StatusCode> {
    let location = visible_location(&lab, &caller, &location_id).await?;
    caller.require_write(location.team_id)?;
    lab.store().delete_lab_location(location.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
