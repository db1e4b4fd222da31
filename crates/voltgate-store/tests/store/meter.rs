//! Meter values: stored one row per reading (migration 0008), read back one per sampled value.

use time::macros::datetime;
use time::OffsetDateTime;
use voltgate_core::load::LoadStore;
use voltgate_core::model::MeterSample;
use voltgate_core::store::*;
use voltgate_core::types::Direction;
use voltgate_core::PageRequest;
use voltgate_store::{testing, Db};

use super::{charger, databases, databases_before};

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
        assert_eq!(db.migrate().await.unwrap(), 3, "migrations 8, 9 and 10");

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

fn log_entry(charger_id: i64, action: &str, payload: &str) -> BatchItem {
    BatchItem::Log(voltgate_core::model::LogEntry {
        charger_id,
        direction: voltgate_core::types::Direction::ChargerToCsms,
        message_type: 2,
        action: Some(action.into()),
        message_id: Some("m1".into()),
        payload: payload.into(),
        created_at: datetime!(2025-03-01 10:00 UTC),
    })
}

#[tokio::test]
async fn sqlite_keeps_the_message_log_in_a_file_of_its_own() {
    let db = Db::connect(&testing::fresh_sqlite_url()).await.unwrap();
    db.migrate().await.unwrap();
    let logs_file = db
        .logs_file()
        .expect("a file database has a log file")
        .to_owned();
    assert!(logs_file.ends_with("voltgate-logs.db"), "{logs_file}");
    let (_, c) = charger(&db).await;
    db.write_batch(&[log_entry(c.id, "Heartbeat", "[2,\"m1\",\"Heartbeat\",{}]")])
        .await
        .unwrap();
    assert!(std::fs::metadata(&logs_file).unwrap().len() > 0);
    testing::execute(&db, "SELECT COUNT(*) FROM main.ocpp_log_chunks")
        .await
        .expect_err("the log is not in the main file");
    testing::execute(&db, "SELECT COUNT(*) FROM logs.ocpp_log_chunks")
        .await
        .unwrap();
    assert_eq!(logs_of(&db, c.id).await.total, 1);

    db.delete_charger(c.id).await.unwrap();
    let page = logs_of(&db, c.id).await;
    assert_eq!(
        page.total, 0,
        "deleting a charger deletes its log rows in the log file"
    );
}

