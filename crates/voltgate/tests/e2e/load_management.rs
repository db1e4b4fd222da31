//! Site load management, circuits, the live allocation and a connector's power usage.

use std::time::Duration;

use serde_json::{json, Value};
use voltgate_core::auth::{generate_token, hash_token};
use voltgate_core::store::AccountStore;
use voltgate_store::Db;

use crate::support::*;

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.request(reqwest::Method::PUT, path, Some(body)).await
}

async fn delete(app: &TestApp, path: &str) -> (u16, Value) {
    app.request(reqwest::Method::DELETE, path, None).await
}

async fn site(app: &TestApp, name: &str) -> String {
    let (status, site) = app
        .post(
            "/api/v3/sites",
            json!({"name": name, "street": "Main", "house_number": 1, "postal_code": "1000AA", "city": "Amsterdam", "country": "NL"}),
        )
        .await;
    assert_eq!(status, 201, "{site}");
    site["data"]["uuid"].as_str().unwrap().to_owned()
}

async fn charger_on(app: &TestApp, identity: &str, site: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v3/chargers",
            json!({"identity": identity, "site_uuid": site}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["data"]["uuid"].as_str().unwrap().to_owned()
}

/// A second user with their own team and token, made directly in the database.
async fn other_user(app: &TestApp) -> String {
    let db = Db::connect(&app.database_url).await.unwrap();
    let user = db
        .create_user(
            "Eve",
            &format!("eve-{}@example.com", uuid::Uuid::new_v4()),
            false,
        )
        .await
        .unwrap();
    db.create_team(user.id, "Eve's team", None, "Personal", true)
        .await
        .unwrap();
    let token = generate_token();
    db.create_token(user.id, "test", &hash_token(&token))
        .await
        .unwrap();
    token
}

fn assert_422(status: u16, got: &Value, field: &str, message: Option<&str>) {
    assert_eq!(status, 422, "{field}: {got}");
    let errors = got["errors"][field]
        .as_array()
        .unwrap_or_else(|| panic!("{field}: {got}"));
    if let Some(m) = message {
        assert!(errors.iter().any(|e| e == m), "{field}: {got}");
    }
}

#[tokio::test]
async fn load_management_round_trips_partially_and_validates() {
    for app in apps().await {
        let site = site(&app, "Depot").await;
        let path = format!("/api/v3/sites/{site}/load-management");
        let (status, got) = app.get(&path).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["max_current"], Value::Null);
        assert_eq!(
            got["data"]["phase_limits"],
            json!([10000.0, 10000.0, 10000.0])
        );
        assert_eq!(got["data"]["allocation"], json!([]));

        for (body, field, message) in [
            (
                json!({"max_current": -1}),
                "max_current",
                "Must be between 0 and 10000.",
            ),
            (
                json!({"max_current": 10001}),
                "max_current",
                "Must be between 0 and 10000.",
            ),
            (
                json!({"available_current": 10001}),
                "available_current",
                "Must not be greater than 10000.",
            ),
            (
                json!({"max_current": 32, "available_current_phase3": 40}),
                "available_current_phase3",
                "Must not be greater than max_current.",
            ),
            (
                json!({"minimum_current": "six"}),
                "minimum_current",
                "Must be a number.",
            ),
            (json!({"fuse": 32}), "fuse", "This field cannot be set."),
        ] {
            let (status, got) = put(&app, &path, body).await;
            assert_422(status, &got, field, Some(message));
        }
        let (_, got) = app.get(&path).await;
        assert_eq!(got["data"]["max_current"], Value::Null, "nothing stored");

        let (status, got) = put(
            &app,
            &path,
            json!({"max_current": 32, "available_current": 25, "available_current_phase2": 20,
                   "three_to_one_phase_switch_current": 8, "minimum_current": 6}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["phase_limits"], json!([25.0, 20.0, 25.0]));
        assert!(got["data"]["updated_at"].as_str().unwrap().ends_with('Z'));

        // Partial: a negative available current clears that override only.
        let (status, got) = put(&app, &path, json!({"available_current": -1})).await;
        assert_eq!(status, 200, "{got}");
        let d = &got["data"];
        assert_eq!(d["available_current"], Value::Null);
        assert_eq!(d["available_current_phase2"], 20.0);
        assert_eq!(d["max_current"], 32.0);
        assert_eq!(d["three_to_one_phase_switch_current"], 8.0);
        assert_eq!(d["minimum_current"], 6.0);
        assert_eq!(d["phase_limits"], json!([32.0, 20.0, 32.0]));
        let (_, again) = app.get(&path).await;
        assert_eq!(again["data"]["phase_limits"], d["phase_limits"]);

        // The fuse cannot drop below a stored available current.
        let (status, got) = put(&app, &path, json!({"max_current": 10})).await;
        assert_422(
            status,
            &got,
            "max_current",
            Some("Must not be less than available_current_phase2 (20)."),
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn circuits_nest_within_their_site_without_cycles() {
    for app in apps().await {
        let site = site(&app, "Depot").await;
        let other_site = site_other(&app).await;
        let base = format!("/api/v3/sites/{site}/circuits");
        let (status, got) = app.post(&base, json!({})).await;
        for field in ["name", "max_current", "phases"] {
            assert_422(status, &got, field, Some("This field is required."));
        }
        let (status, got) = app
            .post(&base, json!({"name": "X", "max_current": 0, "phases": 2}))
            .await;
        assert_422(status, &got, "max_current", Some("Must be greater than 0."));
        assert_422(status, &got, "phases", Some("Must be 1 or 3."));

        let (status, main) = app
            .post(
                &base,
                json!({"name": "Main", "max_current": 25, "phases": 3}),
            )
            .await;
        assert_eq!(status, 201, "{main}");
        let main = main["data"]["uuid"].as_str().unwrap().to_owned();
        let (status, sub) = app
            .post(
                &base,
                json!({"name": "Garage", "max_current": 16, "phases": 1, "parent_circuit_uuid": main}),
            )
            .await;
        assert_eq!(status, 201, "{sub}");
        assert_eq!(sub["data"]["parent_circuit_uuid"], main.as_str());
        assert_eq!(sub["data"]["phases"], 1);
        let sub = sub["data"]["uuid"].as_str().unwrap().to_owned();

        // The parent must be a circuit of the same site.
        let (_, foreign) = app
            .post(
                &format!("/api/v3/sites/{other_site}/circuits"),
                json!({"name": "Elsewhere", "max_current": 10, "phases": 3}),
            )
            .await;
        let foreign = foreign["data"]["uuid"].as_str().unwrap().to_owned();
        for parent in [foreign.clone(), uuid::Uuid::new_v4().to_string()] {
            let (status, got) = app
                .post(
                    &base,
                    json!({"name": "Bad", "max_current": 10, "phases": 3, "parent_circuit_uuid": parent}),
                )
                .await;
            assert_422(
                status,
                &got,
                "parent_circuit_uuid",
                Some("Must be a circuit of this site."),
            );
        }
        // No cycles: not itself, not one of its sub-circuits.
        for parent in [&main, &sub] {
            let (status, got) = put(
                &app,
                &format!("{base}/{main}"),
                json!({"parent_circuit_uuid": parent}),
            )
            .await;
            assert_422(
                status,
                &got,
                "parent_circuit_uuid",
                Some("Must not be the circuit itself or one of its sub-circuits."),
            );
        }
        let (status, got) = put(
            &app,
            &format!("{base}/{sub}"),
            json!({"name": "Garage 2", "max_current": 20}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["name"], "Garage 2");
        assert_eq!(got["data"]["max_current"], 20.0);
        assert_eq!(got["data"]["phases"], 1, "unchanged");
        assert_eq!(got["data"]["parent_circuit_uuid"], main.as_str());

        let (_, list) = app.get(&base).await;
        assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");
        let (status, _) = app
            .get(&format!("/api/v3/sites/{other_site}/circuits/{main}"))
            .await;
        assert_eq!(status, 404, "a circuit belongs to its site");

        // Chargers: only those of the site, with a priority.
        let here = charger_on(&app, "CP-CIRC-1", &site).await;
        let there = charger_on(&app, "CP-CIRC-2", &other_site).await;
        let (status, got) = put(&app, &format!("{base}/{sub}/chargers/{there}"), json!({})).await;
        assert_422(
            status,
            &got,
            "charger",
            Some("The charger is not on this site."),
        );
        let (status, got) = put(
            &app,
            &format!("{base}/{sub}/chargers/{here}"),
            json!({"priority": 1001}),
        )
        .await;
        assert_422(status, &got, "priority", None);
        let (status, got) = put(
            &app,
            &format!("{base}/{sub}/chargers/{here}"),
            json!({"priority": 5}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(
            got["data"]["chargers"],
            json!([{"uuid": here, "identity": "CP-CIRC-1", "priority": 5}])
        );
        // Attaching elsewhere moves it.
        put(&app, &format!("{base}/{main}/chargers/{here}"), json!({})).await;
        let (_, got) = app.get(&format!("{base}/{sub}")).await;
        assert_eq!(got["data"]["chargers"], json!([]));
        let (status, _) = delete(&app, &format!("{base}/{sub}/chargers/{here}")).await;
        assert_eq!(status, 404, "not attached there");
        let (status, _) = delete(&app, &format!("{base}/{main}/chargers/{here}")).await;
        assert_eq!(status, 204);

        let (status, got) = delete(&app, &format!("{base}/{main}")).await;
        assert_eq!(status, 409, "it has a sub-circuit: {got}");
        let (status, _) = delete(&app, &format!("{base}/{sub}")).await;
        assert_eq!(status, 204);
        let (status, _) = app.get(&format!("{base}/{sub}")).await;
        assert_eq!(status, 404);
        let (status, _) = delete(&app, &format!("{base}/{main}")).await;
        assert_eq!(status, 204);
        app.shutdown().await;
    }
}

async fn site_other(app: &TestApp) -> String {
    site(app, "Elsewhere").await
}

/// Connects, boots, reports connector 1 and starts a session there.
async fn start_session(app: &TestApp, identity: &str) -> Charger {
    let mut cp = connect(app, &format!("/ocpp/{identity}")).await;
    assert_eq!(cp.boot().await["status"], "Accepted");
    cp.call(
        "StatusNotification",
        json!({"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}),
    )
    .await;
    cp
}

async fn start(cp: &mut Charger) -> i64 {
    let started = cp
        .call(
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "LM-TAG", "meterStart": 0, "timestamp": "2025-07-04T13:00:00Z"}),
        )
        .await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted", "{started}");
    started["transactionId"].as_i64().unwrap()
}

#[tokio::test]
async fn the_allocation_shares_a_32_a_fuse_across_circuits_and_phases() {
    for app in apps().await {
        let site = site(&app, "Depot").await;
        app.post("/api/v3/cards", json!({"uid": "LM-TAG"})).await;
        let lm = format!("/api/v3/sites/{site}/load-management");
        let (status, got) = put(&app, &lm, json!({"max_current": 32})).await;
        assert_eq!(status, 200, "{got}");
        let (_, garage) = app
            .post(
                &format!("/api/v3/sites/{site}/circuits"),
                json!({"name": "Garage", "max_current": 16, "phases": 3}),
            )
            .await;
        let garage = garage["data"]["uuid"].as_str().unwrap().to_owned();
        // A: three phases below the fuse; B: single phase on L2 and C: three phases, both in
        // the garage; D: on the site, no session.
        let a = charger_on(&app, "LM-A", &site).await;
        let b = charger_on(&app, "LM-B", &site).await;
        let c = charger_on(&app, "LM-C", &site).await;
        let d = charger_on(&app, "LM-D", &site).await;
        for ch in [&b, &c] {
            let (status, got) = put(
                &app,
                &format!("/api/v3/sites/{site}/circuits/{garage}/chargers/{ch}"),
                json!({"priority": 0}),
            )
            .await;
            assert_eq!(status, 200, "{got}");
        }
        let mut sockets = Vec::new();
        for identity in ["LM-A", "LM-B", "LM-C"] {
            sockets.push(start_session(&app, identity).await);
        }
        let (status, got) = put(
            &app,
            &format!("/api/v3/chargers/{b}/connectors/1"),
            json!({"phase_rotation": "L2"}),
        )
        .await;
        assert_eq!(status, 200, "{got}");

        // Connected, no sessions yet: everyone idle.
        let (_, got) = app.get(&lm).await;
        let alloc = got["data"]["allocation"].as_array().unwrap().clone();
        assert_eq!(alloc.len(), 4, "{got}");
        assert!(
            alloc
                .iter()
                .all(|x| x["reason"] == "idle" && x["current"] == 0.0),
            "{got}"
        );

        for cp in &mut sockets {
            start(cp).await;
        }
        // Let the load controller send the new limits, and take them (a charger answers its
        // central system's calls; these test sockets do so while they wait for an answer).
        tokio::time::sleep(Duration::from_millis(500)).await;
        for cp in &mut sockets {
            cp.heartbeat_ok().await;
        }
        let (status, got) = app.get(&lm).await;
        assert_eq!(status, 200);
        let by = |uuid: &str| -> Value {
            got["data"]["allocation"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["uuid"] == uuid)
                .unwrap()
                .clone()
        };
        let (xa, xb, xc, xd) = (by(&a), by(&b), by(&c), by(&d));
        assert_eq!(xb["phases"], json!(["L2"]), "{got}");
        assert_eq!(xa["phases"], json!(["L1", "L2", "L3"]));
        assert_eq!(xb["circuit_uuid"], garage.as_str());
        assert_eq!(xa["circuit_uuid"], Value::Null);
        assert_eq!(xd["reason"], "idle");
        // Garage L2 holds B and C: 8 A each; A gets what the fuse leaves on L2.
        assert_eq!(xb["current"], 8.0, "{got}");
        assert_eq!(xc["current"], 8.0, "{got}");
        assert_eq!(xa["current"], 16.0, "{got}");
        for x in [&xa, &xb, &xc] {
            assert_eq!(x["active"], true);
            assert_eq!(x["reason"], "circuit_limit", "{got}");
            assert!(x["current"].as_f64().unwrap() >= x["min_current"].as_f64().unwrap());
        }
        // Never above any limit: each fuse phase, and each garage phase.
        let limits = got["data"]["phase_limits"].as_array().unwrap();
        let totals = got["data"]["allocated_per_phase"].as_array().unwrap();
        assert_eq!(
            totals,
            &vec![json!(24.0), json!(32.0), json!(24.0)],
            "{got}"
        );
        for p in 0..3 {
            assert!(totals[p].as_f64().unwrap() <= limits[p].as_f64().unwrap() + 1e-9);
            let name = ["L1", "L2", "L3"][p];
            let garage_load: f64 = [&xb, &xc]
                .iter()
                .filter(|x| x["phases"].as_array().unwrap().iter().any(|n| n == name))
                .map(|x| x["current"].as_f64().unwrap())
                .sum();
            assert!(garage_load <= 16.0 + 1e-9, "{name}: {got}");
        }

        // C's EV draws only 5 A: C keeps 5 A + the 2 A margin and B gets the rest of the garage.
        // A draw counts only below what C was offered, so first let C take its 8 A (it held 0 A
        // while idle; the raise may still be on its way).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while sockets[2].last_limit() != Some(8.0) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "C never received its 8 A: {:?}",
                sockets[2].profiles
            );
            for cp in &mut sockets {
                cp.heartbeat_ok().await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let mv = json!({"connectorId": 1, "meterValue": [{"timestamp": now, "sampledValue": [
            {"value": "5", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            {"value": "4.8", "measurand": "Current.Import", "phase": "L2", "unit": "A"}
        ]}]});
        assert_eq!(sockets[2].call("MeterValues", mv).await, json!({}));
        sockets[2].heartbeat_ok().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let got = loop {
            let (_, got) = app.get(&lm).await;
            let xc = got["data"]["allocation"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["uuid"] == c.as_str())
                .unwrap()
                .clone();
            if xc["measured_current"] == 5.0 {
                break got;
            }
            assert!(tokio::time::Instant::now() < deadline, "{got}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let find = |uuid: &str| -> Value {
            got["data"]["allocation"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["uuid"] == uuid)
                .unwrap()
                .clone()
        };
        assert_eq!(find(&c)["current"], 7.0, "{got}");
        assert_eq!(find(&c)["reason"], "at_cap", "{got}");
        assert_eq!(find(&b)["current"], 9.0, "{got}");

        // A lower available current on L2 lowers every share on it.
        put(&app, &lm, json!({"available_current_phase2": 20})).await;
        let (_, got) = app.get(&lm).await;
        let totals = got["data"]["allocated_per_phase"].as_array().unwrap();
        assert!(totals[1].as_f64().unwrap() <= 20.0 + 1e-9, "{got}");
        assert!(got["data"]["allocation"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["current"] == 0.0 || x["current"].as_f64().unwrap() >= 6.0));

        // Another team sees none of it.
        let eve = other_user(&app).await;
        for path in [
            lm.clone(),
            format!("/api/v3/sites/{site}/circuits"),
            format!("/api/v3/sites/{site}/circuits/{garage}"),
            format!("/api/v3/chargers/{a}/connectors/1/power-usage"),
        ] {
            let r = app
                .http
                .get(format!("{}{path}", app.api))
                .bearer_auth(&eve)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 404, "{path}");
        }
        let r = app
            .http
            .put(format!("{}{lm}", app.api))
            .bearer_auth(&eve)
            .json(&json!({"max_current": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        let r = app
            .http
            .put(format!(
                "{}/api/v3/sites/{site}/circuits/{garage}/chargers/{a}",
                app.api
            ))
            .bearer_auth(&eve)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        drop(sockets);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn power_usage_shows_the_latest_currents_per_phase() {
    for app in apps().await {
        let uuid = app.create_charger("LM-POWER").await;
        app.post("/api/v3/cards", json!({"uid": "LM-TAG"})).await;
        let path = format!("/api/v3/chargers/{uuid}/connectors/1/power-usage");
        let (status, _) = app.get(&path).await;
        assert_eq!(status, 404, "no such connector yet");
        let mut cp = start_session(&app, "LM-POWER").await;
        let (status, got) = app.get(&path).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(
            got["data"],
            json!({"timestamp": null, "L1": "-", "L2": "-", "L3": "-", "kW": "-"})
        );
        let tx = start(&mut cp).await;
        let mv = |at: &str, l1: &str, l2: &str, watts: &str| {
            json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": at, "sampledValue": [
                {"value": watts, "measurand": "Power.Active.Import", "unit": "W"},
                {"value": l1, "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": l2, "measurand": "Current.Import", "phase": "L2", "unit": "A"},
                {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"}
            ]}]})
        };
        assert_eq!(
            cp.call(
                "MeterValues",
                mv("2025-07-04T13:10:00Z", "16", "16", "7360")
            )
            .await,
            json!({})
        );
        assert_eq!(
            cp.call(
                "MeterValues",
                mv("2025-07-04T13:20:00Z", "10.5", "10.4", "4800")
            )
            .await,
            json!({})
        );
        cp.heartbeat_ok().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let got = loop {
            let (status, got) = app.get(&path).await;
            assert_eq!(status, 200, "{got}");
            if got["data"]["timestamp"]
                .as_str()
                .is_some_and(|t| t.starts_with("2025-07-04T13:20:00"))
            {
                break got;
            }
            assert!(tokio::time::Instant::now() < deadline, "{got}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(got["data"]["L1"], "10.5");
        assert_eq!(got["data"]["L2"], "10.4");
        assert_eq!(got["data"]["L3"], "-", "a phase not in use");
        assert_eq!(got["data"]["kW"], "4.80");
        let (status, _) = app
            .get(&format!("/api/v3/chargers/{uuid}/connectors/2/power-usage"))
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .get(&format!("/api/v3/chargers/{uuid}/connectors/x/power-usage"))
            .await;
        assert_eq!(status, 404);
        app.shutdown().await;
    }
}
