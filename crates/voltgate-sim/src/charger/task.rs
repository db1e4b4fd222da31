//! The connection task of a [`SimCharger`](super::SimCharger): one task owns the socket.
//!
//! It loops on `select!` over cancellation, the next command from the handles (a CALL to send, a
//! transaction message, a reboot), the next frame from the central system and the heartbeat
//! timer, like mini-redis's connection handler. Commands are taken one at a time and each CALL is
//! awaited before the next, so there is never more than one outstanding CALL.
//!
//! When the connection drops it reconnects with back-off if configured (then reports every
//! connector's status), otherwise it fails every queued command and ends. Transaction messages
//! (StartTransaction, StopTransaction, MeterValues of a transaction) sent while off line are kept
//! in a bounded queue and delivered in order once connected again, before anything else (OCPP
//! 1.6, 4.7 and 4.10). A StartTransaction delivered late gives the transaction its real id; the
//! queued messages that name the local (negative) id are rewritten to it. A reboot closes the
//! socket with a Close frame, waits `reboot_delay`, connects and sends BootNotification again.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Shared;
use crate::backoff::Backoff;
use crate::clock::sleep_until;
use crate::config::ChargerConfig;
use crate::error::SimError;
use crate::messages;
use crate::peer::Peer;
use crate::startup;
use crate::transport::{self, Endpoint, Ws};

/// How many transaction messages wait while off line before new ones are refused.
const OFFLINE_QUEUE: usize = 1000;
/// How many local-to-assigned transaction ids are remembered for late messages.
const ASSIGNED_MEMORY: usize = 64;
/// How long closing waits for the server's Close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What became of a transaction message.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// Sent and answered: the CALLRESULT payload.
    Answered(Value),
    /// Off line: queued for delivery on reconnection.
    Queued,
}

/// A request from a handle to the task.
pub(super) enum Command {
    /// Send a CALL and report its answer.
    Call {
        action: String,
        payload: Value,
        reply: oneshot::Sender<Result<Value, SimError>>,
    },
    /// Send a transaction message, or queue it while off line.
    Transaction {
        action: &'static str,
        payload: Value,
        /// For a StartTransaction: the local id its transaction uses until the answer is known.
        local_id: Option<i32>,
        reply: oneshot::Sender<Result<Delivery, SimError>>,
    },
    /// Close the connection, connect again and boot.
    Reboot {
        reply: oneshot::Sender<Result<(), SimError>>,
    },
}

/// A transaction message waiting for the connection.
struct Queued {
    action: &'static str,
    payload: Value,
    local_id: Option<i32>,
}

/// Why [`Task::serve`] returned.
enum Ended {
    /// Closed on purpose: `close()` or every handle dropped.
    Closed,
    /// The connection dropped.
    Dropped(String),
    /// A reboot was asked for.
    Reboot(oneshot::Sender<Result<(), SimError>>),
}

pub(super) struct Task {
    peer: Peer,
    ws: Ws,
    config: ChargerConfig,
    shared: Arc<Shared>,
    commands: mpsc::Receiver<Command>,
    cancel: CancellationToken,
    last_sent: Instant,
    offline: VecDeque<Queued>,
    assigned: VecDeque<(i32, i32)>,
}

impl Task {
    pub(super) fn new(
        peer: Peer,
        ws: Ws,
        config: ChargerConfig,
        shared: Arc<Shared>,
        commands: mpsc::Receiver<Command>,
        cancel: CancellationToken,
    ) -> Self {
        Task {
            peer,
            ws,
            config,
            shared,
            commands,
            cancel,
            last_sent: Instant::now(),
            offline: VecDeque::new(),
            assigned: VecDeque::new(),
        }
    }

    pub(super) async fn run(mut self) {
        loop {
            let ended = self.serve().await;
            self.shared.connected.store(false, Ordering::Relaxed);
            let (backoff, boot, rebooted) = match ended {
                Ended::Dropped(reason) if !self.cancel.is_cancelled() => {
                    tracing::warn!(%reason, "connection dropped");
                    let Some(backoff) = self.config.reconnect else {
                        break;
                    };
                    (backoff, false, None)
                }
                Ended::Reboot(reply) => {
                    tracing::info!("rebooting");
                    // Best effort: the server may already be gone.
                    let _ = self.ws.close(None).await;
                    tokio::select! {
                        _ = self.cancel.cancelled() => break,
                        _ = tokio::time::sleep(self.config.reboot_delay) => {}
                    }
                    let backoff = self.config.reconnect.unwrap_or_default();
                    (backoff, true, Some(reply))
                }
                Ended::Closed | Ended::Dropped(_) => {
                    self.close_handshake().await;
                    break;
                }
            };
            let reconnected = self.reconnect(backoff, boot, rebooted.is_some()).await;
            if let Some(reply) = rebooted {
                let result = match &reconnected {
                    Some(_) => Ok(()),
                    None => Err(SimError::Disconnected("closed while rebooting".into())),
                };
                let _ = reply.send(result);
            }
            match reconnected {
                Some(ws) => {
                    self.ws = ws;
                    self.last_sent = Instant::now();
                    self.shared.connected.store(true, Ordering::Relaxed);
                    self.shared.reconnections.fetch_add(1, Ordering::Relaxed);
                    tracing::info!("reconnected");
                }
                None => break,
            }
        }
        self.fail_queued().await;
    }

