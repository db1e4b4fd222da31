//! The charger side of an OCPP-J connection: sending CALLs and matching their answers, and
//! answering the central system's CALLs.
//!
//! A [`Peer`] outlives any one socket (it keeps the message-id counter, configuration, handler
//! and log across reconnections) and works on a WebSocket passed in by its driver: the
//! [`SimCharger`](crate::SimCharger) task or a load-run charger. [`Peer::call`] keeps the OCPP-J
//! rule of one outstanding CALL per direction by construction: it returns only when the answer
//! (or the timeout) comes, and it answers the central system's CALLs while it waits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::configuration::Configuration;
use crate::error::SimError;
use crate::frame::{CallErrorInfo, Frame};
use crate::handler::{CsmsHandler, HandlerContext};
use crate::log::{Direction, FrameLog};
use crate::station::{Effect, Station};

/// The answer to one of our CALLs.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The message id it answers.
    pub id: String,
    /// The CALLRESULT payload or the CALLERROR.
    pub outcome: Result<Value, CallErrorInfo>,
}

/// Told about every CALL a peer makes (the load runner's statistics).
pub(crate) trait CallObserver: Send + Sync {
    /// A CALL was sent; the returned token is passed back to `finished`.
    fn sent(&self) -> usize;
    /// The CALL sent with `token` finished after `elapsed`, with `result`.
    fn finished(&self, token: usize, elapsed: Duration, result: &Result<Value, SimError>);
}

/// Protocol state of one simulated charger, independent of the socket.
pub(crate) struct Peer {
    identity: Arc<str>,
    connectors: u32,
    handler: Arc<dyn CsmsHandler>,
    configuration: Arc<Mutex<Configuration>>,
    log: Option<Arc<FrameLog>>,
    next_id: u32,
    call_timeout: Duration,
    observer: Option<Arc<dyn CallObserver>>,
    /// The charger's physical model and where the effects of CSMS calls go (SimCharger only).
    station: Option<(Arc<Mutex<Station>>, tokio::sync::mpsc::Sender<Effect>)>,
}

impl Peer {
    pub(crate) fn new(
        identity: Arc<str>,
        connectors: u32,
        handler: Arc<dyn CsmsHandler>,
        configuration: Configuration,
        log: Option<Arc<FrameLog>>,
        call_timeout: Duration,
    ) -> Self {
        Peer {
            identity,
            connectors,
            handler,
            configuration: Arc::new(Mutex::new(configuration)),
            log,
            next_id: 0,
            call_timeout,
            observer: None,
            station: None,
        }
    }

    /// Answers with `station` as the charger's model and sends the effects of CSMS calls to
    /// `effects` once each answer is sent.
    pub(crate) fn with_station(
        mut self,
        station: Arc<Mutex<Station>>,
        effects: tokio::sync::mpsc::Sender<Effect>,
    ) -> Self {
        self.station = Some((station, effects));
        self
    }

    /// Reports every CALL to `observer`.
    pub(crate) fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The configuration, shared with whoever wants to read it while the peer runs.
    pub(crate) fn configuration(&self) -> Arc<Mutex<Configuration>> {
        Arc::clone(&self.configuration)
    }

    /// Sends a CALL and waits for its answer, answering the central system meanwhile. The
    /// payload is any JSON object: a `Value`, or a typed request the load generator serialises
    /// straight into the frame.
    pub(crate) async fn call<S, P>(
        &mut self,
        ws: &mut WebSocketStream<S>,
        action: &str,
        payload: P,
    ) -> Result<Value, SimError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        P: Serialize,
    {
        let Some(observer) = self.observer.clone() else {
            return self.call_unobserved(ws, action, payload).await;
        };
        let start = Instant::now();
        let token = observer.sent();
        let result = self.call_unobserved(ws, action, payload).await;
        observer.finished(token, start.elapsed(), &result);
        result
    }

