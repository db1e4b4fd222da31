//! Who may see what: the one set of rules every API route asks (Volttime's "Sites > Teams").
//!
//! A site has one owner team (`sites.team_id`); its members see and (as owner or admin) manage
//! everything on it. Other teams get a [`SiteGrant`]: basic access (the site, its chargers and
//! connectors), optionally sensitive-data access (transactions, meter values, logs, pincodes)
//! until an expiry, and asset access to every charger of the site or only to listed ones.
//!
//! A caller's grants are folded once per request into a [`Scope`]: plain lists of ids that the
//! store turns into `WHERE` clauses, so lists and lookups can only return what the caller may
//! see, and an invisible object is simply not found.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::model::{Charger, Site, Team};
use crate::page::{Page, PageRequest};
use crate::store::StoreResult;

/// Another team's access to a site (the owner team has no grant: it has everything).
#[derive(Debug, Clone, PartialEq)]
pub struct SiteGrant {
    pub site_id: i64,
    pub team_id: i64,
    /// Sensitive-data access, valid until `data_access_expires_at` (none: never expires).
    pub data_access: bool,
    pub data_access_expires_at: Option<OffsetDateTime>,
    /// Every charger of the site (`full_access`), or only `charger_ids` (`limited_access`).
    pub full_asset_access: bool,
    /// The accessible chargers of a limited grant that are still on the site.
    pub charger_ids: Vec<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl SiteGrant {
    /// Whether the grant carries sensitive-data access at `now` (expired access is no access).
    pub fn sensitive_at(&self, now: OffsetDateTime) -> bool {
        self.data_access && self.data_access_expires_at.is_none_or(|e| e > now)
    }

    /// Whether the grant covers this charger of its site.
    pub fn covers_charger(&self, charger_id: i64) -> bool {
        self.full_asset_access || self.charger_ids.contains(&charger_id)
    }
}

/// What a set of grants reaches: objects of `team_ids`, whole sites, and single chargers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Teams whose own objects are reached (the caller's teams: they own them).
    pub team_ids: Vec<i64>,
    /// Sites reached with every charger on them.
    pub site_ids: Vec<i64>,
    /// Sites reached with only some chargers (limited asset access): the site itself shows.
    pub limited_site_ids: Vec<i64>,
    /// Chargers reached one by one (limited asset access).
    pub charger_ids: Vec<i64>,
}

impl Reach {
    /// Only the objects of these teams.
    pub fn teams(team_ids: Vec<i64>) -> Self {
        Self {
            team_ids,
            ..Self::default()
        }
    }

    pub fn site(&self, site: &Site) -> bool {
        self.team_ids.contains(&site.team_id)
            || self.site_ids.contains(&site.id)
            || self.limited_site_ids.contains(&site.id)
    }

    pub fn charger(&self, charger: &Charger) -> bool {
        self.team_ids.contains(&charger.team_id)
            || charger.site_id.is_some_and(|s| self.site_ids.contains(&s))
            || self.charger_ids.contains(&charger.id)
    }

    fn add(&mut self, grant: &SiteGrant) {
        if grant.full_asset_access {
            self.site_ids.push(grant.site_id);
        } else {
            self.limited_site_ids.push(grant.site_id);
            self.charger_ids.extend(&grant.charger_ids);
        }
    }
}

/// What one caller may see: basic visibility and, inside it, sensitive data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub basic: Reach,
    pub sensitive: Reach,
}

impl Scope {
    /// The scope of a member of `team_ids` whose teams hold `grants`, at `now`.
    pub fn new(team_ids: Vec<i64>, grants: &[SiteGrant], now: OffsetDateTime) -> Self {
        let mut basic = Reach::teams(team_ids.clone());
        let mut sensitive = Reach::teams(team_ids);
        for g in grants {
            basic.add(g);
            if g.sensitive_at(now) {
                sensitive.add(g);
            }
        }
        Self { basic, sensitive }
    }

    /// Only the objects the teams own (no grants): for internal lookups on behalf of an owner.
    pub fn owners(team_ids: Vec<i64>) -> Self {
        Self {
            basic: Reach::teams(team_ids.clone()),
            sensitive: Reach::teams(team_ids),
        }
    }

    /// The permissions shown on a site or charger (`permissions{basic, sensitive, full}`).
    pub fn site_permissions(&self, site: &Site) -> Permissions {
        Permissions {
            basic: self.basic.site(site),
            sensitive: self.sensitive.site(site),
            full: self.basic.team_ids.contains(&site.team_id),
        }
    }

    pub fn charger_permissions(&self, charger: &Charger) -> Permissions {
        Permissions {
            basic: self.basic.charger(charger),
            sensitive: self.sensitive.charger(charger),
            full: self.basic.team_ids.contains(&charger.team_id),
        }
    }
}

/// What the caller may do with one object: see it, see its sensitive data, own it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    pub basic: bool,
    pub sensitive: bool,
    /// The caller's team owns the object (writes still need the owner or admin role).
    pub full: bool,
}

/// The access a grant gives, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantAccess {
    pub data_access: bool,
    pub data_access_expires_at: Option<OffsetDateTime>,
    pub full_asset_access: bool,
    /// For limited asset access: the chargers (of the site) the team may see.
    pub charger_ids: Vec<i64>,
}

