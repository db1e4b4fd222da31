//! The connection itself: CSMS-initiated calls, Basic auth, subprotocol, dropping and reconnecting.

use std::time::Duration;

use serde_json::{json, Value};
use voltgate_sim::{
    default_response, Backoff, CallErrorInfo, ChargerConfig, HandlerContext, SimCharger, SimError,
};

use crate::server::{eventually, Options, TestServer};

fn config(server: &TestServer, identity: &str) -> ChargerConfig {
    ChargerConfig {
        call_timeout: Duration::from_secs(5),
        ..ChargerConfig::new(server.url(), identity)
    }
}

#[tokio::test]
async fn answers_an_unknown_action_with_not_implemented() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-UNKNOWN"))
        .await
        .unwrap();

    let answer = server.call("CP-UNKNOWN", "ClearCache", json!({})).await;
    assert_eq!(answer[0], 3, "{answer}");
    assert_eq!(answer[1], "srv-1");
    assert_eq!(answer[2], json!({"status": "Accepted"}));
    let answer = server.call("CP-UNKNOWN", "Dance", json!({})).await;
    assert_eq!(answer[0], 4);
    assert_eq!(answer[2], "NotImplemented");

    let frames = charger.frames();
    let clear = frames
        .iter()
        .position(|f| f.text.contains("ClearCache"))
        .unwrap();
    assert_eq!(frames[clear].direction, voltgate_sim::Direction::CsmsToCp);
    assert_eq!(
        frames[clear + 1].direction,
        voltgate_sim::Direction::CpToCsms
    );
    assert!(frames[clear + 1].text.starts_with(r#"[3,"srv-1""#));
}

#[tokio::test]
async fn a_custom_handler_decides_the_answers() {
    let server = TestServer::start(Options::default()).await;
    let handler = |ctx: &mut HandlerContext<'_>, action: &str, payload: &Value| match action {
        "Reset" => Ok(json!({"status": "Rejected"})),
        "UnlockConnector" => Err(CallErrorInfo::new("InternalError", "stuck")),
        _ => default_response(ctx, action, payload),
    };
    let _charger = SimCharger::connect_with_handler(config(&server, "CP-CUSTOM"), handler)
        .await
        .unwrap();
    let answer = server
        .call("CP-CUSTOM", "Reset", json!({"type": "Hard"}))
        .await;
    assert_eq!(answer[2], json!({"status": "Rejected"}));
    let answer = server
        .call("CP-CUSTOM", "UnlockConnector", json!({"connectorId": 1}))
        .await;
    assert_eq!(answer[2], "InternalError");
    let answer = server.call("CP-CUSTOM", "ClearCache", json!({})).await;
    assert_eq!(answer[2], json!({"status": "Accepted"}));
}

#[tokio::test]
async fn change_configuration_from_the_csms_changes_the_heartbeat() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-CONF"))
        .await
        .unwrap();
    let change = json!({"key": "HeartbeatInterval", "value": "1"});
    let answer = server.call("CP-CONF", "ChangeConfiguration", change).await;
    assert_eq!(answer[2], json!({"status": "Accepted"}));
    assert_eq!(charger.heartbeat_interval(), Some(Duration::from_secs(1)));
    let answer = server
        .call(
            "CP-CONF",
            "GetConfiguration",
            json!({"key": ["HeartbeatInterval"]}),
        )
        .await;
    assert_eq!(answer[2]["configurationKey"][0]["value"], "1");
    eventually("a heartbeat at the new interval", || {
        server
            .calls("CP-CONF")
            .iter()
            .any(|c| c.action == "Heartbeat")
    })
    .await;
}

#[tokio::test]
async fn sends_basic_auth_only_when_a_password_is_set() {
    let server = TestServer::start(Options {
        passwords: [("CP-AUTH".to_owned(), "s3cret".to_owned())].into(),
        ..Options::default()
    })
    .await;
    let with_password = ChargerConfig {
        password: Some("s3cret".into()),
        ..config(&server, "CP-AUTH")
    };
    SimCharger::connect(with_password).await.unwrap();
    let connection = &server.connections("CP-AUTH")[0];
    // base64("CP-AUTH:s3cret")
    assert_eq!(
        connection.authorization.as_deref(),
        Some("Basic Q1AtQVVUSDpzM2NyZXQ=")
    );

    let wrong = ChargerConfig {
        password: Some("guess".into()),
        ..config(&server, "CP-AUTH")
    };
    let error = SimCharger::connect(wrong).await.unwrap_err();
    assert!(
        matches!(&error, SimError::Connect { reason, .. } if reason.contains("401")),
        "{error}"
    );

    SimCharger::connect(config(&server, "CP-OPEN"))
        .await
        .unwrap();
    assert_eq!(server.connections("CP-OPEN")[0].authorization, None);
}

#[tokio::test]
async fn refuses_a_server_that_does_not_select_ocpp16() {
    let server = TestServer::start(Options {
        select_subprotocol: false,
        ..Options::default()
    })
    .await;
    let error = SimCharger::connect(config(&server, "CP-PROTO"))
        .await
        .unwrap_err();
    assert!(matches!(error, SimError::Connect { .. }), "{error}");
    assert!(
        server.calls("CP-PROTO").is_empty(),
        "spoke OCPP without the subprotocol"
    );
}

#[tokio::test]
async fn without_reconnect_a_dropped_connection_stays_closed() {
    let server = TestServer::start(Options::default()).await;
    let charger = SimCharger::connect(config(&server, "CP-DROP"))
        .await
        .unwrap();
    server.drop_connection("CP-DROP").await;
    eventually("the drop to be noticed", || !charger.is_connected()).await;
    let error = charger.heartbeat().await.unwrap_err();
    assert!(matches!(error, SimError::Disconnected(_)), "{error}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        server.connections("CP-DROP").len(),
        1,
        "reconnected although off"
    );
}

#[tokio::test]
async fn reconnects_with_back_off_after_the_server_drops_the_connection() {
    let server = TestServer::start(Options::default()).await;
    let reconnect = Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        multiplier: 2.0,
        jitter: 0.2,
    };
    let charger = SimCharger::connect(ChargerConfig {
        reconnect: Some(reconnect),
        ..config(&server, "CP-BACK")
    })
    .await
    .unwrap();
    server.drop_connection("CP-BACK").await;
    eventually("a second connection", || {
        server.connections("CP-BACK").len() == 2
    })
    .await;
    eventually("the charger to be connected", || {
        charger.reconnections() == 1
    })
    .await;
    assert!(charger.is_connected());
    charger.heartbeat().await.unwrap();
    let actions: Vec<_> = server
        .calls("CP-BACK")
        .into_iter()
        .map(|c| c.action)
        .collect();
    // Boot and 2 statuses; after reconnecting 2 statuses again (no second boot), then heartbeat.
    assert_eq!(
        actions,
        [
            "BootNotification",
            "StatusNotification",
            "StatusNotification",
            "StatusNotification",
            "StatusNotification",
            "Heartbeat"
        ]
    );
}
