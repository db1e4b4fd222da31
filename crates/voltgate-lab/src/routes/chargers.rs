//! `/ocpp/chargers`: simulated charger definitions ("deployments") — list, create (202, then
//! provisioning), get, partial update, delete — and their provisioning status.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;
use voltgate_core::lab::{LabCharger, LabChargerPatch, LabChargerQuery};
use voltgate_core::types::ChargerIdentity;
use voltgate_core::{PageRequest, StoreError};

use super::{location_by_name, visible_charger, visible_location, LOCATION_NOT_FOUND};
use crate::auth::Caller;
use crate::body::{Body, QueryParams};
use crate::catalog;
use crate::error::{HttpErrorResponse, HttpValidationError, LabError, LabResult};
use crate::service::{ChargerInput, SESSIONS};
use crate::views::{ChargerView, CreateAccepted, ListEnvelope, StatusView};
use crate::Lab;

const OCPP_VERSIONS: &[&str] = &["OCPP1.6"];
const SCENARIOS: &[&str] = &[SESSIONS];

/// Documents the create body for OpenAPI; bodies are validated field by field (`body.rs`).
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct CreateCharger {
    /// The OCPP identity: 1 to 45 of `a-z A-Z 0-9 * - _ = : + | @ .`; unique.
    identity: String,
    /// A catalog brand (`voltgate`, `wallbox`, `abb`, `alfen`); with `model_slug` it fills
    /// vendor, model, connectors, power and connector type.
    brand_slug: Option<String>,
    model_slug: Option<String>,
    vendor_name: Option<String>,
    model: Option<String>,
    image_url: Option<String>,
    /// e.g. `Type2`, `CCS2`.
    connector_type: Option<String>,
    /// 1 to 10 (default 1).
    number_of_connectors: Option<i32>,
    /// In W (default 22000).
    max_charging_power: Option<i64>,
    /// `OCPP1.6` (the only version simulated).
    ocpp_version: Option<String>,
    /// The central system, `ws://...`; default: this Voltgate's OCPP listener.
    ws_url: Option<String>,
    /// The display name (`name` is accepted too).
    charge_point_name: Option<String>,
    name: Option<String>,
    /// A location id (uuid) of the caller's teams.
    location_id: Option<String>,
    /// A location by name: found in the caller's teams, or created.
    location_name: Option<String>,
    /// OCPP security profile 1 password (8 to 64 characters). Write-only.
    password: Option<String>,
    /// The default id tag of commands and automatic sessions (at most 20 characters).
    id_tag: Option<String>,
    /// `sessions`: play charging sessions on its own while running.
    scenario: Option<String>,
}

/// Documents the update body for OpenAPI: every field optional; only the fields sent change.
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct UpdateCharger {
    name: Option<String>,
    charge_point_name: Option<String>,
    connector_type: Option<String>,
    ocpp_version: Option<String>,
    /// `null` goes back to this Voltgate. Takes effect at the next runtime start.
    ws_url: Option<String>,
    /// `null` detaches it from its location.
    location_id: Option<String>,
    location_name: Option<String>,
    /// Takes effect at the next runtime start.
    identity: Option<String>,
    vendor_name: Option<String>,
    model: Option<String>,
    image_url: Option<String>,
    number_of_connectors: Option<i32>,
    max_charging_power: Option<i64>,
    password: Option<String>,
    id_tag: Option<String>,
    scenario: Option<String>,
}

pub(crate) fn view(lab: &Lab, charger: &LabCharger) -> ChargerView {
    let state = lab.runtime_state(charger.id);
    ChargerView::new(charger, lab.ws_url(charger), state.as_str())
}

fn identity_field(b: &mut Body, required: bool) -> Option<String> {
    let identity = if required {
        b.required_string("identity", 1, ChargerIdentity::MAX_LEN)?
    } else {
        match b.opt_string("identity", 1, ChargerIdentity::MAX_LEN)? {
            Some(identity) => identity,
            None => {
                b.required_string("identity", 1, ChargerIdentity::MAX_LEN);
                return None;
            }
        }
    };
    match ChargerIdentity::parse(&identity) {
        Ok(_) => Some(identity),
        Err(e) => {
            b.value_error("identity", &e.0);
            None
        }
    }
}

