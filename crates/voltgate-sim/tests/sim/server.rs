//! A tiny OCPP 1.6J central system for the tests: real sockets, scripted answers.
//!
//! It accepts `ws://addr/ocpp/<identity>` with `accept_hdr_async`, selects `ocpp1.6` (unless told
//! not to), checks Basic auth for the identities given a password, answers the charger's CALLs
//! (optionally after a delay per action), records everything it sees, flags a CALL that arrives
//! while the same charger still waits for an earlier one, and can send its own CALLs.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::Message;

/// How the server behaves.
#[derive(Clone)]
pub struct Options {
    pub heartbeat_interval: u64,
    pub select_subprotocol: bool,
    /// identity -> password required.
    pub passwords: HashMap<String, String>,
    /// action -> delay before answering.
    pub delays: HashMap<String, Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            heartbeat_interval: 300,
            select_subprotocol: true,
            passwords: HashMap::new(),
            delays: HashMap::new(),
        }
    }
}

/// One accepted WebSocket.
#[derive(Debug, Clone)]
pub struct Connection {
    pub identity: String,
    pub authorization: Option<String>,
    pub peer: SocketAddr,
}

/// One CALL received from a charger.
#[derive(Debug, Clone)]
pub struct Received {
    pub identity: String,
    pub action: String,
    pub payload: Value,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    connections: Vec<Connection>,
    calls: Vec<Received>,
    overlaps: u32,
    next_transaction: i32,
    links: HashMap<String, mpsc::Sender<Command>>,
}

enum Command {
    Call(String, Value, oneshot::Sender<Value>),
    Drop,
}

pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    refusing: Arc<AtomicBool>,
}

