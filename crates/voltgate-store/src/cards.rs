//! Cards (OCPP id tags) of a team.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::model::Card;
use voltgate_core::store::{CardPatch, CardQuery, CardStore, NewCard, StoreResult};
use voltgate_core::{Page, StoreError};

use crate::reports::{card_from_row, CARD_COLUMNS};
use crate::sql::{db_err, micros, Sql};
use crate::Db;

#[async_trait]
impl CardStore for Db {
    async fn create_card(&self, c: NewCard) -> StoreResult<Card> {
        let now = micros(OffsetDateTime::now_utc());
        sqlx::query(
            "INSERT INTO cards (uuid, team_id, uid, uid_normalized, name, status, expires_at, parent_uid, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(c.team_id)
        .bind(c.uid.as_str())
        .bind(c.uid.to_ascii_uppercase())
        .bind(c.name)
        .bind(c.status.as_str())
        .bind(c.expires_at.map(micros))
        .bind(c.parent_uid)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        self.find_card(&[c.team_id], &c.uid)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn list_cards(&self, q: &CardQuery) -> StoreResult<Page<Card>> {
        let mut f = Sql::new(" WHERE ");
        f.bind_in("k.team_id", &q.team_ids);
        if let Some(status) = q.status {
            f.push(" AND k.status = ").bind(status.as_str());
        }
        if let Some(search) = &q.search {
            let p = format!("%{}%", search.to_lowercase());
            f.push(" AND (LOWER(k.uid) LIKE ")
                .bind(p.clone())
                .push(" OR LOWER(COALESCE(k.name, '')) LIKE ")
                .bind(p)
                .push(")");
        }
        let select = format!(
            "SELECT {}",
            CARD_COLUMNS
                .split(", ")
                .map(|c| format!("k.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        crate::paginate(
            self.pool(),
            &format!("{select} FROM cards k"),
            " FROM cards k",
            f,
            " ORDER BY k.id ASC",
            q.page,
            card_from_row,
        )
        .await
    }

    async fn find_card(&self, team_ids: &[i64], uid: &str) -> StoreResult<Option<Card>> {
        let mut sql = Sql::new(&format!("SELECT {CARD_COLUMNS} FROM cards WHERE "));
        sql.bind_in("team_id", team_ids)
            .push(" AND uid_normalized = ")
            .bind(uid.to_ascii_uppercase());
        sql.push(" ORDER BY id LIMIT 1");
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(card_from_row).transpose()
    }

    async fn update_card(&self, id: i64, p: CardPatch) -> StoreResult<()> {
        let mut sql = Sql::new("UPDATE cards SET updated_at = ");
        sql.bind(micros(OffsetDateTime::now_utc()));
        if let Some(v) = p.name {
            sql.push(", name = ").bind(v);
        }
        if let Some(v) = p.status {
            sql.push(", status = ").bind(v.as_str());
        }
        if let Some(v) = p.expires_at {
            sql.push(", expires_at = ").bind(v.map(micros));
        }
        if let Some(v) = p.parent_uid {
            sql.push(", parent_uid = ").bind(v);
        }
        sql.push(" WHERE id = ").bind(id);
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_card(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM cards WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
