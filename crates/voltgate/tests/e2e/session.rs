//! A charger's whole life over OCPP 1.6J, checked through the REST API.

use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn a_charger_boots_charges_and_appears_with_its_session() {
    for app in apps().await {
        let uuid = app.create_charger("CP-SESSION").await;
        assert_eq!(app.charger(&uuid).await["connection_status"], "never_seen");
        let (status, _) = app
            .post(
                "/api/v3/cards",
                json!({"uid": "TAG-OK", "parent_uid": "FLEET"}),
            )
            .await;
        assert_eq!(status, 201);
        app.post(
            "/api/v3/cards",
            json!({"uid": "tag-blocked", "status": "blocked"}),
        )
        .await;
        app.post(
            "/api/v3/cards",
            json!({"uid": "TAG-OLD", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;

        let mut cp = connect(&app, "/ocpp/CP-SESSION").await;
        let boot = cp.boot().await;
        assert_eq!(boot["status"], "Accepted");
        assert_eq!(boot["interval"], 300);
        let c = app.wait_connection(&uuid, "online", 5).await;
        assert_eq!(c["vendor"], "Acme");
        assert_eq!(c["model"], "Volt 22");
        assert_eq!(c["firmware_version"], "1.2.3");
        assert_eq!(c["iccid"], "8931");
        assert_eq!(c["ocpp_version"], "ocpp1.6");
        assert!(c["last_connection_at"].as_str().unwrap().ends_with('Z'));

        for (connector, status) in [(0, "Available"), (1, "Available"), (2, "Faulted")] {
            let mut p = json!({"connectorId": connector, "errorCode": "NoError", "status": status});
            if status == "Faulted" {
                p = json!({"connectorId": 2, "errorCode": "GroundFailure", "status": "Faulted", "info": "RCD tripped", "vendorId": "acme", "vendorErrorCode": "E42"});
            }
            assert_eq!(cp.call("StatusNotification", p).await, json!({}));
        }
        let c = app.charger(&uuid).await;
        assert_eq!(c["status"], "Available");
        let conns = c["connectors"].as_array().unwrap();
        assert_eq!(
            conns.len(),
            2,
            "connector 0 is the charger, not a connector: {c}"
        );
        assert_eq!(conns[1]["error"], "GroundFailure");
        assert_eq!(conns[1]["error_info"], "RCD tripped");
        assert_eq!(conns[1]["vendor_error_code"], "E42");

        let auth = cp.call("Authorize", json!({"idTag": "tag-ok"})).await;
        assert_eq!(
            auth["idTagInfo"]["status"], "Accepted",
            "id tags are case-insensitive"
        );
        assert_eq!(auth["idTagInfo"]["parentIdTag"], "FLEET");
        for (tag, want) in [
            ("TAG-BLOCKED", "Blocked"),
            ("TAG-OLD", "Expired"),
            ("NOBODY", "Invalid"),
        ] {
            assert_eq!(
                cp.call("Authorize", json!({"idTag": tag})).await["idTagInfo"]["status"],
                want,
                "{tag}"
            );
        }

        let start = json!({"connectorId": 1, "idTag": "TAG-OK", "meterStart": 1000, "timestamp": "2025-07-04T13:00:00Z"});
        let started = cp.call("StartTransaction", start.clone()).await;
        assert_eq!(started["idTagInfo"]["status"], "Accepted");
        let tx = started["transactionId"].as_i64().unwrap();
        let again = cp.call("StartTransaction", start).await;
        assert_eq!(
            again["transactionId"], tx,
            "a repeated identical start returns the same id"
        );
        let busy = cp.call("StartTransaction", json!({"connectorId": 1, "idTag": "TAG-OK", "meterStart": 1001, "timestamp": "2025-07-04T13:00:05Z"})).await;
        assert_eq!(busy["idTagInfo"]["status"], "ConcurrentTx");

        let mv = json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": "2025-07-04T13:30:00Z", "sampledValue": [
            {"value": "4500", "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": "Sample.Periodic", "location": "Outlet"},
            {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": "10.5", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            {"value": "10.4", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
            {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
            {"value": "31.5", "measurand": "Temperature", "unit": "Celcius", "location": "Body"},
            {"value": "80", "measurand": "SoC", "unit": "Percent", "location": "EV"}
        ]}]});
        assert_eq!(cp.call("MeterValues", mv).await, json!({}));
        cp.heartbeat_ok().await;

        let stop = json!({"transactionId": tx, "meterStop": 8000, "timestamp": "2025-07-04T14:00:00Z", "reason": "EVDisconnected", "idTag": "TAG-OK",
            "transactionData": [{"timestamp": "2025-07-04T14:00:00Z", "sampledValue": [{"value": "8000", "context": "Transaction.End"}]}]});
        let stopped = cp.call("StopTransaction", stop.clone()).await;
        assert_eq!(stopped["idTagInfo"]["status"], "Accepted");
        assert_eq!(
            cp.call("StopTransaction", stop).await["idTagInfo"]["status"],
            "Accepted",
            "a repeated stop is acknowledged"
        );
        // A stop for an id Voltgate never gave out is acknowledged and kept as an orphan.
        let orphan = cp.call("StopTransaction", json!({"transactionId": 987654, "meterStop": 50, "timestamp": "2025-07-04T15:00:00Z"})).await;
        assert_eq!(orphan, json!({}));

        for action in [
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
        ] {
            let status = if action.starts_with('D') {
                "Uploaded"
            } else {
                "Installed"
            };
            assert_eq!(cp.call(action, json!({"status": status})).await, json!({}));
        }
        assert_eq!(
            cp.call(
                "DataTransfer",
                json!({"vendorId": "com.acme", "messageId": "x", "data": "y"})
            )
            .await["status"],
            "UnknownVendorId"
        );

        let c = app.charger(&uuid).await;
        assert_eq!(c["firmware_status"], "Installed");
        assert_eq!(c["diagnostics_status"], "Uploaded");
        assert!(
            c["last_heartbeat_at"].is_string() || {
                // Heartbeats are written in batches; give the writer a moment.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                app.charger(&uuid).await["last_heartbeat_at"].is_string()
            }
        );

        let (_, t) = app.get(&format!("/api/v3/transactions/{tx}")).await;
        let t = &t["data"];
        assert_eq!(t["status"], "finished");
        assert_eq!(t["meter_start"], 1000);
        assert_eq!(t["meter_stop"], 8000);
        assert_eq!(t["total_kwh"], "7.00");
        assert_eq!(t["stop_reason"], "EVDisconnected");
        assert_eq!(t["started_at"], "2025-07-04T13:00:00.000000Z");
        assert_eq!(t["charger"]["identity"], "CP-SESSION");

        let (_, list) = app
            .get(&format!(
                "/api/v3/chargers/{uuid}/transactions?filter[status]=finished"
            ))
            .await;
        let orphans: Vec<_> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["orphan_transaction_id"] == 987654)
            .collect();
        assert_eq!(orphans.len(), 1, "{list}");
        let (_, active) = app
            .get(&format!(
                "/api/v3/chargers/{uuid}/transactions?filter[status]=active"
            ))
            .await;
        assert_eq!(
            active["meta"]["total"], 1,
            "the ConcurrentTx start is kept active until its stop"
        );

        let (_, mvs) = app
            .get(&format!("/api/v3/chargers/{uuid}/metervalues?unit=Celcius"))
            .await;
        assert_eq!(mvs["data"][0]["value"], "31.5");
        assert_eq!(mvs["data"][0]["location"], "Body");
        let (_, mvs) = app.get(&format!("/api/v3/chargers/{uuid}/metervalues?date_from=2025-07-04%2013:00:00&date_to=2025-07-04%2013:59:59&measurand=Current.Import&order_by=desc")).await;
        assert_eq!(mvs["meta"]["total"], 2, "{mvs}");
        let (_, mvs) = app
            .get(&format!(
                "/api/v3/chargers/{uuid}/metervalues?transaction_id={tx}&context=Transaction.End"
            ))
            .await;
        assert_eq!(
            mvs["meta"]["total"], 1,
            "transactionData is stored with the transaction: {mvs}"
        );

        let directions = |logs: &Value| -> Vec<String> {
            logs["data"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|l| l["direction"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let logs = app
            .wait_logs(
                &format!(
                    "/api/v3/chargers/{uuid}/logs?filter[action]=BootNotification&per_page=100"
                ),
                5,
                |logs| {
                    let dirs = directions(logs);
                    dirs.iter().any(|d| d == "cp_to_csms") && dirs.iter().any(|d| d == "csms_to_cp")
                },
            )
            .await;
        assert_eq!(
            directions(&logs).len(),
            2,
            "one BootNotification and its answer: {logs}"
        );
        let path = format!("/api/v3/chargers/{uuid}/logs?filter[direction]=csms_to_cp&filter[action]=StartTransaction");
        let logs = app
            .wait_logs(&path, 5, |logs| logs["meta"]["total"].as_i64() >= Some(3))
            .await;
        assert_eq!(logs["meta"]["total"], 3, "{logs}");

        drop(cp);
        app.wait_connection(&uuid, "offline", 5).await;
        let c = app.charger(&uuid).await;
        assert!(c["last_disconnection_at"].is_string());
        app.shutdown().await;
    }
}
