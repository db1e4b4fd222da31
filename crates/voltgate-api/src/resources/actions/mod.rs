//! `POST /chargers/{charger}/actions/{action}`: every CSMS-initiated OCPP 1.6 operation as a
//! synchronous request whose response is the charger's own answer. `GET .../actions` is the
//! audit trail (who sent what, when, and the outcome).
//!
//! 200 with the answer (snake_case); 409 when the charger is offline; 504 when it does not answer
//! within `?timeout=` seconds (default 30, at most 120); 502 when it answers with a CALLERROR or
//! an invalid payload; 422 for a bad body (checked before anything is sent); 429 when the
//! connection's queue is full. An `Idempotency-Key` header makes a retried request send one CALL
//! and return the first answer.

mod parse;
pub(crate) mod reply;

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};
use voltgate_core::command_service::CommandFailure;
use voltgate_core::commands::{Command, LinkError, LocalListEntry};
use voltgate_core::model::{ActionRecord, Charger};
use voltgate_core::store::{BeginAction, NewAction, TransactionQuery};
use voltgate_core::types::{CardStatus, TransactionStatus};
use voltgate_core::PageRequest;

use super::chargers::visible_charger;
use crate::auth::Caller;
use crate::body::Body;
use crate::envelope::{page_request, paginated, Paginated, Params};
use crate::error::{ApiError, ApiResult};
use crate::time_fmt::{format, format_opt};
use crate::ApiState;

pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/chargers/{charger}/actions", get(list))
        .route("/chargers/{charger}/actions/{action}", post(perform))
}

/// Every action name this endpoint accepts.
pub(crate) const ACTIONS: &[&str] = &[
    "start",
    "stop",
    "restart",
    "reset",
    "unlock",
    "change-availability",
    "trigger-message",
    "get-configuration",
    "change-configuration",
    "clear-cache",
    "data-transfer",
    "charging-profile",
    "clear-charging-profile",
    "composite-schedule",
    "charge-limit",
    "reserve",
    "cancel-reservation",
    "update-firmware",
    "get-diagnostics",
    "send-local-list",
    "get-local-list-version",
];

const DEFAULT_TIMEOUT: u64 = 30;
const MAX_TIMEOUT: u64 = 120;

/// How an action ended, as sent to the client and kept in the audit trail.
struct Outcome {
    status: StatusCode,
    body: Value,
}

impl Outcome {
    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
        }
    }

    fn message(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            body: json!({ "message": message }),
        }
    }

    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        r
    }
}

fn failure(e: CommandFailure) -> Outcome {
    match e {
        CommandFailure::Link(LinkError::NotConnected) => {
            Outcome::message(StatusCode::CONFLICT, "The charger is not connected.")
        }
        CommandFailure::Link(LinkError::Timeout) => Outcome::message(
            StatusCode::GATEWAY_TIMEOUT,
            "The charger did not respond in time.",
        ),
        CommandFailure::Link(LinkError::QueueFull) => Outcome::message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many actions are waiting for this charger; retry in a moment.",
        ),
        CommandFailure::Link(LinkError::CallError { code, description }) => Outcome {
            status: StatusCode::BAD_GATEWAY,
            body: json!({
                "message": "The charger answered with an error.",
                "error_code": code,
                "error_description": description,
            }),
        },
        CommandFailure::Link(LinkError::InvalidResponse(detail)) => Outcome {
            status: StatusCode::BAD_GATEWAY,
            body: json!({ "message": "The charger's answer is not valid OCPP.", "error_description": detail }),
        },
        CommandFailure::Link(LinkError::Unsupported(detail)) => Outcome {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ "message": "This action cannot be sent to this charger.", "error_description": detail }),
        },
        CommandFailure::Store(e) => {
            tracing::error!(error = %e, "an action reached the charger but its effect could not be stored");
            Outcome::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The charger answered but Voltgate could not record the result; please retry.",
            )
        }
    }
}

fn timeout(params: &Params) -> ApiResult<Duration> {
    match params.get("timeout") {
        None => Ok(Duration::from_secs(DEFAULT_TIMEOUT)),
        Some(v) => match v.parse::<f64>() {
            Ok(s) if s > 0.0 && s <= MAX_TIMEOUT as f64 => Ok(Duration::from_secs_f64(s)),
            _ => Err(ApiError::field(
                "timeout",
                "Must be a number of seconds greater than 0 and at most 120.",
            )),
        },
    }
}

