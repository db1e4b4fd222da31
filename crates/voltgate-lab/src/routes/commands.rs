//! Commands on a running simulated charger, addressed by deployment id or OCPP identity:
//! `POST /ocpp/chargers/{charger_id}/commands/{command}` answers 202 with a `status_url`
//! (`GET /ocpp/commands/{command_id}`) to poll until SUCCEEDED or FAILED. Commands of one
//! charger run one at a time, in the order they were accepted.
//!
//! | command (aliases) | body |
//! |---|---|
//! | `plug` (`plug-connector`) | `connector_id` (1), `ev_max_current` (A, 16), `ev_phases` (1 to 3, 3) |
//! | `unplug` (`unplug-connector`) | `connector_id` (1) |
//! | `start-session` | `connector_id` (1), `id_tag` (the definition's) — plugs an EV in if none is |
//! | `stop-session` | `connector_id` (1), `unplug` (true) |
//! | `authorize` (`authorize-id-tag`) | `id_tag` |
//! | `set-ev-max-current` (`power-update`) | `connector_id` (1), `max_current` (A, 0 to 1000) |
//! | `inject-fault` | `connector_id` (1; 0 is the charger), `error_code` (`OtherError`), `info` |
//! | `clear-fault` | `connector_id` (1) |

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use voltgate_core::lab::LabCharger;
use voltgate_sim::{ChargePointErrorCode, Ev};

use super::charger_by_id_or_identity;
use crate::auth::Caller;
use crate::body::Body;
use crate::error::{HttpErrorResponse, HttpValidationError, LabError, LabResult};
use crate::runtime::{Command, Job, Origin, RuntimeState};
use crate::views::CommandView;
use crate::Lab;

const ERROR_CODES: &[&str] = &[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
];

/// Documents the command bodies for OpenAPI; each command reads the fields it needs.
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation schema: bodies are parsed by body.rs"
)]
pub(crate) struct CommandBody {
    /// 1..=number_of_connectors (default 1); `inject-fault` and `clear-fault` accept 0.
    connector_id: Option<u32>,
    /// At most 20 characters; default: the definition's `id_tag`.
    id_tag: Option<String>,
    /// `plug`: the EV's maximum current per phase, in A (default 16).
    ev_max_current: Option<f64>,
    /// `plug`: the phases the EV uses (default 3).
    ev_phases: Option<u8>,
    /// `set-ev-max-current`: in A.
    max_current: Option<f64>,
    /// `stop-session`: unplug the EV afterwards (default true).
    unplug: Option<bool>,
    /// `inject-fault`: an OCPP 1.6 ChargePointErrorCode (default `OtherError`).
    error_code: Option<String>,
    /// `inject-fault`: free text (at most 50 characters).
    info: Option<String>,
}

fn connector(b: &mut Body, charger: &LabCharger, allow_zero: bool) -> u32 {
    let min = if allow_zero { 0 } else { 1 };
    let max = i64::from(charger.number_of_connectors.max(1));
    b.opt_int("connector_id", min, max)
        .flatten()
        .map_or(1, |n| n as u32)
}

fn id_tag(b: &mut Body, charger: &LabCharger) -> Option<String> {
    let given = if b.has("id_tag") {
        match b.opt_string("id_tag", 1, 20) {
            Some(Some(tag)) => return Some(tag),
            // Invalid: already reported.
            None => return None,
            Some(None) => None,
        }
    } else {
        None
    };
    given.or_else(|| charger.id_tag.clone()).or_else(|| {
        // Neither sent nor set on the definition: required (or `null` is not a string).
        b.required_string("id_tag", 1, 20);
        None
    })
}

/// Reads a command's body; `None` for an unknown command.
fn parse(name: &str, b: &mut Body, charger: &LabCharger) -> Option<(&'static str, Command)> {
    let parsed = match name {
        "plug" | "plug-connector" => {
            let connector = connector(b, charger, false);
            let current = b.opt_float("ev_max_current", 0.0, 1000.0).flatten();
            let phases = b.opt_int("ev_phases", 1, 3).flatten();
            let defaults = Ev::default();
            let ev = Ev {
                max_current_a: current.unwrap_or(defaults.max_current_a),
                phases: phases.map_or(defaults.phases, |p| p as u8),
            };
            ("plug", Command::Plug { connector, ev })
        }
        "unplug" | "unplug-connector" => {
            let connector = connector(b, charger, false);
            ("unplug", Command::Unplug { connector })
        }
        "start-session" => {
            let connector = connector(b, charger, false);
            let id_tag = id_tag(b, charger).unwrap_or_default();
            ("start-session", Command::StartSession { connector, id_tag })
        }
        "stop-session" => {
            let connector = connector(b, charger, false);
            let unplug = b.opt_bool("unplug").flatten().unwrap_or(true);
            ("stop-session", Command::StopSession { connector, unplug })
        }
        "authorize" | "authorize-id-tag" => {
            let id_tag = id_tag(b, charger).unwrap_or_default();
            ("authorize", Command::Authorize { id_tag })
        }
        "set-ev-max-current" | "power-update" => {
            let connector = connector(b, charger, false);
            let current = b.opt_float("max_current", 0.0, 1000.0).flatten();
            if current.is_none() && !b.has("max_current") {
                b.required_string("max_current", 0, 0);
            }
            let current = current.unwrap_or_default();
            (
                "set-ev-max-current",
                Command::SetEvMaxCurrent { connector, current },
            )
        }
        "inject-fault" => {
            let connector = connector(b, charger, true);
            let code = b.opt_literal("error_code", ERROR_CODES).flatten();
            let error_code = code
                .and_then(|c| serde_json::from_value(json!(c)).ok())
                .unwrap_or(ChargePointErrorCode::OtherError);
            let info = b.opt_string("info", 0, 50).flatten();
            (
                "inject-fault",
                Command::InjectFault {
                    connector,
                    error_code,
                    info,
                },
            )
        }
        "clear-fault" => {
            let connector = connector(b, charger, true);
            ("clear-fault", Command::ClearFault { connector })
        }
        _ => return None,
    };
    Some(parsed)
}

