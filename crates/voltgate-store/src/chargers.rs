//! Chargers and connectors as operators manage them.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::access::Reach;
use voltgate_core::model::{BootInfo, Charger, Connector};
use voltgate_core::store::{
    ChargerPatch, ChargerQuery, ChargerStore, ConnectorPatch, NewCharger, StoreResult,
};
use voltgate_core::types::ConnectionStatus;
use voltgate_core::{Page, StoreError};

use crate::sql::{db_err, micros, RowExt, Sql};
use crate::Db;

pub(crate) const COLUMNS: &str = "c.id, c.uuid, c.team_id, t.uuid AS team_uuid, c.site_id, s.uuid AS site_uuid, \
    c.identity, c.reference, c.password_hash, c.pincode, c.connection_status, c.status, c.error, c.error_info, \
    c.vendor_id, c.vendor_error_code, c.vendor, c.model, c.charge_point_serial_number, c.charge_box_serial_number, \
    c.firmware_version, c.iccid, c.imsi, c.meter_type, c.meter_serial_number, c.ocpp_version, c.license_smart, \
    c.license_pro, c.firmware_status, c.diagnostics_status, c.boot_policy, c.registration_status, \
    c.local_list_version, c.last_boot_at, c.last_connection_at, \
    c.last_disconnection_at, c.last_heartbeat_at, c.created_at, c.updated_at";
pub(crate) const FROM: &str =
    " FROM chargers c JOIN teams t ON t.id = c.team_id LEFT JOIN sites s ON s.id = c.site_id";