fn ws_url_field(b: &mut Body) -> Option<Option<String>> {
    let url = b.opt_string("ws_url", 1, 2048)?;
    let Some(url) = url else {
        return Some(None);
    };
    if url.starts_with("wss://") {
        b.value_error(
            "ws_url",
            "wss:// needs TLS, which the simulator does not have; use ws://",
        );
        return None;
    }
    let host = url
        .strip_prefix("ws://")
        .map(|rest| rest.split('/').next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Some(Some(url)),
        _ => {
            b.value_error("ws_url", "must be a ws:// URL with a host");
            None
        }
    }
}

/// A uuid `location_id`, with `uuid_parsing` when it is not one.
fn location_id_field(b: &mut Body) -> Option<Option<Uuid>> {
    let text = b.opt_string("location_id", 1, 64)?;
    let Some(text) = text else {
        return Some(None);
    };
    match Uuid::parse_str(&text) {
        Ok(uuid) => Some(Some(uuid)),
        Err(_) => {
            b.error(crate::error::Detail::body(
                "uuid_parsing",
                "location_id",
                "Input should be a valid UUID",
                serde_json::Value::String(text),
                None,
            ));
            None
        }
    }
}

/// Lists the caller's simulated chargers (`location_id`, `page` from 1, `limit` 1 to 100).
#[utoipa::path(get, path = "/ocpp/chargers", tag = "Simulated chargers",
    params(("location_id" = Option<String>, Query, description = "Only chargers of this location (uuid)"),
        ("page" = Option<u64>, Query, description = "From 1 (default 1)"),
        ("limit" = Option<u64>, Query, description = "1 to 100 (default 50)")),
    responses((status = 200, body = inline(ListEnvelope<ChargerView>)), (status = 401, body = HttpErrorResponse),
        (status = 422, body = HttpValidationError)))]
pub(crate) async fn list(
    State(lab): State<Lab>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> LabResult<Json<ListEnvelope<ChargerView>>> {
    let mut q = QueryParams::new(params);
    let page = q.int("page", 1, 1, i64::from(u32::MAX)) as u64;
    let limit = q.int("limit", 50, 1, 100) as u64;
    let location = q.string("location_id");
    q.finish()?;
    let team_ids = caller.team_ids();
    let location_id = match location {
        None => None,
        // An unknown or foreign location filters to nothing.
        Some(text) => Some(match Uuid::parse_str(&text) {
            Ok(uuid) => lab
                .store()
                .find_lab_location(&team_ids, uuid)
                .await?
                .map_or(-1, |l| l.id),
            Err(_) => -1,
        }),
    };
    let found = lab
        .store()
        .list_lab_chargers(&LabChargerQuery {
            team_ids,
            location_id,
            page: PageRequest {
                page,
                per_page: limit,
            },
        })
        .await?;
    Ok(Json(ListEnvelope {
        data: found.items.iter().map(|c| view(&lab, c)).collect(),
        total: found.total,
        page,
        limit,
    }))
}

/// Creates a simulated charger (durable): 202, then poll `status_url` until READY or FAILED.
/// When it connects to this Voltgate, its charger is created here in the caller's team.
#[utoipa::path(post, path = "/ocpp/chargers", tag = "Simulated chargers", request_body = CreateCharger,
    responses((status = 202, body = CreateAccepted), (status = 401, body = HttpErrorResponse),
        (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse, description = "location_id not found"),
        (status = 409, body = HttpErrorResponse, description = "identity already taken"), (status = 422, body = HttpValidationError)))]
