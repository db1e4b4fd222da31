//! Remote actions through the REST API to a real WebSocket charger: every action's CALL and
//! answer, Rejected / CALLERROR / timeout / offline, idempotency, one CALL at a time, the state
//! actions leave behind, and pending registration.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

/// Starts an API action in the background.
fn send(
    app: &TestApp,
    uuid: &str,
    action: &str,
    body: Value,
    query: &str,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let http = app.http.clone();
    let url = format!("{}/api/v3/chargers/{uuid}/actions/{action}{query}", app.api);
    let token = app.token.clone();
    tokio::spawn(async move {
        let r = http
            .post(url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    })
}

/// Reads the next CALL; checks its action; answers it with `reply`; returns its payload.
async fn answer(cp: &mut Charger, action: &str, reply: Value) -> Value {
    let call = cp
        .recv_text(5)
        .await
        .unwrap_or_else(|| panic!("no {action} CALL"));
    assert_eq!(call[0], 2, "{call}");
    assert_eq!(call[2], action, "{call}");
    cp.send_text(&json!([3, call[1], reply]).to_string()).await;
    call[3].clone()
}

async fn online_charger(app: &TestApp, identity: &str) -> (String, Charger) {
    let uuid = app.create_charger(identity).await;
    let mut cp = connect(app, &format!("/{identity}")).await;
    cp.boot().await;
    (uuid, cp)
}

#[tokio::test]
async fn every_action_sends_a_schema_valid_call_and_returns_the_answer() {
    for app in apps().await {
        let (uuid, mut cp) = online_charger(&app, "CP-ACT").await;
        app.post(
            "/api/v3/cards",
            json!({"uid": "CARD-1", "parent_uid": "FLEET"}),
        )
        .await;
        let profile = json!({"charging_profile_id": 5, "stack_level": 2, "charging_profile_purpose": "TxDefaultProfile",
            "charging_profile_kind": "Recurring", "recurrency_kind": "Daily", "valid_from": "2025-01-01T00:00:00Z",
            "charging_schedule": {"duration": 86400, "start_schedule": "2025-01-01T00:00:00Z", "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": 16.0, "number_phases": 3}, {"start_period": 3600, "limit": 8.5}]}});
        // (action, body, OCPP action, checks on the CALL payload, charger's answer, expected API body)
        let cases: Vec<(&str, Value, &str, Value, Value, Value)> = vec![
            (
                "start",
                json!({"connector_id": 1, "id_token": "CARD-1"}),
                "RemoteStartTransaction",
                json!({"connectorId": 1, "idTag": "CARD-1"}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "stop",
                json!({"transaction_id": 42}),
                "RemoteStopTransaction",
                json!({"transactionId": 42}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "restart",
                json!({}),
                "Reset",
                json!({"type": "Soft"}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "reset",
                json!({"type": "hard"}),
                "Reset",
                json!({"type": "Hard"}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "unlock",
                json!({"connector_id": 1}),
                "UnlockConnector",
                json!({"connectorId": 1}),
                json!({"status": "Unlocked"}),
                json!({"status": "Unlocked"}),
            ),
            (
                "change-availability",
                json!({"connector_id": 0, "type": "inoperative"}),
                "ChangeAvailability",
                json!({"connectorId": 0, "type": "Inoperative"}),
                json!({"status": "Scheduled"}),
                json!({"status": "Scheduled"}),
            ),
            (
                "trigger-message",
                json!({"requested_message": "StatusNotification", "connector_id": 1}),
                "TriggerMessage",
                json!({"requestedMessage": "StatusNotification", "connectorId": 1}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "get-configuration",
                json!({"keys": ["HeartbeatInterval", "Nope"]}),
                "GetConfiguration",
                json!({"key": ["HeartbeatInterval", "Nope"]}),
                json!({"configurationKey": [{"key": "HeartbeatInterval", "readonly": false, "value": "300"}], "unknownKey": ["Nope"]}),
                json!({"configuration_key": [{"key": "HeartbeatInterval", "readonly": false, "value": "300"}], "unknown_key": ["Nope"]}),
            ),
            (
                "change-configuration",
                json!({"key": "HeartbeatInterval", "value": "120"}),
                "ChangeConfiguration",
                json!({"key": "HeartbeatInterval", "value": "120"}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "clear-cache",
                json!({}),
                "ClearCache",
                json!({}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "data-transfer",
                json!({"vendor_id": "com.acme", "message_id": "ping", "data": "x"}),
                "DataTransfer",
                json!({"vendorId": "com.acme", "messageId": "ping", "data": "x"}),
                json!({"status": "Accepted", "data": "pong"}),
                json!({"status": "Accepted", "data": "pong"}),
            ),
            (
                "charging-profile",
                json!({"connector_id": 1, "charging_profile": profile}),
                "SetChargingProfile",
                json!({"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 5, "recurrencyKind": "Daily", "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0, "numberPhases": 3}, {"startPeriod": 3600, "limit": 8.5}]}}}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "composite-schedule",
                json!({"connector_id": 1, "duration": 600, "charging_rate_unit": "A"}),
                "GetCompositeSchedule",
                json!({"connectorId": 1, "duration": 600, "chargingRateUnit": "A"}),
                json!({"status": "Accepted", "connectorId": 1, "scheduleStart": "2025-01-01T00:00:00Z", "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}),
                json!({"status": "Accepted", "connector_id": 1, "schedule_start": "2025-01-01T00:00:00.000000Z"}),
            ),
            (
                "clear-charging-profile",
                json!({"id": 5}),
                "ClearChargingProfile",
                json!({"id": 5}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "charge-limit",
                json!({"connector_id": 1, "limit": 10}),
                "SetChargingProfile",
                json!({"connectorId": 1, "csChargingProfiles": {"chargingProfilePurpose": "TxDefaultProfile", "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]}}}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "update-firmware",
                json!({"location": "https://fw.example.com/v2.bin", "retrieve_date": "2030-01-01T00:00:00Z", "retries": 3}),
                "UpdateFirmware",
                json!({"location": "https://fw.example.com/v2.bin", "retries": 3}),
                json!({}),
                json!({}),
            ),
            (
                "get-diagnostics",
                json!({"location": "ftp://logs.example.com/", "start_time": "2025-01-01 00:00:00"}),
                "GetDiagnostics",
                json!({"location": "ftp://logs.example.com/"}),
                json!({"fileName": "diag.zip"}),
                json!({"file_name": "diag.zip"}),
            ),
            (
                "send-local-list",
                json!({}),
                "SendLocalList",
                json!({"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": "CARD-1", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}}]}),
                json!({"status": "Accepted"}),
                json!({"status": "Accepted"}),
            ),
            (
                "get-local-list-version",
                json!({}),
                "GetLocalListVersion",
                json!({}),
                json!({"listVersion": 1}),
                json!({"list_version": 1}),
            ),
        ];
        for (action, body, ocpp, expect_payload, reply, expect_body) in cases {
            let pending = send(&app, &uuid, action, body, "");
            let payload = answer(&mut cp, ocpp, reply).await;
            assert_subset(&payload, &expect_payload, action);
            let (status, got) = pending.await.unwrap();
            assert_eq!(status, 200, "{action}: {got}");
            assert_subset(&got, &expect_body, action);
        }
        // reserve and cancel-reservation (the reservation id is Voltgate's).
        let pending = send(
            &app,
            &uuid,
            "reserve",
            json!({"connector_id": 1, "id_tag": "CARD-1", "expiry_date": "2099-01-01T00:00:00Z"}),
            "",
        );
        let call = answer(&mut cp, "ReserveNow", json!({"status": "Accepted"})).await;
        let reservation = call["reservationId"].as_i64().unwrap();
        let (status, got) = pending.await.unwrap();
        assert_eq!(
            (
                status,
                got["status"].clone(),
                got["reservation_id"].as_i64()
            ),
            (200, json!("Accepted"), Some(reservation))
        );
        let pending = send(
            &app,
            &uuid,
            "cancel-reservation",
            json!({"reservation_id": reservation}),
            "",
        );
        assert_eq!(
            answer(&mut cp, "CancelReservation", json!({"status": "Accepted"})).await
                ["reservationId"],
            reservation
        );
        assert_eq!(pending.await.unwrap().0, 200);
        let (_, r) = app
            .get(&format!("/api/v3/reservations/{reservation}"))
            .await;
        assert_eq!(r["data"]["status"], "cancelled");

        // The audit trail, newest first, with who sent it.
        let (_, audit) = app
            .get(&format!("/api/v3/chargers/{uuid}/actions?per_page=100"))
            .await;
        assert_eq!(audit["meta"]["total"], 21);
        assert_eq!(audit["data"][0]["action"], "cancel-reservation");
        assert_eq!(audit["data"][0]["user"], "admin@voltgate.local");
        assert_eq!(audit["data"][0]["status"], "succeeded");
        assert_eq!(audit["data"][0]["response"]["status"], "Accepted");
        app.shutdown().await;
    }
}

fn assert_subset(got: &Value, want: &Value, ctx: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, v) in w {
                assert_subset(g.get(k).unwrap_or(&Value::Null), v, &format!("{ctx}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{ctx}: {got} vs {want}");
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                assert_subset(g, w, &format!("{ctx}[{i}]"));
            }
        }
        (Value::Number(g), Value::Number(w)) => assert_eq!(g.as_f64(), w.as_f64(), "{ctx}"),
        _ => assert_eq!(got, want, "{ctx}"),
    }
}

#[tokio::test]
async fn rejections_callerrors_timeouts_and_offline_chargers() {
    for app in apps().await {
        let (uuid, mut cp) = online_charger(&app, "CP-FAIL").await;
        for (action, body, ocpp, status) in [
            (
                "start",
                json!({"id_token": "X"}),
                "RemoteStartTransaction",
                "Rejected",
            ),
            (
                "change-configuration",
                json!({"key": "Foo", "value": "1"}),
                "ChangeConfiguration",
                "NotSupported",
            ),
            (
                "unlock",
                json!({"connector_id": 2}),
                "UnlockConnector",
                "NotSupported",
            ),
            (
                "charging-profile",
                json!({"connector_id": 1, "charging_profile": {"charging_profile_id": 1, "stack_level": 0, "charging_profile_purpose": "ChargePointMaxProfile", "charging_profile_kind": "Absolute", "charging_schedule": {"charging_rate_unit": "W", "charging_schedule_period": [{"start_period": 0, "limit": 7400}]}}}),
                "SetChargingProfile",
                "Rejected",
            ),
        ] {
            let pending = send(&app, &uuid, action, body, "");
            answer(&mut cp, ocpp, json!({"status": status})).await;
            let (code, got) = pending.await.unwrap();
            assert_eq!((code, got), (200, json!({"status": status})), "{action}");
        }
        let (_, profiles) = app
            .get(&format!("/api/v3/chargers/{uuid}/charging-profiles"))
            .await;
        assert_eq!(
            profiles["data"],
            json!([]),
            "a rejected profile is not recorded"
        );

        // CALLERROR -> 502 with the code.
        let pending = send(&app, &uuid, "clear-cache", json!({}), "");
        let call = cp.recv_text(5).await.unwrap();
        cp.send_text(&json!([4, call[1], "NotImplemented", "no cache", {}]).to_string())
            .await;
        let (code, got) = pending.await.unwrap();
        assert_eq!(code, 502);
        assert_eq!(got["error_code"], "NotImplemented");
        assert_eq!(got["error_description"], "no cache");

        // An answer that is not valid OCPP -> 502.
        let pending = send(&app, &uuid, "reset", json!({}), "");
        answer(&mut cp, "Reset", json!({"status": "Later"})).await;
        assert_eq!(pending.await.unwrap().0, 502);

        // Timeout -> 504 (the late answer is ignored and the connection keeps working).
        let pending = send(&app, &uuid, "clear-cache", json!({}), "?timeout=0.3");
        let call = cp.recv_text(5).await.unwrap();
        let (code, got) = pending.await.unwrap();
        assert_eq!(
            (code, got),
            (
                504,
                json!({"message": "The charger did not respond in time."})
            )
        );
        cp.send_text(&json!([3, call[1], {"status": "Accepted"}]).to_string())
            .await;
        cp.heartbeat_ok().await;

        // Validation happens before anything is sent.
        for (action, body, field) in [
            (
                "start",
                json!({"connector_id": 0, "id_token": "X".repeat(21)}),
                "id_token",
            ),
            ("unlock", json!({}), "connector_id"),
            (
                "change-availability",
                json!({"connector_id": 1, "type": "sometimes"}),
                "type",
            ),
            (
                "trigger-message",
                json!({"requested_message": "Coffee"}),
                "requested_message",
            ),
            (
                "charging-profile",
                json!({"connector_id": 1, "charging_profile": {"charging_profile_id": 1, "stack_level": 0, "charging_profile_purpose": "TxProfile", "charging_profile_kind": "Recurring", "charging_schedule": {"charging_rate_unit": "A", "charging_schedule_period": [{"limit": 6}]}}}),
                "charging_profile.charging_schedule.charging_schedule_period.0.start_period",
            ),
            (
                "reserve",
                json!({"connector_id": 1, "id_tag": "A", "expiry_date": "2000-01-01T00:00:00Z"}),
                "expiry_date",
            ),
            (
                "update-firmware",
                json!({"location": "not a uri", "retrieve_date": "2030-01-01T00:00:00Z"}),
                "location",
            ),
            ("stop", json!({}), "transaction_id"),
            ("clear-cache", json!({"extra": 1}), "extra"),
        ] {
            let (code, got) = send(&app, &uuid, action, body, "").await.unwrap();
            assert_eq!(code, 422, "{action}: {got}");
            assert!(
                got["errors"][field].is_array(),
                "{action}: {field} in {got}"
            );
        }
        let (code, got) = send(&app, &uuid, "clear-cache", json!({}), "?timeout=500")
            .await
            .unwrap();
        assert_eq!((code, got["errors"]["timeout"].is_array()), (422, true));
        let (code, _) = send(&app, &uuid, "make-coffee", json!({}), "")
            .await
            .unwrap();
        assert_eq!(code, 404);
        // Nothing was sent for any of those.
        assert!(
            tokio::time::timeout(Duration::from_millis(300), cp.recv_text(1))
                .await
                .map_or(true, |f| f.is_none())
        );

        // Offline -> 409.
        drop(cp);
        app.wait_connection(&uuid, "offline", 5).await;
        let (code, got) = send(&app, &uuid, "clear-cache", json!({}), "")
            .await
            .unwrap();
        assert_eq!(
            (code, got),
            (409, json!({"message": "The charger is not connected."}))
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn an_idempotency_key_sends_one_call_and_concurrent_actions_are_serialised() {
    for app in apps().await {
        let (uuid, mut cp) = online_charger(&app, "CP-IDEM").await;
        let with_key = |key: &'static str| {
            let http = app.http.clone();
            let url = format!("{}/api/v3/chargers/{uuid}/actions/reset", app.api);
            let token = app.token.clone();
            tokio::spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", key)
                    .json(&json!({"type": "hard"}))
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            })
        };
        let first = with_key("retry-1");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let second = with_key("retry-1");
        answer(&mut cp, "Reset", json!({"status": "Accepted"})).await;
        assert_eq!(first.await.unwrap(), (200, json!({"status": "Accepted"})));
        assert_eq!(second.await.unwrap(), (200, json!({"status": "Accepted"})));
        let third = with_key("retry-1").await.unwrap();
        assert_eq!(third, (200, json!({"status": "Accepted"})));
        assert!(
            tokio::time::timeout(Duration::from_millis(300), cp.recv_text(1))
                .await
                .map_or(true, |f| f.is_none()),
            "one CALL for one key"
        );

        // Two different actions at once: the charger sees the second CALL only after answering the first.
        let a = send(&app, &uuid, "clear-cache", json!({}), "");
        let b = send(&app, &uuid, "unlock", json!({"connector_id": 1}), "");
        let first = cp.recv_text(5).await.unwrap();
        let nothing = tokio::time::timeout(Duration::from_millis(400), cp.recv_text(1)).await;
        assert!(
            matches!(nothing, Err(_) | Ok(None)),
            "a second CALL arrived before the first was answered"
        );
        let reply = if first[2] == "ClearCache" {
            json!({"status": "Accepted"})
        } else {
            json!({"status": "Unlocked"})
        };
        cp.send_text(&json!([3, first[1], reply]).to_string()).await;
        let second = cp.recv_text(5).await.unwrap();
        assert_ne!(first[2], second[2]);
        let reply = if second[2] == "ClearCache" {
            json!({"status": "Accepted"})
        } else {
            json!({"status": "Unlocked"})
        };
        cp.send_text(&json!([3, second[1], reply]).to_string())
            .await;
        assert_eq!(a.await.unwrap().0, 200);
        assert_eq!(b.await.unwrap().0, 200);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn actions_leave_their_state_behind() {
    for app in apps().await {
        let (uuid, mut cp) = online_charger(&app, "CP-STATE").await;
        app.post("/api/v3/cards", json!({"uid": "C1"})).await;
        app.post("/api/v3/cards", json!({"uid": "C2", "status": "blocked"}))
            .await;

        let pending = send(&app, &uuid, "get-configuration", json!({}), "");
        answer(
            &mut cp,
            "GetConfiguration",
            json!({"configurationKey": [
            {"key": "HeartbeatInterval", "readonly": false, "value": "300"},
            {"key": "NumberOfConnectors", "readonly": true, "value": "2"}]}),
        )
        .await;
        pending.await.unwrap();
        let pending = send(
            &app,
            &uuid,
            "change-configuration",
            json!({"key": "HeartbeatInterval", "value": "60"}),
            "",
        );
        answer(
            &mut cp,
            "ChangeConfiguration",
            json!({"status": "Accepted"}),
        )
        .await;
        pending.await.unwrap();
        let pending = send(
            &app,
            &uuid,
            "change-configuration",
            json!({"key": "NumberOfConnectors", "value": "9"}),
            "",
        );
        answer(
            &mut cp,
            "ChangeConfiguration",
            json!({"status": "Rejected"}),
        )
        .await;
        pending.await.unwrap();
        let (_, config) = app
            .get(&format!("/api/v3/chargers/{uuid}/configuration"))
            .await;
        let config = config["data"].as_array().unwrap().clone();
        assert_eq!(config.len(), 2);
        assert_eq!(
            (config[0]["key"].clone(), config[0]["value"].clone()),
            (json!("HeartbeatInterval"), json!("60"))
        );
        assert_eq!(
            (config[1]["value"].clone(), config[1]["readonly"].clone()),
            (json!("2"), json!(true))
        );

        // Profiles: installed when accepted, replaced by id, removed when cleared.
        let p = |id: i32, limit: f64| {
            json!({"connector_id": 1, "charging_profile": {"charging_profile_id": id, "stack_level": 1, "charging_profile_purpose": "TxDefaultProfile", "charging_profile_kind": "Absolute",
            "charging_schedule": {"charging_rate_unit": "A", "charging_schedule_period": [{"start_period": 0, "limit": limit}]}}})
        };
        for (id, limit) in [(1, 16.0), (1, 10.0), (2, 6.0)] {
            let pending = send(&app, &uuid, "charging-profile", p(id, limit), "");
            answer(&mut cp, "SetChargingProfile", json!({"status": "Accepted"})).await;
            pending.await.unwrap();
        }
        let (_, profiles) = app
            .get(&format!("/api/v3/chargers/{uuid}/charging-profiles"))
            .await;
        assert_eq!(
            profiles["data"].as_array().unwrap().len(),
            1,
            "same stack level and purpose replaces: {profiles}"
        );
        assert_eq!(profiles["data"][0]["charging_profile_id"], 2);
        let pending = send(
            &app,
            &uuid,
            "clear-charging-profile",
            json!({"connector_id": 1}),
            "",
        );
        answer(
            &mut cp,
            "ClearChargingProfile",
            json!({"status": "Accepted"}),
        )
        .await;
        pending.await.unwrap();
        let (_, profiles) = app
            .get(&format!("/api/v3/chargers/{uuid}/charging-profiles"))
            .await;
        assert_eq!(profiles["data"], json!([]));

        // The local list comes from /cards.
        let pending = send(&app, &uuid, "send-local-list", json!({}), "");
        let payload = answer(&mut cp, "SendLocalList", json!({"status": "Accepted"})).await;
        assert_eq!(
            payload["localAuthorizationList"].as_array().unwrap().len(),
            2
        );
        pending.await.unwrap();
        let (_, list) = app
            .get(&format!("/api/v3/chargers/{uuid}/local-list"))
            .await;
        assert_eq!(list["data"]["list_version"], 1);
        assert_eq!(
            list["data"]["entries"][1],
            json!({"id_tag": "C2", "status": "Blocked", "expiry_date": null, "parent_id_tag": null})
        );
        assert_eq!(app.charger(&uuid).await["local_list_version"], 1);

        // A reservation is used by the StartTransaction that names it.
        let pending = send(
            &app,
            &uuid,
            "reserve",
            json!({"connector_id": 1, "id_tag": "C1", "expiry_date": "2099-01-01T00:00:00Z"}),
            "",
        );
        let id = answer(&mut cp, "ReserveNow", json!({"status": "Accepted"})).await
            ["reservationId"]
            .clone();
        pending.await.unwrap();
        let (_, r) = app.get(&format!("/api/v3/reservations/{id}")).await;
        assert_eq!(r["data"]["status"], "active");
        let tx = cp.call("StartTransaction", json!({"connectorId": 1, "idTag": "C1", "meterStart": 0, "timestamp": "2025-01-01T00:00:00Z", "reservationId": id})).await["transactionId"].clone();
        let (_, r) = app.get(&format!("/api/v3/reservations/{id}")).await;
        assert_eq!(
            (
                r["data"]["status"].clone(),
                r["data"]["transaction_id"].clone()
            ),
            (json!("used"), tx.clone())
        );
        // stop without a transaction id stops the active one.
        let pending = send(&app, &uuid, "stop", json!({}), "");
        assert_eq!(
            answer(
                &mut cp,
                "RemoteStopTransaction",
                json!({"status": "Accepted"})
            )
            .await["transactionId"],
            tx
        );
        pending.await.unwrap();
        // A rejected reservation is recorded as such.
        let pending = send(
            &app,
            &uuid,
            "reserve",
            json!({"connector_id": 1, "id_tag": "C1", "expiry_date": "2099-01-01T00:00:00Z"}),
            "",
        );
        answer(&mut cp, "ReserveNow", json!({"status": "Occupied"})).await;
        assert_eq!(pending.await.unwrap().1["status"], "Occupied");
        let (_, list) = app
            .get(&format!("/api/v3/reservations?filter[charger_uuid]={uuid}"))
            .await;
        assert_eq!(list["data"][0]["status"], "rejected");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_pending_charger_is_provisioned_then_accepted() {
    for app in apps().await {
        let (status, c) = app
            .post(
                "/api/v3/chargers",
                json!({"identity": "CP-NEW", "boot_policy": "pending"}),
            )
            .await;
        assert_eq!(status, 201, "{c}");
        let uuid = c["data"]["uuid"].as_str().unwrap().to_owned();
        let mut cp = connect(&app, "/CP-NEW").await;
        let boot = cp.boot().await;
        assert_eq!(boot["status"], "Pending");
        // While Pending, other requests are refused; meanwhile Voltgate reads the whole
        // configuration (the two may cross on the wire).
        cp.send_text(r#"[2, "hb-1", "Heartbeat", {}]"#).await;
        let (mut refused, mut read) = (false, false);
        while !(refused && read) {
            let f = cp.recv_text(5).await.expect("a frame");
            if f[0] == 4 {
                assert_eq!(
                    (f[1].clone(), f[2].clone()),
                    (json!("hb-1"), json!("SecurityError"))
                );
                refused = true;
            } else {
                assert_eq!(f[2], "GetConfiguration", "{f}");
                let keys = json!({"configurationKey": [{"key": "HeartbeatInterval", "readonly": false, "value": "900"}]});
                cp.send_text(&json!([3, f[1], keys]).to_string()).await;
                read = true;
            }
        }
        // Then it sets the heartbeat interval and triggers a boot.
        let set = answer(
            &mut cp,
            "ChangeConfiguration",
            json!({"status": "Accepted"}),
        )
        .await;
        assert_eq!(set, json!({"key": "HeartbeatInterval", "value": "300"}));
        let trigger = answer(&mut cp, "TriggerMessage", json!({"status": "Accepted"})).await;
        assert_eq!(trigger["requestedMessage"], "BootNotification");
        assert_eq!(cp.boot().await["status"], "Accepted");
        cp.heartbeat_ok().await;
        let c = app.charger(&uuid).await;
        assert_eq!(c["registration_status"], "accepted");
        let (_, config) = app
            .get(&format!("/api/v3/chargers/{uuid}/configuration"))
            .await;
        assert_eq!(config["data"][0]["value"], "300");
        // Registration is remembered: a reconnect without a boot is served.
        drop(cp);
        app.wait_connection(&uuid, "offline", 5).await;
        let mut cp = connect(&app, "/CP-NEW").await;
        cp.heartbeat_ok().await;
        app.shutdown().await;
    }
}
