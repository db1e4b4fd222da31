//! Site load management, circuits and the readings the allocator needs.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::error::StoreError;
use voltgate_core::load::{
    CircuitCharger, CircuitFields, CircuitRecord, LatestReading, LoadSettings, LoadStore,
};
use voltgate_core::store::StoreResult;

use crate::reports::LIVE_MEASURANDS;
use crate::sql::{db_err, micros, RowExt, Sql};
use crate::Db;

const CIRCUIT_COLUMNS: &str =
    "id, uuid, site_id, parent_id, name, max_current, phases, created_at, updated_at";

fn circuit(r: &AnyRow) -> Result<CircuitRecord, StoreError> {
    Ok(CircuitRecord {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        site_id: r.i64("site_id")?,
        parent_id: r.opt_i64("parent_id")?,
        name: r.string("name")?,
        max_current: r.opt_f64("max_current")?.unwrap_or(0.0),
        phases: r.i64("phases")? as i32,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

#[async_trait]
impl LoadStore for Db {
    async fn load_settings(&self, site_id: i64) -> StoreResult<LoadSettings> {
        let row = sqlx::query(
            "SELECT max_current, available_current, available_current_phase1, available_current_phase2, \
             available_current_phase3, three_to_one_phase_switch_current, minimum_current, updated_at \
             FROM site_load_management WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        let Some(r) = row else {
            return Ok(LoadSettings::default());
        };
        Ok(LoadSettings {
            max_current: r.opt_f64("max_current")?,
            available_current: r.opt_f64("available_current")?,
            available_current_phase1: r.opt_f64("available_current_phase1")?,
            available_current_phase2: r.opt_f64("available_current_phase2")?,
            available_current_phase3: r.opt_f64("available_current_phase3")?,
            three_to_one_phase_switch_current: r.opt_f64("three_to_one_phase_switch_current")?,
            minimum_current: r.opt_f64("minimum_current")?,
            updated_at: r.opt_time("updated_at")?,
        })
    }

    async fn save_load_settings(&self, site_id: i64, s: &LoadSettings) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO site_load_management (site_id, max_current, available_current, available_current_phase1, \
             available_current_phase2, available_current_phase3, three_to_one_phase_switch_current, minimum_current, \
             updated_at) VALUES (",
        );
        sql.bind(site_id);
        for v in [
            s.max_current,
            s.available_current,
            s.available_current_phase1,
            s.available_current_phase2,
            s.available_current_phase3,
            s.three_to_one_phase_switch_current,
            s.minimum_current,
        ] {
            sql.push(", ").bind(v);
        }
        sql.push(", ").bind(micros(OffsetDateTime::now_utc()));
        sql.push(
            ") ON CONFLICT (site_id) DO UPDATE SET max_current = excluded.max_current, \
             available_current = excluded.available_current, available_current_phase1 = excluded.available_current_phase1, \
             available_current_phase2 = excluded.available_current_phase2, available_current_phase3 = excluded.available_current_phase3, \
             three_to_one_phase_switch_current = excluded.three_to_one_phase_switch_current, \
             minimum_current = excluded.minimum_current, updated_at = excluded.updated_at",
        );
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn list_circuits(&self, site_id: i64) -> StoreResult<Vec<CircuitRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {CIRCUIT_COLUMNS} FROM circuits WHERE site_id = $1 ORDER BY id"
        ))
        .bind(site_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.iter().map(circuit).collect()
    }

    async fn find_circuit(&self, site_id: i64, uuid: Uuid) -> StoreResult<Option<CircuitRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {CIRCUIT_COLUMNS} FROM circuits WHERE site_id = $1 AND uuid = $2"
        ))
        .bind(site_id)
        .bind(uuid.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        row.as_ref().map(circuit).transpose()
    }

    async fn create_circuit(&self, site_id: i64, f: &CircuitFields) -> StoreResult<CircuitRecord> {
        let uuid = Uuid::new_v4();
        let now = micros(OffsetDateTime::now_utc());
        let mut sql = Sql::new(
            "INSERT INTO circuits (uuid, site_id, parent_id, name, max_current, phases, created_at, updated_at) VALUES (",
        );
        sql.bind(uuid.to_string())
            .push(", ")
            .bind(site_id)
            .push(", ")
            .bind(f.parent_id)
            .push(", ")
            .bind(f.name.as_str());
        sql.push(", ")
            .bind(Some(f.max_current))
            .push(", ")
            .bind(i64::from(f.phases))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        self.find_circuit(site_id, uuid)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn update_circuit(&self, id: i64, f: &CircuitFields) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE circuits SET parent_id = ");
        sql.bind(f.parent_id)
            .push(", name = ")
            .bind(f.name.as_str())
            .push(", max_current = ")
            .bind(Some(f.max_current));
        sql.push(", phases = ")
            .bind(i64::from(f.phases))
            .push(", updated_at = ")
            .bind(micros(OffsetDateTime::now_utc()))
            .push(" WHERE id = ")
            .bind(id);
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_circuit(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        sqlx::query("DELETE FROM circuit_chargers WHERE circuit_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM circuits WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn circuit_chargers(&self, site_id: i64) -> StoreResult<Vec<CircuitCharger>> {
        let rows = sqlx::query(
            "SELECT cc.circuit_id, cc.charger_id, cc.priority FROM circuit_chargers cc \
             JOIN circuits c ON c.id = cc.circuit_id WHERE c.site_id = $1 ORDER BY cc.charger_id",
        )
        .bind(site_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(CircuitCharger {
                    circuit_id: r.i64("circuit_id")?,
                    charger_id: r.i64("charger_id")?,
                    priority: r.i64("priority")? as i32,
                })
            })
            .collect()
    }

    async fn attach_charger(
        &self,
        circuit_id: i64,
        charger_id: i64,
        priority: i32,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO circuit_chargers (charger_id, circuit_id, priority, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (charger_id) DO UPDATE SET circuit_id = excluded.circuit_id, priority = excluded.priority",
        )
        .bind(charger_id)
        .bind(circuit_id)
        .bind(i64::from(priority))
        .bind(micros(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn detach_charger(&self, circuit_id: i64, charger_id: i64) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM circuit_chargers WHERE circuit_id = $1 AND charger_id = $2")
                .bind(circuit_id)
                .bind(charger_id)
                .execute(self.pool())
                .await
                .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn sites_of_chargers(&self, charger_ids: &[i64]) -> StoreResult<Vec<(i64, Option<i64>)>> {
        let mut sites = Vec::with_capacity(charger_ids.len());
        // Well below both engines' limits on bound parameters.
        for ids in charger_ids.chunks(1000) {
            let mut sql = Sql::new("SELECT id, site_id FROM chargers WHERE ");
            sql.bind_in("id", ids);
            for r in sql.query().fetch_all(self.pool()).await.map_err(db_err)? {
                sites.push((r.i64("id")?, r.opt_i64("site_id")?));
            }
        }
        Ok(sites)
    }

    async fn site_by_id(&self, site_id: i64) -> StoreResult<Option<voltgate_core::model::Site>> {
        let row = sqlx::query("SELECT team_id FROM sites WHERE id = $1")
            .bind(site_id)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        let Some(team_id) = row.map(|r| r.i64("team_id")).transpose()? else {
            return Ok(None);
        };
        use voltgate_core::store::SiteStore;
        self.find_site_by_id(&voltgate_core::access::Reach::teams(vec![team_id]), site_id)
            .await
    }

    async fn chargers_with_sessions(&self, charger_ids: &[i64]) -> StoreResult<Vec<i64>> {
        let mut sql = Sql::new("SELECT DISTINCT charger_id FROM transactions WHERE status = ");
        sql.bind("active")
            .push(" AND ")
            .bind_in("charger_id", charger_ids);
        sql.push(" ORDER BY charger_id");
        let rows = sql.query().fetch_all(self.pool()).await.map_err(db_err)?;
        rows.iter().map(|r| r.i64("charger_id")).collect()
    }

    async fn latest_readings(
        &self,
        charger_ids: &[i64],
        since: Option<OffsetDateTime>,
    ) -> StoreResult<Vec<LatestReading>> {
        // Per connector the newest live reading (one with a current or power sample), then its
        // current and power samples. Both steps are served by meter_readings_charger
        // (charger_id, timestamp); `since` bounds the first one to recent rows.
        let mut sql = Sql::new(
            "SELECT r.charger_id, r.connector_id, r.timestamp, r.sampled FROM meter_readings r \
             JOIN (SELECT charger_id, connector_id, MAX(timestamp) AS ts FROM meter_readings WHERE ",
        );
        sql.bind_in("charger_id", charger_ids);
        if let Some(since) = since {
            sql.push(" AND timestamp >= ").bind(micros(since));
        }
        sql.push(
            " AND live = 1 GROUP BY charger_id, connector_id) l \
             ON r.charger_id = l.charger_id AND r.timestamp = l.ts AND r.connector_id = l.connector_id \
             WHERE r.live = 1 ORDER BY r.charger_id, r.connector_id, r.id",
        );
        let rows = sql.query().fetch_all(self.pool()).await.map_err(db_err)?;
        let mut out = Vec::new();
        for r in &rows {
            let charger_id = r.i64("charger_id")?;
            let connector_id = r.i64("connector_id")? as i32;
            let timestamp = r.time("timestamp")?;
            for [value, _context, _format, measurand, phase, _location, unit] in
                crate::reports::unpack_sampled(&r.string("sampled")?)?
            {
                let Some(measurand) = measurand.filter(|m| LIVE_MEASURANDS.contains(&m.as_str()))
                else {
                    continue;
                };
                out.push(LatestReading {
                    charger_id,
                    connector_id,
                    timestamp,
                    measurand,
                    phase,
                    unit,
                    value: value.unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }
}
