//! Users, teams, memberships and API tokens.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::model::{ApiToken, Membership, Team, User};
use voltgate_core::store::{AccountStore, StoreResult};
use voltgate_core::types::TeamRole;

use crate::sql::{db_err, micros, RowExt};
use crate::Db;

pub(crate) fn user_from_row(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        name: r.string("name")?,
        email: r.string("email")?,
        is_admin: r.boolean("is_admin")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(crate) fn team_from_row(r: &AnyRow) -> StoreResult<Team> {
    Ok(Team {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        name: r.string("name")?,
        email: r.opt_string("email")?,
        kind: r.string("kind")?,
        is_personal_team: r.boolean("is_personal_team")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

const TEAM_COLUMNS: &str =
    "t.id, t.uuid, t.name, t.email, t.kind, t.is_personal_team, t.created_at, t.updated_at";

#[async_trait]
impl AccountStore for Db {
    async fn count_users(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.pool())
            .await
            .map_err(db_err)?;
        row.i64("n")
    }

    async fn create_user(&self, name: &str, email: &str, is_admin: bool) -> StoreResult<User> {
        let now = micros(OffsetDateTime::now_utc());
        let row = sqlx::query(
            "INSERT INTO users (uuid, name, email, is_admin, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
             RETURNING id, uuid, name, email, is_admin, created_at, updated_at",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(name)
        .bind(email)
        .bind(i64::from(is_admin))
        .bind(now)
        .fetch_one(self.pool())
        .await
        .map_err(db_err)?;
        user_from_row(&row)
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT id, uuid, name, email, is_admin, created_at, updated_at FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_team(
        &self,
        owner_user_id: i64,
        name: &str,
        email: Option<&str>,
        kind: &str,
        personal: bool,
    ) -> StoreResult<Team> {
        let now = micros(OffsetDateTime::now_utc());
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        let row = sqlx::query(
            "INSERT INTO teams (uuid, name, email, kind, is_personal_team, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             RETURNING id, uuid, name, email, kind, is_personal_team, created_at, updated_at",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(name)
        .bind(email)
        .bind(kind)
        .bind(i64::from(personal))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let team = team_from_row(&row)?;
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(team.id)
        .bind(owner_user_id)
        .bind(TeamRole::Owner.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(team)
    }

    async fn memberships(&self, user_id: i64) -> StoreResult<Vec<Membership>> {
        let rows = sqlx::query(&format!(
            "SELECT {TEAM_COLUMNS}, m.role FROM teams t JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1 ORDER BY t.id"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let role = TeamRole::parse(&r.string("role")?).unwrap_or(TeamRole::Member);
                Ok(Membership {
                    team: team_from_row(r)?,
                    role,
                })
            })
            .collect()
    }

    async fn add_member(&self, team_id: i64, user_id: i64, role: TeamRole) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(micros(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn find_team_by_uuid(&self, uuid: Uuid) -> StoreResult<Option<Team>> {
        let row = sqlx::query(&format!(
            "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.uuid = $1"
        ))
        .bind(uuid.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        row.as_ref().map(team_from_row).transpose()
    }

    async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> StoreResult<ApiToken> {
        let now = OffsetDateTime::now_utc();
        let uuid = Uuid::new_v4();
        let row = sqlx::query(
            "INSERT INTO api_tokens (uuid, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(uuid.to_string())
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(micros(now))
        .fetch_one(self.pool())
        .await
        .map_err(db_err)?;
        Ok(ApiToken {
            id: row.i64("id")?,
            uuid,
            user_id,
            name: name.to_owned(),
            created_at: now,
        })
    }

    async fn user_for_token(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.uuid, u.name, u.email, u.is_admin, u.created_at, u.updated_at \
             FROM api_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        match row {
            Some(r) => Ok(Some(user_from_row(&r)?)),
            None => Ok(None),
        }
    }

    async fn list_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT id, uuid, user_id, name, created_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.i64("id")?,
                    uuid: r.uuid("uuid")?,
                    user_id: r.i64("user_id")?,
                    name: r.string("name")?,
                    created_at: r.time("created_at")?,
                })
            })
            .collect()
    }

    async fn revoke_token(&self, user_id: i64, uuid: Uuid) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND uuid = $2")
            .bind(user_id)
            .bind(uuid.to_string())
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn find_user_by_uuid(&self, uuid: Uuid) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT id, uuid, name, email, is_admin, created_at, updated_at FROM users WHERE uuid = $1")
            .bind(uuid.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_members(&self, team_id: i64) -> StoreResult<Vec<(User, TeamRole)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.uuid, u.name, u.email, u.is_admin, u.created_at, u.updated_at, m.role \
             FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 ORDER BY m.created_at, u.id",
        )
        .bind(team_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    user_from_row(r)?,
                    TeamRole::parse(&r.string("role")?).unwrap_or(TeamRole::Member),
                ))
            })
            .collect()
    }

    async fn set_member_role(&self, team_id: i64, user_id: i64, role: TeamRole) -> StoreResult<()> {
        sqlx::query("UPDATE team_members SET role = $1 WHERE team_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(team_id)
            .bind(user_id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn remove_member(&self, team_id: i64, user_id: i64) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .execute(self.pool())
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_team(
        &self,
        team_id: i64,
        name: Option<String>,
        email: Option<Option<String>>,
    ) -> StoreResult<()> {
        let mut sql = crate::sql::Sql::new("UPDATE teams SET updated_at = ");
        sql.bind(micros(OffsetDateTime::now_utc()));
        if let Some(n) = name {
            sql.push(", name = ").bind(n);
        }
        if let Some(e) = email {
            sql.push(", email = ").bind(e);
        }
        sql.push(" WHERE id = ").bind(team_id);
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_team(&self, team_id: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        let owned = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM sites WHERE team_id = $1) + (SELECT COUNT(*) FROM chargers WHERE team_id = $1) \
             + (SELECT COUNT(*) FROM cards WHERE team_id = $1) AS n",
        )
        .bind(team_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?
        .i64("n")?;
        if owned > 0 {
            return Err(voltgate_core::StoreError::Conflict("team"));
        }
        sqlx::query("DELETE FROM team_members WHERE team_id = $1")
            .bind(team_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(team_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}
