//! `voltgate serve --demo`: a demo site with cards and a few simulated chargers that run
//! charging sessions on their own (plug in, authorize, charge with meter values, stop, unplug,
//! pause, again), so the first command of the README shows a living system.
//!
//! Created once, in the admin's team, and found again on later starts (nothing is duplicated).
//! The chargers are ordinary simulator definitions with `scenario: "sessions"` whose `ws_url` is
//! this Voltgate; they are marked to run, so the simulator starts them once the listeners are
//! bound, like any definition that was running. A demo charger someone stopped stays stopped.

use anyhow::Context;
use voltgate_core::lab::{LabLocation, NewLabLocation, ProvisioningStatus};
use voltgate_core::model::{Address, Site};
use voltgate_core::store::{ChargerPatch, NewCard, NewSite, SiteQuery};
use voltgate_core::types::CardStatus;
use voltgate_core::{PageRequest, Store};
use voltgate_lab::{ChargerInput, Lab};

/// The demo site's name (also the simulator location's).
pub const DEMO_SITE: &str = "Voltgate demo site";
/// How many simulated chargers the demo has.
pub const DEMO_CHARGERS: u32 = 3;

/// The identity of demo charger `n` (from 1).
pub fn demo_identity(n: u32) -> String {
    format!("DEMO-CP-{n}")
}

/// The card demo charger `n` charges with.
pub fn demo_card(n: u32) -> String {
    format!("DEMO-CARD-{n}")
}

/// Creates what is missing of the demo in `team_id`.
pub async fn ensure(lab: &Lab, store: &dyn Store, team_id: i64) -> anyhow::Result<()> {
    let site = site(store, team_id).await?;
    let location = location(store, team_id).await?;
    let mut created = 0;
    for n in 1..=DEMO_CHARGERS {
        let uid = demo_card(n);
        if store.find_card(&[team_id], &uid).await?.is_none() {
            store
                .create_card(NewCard {
                    team_id,
                    uid: uid.clone(),
                    name: Some(format!("Demo driver {n}")),
                    status: CardStatus::Accepted,
                    expires_at: None,
                    parent_uid: None,
                })
                .await?;
        }
        let identity = demo_identity(n);
        if store
            .find_lab_charger_by_identity(&[team_id], &identity)
            .await?
            .is_some()
        {
            continue;
        }
        let input = ChargerInput {
            name: Some(format!("Demo bay {n}")),
            location_id: Some(location.id),
            id_tag: Some(uid),
            scenario: Some("sessions".into()),
            ..ChargerInput::new(identity.clone())
        };
        let definition = lab
            .create_charger(team_id, input)
            .await
            .with_context(|| format!("could not create the simulated charger {identity}"))?;
        let provisioned = lab
            .provision(definition.id)
            .await
            .with_context(|| format!("{identity} vanished while provisioning"))?;
        if provisioned.provisioning.status != ProvisioningStatus::Ready {
            tracing::warn!(charger.identity = %identity, error = ?provisioned.provisioning.error, "a demo charger could not be provisioned");
            continue;
        }
        if let Some(charger) = store.find_charger_by_identity(&identity).await? {
            let patch = ChargerPatch {
                site_id: Some(Some(site.id)),
                ..Default::default()
            };
            store.update_charger(charger.id, patch).await?;
        }
        store.set_lab_desired_running(definition.id, true).await?;
        created += 1;
    }
    tracing::info!(
        site = DEMO_SITE,
        created,
        chargers = DEMO_CHARGERS,
        "demo: simulated chargers at the demo site run charging sessions on their own"
    );
    Ok(())
}

async fn site(store: &dyn Store, team_id: i64) -> anyhow::Result<Site> {
    let found = store
        .list_sites(&SiteQuery {
            team_ids: vec![team_id],
            search: Some(DEMO_SITE.into()),
            page: PageRequest::new(1, 100),
            ..Default::default()
        })
        .await?;
    if let Some(site) = found
        .items
        .into_iter()
        .find(|s| s.address.name == DEMO_SITE)
    {
        return Ok(site);
    }
    let site = store
        .create_site(NewSite {
            team_id,
            address: Address {
                name: DEMO_SITE.into(),
                street: Some("Stationsplein".into()),
                house_number: Some("1".into()),
                postal_code: Some("1012 AB".into()),
                city: Some("Amsterdam".into()),
                country: Some("NL".into()),
                latitude: Some(52.3791),
                longitude: Some(4.9003),
                timezone: "Europe/Amsterdam".into(),
                ..Default::default()
            },
        })
        .await?;
    Ok(site)
}

async fn location(store: &dyn Store, team_id: i64) -> anyhow::Result<LabLocation> {
    if let Some(found) = store
        .find_lab_location_by_name(&[team_id], DEMO_SITE)
        .await?
    {
        return Ok(found);
    }
    let created = store
        .create_lab_location(NewLabLocation {
            team_id,
            name: DEMO_SITE.into(),
            slug: "voltgate-demo-site".into(),
            address: Some("Stationsplein 1".into()),
            city: Some("Amsterdam".into()),
            country: Some("NL".into()),
            latitude: Some(52.3791),
            longitude: Some(4.9003),
            timezone: Some("Europe/Amsterdam".into()),
            owner_name: Some("Voltgate".into()),
            public: false,
        })
        .await?;
    Ok(created)
}