/// What the validated request asks for.
enum Plan {
    Command(Command),
    Reserve {
        connector_id: i32,
        id_tag: String,
        parent_id_tag: Option<String>,
        expiry_date: time::OffsetDateTime,
    },
}

/// Validates the body of `action` into a plan (422 on any problem).
async fn plan(state: &ApiState, charger: &Charger, action: &str, b: &mut Body) -> ApiResult<Plan> {
    let plan = match action {
        "stop" => {
            b.only(&["transaction_id"]);
            let id = parse::opt_int(b, "transaction_id", 0, i32::MAX as i64);
            b.finish()?;
            let id = match id {
                Some(id) => id,
                None => active_transaction(state, charger).await?,
            };
            Plan::Command(Command::RemoteStop { transaction_id: id })
        }
        "reserve" => {
            b.only(&[
                "connector_id",
                "id_tag",
                "id_token",
                "expiry_date",
                "parent_id_tag",
            ]);
            let connector_id = parse::required_int(b, "connector_id", 0, 1000);
            let id_tag = b
                .opt_string("id_tag", 20)
                .flatten()
                .or_else(|| b.opt_string("id_token", 20).flatten());
            if id_tag.is_none() && !b.has("id_tag") && !b.has("id_token") {
                b.error("id_tag", "This field is required.");
            }
            let expiry = parse::required_time(b, "expiry_date");
            if expiry.is_some_and(|t| t <= time::OffsetDateTime::now_utc()) {
                b.error("expiry_date", "Must be a date after now.");
            }
            let parent_id_tag = b.opt_string("parent_id_tag", 20).flatten();
            b.finish()?;
            Plan::Reserve {
                connector_id: connector_id.unwrap_or(0),
                id_tag: id_tag.unwrap_or_default(),
                parent_id_tag,
                expiry_date: expiry.unwrap_or_else(time::OffsetDateTime::now_utc),
            }
        }
        "charge-limit" => {
            b.only(&["connector_id", "limit", "stack_level"]);
            let connector_id = parse::required_int(b, "connector_id", 0, 1000);
            let limit = b.opt_f64("limit", 0.0, 1000.0);
            let limit = b.require("limit", limit);
            let stack_level = parse::opt_int(b, "stack_level", 0, 100).unwrap_or(1);
            b.finish()?;
            let (connector_id, limit) = (connector_id.unwrap_or(0), limit.unwrap_or(0.0));
            Plan::Command(charge_limit(state, charger, connector_id, limit, stack_level).await?)
        }
        "send-local-list" => {
            b.only(&["update_type", "list_version", "local_authorization_list"]);
            let update = b
                .opt_choice("update_type", &["full", "differential"])
                .flatten()
                .unwrap_or_else(|| "full".into());
            let version = parse::opt_int(b, "list_version", 1, i32::MAX as i64);
            let explicit = match b.children("local_authorization_list") {
                Some(items) => {
                    let mut entries = Vec::new();
                    for mut e in items {
                        let id_tag = e.required_string("id_tag", 20);
                        let status = e
                            .opt_choice("status", &["Accepted", "Blocked", "Expired", "Invalid"])
                            .flatten();
                        let expiry_date = e.opt_time("expiry_date").flatten();
                        let parent_id_tag = e.opt_string("parent_id_tag", 20).flatten();
                        if let Some(id_tag) = id_tag {
                            entries.push(LocalListEntry {
                                id_tag,
                                status,
                                expiry_date,
                                parent_id_tag,
                            });
                        }
                        b.absorb(e);
                    }
                    Some(entries)
                }
                None => None,
            };
            b.finish()?;
            let full = update == "full";
            let (current, _) = state.store.local_list(charger.id).await?;
            let entries = match explicit {
                Some(entries) => entries,
                // Without an explicit list: the cards of the charger's team.
                None => cards_as_list(state, charger).await?,
            };
            Plan::Command(Command::SendLocalList {
                list_version: version.unwrap_or(current + 1),
                full,
                entries,
            })
        }
        other => {
            let command = parse::simple(other, b);
            b.finish()?;
            Plan::Command(
                command
                    .ok_or_else(|| ApiError::Internal(format!("no parser for action {other}")))?,
            )
        }
    };
    Ok(plan)
}

