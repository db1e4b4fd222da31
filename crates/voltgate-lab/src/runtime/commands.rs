//! Commands on a simulated charger (plug, start a session, inject a fault, ...): accepted with
//! 202, queued on the charger's runtime, run one at a time in order, and kept in a bounded book
//! so `GET /ocpp/commands/{id}` can report QUEUED, RUNNING, SUCCEEDED or FAILED.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_sim::{ChargePointErrorCode, Ev, SimCharger, SimError, StopReason};

use crate::views::{format_time, CommandView};

/// How many commands the book remembers (the oldest are forgotten first).
const REMEMBERED: usize = 1000;

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Plug {
        connector: u32,
        ev: Ev,
    },
    Unplug {
        connector: u32,
    },
    StartSession {
        connector: u32,
        id_tag: String,
    },
    StopSession {
        connector: u32,
        unplug: bool,
    },
    Authorize {
        id_tag: String,
    },
    SetEvMaxCurrent {
        connector: u32,
        current: f64,
    },
    InjectFault {
        connector: u32,
        error_code: ChargePointErrorCode,
        info: Option<String>,
    },
    ClearFault {
        connector: u32,
    },
}

/// A queued command.
#[derive(Debug)]
pub(crate) struct Job {
    pub id: Uuid,
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "QUEUED",
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone)]
struct Record {
    team_id: i64,
    name: String,
    charger_id: String,
    identity: String,
    status: Status,
    request: Value,
    result: Option<Value>,
    error: Option<String>,
    created_at: OffsetDateTime,
    started_at: Option<OffsetDateTime>,
    finished_at: Option<OffsetDateTime>,
}

/// Every recent command.
#[derive(Default)]
pub(crate) struct CommandBook {
    inner: Mutex<Book>,
}

#[derive(Default)]
struct Book {
    records: HashMap<Uuid, Record>,
    order: VecDeque<Uuid>,
}

/// Who asked, and for which charger.
pub(crate) struct Origin<'a> {
    pub team_id: i64,
    pub charger_id: &'a str,
    pub identity: &'a str,
}

impl CommandBook {
    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a new queued command and returns its id.
    pub(crate) fn add(&self, origin: Origin<'_>, name: &str, request: Value) -> Uuid {
        let id = Uuid::new_v4();
        let mut book = self.lock();
        if book.order.len() == REMEMBERED {
            if let Some(oldest) = book.order.pop_front() {
                book.records.remove(&oldest);
            }
        }
        book.order.push_back(id);
        book.records.insert(
            id,
            Record {
                team_id: origin.team_id,
                name: name.to_owned(),
                charger_id: origin.charger_id.to_owned(),
                identity: origin.identity.to_owned(),
                status: Status::Queued,
                request,
                result: None,
                error: None,
                created_at: OffsetDateTime::now_utc(),
                started_at: None,
                finished_at: None,
            },
        );
        id
    }

    fn update(&self, id: Uuid, f: impl FnOnce(&mut Record)) {
        if let Some(record) = self.lock().records.get_mut(&id) {
            f(record);
        }
    }

    pub(crate) fn fail(&self, id: Uuid, error: String) {
        self.update(id, |r| {
            r.status = Status::Failed;
            r.error = Some(error);
            r.finished_at = Some(OffsetDateTime::now_utc());
        });
    }

    /// The command, if it exists and belongs to one of `team_ids`.
    pub(crate) fn view(&self, id: Uuid, team_ids: &[i64]) -> Option<CommandView> {
        let book = self.lock();
        let record = book.records.get(&id)?;
        team_ids.contains(&record.team_id).then(|| view(id, record))
    }
}

fn view(id: Uuid, r: &Record) -> CommandView {
    CommandView {
        command_id: id.to_string(),
        command: r.name.clone(),
        charger_id: r.charger_id.clone(),
        identity: r.identity.clone(),
        status: r.status.as_str(),
        status_url: format!("/ocpp/commands/{id}"),
        request: r.request.clone(),
        result: r.result.clone(),
        error: r.error.clone(),
        created_at: format_time(r.created_at),
        started_at: r.started_at.map(format_time),
        finished_at: r.finished_at.map(format_time),
    }
}

/// Runs one job on a connected charger and records the outcome.
pub(crate) async fn execute(charger: &SimCharger, book: &CommandBook, job: Job) {
    book.update(job.id, |r| {
        r.status = Status::Running;
        r.started_at = Some(OffsetDateTime::now_utc());
    });
    let outcome = run(charger, job.command).await;
    book.update(job.id, |r| {
        r.finished_at = Some(OffsetDateTime::now_utc());
        match outcome {
            Ok(result) => {
                r.status = Status::Succeeded;
                r.result = Some(result);
            }
            Err(error) => {
                r.status = Status::Failed;
                r.error = Some(error.to_string());
            }
        }
    });
}

async fn run(charger: &SimCharger, command: Command) -> Result<Value, SimError> {
    match command {
        Command::Plug { connector, ev } => {
            charger.plug(connector, ev).await?;
            Ok(connector_state(charger, connector))
        }
        Command::Unplug { connector } => {
            charger.unplug(connector).await?;
            Ok(connector_state(charger, connector))
        }
        Command::StartSession { connector, id_tag } => {
            let transaction_id = charger.start_session(connector, &id_tag).await?;
            let mut state = connector_state(charger, connector);
            state["transaction_id"] = transaction_id.into();
            Ok(state)
        }
        Command::StopSession { connector, unplug } => {
            charger.stop_session(connector, StopReason::Local).await?;
            let plugged = charger.connector(connector).is_some_and(|c| c.ev.is_some());
            if unplug && plugged {
                charger.unplug(connector).await?;
            }
            Ok(connector_state(charger, connector))
        }
        Command::Authorize { id_tag } => {
            let info = charger.authorize(&id_tag).await?;
            Ok(json!({ "id_tag_status": info.status.as_str() }))
        }
        Command::SetEvMaxCurrent { connector, current } => {
            charger.set_ev_max_current(connector, current).await?;
            Ok(connector_state(charger, connector))
        }
        Command::InjectFault {
            connector,
            error_code,
            info,
        } => {
            charger.inject_fault(connector, error_code, info).await?;
            Ok(connector_state(charger, connector))
        }
        Command::ClearFault { connector } => {
            charger.clear_fault(connector).await?;
            Ok(connector_state(charger, connector))
        }
    }
}

fn connector_state(charger: &SimCharger, connector: u32) -> Value {
    match charger.connector(connector) {
        Some(c) => json!({
            "connector_id": connector,
            "status": c.status.as_str(),
            "error_code": c.error_code.as_str(),
            "transaction_id": c.transaction_id,
        }),
        None => json!({ "connector_id": connector }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_forgets_the_oldest_and_hides_other_teams() {
        let book = CommandBook::default();
        let origin = || Origin {
            team_id: 1,
            charger_id: "dep-1",
            identity: "CP-1",
        };
        let first = book.add(origin(), "plug", json!({}));
        for _ in 0..REMEMBERED {
            book.add(origin(), "unplug", json!({}));
        }
        assert!(book.view(first, &[1]).is_none(), "forgotten");
        let last = book.add(origin(), "plug", json!({"connector_id": 1}));
        let view = book.view(last, &[1]).unwrap();
        assert_eq!(view.status, "QUEUED");
        assert_eq!(view.status_url, format!("/ocpp/commands/{last}"));
        assert!(book.view(last, &[2]).is_none(), "another team's");
        book.fail(last, "no".into());
        assert_eq!(book.view(last, &[1]).unwrap().status, "FAILED");
    }
}
