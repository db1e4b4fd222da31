//! What chargers report over OCPP: boot data, connection state, status, transactions, and the
//! batched hot path (meter values, message logs, heartbeats).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction as SqlTx};
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::error::StoreError;
use voltgate_core::model::{BootInfo, Card, LogEntry, MeterSample};
use voltgate_core::store::{
    BatchItem, NewCharger, ReportStore, StartOutcome, StartTx, StatusReport, StopOutcome, StopTx,
    StoreResult,
};
use voltgate_core::types::{CardStatus, ConnectionStatus};

use crate::log_chunks::FRAMES_PER_CHUNK;
use crate::sql::{db_err, micros, RowExt, Sql};
use crate::Db;

/// Rows per multi-row statement. Batches are cut into these fixed sizes (largest first) so only a
/// handful of distinct SQL texts exist and every connection reuses its prepared statements; the
/// largest stays far below SQLite's and PostgreSQL's bind-parameter limits.
const CHUNK_SIZES: [usize; 5] = [256, 64, 16, 4, 1];

/// Splits `items` into slices of the fixed [`CHUNK_SIZES`].
fn fixed_chunks<T>(mut items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    while !items.is_empty() {
        let size = CHUNK_SIZES
            .iter()
            .copied()
            .find(|s| *s <= items.len())
            .unwrap_or(1);
        let (head, rest) = items.split_at(size);
        out.push(head);
        items = rest;
    }
    out
}

/// The statement sizes of [`padded_chunks`]: each twice the one below it, so a statement carries
/// at most as many padding rows as real ones. The largest stays far below SQLite's and
/// PostgreSQL's bind-parameter limits (32,766 and 65,535) at the widest row written this way.
const PADDED_SIZES: [usize; 11] = [1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1];

/// Splits `items` into full chunks of [`PADDED_SIZES`]`[0]` and one last chunk, each with the
/// statement size to write it in: the smallest of [`PADDED_SIZES`] that holds it. The statement
/// fills the rows beyond the chunk with NULLs that it skips (`WHERE column1 IS NOT NULL`, or a
/// join on the key that a NULL never matches). A batch of 300 rows is then one statement (of 512
/// rows) instead of the six of [`fixed_chunks`], and still only eleven distinct SQL texts exist
/// to prepare. Each statement is a round trip to the database's thread or server, and under load
/// a round trip, not the rows, was most of a batch's time (SQLite, 20,000 MeterValues/s: about
/// a millisecond each, waiting for a core).
fn padded_chunks<T>(items: &[T]) -> Vec<(&[T], usize)> {
    items
        .chunks(PADDED_SIZES[0])
        .map(|chunk| {
            let size = PADDED_SIZES
                .iter()
                .rev()
                .copied()
                .find(|s| *s >= chunk.len())
                .unwrap_or(PADDED_SIZES[0]);
            (chunk, size)
        })
        .collect()
}

/// The type of a padding row's NULL ([`push_padded_rows`]): on PostgreSQL a prepared statement's placeholders keep the
/// types of their first binding (see [`Sql::bind`] for what a mismatch does), so a padding NULL
/// has the type of its column's real values.
#[derive(Clone, Copy)]
enum Null {
    Int,
    Text,
}

/// Pushes the `size` rows of a [`padded_chunks`] statement, `(...), (...)`: the chunk's items,
/// each bound by `bind`, then padding rows of NULLs of the types `nulls`.
fn push_padded_rows<T>(
    sql: &mut Sql,
    (chunk, size): (&[T], usize),
    nulls: &[Null],
    mut bind: impl FnMut(&mut Sql, &T),
) {
    for i in 0..size {
        sql.push(if i == 0 { "(" } else { ", (" });
        match chunk.get(i) {
            Some(item) => bind(sql, item),
            None => {
                for (j, null) in nulls.iter().enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    match null {
                        Null::Int => sql.bind(None::<i64>),
                        Null::Text => sql.bind(None::<String>),
                    };
                }
            }
        }
        sql.push(")");
    }
}

/// The chunks of a charger UPDATE that [`end_charger_update`] ends: on PostgreSQL, which plans
/// those at each execution (nothing is gained by a few fixed sizes there), one statement per
/// [`CHUNK_SIZES`]`[0]` rows, as each statement is a round trip (a batch of 87 rows took six:
/// 64, 16, 4, 1, 1, 1); SQLite keeps its prepared statements, so it gets the fixed sizes.
fn charger_update_chunks<T>(backend: crate::Backend, items: &[T]) -> Vec<&[T]> {
    match backend {
        crate::Backend::Postgres => items.chunks(CHUNK_SIZES[0]).collect(),
        crate::Backend::Sqlite => fixed_chunks(items),
    }
}