impl TestServer {
    pub async fn start(options: Options) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let options = Arc::new(options);
        let shared = Arc::clone(&state);
        let refusing = Arc::new(AtomicBool::new(false));
        let refuse = Arc::clone(&refusing);
        tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let state = Arc::clone(&shared);
                let options = Arc::clone(&options);
                let refuse = Arc::clone(&refuse);
                tokio::spawn(serve(stream, peer, state, options, refuse));
            }
        });
        TestServer {
            addr,
            state,
            refusing,
        }
    }

    /// While set, WebSocket upgrades are refused with HTTP 503 (the central system is down).
    pub fn set_refusing(&self, refusing: bool) {
        self.refusing.store(refusing, Ordering::SeqCst);
    }

    /// The actions a charger sent, in order.
    pub fn actions(&self, identity: &str) -> Vec<String> {
        self.calls(identity).into_iter().map(|c| c.action).collect()
    }

    /// The payloads of one action a charger sent, in order.
    pub fn payloads(&self, identity: &str, action: &str) -> Vec<Value> {
        self.calls(identity)
            .into_iter()
            .filter(|c| c.action == action)
            .map(|c| c.payload)
            .collect()
    }

    /// The connector statuses a charger reported for `connector`, in order.
    pub fn statuses(&self, identity: &str, connector: u64) -> Vec<String> {
        self.payloads(identity, "StatusNotification")
            .into_iter()
            .filter(|p| p["connectorId"] == connector)
            .map(|p| p["status"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn connections(&self, identity: &str) -> Vec<Connection> {
        let state = self.lock();
        state
            .connections
            .iter()
            .filter(|c| c.identity == identity)
            .cloned()
            .collect()
    }

    pub fn all_connections(&self) -> Vec<Connection> {
        self.lock().connections.clone()
    }

    pub fn calls(&self, identity: &str) -> Vec<Received> {
        let state = self.lock();
        state
            .calls
            .iter()
            .filter(|c| c.identity == identity)
            .cloned()
            .collect()
    }

    pub fn all_calls(&self) -> Vec<Received> {
        self.lock().calls.clone()
    }

    pub fn overlaps(&self) -> u32 {
        self.lock().overlaps
    }

    /// Sends a CALL to a connected charger and returns its answer frame.
    pub async fn call(&self, identity: &str, action: &str, payload: Value) -> Value {
        let link = self
            .lock()
            .links
            .get(identity)
            .cloned()
            .expect("not connected");
        let (reply, answer) = oneshot::channel();
        link.send(Command::Call(action.into(), payload, reply))
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), answer)
            .await
            .unwrap()
            .unwrap()
    }

    /// Drops a charger's connection without a Close frame, as a crashing server would.
    pub async fn drop_connection(&self, identity: &str) {
        let link = self
            .lock()
            .links
            .get(identity)
            .cloned()
            .expect("not connected");
        link.send(Command::Drop).await.unwrap();
    }
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<Mutex<State>>,
    options: Arc<Options>,
    refusing: Arc<AtomicBool>,
) {
    let seen = Arc::new(Mutex::new(None::<Connection>));
    let seen_in_callback = Arc::clone(&seen);
    let callback_options = Arc::clone(&options);
    #[expect(
        clippy::result_large_err,
        reason = "tokio-tungstenite's handshake callback type fixes the error type"
    )]
    let callback = move |request: &Request, mut response: Response| {
        if refusing.load(Ordering::SeqCst) {
            let mut refusal = ErrorResponse::new(None);
            *refusal.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return Err(refusal);
        }
        let identity = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let authorization = request
            .headers()
            .get("Authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        if let Some(password) = callback_options.passwords.get(&identity) {
            let expected = voltgate_sim::basic_auth(&identity, password);
            if authorization.as_deref() != Some(expected.as_str()) {
                let mut refusal = ErrorResponse::new(None);
                *refusal.status_mut() = StatusCode::UNAUTHORIZED;
                return Err(refusal);
            }
        }
        let offered = request.headers().get("Sec-WebSocket-Protocol");
        let offers_16 = offered
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|p| p.trim() == "ocpp1.6"));
        if offers_16 && callback_options.select_subprotocol {
            let value = HeaderValue::from_static("ocpp1.6");
            response
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", value);
        }
        *seen_in_callback.lock().unwrap() = Some(Connection {
            identity,
            authorization,
            peer,
        });
        Ok(response)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let connection = seen.lock().unwrap().take().unwrap();
    let identity = connection.identity.clone();
    let (link, mut commands) = mpsc::channel(8);
    {
        let mut state = state.lock().unwrap();
        state.connections.push(connection);
        state.links.insert(identity.clone(), link);
    }
    let mut delayed: VecDeque<(Instant, String)> = VecDeque::new();
    let mut waiting: HashMap<String, oneshot::Sender<Value>> = HashMap::new();
    let mut next_id = 0;
    loop {
        let due = delayed.front().map(|(at, _)| *at);
        tokio::select! {
            message = ws.next() => {
                let Some(Ok(message)) = message else { return };
                let Message::Text(text) = message else { continue };
                let frame: Value = serde_json::from_str(&text).unwrap();
                match frame[0].as_u64() {
                    Some(2) => {
                        let id = frame[1].as_str().unwrap().to_owned();
                        let action = frame[2].as_str().unwrap().to_owned();
                        let reply = {
                            let mut state = state.lock().unwrap();
                            if !delayed.is_empty() {
                                state.overlaps += 1;
                            }
                            state.calls.push(Received {
                                identity: identity.clone(),
                                action: action.clone(),
                                payload: frame[3].clone(),
                                at: Instant::now(),
                            });
                            answer(&mut state, &options, &id, &action, &frame[3])
                        };
                        match options.delays.get(&action) {
                            Some(delay) => delayed.push_back((Instant::now() + *delay, reply)),
                            None => ws.send(Message::text(reply)).await.unwrap(),
                        }
                    }
                    Some(3 | 4) => {
                        if let Some(reply) = waiting.remove(frame[1].as_str().unwrap()) {
                            let _ = reply.send(frame);
                        }
                    }
                    _ => panic!("unexpected frame {text}"),
                }
            }
            _ = sleep_until(due) => {
                let (_, reply) = delayed.pop_front().unwrap();
                ws.send(Message::text(reply)).await.unwrap();
            }
            command = commands.recv() => match command {
                Some(Command::Call(action, payload, reply)) => {
                    next_id += 1;
                    let id = format!("srv-{next_id}");
                    waiting.insert(id.clone(), reply);
                    let frame = json!([2, id, action, payload]).to_string();
                    ws.send(Message::text(frame)).await.unwrap();
                }
                Some(Command::Drop) | None => return,
            },
        }
    }
}

fn answer(state: &mut State, options: &Options, id: &str, action: &str, payload: &Value) -> String {
    let accepted = |tag: &Value| {
        let status = if *tag == "BLOCKED" {
            "Blocked"
        } else {
            "Accepted"
        };
        json!({ "status": status })
    };
    let result = match action {
        "BootNotification" => json!({
            "status": "Accepted",
            "currentTime": voltgate_sim::now_rfc3339(),
            "interval": options.heartbeat_interval,
        }),
        "Heartbeat" => json!({ "currentTime": voltgate_sim::now_rfc3339() }),
        "StatusNotification"
        | "MeterValues"
        | "FirmwareStatusNotification"
        | "DiagnosticsStatusNotification" => json!({}),
        "Authorize" => json!({ "idTagInfo": accepted(&payload["idTag"]) }),
        "StartTransaction" => {
            state.next_transaction += 1;
            json!({
                "transactionId": state.next_transaction,
                "idTagInfo": accepted(&payload["idTag"]),
            })
        }
        "StopTransaction" => json!({ "idTagInfo": { "status": "Accepted" } }),
        _ => return json!([4, id, "NotImplemented", format!("{action} unknown"), {}]).to_string(),
    };
    json!([3, id, result]).to_string()
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
