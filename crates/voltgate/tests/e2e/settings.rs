//! Charger settings: validated, stored, applied on the charger, and applied again after a boot.

use serde_json::{json, Value};

use crate::support::*;

async fn put(app: &TestApp, uuid: &str, body: Value) -> tokio::task::JoinHandle<(u16, Value)> {
    let http = app.http.clone();
    let url = format!("{}/api/v3/chargers/{uuid}/settings", app.api);
    let token = app.token.clone();
    tokio::spawn(async move {
        let r = http
            .put(url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    })
}

/// Answers the next CALL with `reply`; returns the CALL.
async fn answer(cp: &mut Charger, reply: Value) -> Value {
    let call = cp.recv_text(5).await.expect("a CALL");
    cp.send_text(&json!([3, call[1], reply]).to_string()).await;
    call
}

#[tokio::test]
async fn settings_are_validated_applied_and_reapplied_after_a_boot() {
    for app in apps().await {
        let uuid = app.create_charger("CP-SET").await;
        for (body, field) in [
            (json!({"max_charge_current": 33}), "max_charge_current"),
            (json!({"max_charge_phases": 2}), "max_charge_phases"),
            (
                json!({"offline_charge_current": -2}),
                "offline_charge_current",
            ),
            (json!({"offline_charge_phase": 3}), "offline_charge_phase"),
            (json!({"meter_value_interval": -1}), "meter_value_interval"),
            (
                json!({"min_charge_current": 20, "max_charge_current": 10}),
                "min_charge_current",
            ),
            (json!({"pincode": "1"}), "pincode"),
        ] {
            let (status, got) = put(&app, &uuid, body).await.await.unwrap();
            assert_eq!(status, 422, "{got}");
            assert!(got["errors"][field].is_array(), "{field}: {got}");
        }
        // Offline: stored, pending.
        let (status, got) = put(
            &app,
            &uuid,
            json!({"max_charge_current": 16, "max_charge_phases": 1, "meter_value_interval": 60}),
        )
        .await
        .await
        .unwrap();
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["status"], "pending");
        assert_eq!(got["data"]["max_charge_current"], 16.0);

        // It boots: the settings are applied by themselves.
        let mut cp = connect(&app, "/CP-SET").await;
        cp.boot().await;
        let first = answer(&mut cp, json!({"status": "Accepted"})).await;
        assert_eq!(
            (first[2].clone(), first[3].clone()),
            (
                json!("ChangeConfiguration"),
                json!({"key": "MeterValueSampleInterval", "value": "60"})
            )
        );
        let second = answer(&mut cp, json!({"status": "Accepted"})).await;
        assert_eq!(second[2], "SetChargingProfile");
        let profile = &second[3]["csChargingProfiles"];
        assert_eq!(profile["chargingProfilePurpose"], "ChargePointMaxProfile");
        assert_eq!(
            profile["chargingSchedule"]["chargingSchedulePeriod"][0],
            json!({"startPeriod": 0, "limit": 16.0, "numberPhases": 1})
        );
        cp.heartbeat_ok().await;
        let (_, got) = app.get(&format!("/api/v3/chargers/{uuid}/settings")).await;
        assert_eq!(got["data"]["status"], "applied", "{got}");

        // Online: a partial update is applied at once, and only what was sent changes.
        let pending = put(
            &app,
            &uuid,
            json!({"offline_charge_current": 6, "offline_charge_phase": 7}),
        )
        .await;
        answer(&mut cp, json!({"status": "Accepted"})).await; // meter interval again
        answer(&mut cp, json!({"status": "Accepted"})).await; // max profile again
        let offline = answer(&mut cp, json!({"status": "Accepted"})).await;
        assert_eq!(
            offline[3]["csChargingProfiles"]["chargingProfilePurpose"],
            "TxDefaultProfile"
        );
        assert_eq!(
            offline[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]
                ["numberPhases"],
            3
        );
        let (status, got) = pending.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(got["data"]["max_charge_current"], 16.0, "unchanged: {got}");
        assert_eq!(got["data"]["offline_charge_current"], 6.0);
        assert_eq!(got["data"]["status"], "applied");
        assert_eq!(got["data"]["results"].as_array().unwrap().len(), 3);

        // A charger that refuses a setting leaves the settings `failed` with the reason.
        let pending = put(&app, &uuid, json!({"meter_value_interval": 0})).await;
        answer(&mut cp, json!({"status": "Rejected"})).await;
        answer(&mut cp, json!({"status": "Accepted"})).await;
        answer(&mut cp, json!({"status": "Accepted"})).await;
        let (_, got) = pending.await.unwrap();
        assert_eq!(got["data"]["status"], "failed");
        assert!(
            got["data"]["detail"]
                .as_str()
                .unwrap()
                .contains("meter_value_interval"),
            "{got}"
        );
        app.shutdown().await;
    }
}
