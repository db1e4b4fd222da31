//! `/sites`: locations with an address; the team that creates a site owns it.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use voltgate_core::access::Scope;
use voltgate_core::model::Address;
use voltgate_core::store::{NewSite, SitePatch, SiteQuery};

use crate::access::{may_write, site_query};
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{data, filter, page_request, paginated, sort, Data, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::views::SiteView;
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new().route("/sites", get(list).post(create)).route(
        "/sites/{site}",
        get(show).put(update).patch(update).delete(destroy),
    )
}

const FIELDS: &[&str] = &[
    "team_uuid",
    "name",
    "street",
    "house_number",
    "house_number_addition",
    "postal_code",
    "city",
    "country",
    "latitude",
    "longitude",
    "manual_coordinates",
    "timezone",
];

/// Documents the body for OpenAPI; the body itself is validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct SiteBody {
    /// The owning team (default: the caller's personal team). Create only.
    pub team_uuid: Option<uuid::Uuid>,
    pub name: String,
    pub street: String,
    pub house_number: String,
    pub house_number_addition: Option<String>,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, e.g. "NL".
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// IANA time zone, default "UTC".
    pub timezone: Option<String>,
}

pub(crate) use crate::access::visible_site;

fn valid_timezone(tz: &str) -> bool {
    tz == "UTC"
        || (tz.contains('/')
            && tz.split('/').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
            }))
}

/// Validates the address fields; `creating` makes the Volttime-required ones required.
fn address_fields(b: &mut Body, creating: bool) -> SitePatch {
    let mut p = SitePatch::default();
    let req = |b: &mut Body, f: &str, max: usize| -> Option<Option<String>> {
        if creating {
            b.required_string(f, max).map(Some)
        } else {
            match b.opt_string(f, max) {
                Some(None) => {
                    b.error(f, "This field is required.");
                    None
                }
                other => other,
            }
        }
    };
    p.name = req(b, "name", 255).flatten();
    p.street = req(b, "street", 255);
    p.house_number = match b.has("house_number") {
        true => b_house_number(b).map(Some),
        false => {
            if creating {
                b.error("house_number", "This field is required.");
            }
            None
        }
    };
    p.house_number_addition = b.opt_string("house_number_addition", 32);
    p.postal_code = req(b, "postal_code", 16);
    p.city = req(b, "city", 255);
    p.country = match req(b, "country", 2) {
        Some(Some(c)) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            Some(Some(c.to_ascii_uppercase()))
        }
        Some(Some(_)) => {
            b.error(
                "country",
                "Must be a two-letter ISO 3166-1 country code, such as `NL`.",
            );
            None
        }
        other => other,
    };
    p.latitude = b.opt_f64("latitude", -90.0, 90.0);
    p.longitude = b.opt_f64("longitude", -180.0, 180.0);
    p.timezone = match b.opt_string("timezone", 64) {
        Some(Some(tz)) if valid_timezone(&tz) => Some(tz),
        Some(Some(_)) => {
            b.error(
                "timezone",
                "Must be a valid time zone, such as `Africa/Accra`.",
            );
            None
        }
        _ => None,
    };
    p
}

/// house_number: Volttime takes an integer at least 0; a string of digits is accepted too.
fn b_house_number(b: &mut Body) -> Option<String> {
    if let Some(Some(n)) = b.opt_i64("house_number", 0, i64::MAX) {
        return Some(n.to_string());
    }
    None
}

