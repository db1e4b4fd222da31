//! Sites (locations) with their address.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::access::Reach;
use voltgate_core::model::{Address, Site};
use voltgate_core::store::{NewSite, SitePatch, SiteQuery, SiteStore, StoreResult};
use voltgate_core::{Page, StoreError};

use crate::sql::{db_err, micros, RowExt, Sql};
use crate::Db;

const COLUMNS: &str = "s.id, s.uuid, s.team_id, t.uuid AS team_uuid, s.name, s.street, s.house_number, \
    s.house_number_addition, s.postal_code, s.city, s.country, s.latitude, s.longitude, s.timezone, \
    s.created_at, s.updated_at, (SELECT COUNT(*) FROM chargers c WHERE c.site_id = s.id) AS chargers_count";
const FROM: &str = " FROM sites s JOIN teams t ON t.id = s.team_id";

fn site_from_row(r: &AnyRow) -> StoreResult<Site> {
    Ok(Site {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        team_id: r.i64("team_id")?,
        team_uuid: r.uuid("team_uuid")?,
        address: Address {
            name: r.string("name")?,
            street: r.opt_string("street")?,
            house_number: r.opt_string("house_number")?,
            house_number_addition: r.opt_string("house_number_addition")?,
            postal_code: r.opt_string("postal_code")?,
            city: r.opt_string("city")?,
            country: r.opt_string("country")?,
            latitude: r.opt_f64("latitude")?,
            longitude: r.opt_f64("longitude")?,
            timezone: r.string("timezone")?,
        },
        chargers_count: r.i64("chargers_count")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

impl Db {
    async fn site_where(
        &self,
        reach: &Reach,
        column: &str,
        value: crate::sql::Arg,
    ) -> StoreResult<Option<Site>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM} WHERE "));
        sql.bind_any_in(&[
            ("s.team_id", &reach.team_ids),
            ("s.id", &reach.site_ids),
            ("s.id", &reach.limited_site_ids),
        ])
        .push(" AND ")
        .push(column)
        .push(" = ")
        .bind(value);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(site_from_row).transpose()
    }
}

#[async_trait]
impl SiteStore for Db {
    async fn create_site(&self, site: NewSite) -> StoreResult<Site> {
        let now = micros(OffsetDateTime::now_utc());
        let uuid = Uuid::new_v4();
        let a = site.address;
        let mut sql = Sql::new(
            "INSERT INTO sites (uuid, team_id, name, street, house_number, house_number_addition, postal_code, city, \
             country, latitude, longitude, timezone, created_at, updated_at) VALUES (",
        );
        let values: Vec<crate::sql::Arg> = vec![
            uuid.to_string().into(),
            site.team_id.into(),
            a.name.into(),
            a.street.into(),
            a.house_number.into(),
            a.house_number_addition.into(),
            a.postal_code.into(),
            a.city.into(),
            a.country.into(),
            a.latitude.into(),
            a.longitude.into(),
            a.timezone.into(),
            now.into(),
            now.into(),
        ];
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(v);
        }
        sql.push(")");
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        self.find_site(&Reach::teams(vec![site.team_id]), uuid)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn list_sites(&self, q: &SiteQuery) -> StoreResult<Page<Site>> {
        let mut filter = Sql::new(" WHERE ");
        filter.bind_any_in(&[("s.team_id", &q.team_ids), ("s.id", &q.site_ids)]);
        if let Some(search) = &q.search {
            let pattern = format!("%{}%", search.to_lowercase());
            filter
                .push(" AND (LOWER(s.name) LIKE ")
                .bind(pattern.clone())
                .push(" OR LOWER(COALESCE(s.city, '')) LIKE ")
                .bind(pattern)
                .push(")");
        }
        let order = crate::sql_order(
            q.sort.as_ref(),
            "s",
            &["id", "name", "created_at", "updated_at", "city"],
        );
        crate::paginate(
            self.pool(),
            &format!("SELECT {COLUMNS}{FROM}"),
            FROM,
            filter,
            &order,
            q.page,
            site_from_row,
        )
        .await
    }

    async fn find_site(&self, reach: &Reach, uuid: Uuid) -> StoreResult<Option<Site>> {
        self.site_where(reach, "s.uuid", uuid.to_string().into())
            .await
    }

    async fn find_site_by_id(&self, reach: &Reach, id: i64) -> StoreResult<Option<Site>> {
        self.site_where(reach, "s.id", id.into()).await
    }

    async fn update_site(&self, id: i64, p: SitePatch) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE sites SET updated_at = ");
        sql.bind(micros(OffsetDateTime::now_utc()));
        if let Some(v) = p.name {
            sql.push(", name = ").bind(v);
        }
        for (col, v) in [
            ("street", p.street),
            ("house_number", p.house_number),
            ("house_number_addition", p.house_number_addition),
            ("postal_code", p.postal_code),
            ("city", p.city),
            ("country", p.country),
        ] {
            if let Some(v) = v {
                sql.push(&format!(", {col} = ")).bind(v);
            }
        }
        if let Some(v) = p.latitude {
            sql.push(", latitude = ").bind(v);
        }
        if let Some(v) = p.longitude {
            sql.push(", longitude = ").bind(v);
        }
        if let Some(v) = p.timezone {
            sql.push(", timezone = ").bind(v);
        }
        sql.push(" WHERE id = ").bind(id);
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_site(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        sqlx::query("UPDATE chargers SET site_id = NULL WHERE site_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM sites WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}
