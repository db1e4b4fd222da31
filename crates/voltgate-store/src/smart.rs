//! Smart-charging settings per site and day-ahead prices per zone.

use async_trait::async_trait;
use time::OffsetDateTime;
use voltgate_core::smart::{DayAheadPrice, PriceStrategy, SmartMode, SmartSettings, SmartStore};
use voltgate_core::store::StoreResult;

use crate::sql::{db_err, from_micros, micros, RowExt, Sql};
use crate::Db;

/// Rows per INSERT when loading prices (4 parameters each, far below every engine's limit).
const PRICE_CHUNK: usize = 250;

#[async_trait]
impl SmartStore for Db {
    async fn smart_settings(&self, site_id: i64) -> StoreResult<SmartSettings> {
        let row = sqlx::query(
            "SELECT mode, strategy, threshold, off_peak_start, off_peak_end, tariff_zone, updated_at \
             FROM site_smart_charging WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        let Some(r) = row else {
            return Ok(SmartSettings::default());
        };
        let defaults = SmartSettings::default();
        Ok(SmartSettings {
            mode: SmartMode::parse(&r.string("mode")?).unwrap_or_default(),
            strategy: PriceStrategy::parse(&r.string("strategy")?).unwrap_or_default(),
            threshold: r.opt_i64("threshold")?,
            off_peak_start: u16::try_from(r.i64("off_peak_start")?)
                .unwrap_or(defaults.off_peak_start),
            off_peak_end: u16::try_from(r.i64("off_peak_end")?).unwrap_or(defaults.off_peak_end),
            tariff_zone: r.opt_string("tariff_zone")?,
            updated_at: Some(r.time("updated_at")?),
        })
    }

    async fn save_smart_settings(&self, site_id: i64, s: &SmartSettings) -> StoreResult<()> {
        let mut sql = Sql::new(
            "INSERT INTO site_smart_charging (site_id, mode, strategy, threshold, off_peak_start, off_peak_end, \
             tariff_zone, updated_at) VALUES (",
        );
        sql.bind(site_id)
            .push(", ")
            .bind(s.mode.as_str())
            .push(", ")
            .bind(s.strategy.as_str())
            .push(", ")
            .bind(s.threshold);
        sql.push(", ")
            .bind(i64::from(s.off_peak_start))
            .push(", ")
            .bind(i64::from(s.off_peak_end))
            .push(", ")
            .bind(s.tariff_zone.clone())
            .push(", ")
            .bind(micros(OffsetDateTime::now_utc()));
        sql.push(
            ") ON CONFLICT (site_id) DO UPDATE SET mode = excluded.mode, strategy = excluded.strategy, \
             threshold = excluded.threshold, off_peak_start = excluded.off_peak_start, \
             off_peak_end = excluded.off_peak_end, tariff_zone = excluded.tariff_zone, updated_at = excluded.updated_at",
        );
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn save_prices(&self, prices: &[DayAheadPrice]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        for chunk in prices.chunks(PRICE_CHUNK) {
            let mut sql = Sql::new(
                "INSERT INTO day_ahead_prices (location, timestamp, price, price_includes_tax) VALUES ",
            );
            for (i, p) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(p.location.as_str())
                    .push(", ")
                    .bind(micros(p.timestamp))
                    .push(", ")
                    .bind(Some(p.price))
                    .push(", ")
                    .bind(i64::from(p.price_includes_tax))
                    .push(")");
            }
            sql.push(
                " ON CONFLICT (location, timestamp) DO UPDATE SET price = excluded.price, \
                 price_includes_tax = excluded.price_includes_tax",
            );
            sql.query().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn prices(
        &self,
        location: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<DayAheadPrice>> {
        let rows = sqlx::query(
            "SELECT location, timestamp, price, price_includes_tax FROM day_ahead_prices \
             WHERE location = $1 AND timestamp >= $2 AND timestamp < $3 ORDER BY timestamp",
        )
        .bind(location)
        .bind(micros(from))
        .bind(micros(to))
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(DayAheadPrice {
                    location: r.string("location")?,
                    timestamp: from_micros(r.i64("timestamp")?),
                    price: r.opt_f64("price")?.unwrap_or(0.0),
                    price_includes_tax: r.boolean("price_includes_tax")?,
                })
            })
            .collect()
    }
}
