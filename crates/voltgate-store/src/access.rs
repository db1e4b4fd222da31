//! Site access of teams other than the owner, data-access requests, invitations, the e-mail
//! outbox and the audit log (core's `AccessStore`).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::access::{
    AccessStore, AuditEntry, DataRequest, GrantAccess, Invite, NewDataRequest, NewInvite,
    OutboxEmail, SiteGrant,
};
use voltgate_core::model::Team;
use voltgate_core::store::StoreResult;
use voltgate_core::{Page, PageRequest, StoreError};

use crate::accounts::team_from_row;
use crate::sql::{db_err, from_micros, micros, RowExt, Sql};
use crate::Db;

const GRANT_COLUMNS: &str = "g.id AS grant_id, g.site_id, g.team_id, g.data_access, \
    g.data_access_expires_at, g.full_asset_access, g.created_at AS grant_created_at, \
    g.updated_at AS grant_updated_at";

fn grant_from_row(r: &AnyRow) -> StoreResult<(i64, SiteGrant)> {
    Ok((
        r.i64("grant_id")?,
        SiteGrant {
            site_id: r.i64("site_id")?,
            team_id: r.i64("team_id")?,
            data_access: r.boolean("data_access")?,
            data_access_expires_at: r.opt_time("data_access_expires_at")?,
            full_asset_access: r.boolean("full_asset_access")?,
            charger_ids: Vec::new(),
            created_at: r.time("grant_created_at")?,
            updated_at: r.time("grant_updated_at")?,
        },
    ))
}

impl Db {
    /// Fills each limited grant's accessible chargers: only those still on the grant's site.
    async fn with_assets(&self, grants: Vec<(i64, SiteGrant)>) -> StoreResult<Vec<SiteGrant>> {
        let limited: Vec<i64> = grants
            .iter()
            .filter(|(_, g)| !g.full_asset_access)
            .map(|(id, _)| *id)
            .collect();
        let mut assets: Vec<(i64, i64)> = Vec::new();
        if !limited.is_empty() {
            let mut sql = Sql::new(
                "SELECT a.access_id, a.charger_id FROM site_team_assets a \
                 JOIN site_team_access g ON g.id = a.access_id \
                 JOIN chargers c ON c.id = a.charger_id AND c.site_id = g.site_id WHERE ",
            );
            sql.bind_in("a.access_id", &limited);
            for r in sql.query().fetch_all(self.pool()).await.map_err(db_err)? {
                assets.push((r.i64("access_id")?, r.i64("charger_id")?));
            }
        }
        Ok(grants
            .into_iter()
            .map(|(id, mut g)| {
                g.charger_ids = assets
                    .iter()
                    .filter(|(a, _)| *a == id)
                    .map(|(_, c)| *c)
                    .collect();
                g
            })
            .collect())
    }

    async fn grant_id(&self, site_id: i64, team_id: i64) -> StoreResult<Option<i64>> {
        let row =
            sqlx::query("SELECT id FROM site_team_access WHERE site_id = $1 AND team_id = $2")
                .bind(site_id)
                .bind(team_id)
                .fetch_optional(self.pool())
                .await
                .map_err(db_err)?;
        row.map(|r| r.i64("id")).transpose()
    }
}