/// The parameters a command runs with, defaults filled in.
fn request(command: &Command) -> serde_json::Value {
    match command {
        Command::Plug { connector, ev } => json!({
            "connector_id": connector, "ev_max_current": ev.max_current_a, "ev_phases": ev.phases,
        }),
        Command::Unplug { connector } | Command::ClearFault { connector } => {
            json!({ "connector_id": connector })
        }
        Command::StartSession { connector, id_tag } => {
            json!({ "connector_id": connector, "id_tag": id_tag })
        }
        Command::StopSession { connector, unplug } => {
            json!({ "connector_id": connector, "unplug": unplug })
        }
        Command::Authorize { id_tag } => json!({ "id_tag": id_tag }),
        Command::SetEvMaxCurrent { connector, current } => {
            json!({ "connector_id": connector, "max_current": current })
        }
        Command::InjectFault {
            connector,
            error_code,
            info,
        } => json!({ "connector_id": connector, "error_code": error_code.as_str(), "info": info }),
    }
}

/// Queues a command on a running simulated charger (202); poll `status_url`.
#[utoipa::path(post, path = "/ocpp/chargers/{charger_id}/commands/{command}", tag = "Commands",
    params(("charger_id" = String, Path, description = "Deployment id or OCPP identity"),
        ("command" = String, Path, description = "plug, unplug, start-session, stop-session, authorize, set-ev-max-current, inject-fault, clear-fault")),
    request_body = CommandBody,
    responses((status = 202, body = CommandView), (status = 404, body = HttpErrorResponse, description = "unknown charger or command"),
        (status = 409, body = HttpErrorResponse, description = "the runtime is not running"), (status = 422, body = HttpValidationError)))]
pub(crate) async fn create(
    State(lab): State<Lab>,
    caller: Caller,
    Path((charger_id, command)): Path<(String, String)>,
    bytes: Bytes,
) -> LabResult<(StatusCode, Json<CommandView>)> {
    let charger = charger_by_id_or_identity(&lab, &caller, &charger_id).await?;
    let empty = bytes.iter().all(u8::is_ascii_whitespace);
    let mut b = Body::parse(if empty { b"{}" } else { &bytes })?;
    let (name, command) =
        parse(&command, &mut b, &charger).ok_or(LabError::NotFound("Command not found"))?;
    b.finish()?;
    caller.require_write(charger.team_id)?;
    if lab.runtime_state(charger.id) == RuntimeState::Stopped {
        return Err(LabError::Conflict(format!(
            "The runtime of charger {} is not running; start it first.",
            charger.public_id
        )));
    }
    let book = &lab.inner.commands;
    let origin = Origin {
        team_id: charger.team_id,
        charger_id: &charger.public_id,
        identity: &charger.identity,
    };
    let id = book.add(origin, name, request(&command));
    if let Err(reason) = lab.inner.runtimes.submit(charger.id, Job { id, command }) {
        book.fail(id, format!("not queued: the runtime is {reason}"));
        return Err(LabError::Conflict(format!(
            "The runtime of charger {} cannot take the command: it is {reason}.",
            charger.public_id
        )));
    }
    let view = book
        .view(id, &[charger.team_id])
        .ok_or_else(|| LabError::Internal("a command vanished from the book".into()))?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// A command's status: QUEUED, RUNNING, SUCCEEDED (with a result) or FAILED (with an error).
/// The last 1000 commands are kept.
#[utoipa::path(get, path = "/ocpp/commands/{command_id}", tag = "Commands",
    params(("command_id" = String, Path)),
    responses((status = 200, body = CommandView), (status = 404, body = HttpErrorResponse)))]
pub(crate) async fn show(
    State(lab): State<Lab>,
    caller: Caller,
    Path(command_id): Path<String>,
) -> LabResult<Json<CommandView>> {
    let id =
        uuid::Uuid::parse_str(&command_id).map_err(|_| LabError::NotFound("Command not found"))?;
    lab.inner
        .commands
        .view(id, &caller.team_ids())
        .map(Json)
        .ok_or(LabError::NotFound("Command not found"))
}
