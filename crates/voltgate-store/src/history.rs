//! Transactions, meter values and the OCPP message log, read back for the API.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use voltgate_core::access::Reach;
use voltgate_core::model::{LogEntry, MeterSample, StoredLogEntry, StoredMeterValue, Transaction};
use voltgate_core::store::{
    HistoryStore, LogQuery, MeterValueQuery, StoreResult, TransactionQuery,
};
use voltgate_core::types::{Direction, TransactionStatus};
use voltgate_core::Page;

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

fn log_from_row(r: &AnyRow) -> StoreResult<StoredLogEntry> {
    Ok(StoredLogEntry {
        id: r.i64("id")?,
        entry: LogEntry {
            charger_id: r.i64("charger_id")?,
            direction: Direction::parse(&r.string("direction")?)
                .unwrap_or(Direction::ChargerToCsms),
            message_type: r.i64("message_type")? as i16,
            action: r.opt_string("action")?,
            message_id: r.opt_string("message_id")?,
            payload: r.string("payload")?,
            created_at: r.time("created_at")?,
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

    /// Frames are stored in chunks (migration 9). Filtered by action or direction, every chunk
    /// of the charger (in the date range) is unpacked. Otherwise the total comes from the
    /// chunks' frame counts (only chunks that straddle a date bound are unpacked), and a page
    /// unpacks only the chunks that can hold it: each chunk in the date range holds at least
    /// one frame in it, except one that spans the whole range.
    async fn list_logs(&self, q: &LogQuery) -> StoreResult<Page<StoredLogEntry>> {
        let (from, to) = (q.date_from.map(micros), q.date_to.map(micros));
        let mut f = Sql::new(" WHERE l.charger_id = ");
        f.bind(q.charger_id);
        eq_filter(&mut f, "l.action", &q.action);
        if let Some(d) = q.direction {
            f.push(" AND l.direction = ").bind(d.as_str());
        }
        // The chunk bounds first: they skip whole chunks without unpacking their frames.
        if let Some(t) = from {
            f.push(" AND l.chunk_last_at >= ").bind(t);
            f.push(" AND l.created_at >= ").bind(t);
        }
        if let Some(t) = to {
            f.push(" AND l.chunk_first_at <= ").bind(t);
            f.push(" AND l.created_at <= ").bind(t);
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = format!(" ORDER BY l.id {dir}");
        if q.action.is_some() || q.direction.is_some() {
            return crate::paginate(
                self.pool(),
                LOG_SELECT,
                " FROM ocpp_logs l",
                f,
                &order,
                q.page,
                log_from_row,
            )
            .await;
        }

        // The charger's chunks that overlap the date range.
        let chunks = |sql: &mut Sql| {
            sql.push(" WHERE charger_id = ").bind(q.charger_id);
            if let Some(t) = from {
                sql.push(" AND last_at >= ").bind(t);
            }
            if let Some(t) = to {
                sql.push(" AND first_at <= ").bind(t);
            }
        };
        let mut whole = Sql::new("SELECT COALESCE(SUM(frames_count), 0) AS n FROM ocpp_log_chunks");
        chunks(&mut whole);
        if let Some(t) = from {
            whole.push(" AND first_at >= ").bind(t);
        }
        if let Some(t) = to {
            whole.push(" AND last_at <= ").bind(t);
        }
        // Chunks wholly in the range: their frame counts.
        let mut total = self.count(&whole).await?;
        let mut spanning = 0;
        if from.is_some() || to.is_some() {
            let mut straddling = Sql::new("SELECT COUNT(*) AS n FROM ocpp_logs l");
            straddling.push(&f.text);
            straddling.args.extend(f.args.iter().cloned());
            // Chunks that straddle a bound: their frames in the range, one by one.
            straddling.push(" AND (");
            match (from, to) {
                (Some(from), Some(to)) => straddling
                    .push("l.chunk_first_at < ")
                    .bind(from)
                    .push(" OR l.chunk_last_at > ")
                    .bind(to),
                (Some(from), None) => straddling.push("l.chunk_first_at < ").bind(from),
                (None, Some(to)) => straddling.push("l.chunk_last_at > ").bind(to),
                (None, None) => unreachable!("a date bound was given"),
            };
            straddling.push(")");
            total += self.count(&straddling).await?;
            if let (Some(from), Some(to)) = (from, to) {
                let mut span = Sql::new("SELECT COUNT(*) AS n FROM ocpp_log_chunks");
                chunks(&mut span);
                span.push(" AND first_at < ").bind(from);
                span.push(" AND last_at > ").bind(to);
                spanning = self.count(&span).await?;
            }
        }

        let take = q.page.offset() + q.page.per_page + spanning;
        let mut page = Sql::new(LOG_SELECT);
        page.push(" WHERE l.chunk_id IN (SELECT id FROM ocpp_log_chunks");
        chunks(&mut page);
        page.push(&format!(" ORDER BY id {dir} LIMIT {take})"));
        if let Some(t) = from {
            page.push(" AND l.created_at >= ").bind(t);
        }
        if let Some(t) = to {
            page.push(" AND l.created_at <= ").bind(t);
        }
        page.push(&format!(
            "{order} LIMIT {} OFFSET {}",
            q.page.per_page,
            q.page.offset()
        ));
        let rows = page.query().fetch_all(self.pool()).await.map_err(db_err)?;
        Ok(Page {
            items: rows.iter().map(log_from_row).collect::<StoreResult<_>>()?,
            total,
            request: q.page,
        })
    }
}

const LOG_SELECT: &str = "SELECT l.id, l.charger_id, l.direction, l.message_type, l.action, \
    l.message_id, l.payload, l.created_at FROM ocpp_logs l";

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
