//! Remote actions (audit trail and idempotency keys) and the state they leave behind:
//! configuration keys, reservations, installed charging profiles, the local list.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::commands::{ChargingProfile, ConfigKey, LocalListEntry};
use voltgate_core::model::{ActionRecord, Card, InstalledProfile, Reservation, StoredConfigKey};
use voltgate_core::store::{BeginAction, CommandStore, NewAction, StoreResult};
use voltgate_core::{Page, PageRequest, StoreError};

use crate::reports::{card_from_row, CARD_COLUMNS};
use crate::sql::{db_err, from_micros, micros, RowExt, Sql};
use crate::Db;

const ACTION_COLUMNS: &str =
    "a.id, a.uuid, a.charger_id, a.user_id, u.email AS user_email, a.action, a.request, \
    a.idempotency_key, a.state, a.http_status, a.response, a.created_at, a.completed_at";
const ACTION_FROM: &str = " FROM charger_actions a LEFT JOIN users u ON u.id = a.user_id";

fn action_from_row(r: &AnyRow) -> StoreResult<ActionRecord> {
    Ok(ActionRecord {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        charger_id: r.i64("charger_id")?,
        user_id: r.opt_i64("user_id")?,
        user_email: r.opt_string("user_email")?,
        action: r.string("action")?,
        request: r.string("request")?,
        idempotency_key: r.opt_string("idempotency_key")?,
        state: r.string("state")?,
        http_status: r.opt_i64("http_status")?.map(|v| v as i32),
        response: r.opt_string("response")?,
        created_at: r.time("created_at")?,
        completed_at: r.opt_time("completed_at")?,
    })
}

const RESERVATION_COLUMNS: &str =
    "r.id, r.uuid, r.charger_id, c.uuid AS charger_uuid, r.connector_id, r.id_tag, \
    r.parent_id_tag, r.expires_at, r.status, r.transaction_id, r.created_at, r.updated_at";
const RESERVATION_FROM: &str = " FROM reservations r JOIN chargers c ON c.id = r.charger_id";

