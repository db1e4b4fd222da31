//! The simulator's locations and definitions (`LabStore`) on both databases.

use time::macros::datetime;
use voltgate_core::lab::*;
use voltgate_core::store::AccountStore;
use voltgate_core::{PageRequest, StoreError};
use voltgate_store::Db;

use crate::databases;

async fn team(db: &Db) -> i64 {
    let email = format!("{}@example.com", uuid::Uuid::new_v4());
    let user = db.create_user("Lab", &email, false).await.unwrap();
    db.create_team(user.id, "Lab team", None, "personal", true)
        .await
        .unwrap()
        .id
}

fn definition(team_id: i64, public_id: &str, identity: &str) -> NewLabCharger {
    NewLabCharger {
        public_id: public_id.into(),
        team_id,
        identity: identity.into(),
        name: Some("Bay A01".into()),
        vendor_name: Some("Wallbox".into()),
        model: Some("Pulsar Plus".into()),
        image_url: None,
        ocpp_version: "OCPP1.6".into(),
        number_of_connectors: 2,
        max_charging_power: Some(22_000),
        connector_type: Some("Type2".into()),
        location_id: None,
        brand_slug: None,
        model_slug: None,
        ws_url: None,
        password: Some("secret-pw".into()),
        id_tag: Some("TAG-1".into()),
        scenario: None,
        provisioning: Provisioning {
            status: ProvisioningStatus::Provisioning,
            error: None,
            workflow_run_id: Some("wf-1".into()),
            provisioned_at: None,
        },
    }
}

