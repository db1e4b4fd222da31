//! The one authorization layer of the API: every route finds sites, chargers and their data
//! through these functions, which ask the caller's [`Scope`] (owner teams plus site grants, with
//! sensitive-data access checked against its expiry).
//!
//! - Not visible: 404, the same body as an id that does not exist.
//! - Visible, but the data is sensitive and the caller has no (unexpired) sensitive access: 403.
//! - Writes: the owner team, with the owner or admin role; anyone else who sees it gets 403.

use uuid::Uuid;
use voltgate_core::access::{Permissions, Reach, Scope, SiteGrant};
use voltgate_core::model::{Charger, Site};
use voltgate_core::store::{ChargerQuery, SiteQuery, TransactionQuery};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::resources::path_uuid;
use crate::ApiState;

/// A site the caller can see (owner or granted), or 404.
pub(crate) async fn visible_site(state: &ApiState, caller: &Caller, uuid: &str) -> ApiResult<Site> {
    let uuid = path_uuid(uuid)?;
    let site = find_site(state, &caller.scope.basic, uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.touch(site.team_id);
    Ok(site)
}

/// A site within `reach`, by uuid (for body fields that name a site).
pub(crate) async fn find_site(
    state: &ApiState,
    reach: &Reach,
    uuid: Uuid,
) -> ApiResult<Option<Site>> {
    Ok(state.store.find_site(reach, uuid).await?)
}

/// A site the caller's team owns and the caller may manage (owner or admin role): 404 when
/// invisible, 403 when visible but not the caller's to manage.
pub(crate) async fn managed_site(state: &ApiState, caller: &Caller, uuid: &str) -> ApiResult<Site> {
    let site = visible_site(state, caller, uuid).await?;
    may_write(caller, site.team_id)?;
    Ok(site)
}

/// A charger the caller can see (owned, on a granted site, or granted one by one), or 404.
pub(crate) async fn visible_charger(
    state: &ApiState,
    caller: &Caller,
    uuid: &str,
) -> ApiResult<Charger> {
    let uuid = path_uuid(uuid)?;
    let charger = state
        .store
        .find_charger(&caller.scope.basic, uuid)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.touch(charger.team_id);
    Ok(charger)
}

/// A charger whose sensitive data (transactions, meter values, logs) the caller may read:
/// 404 when invisible, 403 without unexpired sensitive-data access.
pub(crate) async fn sensitive_charger(
    state: &ApiState,
    caller: &Caller,
    uuid: &str,
) -> ApiResult<Charger> {
    let charger = visible_charger(state, caller, uuid).await?;
    if !caller.scope.sensitive.charger(&charger) {
        return Err(ApiError::Forbidden);
    }
    Ok(charger)
}

/// Writes need the owner team with the owner or admin role.
pub(crate) fn may_write(caller: &Caller, team_id: i64) -> ApiResult<()> {
    if caller.can_write(team_id) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

impl Caller {
    pub(crate) fn charger_permissions(&self, charger: &Charger) -> Permissions {
        self.scope.charger_permissions(charger)
    }

    pub(crate) fn site_permissions(&self, site: &Site) -> Permissions {
        self.scope.site_permissions(site)
    }

    /// The scope of one of the caller's teams alone (its own objects and its grants).
    pub(crate) fn team_scope(&self, team_id: i64) -> Scope {
        let grants: Vec<SiteGrant> = self
            .grants
            .iter()
            .filter(|g| g.team_id == team_id)
            .cloned()
            .collect();
        Scope::new(vec![team_id], &grants, time::OffsetDateTime::now_utc())
    }
}

/// A site list limited to `reach`.
pub(crate) fn site_query(reach: &Reach) -> SiteQuery {
    let mut site_ids = reach.site_ids.clone();
    site_ids.extend(&reach.limited_site_ids);
    SiteQuery {
        team_ids: reach.team_ids.clone(),
        site_ids,
        ..Default::default()
    }
}

/// A charger list limited to `reach`.
pub(crate) fn charger_query(reach: &Reach) -> ChargerQuery {
    ChargerQuery {
        team_ids: reach.team_ids.clone(),
        site_ids: reach.site_ids.clone(),
        charger_ids: reach.charger_ids.clone(),
        ..Default::default()
    }
}

/// A transaction list limited to `reach` (pass the sensitive reach: transactions are sensitive).
pub(crate) fn transaction_query(reach: &Reach) -> TransactionQuery {
    TransactionQuery {
        team_ids: reach.team_ids.clone(),
        site_ids: reach.site_ids.clone(),
        charger_ids: reach.charger_ids.clone(),
        ..Default::default()
    }
}
