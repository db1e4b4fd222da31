//! The simulator API (seed 004, OCPPLAB) end to end: simulated chargers created over HTTP,
//! provisioned, started, driven by commands, connecting to the real application over real
//! sockets; their frames in the logs; partial updates, deletes and locations; errors in
//! OCPPLAB's shapes; runtimes that start again after a restart; and demo mode.

use std::future::Future;
use std::time::Duration;

use serde_json::{json, Value};
use voltgate::{Application, Config};

use crate::support::*;

/// Polls `check` every 50 ms until it returns `Some`, or fails after `secs`.
async fn poll<F, Fut>(what: &str, secs: u64, mut check: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<Value>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.request(reqwest::Method::PUT, path, Some(body)).await
}

async fn delete(app: &TestApp, path: &str) -> (u16, Value) {
    app.request(reqwest::Method::DELETE, path, None).await
}

/// Creates a definition and waits until its provisioning finished; returns (id, status).
async fn create_definition(app: &TestApp, body: Value) -> (String, Value) {
    let (status, created) = app.post("/ocpp/chargers", body).await;
    assert_eq!(status, 202, "{}: {created}", app.backend);
    let id = created["charger_id"].as_str().unwrap().to_owned();
    assert_eq!(created["status"], "PROVISIONING", "{created}");
    assert_eq!(
        created["status_url"],
        format!("/ocpp/chargers/{id}/status"),
        "{created}"
    );
    let url = created["status_url"].as_str().unwrap().to_owned();
    let done = poll("provisioning", 10, || async {
        let (_, status) = app.get(&url).await;
        matches!(status["status"].as_str(), Some("READY" | "FAILED")).then_some(status)
    })
    .await;
    (id, done)
}

/// Sends a command and waits for its outcome.
async fn command(app: &TestApp, charger: &str, name: &str, body: Value) -> Value {
    let (status, queued) = app
        .post(&format!("/ocpp/chargers/{charger}/commands/{name}"), body)
        .await;
    assert_eq!(status, 202, "{name}: {queued}");
    assert_eq!(queued["command"], name);
    let url = queued["status_url"].as_str().unwrap().to_owned();
    poll(name, 15, || async {
        let (_, view) = app.get(&url).await;
        matches!(view["status"].as_str(), Some("SUCCEEDED" | "FAILED")).then_some(view)
    })
    .await
}

/// The charger Voltgate has for `identity` (in its own API).
async fn voltgate_charger(app: &TestApp, identity: &str) -> Option<Value> {
    let (status, list) = app
        .get(&format!("/api/v3/chargers?filter[search]={identity}"))
        .await;
    assert_eq!(status, 200, "{list}");
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["identity"] == identity)
        .cloned()
}

async fn runtime_state(app: &TestApp, id: &str) -> Value {
    let (status, runtime) = app.get(&format!("/ocpp/chargers/{id}/runtime")).await;
    assert_eq!(status, 200, "{runtime}");
    runtime
}