#[tokio::test]
async fn lab_locations_round_trip_and_stay_within_their_team() {
    for db in databases().await {
        let team_id = team(&db).await;
        let created = db
            .create_lab_location(NewLabLocation {
                team_id,
                name: "Depot North".into(),
                slug: "depot-north".into(),
                city: Some("Utrecht".into()),
                latitude: Some(52.09),
                longitude: Some(5.12),
                timezone: Some("Europe/Amsterdam".into()),
                public: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(created.status, "active");
        assert!(created.public);
        assert_eq!(created.latitude, Some(52.09));
        assert!(db
            .find_lab_location(&[team_id + 1000], created.uuid)
            .await
            .unwrap()
            .is_none());
        let by_name = db
            .find_lab_location_by_name(&[team_id], "depot NORTH")
            .await
            .unwrap();
        assert_eq!(by_name.map(|l| l.id), Some(created.id));

        db.update_lab_location(
            created.id,
            LabLocationPatch {
                name: Some("Depot South".into()),
                city: Some(None),
                public: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let updated = db
            .find_lab_location(&[team_id], created.uuid)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(updated.name, "Depot South");
        assert_eq!(updated.city, None);
        assert!(!updated.public);
        assert_eq!(updated.timezone.as_deref(), Some("Europe/Amsterdam"));

        let page = db
            .list_lab_locations(&[team_id], PageRequest::new(1, 10))
            .await
            .unwrap();
        assert_eq!(page.total, 1);
    }
}

#[tokio::test]
async fn lab_chargers_round_trip_with_provisioning_and_runtime_state() {
    for db in databases().await {
        let team_id = team(&db).await;
        let identity = format!("SIM-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let location = db
            .create_lab_location(NewLabLocation {
                team_id,
                name: "Hub".into(),
                slug: "hub".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut new = definition(team_id, &format!("dep-{identity}"), &identity);
        new.location_id = Some(location.id);
        let created = db.create_lab_charger(new.clone()).await.unwrap();
        assert_eq!(created.identity, identity);
        assert_eq!(created.location_uuid, Some(location.uuid));
        assert_eq!(created.number_of_connectors, 2);
        assert_eq!(created.password.as_deref(), Some("secret-pw"));
        assert_eq!(
            created.provisioning.status,
            ProvisioningStatus::Provisioning
        );
        assert!(!created.desired_running);

        new.public_id = "dep-other".into();
        let duplicate = db.create_lab_charger(new).await;
        assert!(
            matches!(duplicate, Err(StoreError::Conflict("identity"))),
            "{duplicate:?}"
        );

        let at = datetime!(2025-03-01 12:00:00.123456 UTC);
        db.set_lab_provisioning(
            created.id,
            &Provisioning {
                status: ProvisioningStatus::Failed,
                error: Some(ProvisioningError {
                    code: "IDENTITY_TAKEN".into(),
                    message: "taken".into(),
                    retryable: true,
                }),
                workflow_run_id: Some("wf-2".into()),
                provisioned_at: Some(at),
            },
        )
        .await
        .unwrap();
        assert_eq!(db.lab_chargers_to_provision().await.unwrap().len(), 0);
        db.set_lab_desired_running(created.id, true).await.unwrap();
        let to_run = db.lab_chargers_to_run().await.unwrap();
        assert_eq!(
            to_run.iter().map(|c| c.id).collect::<Vec<_>>(),
            [created.id]
        );
        let got = &to_run[0];
        assert_eq!(got.provisioning.status, ProvisioningStatus::Failed);
        let error = got.provisioning.error.as_ref().unwrap();
        assert_eq!(error.code, "IDENTITY_TAKEN");
        assert!(error.retryable);
        assert_eq!(got.provisioning.provisioned_at, Some(at));

        db.update_lab_charger(
            created.id,
            LabChargerPatch {
                name: Some(Some("Bay A02".into())),
                connector_type: Some(Some("CCS2".into())),
                ws_url: Some(Some("ws://example.com/ocpp".into())),
                password: Some(None),
                number_of_connectors: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let updated = db
            .find_lab_charger(&[team_id], &created.public_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(updated.name.as_deref(), Some("Bay A02"));
        assert_eq!(updated.connector_type.as_deref(), Some("CCS2"));
        assert_eq!(updated.ws_url.as_deref(), Some("ws://example.com/ocpp"));
        assert_eq!(updated.password, None);
        assert_eq!(updated.number_of_connectors, 1);
        assert_eq!(updated.vendor_name.as_deref(), Some("Wallbox"), "unchanged");
        assert!(db
            .find_lab_charger(&[team_id + 1000], &created.public_id)
            .await
            .unwrap()
            .is_none());
        let by_identity = db
            .find_lab_charger_by_identity(&[team_id], &identity)
            .await
            .unwrap();
        assert_eq!(by_identity.map(|c| c.id), Some(created.id));

        let in_location = db
            .list_lab_chargers(&LabChargerQuery {
                team_ids: vec![team_id],
                location_id: Some(location.id),
                page: PageRequest::new(1, 10),
            })
            .await
            .unwrap();
        assert_eq!(in_location.total, 1);
        db.delete_lab_location(location.id).await.unwrap();
        let detached = db
            .find_lab_charger_by_id(created.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(detached.location_id, None);

        db.delete_lab_charger(created.id).await.unwrap();
        assert!(db
            .find_lab_charger_by_id(created.id)
            .await
            .unwrap()
            .is_none());
        assert!(db.lab_chargers_to_run().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn coordinates_can_follow_locations_without_them() {
    // On PostgreSQL a statement first prepared with a NULL coordinate must still take one.
    for db in databases().await {
        let team_id = team(&db).await;
        for n in 0..8 {
            db.create_lab_location(NewLabLocation {
                team_id,
                name: format!("Bare {n}"),
                slug: format!("bare-{n}"),
                ..Default::default()
            })
            .await
            .unwrap();
        }
        for n in 0..8 {
            let located = db
                .create_lab_location(NewLabLocation {
                    team_id,
                    name: format!("Placed {n}"),
                    slug: format!("placed-{n}"),
                    latitude: Some(52.0 + f64::from(n)),
                    longitude: Some(5.0),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(located.latitude, Some(52.0 + f64::from(n)));
            db.update_lab_location(
                located.id,
                LabLocationPatch {
                    latitude: Some(None),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            db.update_lab_location(
                located.id,
                LabLocationPatch {
                    latitude: Some(Some(1.5)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let moved = db
                .find_lab_location(&[team_id], located.uuid)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(moved.latitude, Some(1.5));
        }
    }
}