fn reservation_from_row(r: &AnyRow) -> StoreResult<Reservation> {
    Ok(Reservation {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        charger_id: r.i64("charger_id")?,
        charger_uuid: r.uuid("charger_uuid")?,
        connector_id: r.i64("connector_id")? as i32,
        id_tag: r.string("id_tag")?,
        parent_id_tag: r.opt_string("parent_id_tag")?,
        expires_at: r.time("expires_at")?,
        status: r.string("status")?,
        transaction_id: r.opt_i64("transaction_id")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn now() -> i64 {
    micros(OffsetDateTime::now_utc())
}

#[async_trait]
impl CommandStore for Db {
    async fn begin_action(&self, a: NewAction) -> StoreResult<BeginAction> {
        let inserted = sqlx::query(
            "INSERT INTO charger_actions (uuid, charger_id, user_id, action, request, idempotency_key, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING id",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(a.charger_id)
        .bind(a.user_id)
        .bind(a.action.as_str())
        .bind(a.request.as_str())
        .bind(a.idempotency_key.as_deref())
        .bind(now())
        .fetch_one(self.pool())
        .await;
        match inserted {
            Ok(row) => Ok(BeginAction::Started { id: row.i64("id")? }),
            Err(e) => match (db_err(e), &a.idempotency_key) {
                (StoreError::Conflict(_), Some(key)) => {
                    let row = sqlx::query(&format!("SELECT {ACTION_COLUMNS}{ACTION_FROM} WHERE a.charger_id = $1 AND a.idempotency_key = $2"))
                        .bind(a.charger_id)
                        .bind(key.as_str())
                        .fetch_one(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(BeginAction::Existing(Box::new(action_from_row(&row)?)))
                }
                (e, _) => Err(e),
            },
        }
    }

    async fn finish_action(
        &self,
        id: i64,
        state: &str,
        http_status: i32,
        response: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE charger_actions SET state = $1, http_status = $2, response = $3, completed_at = $4 WHERE id = $5")
            .bind(state)
            .bind(http_status as i64)
            .bind(response)
            .bind(now())
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn find_action(&self, id: i64) -> StoreResult<Option<ActionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS}{ACTION_FROM} WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        row.as_ref().map(action_from_row).transpose()
    }

    async fn list_actions(
        &self,
        charger_id: i64,
        page: PageRequest,
    ) -> StoreResult<Page<ActionRecord>> {
        let mut f = Sql::new(" WHERE a.charger_id = ");
        f.bind(charger_id);
        let select = format!("SELECT {ACTION_COLUMNS}{ACTION_FROM}");
        crate::paginate(
            self.pool(),
            &select,
            ACTION_FROM,
            f,
            " ORDER BY a.id DESC",
            page,
            action_from_row,
        )
        .await
    }

    async fn save_configuration(
        &self,
        charger_id: i64,
        keys: &[ConfigKey],
        replace_all: bool,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        if replace_all {
            sqlx::query("DELETE FROM charger_configuration WHERE charger_id = $1")
                .bind(charger_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let at = now();
        for k in keys {
            sqlx::query(
                "INSERT INTO charger_configuration (charger_id, key, value, readonly, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (charger_id, key) DO UPDATE SET value = excluded.value, readonly = excluded.readonly, \
                 updated_at = excluded.updated_at",
            )
            .bind(charger_id)
            .bind(k.key.as_str())
            .bind(k.value.as_deref())
            .bind(i64::from(k.readonly))
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn list_configuration(&self, charger_id: i64) -> StoreResult<Vec<StoredConfigKey>> {
        let rows = sqlx::query("SELECT key, value, readonly, updated_at FROM charger_configuration WHERE charger_id = $1 ORDER BY key")
            .bind(charger_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(StoredConfigKey {
                    key: r.string("key")?,
                    value: r.opt_string("value")?,
                    readonly: r.boolean("readonly")?,
                    updated_at: r.time("updated_at")?,
                })
            })
            .collect()
    }

    async fn create_reservation(
        &self,
        charger_id: i64,
        connector_id: i32,
        id_tag: &str,
        parent: Option<&str>,
        expires_at: OffsetDateTime,
    ) -> StoreResult<i64> {
        let at = now();
        let row = sqlx::query(
            "INSERT INTO reservations (uuid, charger_id, connector_id, id_tag, parent_id_tag, expires_at, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) RETURNING id",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(charger_id)
        .bind(connector_id as i64)
        .bind(id_tag)
        .bind(parent)
        .bind(micros(expires_at))
        .bind(at)
        .fetch_one(self.pool())
        .await
        .map_err(db_err)?;
        row.i64("id")
    }

    async fn set_reservation_status(&self, id: i64, status: &str) -> StoreResult<()> {
        sqlx::query("UPDATE reservations SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now())
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn find_reservation(
        &self,
        reach: &voltgate_core::access::Reach,
        id: i64,
    ) -> StoreResult<Option<Reservation>> {
        let mut sql = Sql::new(&format!(
            "SELECT {RESERVATION_COLUMNS}{RESERVATION_FROM} WHERE "
        ));
        sql.bind_any_in(&[
            ("c.team_id", &reach.team_ids),
            ("c.site_id", &reach.site_ids),
            ("c.id", &reach.charger_ids),
        ])
        .push(" AND r.id = ")
        .bind(id);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(reservation_from_row).transpose()
    }

    async fn list_reservations(
        &self,
        reach: &voltgate_core::access::Reach,
        charger_id: Option<i64>,
        page: PageRequest,
    ) -> StoreResult<Page<Reservation>> {
        let mut f = Sql::new(" WHERE ");
        f.bind_any_in(&[
            ("c.team_id", &reach.team_ids),
            ("c.site_id", &reach.site_ids),
            ("c.id", &reach.charger_ids),
        ]);
        if let Some(id) = charger_id {
            f.push(" AND r.charger_id = ").bind(id);
        }
        let select = format!("SELECT {RESERVATION_COLUMNS}{RESERVATION_FROM}");
        crate::paginate(
            self.pool(),
            &select,
            RESERVATION_FROM,
            f,
            " ORDER BY r.id DESC",
            page,
            reservation_from_row,
        )
        .await
    }

    async fn save_profile(
        &self,
        charger_id: i64,
        connector_id: i32,
        profile: &ChargingProfile,
    ) -> StoreResult<()> {
        let json =
            serde_json::to_string(profile).map_err(|e| StoreError::Database(e.to_string()))?;
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        // OCPP 1.6 §5.16.3: a profile with the same stack level and purpose on the same connector
        // replaces the installed one, as does one with the same id.
        sqlx::query(
            "DELETE FROM charging_profiles WHERE charger_id = $1 AND (charging_profile_id = $2 \
             OR (connector_id = $3 AND stack_level = $4 AND purpose = $5))",
        )
        .bind(charger_id)
        .bind(profile.charging_profile_id as i64)
        .bind(connector_id as i64)
        .bind(profile.stack_level as i64)
        .bind(profile.charging_profile_purpose.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO charging_profiles (charger_id, charging_profile_id, connector_id, stack_level, purpose, profile, installed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(charger_id)
        .bind(profile.charging_profile_id as i64)
        .bind(connector_id as i64)
        .bind(profile.stack_level as i64)
        .bind(profile.charging_profile_purpose.as_str())
        .bind(json)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn clear_profiles(
        &self,
        charger_id: i64,
        id: Option<i32>,
        connector_id: Option<i32>,
        purpose: Option<&str>,
        stack_level: Option<i32>,
    ) -> StoreResult<u64> {
        let mut sql = Sql::new("DELETE FROM charging_profiles WHERE charger_id = ");
        sql.bind(charger_id);
        if let Some(id) = id {
            sql.push(" AND charging_profile_id = ").bind(id as i64);
        }
        if let Some(c) = connector_id {
            sql.push(" AND connector_id = ").bind(c as i64);
        }
        if let Some(p) = purpose {
            sql.push(" AND purpose = ").bind(p);
        }
        if let Some(l) = stack_level {
            sql.push(" AND stack_level = ").bind(l as i64);
        }
        let done = sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn list_profiles(&self, charger_id: i64) -> StoreResult<Vec<InstalledProfile>> {
        let rows = sqlx::query("SELECT connector_id, profile, installed_at FROM charging_profiles WHERE charger_id = $1 ORDER BY connector_id, stack_level")
            .bind(charger_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let profile = serde_json::from_str(&r.string("profile")?)
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                Ok(InstalledProfile {
                    connector_id: r.i64("connector_id")? as i32,
                    profile,
                    installed_at: r.time("installed_at")?,
                })
            })
            .collect()
    }

    async fn save_local_list(
        &self,
        charger_id: i64,
        version: i32,
        full: bool,
        entries: &[LocalListEntry],
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        if full {
            sqlx::query("DELETE FROM local_list_entries WHERE charger_id = $1")
                .bind(charger_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        for e in entries {
            sqlx::query("DELETE FROM local_list_entries WHERE charger_id = $1 AND id_tag = $2")
                .bind(charger_id)
                .bind(e.id_tag.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            if e.status.is_some() {
                sqlx::query("INSERT INTO local_list_entries (charger_id, id_tag, status, expiry_date, parent_id_tag) VALUES ($1, $2, $3, $4, $5)")
                    .bind(charger_id)
                    .bind(e.id_tag.as_str())
                    .bind(e.status.as_deref())
                    .bind(e.expiry_date.map(micros))
                    .bind(e.parent_id_tag.as_deref())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
        }
        sqlx::query("UPDATE chargers SET local_list_version = $1 WHERE id = $2")
            .bind(version as i64)
            .bind(charger_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn set_local_list_version(&self, charger_id: i64, version: i32) -> StoreResult<()> {
        sqlx::query("UPDATE chargers SET local_list_version = $1 WHERE id = $2")
            .bind(version as i64)
            .bind(charger_id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn local_list(&self, charger_id: i64) -> StoreResult<(i32, Vec<LocalListEntry>)> {
        let version = sqlx::query("SELECT local_list_version FROM chargers WHERE id = $1")
            .bind(charger_id)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(|r| r.opt_i64("local_list_version"))
            .transpose()?
            .flatten()
            .unwrap_or(0) as i32;
        let rows = sqlx::query("SELECT id_tag, status, expiry_date, parent_id_tag FROM local_list_entries WHERE charger_id = $1 ORDER BY id_tag")
            .bind(charger_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        let entries = rows
            .iter()
            .map(|r| {
                Ok(LocalListEntry {
                    id_tag: r.string("id_tag")?,
                    status: r.opt_string("status")?,
                    expiry_date: r.opt_i64("expiry_date")?.map(from_micros),
                    parent_id_tag: r.opt_string("parent_id_tag")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((version, entries))
    }

    async fn cards_for_local_list(&self, charger_id: i64) -> StoreResult<Vec<Card>> {
        let rows = sqlx::query(&format!(
            "SELECT {CARD_COLUMNS} FROM cards WHERE team_id = (SELECT team_id FROM chargers WHERE id = $1) ORDER BY uid_normalized"
        ))
        .bind(charger_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.iter().map(card_from_row).collect()
    }

    async fn set_registration_status(&self, charger_id: i64, status: &str) -> StoreResult<()> {
        sqlx::query("UPDATE chargers SET registration_status = $1 WHERE id = $2")
            .bind(status)
            .bind(charger_id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