/// Waits until the runtime reaches `state` (its boot may still be finishing when the charger
/// already shows online); fails with the last state after 15 s.
async fn wait_runtime(app: &TestApp, id: &str, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let runtime = runtime_state(app, id).await;
        if runtime["state"] == state || tokio::time::Instant::now() >= deadline {
            return runtime;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_simulated_charger_charges_through_the_simulator_api() {
    for app in apps().await {
        let (status, _) = app.post("/api/v3/cards", json!({"uid": "SIM-CARD"})).await;
        assert_eq!(status, 201);
        let (id, provisioned) = create_definition(
            &app,
            json!({"identity": "LAB-CP-1", "charge_point_name": "Bay 1", "max_charging_power": 11040,
                "location_name": "Depot"}),
        )
        .await;
        assert_eq!(provisioned["status"], "READY", "{provisioned}");
        assert_eq!(provisioned["error"], Value::Null);
        assert!(provisioned["provisioned_at"]
            .as_str()
            .unwrap()
            .ends_with('Z'));
        assert!(provisioned["workflow_run_id"]
            .as_str()
            .unwrap()
            .starts_with("wf-"));
        let (_, definition) = app.get(&format!("/ocpp/chargers/{id}")).await;
        assert_eq!(definition["name"], "Bay 1");
        assert_eq!(definition["runtime_state"], "stopped");
        assert_eq!(
            definition["ws_url"],
            format!("ws://{}/ocpp", app.ocpp_addr),
            "defaults to this Voltgate"
        );
        let charger = voltgate_charger(&app, "LAB-CP-1")
            .await
            .expect("provisioning created the charger in Voltgate");
        assert_eq!(charger["connection_status"], "never_seen");
        let uuid = charger["uuid"].as_str().unwrap().to_owned();

        let (status, event) = app
            .post(&format!("/ocpp/chargers/{id}/start-charger"), json!({}))
            .await;
        assert_eq!(status, 200, "{event}");
        assert_eq!(event["event_type"], "start_charger");
        assert_eq!(event["payload"]["desired_count"], 1);
        app.wait_connection(&uuid, "online", 10).await;
        // Voltgate's own remote action reaches the simulated charger over OCPP.
        let (status, changed) = app
            .post(
                &format!("/api/v3/chargers/{uuid}/actions/change-configuration"),
                json!({"key": "MeterValueSampleInterval", "value": "1"}),
            )
            .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["status"], "Accepted", "{changed}");

        let plugged = command(&app, &id, "plug", json!({"connector_id": 1})).await;
        assert_eq!(plugged["status"], "SUCCEEDED", "{plugged}");
        assert_eq!(plugged["result"]["status"], "Preparing");
        // Control routes also take the OCPP identity.
        let started = command(
            &app,
            "LAB-CP-1",
            "start-session",
            json!({"id_tag": "SIM-CARD"}),
        )
        .await;
        assert_eq!(started["status"], "SUCCEEDED", "{started}");
        assert_eq!(started["result"]["status"], "Charging");
        let tx = started["result"]["transaction_id"].as_i64().unwrap();
        assert!(tx > 0, "{started}");
        let (_, transaction) = app.get(&format!("/api/v3/transactions/{tx}")).await;
        assert_eq!(transaction["data"]["status"], "active", "{transaction}");
        assert_eq!(transaction["data"]["id_tag"], "SIM-CARD");

        let energies = poll("two growing energy readings", 15, || async {
            let (_, values) = app
                .get(&format!(
                    "/api/v3/chargers/{uuid}/metervalues?transaction_id={tx}&measurand=Energy.Active.Import.Register&per_page=100"
                ))
                .await;
            let energies: Vec<f64> = values["data"]
                .as_array()?
                .iter()
                .filter_map(|v| v["value"].as_str()?.parse().ok())
                .collect();
            (energies.len() >= 2 && energies.last() > energies.first()).then(|| json!(energies))
        })
        .await;
        assert!(energies[0].as_f64().unwrap() >= 0.0);
        let runtime = runtime_state(&app, &id).await;
        assert_eq!(runtime["state"], "running");
        let connector = &runtime["connectors"][0];
        assert_eq!(connector["status"], "Charging");
        assert_eq!(
            connector["current"], 16.0,
            "11 040 W is 16 A on three phases"
        );
        assert_eq!(connector["power"], 11040.0);

        let stopped = command(&app, &id, "stop-session", json!({})).await;
        assert_eq!(stopped["status"], "SUCCEEDED", "{stopped}");
        assert_eq!(
            stopped["result"]["status"], "Available",
            "unplugged after stopping"
        );
        let (_, transaction) = app.get(&format!("/api/v3/transactions/{tx}")).await;
        let t = &transaction["data"];
        assert_eq!(t["status"], "finished", "{transaction}");
        assert_eq!(t["stop_reason"], "Local");
        assert!(
            t["meter_stop"].as_i64().unwrap() > t["meter_start"].as_i64().unwrap(),
            "energy grew: {t}"
        );

        let (status, logs) = app
            .get(&format!("/ocpp/chargers/{id}/logs?event=StartTransaction"))
            .await;
        assert_eq!(status, 200, "{logs}");
        assert_eq!(logs["total"], 2, "{logs}");
        let call = &logs["data"][0];
        assert_eq!(call["direction"], "cp_to_csms");
        assert_eq!(call["message_type"], "CALL");
        assert!(
            call["message"].as_str().unwrap().contains("SIM-CARD"),
            "{call}"
        );
        let result = &logs["data"][1];
        assert_eq!(result["direction"], "csms_to_cp");
        assert_eq!(result["message_type"], "CALLRESULT");
        assert!(result["message"]
            .as_str()
            .unwrap()
            .contains(&format!("\"transactionId\":{tx}")));
        let (_, all) = app
            .get(&format!("/ocpp/chargers/{id}/logs?limit=1000"))
            .await;
        let total = all["total"].as_u64().unwrap();
        assert!(total > 10, "{all}");
        let (_, page) = app
            .get(&format!(
                "/ocpp/chargers/{id}/logs?limit=2&offset=1&direction=cp_to_csms"
            ))
            .await;
        assert_eq!(page["limit"], 2);
        assert_eq!(page["offset"], 1);
        assert_eq!(page["data"].as_array().unwrap().len(), 2);
        assert!(page["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["direction"] == "cp_to_csms"));
        // The page is the charger's 2nd and 3rd frames of the whole log in that direction
        // (which frame is 2nd is a race: the charger's first StatusNotification and its answer
        // to the ChangeConfiguration sent once it showed online can cross).
        let sent: Vec<&Value> = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["direction"] == "cp_to_csms")
            .collect();
        assert!(
            sent[0]["message"]
                .as_str()
                .unwrap()
                .contains("BootNotification"),
            "the first frame (skipped) is the BootNotification: {all}"
        );
        assert_eq!(page["data"][0]["id"], sent[1]["id"], "{page}");
        assert_eq!(page["data"][1]["id"], sent[2]["id"], "{page}");
        let (_, later) = app
            .get(&format!("/ocpp/chargers/{id}/logs?start_date=2999-01-01"))
            .await;
        assert_eq!(later["total"], 0, "{later}");

        let (status, event) = app
            .post(&format!("/ocpp/chargers/{id}/stop-charger"), json!({}))
            .await;
        assert_eq!(status, 200, "{event}");
        assert_eq!(event["event_type"], "stop_charger");
        assert_eq!(event["payload"]["desired_count"], 0);
        app.wait_connection(&uuid, "offline", 10).await;
        assert_eq!(runtime_state(&app, &id).await["state"], "stopped");
        let (status, refused) = app
            .post(&format!("/ocpp/chargers/{id}/commands/plug"), json!({}))
            .await;
        assert_eq!(status, 409, "{refused}");
        assert!(refused["detail"].as_str().unwrap().contains("not running"));
        app.shutdown().await;
    }
}

#[tokio::test]
async fn definitions_update_partially_and_delete_after_stopping() {
    for app in apps().await {
        let (id, provisioned) = create_definition(
            &app,
            json!({"identity": "LAB-PUT", "name": "Bay A01", "connector_type": "Type2",
                "brand_slug": "wallbox", "model_slug": "pulsar-plus"}),
        )
        .await;
        assert_eq!(provisioned["status"], "READY");
        let (status, updated) = put(
            &app,
            &format!("/ocpp/chargers/{id}"),
            json!({"charge_point_name": "Bay A02", "connector_type": "CCS2"}),
        )
        .await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["name"], "Bay A02");
        assert_eq!(updated["connector_type"], "CCS2");
        assert_eq!(updated["vendor_name"], "Wallbox", "unchanged");
        assert_eq!(updated["model"], "Pulsar Plus", "unchanged");
        assert_eq!(updated["identity"], "LAB-PUT", "unchanged");
        assert_eq!(updated["id"], id);

        let (status, located) = put(
            &app,
            &format!("/ocpp/chargers/{id}"),
            json!({"location_name": "Hub North"}),
        )
        .await;
        assert_eq!(status, 200, "{located}");
        let location_id = located["location_id"].as_str().unwrap().to_owned();
        let (_, location) = app.get(&format!("/ocpp/locations/{location_id}")).await;
        assert_eq!(location["name"], "Hub North");
        assert_eq!(location["slug"], "hub-north");
        let (_, in_location) = app
            .get(&format!("/ocpp/chargers?location_id={location_id}"))
            .await;
        assert_eq!(in_location["total"], 1, "{in_location}");
        let (_, elsewhere) = app
            .get(&format!(
                "/ocpp/chargers?location_id={}",
                uuid::Uuid::new_v4()
            ))
            .await;
        assert_eq!(elsewhere["total"], 0);
        assert_eq!(located["name"], "Bay A02", "still as set before");

        // A new identity is provisioned again and used from the next start on.
        let (status, renamed) = app
            .request(
                reqwest::Method::PATCH,
                &format!("/ocpp/chargers/{id}"),
                Some(json!({"identity": "LAB-RENAMED"})),
            )
            .await;
        assert_eq!(status, 200, "{renamed}");
        assert_eq!(renamed["identity"], "LAB-RENAMED");
        let status = poll("provisioning again", 10, || async {
            let (_, s) = app.get(&format!("/ocpp/chargers/{id}/status")).await;
            (s["status"] == "READY").then_some(s)
        })
        .await;
        assert_eq!(status["identity"], "LAB-RENAMED");
        app.post(&format!("/ocpp/chargers/{id}/start-charger"), json!({}))
            .await;
        let charger = voltgate_charger(&app, "LAB-RENAMED").await.unwrap();
        let uuid = charger["uuid"].as_str().unwrap().to_owned();
        app.wait_connection(&uuid, "online", 10).await;

        let (status, _) = delete(&app, &format!("/ocpp/chargers/{id}")).await;
        assert_eq!(status, 204);
        // The runtime was stopped (Close frame sent) before the delete returned.
        app.wait_connection(&uuid, "offline", 5).await;
        let (status, gone) = app.get(&format!("/ocpp/chargers/{id}")).await;
        assert_eq!(status, 404);
        assert_eq!(gone, json!({"detail": "Charger not found"}));
        let (status, _) = delete(&app, &format!("/ocpp/chargers/{id}")).await;
        assert_eq!(status, 404);

        // Locations: create, partial update, list, delete.
        let (status, created) = app
            .post(
                "/ocpp/locations",
                json!({"name": "Depot South", "city": "Utrecht", "country": "NL", "timezone": "Europe/Amsterdam",
                    "coordinates": {"latitude": 52.09, "longitude": 5.12}, "public": true}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["status"], "active");
        assert_eq!(created["coordinates"]["latitude"], 52.09);
        let lid = created["id"].as_str().unwrap().to_owned();
        let (status, changed) = put(
            &app,
            &format!("/ocpp/locations/{lid}"),
            json!({"city": null, "owner_name": "Ada"}),
        )
        .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["city"], Value::Null);
        assert_eq!(changed["owner_name"], "Ada");
        assert_eq!(changed["country"], "NL", "unchanged");
        assert_eq!(changed["public"], true, "unchanged");
        let (_, list) = app.get("/ocpp/locations?limit=1&page=2").await;
        assert_eq!(list["total"], 2, "{list}");
        assert_eq!(list["page"], 2);
        assert_eq!(list["limit"], 1);
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        let (status, _) = delete(&app, &format!("/ocpp/locations/{lid}")).await;
        assert_eq!(status, 204);
        let (status, missing) = app.get(&format!("/ocpp/locations/{lid}")).await;
        assert_eq!(status, 404);
        assert_eq!(missing["detail"], "Location not found");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn errors_have_the_ocpplab_shapes() {
    for app in apps().await {
        let anonymous = app
            .http
            .get(format!("{}/ocpp/chargers", app.api))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status().as_u16(), 401);
        let body: Value = anonymous.json().await.unwrap();
        assert_eq!(body, json!({"detail": "Not authenticated"}));
        let forged = app
            .http
            .get(format!("{}/ocpp/locations", app.api))
            .bearer_auth("vg_forged")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 401);

        let (status, missing) = app.post("/ocpp/chargers", json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(
            missing,
            json!({"detail": [{"type": "missing", "loc": ["body", "identity"], "msg": "Field required", "input": {}}]})
        );
        let long = "X".repeat(46);
        let (status, invalid) = app
            .post(
                "/ocpp/chargers",
                json!({"identity": long, "ocpp_version": "OCPP2.0.1", "number_of_connectors": 0,
                    "ws_url": "http://example.com", "scenario": "dance"}),
            )
            .await;
        assert_eq!(status, 422);
        let detail = invalid["detail"].as_array().unwrap();
        let kinds: Vec<_> = detail.iter().map(|d| d["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "string_too_long",
                "greater_than_equal",
                "literal_error",
                "value_error",
                "literal_error"
            ],
            "{invalid}"
        );
        assert_eq!(detail[0]["loc"], json!(["body", "identity"]));
        assert_eq!(detail[0]["msg"], "String should have at most 45 characters");
        assert_eq!(detail[0]["ctx"], json!({"max_length": 45}));
        assert_eq!(detail[1]["ctx"], json!({"ge": 1}));
        assert_eq!(detail[2]["msg"], "Input should be 'OCPP1.6'");
        assert_eq!(detail[3]["loc"], json!(["body", "ws_url"]));
        let (status, charset) = app
            .post("/ocpp/chargers", json!({"identity": "has space"}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(charset["detail"][0]["type"], "value_error");
        let (status, catalog) = app
            .post(
                "/ocpp/chargers",
                json!({"identity": "CP-CAT", "brand_slug": "acme", "model_slug": "x"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(catalog["detail"][0]["loc"], json!(["body", "brand_slug"]));

        for (text, kind) in [("[1]", "model_attributes_type"), ("{", "json_invalid")] {
            let response = app
                .http
                .post(format!("{}/ocpp/chargers", app.api))
                .bearer_auth(&app.token)
                .header("content-type", "application/json")
                .body(text)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 422);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["detail"][0]["type"], kind, "{body}");
        }
        let (status, query) = app.get("/ocpp/chargers?limit=101").await;
        assert_eq!(status, 422);
        assert_eq!(query["detail"][0]["loc"], json!(["query", "limit"]));
        assert_eq!(query["detail"][0]["type"], "less_than_equal");
        let (status, not_found) = app.get("/ocpp/chargers/dep-nope").await;
        assert_eq!(status, 404);
        assert_eq!(not_found, json!({"detail": "Charger not found"}));

        let (id, _) = create_definition(&app, json!({"identity": "LAB-ERR"})).await;
        let (status, duplicate) = app
            .post("/ocpp/chargers", json!({"identity": "LAB-ERR"}))
            .await;
        assert_eq!(status, 409);
        assert!(duplicate["detail"].as_str().unwrap().contains("LAB-ERR"));
        let (status, unknown) = app
            .post(&format!("/ocpp/chargers/{id}/commands/dance"), json!({}))
            .await;
        assert_eq!(status, 404);
        assert_eq!(unknown["detail"], "Command not found");
        let (status, bad_connector) = app
            .post(
                &format!("/ocpp/chargers/{id}/commands/plug"),
                json!({"connector_id": 2}),
            )
            .await;
        assert_eq!(status, 422, "only one connector: {bad_connector}");
        assert_eq!(
            bad_connector["detail"][0]["loc"],
            json!(["body", "connector_id"])
        );
        let (status, no_tag) = app
            .post(
                &format!("/ocpp/chargers/{id}/commands/start-session"),
                json!({}),
            )
            .await;
        assert_eq!(status, 422, "{no_tag}");
        assert_eq!(no_tag["detail"][0]["loc"], json!(["body", "id_tag"]));

        // An identity that belongs to another team in this Voltgate cannot be provisioned.
        let (status, team) = app.post("/api/v3/teams", json!({"name": "Other"})).await;
        assert_eq!(status, 201, "{team}");
        let (status, _) = app
            .post(
                "/api/v3/chargers",
                json!({"identity": "LAB-TAKEN", "team_uuid": team["data"]["uuid"]}),
            )
            .await;
        assert_eq!(status, 201);
        let (taken, failed) = create_definition(&app, json!({"identity": "LAB-TAKEN"})).await;
        assert_eq!(failed["status"], "FAILED", "{failed}");
        assert_eq!(failed["error"]["code"], "IDENTITY_TAKEN");
        assert_eq!(failed["error"]["retryable"], false);
        let (status, conflict) = app
            .post(&format!("/ocpp/chargers/{taken}/start-charger"), json!({}))
            .await;
        assert_eq!(status, 409);
        assert!(
            conflict["detail"].as_str().unwrap().contains("FAILED"),
            "{conflict}"
        );

        // Another user's definitions do not exist for this one.
        let stranger = stranger_token(&app).await;
        let foreign = app
            .http
            .get(format!("{}/ocpp/chargers/{id}", app.api))
            .bearer_auth(&stranger)
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status().as_u16(), 404);
        let listed: Value = app
            .http
            .get(format!("{}/ocpp/chargers", app.api))
            .bearer_auth(&stranger)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["total"], 0, "{listed}");
        app.shutdown().await;
    }
}

/// A token of a new user with a team of their own (made in the database: the API has no
/// sign-up).
async fn stranger_token(app: &TestApp) -> String {
    use voltgate_core::store::AccountStore;
    let db = voltgate_store::Db::connect(&app.database_url)
        .await
        .unwrap();
    let email = format!("{}@example.com", uuid::Uuid::new_v4());
    let user = db.create_user("Stranger", &email, false).await.unwrap();
    db.create_team(user.id, "Stranger's team", None, "Personal", true)
        .await
        .unwrap();
    let token = voltgate_core::auth::generate_token();
    db.create_token(user.id, "test", &voltgate_core::auth::hash_token(&token))
        .await
        .unwrap();
    db.close().await;
    token
}

/// The application again on an existing database (no new admin token: the old one still works).
async fn restart(
    backend: &'static str,
    database_url: String,
    token: String,
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
        .expect("the application builds again");
    assert!(app.admin_token().is_none(), "the admin exists already");
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

#[tokio::test]
async fn running_definitions_start_again_after_a_restart() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url.clone(), |_| {}).await;
        app.post("/api/v3/cards", json!({"uid": "RESTART-CARD"}))
            .await;
        let (running, _) = create_definition(&app, json!({"identity": "LAB-KEEP"})).await;
        let (idle, _) = create_definition(&app, json!({"identity": "LAB-IDLE"})).await;
        app.post(
            &format!("/ocpp/chargers/{running}/start-charger"),
            json!({}),
        )
        .await;
        let uuid = voltgate_charger(&app, "LAB-KEEP").await.unwrap()["uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        app.wait_connection(&uuid, "online", 10).await;
        let started = command(
            &app,
            &running,
            "start-session",
            json!({"id_tag": "RESTART-CARD"}),
        )
        .await;
        assert_eq!(started["status"], "SUCCEEDED", "{started}");
        let tx = started["result"]["transaction_id"].as_i64().unwrap();
        let token = app.token.clone();
        app.shutdown().await;

        let app = restart(backend, url, token, |_| {}).await;
        let (_, transaction) = app.get(&format!("/api/v3/transactions/{tx}")).await;
        assert_eq!(
            transaction["data"]["status"], "finished",
            "{backend}: the session ended when Voltgate stopped: {transaction}"
        );
        assert_eq!(transaction["data"]["stop_reason"], "Reboot");
        app.wait_connection(&uuid, "online", 15).await;
        assert_eq!(
            wait_runtime(&app, &running, "running").await["state"],
            "running"
        );
        let idle_runtime = runtime_state(&app, &idle).await;
        assert_eq!(idle_runtime["state"], "stopped", "{idle_runtime}");
        assert_eq!(idle_runtime["desired_state"], "stopped");
        let charger = app.charger(&uuid).await;
        assert_eq!(charger["connection_status"], "online");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn demo_mode_produces_a_charging_session() {
    let demo = |config: &mut Config| {
        config.demo = true;
        config.lab.session_duration = Duration::from_millis(2500);
        config.lab.session_pause = Duration::from_millis(300);
        config.lab.scenario_meter_interval = 1;
    };
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url.clone(), demo).await;
        let session = poll("a finished demo session", 30, || async {
            let (_, list) = app
                .get("/api/v3/transactions?filter[status]=finished")
                .await;
            list["data"]
                .as_array()?
                .iter()
                .find(|t| {
                    t["id_tag"]
                        .as_str()
                        .is_some_and(|tag| tag.starts_with("DEMO-CARD-"))
                        && t["meter_stop"].as_i64() > t["meter_start"].as_i64()
                })
                .cloned()
        })
        .await;
        let charger = session["charger_uuid"].as_str().unwrap();
        let (_, values) = app
            .get(&format!(
                "/api/v3/chargers/{charger}/metervalues?transaction_id={}",
                session["id"]
            ))
            .await;
        assert!(
            !values["data"].as_array().unwrap().is_empty(),
            "{backend}: the session sent meter values"
        );
        let (_, sites) = app.get("/api/v3/sites").await;
        let site = sites["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Voltgate demo site")
            .cloned()
            .expect("the demo site");
        assert_eq!(site["chargers_count"], 3, "{site}");
        let (_, definitions) = app.get("/ocpp/chargers").await;
        assert_eq!(definitions["total"], 3);
        let token = app.token.clone();
        app.shutdown().await;

        // Once only: a second start with --demo finds everything in place.
        let app = restart(backend, url, token, demo).await;
        let (_, definitions) = app.get("/ocpp/chargers").await;
        assert_eq!(definitions["total"], 3, "{backend}: nothing duplicated");
        let (_, cards) = app.get("/api/v3/cards?per_page=100").await;
        let demo_cards = cards["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["uid"].as_str().unwrap().starts_with("DEMO-CARD-"))
            .count();
        assert_eq!(demo_cards, 3);
        poll("demo chargers running again", 15, || async {
            let (_, list) = app.get("/ocpp/chargers").await;
            list["data"]
                .as_array()?
                .iter()
                .all(|c| c["runtime_state"] == "running")
                .then_some(Value::Null)
        })
        .await;
        app.shutdown().await;
    }
}

#[tokio::test]
async fn the_simulator_api_documents_itself_as_openapi() {
    for app in apps().await {
        let doc: Value = app
            .http
            .get(format!("{}/ocpp/openapi.json", app.api))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(
            doc["paths"]["/ocpp/chargers"]["post"].is_object(),
            "{}",
            doc["paths"]
        );
        app.shutdown().await;
    }
}