pub(crate) async fn create(
    State(lab): State<Lab>,
    caller: Caller,
    bytes: Bytes,
) -> LabResult<(StatusCode, Json<CreateAccepted>)> {
    let mut b = Body::parse(&bytes)?;
    let identity = identity_field(&mut b, true);
    let brand_slug = b.opt_string("brand_slug", 1, 64).flatten();
    let model_slug = b.opt_string("model_slug", 1, 64).flatten();
    let vendor_name = b.opt_string("vendor_name", 0, 255).flatten();
    let model = b.opt_string("model", 0, 255).flatten();
    let image_url = b.opt_string("image_url", 0, 2048).flatten();
    let connector_type = b.opt_string("connector_type", 1, 32).flatten();
    let connectors = b.opt_int("number_of_connectors", 1, 10).flatten();
    let power = b.opt_int("max_charging_power", 1, 1_000_000).flatten();
    let ocpp_version = b.opt_literal("ocpp_version", OCPP_VERSIONS).flatten();
    let ws_url = ws_url_field(&mut b).flatten();
    let charge_point_name = b.opt_string("charge_point_name", 0, 255).flatten();
    let name = b.opt_string("name", 0, 255).flatten();
    let location_id = location_id_field(&mut b).flatten();
    let location_name = b.opt_string("location_name", 1, 255).flatten();
    let password = b.opt_string("password", 8, 64).flatten();
    let id_tag = b.opt_string("id_tag", 1, 20).flatten();
    let scenario = b.opt_literal("scenario", SCENARIOS).flatten();
    let entry = match (&brand_slug, &model_slug) {
        (None, None) => None,
        (Some(brand), _) if !catalog::brand_known(brand) => {
            b.value_error("brand_slug", &format!("unknown brand '{brand}'"));
            None
        }
        (Some(brand), Some(model)) => match catalog::find(brand, model) {
            Some(entry) => Some(entry),
            None => {
                b.value_error(
                    "model_slug",
                    &format!("unknown model '{model}' of brand '{brand}'"),
                );
                None
            }
        },
        (Some(_), None) => {
            b.value_error("model_slug", "a brand_slug needs a model_slug");
            None
        }
        (None, Some(_)) => {
            b.value_error("brand_slug", "a model_slug needs a brand_slug");
            None
        }
    };
    b.finish()?;
    let team_id = caller.default_team().ok_or(LabError::Forbidden)?;
    caller.require_write(team_id)?;
    let location = match (location_id, location_name) {
        (Some(uuid), _) => Some(
            lab.store()
                .find_lab_location(&caller.team_ids(), uuid)
                .await?
                .ok_or(LabError::NotFound(LOCATION_NOT_FOUND))?,
        ),
        (None, Some(name)) => Some(location_by_name(&lab, &caller, team_id, &name).await?),
        (None, None) => None,
    };
    let mut input = ChargerInput::new(identity.unwrap_or_default());
    if let Some(entry) = entry {
        input.vendor_name = Some(entry.vendor_name.into());
        input.model = Some(entry.model.into());
        input.number_of_connectors = entry.number_of_connectors;
        input.max_charging_power = Some(entry.max_charging_power);
        input.connector_type = Some(entry.connector_type.into());
    }
    input.brand_slug = brand_slug;
    input.model_slug = model_slug;
    input.vendor_name = vendor_name.or(input.vendor_name);
    input.model = model.or(input.model);
    input.image_url = image_url;
    input.connector_type = connector_type.or(input.connector_type);
    if let Some(n) = connectors {
        input.number_of_connectors = n as i32;
    }
    input.max_charging_power = power.or(input.max_charging_power);
    input.ocpp_version = ocpp_version.unwrap_or_else(|| "OCPP1.6".into());
    input.ws_url = ws_url.filter(|url| !lab.is_local(Some(url)));
    input.name = name.or(charge_point_name);
    input.location_id = location.map(|l| l.id);
    input.password = password;
    input.id_tag = id_tag;
    input.scenario = scenario;
    let created = lab.create_charger(team_id, input).await?;
    lab.spawn_provisioning(created.id);
    Ok((
        StatusCode::ACCEPTED,
        Json(CreateAccepted {
            status_url: format!("/ocpp/chargers/{}/status", created.public_id),
            charger_id: created.public_id,
            identity: created.identity,
            status: created.provisioning.status.as_str().to_owned(),
            workflow_run_id: created.provisioning.workflow_run_id,
        }),
    ))
}

#[utoipa::path(get, path = "/ocpp/chargers/{charger_id}", tag = "Simulated chargers",
    params(("charger_id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = ChargerView), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn show(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
) -> LabResult<Json<ChargerView>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    Ok(Json(view(&lab, &charger)))
}

/// Provisioning status: PENDING, PROVISIONING, READY or FAILED (with an error).
#[utoipa::path(get, path = "/ocpp/chargers/{charger_id}/status", tag = "Simulated chargers",
    params(("charger_id" = String, Path, description = "Deployment id")),
    responses((status = 200, body = StatusView), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn status(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
) -> LabResult<Json<StatusView>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    Ok(Json(StatusView::new(&charger)))
}

