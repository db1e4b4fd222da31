//! Every row of OCPP-RPC-RULES.md §1.2 that applies to 1.6: bad input over a real socket gets
//! the exact reaction, and (unless the row closes) the connection still answers a Heartbeat.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::{json, Value};

use crate::support::*;

async fn charger(app: &TestApp, identity: &str) -> Charger {
    app.create_charger(identity).await;
    let mut cp = connect(app, &format!("/{identity}")).await;
    cp.boot().await;
    cp
}

/// Sends raw text and expects a CALLERROR with this id and code.
async fn expect_error(cp: &mut Charger, text: &str, id: &str, code: &str) -> Value {
    cp.send_text(text).await;
    let frame = cp
        .recv_text(5)
        .await
        .unwrap_or_else(|| panic!("no answer to {text}"));
    assert_eq!(frame[0], 4, "{text} -> {frame}");
    assert_eq!(frame[1], id, "{text} -> {frame}");
    assert_eq!(frame[2], code, "{text} -> {frame}");
    assert!(frame[3].as_str().unwrap().len() <= 255);
    assert!(frame[4].is_object(), "errorDetails is an object: {frame}");
    cp.heartbeat_ok().await;
    frame
}

/// Sends raw text and expects no answer at all; then the connection still works.
async fn expect_ignored(cp: &mut Charger, text: &str) {
    cp.send_text(text).await;
    cp.heartbeat_ok().await; // the first answer after it is the heartbeat's, not a CALLERROR
}

