//! One charger connection: a task looping over the next frame, the next CSMS-initiated call,
//! the ping timer, the deadline of the call in flight, and shutdown (mini-redis's `Handler`).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use voltgate_core::model::{Charger, LogEntry};
use voltgate_core::types::Direction as LogDirection;
use voltgate_ocpp::{
    check_action, parse_call_text, parse_frame, v16, Call, CallError, CallResult, Direction,
    ErrorCode, Frame, FrameError, MessageId, OcppVersion, PayloadKind,
};

use crate::registry::{CallFailure, ConnHandle, OutboundCall};
use crate::v16::Incoming;
use crate::Gateway;

/// What a charger's call is answered with.
pub(crate) type Reply = Result<Value, CallError>;
pub(crate) type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// Facts about the connection that handlers need.
#[derive(Debug)]
pub(crate) struct ConnCtx {
    pub charger_id: i64,
    pub identity: String,
    pub version: OcppVersion,
    /// The charger must be held in Pending until Voltgate has provisioned it.
    pub boot_policy_pending: bool,
    /// Whether the charger may send requests other than BootNotification (registration accepted).
    pub accepted: std::sync::atomic::AtomicBool,
    /// Whether the charger's registration is recorded as accepted (kept to avoid a lookup per boot).
    pub registered: std::sync::atomic::AtomicBool,
    /// Signalled each time a BootNotification answer has been sent.
    pub boot_answered: tokio::sync::Notify,
}

/// Close codes of RFC 6455 used here.
mod close {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const POLICY_VIOLATION: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
}

struct InFlight {
    id: MessageId,
    action: v16::Action,
    future: ReplyFuture,
}

struct Pending {
    id: String,
    action: String,
    deadline: Instant,
    reply: oneshot::Sender<Result<Value, CallFailure>>,
}

struct Session {
    gw: Gateway,
    ctx: Arc<ConnCtx>,
    socket: WebSocket,
    backlog: VecDeque<(MessageId, v16::Action, Incoming)>,
    in_flight: Option<InFlight>,
    pending: Option<Pending>,
    last_received: Instant,
    next_message_id: u64,
    /// Start of the current one-second rate window and the frames seen in it.
    window: (Instant, u32),
}

pub(crate) async fn run(gw: Gateway, charger: Charger, version: OcppVersion, socket: WebSocket) {
    let span = tracing::info_span!("charger", charger.identity = %charger.identity);
    run_inner(gw, charger, version, socket)
        .instrument(span)
        .await
}

async fn run_inner(gw: Gateway, charger: Charger, version: OcppVersion, socket: WebSocket) {
    let inner = gw.inner.clone();
    let conn_id = inner.registry.next_conn_id();
    let cancel = inner.shutdown.child_token();
    let (calls_tx, calls_rx) = mpsc::channel(inner.config.outbound_queue);
    inner.registry.register(
        &charger.identity,
        ConnHandle {
            conn_id,
            calls: calls_tx,
            cancel: cancel.clone(),
        },
    );
    inner
        .metrics
        .connected_chargers
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    inner
        .metrics
        .connections_total
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Err(e) = inner
        .service
        .connected(charger.id, version.subprotocol())
        .await
    {
        tracing::error!(error = %e, "could not record the connection");
    }
    tracing::info!(ocpp.version = version.subprotocol(), "charger connected");

    let policy_pending = match charger.boot_policy.as_deref() {
        Some(p) => p == "pending",
        None => inner.config.default_boot_pending,
    };
    let registered = charger.registration_status.as_deref() == Some("accepted");
    let ctx = Arc::new(ConnCtx {
        charger_id: charger.id,
        identity: charger.identity.clone(),
        version,
        boot_policy_pending: policy_pending,
        // Registration is persisted: after a restart an accepted charger carries on without a boot.
        accepted: std::sync::atomic::AtomicBool::new(!policy_pending || registered),
        registered: std::sync::atomic::AtomicBool::new(registered),
        boot_answered: tokio::sync::Notify::new(),
    });
    let mut session = Session {
        gw: gw.clone(),
        ctx,
        socket,
        backlog: VecDeque::new(),
        in_flight: None,
        pending: None,
        last_received: Instant::now(),
        next_message_id: 0,
        window: (Instant::now(), 0),
    };
    let reason = session.run(calls_rx, cancel).await;
    session.fail_pending(CallFailure::ConnectionClosed);

    inner
        .metrics
        .connected_chargers
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    if inner.registry.remove_if_current(&charger.identity, conn_id) {
        if let Err(e) = inner.service.disconnected(charger.id).await {
            tracing::error!(error = %e, "could not record the disconnection");
        }
    }
    tracing::info!(reason, "charger disconnected");
}