/// Partial update (PUT and PATCH alike): only the fields sent change. A new `identity` or
/// `ws_url` provisions the charger again and takes effect at the next runtime start.
#[utoipa::path(put, path = "/ocpp/chargers/{charger_id}", tag = "Simulated chargers",
    params(("charger_id" = String, Path, description = "Deployment id")), request_body = UpdateCharger,
    responses((status = 200, body = ChargerView), (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse),
        (status = 409, body = HttpErrorResponse), (status = 422, body = HttpValidationError)))]
pub(crate) async fn update(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
    bytes: Bytes,
) -> LabResult<Json<ChargerView>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    let mut b = Body::parse(&bytes)?;
    let mut patch = LabChargerPatch::default();
    if b.has("identity") {
        patch.identity = identity_field(&mut b, false);
    }
    let name = b.opt_string("name", 0, 255);
    let charge_point_name = b.opt_string("charge_point_name", 0, 255);
    patch.name = name.or(charge_point_name);
    patch.vendor_name = b.opt_string("vendor_name", 0, 255);
    patch.model = b.opt_string("model", 0, 255);
    patch.image_url = b.opt_string("image_url", 0, 2048);
    patch.connector_type = b.opt_string("connector_type", 1, 32);
    patch.number_of_connectors = b
        .opt_int("number_of_connectors", 1, 10)
        .map(|n| n.unwrap_or(1) as i32);
    patch.max_charging_power = b.opt_int("max_charging_power", 1, 1_000_000);
    patch.ocpp_version = b
        .opt_literal("ocpp_version", OCPP_VERSIONS)
        .map(|v| v.unwrap_or_else(|| "OCPP1.6".into()));
    patch.ws_url = ws_url_field(&mut b).map(|url| url.filter(|u| !lab.is_local(Some(u))));
    patch.password = b.opt_string("password", 8, 64);
    patch.id_tag = b.opt_string("id_tag", 1, 20);
    patch.scenario = b.opt_literal("scenario", SCENARIOS);
    let location_id = location_id_field(&mut b);
    let location_name = b.opt_string("location_name", 1, 255);
    b.finish()?;
    caller.require_write(charger.team_id)?;
    patch.location_id = match (location_id, location_name) {
        (Some(Some(uuid)), _) => Some(Some(
            visible_location(&lab, &caller, &uuid.to_string()).await?.id,
        )),
        (Some(None), _) => Some(None),
        (None, Some(Some(name))) => Some(Some(
            location_by_name(&lab, &caller, charger.team_id, &name)
                .await?
                .id,
        )),
        (None, Some(None)) => Some(None),
        (None, None) => None,
    };
    let identity_changed = patch
        .identity
        .as_ref()
        .is_some_and(|i| *i != charger.identity);
    let url_changed = patch
        .ws_url
        .as_ref()
        .is_some_and(|url| *url != charger.ws_url);
    let new_identity = patch.identity.clone();
    match lab.store().update_lab_charger(charger.id, patch).await {
        Err(StoreError::Conflict(_)) => {
            return Err(LabError::Conflict(format!(
                "A simulated charger with identity '{}' already exists.",
                new_identity.unwrap_or_default()
            )))
        }
        other => other?,
    }
    let updated = lab
        .store()
        .find_lab_charger_by_id(charger.id)
        .await?
        .ok_or(LabError::NotFound(super::CHARGER_NOT_FOUND))?;
    if identity_changed || url_changed {
        lab.reprovision(&updated).await?;
    }
    let updated = lab
        .store()
        .find_lab_charger_by_id(charger.id)
        .await?
        .ok_or(LabError::NotFound(super::CHARGER_NOT_FOUND))?;
    Ok(Json(view(&lab, &updated)))
}

/// Stops the runtime (ending its sessions), then deletes the definition and its logs. The
/// charger it had in this Voltgate stays, with its history.
#[utoipa::path(delete, path = "/ocpp/chargers/{charger_id}", tag = "Simulated chargers",
    params(("charger_id" = String, Path, description = "Deployment id")),
    responses((status = 204), (status = 403, body = HttpErrorResponse), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn destroy(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
) -> LabResult<StatusCode> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    caller.require_write(charger.team_id)?;
    lab.delete_charger(&charger).await?;
    Ok(StatusCode::NO_CONTENT)
}
