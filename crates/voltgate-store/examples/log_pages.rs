//! Benchmark of reading the OCPP message log back: one charger with 200,000 frames, written as
//! the writer's log lane writes them, once as a busy charger's (64 frames a chunk) and once as a
//! heartbeating one's (2 frames a chunk), then pages of it read the ways `/logs` reads them.
//! SQLite in a temporary directory. Run:
//! `cargo run --release -p voltgate-store --example log_pages`.

use std::time::{Duration, Instant};

use time::macros::datetime;
use voltgate_core::model::LogEntry;
use voltgate_core::store::{BatchItem, HistoryStore, LogQuery, ReportStore};
use voltgate_core::types::Direction;
use voltgate_core::PageRequest;
use voltgate_store::{testing, Db};

const FRAMES: i64 = 200_000;

fn frame(charger_id: i64, i: i64) -> BatchItem {
    let (direction, message_type, action, payload) = if i % 2 == 0 {
        (
            Direction::ChargerToCsms,
            2,
            "MeterValues",
            format!(
                "[2,\"{i}\",\"MeterValues\",{{\"connectorId\":1,\"transactionId\":7,\"meterValue\":[{{\
                 \"timestamp\":\"2025-03-01T10:00:00Z\",\"sampledValue\":[{{\"value\":\"{i}\",\
                 \"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import.Register\",\
                 \"location\":\"Outlet\",\"unit\":\"Wh\"}}]}}]}}]"
            ),
        )
    } else {
        (
            Direction::CsmsToCharger,
            3,
            "MeterValues",
            format!("[3,\"{}\",{{}}]", i - 1),
        )
    };
    BatchItem::Log(LogEntry {
        charger_id,
        direction,
        message_type,
        action: Some(action.into()),
        message_id: Some((i - i % 2).to_string()),
        payload,
        created_at: datetime!(2025-03-01 10:00 UTC) + time::Duration::milliseconds(i),
    })
}

async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = f.await;
    (out, started.elapsed())
}

#[tokio::main]
async fn main() {
    let db = Db::connect(&testing::fresh_sqlite_url()).await.unwrap();
    db.migrate().await.unwrap();
    // The log has no foreign key on SQLite: charger ids need no charger rows here.
    for (charger_id, per_chunk) in [(1, 64), (2, 2)] {
        let (_, wrote) = timed(async {
            let mut i = 0;
            while i < FRAMES {
                // Each batch of one charger's frames is one chunk.
                let batch: Vec<BatchItem> = (i..(i + per_chunk).min(FRAMES))
                    .map(|j| frame(charger_id, j))
                    .collect();
                db.write_batch(&batch).await.unwrap();
                i += per_chunk;
            }
        })
        .await;
        println!(
            "charger with {FRAMES} frames, {per_chunk} a chunk ({} chunks): written in {:.1} s",
            FRAMES / per_chunk,
            wrote.as_secs_f64()
        );
        let query = |page: u64, descending: bool| LogQuery {
            charger_id,
            descending,
            page: PageRequest::new(page, 100),
            ..Default::default()
        };
        let last = (FRAMES as u64).div_ceil(100);
        let middle = datetime!(2025-03-01 10:00 UTC) + time::Duration::milliseconds(FRAMES / 2);
        let cases: Vec<(&str, LogQuery)> = vec![
            ("newest page (the API's default order)", query(1, true)),
            ("oldest page", query(1, false)),
            ("middle page", query(last / 2, false)),
            ("last page", query(last, false)),
            (
                "date range of 10 s, first page",
                LogQuery {
                    date_from: Some(middle),
                    date_to: Some(middle + time::Duration::seconds(10)),
                    ..query(1, false)
                },
            ),
            (
                "direction filter, first page",
                LogQuery {
                    direction: Some(Direction::CsmsToCharger),
                    ..query(1, false)
                },
            ),
        ];
        for (name, q) in cases {
            // The best of three: the first may pay for the cold file.
            let mut best = Duration::MAX;
            let mut total = 0;
            for _ in 0..3 {
                let (page, took) = timed(db.list_logs(&q)).await;
                let page = page.unwrap();
                assert!(!page.items.is_empty(), "{name}: an empty page");
                total = page.total;
                best = best.min(took);
            }
            println!(
                "  {name:40} {:>8.2} ms  (total {total})",
                best.as_secs_f64() * 1e3
            );
        }
    }
}