async fn active_transaction(state: &ApiState, charger: &Charger) -> ApiResult<i32> {
    let query = TransactionQuery {
        team_ids: vec![charger.team_id],
        charger_id: Some(charger.id),
        status: Some(TransactionStatus::Active),
        page: PageRequest::new(1, 1),
        ..Default::default()
    };
    let page = state.store.list_transactions(&query).await?;
    let tx = page.items.first().ok_or_else(|| {
        ApiError::field(
            "transaction_id",
            "The charger has no active transaction; give its id.",
        )
    })?;
    i32::try_from(tx.id).map_err(|_| ApiError::field("transaction_id", "Out of the OCPP range."))
}

/// `charge-limit`: a TxProfile on the connector's active transaction, else a TxDefaultProfile.
async fn charge_limit(
    state: &ApiState,
    charger: &Charger,
    connector_id: i32,
    limit: f64,
    stack_level: i32,
) -> ApiResult<Command> {
    let active = state
        .store
        .active_transaction_id(charger.id, connector_id)
        .await?;
    let (purpose, transaction_id) = match active {
        Some(tx) if connector_id > 0 => ("TxProfile", i32::try_from(tx).ok()),
        _ => ("TxDefaultProfile", None),
    };
    // One id per connector and purpose, so a new limit replaces the previous one.
    let id = 9_000 + connector_id * 10 + i32::from(purpose == "TxProfile");
    let profile = voltgate_core::commands::ChargingProfile::current_limit(
        id,
        purpose,
        stack_level,
        limit,
        None,
        transaction_id,
    );
    Ok(Command::SetChargingProfile {
        connector_id,
        profile,
    })
}

async fn cards_as_list(state: &ApiState, charger: &Charger) -> ApiResult<Vec<LocalListEntry>> {
    let now = time::OffsetDateTime::now_utc();
    let cards = state.store.cards_for_local_list(charger.id).await?;
    Ok(cards
        .into_iter()
        .map(|c| {
            let expired = c.expires_at.is_some_and(|t| t <= now);
            let status = match c.status {
                CardStatus::Blocked => "Blocked",
                CardStatus::Expired => "Expired",
                CardStatus::Accepted if expired => "Expired",
                CardStatus::Accepted => "Accepted",
            };
            LocalListEntry {
                id_tag: c.uid,
                status: Some(status.into()),
                expiry_date: c.expires_at,
                parent_id_tag: c.parent_uid,
            }
        })
        .collect())
}

async fn execute(state: &ApiState, charger: &Charger, plan: Plan, timeout: Duration) -> Outcome {
    match plan {
        Plan::Command(command) => match state.commands.execute(charger, command, timeout).await {
            Ok(reply) => Outcome::ok(reply::to_json(&reply)),
            Err(e) => failure(e),
        },
        Plan::Reserve {
            connector_id,
            id_tag,
            parent_id_tag,
            expiry_date,
        } => {
            match state
                .commands
                .reserve(
                    charger,
                    connector_id,
                    &id_tag,
                    parent_id_tag.as_deref(),
                    expiry_date,
                    timeout,
                )
                .await
            {
                Ok((id, reply)) => {
                    let mut body = reply::to_json(&reply);
                    body["reservation_id"] = json!(id);
                    Outcome::ok(body)
                }
                Err(e) => failure(e),
            }
        }
    }
}

