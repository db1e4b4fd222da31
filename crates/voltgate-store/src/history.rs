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

    async fn list_logs(&self, q: &LogQuery) -> StoreResult<Page<StoredLogEntry>> {
        let mut f = Sql::new(" WHERE l.charger_id = ");
        f.bind(q.charger_id);
        eq_filter(&mut f, "l.action", &q.action);
        if let Some(d) = q.direction {
            f.push(" AND l.direction = ").bind(d.as_str());
        }
        // The chunk bounds first: they skip whole chunks without unpacking their frames.
        if let Some(t) = q.date_from {
            let t = micros(t);
            f.push(" AND l.chunk_last_at >= ").bind(t);
            f.push(" AND l.created_at >= ").bind(t);
        }
        if let Some(t) = q.date_to {
            let t = micros(t);
            f.push(" AND l.chunk_first_at <= ").bind(t);
            f.push(" AND l.created_at <= ").bind(t);
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = format!(" ORDER BY l.id {dir}");
        let select = "SELECT l.id, l.charger_id, l.direction, l.message_type, l.action, l.message_id, l.payload, l.created_at FROM ocpp_logs l";
        crate::paginate(
            self.pool(),
            select,
            " FROM ocpp_logs l",
            f,
            &order,
            q.page,
            log_from_row,
        )
        .await
    }
}