    async fn serve(&mut self) -> Ended {
        loop {
            let heartbeat_at = self
                .heartbeat_interval()
                .map(|every| self.last_sent + every);
            tokio::select! {
                _ = self.cancel.cancelled() => return Ended::Closed,
                command = self.commands.recv() => {
                    let Some(command) = command else {
                        return Ended::Closed;
                    };
                    if let Some(ended) = self.execute(command).await {
                        return ended;
                    }
                }
                message = self.ws.next() => {
                    let handled = match message {
                        None => Err(SimError::Disconnected("connection closed".into())),
                        Some(Err(e)) => Err(SimError::Disconnected(e.to_string())),
                        Some(Ok(message)) => self.peer.handle_message(&mut self.ws, message).await,
                    };
                    if let Err(error) = handled {
                        return Ended::Dropped(error.to_string());
                    }
                }
                _ = sleep_until(heartbeat_at) => {
                    match self.call("Heartbeat", json!({})).await {
                        Ok(_) => {}
                        Err(SimError::Disconnected(reason)) => return Ended::Dropped(reason),
                        Err(error) => tracing::warn!(%error, "heartbeat failed"),
                    }
                }
            }
        }
    }

    /// Carries out one command while connected; `Some` when the connection must end.
    async fn execute(&mut self, command: Command) -> Option<Ended> {
        match command {
            Command::Call {
                action,
                payload,
                reply,
            } => {
                let result = self.call(&action, payload).await;
                let dropped = match &result {
                    Err(SimError::Disconnected(reason)) => Some(reason.clone()),
                    _ => None,
                };
                // The caller may have given up waiting; that is not an error here.
                let _ = reply.send(result);
                dropped.map(Ended::Dropped)
            }
            Command::Transaction {
                action,
                mut payload,
                local_id,
                reply,
            } => {
                self.rename(&mut payload);
                let result = self.call(action, payload.clone()).await;
                match result {
                    Err(SimError::Disconnected(reason)) if self.config.reconnect.is_some() => {
                        // It may or may not have arrived: deliver it again once back (a central
                        // system recognises a repeated start or stop).
                        let queued = Queued {
                            action,
                            payload,
                            local_id,
                        };
                        let _ = reply.send(self.enqueue(queued));
                        Some(Ended::Dropped(reason))
                    }
                    Err(SimError::Disconnected(reason)) => {
                        let _ = reply.send(Err(SimError::Disconnected(reason.clone())));
                        Some(Ended::Dropped(reason))
                    }
                    other => {
                        let _ = reply.send(other.map(Delivery::Answered));
                        None
                    }
                }
            }
            Command::Reboot { reply } => Some(Ended::Reboot(reply)),
        }
    }

    /// One CALL, abandoned if the charger is closed meanwhile.
    async fn call(&mut self, action: &str, payload: Value) -> Result<Value, SimError> {
        self.last_sent = Instant::now();
        tokio::select! {
            result = self.peer.call(&mut self.ws, action, payload) => result,
            _ = self.cancel.cancelled() => Err(SimError::Disconnected("the charger is closing".into())),
        }
    }

