//! The WebSocket endpoint: identity, subprotocol, authentication, auto-registration, newest
//! connection wins, dead peers, and one CSMS-initiated call in flight per connection.

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn refuses_unknown_chargers_and_missing_subprotocols_before_the_upgrade() {
    for app in apps().await {
        assert_eq!(
            connect_with(&app, "/NOBODY", Some("ocpp1.6"), None)
                .await
                .err(),
            Some(404)
        );
        app.create_charger("CP-PROTO").await;
        assert_eq!(
            connect_with(&app, "/CP-PROTO", None, None).await.err(),
            Some(400)
        );
        assert_eq!(
            connect_with(&app, "/CP-PROTO", Some("ocpp0.1"), None)
                .await
                .err(),
            Some(400)
        );
        assert_eq!(
            connect_with(&app, "/CP-PROTO", Some("ocpp2.0.1"), None)
                .await
                .err(),
            Some(400)
        );
        // Several offers: ocpp1.6 is picked.
        let mut cp = connect_with(&app, "/a/b/CP-PROTO", Some("ocpp0.1, ocpp1.6"), None)
            .await
            .expect("ocpp1.6 among offers");
        cp.heartbeat_ok().await;
        // A plain HTTP GET explains itself.
        let resp = reqwest::get(format!("http://{}/CP-PROTO", app.ocpp_addr))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 426);
        assert!(resp.text().await.unwrap().contains("ocpp1.6"));
        app.shutdown().await;
    }
}

#[tokio::test]
async fn auto_register_creates_unknown_chargers_in_the_admin_team() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url, |c| c.auto_register = true).await;
        let mut cp = connect(&app, "/ocpp/NEW-ONE").await;
        cp.boot().await;
        let (_, list) = app.get("/api/v3/chargers?search=new-one").await;
        assert_eq!(list["meta"]["total"], 1, "{list}");
        assert_eq!(list["data"][0]["connection_status"], "online");
        assert_eq!(list["data"][0]["vendor"], "Acme");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_charger_with_a_password_needs_http_basic_auth() {
    for app in apps().await {
        let (status, body) = app
            .post(
                "/api/v3/chargers",
                json!({"identity": "CP-SECURE", "password": "s3cret-key-123"}),
            )
            .await;
        assert_eq!(status, 201);
        assert_eq!(body["data"]["has_password"], true);
        assert!(
            body["data"].get("password").is_none(),
            "the password is never returned"
        );
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            connect_with(&app, "/CP-SECURE", Some("ocpp1.6"), None)
                .await
                .err(),
            Some(401)
        );
        assert_eq!(
            connect_with(
                &app,
                "/CP-SECURE",
                Some("ocpp1.6"),
                Some(&b64("CP-SECURE:wrong"))
            )
            .await
            .err(),
            Some(401)
        );
        assert_eq!(
            connect_with(
                &app,
                "/CP-SECURE",
                Some("ocpp1.6"),
                Some(&b64("OTHER:s3cret-key-123"))
            )
            .await
            .err(),
            Some(401)
        );
        let mut cp = connect_with(
            &app,
            "/CP-SECURE",
            Some("ocpp1.6"),
            Some(&b64("CP-SECURE:s3cret-key-123")),
        )
        .await
        .expect("right credentials");
        cp.heartbeat_ok().await;
        app.shutdown().await;
    }
}

#[tokio::test]
async fn the_newest_connection_of_an_identity_wins() {
    for app in apps().await {
        let uuid = app.create_charger("CP-TWICE").await;
        let mut first = connect(&app, "/CP-TWICE").await;
        first.boot().await;
        let mut second = connect(&app, "/CP-TWICE").await;
        assert_eq!(
            first.closed_with(5).await,
            Some(1000),
            "the old connection is closed"
        );
        second.heartbeat_ok().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            app.charger(&uuid).await["connection_status"],
            "online",
            "the old socket's end does not mark the charger offline"
        );
        // CSMS-initiated calls go to the new socket.
        let registry = app.registry.clone().unwrap();
        let call = tokio::spawn(async move {
            registry
                .call("CP-TWICE", "ClearCache", json!({}), Duration::from_secs(5))
                .await
        });
        let frame = second.recv_text(5).await.unwrap();
        assert_eq!(frame[2], "ClearCache");
        second
            .send_text(&json!([3, frame[1], {"status": "Accepted"}]).to_string())
            .await;
        assert_eq!(call.await.unwrap().unwrap(), json!({"status": "Accepted"}));
        app.shutdown().await;
    }
}

