//! The runtime manager: one [`SimCharger`] per running definition.
//!
//! A slot per definition keeps its bounded frame log (served by the logs endpoint, kept across
//! runs while Voltgate runs) and, while it runs, the run: a task that connects (retrying with
//! back-off until it succeeds or is stopped), then carries out the definition's commands one
//! at a time and, with `scenario: "sessions"`, lets an autopilot play sessions. Stopping a run
//! ends its open transactions (so the central system is not left with dangling sessions), closes
//! the socket with a Close frame and waits for the task.

mod commands;
mod scenario;
mod task;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use voltgate_sim::{FrameLog, SimCharger, StopReason};

pub(crate) use commands::{Command, CommandBook, Job, Origin};
pub(crate) use scenario::Autopilot;
pub(crate) use task::{backoff, RunSpec};

/// The sessions autopilot with the configured pace; the first pause is a random part of the
/// usual one, so chargers started together do not charge in step.
pub(crate) fn scenario_autopilot(id_tag: String, settings: &crate::LabSettings) -> Autopilot {
    let random = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
    Autopilot {
        id_tag,
        charge: settings.session_duration,
        pause: settings.session_pause,
        first_pause: settings.session_pause.mul_f64(random),
    }
}

/// How many commands may wait for one runtime.
const JOB_QUEUE: usize = 64;

/// What a runtime is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuntimeState {
    Stopped,
    /// Connecting (or retrying after a failed connection).
    Starting,
    /// Connected.
    Running,
    /// Was connected; the connection dropped and it reconnects.
    Reconnecting,
}

impl RuntimeState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RuntimeState::Stopped => "stopped",
            RuntimeState::Starting => "starting",
            RuntimeState::Running => "running",
            RuntimeState::Reconnecting => "reconnecting",
        }
    }
}

/// The running part of a slot.
struct Run {
    cancel: CancellationToken,
    reason: Arc<Mutex<StopReason>>,
    charger: watch::Receiver<Option<SimCharger>>,
    jobs: mpsc::Sender<Job>,
    task: JoinHandle<()>,
    started_at: OffsetDateTime,
}

#[derive(Default)]
struct Slot {
    log: Option<Arc<FrameLog>>,
    last_error: Arc<Mutex<Option<String>>>,
    run: Option<Run>,
}

/// Every slot, by definition id.
#[derive(Default)]
pub(crate) struct Runtimes {
    slots: Mutex<HashMap<i64, Slot>>,
}

/// A snapshot of a runtime for the API.
pub(crate) struct Snapshot {
    pub state: RuntimeState,
    pub charger: Option<SimCharger>,
    pub started_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Runtimes {
    /// Starts a run for `spec` unless one is running; `false` when one was.
    pub(crate) fn start(&self, spec: RunSpec, log_capacity: usize) -> bool {
        let mut slots = lock(&self.slots);
        let slot = slots.entry(spec.definition_id).or_default();
        if slot.run.is_some() {
            return false;
        }
        let log = slot
            .log
            .get_or_insert_with(|| Arc::new(FrameLog::new(log_capacity)))
            .clone();
        let cancel = CancellationToken::new();
        let reason = Arc::new(Mutex::new(StopReason::Other));
        let (jobs, job_receiver) = mpsc::channel(JOB_QUEUE);
        let (charger_sender, charger) = watch::channel(None);
        let task = tokio::spawn(task::run(
            spec,
            log,
            Arc::clone(&slot.last_error),
            cancel.clone(),
            Arc::clone(&reason),
            job_receiver,
            charger_sender,
        ));
        slot.run = Some(Run {
            cancel,
            reason,
            charger,
            jobs,
            task,
            started_at: OffsetDateTime::now_utc(),
        });
        true
    }

    /// Stops the run of a definition (ending its transactions with `reason`) and waits for it.
    pub(crate) async fn stop(&self, definition_id: i64, reason: StopReason) {
        let run = lock(&self.slots)
            .get_mut(&definition_id)
            .and_then(|slot| slot.run.take());
        if let Some(run) = run {
            finish(run, reason).await;
        }
    }

    /// Stops every run and waits for them.
    pub(crate) async fn stop_all(&self, reason: StopReason) {
        let runs: Vec<Run> = lock(&self.slots)
            .values_mut()
            .filter_map(|slot| slot.run.take())
            .collect();
        let mut waiting = Vec::new();
        for run in runs {
            waiting.push(tokio::spawn(finish(run, reason)));
        }
        for handle in waiting {
            let _ = handle.await;
        }
    }

    /// Stops a run and forgets the slot and its log (the definition was deleted).
    pub(crate) async fn remove(&self, definition_id: i64) {
        let slot = lock(&self.slots).remove(&definition_id);
        if let Some(run) = slot.and_then(|slot| slot.run) {
            finish(run, StopReason::Other).await;
        }
    }

    pub(crate) fn snapshot(&self, definition_id: i64) -> Snapshot {
        let slots = lock(&self.slots);
        let Some(slot) = slots.get(&definition_id) else {
            return Snapshot {
                state: RuntimeState::Stopped,
                charger: None,
                started_at: None,
                last_error: None,
            };
        };
        let last_error = lock(&slot.last_error).clone();
        let Some(run) = &slot.run else {
            return Snapshot {
                state: RuntimeState::Stopped,
                charger: None,
                started_at: None,
                last_error,
            };
        };
        let charger = run.charger.borrow().clone();
        let state = match &charger {
            None => RuntimeState::Starting,
            Some(c) if c.is_connected() => RuntimeState::Running,
            Some(_) => RuntimeState::Reconnecting,
        };
        Snapshot {
            state,
            charger,
            started_at: Some(run.started_at),
            last_error,
        }
    }

    pub(crate) fn state(&self, definition_id: i64) -> RuntimeState {
        self.snapshot(definition_id).state
    }

    /// The frame log of a definition, if it ever ran since Voltgate started.
    pub(crate) fn log(&self, definition_id: i64) -> Option<Arc<FrameLog>> {
        lock(&self.slots)
            .get(&definition_id)
            .and_then(|slot| slot.log.clone())
    }

    /// Queues a job on a running definition; `Err` when it is not running or its queue is full.
    pub(crate) fn submit(&self, definition_id: i64, job: Job) -> Result<(), &'static str> {
        let slots = lock(&self.slots);
        let run = slots
            .get(&definition_id)
            .and_then(|slot| slot.run.as_ref())
            .ok_or("not running")?;
        run.jobs.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => "busy",
            mpsc::error::TrySendError::Closed(_) => "not running",
        })
    }
}

async fn finish(run: Run, reason: StopReason) {
    *lock(&run.reason) = reason;
    run.cancel.cancel();
    // A panicked run has nothing left to stop.
    let _ = run.task.await;
}
