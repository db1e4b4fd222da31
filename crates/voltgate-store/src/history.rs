//! Transactions, meter values and the OCPP message log, read back for the API.

use std::collections::HashMap;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use voltgate_core::access::Reach;
use voltgate_core::model::{MeterSample, StoredLogEntry, StoredMeterValue, Transaction};
use voltgate_core::store::{
    HistoryStore, LogQuery, MeterValueQuery, StoreResult, TransactionQuery,
};
use voltgate_core::types::TransactionStatus;
use voltgate_core::Page;

use crate::log_chunks;
use crate::sql::{db_err, micros, RowExt, Sql};
use crate::Db;

const TX_COLUMNS: &str = "x.id, x.uuid, x.charger_id, c.uuid AS charger_uuid, c.identity AS charger_identity, \
    x.connector_id, x.id_tag, x.status, x.meter_start, x.meter_stop, x.started_at, x.stopped_at, x.stop_reason, \
    x.stop_id_tag, x.reservation_id, x.orphan_transaction_id, x.created_at, x.updated_at";
const TX_FROM: &str = " FROM transactions x JOIN chargers c ON c.id = x.charger_id";

fn tx_from_row(r: &AnyRow) -> StoreResult<Transaction> {
    Ok(Transaction {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        charger_id: r.i64("charger_id")?,
        charger_uuid: r.uuid("charger_uuid")?,
        charger_identity: r.string("charger_identity")?,
        connector_id: r.i64("connector_id")? as i32,
        id_tag: r.opt_string("id_tag")?,
        status: TransactionStatus::parse(&r.string("status")?)
            .unwrap_or(TransactionStatus::Finished),
        meter_start: r.i64("meter_start")?,
        meter_stop: r.opt_i64("meter_stop")?,
        started_at: r.time("started_at")?,
        stopped_at: r.opt_time("stopped_at")?,
        stop_reason: r.opt_string("stop_reason")?,
        stop_id_tag: r.opt_string("stop_id_tag")?,
        reservation_id: r.opt_i64("reservation_id")?,
        orphan_transaction_id: r.opt_i64("orphan_transaction_id")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn mv_from_row(r: &AnyRow) -> StoreResult<StoredMeterValue> {
    Ok(StoredMeterValue {
        id: r.i64("id")?,
        sample: MeterSample {
            charger_id: r.i64("charger_id")?,
            connector_id: r.i64("connector_id")? as i32,
            transaction_id: r.opt_i64("transaction_id")?,
            timestamp: r.time("timestamp")?,
            value: r.string("value")?,
            context: r.opt_string("context")?,
            format: r.opt_string("format")?,
            measurand: r.opt_string("measurand")?,
            phase: r.opt_string("phase")?,
            location: r.opt_string("location")?,
            unit: r.opt_string("unit")?,
        },
    })
}

fn eq_filter(f: &mut Sql, column: &str, value: &Option<String>) {
    if let Some(v) = value {
        f.push(&format!(" AND {column} = ")).bind(v.as_str());
    }
}

#[async_trait]
impl HistoryStore for Db {
    async fn list_transactions(&self, q: &TransactionQuery) -> StoreResult<Page<Transaction>> {
        let mut f = Sql::new(" WHERE ");
        f.bind_any_in(&[
            ("c.team_id", &q.team_ids),
            ("c.site_id", &q.site_ids),
            ("c.id", &q.charger_ids),
        ]);
        if let Some(id) = q.charger_id {
            f.push(" AND x.charger_id = ").bind(id);
        }
        if let Some(id) = q.site_id {
            f.push(" AND c.site_id = ").bind(id);
        }
        if let Some(s) = q.status {
            f.push(" AND x.status = ").bind(s.as_str());
        }
        if let Some(t) = q.started_from {
            f.push(" AND x.started_at >= ").bind(micros(t));
        }
        if let Some(t) = q.started_until {
            f.push(" AND x.started_at <= ").bind(micros(t));
        }
        let order = match &q.sort {
            None => " ORDER BY x.started_at DESC, x.id DESC".to_owned(),
            sort => crate::sql_order(
                sort.as_ref(),
                "x",
                &[
                    "id",
                    "started_at",
                    "stopped_at",
                    "meter_start",
                    "meter_stop",
                    "created_at",
                ],
            ),
        };
        crate::paginate(
            self.pool(),
            &format!("SELECT {TX_COLUMNS}{TX_FROM}"),
            TX_FROM,
            f,
            &order,
            q.page,
            tx_from_row,
        )
        .await
    }

    async fn find_transaction(&self, reach: &Reach, id: i64) -> StoreResult<Option<Transaction>> {
        let mut sql = Sql::new(&format!("SELECT {TX_COLUMNS}{TX_FROM} WHERE "));
        sql.bind_any_in(&[
            ("c.team_id", &reach.team_ids),
            ("c.site_id", &reach.site_ids),
            ("c.id", &reach.charger_ids),
        ])
        .push(" AND x.id = ")
        .bind(id);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(tx_from_row).transpose()
    }

    async fn list_meter_values(&self, q: &MeterValueQuery) -> StoreResult<Page<StoredMeterValue>> {
        let mut f = Sql::new(" WHERE m.charger_id = ");
        f.bind(q.charger_id);
        if let Some(c) = q.connector_id {
            f.push(" AND m.connector_id = ").bind(c as i64);
        }
        if let Some(t) = q.transaction_id {
            f.push(" AND m.transaction_id = ").bind(t);
        }
        if let Some(t) = q.date_from {
            f.push(" AND m.timestamp >= ").bind(micros(t));
        }
        if let Some(t) = q.date_to {
            f.push(" AND m.timestamp <= ").bind(micros(t));
        }
        eq_filter(&mut f, "m.measurand", &q.measurand);
        eq_filter(&mut f, "m.phase", &q.phase);
        eq_filter(&mut f, "m.unit", &q.unit);
        eq_filter(&mut f, "m.context", &q.context);
        eq_filter(&mut f, "m.location", &q.location);
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = format!(" ORDER BY m.timestamp {dir}, m.id {dir}");
        let select = "SELECT m.id, m.charger_id, m.connector_id, m.transaction_id, m.timestamp, m.value, m.context, \
            m.format, m.measurand, m.phase, m.location, m.unit FROM meter_values m";
        crate::paginate(
            self.pool(),
            select,
            " FROM meter_values m",
            f,
            &order,
            q.page,
            mv_from_row,
        )
        .await
    }

    /// Frames are stored in chunks (migrations 9 and 10, `log_chunks.rs`), which only Rust can
    /// unpack. Filtered by action or direction, every chunk of the charger in the date range is
    /// unpacked, one at a time. Otherwise the index answers most of it: the total is the sum of
    /// the frame counts of the chunks wholly in the range plus the frames in the range of the few
    /// chunks that straddle a bound (unpacked), and a page walks the chunks' frame counts to the
    /// chunks that hold it and unpacks only those.
    async fn list_logs(&self, q: &LogQuery) -> StoreResult<Page<StoredLogEntry>> {
        let (from, to) = (q.date_from.map(micros), q.date_to.map(micros));
        let in_range = |e: &StoredLogEntry| {
            let at = micros(e.entry.created_at);
            from.is_none_or(|t| at >= t) && to.is_none_or(|t| at <= t)
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        // The frames of a chunk in the page's order.
        let unpack = |row: &AnyRow| -> StoreResult<Vec<StoredLogEntry>> {
            let mut frames = log_chunks::unpack(row, q.charger_id)?;
            if q.descending {
                frames.reverse();
            }
            Ok(frames)
        };
        // The charger's chunks that overlap the date range.
        let overlapping = |select: &str| {
            let mut sql = Sql::new(select);
            sql.push(" FROM ocpp_log_chunks WHERE charger_id = ")
                .bind(q.charger_id);
            if let Some(t) = from {
                sql.push(" AND last_at >= ").bind(t);
            }
            if let Some(t) = to {
                sql.push(" AND first_at <= ").bind(t);
            }
            sql
        };
        let (offset, per_page) = (q.page.offset(), q.page.per_page);

        if q.action.is_some() || q.direction.is_some() {
            let wanted = |e: &StoredLogEntry| {
                in_range(e)
                    && q.direction.is_none_or(|d| e.entry.direction == d)
                    && q.action
                        .as_deref()
                        .is_none_or(|a| e.entry.action.as_deref() == Some(a))
            };
            let mut sql = overlapping("SELECT id, frames, packed");
            sql.push(&format!(" ORDER BY id {dir}"));
            let mut rows = sql.query().fetch(self.pool());
            let (mut total, mut items) = (0, Vec::new());
            while let Some(row) = rows.try_next().await.map_err(db_err)? {
                for frame in unpack(&row)?.into_iter().filter(wanted) {
                    if total >= offset && (items.len() as u64) < per_page {
                        items.push(frame);
                    }
                    total += 1;
                }
            }
            return Ok(Page {
                items,
                total,
                request: q.page,
            });
        }

        // Chunks that straddle a date bound hold frames outside the range: theirs in it.
        let mut straddling: HashMap<i64, Vec<StoredLogEntry>> = HashMap::new();
        if from.is_some() || to.is_some() {
            let mut sql = overlapping("SELECT id, frames, packed");
            match (from, to) {
                (Some(from), Some(to)) => sql
                    .push(" AND (first_at < ")
                    .bind(from)
                    .push(" OR last_at > ")
                    .bind(to)
                    .push(")"),
                (Some(from), None) => sql.push(" AND first_at < ").bind(from),
                (None, Some(to)) => sql.push(" AND last_at > ").bind(to),
                (None, None) => unreachable!("a date bound was given"),
            };
            for row in sql.query().fetch_all(self.pool()).await.map_err(db_err)? {
                let frames = unpack(&row)?.into_iter().filter(in_range).collect();
                straddling.insert(row.i64("id")?, frames);
            }
        }
        let mut whole = overlapping("SELECT COALESCE(SUM(frames_count), 0) AS n");
        if let Some(t) = from {
            whole.push(" AND first_at >= ").bind(t);
        }
        if let Some(t) = to {
            whole.push(" AND last_at <= ").bind(t);
        }
        let total =
            self.count(&whole).await? + straddling.values().map(Vec::len).sum::<usize>() as u64;

        // Every chunk before the page's end holds at least one frame in the range, except the
        // straddling ones: so many chunk heads reach it.
        let mut heads = overlapping("SELECT id, frames_count");
        heads.push(&format!(
            " ORDER BY id {dir} LIMIT {}",
            offset + per_page + straddling.len() as u64
        ));
        let (mut skip, mut room) = (offset, per_page);
        // The chunks that hold the page, in order, and how many of their frames precede it.
        let mut holding: Vec<(i64, u64)> = Vec::new();
        for head in heads.query().fetch_all(self.pool()).await.map_err(db_err)? {
            let id = head.i64("id")?;
            let count = match straddling.get(&id) {
                Some(frames) => frames.len() as u64,
                None => head.i64("frames_count")?.max(0) as u64,
            };
            if skip >= count {
                skip -= count;
                continue;
            }
            holding.push((id, skip));
            room = room.saturating_sub(count - skip);
            skip = 0;
            if room == 0 {
                break;
            }
        }
        let mut unpacked: HashMap<i64, Vec<StoredLogEntry>> = HashMap::new();
        let to_unpack: Vec<i64> = holding
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !straddling.contains_key(id))
            .collect();
        if !to_unpack.is_empty() {
            let mut sql = Sql::new("SELECT id, frames, packed FROM ocpp_log_chunks WHERE ");
            sql.bind_in("id", &to_unpack);
            for row in sql.query().fetch_all(self.pool()).await.map_err(db_err)? {
                unpacked.insert(row.i64("id")?, unpack(&row)?);
            }
        }
        let mut items = Vec::with_capacity(per_page as usize);
        for (id, skip) in holding {
            let frames = match straddling.remove(&id) {
                Some(frames) => frames,
                None => unpacked.remove(&id).unwrap_or_default(),
            };
            let room = per_page as usize - items.len();
            items.extend(frames.into_iter().skip(skip as usize).take(room));
        }
        Ok(Page {
            items,
            total,
            request: q.page,
        })
    }
}

impl Db {
    /// The `n` of a `SELECT ... AS n` count.
    async fn count(&self, sql: &Sql) -> StoreResult<u64> {
        let n = sql
            .query()
            .fetch_one(self.pool())
            .await
            .map_err(db_err)?
            .i64("n")?;
        Ok(n.max(0) as u64)
    }
}
