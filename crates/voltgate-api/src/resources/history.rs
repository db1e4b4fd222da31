//! What happened: `/transactions`, `/chargers/{charger}/transactions`,
//! `/chargers/{charger}/metervalues` and `/chargers/{charger}/logs` (every OCPP frame).

use axum::extract::{OriginalUri, Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::store::{LogQuery, MeterValueQuery, TransactionQuery};
use voltgate_core::types::{Direction, TransactionStatus};

use voltgate_core::access::Reach;

use crate::access::{self, sensitive_charger};
use crate::auth::Caller;
use crate::envelope::{data, filter, page_request, paginated, sort, Data, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::views::{LogView, MeterValueView, TransactionView};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/transactions", get(list_transactions))
        .route("/transactions/{id}", get(show_transaction))
        .route(
            "/chargers/{charger}/transactions",
            get(charger_transactions),
        )
        .route("/chargers/{charger}/metervalues", get(meter_values))
        .route("/chargers/{charger}/logs", get(logs))
}

fn date(params: &Params, name: &str) -> ApiResult<Option<OffsetDateTime>> {
    match filter(params, name) {
        None => Ok(None),
        Some(s) => crate::time_fmt::parse(s).map(Some).ok_or_else(|| {
            ApiError::field(
                name,
                "Must be a valid date in the format `Y-m-d H:i:s` or RFC 3339.",
            )
        }),
    }
}

/// The transaction filters of `params`, within `reach` (a sensitive reach: transactions are
/// sensitive data).
pub(crate) fn transaction_query(params: &Params, reach: &Reach) -> ApiResult<TransactionQuery> {
    let status = match filter(params, "status") {
        Some(s) => Some(TransactionStatus::parse(s).ok_or_else(|| {
            ApiError::field("filter[status]", "Must be one of: active, finished.")
        })?),
        None => None,
    };
    Ok(TransactionQuery {
        status,
        started_from: date(params, "started_from")?.or(date(params, "date_from")?),
        started_until: date(params, "started_until")?.or(date(params, "date_to")?),
        sort: sort(
            params,
            &[
                "id",
                "started_at",
                "stopped_at",
                "meter_start",
                "meter_stop",
                "created_at",
            ],
        )?,
        page: page_request(params)?,
        ..access::transaction_query(reach)
    })
}

/// Transactions on chargers of the caller's teams, newest first
/// (`filter[status]`, `filter[charger_uuid]`, `filter[site_uuid]`, `filter[started_from]`, `filter[started_until]`, `sort`).
#[utoipa::path(get, path = "/api/v3/transactions", tag = "Transactions",
    params(("filter[status]" = Option<String>, Query), ("filter[charger_uuid]" = Option<String>, Query), ("filter[site_uuid]" = Option<String>, Query),
        ("filter[started_from]" = Option<String>, Query), ("filter[started_until]" = Option<String>, Query), ("sort" = Option<String>, Query),
        ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<TransactionView>>))))]
pub(crate) async fn list_transactions(
    State(state): State<ApiState>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    let reach = &caller.scope.sensitive;
    let mut q = transaction_query(&params, reach)?;
    if let Some(c) = filter(&params, "charger_uuid") {
        let uuid = Uuid::parse_str(c)
            .map_err(|_| ApiError::field("filter[charger_uuid]", "Must be a valid UUID."))?;
        q.charger_id = Some(
            state
                .store
                .find_charger(reach, uuid)
                .await?
                .map_or(-1, |c| c.id),
        );
    }
    if let Some(s) = filter(&params, "site_uuid") {
        let uuid = Uuid::parse_str(s)
            .map_err(|_| ApiError::field("filter[site_uuid]", "Must be a valid UUID."))?;
        q.site_id = Some(
            access::find_site(&state, reach, uuid)
                .await?
                .map_or(-1, |s| s.id),
        );
    }
    transaction_page(&state, &uri, &q).await
}

/// One page of transactions.
pub(crate) async fn transaction_page(
    state: &ApiState,
    uri: &axum::http::Uri,
    q: &TransactionQuery,
) -> ApiResult<Json<Paginated<TransactionView>>> {
    let page = state.store.list_transactions(q).await?;
    Ok(paginated(uri, page.map(|t| TransactionView::from(&t))))
}

#[utoipa::path(get, path = "/api/v3/transactions/{id}", tag = "Transactions", params(("id" = i64, Path, description = "OCPP transaction id")),
    responses((status = 200, body = inline(Data<TransactionView>)), (status = 404)))]