    /// The heartbeat interval: the configured override, else the `HeartbeatInterval` key.
    fn heartbeat_interval(&self) -> Option<Duration> {
        if let Some(every) = self.config.heartbeat_interval {
            return Some(every);
        }
        let seconds = self.shared.configuration().integer("HeartbeatInterval")?;
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    fn enqueue(&mut self, queued: Queued) -> Result<Delivery, SimError> {
        if self.offline.len() >= OFFLINE_QUEUE {
            return Err(SimError::Disconnected(format!(
                "off line with {OFFLINE_QUEUE} transaction messages queued already"
            )));
        }
        self.offline.push_back(queued);
        Ok(Delivery::Queued)
    }

    /// Replaces a local transaction id by the one the central system assigned.
    fn rename(&self, payload: &mut Value) {
        let Some(id) = payload
            .get("transactionId")
            .and_then(Value::as_i64)
            .and_then(|id| i32::try_from(id).ok())
        else {
            return;
        };
        if let Some((_, assigned)) = self.assigned.iter().find(|(local, _)| *local == id) {
            payload["transactionId"] = (*assigned).into();
        }
    }

    /// Waits and retries until connected again; `None` when closed meanwhile. The first attempt
    /// of a reboot is immediate.
    async fn reconnect(&mut self, backoff: Backoff, mut boot: bool, reboot: bool) -> Option<Ws> {
        for attempt in 0u32.. {
            let delay = if reboot && attempt == 0 {
                Duration::ZERO
            } else {
                backoff.delay(attempt)
            };
            let deadline = Instant::now() + delay;
            loop {
                tokio::select! {
                    _ = self.cancel.cancelled() => return None,
                    command = self.commands.recv() => match command {
                        None => return None,
                        Some(Command::Call { reply, .. }) => {
                            let _ = reply.send(Err(SimError::Disconnected("reconnecting".into())));
                        }
                        Some(Command::Transaction { action, payload, local_id, reply }) => {
                            let _ = reply.send(self.enqueue(Queued { action, payload, local_id }));
                        }
                        Some(Command::Reboot { reply }) => {
                            // Off line already: the next connection boots.
                            boot = true;
                            let _ = reply.send(Ok(()));
                        }
                    },
                    _ = tokio::time::sleep_until(deadline) => break,
                }
            }
            match self.resume(boot).await {
                Ok(ws) => return Some(ws),
                Err(error) => tracing::warn!(%error, attempt, "reconnection failed"),
            }
        }
        None
    }

    /// Opens a new socket, boots if asked, reports every connector's status and delivers the
    /// queued transaction messages in order.
    async fn resume(&mut self, boot: bool) -> Result<Ws, SimError> {
        let endpoint = Endpoint::resolve(&self.config.url).await?;
        let mut ws = transport::open(
            &endpoint,
            &self.config.identity,
            self.config.password.as_deref(),
            self.config.source_address,
            self.config.call_timeout,
        )
        .await?;
        if boot {
            let answer =
                startup::boot(&mut self.peer, &mut ws, &self.config.boot_notification()).await?;
            if answer.interval > 0 && self.config.heartbeat_interval.is_none() {
                let configuration = self.peer.configuration();
                let mut configuration = configuration.lock().unwrap_or_else(|p| p.into_inner());
                configuration.set_local("HeartbeatInterval", &answer.interval.to_string());
            }
            *self.shared.boot.lock().unwrap_or_else(|p| p.into_inner()) = answer;
            self.shared.boots.fetch_add(1, Ordering::Relaxed);
        }
        for (connector, status, error_code) in self.shared.statuses() {
            let payload = messages::status_notification(connector, status, error_code);
            self.peer
                .call(&mut ws, "StatusNotification", payload)
                .await?;
        }
        while let Some(queued) = self.offline.front_mut() {
            let action = queued.action;
            let local_id = queued.local_id;
            let mut payload = queued.payload.clone();
            self.rename(&mut payload);
            match self.peer.call(&mut ws, action, payload).await {
                Ok(answer) => {
                    let assigned = answer
                        .get("transactionId")
                        .and_then(Value::as_i64)
                        .and_then(|id| i32::try_from(id).ok());
                    if let (Some(local), Some(assigned)) = (local_id, assigned) {
                        self.remember(local, assigned);
                        self.shared.station().assign_transaction(local, assigned);
                        tracing::info!(local, assigned, "queued transaction got its id");
                    }
                }
                Err(error @ SimError::Disconnected(_)) => return Err(error),
                Err(error) => tracing::warn!(%error, action, "a queued transaction message failed"),
            }
            self.offline.pop_front();
        }
        Ok(ws)
    }

    /// Sends a Close frame and waits (briefly) for the server's, so the server has seen the
    /// charger leave when `close()` returns.
    async fn close_handshake(&mut self) {
        // Best effort: the server may already be gone.
        if self.ws.close(None).await.is_err() {
            return;
        }
        let drained = async { while let Some(Ok(_)) = self.ws.next().await {} };
        let _ = tokio::time::timeout(CLOSE_WAIT, drained).await;
    }

    fn remember(&mut self, local: i32, assigned: i32) {
        if self.assigned.len() == ASSIGNED_MEMORY {
            self.assigned.pop_front();
        }
        self.assigned.push_back((local, assigned));
    }

    async fn fail_queued(&mut self) {
        self.commands.close();
        let closed = || SimError::Disconnected("the charger is closed".into());
        while let Some(command) = self.commands.recv().await {
            match command {
                Command::Call { reply, .. } => {
                    let _ = reply.send(Err(closed()));
                }
                Command::Transaction { reply, .. } => {
                    let _ = reply.send(Err(closed()));
                }
                Command::Reboot { reply } => {
                    let _ = reply.send(Err(closed()));
                }
            }
        }
    }
}
