//! The simulator's locations and simulated charger definitions (core's `LabStore`).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::lab::*;
use voltgate_core::store::StoreResult;
use voltgate_core::{Page, PageRequest, StoreError};

use crate::sql::{db_err, micros, Arg, RowExt, Sql};
use crate::Db;

const LOCATION_COLUMNS: &str = "id, uuid, team_id, name, slug, address, city, country, latitude, \
    longitude, timezone, owner_name, is_public, status, created_at, updated_at";

const CHARGER_COLUMNS: &str = "c.id, c.public_id, c.team_id, c.identity, c.name, c.vendor_name, \
    c.model, c.image_url, c.ocpp_version, c.number_of_connectors, c.max_charging_power, \
    c.connector_type, c.location_id, l.uuid AS location_uuid, c.brand_slug, c.model_slug, c.ws_url, \
    c.password, c.id_tag, c.scenario, c.provisioning_status, c.error_code, c.error_message, \
    c.error_retryable, c.workflow_run_id, c.provisioned_at, c.desired_running, c.created_at, \
    c.updated_at";
const CHARGER_FROM: &str = " FROM lab_chargers c LEFT JOIN lab_locations l ON l.id = c.location_id";

fn location_from_row(r: &AnyRow) -> StoreResult<LabLocation> {
    Ok(LabLocation {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        team_id: r.i64("team_id")?,
        name: r.string("name")?,
        slug: r.string("slug")?,
        address: r.opt_string("address")?,
        city: r.opt_string("city")?,
        country: r.opt_string("country")?,
        latitude: r.opt_f64("latitude")?,
        longitude: r.opt_f64("longitude")?,
        timezone: r.opt_string("timezone")?,
        owner_name: r.opt_string("owner_name")?,
        public: r.boolean("is_public")?,
        status: r.string("status")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn charger_from_row(r: &AnyRow) -> StoreResult<LabCharger> {
    let status = r.string("provisioning_status")?;
    let status = ProvisioningStatus::parse(&status)
        .ok_or_else(|| StoreError::Database(format!("unknown provisioning status {status:?}")))?;
    let error = match r.opt_string("error_code")? {
        Some(code) => Some(ProvisioningError {
            code,
            message: r.opt_string("error_message")?.unwrap_or_default(),
            retryable: r.boolean("error_retryable")?,
        }),
        None => None,
    };
    let location_uuid = match r.opt_string("location_uuid")? {
        Some(text) => Some(
            Uuid::parse_str(&text)
                .map_err(|e| StoreError::Database(format!("bad uuid in location_uuid: {e}")))?,
        ),
        None => None,
    };
    Ok(LabCharger {
        id: r.i64("id")?,
        public_id: r.string("public_id")?,
        team_id: r.i64("team_id")?,
        identity: r.string("identity")?,
        name: r.opt_string("name")?,
        vendor_name: r.opt_string("vendor_name")?,
        model: r.opt_string("model")?,
        image_url: r.opt_string("image_url")?,
        ocpp_version: r.string("ocpp_version")?,
        number_of_connectors: i32::try_from(r.i64("number_of_connectors")?)
            .map_err(|e| StoreError::Database(format!("number_of_connectors: {e}")))?,
        max_charging_power: r.opt_i64("max_charging_power")?,
        connector_type: r.opt_string("connector_type")?,
        location_id: r.opt_i64("location_id")?,
        location_uuid,
        brand_slug: r.opt_string("brand_slug")?,
        model_slug: r.opt_string("model_slug")?,
        ws_url: r.opt_string("ws_url")?,
        password: r.opt_string("password")?,
        id_tag: r.opt_string("id_tag")?,
        scenario: r.opt_string("scenario")?,
        provisioning: Provisioning {
            status,
            error,
            workflow_run_id: r.opt_string("workflow_run_id")?,
            provisioned_at: r.opt_time("provisioned_at")?,
        },
        desired_running: r.boolean("desired_running")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

impl Db {
    async fn lab_location_where(&self, filter: Sql) -> StoreResult<Option<LabLocation>> {
        let mut sql = Sql::new(&format!("SELECT {LOCATION_COLUMNS} FROM lab_locations"));
        sql.push(&filter.text);
        sql.args = filter.args;
        sql.push(" ORDER BY id LIMIT 1");
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(location_from_row).transpose()
    }

    async fn lab_charger_where(&self, filter: Sql) -> StoreResult<Option<LabCharger>> {
        let mut sql = Sql::new(&format!("SELECT {CHARGER_COLUMNS}{CHARGER_FROM}"));
        sql.push(&filter.text);
        sql.args = filter.args;
        sql.push(" ORDER BY c.id LIMIT 1");
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(charger_from_row).transpose()
    }

    async fn lab_chargers_where(&self, condition: &str) -> StoreResult<Vec<LabCharger>> {
        let sql = format!("SELECT {CHARGER_COLUMNS}{CHARGER_FROM} WHERE {condition} ORDER BY c.id");
        let rows = sqlx::query(&sql)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.iter().map(charger_from_row).collect()
    }
}

/// Binds a float, or writes `NULL` into the statement. sqlx 0.8's `Any` driver sends a NULL
/// `f64` to PostgreSQL as a `float4` (its `Real`/`Double` null kinds are swapped), and a cached
/// statement prepared with that parameter type then refuses a real `f64` ("incorrect binary
/// data format"). With `NULL` in the text, the two cases are different statements.
fn push_f64(sql: &mut Sql, value: Option<f64>) {
    match value {
        Some(value) => {
            sql.bind(Some(value));
        }
        None => {
            sql.push("NULL");
        }
    }
}

/// Appends `, column = $n` for each field the patch sets.
fn set_optional(sql: &mut Sql, column: &str, value: Option<impl Into<Arg>>) {
    if let Some(value) = value {
        sql.push(&format!(", {column} = ")).bind(value);
    }
}

#[async_trait]
impl LabStore for Db {
    async fn create_lab_location(&self, l: NewLabLocation) -> StoreResult<LabLocation> {
        let now = micros(OffsetDateTime::now_utc());
        let uuid = Uuid::new_v4();
        let mut sql = Sql::new(
            "INSERT INTO lab_locations (uuid, team_id, name, slug, address, city, country, latitude, \
             longitude, timezone, owner_name, is_public, status, created_at, updated_at) VALUES (",
        );
        sql.bind(uuid.to_string())
            .push(", ")
            .bind(l.team_id)
            .push(", ")
            .bind(l.name)
            .push(", ")
            .bind(l.slug)
            .push(", ")
            .bind(l.address)
            .push(", ")
            .bind(l.city)
            .push(", ")
            .bind(l.country)
            .push(", ");
        push_f64(&mut sql, l.latitude);
        sql.push(", ");
        push_f64(&mut sql, l.longitude);
        sql.push(", ")
            .bind(l.timezone)
            .push(", ")
            .bind(l.owner_name)
            .push(", ")
            .bind(l.public)
            .push(", 'active', ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        self.find_lab_location(&[l.team_id], uuid)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn list_lab_locations(
        &self,
        team_ids: &[i64],
        page: PageRequest,
    ) -> StoreResult<Page<LabLocation>> {
        let mut filter = Sql::new(" WHERE ");
        filter.bind_in("team_id", team_ids);
        crate::paginate(
            self.pool(),
            &format!("SELECT {LOCATION_COLUMNS} FROM lab_locations"),
            " FROM lab_locations",
            filter,
            " ORDER BY id ASC",
            page,
            location_from_row,
        )
        .await
    }

    async fn find_lab_location(
        &self,
        team_ids: &[i64],
        uuid: Uuid,
    ) -> StoreResult<Option<LabLocation>> {
        let mut filter = Sql::new(" WHERE ");
        filter
            .bind_in("team_id", team_ids)
            .push(" AND uuid = ")
            .bind(uuid.to_string());
        self.lab_location_where(filter).await
    }

    async fn find_lab_location_by_name(
        &self,
        team_ids: &[i64],
        name: &str,
    ) -> StoreResult<Option<LabLocation>> {
        let mut filter = Sql::new(" WHERE ");
        filter
            .bind_in("team_id", team_ids)
            .push(" AND LOWER(name) = ")
            .bind(name.to_lowercase());
        self.lab_location_where(filter).await
    }

    async fn update_lab_location(&self, id: i64, p: LabLocationPatch) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE lab_locations SET updated_at = ");
        sql.bind(micros(OffsetDateTime::now_utc()));
        set_optional(&mut sql, "name", p.name);
        set_optional(&mut sql, "slug", p.slug);
        set_optional(&mut sql, "address", p.address);
        set_optional(&mut sql, "city", p.city);
        set_optional(&mut sql, "country", p.country);
        for (column, value) in [("latitude", p.latitude), ("longitude", p.longitude)] {
            if let Some(value) = value {
                sql.push(&format!(", {column} = "));
                push_f64(&mut sql, value);
            }
        }
        set_optional(&mut sql, "timezone", p.timezone);
        set_optional(&mut sql, "owner_name", p.owner_name);
        set_optional(&mut sql, "is_public", p.public);
        sql.push(" WHERE id = ").bind(id);
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_lab_location(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        sqlx::query("UPDATE lab_chargers SET location_id = NULL WHERE location_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM lab_locations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn create_lab_charger(&self, c: NewLabCharger) -> StoreResult<LabCharger> {
        let now = micros(OffsetDateTime::now_utc());
        let error = c.provisioning.error.as_ref();
        sqlx::query(
            "INSERT INTO lab_chargers (public_id, team_id, identity, name, vendor_name, model, image_url, \
             ocpp_version, number_of_connectors, max_charging_power, connector_type, location_id, \
             brand_slug, model_slug, ws_url, password, id_tag, scenario, provisioning_status, \
             error_code, error_message, error_retryable, workflow_run_id, provisioned_at, \
             desired_running, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23, $24, 0, $25, $25)",
        )
        .bind(c.public_id.as_str())
        .bind(c.team_id)
        .bind(c.identity)
        .bind(c.name)
        .bind(c.vendor_name)
        .bind(c.model)
        .bind(c.image_url)
        .bind(c.ocpp_version)
        .bind(i64::from(c.number_of_connectors))
        .bind(c.max_charging_power)
        .bind(c.connector_type)
        .bind(c.location_id)
        .bind(c.brand_slug)
        .bind(c.model_slug)
        .bind(c.ws_url)
        .bind(c.password)
        .bind(c.id_tag)
        .bind(c.scenario)
        .bind(c.provisioning.status.as_str())
        .bind(error.map(|e| e.code.clone()))
        .bind(error.map(|e| e.message.clone()))
        .bind(i64::from(error.is_some_and(|e| e.retryable)))
        .bind(c.provisioning.workflow_run_id.clone())
        .bind(c.provisioning.provisioned_at.map(micros))
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        self.find_lab_charger(&[c.team_id], &c.public_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn list_lab_chargers(&self, q: &LabChargerQuery) -> StoreResult<Page<LabCharger>> {
        let mut filter = Sql::new(" WHERE ");
        filter.bind_in("c.team_id", &q.team_ids);
        if let Some(location_id) = q.location_id {
            filter.push(" AND c.location_id = ").bind(location_id);
        }
        crate::paginate(
            self.pool(),
            &format!("SELECT {CHARGER_COLUMNS}{CHARGER_FROM}"),
            CHARGER_FROM,
            filter,
            " ORDER BY c.id ASC",
            q.page,
            charger_from_row,
        )
        .await
    }

    async fn find_lab_charger(
        &self,
        team_ids: &[i64],
        public_id: &str,
    ) -> StoreResult<Option<LabCharger>> {
        let mut filter = Sql::new(" WHERE ");
        filter
            .bind_in("c.team_id", team_ids)
            .push(" AND c.public_id = ")
            .bind(public_id);
        self.lab_charger_where(filter).await
    }

    async fn find_lab_charger_by_identity(
        &self,
        team_ids: &[i64],
        identity: &str,
    ) -> StoreResult<Option<LabCharger>> {
        let mut filter = Sql::new(" WHERE ");
        filter
            .bind_in("c.team_id", team_ids)
            .push(" AND c.identity = ")
            .bind(identity);
        self.lab_charger_where(filter).await
    }

    async fn find_lab_charger_by_id(&self, id: i64) -> StoreResult<Option<LabCharger>> {
        let mut filter = Sql::new(" WHERE c.id = ");
        filter.bind(id);
        self.lab_charger_where(filter).await
    }

    async fn update_lab_charger(&self, id: i64, p: LabChargerPatch) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE lab_chargers SET updated_at = ");
        sql.bind(micros(OffsetDateTime::now_utc()));
        set_optional(&mut sql, "identity", p.identity);
        set_optional(&mut sql, "name", p.name);
        set_optional(&mut sql, "vendor_name", p.vendor_name);
        set_optional(&mut sql, "model", p.model);
        set_optional(&mut sql, "image_url", p.image_url);
        set_optional(&mut sql, "ocpp_version", p.ocpp_version);
        set_optional(
            &mut sql,
            "number_of_connectors",
            p.number_of_connectors.map(i64::from),
        );
        set_optional(&mut sql, "max_charging_power", p.max_charging_power);
        set_optional(&mut sql, "connector_type", p.connector_type);
        set_optional(&mut sql, "location_id", p.location_id);
        set_optional(&mut sql, "ws_url", p.ws_url);
        set_optional(&mut sql, "password", p.password);
        set_optional(&mut sql, "id_tag", p.id_tag);
        set_optional(&mut sql, "scenario", p.scenario);
        sql.push(" WHERE id = ").bind(id);
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_lab_charger(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM lab_chargers WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn set_lab_provisioning(&self, id: i64, p: &Provisioning) -> StoreResult<()> {
        let error = p.error.as_ref();
        sqlx::query(
            "UPDATE lab_chargers SET provisioning_status = $1, error_code = $2, error_message = $3, \
             error_retryable = $4, workflow_run_id = $5, provisioned_at = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(p.status.as_str())
        .bind(error.map(|e| e.code.clone()))
        .bind(error.map(|e| e.message.clone()))
        .bind(i64::from(error.is_some_and(|e| e.retryable)))
        .bind(p.workflow_run_id.clone())
        .bind(p.provisioned_at.map(micros))
        .bind(micros(OffsetDateTime::now_utc()))
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn set_lab_desired_running(&self, id: i64, running: bool) -> StoreResult<()> {
        sqlx::query("UPDATE lab_chargers SET desired_running = $1 WHERE id = $2")
            .bind(i64::from(running))
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn lab_chargers_to_run(&self) -> StoreResult<Vec<LabCharger>> {
        self.lab_chargers_where("c.desired_running = 1").await
    }

    async fn lab_chargers_to_provision(&self) -> StoreResult<Vec<LabCharger>> {
        self.lab_chargers_where("c.provisioning_status IN ('PENDING', 'PROVISIONING')")
            .await
    }
}