pub(crate) async fn show_transaction(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Data<TransactionView>>> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let tx = state
        .store
        .find_transaction(&caller.scope.sensitive, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(data(TransactionView::from(&tx)))
}

#[utoipa::path(get, path = "/api/v3/chargers/{charger}/transactions", tag = "Transactions",
    params(("charger" = String, Path), ("filter[status]" = Option<String>, Query), ("date_from" = Option<String>, Query), ("date_to" = Option<String>, Query), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<TransactionView>>)), (status = 404)))]
pub(crate) async fn charger_transactions(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    let charger = sensitive_charger(&state, &caller, &charger).await?;
    let mut q = transaction_query(&params, &caller.scope.sensitive)?;
    q.charger_id = Some(charger.id);
    transaction_page(&state, &uri, &q).await
}

fn opt_int<T: std::str::FromStr>(params: &Params, name: &str) -> ApiResult<Option<T>> {
    match filter(params, name) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field(name, "Must be an integer.")),
    }
}

fn descending(params: &Params, key: &str, default_desc: bool) -> ApiResult<bool> {
    match params.get(key).map(String::as_str) {
        None => Ok(default_desc),
        Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(_) => Err(ApiError::field(key, "Must be one of: asc, desc.")),
    }
}

/// Meter values of a charger (`date_from`, `date_to`, `measurand`, `phase`, `unit`, `context`,
/// `location`, `connector_id`, `transaction_id`, `order_by` asc|desc).
#[utoipa::path(get, path = "/api/v3/chargers/{charger}/metervalues", tag = "Meter values",
    params(("charger" = String, Path), ("date_from" = Option<String>, Query, description = "Y-m-d H:i:s or RFC 3339"), ("date_to" = Option<String>, Query),
        ("measurand" = Option<String>, Query), ("phase" = Option<String>, Query), ("unit" = Option<String>, Query), ("context" = Option<String>, Query),
        ("location" = Option<String>, Query), ("connector_id" = Option<i32>, Query), ("transaction_id" = Option<i64>, Query),
        ("order_by" = Option<String>, Query, description = "asc (default) or desc"), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<MeterValueView>>)), (status = 404)))]
pub(crate) async fn meter_values(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    let charger = sensitive_charger(&state, &caller, &charger).await?;
    let text = |n: &str| filter(&params, n).map(str::to_owned);
    let q = MeterValueQuery {
        charger_id: charger.id,
        connector_id: opt_int(&params, "connector_id")?,
        transaction_id: opt_int(&params, "transaction_id")?,
        date_from: date(&params, "date_from")?,
        date_to: date(&params, "date_to")?,
        measurand: text("measurand"),
        phase: text("phase"),
        unit: text("unit"),
        context: text("context"),
        location: text("location"),
        descending: descending(&params, "order_by", false)?,
        page: page_request(&params)?,
    };
    let page = state.store.list_meter_values(&q).await?;
    Ok(paginated(&uri, page.map(|m| MeterValueView::from(&m))))
}

/// Every OCPP frame in and out, newest first (`filter[action]`, `filter[direction]`
/// cp_to_csms|csms_to_cp, `filter[date_from]`, `filter[date_to]`, `order_by`).
#[utoipa::path(get, path = "/api/v3/chargers/{charger}/logs", tag = "Logs",
    params(("charger" = String, Path), ("filter[action]" = Option<String>, Query), ("filter[direction]" = Option<String>, Query),
        ("filter[date_from]" = Option<String>, Query), ("filter[date_to]" = Option<String>, Query), ("order_by" = Option<String>, Query, description = "desc (default) or asc"),
        ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(Data<Vec<LogView>>)), (status = 404)))]
pub(crate) async fn logs(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<impl serde::Serialize>>> {
    let charger = sensitive_charger(&state, &caller, &charger).await?;
    let direction = match filter(&params, "direction") {
        Some(d) => Some(Direction::parse(d).ok_or_else(|| {
            ApiError::field(
                "filter[direction]",
                "Must be one of: cp_to_csms, csms_to_cp.",
            )
        })?),
        None => None,
    };
    let q = LogQuery {
        charger_id: charger.id,
        action: filter(&params, "action").map(str::to_owned),
        direction,
        date_from: date(&params, "date_from")?,
        date_to: date(&params, "date_to")?,
        descending: descending(&params, "order_by", true)?,
        page: page_request(&params)?,
    };
    let page = state.store.list_logs(&q).await?;
    Ok(paginated(&uri, page.map(|l| LogView::from(&l))))
}