/// Lists the sites of the caller's teams (`search`, `filter[team_uuid]`, `sort`).
#[utoipa::path(get, path = "/api/v3/sites", tag = "Sites", params(("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query), ("search" = Option<String>, Query), ("sort" = Option<String>, Query)),
    responses((status = 200, description = "Paginated sites", body = inline(Data<Vec<SiteView>>))))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    // `filter[team_uuid]`: the sites that one of the caller's teams owns or was granted.
    let scope = match filter(&params, "team_uuid") {
        Some(team) => match caller
            .memberships
            .iter()
            .find(|m| m.team.uuid.to_string() == team)
        {
            Some(m) => caller.team_scope(m.team.id),
            None => Scope::default(),
        },
        None => caller.scope.clone(),
    };
    let query = SiteQuery {
        search: filter(&params, "search").map(str::to_owned),
        sort: sort(&params, &["id", "name", "city", "created_at", "updated_at"])?,
        page: page_request(&params)?,
        ..site_query(&scope.basic)
    };
    let page = state.store.list_sites(&query).await?;
    Ok(paginated(
        &uri,
        page.map(|s| SiteView::new(&s, caller.site_permissions(&s))),
    ))
}

/// Creates a site owned by `team_uuid` (or the caller's personal team).
#[utoipa::path(post, path = "/api/v3/sites", tag = "Sites", request_body = SiteBody, responses((status = 201, body = inline(Data<SiteView>)), (status = 422)))]
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Data<SiteView>>)> {
    let mut b = Body::parse(&bytes)?;
    b.only(FIELDS);
    let team = b.opt_uuid("team_uuid").flatten();
    let p = address_fields(&mut b, true);
    let team_id = match team {
        Some(uuid) => match caller.writable_team(uuid) {
            Some(m) => Some(m.team.id),
            None => {
                b.error(
                    "team_uuid",
                    "The uuid of an existing record in the teams table.",
                );
                None
            }
        },
        None => caller.default_team().map(|m| m.team.id),
    };
    b.finish()?;
    let team_id = team_id.ok_or(ApiError::Forbidden)?;
    let address = Address {
        name: p.name.unwrap_or_default(),
        street: p.street.flatten(),
        house_number: p.house_number.flatten(),
        house_number_addition: p.house_number_addition.flatten(),
        postal_code: p.postal_code.flatten(),
        city: p.city.flatten(),
        country: p.country.flatten(),
        latitude: p.latitude.flatten(),
        longitude: p.longitude.flatten(),
        timezone: p.timezone.unwrap_or_else(|| "UTC".into()),
    };
    let site = state
        .store
        .create_site(NewSite { team_id, address })
        .await?;
    Ok((
        StatusCode::CREATED,
        data(SiteView::new(&site, caller.site_permissions(&site))),
    ))
}

#[utoipa::path(get, path = "/api/v3/sites/{site}", tag = "Sites", params(("site" = String, Path, description = "Site uuid")),
    responses((status = 200, body = inline(Data<SiteView>)), (status = 404)))]
pub(crate) async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<Json<Data<SiteView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    Ok(data(SiteView::new(&site, caller.site_permissions(&site))))
}

/// Partial update: only the fields sent change (PUT and PATCH alike).
#[utoipa::path(put, path = "/api/v3/sites/{site}", tag = "Sites", params(("site" = String, Path)), request_body = SiteBody,
    responses((status = 200, body = inline(Data<SiteView>)), (status = 404), (status = 422)))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Data<SiteView>>> {
    let site = visible_site(&state, &caller, &site).await?;
    let mut b = Body::parse(&bytes)?;
    b.only(&FIELDS[1..]);
    let patch = address_fields(&mut b, false);
    b.finish()?;
    may_write(&caller, site.team_id)?;
    state.store.update_site(site.id, patch).await?;
    let site = state
        .store
        .find_site_by_id(&caller.scope.basic, site.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(data(SiteView::new(&site, caller.site_permissions(&site))))
}

/// Deletes a site; its chargers stay, detached.
#[utoipa::path(delete, path = "/api/v3/sites/{site}", tag = "Sites", params(("site" = String, Path)), responses((status = 204), (status = 404)))]
pub(crate) async fn destroy(
    State(state): State<ApiState>,
    caller: Caller,
    Path(site): Path<String>,
) -> ApiResult<StatusCode> {
    let site = visible_site(&state, &caller, &site).await?;
    may_write(&caller, site.team_id)?;
    state.store.delete_site(site.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
