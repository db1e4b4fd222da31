//! The real binary as a separate process: SIGKILL loses no acknowledged transaction, SIGTERM
//! closes charger sockets with a Close frame and exits cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

struct Server {
    child: Child,
    app: TestApp,
}

/// Starts `voltgate serve` on port 0 and reads the real addresses from its JSON "listening" log line.
fn start(data_dir: &std::path::Path, database_url: &str, token: Option<String>) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voltgate"))
        .args([
            "serve",
            "--api-listen",
            "127.0.0.1:0",
            "--ocpp-listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(database_url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the voltgate binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (api, ocpp) = loop {
        let line = lines
            .next()
            .expect("the server logs 'listening' before exiting")
            .unwrap();
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if v["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("listening"))
        {
            break (
                v["api"].as_str().unwrap().to_owned(),
                v["ocpp"].as_str().unwrap().to_owned(),
            );
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let token = token.unwrap_or_else(|| {
        std::fs::read_to_string(data_dir.join("admin-token"))
            .unwrap()
            .trim()
            .to_owned()
    });
    let app = TestApp {
        api: format!("http://{api}"),
        ocpp: format!("ws://{ocpp}"),
        ocpp_addr: ocpp.parse().unwrap(),
        token,
        http: reqwest::Client::new(),
        database_url: database_url.to_owned(),
        backend: "process",
        registry: None,
        stop: None,
        handle: None,
    };
    Server { child, app }
}

#[tokio::test]
async fn a_killed_server_loses_no_acknowledged_transaction() {
    for (_, url) in database_urls().await {
        let dir =
            std::env::temp_dir().join(format!("voltgate-kill-{}", uuid::Uuid::new_v4().simple()));
        let mut s = start(&dir, &url, None);
        let uuid = s.app.create_charger("CP-KILL").await;
        s.app.post("/api/v3/cards", json!({"uid": "T1"})).await;
        let mut cp = connect(&s.app, "/CP-KILL").await;
        cp.boot().await;
        let tx = cp.call("StartTransaction", json!({"connectorId": 1, "idTag": "T1", "meterStart": 100, "timestamp": "2025-01-01T00:00:00Z"})).await["transactionId"].clone();
        cp.call("MeterValues", json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": "2025-01-01T00:10:00Z", "sampledValue": [{"value": "1234"}]}]})).await;
        let token = s.app.token.clone();
        s.child.kill().unwrap(); // SIGKILL: no graceful shutdown at all
        s.child.wait().unwrap();
        drop(cp);

        let mut s = start(&dir, &url, Some(token));
        let (_, t) = s.app.get(&format!("/api/v3/transactions/{tx}")).await;
        assert_eq!(t["data"]["status"], "active", "{t}");
        assert_eq!(t["data"]["meter_start"], 100);
        let (_, mv) = s
            .app
            .get(&format!("/api/v3/chargers/{uuid}/metervalues"))
            .await;
        assert_eq!(
            mv["data"][0]["value"], "1234",
            "acknowledged meter values survive: {mv}"
        );
        assert_eq!(
            s.app.charger(&uuid).await["connection_status"],
            "offline",
            "no socket survives a restart"
        );

        // SIGTERM: the charger gets a Close frame (1001 going away) and the process exits 0.
        let mut cp = connect(&s.app, "/CP-KILL").await;
        cp.heartbeat_ok().await;
        let pid = s.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        assert_eq!(cp.closed_with(10).await, Some(1001));
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(st) = s.child.try_wait().unwrap() {
                break st;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server exits within 15 s of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(status.success(), "clean exit: {status}");
    }
}
