//! Load runs: many chargers in one process against the test server.

use std::collections::HashSet;
use std::net::IpAddr;

use voltgate_sim::{Scenario, SimArgs};

use crate::server::{Options, TestServer};

fn args(server: &TestServer, count: u32, scenario: Scenario) -> SimArgs {
    SimArgs {
        scenario,
        call_timeout: 5.0,
        quiet: true,
        ..SimArgs::new(server.url(), count)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_run_connects_every_charger_and_measures_latency() {
    let server = TestServer::start(Options::default()).await;
    let summary = voltgate_sim::run(SimArgs {
        rate: 5.0,
        duration: 2.0,
        concurrency: 10,
        identity_prefix: "LOAD-".into(),
        ..args(&server, 50, Scenario::Heartbeat)
    })
    .await
    .unwrap();

    assert_eq!(summary.connected, 50, "{summary}");
    assert_eq!(summary.booted, 50);
    assert_eq!(summary.connected_at_end, 50);
    assert_eq!(
        summary.connect_failures + summary.boot_failures + summary.disconnects,
        0
    );
    assert!(summary.boot_storm_secs > 0.0);
    assert!(summary.boot_storm_secs <= summary.ramp_secs);
    // 2 statuses + boot per charger in the ramp.
    assert_eq!(summary.ramp_latency.count, 150);
    // 50 chargers × 5/s × 2 s = 500 expected; allow for start offsets and a busy machine.
    assert!((250..=550).contains(&summary.answered), "{summary}");
    assert_eq!(summary.failures, 0);
    assert_eq!(summary.call_errors, 0);
    assert_eq!(summary.latency.count, summary.answered);
    assert!(summary.latency.p50_ms > 0.0);
    assert!(summary.latency.p50_ms <= summary.latency.p95_ms);
    assert!(summary.latency.p95_ms <= summary.latency.p99_ms);
    assert!(summary.latency.p99_ms <= summary.latency.max_ms);
    assert!(summary.messages_per_sec > 100.0, "{summary}");

    let identities: HashSet<_> = server
        .all_connections()
        .into_iter()
        .map(|c| c.identity)
        .collect();
    assert_eq!(identities.len(), 50);
    assert!(identities.contains("LOAD-1") && identities.contains("LOAD-50"));
    let heartbeats = server
        .all_calls()
        .iter()
        .filter(|c| c.action == "Heartbeat")
        .count();
    assert!(heartbeats as u64 >= summary.answered);
    let json: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
    assert_eq!(json["scenario"], "heartbeat");
    assert_eq!(json["latency"]["count"], summary.answered);
}

#[tokio::test]
async fn a_metervalues_run_opens_and_closes_one_transaction_per_charger() {
    let server = TestServer::start(Options::default()).await;
    let summary = voltgate_sim::run(SimArgs {
        rate: 10.0,
        duration: 1.0,
        ..args(&server, 4, Scenario::Metervalues)
    })
    .await
    .unwrap();
    assert_eq!(summary.connected, 4);
    let calls = server.all_calls();
    let count = |action: &str| calls.iter().filter(|c| c.action == action).count();
    assert_eq!(count("StartTransaction"), 4);
    assert_eq!(count("StopTransaction"), 4, "transactions left open");
    assert!(count("MeterValues") >= 4 * 5, "{summary}");
    let sample = calls.iter().find(|c| c.action == "MeterValues").unwrap();
    let measurands: Vec<_> = sample.payload["meterValue"][0]["sampledValue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["measurand"].as_str().unwrap().to_owned())
        .collect();
    assert!(measurands.contains(&"Power.Active.Import".to_owned()));
    assert_eq!(
        measurands.iter().filter(|m| *m == "Current.Import").count(),
        3
    );
    assert!(sample.payload["transactionId"].is_number());
}

#[tokio::test]
async fn a_sessions_run_authorizes_starts_and_stops() {
    let server = TestServer::start(Options::default()).await;
    let summary = voltgate_sim::run(SimArgs {
        rate: 25.0,
        duration: 1.5,
        ..args(&server, 3, Scenario::Sessions)
    })
    .await
    .unwrap();
    let calls = server.all_calls();
    let count = |action: &str| calls.iter().filter(|c| c.action == action).count();
    assert!(count("Authorize") >= 3, "{summary}");
    assert!(count("StopTransaction") >= 3, "{summary}");
    assert_eq!(
        count("StartTransaction"),
        count("StopTransaction"),
        "{summary}"
    );
    assert_eq!(summary.failures, 0);
}

#[tokio::test]
async fn spreads_connections_over_source_addresses() {
    let server = TestServer::start(Options::default()).await;
    let summary = voltgate_sim::run(SimArgs {
        source_addresses: 4,
        duration: 0.1,
        ..args(&server, 8, Scenario::Idle)
    })
    .await
    .unwrap();
    assert_eq!(summary.connected, 8);
    let sources: HashSet<IpAddr> = server
        .all_connections()
        .iter()
        .map(|c| c.peer.ip())
        .collect();
    let expected: HashSet<IpAddr> = (1..=4).map(|n| IpAddr::from([127, 0, 0, n])).collect();
    assert_eq!(sources, expected);
}

#[tokio::test]
async fn counts_chargers_that_cannot_connect() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let summary = voltgate_sim::run(SimArgs {
        duration: 0.1,
        quiet: true,
        ..SimArgs::new(format!("ws://127.0.0.1:{port}/ocpp"), 5)
    })
    .await
    .unwrap();
    assert_eq!(summary.connect_failures, 5);
    assert_eq!(summary.connected, 0);
    assert_eq!(summary.booted, 0);
}
