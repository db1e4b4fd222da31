//! The charger model: sessions as gestures, remote start and stop, charging profiles, meter
//! values at the sample interval, faults, reboots and the offline queue.

use std::time::Duration;

use serde_json::json;
use voltgate_sim::{
    Backoff, ChargePointErrorCode, ChargePointStatus, ChargerConfig, Ev, SimCharger, SimError,
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
async fn a_session_walks_the_status_transitions() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-WALK"))
        .await
        .unwrap();

    charger.plug(1, Ev::default()).await.unwrap();
    let tx = charger.start_session(1, "TAG-1").await.unwrap();
    assert_eq!(tx, 1);
    assert_eq!(
        charger.connector(1).unwrap().status,
        ChargePointStatus::Charging
    );
    charger.stop_session(1, StopReason::Local).await.unwrap();
    charger.unplug(1).await.unwrap();

    assert_eq!(
        server.statuses("CP-WALK", 1),
        [
            "Available",
            "Preparing",
            "Charging",
            "Finishing",
            "Available"
        ]
    );
    let actions = server.actions("CP-WALK");
    let start = actions
        .iter()
        .position(|a| a == "StartTransaction")
        .unwrap();
    assert_eq!(actions[start - 1], "Authorize", "{actions:?}");
    let stop = &server.payloads("CP-WALK", "StopTransaction")[0];
    assert_eq!(stop["transactionId"], 1);
    assert_eq!(stop["reason"], "Local");
    assert_eq!(stop["idTag"], "TAG-1");
    let error = charger.unplug(1).await.unwrap_err();
    assert!(matches!(error, SimError::Invalid(_)), "{error}");
}

#[tokio::test]
async fn unplugging_while_charging_stops_the_transaction() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-YANK"))
        .await
        .unwrap();
    // start_session plugs a default EV in when none is.
    charger.start_session(1, "TAG-1").await.unwrap();
    charger.unplug(1).await.unwrap();
    let stop = &server.payloads("CP-YANK", "StopTransaction")[0];
    assert_eq!(stop["reason"], "EVDisconnected");
    assert_eq!(
        server.statuses("CP-YANK", 1),
        ["Available", "Preparing", "Charging", "Available"]
    );
    let refused = charger.start_session(1, "BLOCKED").await.unwrap_err();
    assert!(
        matches!(refused, SimError::NotAuthorized { .. }),
        "{refused}"
    );
    assert_eq!(server.payloads("CP-YANK", "StartTransaction").len(), 1);
}

#[tokio::test]
async fn a_remote_start_waits_for_the_ev_and_a_remote_stop_ends_it() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-REMOTE"))
        .await
        .unwrap();

    let answer = server
        .call(
            "CP-REMOTE",
            "RemoteStartTransaction",
            json!({"idTag": "TAG-R", "connectorId": 1}),
        )
        .await;
    assert_eq!(answer[2], json!({"status": "Accepted"}));
    eventually("Preparing while waiting for the EV", || {
        server.statuses("CP-REMOTE", 1).last().map(String::as_str) == Some("Preparing")
    })
    .await;
    assert_eq!(
        server.payloads("CP-REMOTE", "Authorize")[0]["idTag"],
        "TAG-R"
    );
    assert!(server.payloads("CP-REMOTE", "StartTransaction").is_empty());

    charger.plug(1, Ev::default()).await.unwrap();
    let start = &server.payloads("CP-REMOTE", "StartTransaction")[0];
    assert_eq!(start["idTag"], "TAG-R");
    assert_eq!(charger.connector(1).unwrap().transaction_id, Some(1));

    let busy = server
        .call(
            "CP-REMOTE",
            "RemoteStartTransaction",
            json!({"idTag": "TAG-R", "connectorId": 1}),
        )
        .await;
    assert_eq!(busy[2], json!({"status": "Rejected"}));
    let unknown = server
        .call(
            "CP-REMOTE",
            "RemoteStopTransaction",
            json!({"transactionId": 99}),
        )
        .await;
    assert_eq!(unknown[2], json!({"status": "Rejected"}));
    let stop = server
        .call(
            "CP-REMOTE",
            "RemoteStopTransaction",
            json!({"transactionId": 1}),
        )
        .await;
    assert_eq!(stop[2], json!({"status": "Accepted"}));
    eventually("StopTransaction", || {
        !server.payloads("CP-REMOTE", "StopTransaction").is_empty()
    })
    .await;
    assert_eq!(
        server.payloads("CP-REMOTE", "StopTransaction")[0]["reason"],
        "Remote"
    );
    eventually("Finishing", || {
        server.statuses("CP-REMOTE", 1).last().map(String::as_str) == Some("Finishing")
    })
    .await;
}