#[tokio::test]
async fn malformed_frames_get_the_right_callerror_and_keep_the_connection() {
    for app in apps().await {
        let mut cp = charger(&app, "CP-RPC").await;
        // Row 1: not JSON.
        let f = expect_error(&mut cp, "this is not json", "-1", "FormationViolation").await;
        assert!(
            !f[3].as_str().unwrap().contains("this is not json"),
            "never echo input"
        );
        // Row 2: JSON but not an array; an empty array.
        expect_error(&mut cp, r#"{"a": 1}"#, "-1", "FormationViolation").await;
        expect_error(&mut cp, "[]", "-1", "FormationViolation").await;
        // Row 3: unknown message type ids are ignored on 1.6.
        for t in [
            r#"[0,"a","Heartbeat",{}]"#,
            r#"[1,"a","Heartbeat",{}]"#,
            r#"[5,"a",{}]"#,
            r#"[99,"a"]"#,
            r#"["2","a","Heartbeat",{}]"#,
        ] {
            expect_ignored(&mut cp, t).await;
        }
        // Row 4: message id missing, not a string, too long.
        expect_error(&mut cp, r#"[2]"#, "-1", "ProtocolError").await;
        expect_error(
            &mut cp,
            r#"[2, 17, "Heartbeat", {}]"#,
            "-1",
            "ProtocolError",
        )
        .await;
        expect_error(
            &mut cp,
            &format!(r#"[2, "{}", "Heartbeat", {{}}]"#, "x".repeat(37)),
            "-1",
            "ProtocolError",
        )
        .await;
        // Row 5: CALL with the wrong element count.
        expect_error(&mut cp, r#"[2, "r5"]"#, "r5", "ProtocolError").await;
        expect_error(
            &mut cp,
            r#"[2, "r5b", "Heartbeat"]"#,
            "r5b",
            "ProtocolError",
        )
        .await;
        // Row 6: unknown action.
        expect_error(
            &mut cp,
            r#"[2, "r6", "MakeCoffee", {}]"#,
            "r6",
            "NotImplemented",
        )
        .await;
        // Row 7: an action the CSMS does not accept from a charger.
        expect_error(
            &mut cp,
            r#"[2, "r7", "RemoteStartTransaction", {"idTag": "X"}]"#,
            "r7",
            "NotSupported",
        )
        .await;
        // Row 8: payload not an object.
        expect_error(
            &mut cp,
            r#"[2, "r8", "Heartbeat", []]"#,
            "r8",
            "FormationViolation",
        )
        .await;
        // Row 9: required field missing (1.6 spelling).
        expect_error(
            &mut cp,
            r#"[2, "r9", "Authorize", {}]"#,
            "r9",
            "OccurenceConstraintViolation",
        )
        .await;
        // Row 10: wrong JSON type.
        expect_error(&mut cp, r#"[2, "r10", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}]"#, "r10", "TypeConstraintViolation").await;
        // Row 11: enum, length and format violations.
        expect_error(&mut cp, r#"[2, "r11", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}]"#, "r11", "PropertyConstraintViolation").await;
        expect_error(
            &mut cp,
            &format!(
                r#"[2, "r11b", "Authorize", {{"idTag": "{}"}}]"#,
                "T".repeat(21)
            ),
            "r11b",
            "PropertyConstraintViolation",
        )
        .await;
        expect_error(&mut cp, r#"[2, "r11c", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "yesterday"}]"#, "r11c", "PropertyConstraintViolation").await;
        // A field the schema does not allow.
        expect_error(
            &mut cp,
            r#"[2, "rx", "Heartbeat", {"extra": 1}]"#,
            "rx",
            "FormationViolation",
        )
        .await;
        // Row 13: results with an unknown or late id are ignored.
        expect_ignored(&mut cp, r#"[3, "nobody-asked", {}]"#).await;
        expect_ignored(&mut cp, r#"[4, "nobody-asked", "GenericError", "", {}]"#).await;
        // Row 15: binary frame.
        cp.ws
            .send(tokio_tungstenite::tungstenite::Message::Binary(
                vec![1, 2, 3].into(),
            ))
            .await
            .unwrap();
        let f = cp.recv_text(5).await.unwrap();
        assert_eq!(
            (f[0].clone(), f[1].clone(), f[2].clone()),
            (json!(4), json!("-1"), json!("FormationViolation"))
        );
        cp.heartbeat_ok().await;
        // Row 20: real-charger quirks are accepted (StopTransaction without reason, "Celcius", no offset).
        let r = cp
            .call(
                "StopTransaction",
                json!({"transactionId": 5, "meterStop": 10, "timestamp": "2025-01-01T10:00:00"}),
            )
            .await;
        assert_eq!(r, json!({}));
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_duplicate_message_id_in_flight_is_refused() {
    for app in apps().await {
        app.create_charger("CP-DUP").await;
        let mut raw = RawWs::connect(&app, "CP-DUP").await;
        // Both frames arrive in one TCP segment: the second is read while the first (a start,
        // which waits for the database commit) is still being handled.
        let start = r#"[2, "same", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "2025-01-01T00:00:00Z"}]"#;
        raw.texts_at_once(&[start, r#"[2, "same", "Heartbeat", {}]"#])
            .await;
        let a = raw.read_json().await;
        let b = raw.read_json().await;
        let (error, result) = if a[0] == 4 { (a, b) } else { (b, a) };
        assert_eq!(error[1], "same");
        assert_eq!(error[2], "ProtocolError", "{error}");
        assert_eq!(result[0], 3, "the first call is answered: {result}");
        assert!(result[2]["transactionId"].is_i64());
        raw.texts_at_once(&[r#"[2, "after", "Heartbeat", {}]"#])
            .await;
        assert_eq!(raw.read_json().await[1], "after");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn websocket_level_violations_close_with_the_rfc_6455_code() {
    for app in apps().await {
        app.create_charger("CP-RAW").await;
        // Row 16: invalid UTF-8 in a text frame -> 1007.
        let mut raw = RawWs::connect(&app, "CP-RAW").await;
        raw.frame(0x81, &[0x5b, 0xff, 0xfe, 0x5d], true).await;
        assert_eq!(raw.close_code().await, Some(1007));
        // Row 18: an unmasked client frame -> 1002.
        let mut raw = RawWs::connect(&app, "CP-RAW").await;
        raw.frame(0x81, b"[2,\"a\",\"Heartbeat\",{}]", false).await;
        assert_eq!(raw.close_code().await, Some(1002));
        // Row 18: bad RSV bits -> 1002.
        let mut raw = RawWs::connect(&app, "CP-RAW").await;
        raw.frame(0xC1, b"[2,\"a\",\"Heartbeat\",{}]", true).await;
        assert_eq!(raw.close_code().await, Some(1002));
        // Row 17: a message over 128 KiB -> 1009.
        let mut cp = connect(&app, "/CP-RAW").await;
        let big = format!(
            r#"[2,"big","DataTransfer",{{"vendorId":"x","data":"{}"}}]"#,
            "a".repeat(130 * 1024)
        );
        let _ = tokio::time::timeout(Duration::from_secs(5), cp.send_text(&big)).await;
        assert_eq!(cp.closed_with(5).await, Some(1009));
        // Just under the limit is fine.
        let mut cp = connect(&app, "/CP-RAW").await;
        let ok = format!(
            r#"[2,"fits","DataTransfer",{{"vendorId":"x","data":"{}"}}]"#,
            "a".repeat(120 * 1024)
        );
        cp.send_text(&ok).await;
        assert_eq!(
            cp.recv_text(5).await.unwrap()[2]["status"],
            "UnknownVendorId"
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_message_flood_closes_the_connection_with_1008() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url, |c| c.max_messages_per_second = 20).await;
        app.create_charger("CP-FLOOD").await;
        // Within the limit: fine.
        let mut cp = connect(&app, "/CP-FLOOD").await;
        for _ in 0..10 {
            cp.heartbeat_ok().await;
        }
        // Far above it, without waiting for answers: closed with 1008 (policy violation).
        let mut raw = RawWs::connect(&app, "CP-FLOOD").await;
        let frames: Vec<String> = (0..60)
            .map(|i| format!(r#"[2,"f{i}","Heartbeat",{{}}]"#))
            .collect();
        let refs: Vec<&str> = frames.iter().map(String::as_str).collect();
        raw.texts_at_once(&refs).await;
        assert_eq!(raw.close_code().await, Some(1008));
        app.shutdown().await;
    }
}

#[tokio::test]
async fn answers_to_our_own_calls_do_not_count_as_a_flood() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url, |c| c.max_messages_per_second = 5).await;
        app.create_charger("CP-BUSY").await;
        let mut cp = connect(&app, "/CP-BUSY").await;
        let registry = app.registry.clone().unwrap();
        // 20 CSMS calls answered as fast as possible: far above 5 frames/s from the charger.
        for _ in 0..20 {
            let r = registry.clone();
            let call = tokio::spawn(async move {
                r.call("CP-BUSY", "ClearCache", json!({}), Duration::from_secs(5))
                    .await
            });
            let f = cp.recv_text(5).await.expect("a CALL");
            cp.send_text(&json!([3, f[1], {"status": "Accepted"}]).to_string())
                .await;
            assert!(call.await.unwrap().is_ok());
        }
        cp.heartbeat_ok().await;
        app.shutdown().await;
    }
}