/// Waits for a pending action with the same idempotency key, then answers as it did.
async fn replay(state: &ApiState, mut record: ActionRecord, wait: Duration) -> ApiResult<Response> {
    let deadline = tokio::time::Instant::now() + wait + Duration::from_secs(5);
    while record.state == "pending" {
        if tokio::time::Instant::now() >= deadline {
            return Ok(Outcome::message(
                StatusCode::CONFLICT,
                "An action with this Idempotency-Key is still in progress.",
            )
            .into_response());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        record = state
            .store
            .find_action(record.id)
            .await?
            .ok_or(ApiError::NotFound)?;
    }
    let status = StatusCode::from_u16(record.http_status.unwrap_or(500) as u16)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = record
        .response
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    let mut response = Outcome { status, body }.into_response();
    response.headers_mut().insert(
        "idempotent-replayed",
        header::HeaderValue::from_static("true"),
    );
    Ok(response)
}

/// Sends an OCPP operation to the charger and answers with the charger's reply.
#[utoipa::path(post, path = "/api/v3/chargers/{charger}/actions/{action}", tag = "Actions",
    params(("charger" = String, Path), ("action" = String, Path, description = "start, stop, restart, reset, unlock, change-availability, trigger-message, get-configuration, change-configuration, clear-cache, data-transfer, charging-profile, clear-charging-profile, composite-schedule, charge-limit, reserve, cancel-reservation, update-firmware, get-diagnostics, send-local-list, get-local-list-version"),
        ("timeout" = Option<f64>, Query, description = "Seconds to wait for the charger, default 30, at most 120"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried request with the same key sends one CALL and returns the first answer")),
    request_body(content = Object, description = "The action's fields in snake_case, e.g. {\"connector_id\": 1, \"id_token\": \"04A1B2C3\"} for start"),
    responses((status = 200, description = "The charger's answer, e.g. {\"status\": \"Accepted\"}"), (status = 404), (status = 409, description = "The charger is not connected."),
        (status = 422), (status = 429), (status = 502, description = "The charger answered with a CALLERROR"), (status = 504, description = "The charger did not respond in time.")))]
pub(crate) async fn perform(
    State(state): State<ApiState>,
    caller: Caller,
    Path((charger, action)): Path<(String, String)>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    if !ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::NotFound);
    }
    if !caller.can_write(charger.team_id) {
        return Err(ApiError::Forbidden);
    }
    let timeout = timeout(&params)?;
    let mut body = Body::parse(&bytes)?;
    let request = body.to_json();
    let plan = plan(&state, &charger, &action, &mut body).await?;
    let key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        Some(Ok(k)) if !k.is_empty() && k.len() <= 255 => Some(k.to_owned()),
        Some(_) => {
            return Err(ApiError::field(
                "Idempotency-Key",
                "Must be 1 to 255 visible characters.",
            ))
        }
        None => None,
    };
    let begin = NewAction {
        charger_id: charger.id,
        user_id: Some(caller.user.id),
        action: action.clone(),
        request,
        idempotency_key: key,
    };
    let id = match state.store.begin_action(begin).await? {
        BeginAction::Started { id } => id,
        BeginAction::Existing(record) => return replay(&state, *record, timeout).await,
    };
    let outcome = execute(&state, &charger, plan, timeout).await;
    let succeeded = outcome.status == StatusCode::OK;
    let audit_state = if succeeded { "succeeded" } else { "failed" };
    state
        .store
        .finish_action(
            id,
            audit_state,
            outcome.status.as_u16() as i32,
            &outcome.body.to_string(),
        )
        .await?;
    tracing::info!(charger.identity = %charger.identity, action, status = outcome.status.as_u16(), user = %caller.user.email, "remote action");
    Ok(outcome.into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ActionView {
    pub uuid: uuid::Uuid,
    pub action: String,
    /// The e-mail of the user who sent it.
    pub user: Option<String>,
    #[schema(value_type = Object)]
    pub request: Value,
    pub idempotency_key: Option<String>,
    /// pending, succeeded or failed.
    pub status: String,
    pub http_status: Option<i32>,
    #[schema(value_type = Object)]
    pub response: Value,
    pub created_at: String,
    pub completed_at: Option<String>,
}

impl From<&ActionRecord> for ActionView {
    fn from(a: &ActionRecord) -> Self {
        let parse = |s: &str| serde_json::from_str(s).unwrap_or(Value::String(s.to_owned()));
        Self {
            uuid: a.uuid,
            action: a.action.clone(),
            user: a.user_email.clone(),
            request: parse(&a.request),
            idempotency_key: a.idempotency_key.clone(),
            status: a.state.clone(),
            http_status: a.http_status,
            response: a.response.as_deref().map(parse).unwrap_or(Value::Null),
            created_at: format(a.created_at),
            completed_at: format_opt(a.completed_at),
        }
    }
}

/// The audit trail of the charger's remote actions, newest first.
#[utoipa::path(get, path = "/api/v3/chargers/{charger}/actions", tag = "Actions", params(("charger" = String, Path), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)),
    responses((status = 200, body = inline(crate::envelope::Data<Vec<ActionView>>)), (status = 404)))]
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Path(charger): Path<String>,
    OriginalUri(uri): OriginalUri,
    Query(params): Query<Params>,
) -> ApiResult<Json<Paginated<ActionView>>> {
    let charger = visible_charger(&state, &caller, &charger).await?;
    let page = state
        .store
        .list_actions(charger.id, page_request(&params)?)
        .await?;
    Ok(paginated(&uri, page.map(|a| ActionView::from(&a))))
}
