//! A SimCharger's own traffic: boot, sessions, the meter, the frame log, one call at a time.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use voltgate_sim::{
    ChargePointErrorCode, ChargePointStatus, ChargerConfig, Direction, SimCharger, SimError,
    StopReason,
};

use crate::server::{eventually, Options, TestServer};

fn config(server: &TestServer, identity: &str) -> ChargerConfig {
    ChargerConfig {
        call_timeout: Duration::from_secs(5),
        ..ChargerConfig::new(server.url(), identity)
    }
}

#[tokio::test]
async fn boots_and_reports_every_connector_available() {
    let server = TestServer::start(Options {
        heartbeat_interval: 120,
        ..Options::default()
    })
    .await;
    let charger = SimCharger::connect(ChargerConfig {
        connectors: 2,
        vendor: "Acme".into(),
        ..config(&server, "CP-BOOT")
    })
    .await
    .unwrap();

    assert_eq!(charger.boot_response().interval, 120);
    assert_eq!(charger.heartbeat_interval(), Some(Duration::from_secs(120)));
    assert_eq!(
        charger.configuration().value("HeartbeatInterval"),
        Some("120")
    );
    let calls = server.calls("CP-BOOT");
    let actions: Vec<_> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "BootNotification",
            "StatusNotification",
            "StatusNotification",
            "StatusNotification"
        ]
    );
    assert_eq!(calls[0].payload["chargePointVendor"], "Acme");
    for (connector, call) in calls[1..].iter().enumerate() {
        assert_eq!(call.payload["connectorId"], connector);
        assert_eq!(call.payload["status"], "Available");
        assert_eq!(call.payload["errorCode"], "NoError");
    }
    assert!(charger.is_connected());
    charger.close().await;
    assert!(!charger.is_connected());
}

#[tokio::test]
async fn a_full_session_grows_the_energy_register() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-SESSION"))
        .await
        .unwrap();

    let info = charger.authorize("TAG-1").await.unwrap();
    assert_eq!(info.status, voltgate_sim::AuthorizationStatus::Accepted);
    let before_start = Instant::now();
    let transaction = charger
        .start_transaction(1, "TAG-1", Some(1000))
        .await
        .unwrap();
    let after_start = Instant::now();
    assert_eq!(transaction, 1);
    charger
        .status(
            1,
            ChargePointStatus::Charging,
            ChargePointErrorCode::NoError,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let samples = charger.sampled_values(1).unwrap();
    charger
        .send_meter_values(1, Some(transaction), samples)
        .await
        .unwrap();
    charger
        .stop_transaction(transaction, None, Some(StopReason::EVDisconnected))
        .await
        .unwrap();
    let elapsed_max = before_start.elapsed().as_secs_f64();
    let elapsed_min = after_start.elapsed().as_secs_f64() - 0.5;

    let calls = server.calls("CP-SESSION");
    let find = |action: &str| {
        calls
            .iter()
            .find(|c| c.action == action)
            .unwrap()
            .payload
            .clone()
    };
    assert_eq!(find("StartTransaction")["meterStart"], 1000);
    assert_eq!(find("StartTransaction")["idTag"], "TAG-1");
    let meter_values = find("MeterValues");
    assert_eq!(meter_values["transactionId"], transaction);
    let sampled = &meter_values["meterValue"][0]["sampledValue"];
    let energy: u64 = sampled[0]["value"].as_str().unwrap().parse().unwrap();
    assert_eq!(sampled[0]["measurand"], "Energy.Active.Import.Register");
    assert!(energy > 1000, "energy did not grow: {energy}");
    let stop = find("StopTransaction");
    assert_eq!(stop["reason"], "EVDisconnected");
    let meter_stop = stop["meterStop"].as_u64().unwrap();
    // 16 A on three phases at 230 V is 11 040 W.
    let watts = 16.0 * 230.0 * 3.0;
    let low = 1000 + (watts * elapsed_min / 3600.0).floor() as u64;
    let high = 1000 + (watts * elapsed_max / 3600.0).ceil() as u64;
    assert!(
        (low..=high).contains(&meter_stop),
        "{meter_stop} not in {low}..={high}"
    );
    assert!(meter_stop >= energy);

    let connector = charger.connector(1).unwrap();
    assert_eq!(connector.transaction_id, None);
    assert_eq!(connector.status, ChargePointStatus::Charging);
    let energy_after_stop = charger.meter_wh(1).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        charger.meter_wh(1).unwrap(),
        energy_after_stop,
        "meter runs after stop"
    );

    let second = charger.start_transaction(1, "TAG-1", None).await.unwrap();
    assert_eq!(second, 2, "transaction ids come from the server");
}

