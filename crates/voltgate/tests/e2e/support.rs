//! Test support: start the real application on port 0 with a fresh database (SQLite always,
//! PostgreSQL when `VOLTGATE_TEST_POSTGRES_URL` is set) and drive it over real sockets.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use voltgate::{Application, Config};
use voltgate_store::testing;

pub struct TestApp {
    pub api: String,
    pub ocpp: String,
    pub ocpp_addr: std::net::SocketAddr,
    pub token: String,
    pub http: reqwest::Client,
    pub database_url: String,
    pub backend: &'static str,
    pub registry: Option<voltgate_gateway::Registry>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The databases to run against: SQLite always, PostgreSQL when configured.
pub async fn database_urls() -> Vec<(&'static str, String)> {
    let mut urls = vec![("sqlite", testing::fresh_sqlite_url())];
    match std::env::var(testing::POSTGRES_ENV) {
        Ok(server) => urls.push((
            "postgres",
            testing::fresh_postgres_url(&server)
                .await
                .expect("create a PostgreSQL test database"),
        )),
        Err(_) => testing::say_postgres_skipped(),
    }
    urls
}

/// Every backend, each with its own fresh application.
pub async fn apps() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for (backend, url) in database_urls().await {
        apps.push(spawn_with(backend, url, |_| {}).await);
    }
    apps
}

pub async fn spawn_with(
    backend: &'static str,
    database_url: String,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let dir = std::env::temp_dir().join(format!("voltgate-e2e-{}", uuid::Uuid::new_v4().simple()));
    let mut config = Config::for_data_dir(&dir);
    config.database_url = database_url.clone();
    config.api_listen = "127.0.0.1:0".parse().unwrap();
    config.ocpp_listen = "127.0.0.1:0".parse().unwrap();
    config.print_admin_token = false;
    tweak(&mut config);
    let app = Application::build(config)
        .await
        .expect("the application builds");
    let token = app
        .admin_token()
        .expect("a fresh database creates the admin token")
        .to_owned();
    let (api, ocpp_addr) = (app.api_addr(), app.ocpp_addr());
    let registry = Some(app.registry());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp {
        api: format!("http://{api}"),
        ocpp: format!("ws://{ocpp_addr}"),
        ocpp_addr,
        token,
        http: reqwest::Client::new(),
        database_url,
        backend,
        registry,
        stop: Some(stop),
        handle: Some(handle),
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the API answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, Some(body)).await
    }

    /// Creates a charger over the API and returns its uuid.
    pub async fn create_charger(&self, identity: &str) -> String {
        let (status, body) = self
            .post("/api/v3/chargers", json!({"identity": identity}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["data"]["uuid"].as_str().unwrap().to_owned()
    }

    pub async fn charger(&self, uuid: &str) -> Value {
        let (status, body) = self.get(&format!("/api/v3/chargers/{uuid}")).await;
        assert_eq!(status, 200, "{body}");
        body["data"].clone()
    }

    /// Waits until the charger's connection status is `want` (or fails after `secs`).
    pub async fn wait_connection(&self, uuid: &str, want: &str, secs: u64) -> Value {
        self.poll(
            secs,
            || self.charger(uuid),
            |c| c["connection_status"] == want,
            |c| format!("{}: charger never became {want}: {c}", self.backend),
        )
        .await
    }

    /// The frame log is written in batches nobody waits for (gathered up to the writer's log
    /// linger, then committed), so a test polls `path` until `ok` holds for its body.
    pub async fn wait_logs(&self, path: &str, secs: u64, ok: impl Fn(&Value) -> bool) -> Value {
        self.poll(
            secs,
            || async { self.get(path).await.1 },
            ok,
            |logs| {
                format!(
                    "{}: the frame log never showed what {path} should: {logs}",
                    self.backend
                )
            },
        )
        .await
    }

    /// Reads every 50 ms until `ok` holds for what `read` returns; after `secs` fails with
    /// `failure` of the last read.
    async fn poll<F: std::future::Future<Output = Value>>(
        &self,
        secs: u64,
        mut read: impl FnMut() -> F,
        ok: impl Fn(&Value) -> bool,
        failure: impl Fn(&Value) -> String,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let value = read().await;
            if ok(&value) {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}",
                failure(&value)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(h) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(20), h)
                .await
                .expect("shutdown within 20 s")
                .unwrap()
                .unwrap();
        }
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An OCPP 1.6 test charger over a real WebSocket.
pub struct Charger {
    pub ws: Ws,
    next: u64,
    /// The SetChargingProfile payloads this charger accepted, oldest first.
    pub profiles: Vec<Value>,
}

pub async fn connect(app: &TestApp, path: &str) -> Charger {
    connect_with(app, path, Some("ocpp1.6"), None)
        .await
        .expect("the charger connects")
}

pub async fn connect_with(
    app: &TestApp,
    path: &str,
    protocol: Option<&str>,
    basic: Option<&str>,
) -> Result<Charger, u16> {
    let mut req = format!("{}{path}", app.ocpp).into_client_request().unwrap();
    if let Some(p) = protocol {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(p).unwrap());
    }
    if let Some(b) = basic {
        req.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Basic {b}")).unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, resp)) => {
            if protocol.is_some() {
                assert_eq!(
                    resp.headers()
                        .get("sec-websocket-protocol")
                        .map(|v| v.to_str().unwrap()),
                    Some("ocpp1.6")
                );
            }
            Ok(Charger {
                ws,
                next: 0,
                profiles: Vec::new(),
            })
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected connection error: {e}"),
    }
}