pub(crate) fn charger_from_row(r: &AnyRow) -> StoreResult<Charger> {
    let vendor = r.opt_string("vendor")?;
    let boot = match vendor {
        Some(vendor) => Some(BootInfo {
            vendor,
            model: r.opt_string("model")?.unwrap_or_default(),
            charge_point_serial_number: r.opt_string("charge_point_serial_number")?,
            charge_box_serial_number: r.opt_string("charge_box_serial_number")?,
            firmware_version: r.opt_string("firmware_version")?,
            iccid: r.opt_string("iccid")?,
            imsi: r.opt_string("imsi")?,
            meter_type: r.opt_string("meter_type")?,
            meter_serial_number: r.opt_string("meter_serial_number")?,
        }),
        None => None,
    };
    let site_uuid = match r.opt_string("site_uuid")? {
        Some(s) => Some(Uuid::parse_str(&s).map_err(|e| StoreError::Database(e.to_string()))?),
        None => None,
    };
    Ok(Charger {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        team_id: r.i64("team_id")?,
        team_uuid: r.uuid("team_uuid")?,
        site_id: r.opt_i64("site_id")?,
        site_uuid,
        identity: r.string("identity")?,
        reference: r.opt_string("reference")?,
        password_hash: r.opt_string("password_hash")?,
        pincode: r.string("pincode")?,
        connection_status: ConnectionStatus::parse(&r.string("connection_status")?)
            .unwrap_or(ConnectionStatus::NeverSeen),
        status: r.opt_string("status")?,
        error: r.opt_string("error")?,
        error_info: r.opt_string("error_info")?,
        vendor_id: r.opt_string("vendor_id")?,
        vendor_error_code: r.opt_string("vendor_error_code")?,
        boot,
        ocpp_version: r.opt_string("ocpp_version")?,
        license_smart: r.boolean("license_smart")?,
        license_pro: r.boolean("license_pro")?,
        firmware_status: r.opt_string("firmware_status")?,
        diagnostics_status: r.opt_string("diagnostics_status")?,
        boot_policy: r.opt_string("boot_policy")?,
        registration_status: r.opt_string("registration_status")?,
        local_list_version: r.opt_i64("local_list_version")?.map(|v| v as i32),
        last_boot_at: r.opt_time("last_boot_at")?,
        last_connection_at: r.opt_time("last_connection_at")?,
        last_disconnection_at: r.opt_time("last_disconnection_at")?,
        last_heartbeat_at: r.opt_time("last_heartbeat_at")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn connector_from_row(r: &AnyRow) -> StoreResult<Connector> {
    Ok(Connector {
        id: r.i64("id")?,
        charger_id: r.i64("charger_id")?,
        connector_id: r.i64("connector_id")? as i32,
        status: r.opt_string("status")?,
        error: r.opt_string("error")?,
        error_info: r.opt_string("error_info")?,
        vendor_id: r.opt_string("vendor_id")?,
        vendor_error_code: r.opt_string("vendor_error_code")?,
        status_at: r.opt_time("status_at")?,
        max_amperage: r.opt_i64("max_amperage")?.map(|v| v as i32),
        phase_rotation: r.opt_string("phase_rotation")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

#[async_trait]
impl ChargerStore for Db {
    async fn create_charger(&self, n: NewCharger) -> StoreResult<Charger> {
        let now = micros(OffsetDateTime::now_utc());
        sqlx::query(
            "INSERT INTO chargers (uuid, team_id, site_id, identity, reference, password_hash, pincode, \
             license_smart, license_pro, created_at, updated_at, boot_policy) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)",
        )
        .bind(n.uuid.to_string())
        .bind(n.team_id)
        .bind(n.site_id)
        .bind(n.identity.as_str())
        .bind(n.reference)
        .bind(n.password_hash)
        .bind(n.pincode)
        .bind(i64::from(n.license_smart))
        .bind(i64::from(n.license_pro))
        .bind(now)
        .bind(n.boot_policy)
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        self.find_charger(&Reach::teams(vec![n.team_id]), n.uuid)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn list_chargers(&self, q: &ChargerQuery) -> StoreResult<Page<Charger>> {
        let mut f = Sql::new(" WHERE ");
        f.bind_any_in(&[
            ("c.team_id", &q.team_ids),
            ("c.site_id", &q.site_ids),
            ("c.id", &q.charger_ids),
        ]);
        if let Some(site) = q.site_id {
            f.push(" AND c.site_id = ").bind(site);
        }
        if let Some(cs) = q.connection_status {
            f.push(" AND c.connection_status = ").bind(cs.as_str());
        }
        if let Some(st) = &q.status {
            f.push(" AND c.status = ").bind(st.as_str());
        }
        if let Some(search) = &q.search {
            let p = format!("%{}%", search.to_lowercase());
            f.push(" AND (LOWER(c.identity) LIKE ")
                .bind(p.clone())
                .push(" OR LOWER(COALESCE(c.reference, '')) LIKE ")
                .bind(p)
                .push(")");
        }
        let order = crate::sql_order(
            q.sort.as_ref(),
            "c",
            &[
                "id",
                "identity",
                "reference",
                "created_at",
                "updated_at",
                "connection_status",
                "status",
                "last_heartbeat_at",
            ],
        );
        crate::paginate(
            self.pool(),
            &format!("SELECT {COLUMNS}{FROM}"),
            FROM,
            f,
            &order,
            q.page,
            charger_from_row,
        )
        .await
    }

    async fn find_charger(&self, reach: &Reach, uuid: Uuid) -> StoreResult<Option<Charger>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM} WHERE "));
        sql.bind_any_in(&[
            ("c.team_id", &reach.team_ids),
            ("c.site_id", &reach.site_ids),
            ("c.id", &reach.charger_ids),
        ])
        .push(" AND c.uuid = ")
        .bind(uuid.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(charger_from_row).transpose()
    }

    async fn find_charger_by_identity(&self, identity: &str) -> StoreResult<Option<Charger>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS}{FROM} WHERE c.identity = $1"))
            .bind(identity)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(charger_from_row).transpose()
    }

    async fn update_charger(&self, id: i64, p: ChargerPatch) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE chargers SET updated_at = ");
        sql.bind(micros(OffsetDateTime::now_utc()));
        if let Some(v) = p.reference {
            sql.push(", reference = ").bind(v);
        }
        if let Some(v) = p.site_id {
            sql.push(", site_id = ").bind(v);
        }
        if let Some(v) = p.boot_policy {
            sql.push(", boot_policy = ").bind(v);
        }
        if let Some(v) = p.password_hash {
            sql.push(", password_hash = ").bind(v);
        }
        if let Some(v) = p.license_smart {
            sql.push(", license_smart = ").bind(v);
        }
        if let Some(v) = p.license_pro {
            sql.push(", license_pro = ").bind(v);
        }
        sql.push(" WHERE id = ").bind(id);
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_charger(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        for table in [
            "ocpp_log_chunks",
            "meter_readings",
            "transactions",
            "connectors",
            "charger_actions",
            "charger_configuration",
            "reservations",
            "charging_profiles",
            "local_list_entries",
            "charger_settings",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE charger_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        sqlx::query("DELETE FROM chargers WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn list_connectors(&self, charger_ids: &[i64]) -> StoreResult<Vec<Connector>> {
        let mut sql = Sql::new(
            "SELECT id, charger_id, connector_id, status, error, error_info, vendor_id, vendor_error_code, status_at, \
             max_amperage, phase_rotation, created_at, updated_at FROM connectors WHERE ",
        );
        sql.bind_in("charger_id", charger_ids)
            .push(" AND connector_id > 0 ORDER BY charger_id, connector_id");
        let rows = sql.query().fetch_all(self.pool()).await.map_err(db_err)?;
        rows.iter().map(connector_from_row).collect()
    }

    async fn update_connector(
        &self,
        charger_id: i64,
        connector_id: i32,
        p: ConnectorPatch,
    ) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE connectors SET updated_at = ");
        sql.bind(micros(OffsetDateTime::now_utc()));
        if let Some(v) = p.max_amperage {
            sql.push(", max_amperage = ").bind(v as i64);
        }
        if let Some(v) = p.phase_rotation {
            sql.push(", phase_rotation = ").bind(v);
        }
        sql.push(" WHERE charger_id = ")
            .bind(charger_id)
            .push(" AND connector_id = ")
            .bind(connector_id as i64);
        let done = sql.query().execute(self.pool()).await.map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
