//! The connection task of a [`SimCharger`](super::SimCharger): one task owns the socket.
//!
//! It loops on `select!` over cancellation, the next command from the handles (a CALL to send),
//! the next frame from the central system and the heartbeat timer, like mini-redis's connection
//! handler. Commands are taken one at a time and each CALL is awaited before the next, so there is
//! never more than one outstanding CALL. When the connection drops it reconnects with back-off if
//! configured (sending a StatusNotification per connector once back), otherwise it fails every
//! queued command and ends.

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
use crate::transport::{self, Endpoint, Ws};

/// A request from a handle to the task.
pub(super) enum Command {
    /// Send a CALL and report its answer.
    Call {
        action: String,
        payload: Value,
        reply: oneshot::Sender<Result<Value, SimError>>,
    },
}

/// Why [`Task::serve`] returned.
enum Ended {
    /// Closed on purpose: `close()` or every handle dropped.
    Closed,
    /// The connection dropped.
    Dropped(String),
}

pub(super) struct Task {
    pub(super) peer: Peer,
    pub(super) ws: Ws,
    pub(super) config: ChargerConfig,
    pub(super) shared: Arc<Shared>,
    pub(super) commands: mpsc::Receiver<Command>,
    pub(super) cancel: CancellationToken,
    pub(super) last_sent: Instant,
}

impl Task {
    pub(super) async fn run(mut self) {
        loop {
            let ended = self.serve().await;
            self.shared.connected.store(false, Ordering::Relaxed);
            let reason = match ended {
                Ended::Dropped(reason) if !self.cancel.is_cancelled() => reason,
                _ => {
                    // Best effort: the server may already be gone.
                    let _ = self.ws.close(None).await;
                    break;
                }
            };
            tracing::warn!(%reason, "connection dropped");
            let Some(backoff) = self.config.reconnect else {
                break;
            };
            match self.reconnect(backoff).await {
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
                    let Some(Command::Call { action, payload, reply }) = command else {
                        return Ended::Closed;
                    };
                    let result = self.call(&action, payload).await;
                    let dropped = match &result {
                        Err(SimError::Disconnected(reason)) => Some(reason.clone()),
                        _ => None,
                    };
                    // The caller may have given up waiting; that is not an error here.
                    let _ = reply.send(result);
                    if let Some(reason) = dropped {
                        return Ended::Dropped(reason);
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

    /// Waits and retries until connected again; `None` when closed meanwhile.
    async fn reconnect(&mut self, backoff: Backoff) -> Option<Ws> {
        for attempt in 0u32.. {
            let deadline = Instant::now() + backoff.delay(attempt);
            loop {
                tokio::select! {
                    _ = self.cancel.cancelled() => return None,
                    command = self.commands.recv() => match command {
                        None => return None,
                        Some(Command::Call { reply, .. }) => {
                            let _ = reply.send(Err(SimError::Disconnected("reconnecting".into())));
                        }
                    },
                    _ = tokio::time::sleep_until(deadline) => break,
                }
            }
            match self.resume().await {
                Ok(ws) => return Some(ws),
                Err(error) => tracing::warn!(%error, attempt, "reconnection failed"),
            }
        }
        None
    }

    /// Opens a new socket and reports every connector's current status on it.
    async fn resume(&mut self) -> Result<Ws, SimError> {
        let endpoint = Endpoint::resolve(&self.config.url).await?;
        let mut ws = transport::open(
            &endpoint,
            &self.config.identity,
            self.config.password.as_deref(),
            self.config.source_address,
            self.config.call_timeout,
        )
        .await?;
        for (connector, status, error_code) in self.shared.statuses() {
            let payload = messages::status_notification(connector, status, error_code);
            self.peer
                .call(&mut ws, "StatusNotification", payload)
                .await?;
        }
        Ok(ws)
    }

    async fn fail_queued(&mut self) {
        self.commands.close();
        while let Some(Command::Call { reply, .. }) = self.commands.recv().await {
            let _ = reply.send(Err(SimError::Disconnected("the charger is closed".into())));
        }
    }
}
