//! The state remote actions leave behind: configuration keys last read from the charger,
//! installed charging profiles, the local authorization list, and reservations.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use voltgate_core::model::Reservation;

use super::actions::reply::schedule_json;
use crate::access::sensitive_charger;
use crate::auth::Caller;
use crate::envelope::{data, filter, page_request, paginated, Data, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::time_fmt::{format, format_opt};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/chargers/{charger}/configuration", get(configuration))
        .route("/chargers/{charger}/charging-profiles", get(profiles))
        .route("/chargers/{charger}/local-list", get(local_list))
        .route("/reservations", get(reservations))
        .route("/reservations/{id}", get(reservation))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ConfigKeyView {
    pub key: String,
    pub value: Option<String>,
    pub readonly: bool,
    pub updated_at: String,
}

/// Configuration keys as last read from the charger (refreshed by `get-configuration`, and by
/// `change-configuration` when the charger accepts).
#[utoipa::path(get, path = "/api/v3/chargers/{charger}/configuration", tag = "Actions", params(("charger" = String, Path)),
    responses((status = 200, body = inline(Data<Vec<ConfigKeyView>>)), (status = 404)))]
pub(crate) async fn configuration(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<Json<Data<Vec<ConfigKeyView>>>> {
    let charger = sensitive_charger(&state, &caller, &charger).await?;
    let keys = state.store.list_configuration(charger.id).await?;
    Ok(data(
        keys.into_iter()
            .map(|k| ConfigKeyView {
                key: k.key,
                value: k.value,
                readonly: k.readonly,
                updated_at: format(k.updated_at),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProfileView {
    pub connector_id: i32,
    pub charging_profile_id: i32,
    pub transaction_id: Option<i32>,
    pub stack_level: i32,
    pub charging_profile_purpose: String,
    pub charging_profile_kind: String,
    pub recurrency_kind: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    #[schema(value_type = Object)]
    pub charging_schedule: Value,
    pub installed_at: String,
}

/// Charging profiles the charger accepted, per connector (0 is the whole charger).
#[utoipa::path(get, path = "/api/v3/chargers/{charger}/charging-profiles", tag = "Actions", params(("charger" = String, Path)),
    responses((status = 200, body = inline(Data<Vec<ProfileView>>)), (status = 404)))]
pub(crate) async fn profiles(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<Json<Data<Vec<ProfileView>>>> {
    let charger = sensitive_charger(&state, &caller, &charger).await?;
    let installed = state.store.list_profiles(charger.id).await?;
    Ok(data(
        installed
            .into_iter()
            .map(|i| {
                let p = i.profile;
                ProfileView {
                    connector_id: i.connector_id,
                    charging_profile_id: p.charging_profile_id,
                    transaction_id: p.transaction_id,
                    stack_level: p.stack_level,
                    charging_profile_purpose: p.charging_profile_purpose,
                    charging_profile_kind: p.charging_profile_kind,
                    recurrency_kind: p.recurrency_kind,
                    valid_from: format_opt(p.valid_from),
                    valid_to: format_opt(p.valid_to),
                    charging_schedule: schedule_json(&p.charging_schedule),
                    installed_at: format(i.installed_at),
                }
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct LocalListEntryView {
    pub id_tag: String,
    pub status: Option<String>,
    pub expiry_date: Option<String>,
    pub parent_id_tag: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct LocalListView {
    /// The version the charger last accepted or reported.
    pub list_version: i32,
    pub entries: Vec<LocalListEntryView>,
}

/// The local authorization list as the charger last accepted it (`send-local-list`).
#[utoipa::path(get, path = "/api/v3/chargers/{charger}/local-list", tag = "Actions", params(("charger" = String, Path)),
    responses((status = 200, body = inline(Data<LocalListView>)), (status = 404)))]
pub(crate) async fn local_list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
) -> ApiResult<Json<Data<LocalListView>>> {
    let charger = sensitive_charger(&state, &caller, &charger).await?;
    let (list_version, entries) = state.store.local_list(charger.id).await?;
    Ok(data(LocalListView {
        list_version,
        entries: entries
            .into_iter()
            .map(|e| LocalListEntryView {
                id_tag: e.id_tag,
                status: e.status,
                expiry_date: format_opt(e.expiry_date),
                parent_id_tag: e.parent_id_tag,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ReservationView {
    /// The OCPP reservationId.
    pub id: i64,
    pub uuid: Uuid,
    pub charger_uuid: Uuid,
    pub connector_id: i32,
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    pub expires_at: String,
    /// pending, active, rejected, used, cancelled or expired.
    pub status: String,
    /// The transaction that used it.
    pub transaction_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl ReservationView {
    fn new(r: &Reservation) -> Self {
        Self {
            id: r.id,
            uuid: r.uuid,
            charger_uuid: r.charger_uuid,
            connector_id: r.connector_id,
            id_tag: r.id_tag.clone(),
            parent_id_tag: r.parent_id_tag.clone(),
            expires_at: format(r.expires_at),
            status: r.status_at(time::OffsetDateTime::now_utc()).to_owned(),
            transaction_id: r.transaction_id,
            created_at: format(r.created_at),
            updated_at: format(r.updated_at),
        }
    }
}

/// Reservations on the caller's chargers, newest first (`filter[charger_uuid]`).
#[utoipa::path(get, path = "/api/v3/reservations", tag = "Reservations", params(("filter[charger_uuid]" = Option<String>, Query), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<ReservationView>>))))]
pub(crate) async fn reservations(
    State(state): State<ApiState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<ReservationView>>> {
    // Reservations carry id tags: sensitive data of the chargers' sites.
    let reach = &caller.scope.sensitive;
    let charger_id = match filter(&params, "charger_uuid") {
        Some(c) => {
            let uuid = Uuid::parse_str(c)
                .map_err(|_| ApiError::field("filter[charger_uuid]", "Must be a valid UUID."))?;
            Some(
                state
                    .store
                    .find_charger(reach, uuid)
                    .await?
                    .map_or(-1, |c| c.id),
            )
        }
        None => None,
    };
    let page = state
        .store
        .list_reservations(reach, charger_id, page_request(&params)?)
        .await?;
    Ok(paginated(&uri, page.map(|r| ReservationView::new(&r))))
}

#[utoipa::path(get, path = "/api/v3/reservations/{id}", tag = "Reservations", params(("id" = i64, Path)),
    responses((status = 200, body = inline(Data<ReservationView>)), (status = 404)))]
pub(crate) async fn reservation(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Data<ReservationView>>> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let r = state
        .store
        .find_reservation(&caller.scope.sensitive, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(data(ReservationView::new(&r)))
}
