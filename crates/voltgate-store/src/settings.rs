//! Charger settings and the outcome of applying them.

use async_trait::async_trait;
use time::OffsetDateTime;
use voltgate_core::settings::{ChargerSettings, SettingsState, SettingsStore};
use voltgate_core::store::StoreResult;

use crate::sql::{db_err, micros, RowExt, Sql};
use crate::Db;

/// The settings columns of a `charger_settings` row.
fn settings_from_row(r: &sqlx::any::AnyRow) -> StoreResult<ChargerSettings> {
    Ok(ChargerSettings {
        max_charge_current: r.opt_f64("max_charge_current")?,
        min_charge_current: r.opt_f64("min_charge_current")?,
        max_charge_phases: r.opt_i64("max_charge_phases")?.map(|v| v as i32),
        offline_charge_current: r.opt_f64("offline_charge_current")?,
        offline_charge_phase: r.opt_i64("offline_charge_phase")?.map(|v| v as i32),
        meter_value_interval: r.opt_i64("meter_value_interval")?.map(|v| v as i32),
    })
}

#[async_trait]
impl SettingsStore for Db {
    async fn settings(&self, charger_id: i64) -> StoreResult<SettingsState> {
        let row = sqlx::query(
            "SELECT max_charge_current, min_charge_current, max_charge_phases, offline_charge_current, offline_charge_phase, \
             meter_value_interval, status, detail, applied_at, updated_at FROM charger_settings WHERE charger_id = $1",
        )
        .bind(charger_id)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        let Some(r) = row else {
            return Ok(SettingsState {
                settings: ChargerSettings::default(),
                status: "applied".into(),
                detail: None,
                applied_at: None,
                updated_at: None,
            });
        };
        Ok(SettingsState {
            settings: settings_from_row(&r)?,
            status: r.string("status")?,
            detail: r.opt_string("detail")?,
            applied_at: r.opt_time("applied_at")?,
            updated_at: Some(r.time("updated_at")?),
        })
    }

    async fn settings_of(&self, charger_ids: &[i64]) -> StoreResult<Vec<(i64, ChargerSettings)>> {
        let mut sql = Sql::new(
            "SELECT charger_id, max_charge_current, min_charge_current, max_charge_phases, offline_charge_current, \
             offline_charge_phase, meter_value_interval FROM charger_settings WHERE ",
        );
        sql.bind_in("charger_id", charger_ids);
        let rows = sql.query().fetch_all(self.pool()).await.map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((r.i64("charger_id")?, settings_from_row(r)?)))
            .collect()
    }

    async fn save_settings(&self, charger_id: i64, s: &ChargerSettings) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO charger_settings (charger_id, max_charge_current, min_charge_current, max_charge_phases, \
             offline_charge_current, offline_charge_phase, meter_value_interval, status, updated_at) VALUES (",
        );
        sql.bind(charger_id)
            .push(", ")
            .bind(s.max_charge_current)
            .push(", ")
            .bind(s.min_charge_current);
        sql.push(", ")
            .bind(s.max_charge_phases.map(i64::from))
            .push(", ")
            .bind(s.offline_charge_current);
        sql.push(", ")
            .bind(s.offline_charge_phase.map(i64::from))
            .push(", ")
            .bind(s.meter_value_interval.map(i64::from));
        sql.push(", 'pending', ")
            .bind(micros(OffsetDateTime::now_utc()));
        sql.push(
            ") ON CONFLICT (charger_id) DO UPDATE SET max_charge_current = excluded.max_charge_current, \
             min_charge_current = excluded.min_charge_current, max_charge_phases = excluded.max_charge_phases, \
             offline_charge_current = excluded.offline_charge_current, offline_charge_phase = excluded.offline_charge_phase, \
             meter_value_interval = excluded.meter_value_interval, status = 'pending', detail = NULL, updated_at = excluded.updated_at",
        );
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn settings_outcome(
        &self,
        charger_id: i64,
        status: &str,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        let applied_at = (status == "applied").then(|| micros(OffsetDateTime::now_utc()));
        sqlx::query("UPDATE charger_settings SET status = $1, detail = $2, applied_at = COALESCE($3, applied_at) WHERE charger_id = $4")
            .bind(status)
            .bind(detail)
            .bind(applied_at)
            .bind(charger_id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
