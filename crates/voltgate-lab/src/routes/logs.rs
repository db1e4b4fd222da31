//! `/ocpp/chargers/{charger_id}/logs`: the raw OCPP frames a simulated charger sent and
//! received, oldest first, from its bounded in-memory log (kept across runtime restarts while
//! Voltgate runs; the newest frames win when it is full).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::Value;
use voltgate_sim::{Direction, LoggedFrame};

use super::visible_charger;
use crate::auth::Caller;
use crate::body::QueryParams;
use crate::error::{HttpErrorResponse, HttpValidationError, LabResult};
use crate::views::{format_time, LogView, LogsEnvelope};
use crate::Lab;

/// Lists frames: `start_date`/`end_date` (RFC 3339 or `YYYY-MM-DD`), `event` (an OCPP action,
/// e.g. `StartTransaction`; a CALLRESULT counts as its CALL's action), `direction`
/// (`cp_to_csms` or `csms_to_cp`), `limit` (1 to 1000, default 100) and `offset`.
#[utoipa::path(get, path = "/ocpp/chargers/{charger_id}/logs", tag = "Logs",
    params(("charger_id" = String, Path, description = "Deployment id"),
        ("start_date" = Option<String>, Query), ("end_date" = Option<String>, Query),
        ("event" = Option<String>, Query, description = "OCPP action"),
        ("direction" = Option<String>, Query, description = "cp_to_csms or csms_to_cp"),
        ("limit" = Option<u64>, Query, description = "1 to 1000 (default 100)"), ("offset" = Option<u64>, Query)),
    responses((status = 200, body = LogsEnvelope), (status = 404, body = HttpErrorResponse), (status = 422, body = HttpValidationError)))]
pub(crate) async fn list(
    State(lab): State<Lab>,
    caller: Caller,
    Path(charger_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> LabResult<Json<LogsEnvelope>> {
    let charger = visible_charger(&lab, &caller, &charger_id).await?;
    let mut q = QueryParams::new(params);
    let limit = q.int("limit", 100, 1, 1000) as u64;
    let offset = q.int("offset", 0, 0, i64::MAX) as u64;
    let from = q.datetime("start_date");
    let until = q.datetime("end_date");
    let direction = q.literal("direction", &["cp_to_csms", "csms_to_cp"]);
    let event = q.string("event");
    q.finish()?;
    let frames = lab
        .inner
        .runtimes
        .log(charger.id)
        .map(|log| log.frames())
        .unwrap_or_default();
    let views = describe(&frames);
    let selected: Vec<LogView> = frames
        .iter()
        .zip(views)
        .filter(|(frame, _)| from.is_none_or(|from| frame.at >= from))
        .filter(|(frame, _)| until.is_none_or(|until| frame.at <= until))
        .filter(|(_, view)| direction.as_deref().is_none_or(|d| view.direction == d))
        .filter(|(_, view)| {
            event
                .as_deref()
                .is_none_or(|e| view.action.as_deref() == Some(e))
        })
        .map(|(_, view)| view)
        .collect();
    let total = selected.len() as u64;
    let data = selected
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    Ok(Json(LogsEnvelope {
        data,
        total,
        limit,
        offset,
    }))
}

/// Each frame with its message type and action (an answer takes its CALL's action).
fn describe(frames: &[LoggedFrame]) -> Vec<LogView> {
    let mut calls: HashMap<(bool, String), String> = HashMap::new();
    frames
        .iter()
        .map(|frame| {
            let outbound = frame.direction == Direction::CpToCsms;
            let parsed: Option<Vec<Value>> = serde_json::from_str(&frame.text).ok();
            let kind = parsed
                .as_ref()
                .and_then(|f| f.first())
                .and_then(Value::as_u64);
            let id = parsed
                .as_ref()
                .and_then(|f| f.get(1))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let (message_type, action) = match (kind, id) {
                (Some(2), Some(id)) => {
                    let action = parsed
                        .as_ref()
                        .and_then(|f| f.get(2))
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    if let Some(action) = &action {
                        calls.insert((outbound, id), action.clone());
                    }
                    ("CALL", action)
                }
                // An answer travels the other way from its CALL.
                (Some(3), Some(id)) => ("CALLRESULT", calls.remove(&(!outbound, id))),
                (Some(4), Some(id)) => ("CALLERROR", calls.remove(&(!outbound, id))),
                _ => ("UNKNOWN", None),
            };
            LogView {
                id: frame.seq,
                direction: if outbound { "cp_to_csms" } else { "csms_to_cp" },
                action,
                message_type,
                message: frame.text.clone(),
                timestamp: format_time(frame.at),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use voltgate_sim::FrameLog;

    #[test]
    fn answers_take_the_action_of_their_call() {
        let log = FrameLog::new(10);
        log.record(Direction::CpToCsms, r#"[2,"1","Heartbeat",{}]"#);
        log.record(Direction::CsmsToCp, r#"[2,"1","Reset",{"type":"Soft"}]"#);
        log.record(Direction::CsmsToCp, r#"[3,"1",{"currentTime":"x"}]"#);
        log.record(Direction::CpToCsms, r#"[3,"1",{"status":"Accepted"}]"#);
        log.record(Direction::CpToCsms, "not json");
        let views = describe(&log.frames());
        let actions: Vec<_> = views.iter().map(|v| v.action.as_deref()).collect();
        assert_eq!(
            actions,
            [
                Some("Heartbeat"),
                Some("Reset"),
                Some("Heartbeat"),
                Some("Reset"),
                None
            ]
        );
        assert_eq!(views[2].message_type, "CALLRESULT");
        assert_eq!(views[2].direction, "csms_to_cp");
        assert_eq!(views[4].message_type, "UNKNOWN");
    }
}