/// A team's request for sensitive-data access to a site; the owner team reads it.
#[derive(Debug, Clone)]
pub struct DataRequest {
    pub uuid: Uuid,
    pub site_id: i64,
    pub team: Team,
    pub user_email: String,
    pub reason: String,
    pub requested_expires_never: bool,
    pub requested_expires_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewDataRequest {
    pub site_id: i64,
    pub team_id: i64,
    pub user_id: i64,
    pub reason: String,
    pub requested_expires_never: bool,
    pub requested_expires_at: Option<OffsetDateTime>,
}

/// An invitation by e-mail to a site: the token (shown once) is stored as its SHA-256.
#[derive(Debug, Clone)]
pub struct Invite {
    pub id: i64,
    pub uuid: Uuid,
    pub site_id: i64,
    pub site_uuid: Uuid,
    /// The site's owner team now.
    pub site_team_id: i64,
    pub email: String,
    pub transfer_ownership: bool,
    pub access: GrantAccess,
    pub expires_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewInvite {
    pub site_id: i64,
    pub invited_by: i64,
    pub email: String,
    pub token_hash: String,
    pub transfer_ownership: bool,
    pub access: GrantAccess,
    pub expires_at: OffsetDateTime,
}

/// A message waiting in the outbox (delivery is someone else's job; admins can read it).
#[derive(Debug, Clone)]
pub struct OutboxEmail {
    pub uuid: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// One mutating API request, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub team_id: i64,
    pub user_id: i64,
    pub user_email: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub created_at: OffsetDateTime,
}

/// Site access, invitations and the outbox.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Every grant held by these teams (with the accessible chargers still on each site).
    async fn grants_for_teams(&self, team_ids: &[i64]) -> StoreResult<Vec<SiteGrant>>;
    /// The teams with a grant on the site (not the owner), oldest first.
    async fn site_grants(&self, site_id: i64) -> StoreResult<Vec<(Team, SiteGrant)>>;
    /// Creates or replaces a team's grant on a site.
    async fn put_grant(&self, site_id: i64, team_id: i64, access: &GrantAccess) -> StoreResult<()>;
    /// Sets sensitive-data access; false when the team has no grant.
    async fn set_data_access(
        &self,
        site_id: i64,
        team_id: i64,
        data_access: bool,
        expires_at: Option<OffsetDateTime>,
    ) -> StoreResult<bool>;
    /// Sets asset access; false when the team has no grant.
    async fn set_asset_access(
        &self,
        site_id: i64,
        team_id: i64,
        full: bool,
        charger_ids: &[i64],
    ) -> StoreResult<bool>;
    /// Removes a team's grant; false when it had none.
    async fn remove_grant(&self, site_id: i64, team_id: i64) -> StoreResult<bool>;
    /// Makes `to_team` the owner of the site and its chargers, in one transaction; the old owner
    /// keeps `old_owner_access` and the new owner's grant goes (it owns everything now).
    async fn transfer_site(
        &self,
        site_id: i64,
        from_team: i64,
        to_team: i64,
        old_owner_access: &GrantAccess,
    ) -> StoreResult<()>;
    /// Puts a charger on a site: the site's owner team owns it from now on.
    async fn move_charger_to_site(
        &self,
        charger_id: i64,
        site_id: i64,
        team_id: i64,
    ) -> StoreResult<()>;
    async fn create_data_request(&self, request: NewDataRequest) -> StoreResult<DataRequest>;
    async fn list_data_requests(&self, site_id: i64) -> StoreResult<Vec<DataRequest>>;
    async fn create_invite(&self, invite: NewInvite) -> StoreResult<Invite>;
    async fn find_invite(&self, token_hash: &str) -> StoreResult<Option<Invite>>;
    /// Marks the invite accepted; false when it was accepted before (a token works once).
    async fn mark_invite_accepted(
        &self,
        invite_id: i64,
        team_id: i64,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn queue_email(&self, recipient: &str, subject: &str, body: &str) -> StoreResult<()>;
    async fn list_outbox(&self, page: PageRequest) -> StoreResult<Page<OutboxEmail>>;
    async fn write_audit(&self, entries: &[AuditEntry]) -> StoreResult<()>;
    /// The team's audit trail, newest first.
    async fn list_audit(&self, team_id: i64, page: PageRequest) -> StoreResult<Page<AuditEntry>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn grant(
        site_id: i64,
        data: bool,
        expires: Option<OffsetDateTime>,
        chargers: Option<Vec<i64>>,
    ) -> SiteGrant {
        SiteGrant {
            site_id,
            team_id: 9,
            data_access: data,
            data_access_expires_at: expires,
            full_asset_access: chargers.is_none(),
            charger_ids: chargers.unwrap_or_default(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn expired_data_access_is_no_sensitive_access() {
        let now = OffsetDateTime::now_utc();
        assert!(grant(1, true, None, None).sensitive_at(now));
        assert!(grant(1, true, Some(now + Duration::days(1)), None).sensitive_at(now));
        assert!(!grant(1, true, Some(now - Duration::seconds(1)), None).sensitive_at(now));
        assert!(!grant(1, false, None, None).sensitive_at(now));
    }

    #[test]
    fn limited_access_reaches_the_site_but_only_listed_chargers() {
        let now = OffsetDateTime::now_utc();
        let scope = Scope::new(vec![1], &[grant(5, false, None, Some(vec![50]))], now);
        assert_eq!(scope.basic.limited_site_ids, vec![5]);
        assert!(scope.basic.site_ids.is_empty());
        assert_eq!(scope.basic.charger_ids, vec![50]);
        assert!(scope.sensitive.charger_ids.is_empty(), "no data access");
    }

    #[test]
    fn sensitive_reach_follows_unexpired_grants_only() {
        let now = OffsetDateTime::now_utc();
        let scope = Scope::new(
            vec![1],
            &[
                grant(5, true, None, None),
                grant(6, true, Some(now - Duration::days(1)), None),
            ],
            now,
        );
        assert_eq!(scope.basic.site_ids, vec![5, 6]);
        assert_eq!(scope.sensitive.site_ids, vec![5]);
        assert_eq!(scope.sensitive.team_ids, vec![1]);
    }
}