pub(crate) fn card_from_row(r: &AnyRow) -> StoreResult<Card> {
    Ok(Card {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        team_id: r.i64("team_id")?,
        uid: r.string("uid")?,
        name: r.opt_string("name")?,
        status: CardStatus::parse(&r.string("status")?).unwrap_or(CardStatus::Blocked),
        expires_at: r.opt_time("expires_at")?,
        parent_uid: r.opt_string("parent_uid")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) const CARD_COLUMNS: &str =
    "id, uuid, team_id, uid, name, status, expires_at, parent_uid, created_at, updated_at";

/// The chargers whose row lock a batch's transaction holds already.
type Locked = HashSet<i64>;

/// Takes the charger's row lock first, so the read-then-write that follows cannot race another
/// writer (PostgreSQL row lock; SQLite takes its write lock here instead of upgrading later).
/// Once per charger and batch: the lock is held until the batch commits.
async fn lock_charger(
    tx: &mut SqlTx<'_, Any>,
    locked: &mut Locked,
    charger_id: i64,
    now: i64,
) -> StoreResult<()> {
    if !locked.insert(charger_id) {
        return Ok(());
    }
    sqlx::query("UPDATE chargers SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(charger_id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The most sampled values one `meter_readings` row holds (the view numbers them `id * 64 + i`).
const SAMPLES_PER_READING: usize = 64;

/// Measurands that make a reading `live` (what load control reads back).
pub(crate) const LIVE_MEASURANDS: [&str; 2] = ["Current.Import", "Power.Active.Import"];

/// Writes the samples one row per reading: consecutive samples of the same charger, connector,
/// transaction and timestamp (one meterValue element) share a row, their sampled values packed
/// as a JSON array (migration 0008 says why).
fn insert_samples(out: &mut Statements, samples: &[&MeterSample]) {
    let readings = readings_of(samples);
    use Null::{Int, Text};
    for chunk in padded_chunks(&readings) {
        let sql = out.next(
            "INSERT INTO meter_readings (charger_id, connector_id, transaction_id, timestamp, live, sampled) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6 FROM (VALUES ",
        );
        push_padded_rows(sql, chunk, &[Int, Int, Int, Int, Int, Text], |sql, r| {
            let first = r[0];
            sql.bind(first.charger_id)
                .push(", ")
                .bind(i64::from(first.connector_id))
                .push(", ")
                .bind(first.transaction_id);
            sql.push(", ")
                .bind(micros(first.timestamp))
                .push(", ")
                .bind(i64::from(r.iter().any(|s| {
                    s.measurand
                        .as_deref()
                        .is_some_and(|m| LIVE_MEASURANDS.contains(&m))
                })))
                .push(", ")
                .bind(pack_sampled(r));
        });
        sql.push(") AS v WHERE v.column1 IS NOT NULL");
    }
}

/// Groups consecutive samples of one reading, at most [`SAMPLES_PER_READING`] a group.
fn readings_of<'a>(samples: &[&'a MeterSample]) -> Vec<Vec<&'a MeterSample>> {
    let mut out: Vec<Vec<&MeterSample>> = Vec::new();
    for s in samples {
        match out.last_mut() {
            Some(r)
                if r.len() < SAMPLES_PER_READING
                    && r[0].charger_id == s.charger_id
                    && r[0].connector_id == s.connector_id
                    && r[0].transaction_id == s.transaction_id
                    && r[0].timestamp == s.timestamp =>
            {
                r.push(s)
            }
            _ => out.push(vec![s]),
        }
    }
    out
}

/// A batch's log entries grouped per charger, each group in arrival order and at most
/// [`FRAMES_PER_CHUNK`] long; groups ordered by their first entry, so a charger's groups follow
/// each other in arrival order too.
fn log_chunks<'a>(logs: &[&'a LogEntry]) -> Vec<Vec<&'a LogEntry>> {
    let mut open: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<Vec<&LogEntry>> = Vec::new();
    for l in logs {
        match open.get(&l.charger_id) {
            Some(&i) if out[i].len() < FRAMES_PER_CHUNK => out[i].push(l),
            _ => {
                open.insert(l.charger_id, out.len());
                out.push(vec![l]);
            }
        }
    }
    out
}

/// `[[value, context, format, measurand, phase, location, unit], ...]`, missing fields null.
fn pack_sampled(samples: &[&MeterSample]) -> String {
    let packed: Vec<[Option<&str>; 7]> = samples
        .iter()
        .map(|s| {
            [
                Some(s.value.as_str()),
                s.context.as_deref(),
                s.format.as_deref(),
                s.measurand.as_deref(),
                s.phase.as_deref(),
                s.location.as_deref(),
                s.unit.as_deref(),
            ]
        })
        .collect();
    serde_json::to_string(&packed).expect("strings always serialize")
}