#[tokio::test]
async fn faults_are_reported_and_refuse_remote_starts() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-FAULT"))
        .await
        .unwrap();
    charger
        .inject_fault(
            1,
            ChargePointErrorCode::GroundFailure,
            Some("RCD tripped".into()),
        )
        .await
        .unwrap();
    let reported = server.payloads("CP-FAULT", "StatusNotification");
    let last = reported.last().unwrap();
    assert_eq!(last["status"], "Faulted");
    assert_eq!(last["errorCode"], "GroundFailure");
    assert_eq!(last["info"], "RCD tripped");
    let answer = server
        .call(
            "CP-FAULT",
            "RemoteStartTransaction",
            json!({"idTag": "T", "connectorId": 1}),
        )
        .await;
    assert_eq!(answer[2], json!({"status": "Rejected"}));
    let error = charger.start_session(1, "T").await.unwrap_err();
    assert!(matches!(error, SimError::Invalid(_)), "{error}");

    charger.clear_fault(1).await.unwrap();
    let last = server.payloads("CP-FAULT", "StatusNotification");
    assert_eq!(last.last().unwrap()["status"], "Available");
    assert_eq!(last.last().unwrap()["errorCode"], "NoError");
    assert!(
        charger.clear_fault(1).await.is_err(),
        "no fault left to clear"
    );
}

#[tokio::test]
async fn the_ev_draws_what_the_profile_and_its_own_maximum_allow() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(ChargerConfig {
        max_current_a: 20.0,
        ..config(&server, "CP-LIMIT")
    })
    .await
    .unwrap();
    charger
        .plug(
            1,
            Ev {
                max_current_a: 32.0,
                phases: 3,
            },
        )
        .await
        .unwrap();
    let tx = charger.start_session(1, "TAG").await.unwrap();
    assert_eq!(charger.connector(1).unwrap().meter.current_a(), 20.0);

    let profile = json!({"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 5, "stackLevel": 1, "chargingProfilePurpose": "TxProfile", "transactionId": tx,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}]}}});
    let answer = server.call("CP-LIMIT", "SetChargingProfile", profile).await;
    assert_eq!(answer[2], json!({"status": "Accepted"}));
    eventually("the EV follows the profile", || {
        charger.connector(1).unwrap().meter.current_a() == 8.0
    })
    .await;
    let schedule = server
        .call(
            "CP-LIMIT",
            "GetCompositeSchedule",
            json!({"connectorId": 1, "duration": 600}),
        )
        .await;
    assert_eq!(schedule[2]["status"], "Accepted");
    assert_eq!(
        schedule[2]["chargingSchedule"]["chargingSchedulePeriod"],
        json!([{"startPeriod": 0, "limit": 8.0}])
    );

    charger.set_ev_max_current(1, 6.0).await.unwrap();
    assert_eq!(charger.connector(1).unwrap().meter.current_a(), 6.0);
    charger.set_ev_max_current(1, 0.0).await.unwrap();
    assert_eq!(
        server.statuses("CP-LIMIT", 1).last().map(String::as_str),
        Some("SuspendedEV")
    );
    charger.set_ev_max_current(1, 16.0).await.unwrap();
    let zero = json!({"connectorId": 0, "csChargingProfiles": {
        "chargingProfileId": 6, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 0}]}}});
    server.call("CP-LIMIT", "SetChargingProfile", zero).await;
    eventually("SuspendedEVSE at a zero limit", || {
        server.statuses("CP-LIMIT", 1).last().map(String::as_str) == Some("SuspendedEVSE")
    })
    .await;
    let cleared = server
        .call("CP-LIMIT", "ClearChargingProfile", json!({"id": 6}))
        .await;
    assert_eq!(cleared[2], json!({"status": "Accepted"}));
    eventually("charging again at the TxProfile's 8 A", || {
        charger.connector(1).unwrap().meter.current_a() == 8.0
            && server.statuses("CP-LIMIT", 1).last().map(String::as_str) == Some("Charging")
    })
    .await;
}

