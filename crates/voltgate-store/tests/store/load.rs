//! Site load management, circuits and the allocator's readings (`LoadStore`) on both databases.

use time::macros::datetime;
use voltgate_core::load::*;
use voltgate_core::model::{Address, MeterSample};
use voltgate_core::store::*;

use crate::{charger, databases};

fn sample(
    charger_id: i64,
    at: time::OffsetDateTime,
    measurand: &str,
    phase: Option<&str>,
    value: &str,
) -> MeterSample {
    MeterSample {
        charger_id,
        connector_id: 1,
        transaction_id: None,
        timestamp: at,
        value: value.into(),
        context: None,
        format: None,
        measurand: Some(measurand.into()),
        phase: phase.map(Into::into),
        location: None,
        unit: Some(
            if measurand == "Power.Active.Import" {
                "W"
            } else {
                "A"
            }
            .into(),
        ),
    }
}

#[tokio::test]
async fn load_settings_circuits_and_latest_readings_round_trip() {
    for db in databases().await {
        let (team_id, c) = charger(&db).await;
        let site = db
            .create_site(NewSite {
                team_id,
                address: Address {
                    name: "Depot".into(),
                    street: None,
                    house_number: None,
                    house_number_addition: None,
                    postal_code: None,
                    city: None,
                    country: None,
                    latitude: None,
                    longitude: None,
                    timezone: "UTC".into(),
                },
            })
            .await
            .unwrap();
        assert_eq!(
            db.load_settings(site.id).await.unwrap(),
            LoadSettings::default()
        );
        // The load controller finds many chargers' sites in one query: one on the site, one
        // on none, and an id that is no charger (left out).
        let (_, elsewhere) = charger(&db).await;
        db.update_charger(
            c.id,
            ChargerPatch {
                site_id: Some(Some(site.id)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut sites = db
            .sites_of_chargers(&[elsewhere.id, c.id, i64::MAX])
            .await
            .unwrap();
        sites.sort_unstable();
        let mut want = vec![(c.id, Some(site.id)), (elsewhere.id, None)];
        want.sort_unstable();
        assert_eq!(sites, want);
        assert!(db.sites_of_chargers(&[]).await.unwrap().is_empty());
        // NULL floats alternate with real ones (the prepared-statement trap on PostgreSQL).
        for round in 0..2 {
            let s = LoadSettings {
                max_current: Some(32.0),
                available_current: if round == 0 { None } else { Some(20.0) },
                available_current_phase2: if round == 0 { Some(16.5) } else { None },
                minimum_current: Some(6.0),
                ..Default::default()
            };
            db.save_load_settings(site.id, &s).await.unwrap();
            let got = db.load_settings(site.id).await.unwrap();
            assert!(got.updated_at.is_some());
            assert_eq!(
                LoadSettings {
                    updated_at: None,
                    ..got
                },
                s
            );
        }

        let main = db
            .create_circuit(
                site.id,
                &CircuitFields {
                    parent_id: None,
                    name: "Main".into(),
                    max_current: 25.0,
                    phases: 3,
                },
            )
            .await
            .unwrap();
        let sub = db
            .create_circuit(
                site.id,
                &CircuitFields {
                    parent_id: Some(main.id),
                    name: "Garage".into(),
                    max_current: 16.0,
                    phases: 1,
                },
            )
            .await
            .unwrap();
        assert_eq!(sub.parent_id, Some(main.id));
        assert_eq!(
            db.find_circuit(site.id, sub.uuid).await.unwrap(),
            Some(sub.clone())
        );
        assert_eq!(db.find_circuit(site.id + 1, sub.uuid).await.unwrap(), None);
        db.update_circuit(
            sub.id,
            &CircuitFields {
                parent_id: None,
                name: "Garage 2".into(),
                max_current: 10.0,
                phases: 3,
            },
        )
        .await
        .unwrap();
        let all = db.list_circuits(site.id).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (
                all[1].name.as_str(),
                all[1].max_current,
                all[1].phases,
                all[1].parent_id
            ),
            ("Garage 2", 10.0, 3, None)
        );

        db.attach_charger(main.id, c.id, 1).await.unwrap();
        db.attach_charger(sub.id, c.id, 5).await.unwrap();
        assert_eq!(
            db.circuit_chargers(site.id).await.unwrap(),
            vec![CircuitCharger {
                circuit_id: sub.id,
                charger_id: c.id,
                priority: 5
            }],
            "a charger hangs below one circuit"
        );
        assert!(!db.detach_charger(main.id, c.id).await.unwrap());
        assert!(db.detach_charger(sub.id, c.id).await.unwrap());
        db.attach_charger(sub.id, c.id, 2).await.unwrap();
        db.delete_circuit(sub.id).await.unwrap();
        assert!(db.circuit_chargers(site.id).await.unwrap().is_empty());
        assert_eq!(db.list_circuits(site.id).await.unwrap().len(), 1);

        // Sessions and the latest current/power readings.
        assert!(db.chargers_with_sessions(&[c.id]).await.unwrap().is_empty());
        assert!(db.chargers_with_sessions(&[]).await.unwrap().is_empty());
        db.start_transaction(StartTx {
            charger_id: c.id,
            connector_id: 1,
            id_tag: "T".into(),
            meter_start: 0,
            started_at: datetime!(2025-01-01 10:00 UTC),
            reservation_id: None,
        })
        .await
        .unwrap();
        assert_eq!(
            db.chargers_with_sessions(&[c.id]).await.unwrap(),
            vec![c.id]
        );
        let (t1, t2) = (
            datetime!(2025-01-01 10:01 UTC),
            datetime!(2025-01-01 10:02 UTC),
        );
        db.write_batch(&[BatchItem::MeterValues(vec![
            sample(c.id, t1, "Current.Import", Some("L1"), "30"),
            sample(c.id, t2, "Current.Import", Some("L1"), "10.5"),
            sample(c.id, t2, "Current.Import", Some("L2"), "10.4"),
            sample(c.id, t2, "Power.Active.Import", None, "4800"),
            sample(c.id, t2, "Voltage", Some("L1-N"), "230"),
        ])])
        .await
        .unwrap();
        let latest = db.latest_readings(&[c.id], None).await.unwrap();
        let values: Vec<(&str, Option<&str>, &str)> = latest
            .iter()
            .map(|r| (r.measurand.as_str(), r.phase.as_deref(), r.value.as_str()))
            .collect();
        assert_eq!(
            values,
            vec![
                ("Current.Import", Some("L1"), "10.5"),
                ("Current.Import", Some("L2"), "10.4"),
                ("Power.Active.Import", None, "4800"),
            ]
        );
        assert!(latest
            .iter()
            .all(|r| r.timestamp == t2 && r.connector_id == 1));
        assert!(db.latest_readings(&[], None).await.unwrap().is_empty());
        assert_eq!(
            db.latest_readings(&[c.id], Some(t2)).await.unwrap(),
            latest,
            "a reading at `since` counts"
        );
        assert!(
            db.latest_readings(&[c.id], Some(t2 + time::Duration::seconds(1)))
                .await
                .unwrap()
                .is_empty(),
            "readings before `since` do not count"
        );
    }
}
