//! Meter values: stored one row per reading (migration 0008), read back one per sampled value.

use time::macros::datetime;
use time::OffsetDateTime;
use voltgate_core::load::LoadStore;
use voltgate_core::model::MeterSample;
use voltgate_core::store::*;
use voltgate_core::PageRequest;
use voltgate_store::{testing, Db};

use super::{charger, databases};

fn sample(
    charger_id: i64,
    connector_id: i32,
    at: OffsetDateTime,
    measurand: &str,
    value: &str,
) -> MeterSample {
    MeterSample {
        charger_id,
        connector_id,
        transaction_id: Some(7),
        timestamp: at,
        value: value.into(),
        context: Some("Sample.Periodic".into()),
        format: None,
        measurand: Some(measurand.into()),
        phase: None,
        location: None,
        unit: Some("Wh".into()),
    }
}

async fn all(db: &Db, charger_id: i64, descending: bool) -> Vec<(i64, i32, String, String)> {
    let page = db
        .list_meter_values(&MeterValueQuery {
            charger_id,
            descending,
            page: PageRequest {
                page: 1,
                per_page: 100,
            },
            ..Default::default()
        })
        .await
        .unwrap();
    page.items
        .into_iter()
        .map(|m| {
            (
                m.id,
                m.sample.connector_id,
                m.sample.measurand.unwrap_or_default(),
                m.sample.value,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_reading_of_many_sampled_values_reads_back_in_order_with_unique_ids() {
    for db in databases().await {
        let (_, c) = charger(&db).await;
        let (t1, t2) = (
            datetime!(2025-03-01 10:00 UTC),
            datetime!(2025-03-01 10:01 UTC),
        );
        // 70 sampled values in one meterValue element: more than one row holds (64).
        let mut first: Vec<MeterSample> = (0..70)
            .map(|i| sample(c.id, 1, t1, "Energy.Active.Import.Register", &i.to_string()))
            .collect();
        first[69].phase = Some("L3".into());
        first[69].format = Some("Raw".into());
        db.write_batch(&[
            BatchItem::MeterValues(first),
            BatchItem::MeterValues(vec![sample(c.id, 2, t2, "Power.Active.Import", "7400")]),
        ])
        .await
        .unwrap();

        let rows = all(&db, c.id, false).await;
        assert_eq!(rows.len(), 71);
        let values: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        let expected: Vec<String> = (0..70)
            .map(|i| i.to_string())
            .chain(["7400".into()])
            .collect();
        assert_eq!(values, expected, "sampled values keep their order");
        assert!(
            rows.windows(2).all(|w| w[0].0 < w[1].0),
            "ids are unique and rising: {rows:?}"
        );
        assert_eq!(rows[70].1, 2);

        let page = db
            .list_meter_values(&MeterValueQuery {
                charger_id: c.id,
                phase: Some("L3".into()),
                page: PageRequest::default(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        let m = &page.items[0].sample;
        assert_eq!(
            (m.value.as_str(), m.format.as_deref(), m.timestamp),
            ("69", Some("Raw"), t1)
        );
        assert_eq!(m.context.as_deref(), Some("Sample.Periodic"));
        assert_eq!(m.location, None, "a missing field reads back as null");

        let mut descending = all(&db, c.id, true).await;
        descending.reverse();
        assert_eq!(descending, rows);
    }
}

#[tokio::test]
async fn migration_8_packs_the_meter_values_an_older_schema_wrote() {
    let mut dbs = vec![Db::connect(&testing::fresh_sqlite_url()).await.unwrap()];
    match std::env::var(testing::POSTGRES_ENV) {
        Ok(url) => {
            let url = testing::fresh_postgres_url(&url).await.unwrap();
            dbs.push(Db::connect(&url).await.unwrap());
        }
        Err(_) => testing::say_postgres_skipped(),
    }
    for db in dbs {
        db.migrate_to(7).await.unwrap();
        let (_, c) = charger(&db).await;
        // t1 = 1000 s, t2 = 2000 s (micros); connector 1 has two readings, connector 2 one.
        let rows = [
            (1, 1_000_000_000, "Energy.Active.Import.Register", "100"),
            (1, 1_000_000_000, "Current.Import", "16"),
            (2, 1_000_000_000, "Energy.Active.Import.Register", "5"),
            (1, 2_000_000_000, "Power.Active.Import", "3700"),
        ];
        for (connector, at, measurand, value) in rows {
            testing::execute(
                &db,
                &format!(
                    "INSERT INTO meter_values (charger_id, connector_id, transaction_id, timestamp, value, \
                     context, format, measurand, phase, location, unit) VALUES ({}, {connector}, NULL, {at}, \
                     '{value}', NULL, NULL, '{measurand}', NULL, NULL, 'W')",
                    c.id
                ),
            )
            .await
            .unwrap();
        }
        assert_eq!(db.migrate().await.unwrap(), 1);

        let read = all(&db, c.id, false).await;
        let got: Vec<(i32, &str, &str)> = read
            .iter()
            .map(|r| (r.1, r.2.as_str(), r.3.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "Energy.Active.Import.Register", "100"),
                (1, "Current.Import", "16"),
                (2, "Energy.Active.Import.Register", "5"),
                (1, "Power.Active.Import", "3700"),
            ]
        );
        assert!(read.windows(2).all(|w| w[0].0 < w[1].0));

        let latest = db.latest_readings(&[c.id], None).await.unwrap();
        assert_eq!(latest.len(), 1, "{latest:?}");
        assert_eq!(
            (latest[0].measurand.as_str(), latest[0].value.as_str()),
            ("Power.Active.Import", "3700")
        );

        // New readings get ids after the migrated ones.
        let t3 = OffsetDateTime::from_unix_timestamp(3000).unwrap();
        db.write_batch(&[BatchItem::MeterValues(vec![sample(
            c.id,
            1,
            t3,
            "Current.Import",
            "8",
        )])])
        .await
        .unwrap();
        let read = all(&db, c.id, false).await;
        assert_eq!(read.len(), 5);
        assert!(read[4].0 > read[3].0);
        assert_eq!(
            db.latest_readings(&[c.id], None).await.unwrap()[0].value,
            "8"
        );
    }
}

async fn logs_of(
    db: &Db,
    charger_id: i64,
) -> voltgate_core::Page<voltgate_core::model::StoredLogEntry> {
    db.list_logs(&LogQuery {
        charger_id,
        page: PageRequest::default(),
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn sqlite_keeps_the_message_log_in_a_file_of_its_own_and_moves_an_old_one_there() {
    let db = Db::connect(&testing::fresh_sqlite_url()).await.unwrap();
    db.migrate().await.unwrap();
    let logs_file = db
        .logs_file()
        .expect("a file database has a log file")
        .to_owned();
    assert!(logs_file.ends_with("voltgate-logs.db"), "{logs_file}");
    let (_, c) = charger(&db).await;
    let entry = |payload: &str| {
        BatchItem::Log(voltgate_core::model::LogEntry {
            charger_id: c.id,
            direction: voltgate_core::types::Direction::ChargerToCsms,
            message_type: 2,
            action: Some("Heartbeat".into()),
            message_id: Some("m1".into()),
            payload: payload.into(),
            created_at: datetime!(2025-03-01 10:00 UTC),
        })
    };
    db.write_batch(&[entry("[2,\"m1\",\"Heartbeat\",{}]")])
        .await
        .unwrap();
    assert!(std::fs::metadata(&logs_file).unwrap().len() > 0);

    // A database from before the split has its log in the main file: the next start moves it.
    testing::execute(
        &db,
        &format!(
            "CREATE TABLE main.ocpp_logs AS SELECT * FROM logs.ocpp_logs WHERE 0; \
             INSERT INTO main.ocpp_logs VALUES (1000, {}, 'cp_to_csms', 2, 'Authorize', 'old', '[]', 5)",
            c.id
        ),
    )
    .await
    .unwrap();
    assert_eq!(db.migrate().await.unwrap(), 0);
    let page = logs_of(&db, c.id).await;
    let actions: Vec<Option<&str>> = page
        .items
        .iter()
        .map(|l| l.entry.action.as_deref())
        .collect();
    assert_eq!(actions, vec![Some("Heartbeat"), Some("Authorize")]);
    testing::execute(&db, "SELECT COUNT(*) FROM main.ocpp_logs")
        .await
        .expect_err("the main file's log table is gone");

    db.delete_charger(c.id).await.unwrap();
    let page = logs_of(&db, c.id).await;
    assert_eq!(
        page.total, 0,
        "deleting a charger deletes its log rows in the log file"
    );
}