#[tokio::test]
async fn meter_values_follow_the_sample_interval_and_measurands() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-SAMPLE"))
        .await
        .unwrap();
    for (key, value) in [
        ("MeterValueSampleInterval", "1"),
        (
            "MeterValuesSampledData",
            "Energy.Active.Import.Register,Current.Import",
        ),
    ] {
        let answer = server
            .call(
                "CP-SAMPLE",
                "ChangeConfiguration",
                json!({"key": key, "value": value}),
            )
            .await;
        assert_eq!(answer[2], json!({"status": "Accepted"}));
    }
    let tx = charger.start_session(1, "TAG").await.unwrap();
    eventually("two MeterValues", || {
        server.payloads("CP-SAMPLE", "MeterValues").len() >= 2
    })
    .await;
    let values = server.payloads("CP-SAMPLE", "MeterValues");
    let energy = |n: usize| -> u64 {
        let sampled = &values[n]["meterValue"][0]["sampledValue"];
        assert_eq!(sampled[0]["measurand"], "Energy.Active.Import.Register");
        assert_eq!(sampled[0]["context"], "Sample.Periodic");
        sampled[0]["value"].as_str().unwrap().parse().unwrap()
    };
    assert_eq!(values[0]["transactionId"], tx);
    let measurands: Vec<_> = values[0]["meterValue"][0]["sampledValue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["measurand"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        measurands,
        [
            "Energy.Active.Import.Register",
            "Current.Import",
            "Current.Import",
            "Current.Import"
        ]
    );
    assert!(energy(1) > energy(0), "the register grows: {values:?}");
}

#[tokio::test]
async fn a_reset_reboots_and_keeps_the_configuration() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-REBOOT"))
        .await
        .unwrap();
    let change = json!({"key": "MeterValueSampleInterval", "value": "17"});
    server
        .call("CP-REBOOT", "ChangeConfiguration", change)
        .await;
    charger.start_session(1, "TAG").await.unwrap();

    let answer = server
        .call("CP-REBOOT", "Reset", json!({"type": "Soft"}))
        .await;
    assert_eq!(answer[2], json!({"status": "Accepted"}));
    eventually("a second BootNotification", || {
        server.payloads("CP-REBOOT", "BootNotification").len() == 2
    })
    .await;
    eventually("statuses after the boot", || {
        let actions = server.actions("CP-REBOOT");
        let boot = actions
            .iter()
            .rposition(|a| a == "BootNotification")
            .unwrap();
        actions[boot..]
            .iter()
            .filter(|a| *a == "StatusNotification")
            .count()
            == 2
    })
    .await;
    assert_eq!(server.connections("CP-REBOOT").len(), 2, "a new connection");
    assert_eq!(
        server.payloads("CP-REBOOT", "StopTransaction")[0]["reason"],
        "SoftReset"
    );
    assert_eq!(charger.boots(), 2);
    let keys = server
        .call(
            "CP-REBOOT",
            "GetConfiguration",
            json!({"key": ["MeterValueSampleInterval"]}),
        )
        .await;
    assert_eq!(keys[2]["configurationKey"][0]["value"], "17");
    assert_eq!(charger.connector(1).unwrap().transaction_id, None);
}