/// What a batch wrote reaches the database files themselves (not only SQLite's write-ahead
/// logs) soon after, copied back by the background checkpoint that each batch wakes.
#[tokio::test]
async fn sqlite_copies_a_batch_back_into_its_files_soon_after_it_is_written() {
    let url = testing::fresh_sqlite_url();
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let (_, c) = charger(&db).await;
    let logs_file = db.logs_file().unwrap().to_owned();
    let main_file = url.trim_start_matches("sqlite://").to_owned();
    // `immutable=1` reads the file alone, without its write-ahead log and without locks: an
    // error (the table's creation has not reached the file yet, or a page being copied back
    // meanwhile) counts as nothing there yet.
    async fn count_in_file(file: &str, table: &str) -> i64 {
        use sqlx::{Connection, Row};
        let url = format!("sqlite://{file}?immutable=1");
        let Ok(mut conn) = sqlx::AnyConnection::connect(&url).await else {
            return 0;
        };
        let n = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .and_then(|row| row.try_get::<i64, _>(0))
            .unwrap_or(0);
        let _ = conn.close().await;
        n
    }
    let at = datetime!(2025-03-01 10:00 UTC);
    db.write_batch(&[
        BatchItem::MeterValues(vec![sample(c.id, 1, at, "Power.Active.Import", "7400")]),
        log_entry(c.id, "MeterValues", "[2,\"m1\",\"MeterValues\",{}]"),
    ])
    .await
    .unwrap();
    // Well inside the five seconds after which the checkpointer runs without being woken.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let readings = count_in_file(&main_file, "meter_readings").await;
        let chunks = count_in_file(&logs_file, "ocpp_log_chunks").await;
        if readings == 1 && chunks == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after 3 s the files hold {readings} readings and {chunks} log chunks, not 1 and 1"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Migration 9 turns the one-row-per-frame log of either layout before it (in the main file, or
/// in the log file) into chunks in the log file, keeping every frame and its order.
#[tokio::test]
async fn migration_9_keeps_the_frames_of_an_old_message_log() {
    // SQLite with the old log in the main file, SQLite with it in the log file, PostgreSQL.
    let mut dbs = vec![
        (
            Db::connect(&testing::fresh_sqlite_url()).await.unwrap(),
            false,
        ),
        (
            Db::connect(&testing::fresh_sqlite_url()).await.unwrap(),
            true,
        ),
    ];
    match std::env::var(testing::POSTGRES_ENV) {
        Ok(url) => {
            let url = testing::fresh_postgres_url(&url).await.unwrap();
            dbs.push((Db::connect(&url).await.unwrap(), false));
        }
        Err(_) => testing::say_postgres_skipped(),
    }
    for (db, split) in dbs {
        let sqlite = db.logs_file().is_some();
        db.migrate_to(8).await.unwrap();
        let (_, c) = charger(&db).await;
        let table = if split {
            testing::execute(
                &db,
                "CREATE TABLE logs.ocpp_logs AS SELECT * FROM main.ocpp_logs WHERE 0; DROP TABLE main.ocpp_logs",
            )
            .await
            .unwrap();
            "logs.ocpp_logs"
        } else if sqlite {
            "main.ocpp_logs"
        } else {
            "ocpp_logs"
        };
        testing::execute(
            &db,
            &format!(
                "INSERT INTO {table} VALUES (7, {id}, 'cp_to_csms', 2, 'Authorize', 'a1', '[2,\"a1\",\"Authorize\",{{}}]', 5); \
                 INSERT INTO {table} VALUES (8, {id}, 'csms_to_cp', 3, 'Authorize', 'a1', 'not \"json', 6)",
                id = c.id
            ),
        )
        .await
        .unwrap();
        // Migration 9 chunks the old log; 10 adds packed chunks beside the text ones.
        assert_eq!(db.migrate().await.unwrap(), 2);
        let page = logs_of(&db, c.id).await;
        let frames: Vec<(Direction, i16, &str, i64)> = page
            .items
            .iter()
            .map(|l| {
                (
                    l.entry.direction,
                    l.entry.message_type,
                    l.entry.payload.as_str(),
                    l.entry.created_at.unix_timestamp_nanos() as i64 / 1000,
                )
            })
            .collect();
        assert_eq!(
            frames,
            vec![
                (
                    Direction::ChargerToCsms,
                    2,
                    "[2,\"a1\",\"Authorize\",{}]",
                    5
                ),
                (Direction::CsmsToCharger, 3, "not \"json", 6),
            ],
            "split: {split}"
        );
        if sqlite {
            testing::execute(&db, "SELECT COUNT(*) FROM main.ocpp_log_chunks")
                .await
                .expect_err("the log is not in the main file");
        }
        // New frames follow the old ones.
        db.write_batch(&[log_entry(c.id, "Heartbeat", "[]")])
            .await
            .unwrap();
        let page = logs_of(&db, c.id).await;
        assert_eq!(page.total, 3);
        assert_eq!(page.items[2].entry.action.as_deref(), Some("Heartbeat"));
        assert!(page.items[2].id > page.items[1].id);
    }
}

/// Migration 10 on a database that migration 9 left (on SQLite with the log already in its own
/// file): the chunks written as JSON text still read, and new ones, packed, follow them.
#[tokio::test]
async fn migration_10_keeps_the_chunks_of_a_version_9_log() {
    for db in databases_before(9).await {
        let (_, c) = charger(&db).await;
        testing::execute(
            &db,
            &format!(
                "INSERT INTO ocpp_log_chunks (charger_id, first_at, last_at, frames_count, frames) \
                 VALUES ({id}, 5, 6, 2, '[[\"cp_to_csms\",2,\"Authorize\",\"a1\",\"[2,\\\"a1\\\",\\\"Authorize\\\",{{}}]\",5],\
                 [\"csms_to_cp\",3,\"Authorize\",\"a1\",\"not \\\"json\",6]]')",
                id = c.id
            ),
        )
        .await
        .unwrap();
        assert_eq!(db.migrate().await.unwrap(), 1);
        if let Some(file) = db.logs_file() {
            assert!(std::path::Path::new(file).exists());
            testing::execute(&db, "SELECT packed FROM logs.ocpp_log_chunks")
                .await
                .expect("migration 10 added the column where the log is");
        }
        db.write_batch(&[log_entry(c.id, "Heartbeat", "[2,\"h1\",\"Heartbeat\",{}]")])
            .await
            .unwrap();
        let page = logs_of(&db, c.id).await;
        let frames: Vec<(&str, &str)> = page
            .items
            .iter()
            .map(|l| {
                (
                    l.entry.action.as_deref().unwrap_or(""),
                    l.entry.payload.as_str(),
                )
            })
            .collect();
        assert_eq!(
            frames,
            vec![
                ("Authorize", "[2,\"a1\",\"Authorize\",{}]"),
                ("Authorize", "not \"json"),
                ("Heartbeat", "[2,\"h1\",\"Heartbeat\",{}]"),
            ]
        );
        assert_eq!(page.total, 3);
        assert!(page.items.windows(2).all(|w| w[0].id < w[1].id));
    }
}

/// Chunks are stored compressed (migration 10): 64 MeterValues frames of one charger take a
/// small part of their text, and a chunk that cannot be unpacked fails the read with an error
/// that names it instead of returning wrong frames.
#[tokio::test]
async fn message_log_chunks_are_stored_compressed() {
    for db in databases().await {
        let (_, c) = charger(&db).await;
        let frames: Vec<BatchItem> = (0..64)
            .map(|i| {
                let payload = format!(
                    "[2,\"m{i}\",\"MeterValues\",{{\"connectorId\":1,\"transactionId\":7,\"meterValue\":\
                     [{{\"timestamp\":\"2025-03-01T10:00:{:02}Z\",\"sampledValue\":[{{\"value\":\"{}\",\
                     \"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import.Register\",\
                     \"location\":\"Outlet\",\"unit\":\"Wh\"}},{{\"value\":\"11040.0\",\"context\":\
                     \"Sample.Periodic\",\"measurand\":\"Power.Active.Import\",\"location\":\"Outlet\",\
                     \"unit\":\"W\"}}]}}]}}]",
                    i % 60,
                    i * 31
                );
                log_entry(c.id, "MeterValues", &payload)
            })
            .collect();
        let text: usize = frames
            .iter()
            .map(|f| match f {
                BatchItem::Log(l) => l.payload.len(),
                _ => 0,
            })
            .sum();
        db.write_batch(&frames).await.unwrap();
        let of_charger = |what: &str| {
            format!(
                "SELECT {what} AS n FROM ocpp_log_chunks WHERE charger_id = {}",
                c.id
            )
        };
        assert_eq!(
            testing::fetch_i64(&db, &of_charger("COUNT(*)"))
                .await
                .unwrap(),
            1
        );
        let packed = testing::fetch_i64(&db, &of_charger("SUM(LENGTH(packed))"))
            .await
            .unwrap() as usize;
        assert!(
            packed * 5 < text,
            "64 frames of {text} bytes of payload were packed into {packed} bytes"
        );
        assert_eq!(
            testing::fetch_i64(&db, &of_charger("SUM(LENGTH(frames))"))
                .await
                .unwrap(),
            0,
            "a packed chunk keeps no text"
        );
        assert_eq!(logs_of(&db, c.id).await.total, 64);

        // A damaged chunk (one that claims 16 MB of frames, one whose block is cut short): the
        // read fails and says what.
        for (damage, says) in [
            ("ff00ff00ff", "claims 16711935 bytes"),
            ("0a000000ff", "its LZ4 block"),
        ] {
            let value = if db.logs_file().is_some() {
                format!("x'{damage}'")
            } else {
                format!("'\\x{damage}'::bytea")
            };
            testing::execute(
                &db,
                &format!(
                    "UPDATE ocpp_log_chunks SET packed = {value} WHERE charger_id = {}",
                    c.id
                ),
            )
            .await
            .unwrap();
            let err = db
                .list_logs(&LogQuery {
                    charger_id: c.id,
                    page: PageRequest::default(),
                    ..Default::default()
                })
                .await
                .expect_err("a damaged chunk is not read as frames")
                .to_string();
            assert!(
                err.contains("of the OCPP message log cannot be read") && err.contains(says),
                "{err}"
            );
        }
    }
}

/// The log is written one chunk per charger and batch: frames of several chargers interleaved
/// in one batch, more than a chunk holds for one of them, and payloads that need escaping (or
/// are not JSON at all) come back frame by frame, in order, exactly as written, and filters and
/// pages apply to frames.
#[tokio::test]
async fn message_log_frames_come_back_in_order_whatever_chunks_hold_them() {
    for db in databases().await {
        let (_, a) = charger(&db).await;
        let (_, b) = charger(&db).await;
        let at = |i: i64| datetime!(2025-03-01 10:00 UTC) + time::Duration::milliseconds(i);
        let entry = |charger_id: i64, i: i64| {
            let (direction, message_type, action) = if i % 2 == 0 {
                (Direction::ChargerToCsms, 2, "MeterValues")
            } else {
                (Direction::CsmsToCharger, 3, "Heartbeat")
            };
            BatchItem::Log(voltgate_core::model::LogEntry {
                charger_id,
                direction,
                message_type,
                action: Some(action.into()),
                message_id: Some(format!("m{i}")),
                payload: format!(
                    "[2,\"m{i}\",{{\"a\":\"\\\"quoted\\\" \\\\ \\n é\"}}] frame {i}\n"
                ),
                created_at: at(i),
            })
        };
        // 150 frames of `a` (three chunks) and 5 of `b`, interleaved, in two batches.
        let mut first = Vec::new();
        for i in 0..100 {
            first.push(entry(a.id, i));
            if i < 5 {
                first.push(entry(b.id, i));
            }
        }
        db.write_batch(&first).await.unwrap();
        let second: Vec<BatchItem> = (100..150).map(|i| entry(a.id, i)).collect();
        db.write_batch(&second).await.unwrap();

        let query = |per_page: u64, page: u64| LogQuery {
            charger_id: a.id,
            page: PageRequest { page, per_page },
            ..Default::default()
        };
        let mut read = Vec::new();
        for page in 1..=2 {
            let p = db.list_logs(&query(100, page)).await.unwrap();
            assert_eq!(p.total, 150);
            read.extend(p.items);
        }
        assert_eq!(read.len(), 150);
        for (i, l) in read.iter().enumerate() {
            assert_eq!(l.entry.charger_id, a.id);
            assert_eq!(
                l.entry.message_id.as_deref(),
                Some(format!("m{i}").as_str())
            );
            assert_eq!(
                l.entry.payload,
                format!("[2,\"m{i}\",{{\"a\":\"\\\"quoted\\\" \\\\ \\n é\"}}] frame {i}\n")
            );
            assert_eq!(l.entry.created_at, at(i as i64));
            assert_eq!(l.entry.message_type, if i % 2 == 0 { 2 } else { 3 });
        }
        assert!(
            read.windows(2).all(|w| w[0].id < w[1].id),
            "ids follow arrival"
        );
        assert_eq!(logs_of(&db, b.id).await.total, 5);

        // Filters and the newest-first order work per frame.
        let filtered = db
            .list_logs(&LogQuery {
                charger_id: a.id,
                direction: Some(Direction::CsmsToCharger),
                date_from: Some(at(10)),
                date_to: Some(at(19)),
                descending: true,
                page: PageRequest {
                    page: 1,
                    per_page: 100,
                },
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = filtered
            .items
            .iter()
            .map(|l| l.entry.message_id.clone().unwrap())
            .collect();
        assert_eq!(ids, vec!["m19", "m17", "m15", "m13", "m11"]);
        let by_action = db
            .list_logs(&LogQuery {
                charger_id: b.id,
                action: Some("MeterValues".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(by_action.total, 3);
    }
}

/// Counting and paging the log without frame filters skip whole chunks by their bounds and
/// counts: every date range, order and page gives what a plain filter over all frames gives,
/// including chunks that straddle a bound and one that spans the whole range.
#[tokio::test]
async fn message_log_pages_and_date_ranges_match_a_plain_filter() {
    for db in databases().await {
        let (_, a) = charger(&db).await;
        let (_, b) = charger(&db).await;
        let base = datetime!(2025-03-01 10:00 UTC);
        let frame = |charger_id: i64, ms: i64| {
            BatchItem::Log(voltgate_core::model::LogEntry {
                charger_id,
                direction: Direction::ChargerToCsms,
                message_type: 2,
                action: Some("Heartbeat".into()),
                message_id: Some(format!("t{ms}")),
                payload: "[]".into(),
                created_at: base + time::Duration::milliseconds(ms),
            })
        };
        // Chunks of `a`: 0..=9; 10..=73 and 74..=79 (a batch of 70); 100 and 200 (spanning
        // 150..=160); 201..=205. `b` has frames at the same times.
        let batches: Vec<Vec<i64>> = vec![
            (0..10).collect(),
            (10..80).collect(),
            vec![100, 200],
            (201..206).collect(),
        ];
        let mut all = Vec::new();
        for times in &batches {
            let items: Vec<BatchItem> = times
                .iter()
                .flat_map(|&t| [frame(a.id, t), frame(b.id, t)])
                .collect();
            db.write_batch(&items).await.unwrap();
            all.extend(times.iter().copied());
        }
        let ranges = [
            (None, None),
            (Some(5), None),
            (None, Some(75)),
            (Some(5), Some(75)),
            (Some(150), Some(160)),
            (Some(100), Some(200)),
            (Some(74), Some(74)),
            (Some(300), None),
        ];
        for (from, to) in ranges {
            for descending in [false, true] {
                let mut expected: Vec<String> = all
                    .iter()
                    .filter(|&&t| from.is_none_or(|f| t >= f) && to.is_none_or(|u| t <= u))
                    .map(|t| format!("t{t}"))
                    .collect();
                if descending {
                    expected.reverse();
                }
                for per_page in [1, 7, 100] {
                    for page in 1..=3 {
                        let got = db
                            .list_logs(&LogQuery {
                                charger_id: a.id,
                                date_from: from.map(|ms| base + time::Duration::milliseconds(ms)),
                                date_to: to.map(|ms| base + time::Duration::milliseconds(ms)),
                                descending,
                                page: PageRequest { page, per_page },
                                ..Default::default()
                            })
                            .await
                            .unwrap();
                        let what =
                            format!("{from:?}..{to:?} desc {descending} page {page} of {per_page}");
                        assert_eq!(got.total, expected.len() as u64, "{what}");
                        let ids: Vec<String> = got
                            .items
                            .iter()
                            .map(|l| l.entry.message_id.clone().unwrap())
                            .collect();
                        let start = ((page - 1) * per_page) as usize;
                        let want: Vec<String> = expected
                            .iter()
                            .skip(start)
                            .take(per_page as usize)
                            .cloned()
                            .collect();
                        assert_eq!(ids, want, "{what}");
                        assert!(got.items.iter().all(|l| l.entry.charger_id == a.id));
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_batch_of_more_readings_than_one_statement_carries_writes_them_all_in_order() {
    // 1,100 readings: one statement of 1,024 rows, then 76 in a statement of 128 whose other
    // rows are padding the statement skips.
    const N: usize = 1_100;
    for db in databases().await {
        let (_, c) = charger(&db).await;
        let start = datetime!(2025-03-02 00:00 UTC);
        let readings: Vec<BatchItem> = (0..N)
            .map(|i| {
                let at = start + time::Duration::seconds(i as i64);
                BatchItem::MeterValues(vec![sample(
                    c.id,
                    1,
                    at,
                    "Energy.Active.Import.Register",
                    &i.to_string(),
                )])
            })
            .collect();
        db.write_batch(&readings).await.unwrap();

        let mut read = Vec::new();
        for page in 1..=(N as u64).div_ceil(100) {
            let got = db
                .list_meter_values(&MeterValueQuery {
                    charger_id: c.id,
                    page: PageRequest {
                        page,
                        per_page: 100,
                    },
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(
                got.total, N as u64,
                "every reading is written, no padding row"
            );
            read.extend(
                got.items
                    .into_iter()
                    .map(|m| (m.id, m.sample.value, m.sample.timestamp)),
            );
        }
        let values: Vec<String> = read.iter().map(|r| r.1.clone()).collect();
        let expected: Vec<String> = (0..N).map(|i| i.to_string()).collect();
        assert_eq!(values, expected, "readings keep the batch's order");
        assert!(
            read.windows(2).all(|w| w[0].0 < w[1].0),
            "ids rise in that order"
        );
        assert_eq!(read[N - 1].2, start + time::Duration::seconds(N as i64 - 1));
    }
}

#[tokio::test]
async fn a_batch_written_in_one_statement_is_all_or_nothing() {
    // Meter values alone are one statement, run without BEGIN and COMMIT: a reading of a charger
    // that does not exist fails the statement, and the other charger's reading is not written
    // either (the writer then retries each item on its own).
    for db in databases().await {
        let (_, c) = charger(&db).await;
        let at = datetime!(2025-03-03 00:00 UTC);
        let reading = |charger_id| {
            BatchItem::MeterValues(vec![sample(
                charger_id,
                1,
                at,
                "Energy.Active.Import.Register",
                "1",
            )])
        };
        let missing = i64::MAX - 7;
        assert!(db
            .write_batch(&[reading(c.id), reading(missing)])
            .await
            .is_err());
        assert!(
            all(&db, c.id, false).await.is_empty(),
            "nothing of the batch is written"
        );
        db.write_batch(&[reading(c.id)]).await.unwrap();
        assert_eq!(all(&db, c.id, false).await.len(), 1);
    }
}
