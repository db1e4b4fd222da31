//! One run of a simulated charger: connect (retrying), serve commands in order, let the
//! autopilot play sessions, and wind down when stopped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use voltgate_sim::{Backoff, ChargerConfig, FrameLog, SimCharger, StopReason};

use super::commands::{self, Job};
use super::scenario::{self, Autopilot};

/// How long winding down may take per connector (a StopTransaction).
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything a run needs.
pub(crate) struct RunSpec {
    pub definition_id: i64,
    pub config: ChargerConfig,
    pub autopilot: Option<Autopilot>,
    pub book: Arc<super::CommandBook>,
}

pub(super) async fn run(
    spec: RunSpec,
    log: Arc<FrameLog>,
    last_error: Arc<Mutex<Option<String>>>,
    cancel: CancellationToken,
    reason: Arc<Mutex<StopReason>>,
    mut jobs: mpsc::Receiver<Job>,
    charger_cell: watch::Sender<Option<SimCharger>>,
) {
    let span = tracing::info_span!("simulated", charger.identity = %spec.config.identity);
    async move {
        let mut config = spec.config;
        config.frame_log = Some(log);
        let Some(charger) = connect(&config, &last_error, &cancel).await else {
            fail_jobs(&mut jobs, &spec.book);
            return;
        };
        tracing::info!("simulated charger connected");
        charger_cell.send_replace(Some(charger.clone()));
        let autopilot = spec.autopilot.map(|autopilot| {
            let stop = cancel.child_token();
            let handle = tokio::spawn(scenario::sessions(charger.clone(), autopilot, stop.clone()));
            (stop, handle)
        });
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                job = jobs.recv() => match job {
                    Some(job) => commands::execute(&charger, &spec.book, job).await,
                    None => break,
                },
            }
        }
        if let Some((stop, handle)) = autopilot {
            stop.cancel();
            let _ = handle.await;
        }
        fail_jobs(&mut jobs, &spec.book);
        let reason = *reason.lock().unwrap_or_else(|p| p.into_inner());
        for connector in 1..=charger.connector_count() {
            let running = charger
                .connector(connector)
                .is_some_and(|c| c.transaction_id.is_some());
            if running {
                let stop = charger.stop_session(connector, reason);
                if let Ok(Err(error)) = tokio::time::timeout(STOP_TIMEOUT, stop).await {
                    tracing::warn!(%error, connector, "could not stop the session");
                }
            }
        }
        charger.close().await;
        charger_cell.send_replace(None);
        tracing::info!("simulated charger stopped");
    }
    .instrument(span)
    .await;
}

/// Connects, retrying with back-off; `None` when stopped first.
async fn connect(
    config: &ChargerConfig,
    last_error: &Mutex<Option<String>>,
    cancel: &CancellationToken,
) -> Option<SimCharger> {
    let backoff = config.reconnect.unwrap_or_default();
    for attempt in 0u32.. {
        tokio::select! {
            _ = cancel.cancelled() => return None,
            result = SimCharger::connect(config.clone()) => match result {
                Ok(charger) => {
                    *last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    return Some(charger);
                }
                Err(error) => {
                    tracing::warn!(%error, attempt, "simulated charger cannot connect");
                    *last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
                }
            },
        }
        tokio::select! {
            _ = cancel.cancelled() => return None,
            _ = tokio::time::sleep(backoff.delay(attempt)) => {}
        }
    }
    None
}

fn fail_jobs(jobs: &mut mpsc::Receiver<Job>, book: &super::CommandBook) {
    jobs.close();
    while let Ok(job) = jobs.try_recv() {
        book.fail(job.id, "the runtime stopped before the command ran".into());
    }
}

/// The reconnection back-off of simulated chargers: 1 s doubling to 30 s, with jitter.
pub(crate) fn backoff() -> Backoff {
    Backoff {
        initial: Duration::from_secs(1),
        max: Duration::from_secs(30),
        multiplier: 2.0,
        jitter: 0.3,
    }
}