#[tokio::test]
async fn a_blocked_id_tag_is_reported_with_its_transaction() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-BLOCKED"))
        .await
        .unwrap();
    let error = charger.authorize("BLOCKED").await.unwrap_err();
    assert!(matches!(&error, SimError::NotAuthorized { status, .. } if status == "Blocked"));
    let error = charger
        .start_transaction(1, "BLOCKED", Some(0))
        .await
        .unwrap_err();
    let SimError::NotAuthorized { transaction_id, .. } = error else {
        panic!("unexpected {error}");
    };
    assert_eq!(transaction_id, Some(1));
    assert_eq!(charger.connector(1).unwrap().transaction_id, None);
    let invalid = charger.start_transaction(2, "TAG", None).await.unwrap_err();
    assert!(matches!(invalid, SimError::Invalid(_)), "{invalid}");
}

#[tokio::test]
async fn the_frame_log_records_both_directions_in_order() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-LOG"))
        .await
        .unwrap();
    charger.heartbeat().await.unwrap();

    let frames = charger.frames();
    // Boot, two status notifications (connectors 0 and 1) and a heartbeat: 4 calls, 4 results.
    assert_eq!(frames.len(), 8, "{frames:#?}");
    for (n, frame) in frames.iter().enumerate() {
        assert_eq!(frame.seq, n as u64);
        let expected = if n % 2 == 0 {
            Direction::CpToCsms
        } else {
            Direction::CsmsToCp
        };
        assert_eq!(frame.direction, expected, "frame {n}");
    }
    assert!(
        frames[0].text.starts_with(r#"[2,"1","BootNotification","#),
        "{}",
        frames[0].text
    );
    assert!(
        frames[1].text.starts_with(r#"[3,"1",{"#),
        "{}",
        frames[1].text
    );
    assert!(frames[6].text.contains("Heartbeat"));
    assert!(frames.windows(2).all(|w| w[0].at <= w[1].at));
    let json = serde_json::to_value(&frames[1]).unwrap();
    assert_eq!(json["direction"], "csms_to_cp");
    assert!(json["at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn keeps_one_outstanding_call_at_a_time() {
    let delay = Duration::from_millis(250);
    let server = TestServer::start(Options {
        delays: [("Heartbeat".to_owned(), delay)].into(),
        ..Options::default()
    })
    .await;
    let charger = SimCharger::connect(config(&server, "CP-ONE"))
        .await
        .unwrap();

    let started = Instant::now();
    let calls = (0..3).map(|_| {
        let charger = charger.clone();
        tokio::spawn(async move { charger.heartbeat().await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert!(
        started.elapsed() >= delay * 3,
        "calls overlapped: {:?}",
        started.elapsed()
    );
    assert_eq!(
        server.overlaps(),
        0,
        "a CALL arrived before the previous one was answered"
    );
    let heartbeats: Vec<_> = server
        .calls("CP-ONE")
        .into_iter()
        .filter(|c| c.action == "Heartbeat")
        .collect();
    assert_eq!(heartbeats.len(), 3);
    for pair in heartbeats.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= delay,
            "sent before the answer came"
        );
    }
}

#[tokio::test]
async fn a_callerror_and_a_timeout_are_told_apart() {
    let server = TestServer::start(Options {
        delays: [("Heartbeat".to_owned(), Duration::from_millis(600))].into(),
        ..Options::default()
    })
    .await;
    let charger = SimCharger::connect(ChargerConfig {
        call_timeout: Duration::from_millis(300),
        ..config(&server, "CP-ERR")
    })
    .await
    .unwrap();
    let error = charger
        .call("DataTransfer", json!({"vendorId": "x"}))
        .await
        .unwrap_err();
    assert_eq!(
        error.call_error().map(|e| e.code.as_str()),
        Some("NotImplemented")
    );
    let error = charger.heartbeat().await.unwrap_err();
    assert!(matches!(error, SimError::Timeout { .. }), "{error}");
    // The late answer to the timed-out heartbeat must not be taken for the next call's answer.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let error = charger
        .call("DataTransfer", json!({"vendorId": "y"}))
        .await
        .unwrap_err();
    assert!(error.call_error().is_some(), "{error}");
    assert!(charger.is_connected());
}

#[tokio::test]
async fn heartbeats_at_the_interval_from_the_boot_answer() {
    let server = TestServer::start(Options {
        heartbeat_interval: 1,
        ..Options::default()
    })
    .await;
    let _charger = SimCharger::connect(config(&server, "CP-HB")).await.unwrap();
    let heartbeats = || {
        let calls = server.calls("CP-HB");
        calls.iter().filter(|c| c.action == "Heartbeat").count()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(heartbeats(), 0, "heartbeat before the interval");
    eventually("two heartbeats", || heartbeats() >= 2).await;
}