/// Writes a grant (insert or replace) and its asset list inside `tx`.
async fn put_grant_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    site_id: i64,
    team_id: i64,
    a: &GrantAccess,
) -> StoreResult<()> {
    let now = micros(OffsetDateTime::now_utc());
    let updated = sqlx::query(
        "UPDATE site_team_access SET data_access = $1, data_access_expires_at = $2, \
         full_asset_access = $3, updated_at = $4 WHERE site_id = $5 AND team_id = $6",
    )
    .bind(i64::from(a.data_access))
    .bind(a.data_access_expires_at.map(micros))
    .bind(i64::from(a.full_asset_access))
    .bind(now)
    .bind(site_id)
    .bind(team_id)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO site_team_access (site_id, team_id, data_access, data_access_expires_at, \
             full_asset_access, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(site_id)
        .bind(team_id)
        .bind(i64::from(a.data_access))
        .bind(a.data_access_expires_at.map(micros))
        .bind(i64::from(a.full_asset_access))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    let id = sqlx::query("SELECT id FROM site_team_access WHERE site_id = $1 AND team_id = $2")
        .bind(site_id)
        .bind(team_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?
        .i64("id")?;
    write_assets(tx, id, &a.charger_ids).await
}

async fn write_assets(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    access_id: i64,
    charger_ids: &[i64],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM site_team_assets WHERE access_id = $1")
        .bind(access_id)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    let mut ids = charger_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for c in ids {
        sqlx::query("INSERT INTO site_team_assets (access_id, charger_id) VALUES ($1, $2)")
            .bind(access_id)
            .bind(c)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn ids_parse(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

const INVITE_COLUMNS: &str =
    "i.id, i.uuid, i.site_id, s.uuid AS site_uuid, s.team_id AS site_team_id, i.email, \
    i.transfer_ownership, i.data_access, i.data_access_expires_at, i.can_access_all_assets, \
    i.accessible_chargers, i.expires_at, i.accepted_at, i.created_at";

fn invite_from_row(r: &AnyRow) -> StoreResult<Invite> {
    Ok(Invite {
        id: r.i64("id")?,
        uuid: r.uuid("uuid")?,
        site_id: r.i64("site_id")?,
        site_uuid: r.uuid("site_uuid")?,
        site_team_id: r.i64("site_team_id")?,
        email: r.string("email")?,
        transfer_ownership: r.boolean("transfer_ownership")?,
        access: GrantAccess {
            data_access: r.boolean("data_access")?,
            data_access_expires_at: r.opt_time("data_access_expires_at")?,
            full_asset_access: r.boolean("can_access_all_assets")?,
            charger_ids: ids_parse(&r.string("accessible_chargers")?),
        },
        expires_at: r.time("expires_at")?,
        accepted_at: r.opt_time("accepted_at")?,
        created_at: r.time("created_at")?,
    })
}

fn request_from_row(r: &AnyRow) -> StoreResult<DataRequest> {
    Ok(DataRequest {
        uuid: r.uuid("request_uuid")?,
        site_id: r.i64("site_id")?,
        team: team_from_row(r)?,
        user_email: r.string("user_email")?,
        reason: r.string("reason")?,
        requested_expires_never: r.boolean("requested_expires_never")?,
        requested_expires_at: r.opt_time("requested_expires_at")?,
        created_at: r.time("request_created_at")?,
    })
}

const REQUEST_SELECT: &str = "SELECT d.uuid AS request_uuid, d.site_id, d.reason, \
    d.requested_expires_never, d.requested_expires_at, d.created_at AS request_created_at, \
    u.email AS user_email, t.id, t.uuid, t.name, t.email, t.kind, t.is_personal_team, \
    t.created_at, t.updated_at FROM site_data_requests d JOIN teams t ON t.id = d.team_id \
    JOIN users u ON u.id = d.user_id";

#[async_trait]
impl AccessStore for Db {
    async fn grants_for_teams(&self, team_ids: &[i64]) -> StoreResult<Vec<SiteGrant>> {
        if team_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!(
            "SELECT {GRANT_COLUMNS} FROM site_team_access g WHERE "
        ));
        sql.bind_in("g.team_id", team_ids).push(" ORDER BY g.id");
        let rows = sql.query().fetch_all(self.pool()).await.map_err(db_err)?;
        let grants = rows
            .iter()
            .map(grant_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        self.with_assets(grants).await
    }

    async fn site_grants(&self, site_id: i64) -> StoreResult<Vec<(Team, SiteGrant)>> {
        let rows = sqlx::query(&format!(
            "SELECT {GRANT_COLUMNS}, t.id, t.uuid, t.name, t.email, t.kind, t.is_personal_team, \
             t.created_at, t.updated_at FROM site_team_access g JOIN teams t ON t.id = g.team_id \
             WHERE g.site_id = $1 ORDER BY g.id"
        ))
        .bind(site_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        let mut teams = Vec::new();
        let mut grants = Vec::new();
        for r in &rows {
            teams.push(team_from_row(r)?);
            grants.push(grant_from_row(r)?);
        }
        let grants = self.with_assets(grants).await?;
        Ok(teams.into_iter().zip(grants).collect())
    }

    async fn put_grant(&self, site_id: i64, team_id: i64, access: &GrantAccess) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        put_grant_in(&mut tx, site_id, team_id, access).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn set_data_access(
        &self,
        site_id: i64,
        team_id: i64,
        data_access: bool,
        expires_at: Option<OffsetDateTime>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE site_team_access SET data_access = $1, data_access_expires_at = $2, updated_at = $3 \
             WHERE site_id = $4 AND team_id = $5",
        )
        .bind(i64::from(data_access))
        .bind(expires_at.map(micros))
        .bind(micros(OffsetDateTime::now_utc()))
        .bind(site_id)
        .bind(team_id)
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn set_asset_access(
        &self,
        site_id: i64,
        team_id: i64,
        full: bool,
        charger_ids: &[i64],
    ) -> StoreResult<bool> {
        let Some(id) = self.grant_id(site_id, team_id).await? else {
            return Ok(false);
        };
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        sqlx::query(
            "UPDATE site_team_access SET full_asset_access = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(i64::from(full))
        .bind(micros(OffsetDateTime::now_utc()))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        write_assets(&mut tx, id, if full { &[] } else { charger_ids }).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn remove_grant(&self, site_id: i64, team_id: i64) -> StoreResult<bool> {
        let Some(id) = self.grant_id(site_id, team_id).await? else {
            return Ok(false);
        };
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        for q in [
            "DELETE FROM site_team_assets WHERE access_id = $1",
            "DELETE FROM site_team_access WHERE id = $1",
        ] {
            sqlx::query(q)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn transfer_site(
        &self,
        site_id: i64,
        from_team: i64,
        to_team: i64,
        old_owner_access: &GrantAccess,
    ) -> StoreResult<()> {
        let now = micros(OffsetDateTime::now_utc());
        let mut tx = self.pool().begin().await.map_err(db_err)?;
        let moved = sqlx::query(
            "UPDATE sites SET team_id = $1, updated_at = $2 WHERE id = $3 AND team_id = $4",
        )
        .bind(to_team)
        .bind(now)
        .bind(site_id)
        .bind(from_team)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if moved.rows_affected() == 0 {
            // Someone else transferred it first.
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE chargers SET team_id = $1, updated_at = $2 WHERE site_id = $3")
            .bind(to_team)
            .bind(now)
            .bind(site_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for q in [
            "DELETE FROM site_team_assets WHERE access_id IN \
             (SELECT id FROM site_team_access WHERE site_id = $1 AND team_id = $2)",
            "DELETE FROM site_team_access WHERE site_id = $1 AND team_id = $2",
        ] {
            sqlx::query(q)
                .bind(site_id)
                .bind(to_team)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        put_grant_in(&mut tx, site_id, from_team, old_owner_access).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn move_charger_to_site(
        &self,
        charger_id: i64,
        site_id: i64,
        team_id: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE chargers SET site_id = $1, team_id = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(site_id)
        .bind(team_id)
        .bind(micros(OffsetDateTime::now_utc()))
        .bind(charger_id)
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn create_data_request(&self, n: NewDataRequest) -> StoreResult<DataRequest> {
        let uuid = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO site_data_requests (uuid, site_id, team_id, user_id, reason, \
             requested_expires_never, requested_expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid.to_string())
        .bind(n.site_id)
        .bind(n.team_id)
        .bind(n.user_id)
        .bind(n.reason.as_str())
        .bind(i64::from(n.requested_expires_never))
        .bind(n.requested_expires_at.map(micros))
        .bind(micros(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        let row = sqlx::query(&format!("{REQUEST_SELECT} WHERE d.uuid = $1"))
            .bind(uuid.to_string())
            .fetch_one(self.pool())
            .await
            .map_err(db_err)?;
        request_from_row(&row)
    }

    async fn list_data_requests(&self, site_id: i64) -> StoreResult<Vec<DataRequest>> {
        let rows = sqlx::query(&format!(
            "{REQUEST_SELECT} WHERE d.site_id = $1 ORDER BY d.id DESC"
        ))
        .bind(site_id)
        .fetch_all(self.pool())
        .await
        .map_err(db_err)?;
        rows.iter().map(request_from_row).collect()
    }

    async fn create_invite(&self, n: NewInvite) -> StoreResult<Invite> {
        let uuid = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO site_invites (uuid, site_id, invited_by, email, token_hash, transfer_ownership, \
             data_access, data_access_expires_at, can_access_all_assets, accessible_chargers, \
             expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(uuid.to_string())
        .bind(n.site_id)
        .bind(n.invited_by)
        .bind(n.email.as_str())
        .bind(n.token_hash.as_str())
        .bind(i64::from(n.transfer_ownership))
        .bind(i64::from(n.access.data_access))
        .bind(n.access.data_access_expires_at.map(micros))
        .bind(i64::from(n.access.full_asset_access))
        .bind(ids_text(&n.access.charger_ids))
        .bind(micros(n.expires_at))
        .bind(micros(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        self.find_invite(&n.token_hash)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn find_invite(&self, token_hash: &str) -> StoreResult<Option<Invite>> {
        let row = sqlx::query(&format!(
            "SELECT {INVITE_COLUMNS} FROM site_invites i JOIN sites s ON s.id = i.site_id \
             WHERE i.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(db_err)?;
        row.as_ref().map(invite_from_row).transpose()
    }

    async fn mark_invite_accepted(
        &self,
        invite_id: i64,
        team_id: i64,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE site_invites SET accepted_at = $1, accepted_team_id = $2 \
             WHERE id = $3 AND accepted_at IS NULL",
        )
        .bind(micros(at))
        .bind(team_id)
        .bind(invite_id)
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn queue_email(&self, recipient: &str, subject: &str, body: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO email_outbox (uuid, recipient, subject, body, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .bind(micros(OffsetDateTime::now_utc()))
        .execute(self.pool())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn list_outbox(&self, page: PageRequest) -> StoreResult<Page<OutboxEmail>> {
        crate::paginate(
            self.pool(),
            "SELECT e.uuid, e.recipient, e.subject, e.body, e.created_at FROM email_outbox e",
            " FROM email_outbox e",
            Sql::new(""),
            " ORDER BY e.id DESC",
            page,
            |r| {
                Ok(OutboxEmail {
                    uuid: r.uuid("uuid")?,
                    recipient: r.string("recipient")?,
                    subject: r.string("subject")?,
                    body: r.string("body")?,
                    created_at: r.time("created_at")?,
                })
            },
        )
        .await
    }

    async fn write_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(
            "INSERT INTO audit_log (team_id, user_id, user_email, method, path, status, created_at) VALUES ",
        );
        for (i, e) in entries.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(e.team_id)
                .push(", ")
                .bind(e.user_id)
                .push(", ")
                .bind(e.user_email.as_str())
                .push(", ")
                .bind(e.method.as_str())
                .push(", ")
                .bind(e.path.as_str())
                .push(", ")
                .bind(i64::from(e.status))
                .push(", ")
                .bind(micros(e.created_at))
                .push(")");
        }
        sql.query().execute(self.pool()).await.map_err(db_err)?;
        Ok(())
    }

    async fn list_audit(&self, team_id: i64, page: PageRequest) -> StoreResult<Page<AuditEntry>> {
        let mut filter = Sql::new(" WHERE a.team_id = ");
        filter.bind(team_id);
        crate::paginate(
            self.pool(),
            "SELECT a.team_id, a.user_id, a.user_email, a.method, a.path, a.status, a.created_at \
             FROM audit_log a",
            " FROM audit_log a",
            filter,
            " ORDER BY a.id DESC",
            page,
            |r| {
                Ok(AuditEntry {
                    team_id: r.i64("team_id")?,
                    user_id: r.i64("user_id")?,
                    user_email: r.string("user_email")?,
                    method: r.string("method")?,
                    path: r.string("path")?,
                    status: r.i64("status")? as u16,
                    created_at: from_micros(r.i64("created_at")?),
                })
            },
        )
        .await
    }
}