impl Session {
    async fn run(
        &mut self,
        mut calls: mpsc::Receiver<Box<OutboundCall>>,
        cancel: CancellationToken,
    ) -> &'static str {
        let cfg = self.gw.inner.config.clone();
        let mut ping =
            tokio::time::interval_at(Instant::now() + cfg.ping_interval, cfg.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if self.in_flight.is_none() {
                self.start_next();
            }
            let can_read = self.backlog.len() < cfg.inbound_backlog;
            let can_send = self.pending.is_none();
            let deadline = self.pending.as_ref().map(|p| p.deadline);
            tokio::select! {
                _ = cancel.cancelled() => {
                    let replaced = !self.gw.inner.shutdown.is_cancelled();
                    let (code, text) = if replaced {
                        (close::NORMAL, "closed by the central system: replaced by a newer connection or removed")
                    } else {
                        (close::GOING_AWAY, "central system shutting down")
                    };
                    self.close(code, text).await;
                    return if replaced { "replaced by a newer connection" } else { "server shutdown" };
                }
                msg = self.socket.recv(), if can_read => {
                    match msg {
                        None => return "connection closed",
                        Some(Ok(msg)) => {
                            self.last_received = Instant::now();
                            if self.counts_toward_flood(&msg) && self.flooding(cfg.max_messages_per_second) {
                                tracing::warn!(security_event = "message_flood", limit = cfg.max_messages_per_second, "closing the connection: the charger sends more messages per second than allowed");
                                self.close(close::POLICY_VIOLATION, "message rate limit exceeded").await;
                                return "message flood";
                            }
                            if let Some(reason) = self.on_message(msg).await {
                                return reason;
                            }
                        }
                        Some(Err(e)) => return self.on_socket_error(e).await,
                    }
                }
                reply = poll_in_flight(&mut self.in_flight) => {
                    let Some(done) = self.in_flight.take() else { continue };
                    self.send_reply(done.id, done.action, reply).await;
                }
                Some(call) = calls.recv(), if can_send => self.send_call(*call).await,
                _ = sleep_until_opt(deadline) => {
                    if let Some(p) = self.pending.take() {
                        tracing::warn!(action = %p.action, message_id = %p.id, "the charger did not answer in time");
                        let _ = p.reply.send(Err(CallFailure::Timeout));
                    }
                }
                _ = ping.tick() => {
                    if self.last_received.elapsed() > cfg.idle_timeout {
                        self.close(close::GOING_AWAY, "no message or pong within the idle timeout").await;
                        return "dead peer: nothing received within the idle timeout";
                    }
                    if self.socket.send(Message::Ping(Default::default())).await.is_err() {
                        return "ping failed";
                    }
                }
            }
        }
    }

    /// Frames the charger chooses to send count toward the flood limit; answers to our own
    /// pending call do not (their rate is ours).
    fn counts_toward_flood(&self, msg: &Message) -> bool {
        match msg {
            Message::Binary(_) => true,
            Message::Text(text) => match &self.pending {
                Some(p) => {
                    let t = text.as_str().trim_start();
                    let is_answer =
                        (t.starts_with("[3") || t.starts_with("[4")) && t.contains(p.id.as_str());
                    !is_answer
                }
                None => true,
            },
            _ => false,
        }
    }

    /// Counts a frame; true when the charger exceeded `limit` frames in the current second.
    fn flooding(&mut self, limit: u32) -> bool {
        let now = Instant::now();
        if now.duration_since(self.window.0) >= Duration::from_secs(1) {
            self.window = (now, 0);
        }
        self.window.1 += 1;
        self.window.1 > limit
    }

    fn start_next(&mut self) {
        if let Some((id, action, payload)) = self.backlog.pop_front() {
            let future = crate::v16::dispatch(self.gw.clone(), self.ctx.clone(), action, payload);
            self.in_flight = Some(InFlight { id, action, future });
        }
    }

    /// Handles one WebSocket message; returns a reason when the session must end.
    async fn on_message(&mut self, msg: Message) -> Option<&'static str> {
        match msg {
            Message::Text(text) => self.on_text(text).await,
            Message::Binary(_) => {
                self.log(
                    LogDirection::ChargerToCsms,
                    0,
                    None,
                    None,
                    "<binary frame>".into(),
                )
                .await;
                let err = voltgate_ocpp::binary_frame_error(self.ctx.version);
                self.count("<binary>", "callerror");
                self.send_error(err).await;
            }
            Message::Close(_) => return Some("the charger closed the connection"),
            Message::Ping(_) | Message::Pong(_) => {}
        }
        None
    }

    async fn on_text(&mut self, text: Utf8Bytes) {
        let version = self.ctx.version;
        // Most messages are well-formed calls: their payload is decoded later, straight from
        // the text into its type. Anything else is parsed into a JSON tree first.
        let (id, action, payload) = match parse_call_text(version, text.as_str()) {
            Some(call) => {
                let payload = Incoming::Text(text.as_str()[call.payload.clone()].into());
                (call.id, call.action.into_owned(), payload)
            }
            None => match parse_frame(version, text.as_str()) {
                Ok(Frame::Call(call)) => (call.id, call.action, Incoming::Parsed(call.payload)),
                other => return self.on_other_frame(other, text).await,
            },
        };
        // One place awaits the log and the call for both paths (each await site of a nested
        // future takes room in every session's task).
        self.log(
            LogDirection::ChargerToCsms,
            2,
            Some(action.clone()),
            Some(id.as_str().to_owned()),
            text.to_string(),
        )
        .await;
        self.on_call(id, action, payload).await;
    }

    /// A frame that is not a well-formed call: a malformed one, a result or an error.
    async fn on_other_frame(&mut self, frame: Result<Frame, FrameError>, text: Utf8Bytes) {
        let version = self.ctx.version;
        match frame {
            Err(FrameError::Reply(err)) => {
                self.log(LogDirection::ChargerToCsms, 0, None, None, text.to_string())
                    .await;
                tracing::info!(code = err.code.as_str(version), description = %err.description, "malformed message from the charger");
                self.count("<malformed>", "callerror");
                self.send_error(err).await;
            }
            Err(FrameError::Ignore { reason }) => {
                self.log(LogDirection::ChargerToCsms, 0, None, None, text.to_string())
                    .await;
                tracing::info!(%reason, "ignored a message from the charger");
                self.count("<malformed>", "ignored");
            }
            // `on_text` handles calls and passes everything else here.
            Ok(Frame::Call(_)) => {}
            Ok(Frame::CallResult(result)) => {
                self.on_result(result.id.as_str(), Ok(result.payload), text.to_string(), 3)
                    .await
            }
            Ok(Frame::CallError(err)) => {
                let failure = CallFailure::CallError {
                    code: err.code.as_str(version).to_owned(),
                    description: err.description.clone(),
                };
                self.on_result(&err.id.clone(), Err(failure), text.to_string(), 4)
                    .await
            }
        }
    }

    async fn on_call(&mut self, id: MessageId, action_name: String, payload: Incoming) {
        let duplicate = self.in_flight.as_ref().is_some_and(|f| f.id == id)
            || self.backlog.iter().any(|(queued, _, _)| *queued == id);
        if duplicate {
            self.count(&action_name, "callerror");
            let err = CallError::new(
                id.as_str(),
                ErrorCode::ProtocolError,
                "a call with this message id is already being handled",
            );
            self.send_error(err).await;
            return;
        }
        match check_action(
            self.ctx.version,
            &id,
            &action_name,
            Direction::ChargerToCsms,
        ) {
            Ok(action)
                if action != v16::Action::BootNotification
                    && !self.ctx.accepted.load(std::sync::atomic::Ordering::Acquire) =>
            {
                // OCPP 1.6 §4.2: until accepted, a charge point sends nothing but BootNotification.
                self.count(&action_name, "callerror");
                let err = CallError::new(
                    id.as_str(),
                    ErrorCode::SecurityError,
                    "the charge point is not accepted yet (registration pending); send BootNotification first",
                );
                self.send_error(err).await;
            }
            Ok(action) => self.backlog.push_back((id, action, payload)),
            Err(err) => {
                self.count(&action_name, "callerror");
                self.send_error(err).await;
            }
        }
    }

    async fn on_result(
        &mut self,
        id: &str,
        result: Result<Value, CallFailure>,
        text: String,
        kind: i16,
    ) {
        let matches = self.pending.as_ref().is_some_and(|p| p.id == id);
        let action = if matches {
            self.pending.as_ref().map(|p| p.action.clone())
        } else {
            None
        };
        self.log(
            LogDirection::ChargerToCsms,
            kind,
            action.clone(),
            Some(id.to_owned()),
            text,
        )
        .await;
        if !matches {
            tracing::info!(
                message_id = id,
                "ignored an answer to no pending call (unknown or late id)"
            );
            self.count("<result>", "ignored");
            return;
        }
        let Some(p) = self.pending.take() else { return };
        let result = match result {
            Ok(payload) => match v16::Action::from_name(&p.action) {
                Some(a) => {
                    voltgate_ocpp::validate(self.ctx.version, a, PayloadKind::Response, &payload)
                        .map(|_| payload)
                        .map_err(|v| CallFailure::InvalidResponse(v.description))
                }
                None => Ok(payload),
            },
            Err(e) => Err(e),
        };
        let _ = p.reply.send(result);
    }

    async fn send_call(&mut self, call: OutboundCall) {
        if Instant::now() >= call.deadline {
            let _ = call.reply.send(Err(CallFailure::Timeout));
            return;
        }
        if let Some(a) = v16::Action::from_name(&call.action) {
            if let Err(v) =
                voltgate_ocpp::validate(self.ctx.version, a, PayloadKind::Request, &call.payload)
            {
                let _ = call
                    .reply
                    .send(Err(CallFailure::InvalidRequest(v.description)));
                return;
            }
        }
        self.next_message_id += 1;
        let id = format!("vg-{}", self.next_message_id);
        let Ok(message_id) = MessageId::parse(&id) else {
            return;
        };
        let text = Frame::Call(Call::new(message_id, call.action.clone(), call.payload))
            .to_text(self.ctx.version);
        self.log(
            LogDirection::CsmsToCharger,
            2,
            Some(call.action.clone()),
            Some(id.clone()),
            text.clone(),
        )
        .await;
        if self.socket.send(Message::Text(text.into())).await.is_err() {
            let _ = call.reply.send(Err(CallFailure::ConnectionClosed));
            return;
        }
        self.pending = Some(Pending {
            id,
            action: call.action,
            deadline: call.deadline,
            reply: call.reply,
        });
    }

    async fn send_reply(&mut self, id: MessageId, action: v16::Action, reply: Reply) {
        let version = self.ctx.version;
        let reply = reply.and_then(|payload| {
            voltgate_ocpp::validate(version, action, PayloadKind::Response, &payload).map(|_| payload).map_err(|v| {
                tracing::error!(action = action.as_str(), violation = %v.description, "our own answer failed schema validation; sending InternalError");
                CallError::new(id.as_str(), ErrorCode::InternalError, "the central system could not build a valid answer")
            })
        });
        match reply {
            Ok(payload) => {
                self.count(action.as_str(), "ok");
                let text = Frame::CallResult(CallResult::new(id.clone(), payload)).to_text(version);
                self.log(
                    LogDirection::CsmsToCharger,
                    3,
                    Some(action.as_str().to_owned()),
                    Some(id.into_string()),
                    text.clone(),
                )
                .await;
                let _ = self.socket.send(Message::Text(text.into())).await;
                if action == v16::Action::BootNotification {
                    self.ctx.boot_answered.notify_one();
                }
            }
            Err(mut err) => {
                self.count(action.as_str(), "callerror");
                err.id = id.into_string();
                self.send_error(err).await;
            }
        }
    }

    async fn send_error(&mut self, err: CallError) {
        let text = err.to_text(self.ctx.version);
        self.log(
            LogDirection::CsmsToCharger,
            4,
            None,
            Some(err.id.clone()),
            text.clone(),
        )
        .await;
        let _ = self.socket.send(Message::Text(text.into())).await;
    }

    async fn on_socket_error(&mut self, e: axum::Error) -> &'static str {
        let inner = e.into_inner();
        let (code, reason, text) = match inner.downcast_ref::<tungstenite::Error>() {
            Some(tungstenite::Error::Capacity(_)) => (
                close::TOO_BIG,
                "message too big",
                "message exceeds the size limit",
            ),
            Some(tungstenite::Error::Utf8(_)) => (
                close::INVALID_PAYLOAD,
                "invalid UTF-8",
                "text frame is not valid UTF-8",
            ),
            Some(tungstenite::Error::Protocol(_)) => (
                close::PROTOCOL_ERROR,
                "WebSocket protocol error",
                "WebSocket protocol violation",
            ),
            _ => return "connection error",
        };
        tracing::warn!(error = %inner, "closing the connection: {reason}");
        self.close(code, text).await;
        reason
    }

    async fn close(&mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let send = self.socket.send(Message::Close(Some(frame)));
        if tokio::time::timeout(Duration::from_secs(2), send)
            .await
            .is_err()
        {
            return;
        }
        // The closing handshake (RFC 6455 §7.1.1): read until the peer's Close or EOF, so the
        // socket is not dropped with unread input (the kernel would answer with a reset, and the
        // peer could lose our Close frame).
        let drain = async {
            while let Some(Ok(msg)) = self.socket.recv().await {
                if matches!(msg, Message::Close(_)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
    }

    fn fail_pending(&mut self, failure: CallFailure) {
        if let Some(p) = self.pending.take() {
            let _ = p.reply.send(Err(failure));
        }
    }

    fn count(&self, action: &str, outcome: &'static str) {
        self.gw
            .inner
            .metrics
            .ocpp_message(metric_label(action), outcome);
    }

    /// Builds the log entry now and returns a future that queues it (the future borrows nothing,
    /// so the session stays `Send` without being `Sync`).
    fn log(
        &self,
        direction: LogDirection,
        message_type: i16,
        action: Option<String>,
        message_id: Option<String>,
        payload: String,
    ) -> impl Future<Output = ()> + Send + 'static {
        let service = self.gw.inner.service.clone();
        let entry = LogEntry {
            charger_id: self.ctx.charger_id,
            direction,
            message_type,
            action,
            message_id,
            payload,
            created_at: service.now(),
        };
        async move { service.log(entry).await }
    }
}

/// The `action` label a message is counted under: an OCPP 1.6 action's name, one of the
/// session's placeholders, or `<unknown>` for any other name, so that a charger making up action
/// names cannot add a metric series (and a map entry) for each.
fn metric_label(action: &str) -> &'static str {
    if let Some(a) = v16::Action::from_name(action) {
        return a.as_str();
    }
    match action {
        "<binary>" => "<binary>",
        "<malformed>" => "<malformed>",
        "<result>" => "<result>",
        _ => "<unknown>",
    }
}

async fn poll_in_flight(in_flight: &mut Option<InFlight>) -> Reply {
    match in_flight {
        Some(f) => (&mut f.future).await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::metric_label;

    #[test]
    fn metric_labels_are_actions_placeholders_or_unknown() {
        assert_eq!(metric_label("MeterValues"), "MeterValues");
        assert_eq!(metric_label("<malformed>"), "<malformed>");
        assert_eq!(metric_label("<binary>"), "<binary>");
        assert_eq!(metric_label("<result>"), "<result>");
        assert_eq!(metric_label("MadeUpAction"), "<unknown>");
        assert_eq!(
            metric_label("metervalues"),
            "<unknown>",
            "names are case-sensitive"
        );
        assert_eq!(metric_label(""), "<unknown>");
    }
}