#[tokio::test]
async fn transaction_messages_wait_off_line_and_arrive_in_order() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(ChargerConfig {
        reconnect: Some(Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
            multiplier: 2.0,
            jitter: 0.0,
        }),
        ..config(&server, "CP-OFFLINE")
    })
    .await
    .unwrap();
    let first = charger.start_session(1, "TAG").await.unwrap();

    server.set_refusing(true);
    server.drop_connection("CP-OFFLINE").await;
    eventually("off line", || !charger.is_connected()).await;
    let samples = charger.sampled_values(1).unwrap();
    charger
        .send_meter_values(1, Some(first), samples)
        .await
        .unwrap();
    charger.stop_session(1, StopReason::Local).await.unwrap();
    // The tag was accepted before: LocalAuthorizeOffline lets it start again off line.
    let local = charger.start_session(1, "TAG").await.unwrap();
    assert!(
        local < 0,
        "a local id until the central system assigns one: {local}"
    );
    let samples = charger.sampled_values(1).unwrap();
    charger
        .send_meter_values(1, Some(local), samples)
        .await
        .unwrap();
    charger.stop_session(1, StopReason::Local).await.unwrap();
    let queued_calls = server.calls("CP-OFFLINE").len();

    server.set_refusing(false);
    eventually("the queue delivered", || {
        server.payloads("CP-OFFLINE", "StopTransaction").len() == 2
    })
    .await;
    let actions = server.actions("CP-OFFLINE");
    let delivered: Vec<&str> = actions[queued_calls..]
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "StatusNotification")
        .collect();
    assert_eq!(
        delivered,
        [
            "MeterValues",
            "StopTransaction",
            "StartTransaction",
            "MeterValues",
            "StopTransaction"
        ]
    );
    let stops = server.payloads("CP-OFFLINE", "StopTransaction");
    assert_eq!(stops[0]["transactionId"], first);
    let second = server.payloads("CP-OFFLINE", "StartTransaction").len() as i64;
    assert_eq!(second, 2);
    let meter = server.payloads("CP-OFFLINE", "MeterValues");
    assert_eq!(
        meter.last().unwrap()["transactionId"],
        2,
        "renamed to the real id"
    );
    assert_eq!(stops[1]["transactionId"], 2, "renamed to the real id");
    assert!(charger.reconnections() >= 1);
}

#[tokio::test]
async fn trigger_message_sends_what_was_asked() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-TRIGGER"))
        .await
        .unwrap();
    charger.start_session(1, "TAG").await.unwrap();
    let answer = server
        .call(
            "CP-TRIGGER",
            "TriggerMessage",
            json!({"requestedMessage": "MeterValues", "connectorId": 1}),
        )
        .await;
    assert_eq!(answer[2], json!({"status": "Accepted"}));
    eventually("a triggered MeterValues", || {
        !server.payloads("CP-TRIGGER", "MeterValues").is_empty()
    })
    .await;
    let values = &server.payloads("CP-TRIGGER", "MeterValues")[0];
    assert_eq!(
        values["meterValue"][0]["sampledValue"][0]["context"],
        "Trigger"
    );
    let refused = server
        .call(
            "CP-TRIGGER",
            "TriggerMessage",
            json!({"requestedMessage": "StatusNotification", "connectorId": 7}),
        )
        .await;
    assert_eq!(refused[2], json!({"status": "Rejected"}));
    let firmware = server
        .call(
            "CP-TRIGGER",
            "UpdateFirmware",
            json!({"location": "ftp://x/fw.bin", "retrieveDate": "2025-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(firmware[2], json!({}));
    eventually("the firmware is installed", || {
        server
            .payloads("CP-TRIGGER", "FirmwareStatusNotification")
            .last()
            .is_some_and(|p| p["status"] == "Installed")
    })
    .await;
}