impl Charger {
    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// The next text frame (pings are answered by the library), or None on close/timeout.
    pub async fn recv_text(&mut self, secs: u64) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??
                .ok()?;
            match msg {
                Message::Text(t) => {
                    return Some(serde_json::from_str(t.as_str()).expect("the server sends JSON"))
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Sends a CALL and returns the CALLRESULT payload (panics on anything else).
    pub async fn call(&mut self, action: &str, payload: Value) -> Value {
        let frame = self.call_frame(action, payload).await;
        assert_eq!(
            frame[0], 3,
            "expected a CALLRESULT to {action}, got {frame}"
        );
        frame[2].clone()
    }

    /// Sends a CALL and returns whatever frame answers it.
    pub async fn call_frame(&mut self, action: &str, payload: Value) -> Value {
        self.next += 1;
        let id = format!("m{}", self.next);
        self.send_text(&json!([2, id, action, payload]).to_string())
            .await;
        loop {
            let frame = self
                .recv_text(10)
                .await
                .unwrap_or_else(|| panic!("no answer to {action}"));
            // The load controller may set a limit at any time: accept it like a charger would.
            let limit = frame[0] == 2
                && matches!(
                    frame[2].as_str(),
                    Some("SetChargingProfile" | "ClearChargingProfile")
                );
            if limit {
                if frame[2] == "SetChargingProfile" {
                    self.profiles.push(frame[3].clone());
                }
                self.send_text(&json!([3, frame[1], {"status": "Accepted"}]).to_string())
                    .await;
                continue;
            }
            assert_eq!(frame[1], id, "answer to {action} carries its id: {frame}");
            return frame;
        }
    }

    /// The first period's limit of the last charging profile this charger accepted.
    pub fn last_limit(&self) -> Option<f64> {
        self.profiles.last()?["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]
            ["limit"]
            .as_f64()
    }

    /// Proves the connection still works after bad input.
    pub async fn heartbeat_ok(&mut self) {
        let r = self.call("Heartbeat", json!({})).await;
        assert!(r["currentTime"].as_str().is_some(), "{r}");
    }

    pub async fn boot(&mut self) -> Value {
        self.call("BootNotification", json!({"chargePointVendor": "Acme", "chargePointModel": "Volt 22", "firmwareVersion": "1.2.3", "chargePointSerialNumber": "SN-1", "iccid": "8931", "imsi": "2041", "meterType": "MID", "meterSerialNumber": "M-1"})).await
    }

    /// Waits for the server to close the socket; returns the close code.
    pub async fn closed_with(&mut self, secs: u64) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) => return None,
                Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// A raw WebSocket client that writes frames byte by byte, for inputs a library refuses to send
/// (invalid UTF-8, unmasked frames, bad RSV bits).
pub struct RawWs {
    pub stream: TcpStream,
}

impl RawWs {
    pub async fn connect(app: &TestApp, identity: &str) -> RawWs {
        let mut stream = TcpStream::connect(app.ocpp_addr).await.unwrap();
        let req = format!(
            "GET /{identity} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n",
            app.ocpp_addr
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).await.unwrap();
            buf.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&buf);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        RawWs { stream }
    }

    /// Writes one frame: `first` is FIN/RSV/opcode, masked or not.
    pub async fn frame(&mut self, first: u8, payload: &[u8], masked: bool) {
        let out = Self::encode(first, payload, masked);
        self.stream.write_all(&out).await.unwrap();
    }

    /// Writes several masked text frames in one TCP write, so they arrive together.
    pub async fn texts_at_once(&mut self, texts: &[&str]) {
        let out: Vec<u8> = texts
            .iter()
            .flat_map(|t| Self::encode(0x81, t.as_bytes(), true))
            .collect();
        self.stream.write_all(&out).await.unwrap();
    }

    /// The next text frame, parsed as JSON.
    pub async fn read_json(&mut self) -> Value {
        let read = async {
            loop {
                let mut head = [0u8; 2];
                self.stream.read_exact(&mut head).await.unwrap();
                let mut len = (head[1] & 0x7f) as usize;
                if len == 126 {
                    let mut l = [0u8; 2];
                    self.stream.read_exact(&mut l).await.unwrap();
                    len = u16::from_be_bytes(l) as usize;
                }
                let mut payload = vec![0u8; len];
                self.stream.read_exact(&mut payload).await.unwrap();
                if head[0] & 0x0f == 1 {
                    return serde_json::from_slice(&payload).unwrap();
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .expect("a text frame within 5 s")
    }

    fn encode(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
        let mut out = vec![first];
        let mask_bit = if masked { 0x80 } else { 0 };
        if payload.len() < 126 {
            out.push(mask_bit | payload.len() as u8);
        } else {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        if masked {
            let key = [1u8, 2, 3, 4];
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        } else {
            out.extend_from_slice(payload);
        }
        out
    }

    /// Reads frames until a Close frame; returns its code.
    pub async fn close_code(&mut self) -> Option<u16> {
        let read = async {
            loop {
                let mut head = [0u8; 2];
                self.stream.read_exact(&mut head).await.ok()?;
                let opcode = head[0] & 0x0f;
                let mut len = (head[1] & 0x7f) as usize;
                if len == 126 {
                    let mut l = [0u8; 2];
                    self.stream.read_exact(&mut l).await.ok()?;
                    len = u16::from_be_bytes(l) as usize;
                }
                let mut payload = vec![0u8; len];
                self.stream.read_exact(&mut payload).await.ok()?;
                if opcode == 8 {
                    return Some(u16::from_be_bytes([payload[0], payload[1]]));
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .ok()?
    }
}