    async fn call_unobserved<S, P>(
        &mut self,
        ws: &mut WebSocketStream<S>,
        action: &str,
        payload: P,
    ) -> Result<Value, SimError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        P: Serialize,
    {
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id.to_string();
        self.send(ws, Frame::call_text(&id, action, &payload))
            .await?;
        let deadline = Instant::now() + self.call_timeout;
        loop {
            let message = match tokio::time::timeout_at(deadline, ws.next()).await {
                Err(_) => {
                    return Err(SimError::Timeout {
                        action: action.to_owned(),
                        timeout: self.call_timeout,
                    })
                }
                Ok(None) => return Err(SimError::Disconnected("connection closed".into())),
                Ok(Some(Err(e))) => return Err(SimError::Disconnected(e.to_string())),
                Ok(Some(Ok(message))) => message,
            };
            match self.handle_message(ws, message).await? {
                Some(answer) if answer.id == id => {
                    return answer.outcome.map_err(|error| SimError::CallError {
                        action: action.to_owned(),
                        error: Box::new(error),
                    });
                }
                Some(stale) => tracing::debug!(
                    charger.identity = %self.identity,
                    message.id = %stale.id,
                    "ignoring an answer to an earlier call"
                ),
                None => {}
            }
        }
    }

    /// Handles one received WebSocket message: answers a CALL, returns the answer to one of ours.
    pub(crate) async fn handle_message<S>(
        &mut self,
        ws: &mut WebSocketStream<S>,
        message: Message,
    ) -> Result<Option<Answer>, SimError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(frame) => {
                let reason = frame.map(|f| f.to_string()).unwrap_or_default();
                return Err(SimError::Disconnected(format!(
                    "closed by the server {reason}"
                )));
            }
            Message::Binary(_) => {
                tracing::warn!(charger.identity = %self.identity, "ignoring a binary message");
                return Ok(None);
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(None),
        };
        self.record(Direction::CsmsToCp, &text);
        match Frame::parse(&text) {
            Ok(Frame::Call {
                id,
                action,
                payload,
            }) => {
                let (outcome, effects) = self.answer(&action, &payload);
                let reply = match outcome {
                    Ok(payload) => Frame::CallResult { id, payload },
                    Err(error) => Frame::CallError { id, error },
                };
                self.send(ws, reply.to_text()).await?;
                if let Some((_, sender)) = &self.station {
                    for effect in effects {
                        if sender.try_send(effect).is_err() {
                            tracing::warn!(charger.identity = %self.identity, action, "too many pending effects; one was dropped");
                        }
                    }
                }
                Ok(None)
            }
            Ok(Frame::CallResult { id, payload }) => Ok(Some(Answer {
                id,
                outcome: Ok(payload),
            })),
            Ok(Frame::CallError { id, error }) => Ok(Some(Answer {
                id,
                outcome: Err(error),
            })),
            Err(error) => {
                tracing::warn!(charger.identity = %self.identity, %error, "malformed frame");
                if let (Some(id), true) = (error.id, error.is_call) {
                    let error = CallErrorInfo::new("FormationViolation", error.reason);
                    self.send(ws, Frame::CallError { id, error }.to_text())
                        .await?;
                }
                Ok(None)
            }
        }
    }

    fn answer(&self, action: &str, payload: &Value) -> (Result<Value, CallErrorInfo>, Vec<Effect>) {
        let mut configuration = self
            .configuration
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut station = self.station.as_ref().map(|(station, _)| {
            station
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        });
        let mut effects = Vec::new();
        let mut ctx = HandlerContext {
            identity: &self.identity,
            connectors: self.connectors,
            configuration: &mut configuration,
            station: station.as_deref_mut(),
            effects: &mut effects,
        };
        let outcome = self.handler.handle(&mut ctx, action, payload);
        (outcome, effects)
    }

    async fn send<S>(&self, ws: &mut WebSocketStream<S>, text: String) -> Result<(), SimError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        self.record(Direction::CpToCsms, &text);
        ws.send(Message::text(text))
            .await
            .map_err(|e| SimError::Disconnected(e.to_string()))
    }

    fn record(&self, direction: Direction, text: &str) {
        if let Some(log) = &self.log {
            log.record(direction, text);
        }
    }
}