#[tokio::test]
async fn csms_calls_are_sent_one_at_a_time_and_time_out() {
    for app in apps().await {
        app.create_charger("CP-SERIAL").await;
        let mut cp = connect(&app, "/CP-SERIAL").await;
        cp.boot().await;
        let registry = app.registry.clone().unwrap();
        let r = registry.clone();
        let a = tokio::spawn(async move {
            r.call(
                "CP-SERIAL",
                "GetConfiguration",
                json!({}),
                Duration::from_secs(5),
            )
            .await
        });
        let b = {
            let r = registry.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                r.call("CP-SERIAL", "ClearCache", json!({}), Duration::from_secs(5))
                    .await
            })
        };
        let first = cp.recv_text(5).await.unwrap();
        assert_eq!(first[2], "GetConfiguration");
        // While the first is unanswered, nothing else arrives.
        let nothing = tokio::time::timeout(Duration::from_millis(400), cp.recv_text(1)).await;
        assert!(
            matches!(nothing, Err(_) | Ok(None)),
            "a second CALL was sent before the first was answered"
        );
        cp.send_text(&json!([3, first[1], {"configurationKey": [{"key": "HeartbeatInterval", "readonly": false, "value": "300"}]}]).to_string()).await;
        let second = cp.recv_text(5).await.unwrap();
        assert_eq!(second[2], "ClearCache");
        cp.send_text(&json!([3, second[1], {"status": "Accepted"}]).to_string())
            .await;
        assert!(a.await.unwrap().unwrap()["configurationKey"].is_array());
        assert_eq!(b.await.unwrap().unwrap(), json!({"status": "Accepted"}));

        // No answer: the call times out, a late answer is ignored, and the next call goes out.
        let r = registry.clone();
        let timed_out = r
            .call(
                "CP-SERIAL",
                "ClearCache",
                json!({}),
                Duration::from_millis(300),
            )
            .await;
        assert_eq!(timed_out, Err(voltgate_gateway::CallFailure::Timeout));
        let late = cp.recv_text(5).await.unwrap();
        cp.send_text(&json!([3, late[1], {"status": "Accepted"}]).to_string())
            .await;
        cp.heartbeat_ok().await;
        // A charger's CALLERROR reaches the caller; a schema-invalid answer is reported as such.
        let r = registry.clone();
        let pending = tokio::spawn(async move {
            r.call("CP-SERIAL", "ClearCache", json!({}), Duration::from_secs(5))
                .await
        });
        let f = cp.recv_text(5).await.unwrap();
        cp.send_text(&json!([4, f[1], "NotSupported", "no cache here", {}]).to_string())
            .await;
        assert!(
            matches!(pending.await.unwrap(), Err(voltgate_gateway::CallFailure::CallError { code, .. }) if code == "NotSupported")
        );
        let r = registry.clone();
        let pending = tokio::spawn(async move {
            r.call("CP-SERIAL", "ClearCache", json!({}), Duration::from_secs(5))
                .await
        });
        let f = cp.recv_text(5).await.unwrap();
        cp.send_text(&json!([3, f[1], {"status": "Maybe"}]).to_string())
            .await;
        assert!(matches!(
            pending.await.unwrap(),
            Err(voltgate_gateway::CallFailure::InvalidResponse(_))
        ));
        // Offline chargers are reported at once.
        assert_eq!(
            registry
                .call(
                    "NOT-CONNECTED",
                    "ClearCache",
                    json!({}),
                    Duration::from_secs(1)
                )
                .await,
            Err(voltgate_gateway::CallFailure::NotConnected)
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_silent_peer_is_disconnected_and_marked_offline() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url, |c| {
            c.ping_interval = Duration::from_millis(200);
            c.idle_timeout = Duration::from_millis(600);
        })
        .await;
        let uuid = app.create_charger("CP-SILENT").await;
        // A raw client that never reads (so never answers pings) and sends nothing.
        let raw = RawWs::connect(&app, "CP-SILENT").await;
        app.wait_connection(&uuid, "online", 5).await;
        let c = app.wait_connection(&uuid, "offline", 5).await;
        assert!(c["last_disconnection_at"].is_string());
        drop(raw);
        // A charger that answers pings stays online past the idle timeout.
        let mut cp = connect(&app, "/CP-SILENT").await;
        let reader = tokio::spawn(async move {
            let _ = cp.recv_text(2).await; // reading lets the client answer pings
            cp
        });
        let _cp = reader.await.unwrap();
        assert_eq!(app.charger(&uuid).await["connection_status"], "online");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn deleting_a_connected_charger_closes_it_and_others_keep_writing() {
    for app in apps().await {
        let doomed = app.create_charger("CP-DOOMED").await;
        let other = app.create_charger("CP-OTHER").await;
        app.post("/api/v3/cards", json!({"uid": "T"})).await;
        let mut a = connect(&app, "/CP-DOOMED").await;
        let mut b = connect(&app, "/CP-OTHER").await;
        a.boot().await;
        b.boot().await;
        let (status, _) = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v3/chargers/{doomed}"),
                None,
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(
            a.closed_with(5).await,
            Some(1000),
            "the deleted charger's socket is closed"
        );
        assert_eq!(app.get(&format!("/api/v3/chargers/{doomed}")).await.0, 404);
        // The other charger's durable writes are unaffected.
        let tx = b.call("StartTransaction", json!({"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2025-01-01T00:00:00Z"})).await["transactionId"].clone();
        let mv = json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": "2025-01-01T00:01:00Z", "sampledValue": [{"value": "10"}]}]});
        assert_eq!(b.call("MeterValues", mv).await, json!({}));
        let (_, values) = app
            .get(&format!("/api/v3/chargers/{other}/metervalues"))
            .await;
        assert_eq!(values["meta"]["total"], 1);
        app.shutdown().await;
    }
}