/// The inverse of [`pack_sampled`] for one sampled value: (value, measurand, phase, unit).
pub(crate) fn unpack_sampled(sampled: &str) -> StoreResult<Vec<[Option<String>; 7]>> {
    serde_json::from_str(sampled)
        .map_err(|e| StoreError::Database(format!("a stored meter reading is not valid: {e}")))
}

/// A StartTransaction inside the batch's database transaction `tx`.
async fn start_in(
    tx: &mut SqlTx<'_, Any>,
    locked: &mut Locked,
    s: &StartTx,
) -> StoreResult<StartOutcome> {
    let now = micros(OffsetDateTime::now_utc());
    lock_charger(tx, locked, s.charger_id, now).await?;
    // The retry check and the busy-connector check in one round trip (a batch runs its starts
    // one after the other, so each statement of a start adds to every later answer's wait).
    let checks = sqlx::query(
        "SELECT (SELECT id FROM transactions WHERE charger_id = $1 AND connector_id = $2 AND id_tag = $3 \
         AND meter_start = $4 AND started_at = $5 AND orphan_transaction_id IS NULL ORDER BY id LIMIT 1) AS duplicate, \
         (SELECT COUNT(*) FROM transactions WHERE charger_id = $1 AND connector_id = $2 AND status = 'active') AS busy",
    )
    .bind(s.charger_id)
    .bind(s.connector_id as i64)
    .bind(s.id_tag.as_str())
    .bind(s.meter_start)
    .bind(micros(s.started_at))
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    if let Some(id) = checks.opt_i64("duplicate")? {
        return Ok(StartOutcome::Duplicate { id });
    }
    let busy = checks.i64("busy")? > 0;
    let id = sqlx::query(
            "INSERT INTO transactions (uuid, charger_id, connector_id, id_tag, status, meter_start, started_at, \
             reservation_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(s.charger_id)
        .bind(s.connector_id as i64)
        .bind(s.id_tag.as_str())
        .bind(s.meter_start)
        .bind(micros(s.started_at))
        .bind(s.reservation_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?
        .i64("id")?;
    if let Some(reservation) = s.reservation_id {
        // A start on a reservation uses it (OCPP 1.6 §5.13).
        sqlx::query(
            "UPDATE reservations SET status = 'used', transaction_id = $1, updated_at = $2 \
                 WHERE id = $3 AND charger_id = $4 AND status = 'active'",
        )
        .bind(id)
        .bind(now)
        .bind(reservation)
        .bind(s.charger_id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    Ok(StartOutcome::Created {
        id,
        connector_busy: busy,
    })
}

/// A StopTransaction (with its transactionData) inside the batch's database transaction `tx`.
async fn stop_in(
    tx: &mut SqlTx<'_, Any>,
    locked: &mut Locked,
    backend: crate::Backend,
    s: &StopTx,
) -> StoreResult<StopOutcome> {
    let now = micros(OffsetDateTime::now_utc());
    lock_charger(tx, locked, s.charger_id, now).await?;
    // The common case in one round trip: the transaction is open, close it.
    let closed = sqlx::query(
        "UPDATE transactions SET status = 'finished', meter_stop = $1, stopped_at = $2, stop_reason = $3, \
         stop_id_tag = $4, updated_at = $5 WHERE id = $6 AND charger_id = $7 AND orphan_transaction_id IS NULL \
         AND status <> 'finished' RETURNING connector_id",
    )
    .bind(s.meter_stop)
    .bind(micros(s.stopped_at))
    .bind(s.reason.as_deref().unwrap_or("Local"))
    .bind(s.id_tag.as_deref())
    .bind(now)
    .bind(s.transaction_id)
    .bind(s.charger_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    let known = match closed {
        Some(row) => Some((
            StopOutcome::Stopped {
                id: s.transaction_id,
            },
            row.i64("connector_id")? as i32,
        )),
        // Not open: stopped before (a retry), or not ours at all.
        None => sqlx::query(
            "SELECT id FROM transactions WHERE id = $1 AND charger_id = $2 AND orphan_transaction_id IS NULL",
        )
        .bind(s.transaction_id)
        .bind(s.charger_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .map(|row| row.i64("id").map(|id| (StopOutcome::AlreadyStopped { id }, 0)))
        .transpose()?,
    };
    // transactionData carries no connector: it is the transaction's (0 for an orphan).
    let (outcome, connector_id) = match known {
        Some(known) => known,
        None => {
            let previous = sqlx::query("SELECT id FROM transactions WHERE charger_id = $1 AND orphan_transaction_id = $2 AND stopped_at = $3")
                    .bind(s.charger_id)
                    .bind(s.transaction_id)
                    .bind(micros(s.stopped_at))
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?;
            let outcome = if let Some(row) = previous {
                StopOutcome::AlreadyStopped { id: row.i64("id")? }
            } else {
                let id = sqlx::query(
                        "INSERT INTO transactions (uuid, charger_id, connector_id, id_tag, status, meter_start, meter_stop, \
                         started_at, stopped_at, stop_reason, stop_id_tag, orphan_transaction_id, created_at, updated_at) \
                         VALUES ($1, $2, 0, $3, 'finished', $4, $4, $5, $5, $6, $3, $7, $8, $8) RETURNING id",
                    )
                    .bind(Uuid::new_v4().to_string())
                    .bind(s.charger_id)
                    .bind(s.id_tag.as_deref())
                    .bind(s.meter_stop)
                    .bind(micros(s.stopped_at))
                    .bind(s.reason.as_deref().unwrap_or("Local"))
                    .bind(s.transaction_id)
                    .bind(now)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(db_err)?
                    .i64("id")?;
                StopOutcome::Orphan { id }
            };
            (outcome, 0)
        }
    };
    if let StopOutcome::Stopped { id } | StopOutcome::Orphan { id } = outcome {
        let samples: Vec<MeterSample> = s
            .samples
            .iter()
            .cloned()
            .map(|mut m| {
                m.transaction_id = Some(id);
                m.connector_id = connector_id;
                m
            })
            .collect();
        let mut statements = Statements::default();
        insert_samples(&mut statements, &samples.iter().collect::<Vec<_>>());
        statements.execute(tx, backend).await?;
    }
    Ok(outcome)
}

/// Inserts auto-registered chargers, skipping identities that exist by now.
fn insert_registrations(out: &mut Statements, chargers: &[&NewCharger]) {
    let now = micros(OffsetDateTime::now_utc());
    for chunk in fixed_chunks(chargers) {
        let sql = out.next(
            "INSERT INTO chargers (uuid, team_id, site_id, identity, reference, password_hash, pincode, \
             license_smart, license_pro, created_at, updated_at, boot_policy) VALUES ",
        );
        for (i, n) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(n.uuid.to_string())
                .push(", ")
                .bind(n.team_id)
                .push(", ")
                .bind(n.site_id)
                .push(", ")
                .bind(n.identity.as_str())
                .push(", ")
                .bind(n.reference.as_deref())
                .push(", ")
                .bind(n.password_hash.as_deref());
            sql.push(", ")
                .bind(n.pincode.as_str())
                .push(", ")
                .bind(i64::from(n.license_smart))
                .push(", ")
                .bind(i64::from(n.license_pro))
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(n.boot_policy.as_deref())
                .push(")");
        }
        sql.push(" ON CONFLICT (identity) DO NOTHING");
    }
}

/// What a batch's connection and boot reports leave on one charger's row, folded in arrival
/// order: the last report of each kind wins, column by column, as writing them one after the
/// other would leave the row.
#[derive(Default)]
struct ReportedRow<'a> {
    connection_status: Option<ConnectionStatus>,
    last_connection_at: Option<i64>,
    last_disconnection_at: Option<i64>,
    ocpp_version: Option<&'a str>,
    /// The last boot and its time.
    boot: Option<(&'a BootInfo, i64)>,
    /// Some boot accepted the registration (a later one does not undo it).
    accept_registration: bool,
}

impl<'a> ReportedRow<'a> {
    fn connection(&mut self, status: ConnectionStatus, version: Option<&'a str>, at: i64) {
        self.connection_status = Some(status);
        match status {
            ConnectionStatus::Online => self.last_connection_at = Some(at),
            _ => self.last_disconnection_at = Some(at),
        }
        if version.is_some() {
            self.ocpp_version = version;
        }
    }

    fn boot(&mut self, info: &'a BootInfo, version: &'a str, at: i64, accept_registration: bool) {
        self.boot = Some((info, at));
        self.ocpp_version = Some(version);
        self.accept_registration |= accept_registration;
    }
}

/// The boot data columns, in the order [`update_chargers`] binds them (after the id, four
/// connection columns and the boot time).
const BOOT_COLUMNS: [&str; 9] = [
    "vendor",
    "model",
    "charge_point_serial_number",
    "charge_box_serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
];

/// Writes a batch's connection and boot reports, one row per charger, in multi-row statements
/// (ordered by charger id, so concurrent writers lock rows in one order). A report's columns are
/// written only where it set them: NULL in the VALUES keeps the row's value for the connection
/// columns (never NULL once set); the boot columns, which a boot may set to NULL, follow the boot
/// time (`v.column6`), which is NULL when the batch has no boot of that charger.
fn update_chargers(
    out: &mut Statements,
    backend: crate::Backend,
    patches: &[(i64, ReportedRow<'_>)],
) {
    let mut set = String::from(
        "UPDATE chargers SET connection_status = COALESCE(v.column2, chargers.connection_status), \
         last_connection_at = COALESCE(v.column3, chargers.last_connection_at), \
         last_disconnection_at = COALESCE(v.column4, chargers.last_disconnection_at), \
         ocpp_version = COALESCE(v.column5, chargers.ocpp_version), \
         last_boot_at = COALESCE(v.column6, chargers.last_boot_at), \
         updated_at = COALESCE(v.column6, chargers.updated_at), ",
    );
    for (i, column) in BOOT_COLUMNS.iter().enumerate() {
        set.push_str(&format!(
            "{column} = CASE WHEN v.column6 IS NULL THEN chargers.{column} ELSE v.column{} END, ",
            i + 7
        ));
    }
    set.push_str(&format!(
        "registration_status = CASE WHEN v.column{} = 1 THEN 'accepted' ELSE chargers.registration_status END \
         FROM (VALUES ",
        BOOT_COLUMNS.len() + 7
    ));
    for chunk in charger_update_chunks(backend, patches) {
        let sql = out.next(&set);
        let mut ids = Vec::with_capacity(chunk.len());
        for (i, (charger_id, p)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            ids.push(sql.bind(*charger_id).last_placeholder());
            sql.push(", ")
                .bind(p.connection_status.map(|s| s.as_str()))
                .push(", ")
                .bind(p.last_connection_at)
                .push(", ")
                .bind(p.last_disconnection_at)
                .push(", ")
                .bind(p.ocpp_version)
                .push(", ")
                .bind(p.boot.map(|(_, at)| at));
            let info = p.boot.map(|(info, _)| info);
            let fields = [
                info.map(|b| b.vendor.as_str()),
                info.map(|b| b.model.as_str()),
                info.and_then(|b| b.charge_point_serial_number.as_deref()),
                info.and_then(|b| b.charge_box_serial_number.as_deref()),
                info.and_then(|b| b.firmware_version.as_deref()),
                info.and_then(|b| b.iccid.as_deref()),
                info.and_then(|b| b.imsi.as_deref()),
                info.and_then(|b| b.meter_type.as_deref()),
                info.and_then(|b| b.meter_serial_number.as_deref()),
            ];
            for field in fields {
                sql.push(", ").bind(field);
            }
            sql.push(", ")
                .bind(i64::from(p.accept_registration))
                .push(")");
        }
        end_charger_update(sql, backend, &ids);
    }
}

/// Ends an `UPDATE chargers ... FROM (VALUES (id, ...), ...` statement whose rows' ids were bound
/// at the placeholders `ids`.
///
/// On PostgreSQL the statement is planned at each execution, and the ids are named a second
/// time, in an `IN` list on the primary key, so each plan looks the rows up by key. A prepared
/// statement's cached plan, made while the table was small (at the start of a boot storm),
/// hash-joined the VALUES with a sequential scan of every charger for every chunk however large
/// the table grew (seen with `auto_explain`: a 16-row chunk of statuses took 1.1–2.5 ms on 10,000
/// chargers, 0.25 ms planned each time); without the list even a fresh plan scans the whole
/// table for a 256-row chunk. SQLite's plan scans the VALUES and looks each id up by its rowid
/// whatever the table's size (`EXPLAIN QUERY PLAN` on an empty table); its placeholders must
/// appear once each, so it gets no list.
fn end_charger_update(sql: &mut Sql, backend: crate::Backend, ids: &[usize]) {
    sql.push(") AS v WHERE chargers.id = v.column1");
    if backend == crate::Backend::Postgres {
        sql.plan_each_time();
        sql.push(" AND chargers.id IN (");
        for (i, n) in ids.iter().enumerate() {
            sql.push(if i == 0 { "$" } else { ", $" })
                .push(&n.to_string());
        }
        sql.push(")");
    }
}

/// Binds a status report's status, error (none for `NoError`), error info, vendor id and vendor
/// error code, in that order.
fn bind_status(sql: &mut Sql, r: &StatusReport) {
    let error = (r.error_code != "NoError").then_some(r.error_code.as_str());
    sql.bind(r.status.as_str())
        .push(", ")
        .bind(error)
        .push(", ")
        .bind(r.info.as_deref())
        .push(", ")
        .bind(r.vendor_id.as_deref())
        .push(", ")
        .bind(r.vendor_error_code.as_deref());
}

/// Writes a batch's status reports: the last of each charger and connector, as the charger
/// sent them one after the other would leave it, in two multi-row statements instead of one
/// statement per report (on PostgreSQL each statement is a round trip). Connector 0 is the
/// charger itself.
fn insert_statuses(
    out: &mut Statements,
    backend: crate::Backend,
    reports: &[(i64, &StatusReport)],
) {
    let mut last: HashMap<(i64, i32), usize> = HashMap::new();
    for (i, (charger_id, r)) in reports.iter().enumerate() {
        last.insert((*charger_id, r.connector_id), i);
    }
    let mut kept: Vec<usize> = last.into_values().collect();
    kept.sort_unstable();
    let (chargers, connectors): (Vec<_>, Vec<_>) = kept
        .into_iter()
        .map(|i| reports[i])
        .partition(|(_, r)| r.connector_id == 0);
    let now = micros(OffsetDateTime::now_utc());
    for chunk in charger_update_chunks(backend, &chargers) {
        let sql = out.next(
            "UPDATE chargers SET status = v.column2, error = v.column3, error_info = v.column4, \
             vendor_id = v.column5, vendor_error_code = v.column6, updated_at = v.column7 FROM (VALUES ",
        );
        let mut ids = Vec::with_capacity(chunk.len());
        for (i, (charger_id, r)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            ids.push(sql.bind(*charger_id).last_placeholder());
            sql.push(", ");
            bind_status(sql, r);
            sql.push(", ").bind(now).push(")");
        }
        end_charger_update(sql, backend, &ids);
    }
    for chunk in padded_chunks(&connectors) {
        // `WHERE` skips the padding rows; SQLite also needs a WHERE before ON CONFLICT to parse
        // an INSERT ... SELECT with an upsert.
        let sql = out.next(
            "INSERT INTO connectors (charger_id, connector_id, status, error, error_info, vendor_id, \
             vendor_error_code, status_at, created_at, updated_at) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, \
             v.column8, v.column9, v.column10 FROM (VALUES ",
        );
        use Null::{Int, Text};
        let nulls = [Int, Int, Text, Text, Text, Text, Text, Int, Int, Int];
        push_padded_rows(sql, chunk, &nulls, |sql, (charger_id, r)| {
            sql.bind(*charger_id)
                .push(", ")
                .bind(i64::from(r.connector_id))
                .push(", ");
            bind_status(sql, r);
            sql.push(", ")
                .bind(micros(r.timestamp))
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(now);
        });
        sql.push(
            ") AS v WHERE v.column1 IS NOT NULL ON CONFLICT (charger_id, connector_id) DO UPDATE SET status = excluded.status, \
             error = excluded.error, error_info = excluded.error_info, vendor_id = excluded.vendor_id, \
             vendor_error_code = excluded.vendor_error_code, status_at = excluded.status_at, \
             updated_at = excluded.updated_at",
        );
    }
}

/// The statements a batch writes, built first and run one after the other in its transaction.
#[derive(Default)]
struct Statements(Vec<Sql>);

impl Statements {
    /// Starts the next statement with `text` and returns it to be continued.
    fn next(&mut self, text: &str) -> &mut Sql {
        self.0.push(Sql::new(text));
        self.0.last_mut().expect("a statement was just added")
    }

    async fn execute(
        self,
        conn: &mut sqlx::AnyConnection,
        backend: crate::Backend,
    ) -> StoreResult<()> {
        for sql in &self.0 {
            sql.execute_on(conn, backend).await?;
        }
        Ok(())
    }
}

/// A batch's items sorted in one pass: its registrations, whether it has starts or stops (which
/// are written on their own, in order), and its connection and boot reports (folded per
/// charger), statuses, meter values and heartbeats, which [`Gathered::build`] gathers into
/// multi-row statements.
struct Gathered<'a> {
    registrations: Vec<&'a NewCharger>,
    sequenced: bool,
    patches: Vec<(i64, ReportedRow<'a>)>,
    statuses: Vec<(i64, &'a StatusReport)>,
    samples: Vec<&'a MeterSample>,
    heartbeats: Vec<(i64, i64)>,
}

impl<'a> Gathered<'a> {
    fn of(items: &'a [BatchItem]) -> Self {
        let mut registrations = Vec::new();
        let mut sequenced = false;
        let mut patches: HashMap<i64, ReportedRow> = HashMap::new();
        let mut statuses = Vec::new();
        let mut samples = Vec::new();
        let mut heartbeats: HashMap<i64, OffsetDateTime> = HashMap::new();
        for item in items {
            match item {
                BatchItem::Register(c) => registrations.push(c),
                BatchItem::Start { .. } | BatchItem::Stop { .. } => sequenced = true,
                BatchItem::Log(_) => {}
                BatchItem::MeterValues(v) => samples.extend(v.iter()),
                BatchItem::Heartbeat { charger_id, at } => {
                    heartbeats.insert(*charger_id, *at);
                }
                BatchItem::Status { charger_id, report } => statuses.push((*charger_id, report)),
                BatchItem::Connection {
                    charger_id,
                    status,
                    ocpp_version,
                    at,
                } => patches.entry(*charger_id).or_default().connection(
                    *status,
                    ocpp_version.as_deref(),
                    micros(*at),
                ),
                BatchItem::Boot {
                    charger_id,
                    info,
                    ocpp_version,
                    at,
                    accept_registration,
                } => patches.entry(*charger_id).or_default().boot(
                    info,
                    ocpp_version,
                    micros(*at),
                    *accept_registration,
                ),
            }
        }
        let mut patches: Vec<(i64, ReportedRow)> = patches.into_iter().collect();
        patches.sort_unstable_by_key(|(id, _)| *id);
        let heartbeats = heartbeats
            .into_iter()
            .map(|(id, at)| (id, micros(at)))
            .collect();
        Self {
            registrations,
            sequenced,
            patches,
            statuses,
            samples,
            heartbeats,
        }
    }

    /// The gathered statements (registrations and starts and stops are not among them).
    fn build(&self, out: &mut Statements, backend: crate::Backend) {
        update_chargers(out, backend, &self.patches);
        insert_statuses(out, backend, &self.statuses);
        insert_samples(out, &self.samples);
        // One UPDATE ... FROM (VALUES ...) per chunk instead of one statement per charger
        // (both engines name the VALUES columns column1, column2). Prepared, unlike the charger
        // updates of `end_charger_update`: heartbeats are steady, and planning each of them
        // cost PostgreSQL a third more CPU per Heartbeat (34 -> 45 µs, 10,000 chargers).
        for chunk in padded_chunks(&self.heartbeats) {
            let sql = out.next("UPDATE chargers SET last_heartbeat_at = v.column2 FROM (VALUES ");
            push_padded_rows(sql, chunk, &[Null::Int, Null::Int], |sql, (id, at)| {
                sql.bind(*id).push(", ").bind(*at);
            });
            sql.push(") AS v WHERE chargers.id = v.column1");
        }
    }
}

#[async_trait]
impl ReportStore for Db {
    async fn reset_connections(&self, at: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("UPDATE chargers SET connection_status = 'offline', last_disconnection_at = $1 WHERE connection_status = 'online'")
            .bind(micros(at))
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn record_firmware_status(&self, charger_id: i64, status: &str) -> StoreResult<()> {
        sqlx::query("UPDATE chargers SET firmware_status = $1 WHERE id = $2")
            .bind(status)
            .bind(charger_id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn record_diagnostics_status(&self, charger_id: i64, status: &str) -> StoreResult<()> {
        sqlx::query("UPDATE chargers SET diagnostics_status = $1 WHERE id = $2")
            .bind(status)
            .bind(charger_id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn find_card_for_charger(
        &self,
        charger_id: i64,
        uid_normalized: &str,
    ) -> StoreResult<Option<Card>> {
        let row = sqlx::query(&format!(
            "SELECT {CARD_COLUMNS} FROM cards WHERE uid_normalized = $1 AND team_id = (SELECT team_id FROM chargers WHERE id = $2)"
        ))
        .bind(uid_normalized)
        .bind(charger_id)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        row.as_ref().map(card_from_row).transpose()
    }

    async fn active_transaction_id(
        &self,
        charger_id: i64,
        connector_id: i32,
    ) -> StoreResult<Option<i64>> {
        let row = sqlx::query("SELECT id FROM transactions WHERE charger_id = $1 AND connector_id = $2 AND status = 'active' ORDER BY id DESC LIMIT 1")
            .bind(charger_id)
            .bind(connector_id as i64)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.map(|r| r.i64("id")).transpose()
    }

    async fn write_batch(&self, items: &[BatchItem]) -> StoreResult<()> {
        // The message log commits on a connection of its own, at the same time as the rest (on
        // SQLite into its own file, so the two writes run in parallel); see ReportStore.
        let logs: Vec<&LogEntry> = items
            .iter()
            .filter_map(|i| match i {
                BatchItem::Log(l) => Some(l),
                _ => None,
            })
            .collect();
        let (written, ()) = tokio::join!(self.write_reports(items), self.write_logs(&logs));
        if let Some(wrote) = &self.wrote {
            wrote.notify_one();
        }
        written
    }
}

impl Db {
    /// Everything of a batch but its log rows, in one transaction on the writer's own
    /// connection.
    async fn write_reports(&self, items: &[BatchItem]) -> StoreResult<()> {
        if items.iter().all(|i| matches!(i, BatchItem::Log(_))) {
            return Ok(());
        }
        let mut pinned = self.reports_conn.lock(self.pool()).await?;
        let result = self.write_reports_on(pinned.conn(), items).await;
        pinned.settle(&result);
        result
    }

    async fn write_reports_on(
        &self,
        conn: &mut sqlx::AnyConnection,
        items: &[BatchItem],
    ) -> StoreResult<()> {
        let backend = self.backend();
        let gathered = Gathered::of(items);
        let mut rest = Statements::default();
        gathered.build(&mut rest, backend);
        if gathered.registrations.is_empty() && !gathered.sequenced && rest.0.len() <= 1 {
            // One statement is atomic on its own: no BEGIN and COMMIT, two round trips fewer
            // (the steady case of a MeterValues load: a batch's readings in one statement).
            return rest.execute(conn, backend).await;
        }
        let mut locked = Locked::new();
        let mut tx = sqlx::Connection::begin(conn).await.map_err(db_err)?;
        // Registrations first (nothing else of a batch can name a charger registered in it).
        let mut first = Statements::default();
        insert_registrations(&mut first, &gathered.registrations);
        first.execute(&mut tx, backend).await?;
        // Starts and stops are written in arrival order; connection and boot reports, statuses,
        // meter values and heartbeats are gathered into multi-row statements written after them
        // (apart from `updated_at` each kind writes columns no other kind writes, so only its own
        // order matters, which the gathering keeps).
        for item in items {
            match item {
                BatchItem::Start { start, outcome } => {
                    outcome.set(start_in(&mut tx, &mut locked, start).await?)
                }
                BatchItem::Stop { stop, outcome } => {
                    outcome.set(stop_in(&mut tx, &mut locked, backend, stop).await?)
                }
                _ => {}
            }
        }
        rest.execute(&mut tx, backend).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// The batch's log rows, best effort: in one statement per chunk, or row by row when that
    /// fails (say, a row of a charger deleted meanwhile), dropping only the rows that fail.
    async fn write_logs(&self, logs: &[&LogEntry]) {
        if logs.is_empty() {
            return;
        }
        if let Err(e) = self.insert_logs(logs).await {
            let mut lost = 0;
            for l in logs {
                if self.insert_logs(std::slice::from_ref(l)).await.is_err() {
                    lost += 1;
                }
            }
            tracing::warn!(error = %e, lost, rows = logs.len(), "a batch of OCPP log rows failed; wrote them one by one");
        }
    }

    async fn insert_logs(&self, logs: &[&LogEntry]) -> StoreResult<()> {
        let mut pinned = self.logs_conn.lock(self.pool()).await?;
        let result = self.insert_logs_on(pinned.conn(), logs).await;
        pinned.settle(&result);
        result
    }

    async fn insert_logs_on(
        &self,
        conn: &mut sqlx::AnyConnection,
        logs: &[&LogEntry],
    ) -> StoreResult<()> {
        let chunks = log_chunks(logs);
        let mut tx = sqlx::Connection::begin(conn).await.map_err(db_err)?;
        for rows in fixed_chunks(&chunks) {
            let mut sql = Sql::new(
                "INSERT INTO ocpp_log_chunks (charger_id, first_at, last_at, frames_count, frames, packed) VALUES ",
            );
            for (i, frames) in rows.iter().enumerate() {
                let at = frames.iter().map(|l| micros(l.created_at));
                let (first, last) = (at.clone().min().unwrap_or(0), at.max().unwrap_or(0));
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(frames[0].charger_id)
                    .push(", ")
                    .bind(first)
                    .push(", ")
                    .bind(last)
                    .push(", ")
                    .bind(frames.len() as i64)
                    .push(", '', ")
                    .bind(crate::log_chunks::pack(frames))
                    .push(")");
            }
            sql.execute_on(&mut tx, self.backend()).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_chunks_are_full_statements_then_the_smallest_that_holds_the_rest() {
        let items: Vec<u32> = (0..2_100).collect();
        let chunks = padded_chunks(&items);
        let shape: Vec<(usize, usize)> = chunks.iter().map(|(c, size)| (c.len(), *size)).collect();
        assert_eq!(shape, vec![(1024, 1024), (1024, 1024), (52, 64)]);
        assert_eq!(chunks[2].0[0], 2_048, "chunks follow each other in order");
        let sizes = |n: usize| -> Vec<usize> {
            padded_chunks(&items[..n]).iter().map(|(_, s)| *s).collect()
        };
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(3), vec![4]);
        assert_eq!(sizes(300), vec![512]);
        assert_eq!(sizes(1_024), vec![1_024]);
        assert!(padded_chunks::<u8>(&[]).is_empty());
    }

    #[test]
    fn batches_are_cut_into_a_few_fixed_sizes() {
        let items: Vec<u32> = (0..343).collect();
        let sizes: Vec<usize> = fixed_chunks(&items).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![256, 64, 16, 4, 1, 1, 1]);
        assert_eq!(sizes.iter().sum::<usize>(), 343);
        assert!(fixed_chunks::<u8>(&[]).is_empty());
    }
}
