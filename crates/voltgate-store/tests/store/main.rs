//! The store against real databases: SQLite always, PostgreSQL when
//! `VOLTGATE_TEST_POSTGRES_URL` is set (`.ci/run` sets it).

mod lab;
mod load;
mod meter;
mod smart;

use time::macros::datetime;
use uuid::Uuid;
use voltgate_core::access::Reach;
use voltgate_core::model::MeterSample;
use voltgate_core::store::*;
use voltgate_core::types::{CardStatus, ConnectionStatus, TransactionStatus};
use voltgate_core::{PageRequest, StoreError};
use voltgate_store::{testing, Db};

async fn databases() -> Vec<Db> {
    let dbs = databases_before(i64::MAX).await;
    for db in &dbs {
        assert_eq!(
            db.migrate().await.expect("migrate twice"),
            0,
            "migrations are idempotent"
        );
    }
    dbs
}

/// SQLite and (when configured) PostgreSQL, migrated up to `version`.
async fn databases_before(version: i64) -> Vec<Db> {
    let mut dbs = vec![Db::connect(&testing::fresh_sqlite_url())
        .await
        .expect("sqlite")];
    match std::env::var(testing::POSTGRES_ENV) {
        Ok(url) => {
            let url = testing::fresh_postgres_url(&url)
                .await
                .expect("create postgres test database");
            dbs.push(Db::connect(&url).await.expect("postgres"));
        }
        Err(_) => testing::say_postgres_skipped(),
    }
    let expected = voltgate_store::MIGRATIONS
        .iter()
        .filter(|m| m.0 <= version)
        .count();
    for db in &dbs {
        assert_eq!(db.migrate_to(version).await.expect("migrate"), expected);
    }
    dbs
}

async fn charger(db: &Db) -> (i64, voltgate_core::model::Charger) {
    let user = db
        .create_user("Ada", &format!("{}@example.com", Uuid::new_v4()), true)
        .await
        .unwrap();
    let team = db
        .create_team(user.id, "Ada's team", None, "personal", true)
        .await
        .unwrap();
    let c = db
        .create_charger(NewCharger {
            team_id: team.id,
            site_id: None,
            uuid: Uuid::new_v4(),
            identity: format!("CP-{}", &Uuid::new_v4().simple().to_string()[..8]),
            reference: Some("garage".into()),
            password_hash: None,
            pincode: "123456".into(),
            license_smart: true,
            license_pro: false,
            boot_policy: None,
        })
        .await
        .unwrap();
    (team.id, c)
}

#[tokio::test]
async fn accounts_chargers_and_visibility_round_trip() {
    for db in databases().await {
        let (team_id, c) = charger(&db).await;
        assert_eq!(c.connection_status, ConnectionStatus::NeverSeen);
        assert!(c.license_smart && !c.license_pro);
        assert_eq!(c.reference.as_deref(), Some("garage"));
        // Another team cannot see it.
        assert!(db
            .find_charger(&Reach::teams(vec![team_id + 1000]), c.uuid)
            .await
            .unwrap()
            .is_none());
        assert!(db
            .find_charger(&Reach::teams(vec![team_id]), c.uuid)
            .await
            .unwrap()
            .is_some());
        // Identity is unique.
        let dup = db
            .create_charger(NewCharger {
                team_id,
                site_id: None,
                uuid: Uuid::new_v4(),
                identity: c.identity.clone(),
                reference: None,
                password_hash: None,
                pincode: "1".into(),
                license_smart: false,
                license_pro: false,
                boot_policy: None,
            })
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict("identity"))),
            "{dup:?}"
        );
        let page = db
            .list_chargers(&ChargerQuery {
                team_ids: vec![team_id],
                search: Some("cp-".into()),
                page: PageRequest::new(1, 10),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].identity, c.identity);
    }
}

#[tokio::test]
async fn transactions_are_idempotent_and_unknown_stops_become_orphans() {
    for db in databases().await {
        let (team_id, c) = charger(&db).await;
        let start = StartTx {
            charger_id: c.id,
            connector_id: 1,
            id_tag: "TAG1".into(),
            meter_start: 1000,
            started_at: datetime!(2025-01-01 10:00 UTC),
            reservation_id: None,
        };
        let first = db.start_transaction(start.clone()).await.unwrap();
        let StartOutcome::Created {
            id,
            connector_busy: false,
        } = first
        else {
            panic!("{first:?}")
        };
        assert_eq!(
            db.start_transaction(start.clone()).await.unwrap(),
            StartOutcome::Duplicate { id }
        );
        let mut other = start.clone();
        other.started_at = datetime!(2025-01-01 10:05 UTC);
        assert!(matches!(
            db.start_transaction(other).await.unwrap(),
            StartOutcome::Created {
                connector_busy: true,
                ..
            }
        ));

        let sample = MeterSample {
            charger_id: c.id,
            connector_id: 1,
            transaction_id: Some(id),
            timestamp: datetime!(2025-01-01 10:30 UTC),
            value: "4200".into(),
            context: Some("Transaction.End".into()),
            format: None,
            measurand: Some("Energy.Active.Import.Register".into()),
            phase: None,
            location: None,
            unit: Some("Wh".into()),
        };
        let stop = StopTx {
            charger_id: c.id,
            transaction_id: id,
            id_tag: None,
            meter_stop: 8000,
            stopped_at: datetime!(2025-01-01 11:00 UTC),
            reason: None,
            samples: vec![sample],
        };
        assert_eq!(
            db.stop_transaction(stop.clone()).await.unwrap(),
            StopOutcome::Stopped { id }
        );
        assert_eq!(
            db.stop_transaction(stop.clone()).await.unwrap(),
            StopOutcome::AlreadyStopped { id }
        );
        let tx = db
            .find_transaction(&Reach::teams(vec![team_id]), id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tx.status, TransactionStatus::Finished);
        assert_eq!(tx.energy_wh(), Some(7000));
        assert_eq!(tx.stop_reason.as_deref(), Some("Local"));

        let mut unknown = stop.clone();
        unknown.transaction_id = 999_999;
        let StopOutcome::Orphan { id: orphan } =
            db.stop_transaction(unknown.clone()).await.unwrap()
        else {
            panic!()
        };
        assert_eq!(
            db.stop_transaction(unknown).await.unwrap(),
            StopOutcome::AlreadyStopped { id: orphan }
        );
        let orphan = db
            .find_transaction(&Reach::teams(vec![team_id]), orphan)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(orphan.orphan_transaction_id, Some(999_999));

        let mvs = db
            .list_meter_values(&MeterValueQuery {
                charger_id: c.id,
                measurand: Some("Energy.Active.Import.Register".into()),
                page: PageRequest::default(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            mvs.total, 2,
            "transactionData of the stop and of the orphan are stored"
        );
    }
}

#[tokio::test]
async fn batches_status_and_cards() {
    for db in databases().await {
        let (team_id, c) = charger(&db).await;
        let at = datetime!(2025-02-02 12:00 UTC);
        db.write_batch(&[
            BatchItem::Heartbeat {
                charger_id: c.id,
                at,
            },
            BatchItem::MeterValues(vec![MeterSample {
                charger_id: c.id,
                connector_id: 1,
                transaction_id: None,
                timestamp: at,
                value: "21.5".into(),
                context: None,
                format: None,
                measurand: Some("Temperature".into()),
                phase: None,
                location: Some("Body".into()),
                unit: Some("Celcius".into()),
            }]),
        ])
        .await
        .unwrap();
        let report = StatusReport {
            connector_id: 2,
            status: "Faulted".into(),
            error_code: "GroundFailure".into(),
            info: Some("rcd".into()),
            vendor_id: Some("acme".into()),
            vendor_error_code: Some("E42".into()),
            timestamp: at,
        };
        db.write_batch(&[BatchItem::Status {
            charger_id: c.id,
            report,
        }])
        .await
        .unwrap();
        let conns = db.list_connectors(&[c.id]).await.unwrap();
        assert_eq!(conns.len(), 1);
        assert_eq!(conns[0].error.as_deref(), Some("GroundFailure"));
        assert_eq!(conns[0].vendor_error_code.as_deref(), Some("E42"));
        let got = db
            .find_charger(&Reach::teams(vec![team_id]), c.uuid)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.last_heartbeat_at, Some(at));

        db.create_card(NewCard {
            team_id,
            uid: "abc123".into(),
            name: None,
            status: CardStatus::Blocked,
            expires_at: None,
            parent_uid: Some("P1".into()),
        })
        .await
        .unwrap();
        let card = db
            .find_card_for_charger(c.id, "ABC123")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(card.status, CardStatus::Blocked);
        assert_eq!(card.parent_uid.as_deref(), Some("P1"));
    }
}

/// sqlx's Any driver sends a NULL float to PostgreSQL typed float4; a statement prepared with it
/// must not then break on real coordinates (Sql::bind writes NULL floats as literals).
#[tokio::test]
async fn sites_with_and_without_coordinates_alternate() {
    for db in databases().await {
        let (team_id, _) = charger(&db).await;
        for i in 0..4 {
            let (lat, lon) = if i % 2 == 0 {
                (None, None)
            } else {
                (Some(52.37), Some(4.89))
            };
            let address = voltgate_core::model::Address {
                name: format!("Site {i}"),
                latitude: lat,
                longitude: lon,
                timezone: "UTC".into(),
                ..Default::default()
            };
            let site = db
                .create_site(NewSite { team_id, address })
                .await
                .expect("create site");
            assert_eq!(site.address.latitude, lat);
            db.update_site(
                site.id,
                SitePatch {
                    latitude: Some(lon),
                    ..Default::default()
                },
            )
            .await
            .expect("update site");
        }
    }
}

#[tokio::test]
async fn auto_registrations_are_batched_and_skip_identities_taken_meanwhile() {
    for db in databases().await {
        let (team_id, existing) = charger(&db).await;
        let new = |identity: &str, pincode: &str| {
            BatchItem::Register(NewCharger {
                team_id,
                site_id: None,
                uuid: Uuid::new_v4(),
                identity: identity.into(),
                reference: None,
                password_hash: None,
                pincode: pincode.into(),
                license_smart: false,
                license_pro: true,
                boot_policy: None,
            })
        };
        let fresh = format!("CP-new-{}", &Uuid::new_v4().simple().to_string()[..8]);
        // Two first connections of one identity in the same batch, and one that lost the race
        // to a charger that exists already: one row each, the first one wins.
        db.write_batch(&[
            new(&fresh, "111111"),
            new(&fresh, "222222"),
            new(&existing.identity, "333333"),
            BatchItem::Heartbeat {
                charger_id: existing.id,
                at: datetime!(2025-02-02 12:00 UTC),
            },
        ])
        .await
        .unwrap();
        let registered = db.find_charger_by_identity(&fresh).await.unwrap().unwrap();
        assert_eq!(registered.team_id, team_id);
        assert_eq!(registered.pincode, "111111");
        assert!(registered.license_pro && !registered.license_smart);
        let kept = db
            .find_charger_by_identity(&existing.identity)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((kept.id, kept.pincode.as_str()), (existing.id, "123456"));
        assert!(
            kept.last_heartbeat_at.is_some(),
            "the rest of the batch is written"
        );
    }
}

#[tokio::test]
async fn starts_and_stops_in_one_batch_see_each_other() {
    for db in databases().await {
        let (_, c) = charger(&db).await;
        let start = |connector_id: i32, minute: u8| StartTx {
            charger_id: c.id,
            connector_id,
            id_tag: "TAG1".into(),
            meter_start: 1000,
            started_at: datetime!(2025-01-01 10:00 UTC) + time::Duration::minutes(minute.into()),
            reservation_id: None,
        };
        let item = BatchItem::start;
        // A start, its retry, a second start on the busy connector and one on another connector,
        // all in one batch, with a stop of a transaction that does not exist.
        let (a, first) = item(start(1, 0));
        let (b, retry) = item(start(1, 0));
        let (d, busy) = item(start(1, 5));
        let (e, elsewhere) = item(start(2, 5));
        let (stop, orphan) = BatchItem::stop(StopTx {
            charger_id: c.id,
            transaction_id: 999_999,
            id_tag: None,
            meter_stop: 2000,
            stopped_at: datetime!(2025-01-01 11:00 UTC),
            reason: None,
            samples: vec![],
        });
        db.write_batch(&[a, b, d, e, stop]).await.unwrap();
        let StartOutcome::Created {
            id,
            connector_busy: false,
        } = first.committed().unwrap()
        else {
            panic!("the first start creates a transaction")
        };
        assert_eq!(retry.committed().unwrap(), StartOutcome::Duplicate { id });
        assert!(matches!(
            busy.committed().unwrap(),
            StartOutcome::Created { id: other, connector_busy: true } if other != id
        ));
        assert!(matches!(
            elsewhere.committed().unwrap(),
            StartOutcome::Created {
                connector_busy: false,
                ..
            }
        ));
        assert!(matches!(
            orphan.committed().unwrap(),
            StopOutcome::Orphan { .. }
        ));
    }
}

#[tokio::test]
async fn the_last_status_of_a_connector_in_a_batch_wins() {
    for db in databases().await {
        let (team_id, c) = charger(&db).await;
        let status =
            |connector_id: i32, status: &str, error_code: &str, second: i64| BatchItem::Status {
                charger_id: c.id,
                report: StatusReport {
                    connector_id,
                    status: status.into(),
                    error_code: error_code.into(),
                    info: None,
                    vendor_id: None,
                    vendor_error_code: None,
                    timestamp: datetime!(2025-02-02 12:00 UTC) + time::Duration::seconds(second),
                },
            };
        // One batch with a whole plug-in: the rows end as the last report of each left them.
        db.write_batch(&[
            status(0, "Faulted", "GroundFailure", 0),
            status(1, "Preparing", "NoError", 1),
            status(2, "Available", "NoError", 2),
            status(1, "Charging", "NoError", 3),
            status(0, "Available", "NoError", 4),
        ])
        .await
        .unwrap();
        let conns = db.list_connectors(&[c.id]).await.unwrap();
        let got: Vec<(i32, Option<&str>)> = conns
            .iter()
            .map(|k| (k.connector_id, k.status.as_deref()))
            .collect();
        assert_eq!(got, vec![(1, Some("Charging")), (2, Some("Available"))]);
        assert_eq!(conns[0].status_at, Some(datetime!(2025-02-02 12:00:03 UTC)));
        let charger = db
            .find_charger(&Reach::teams(vec![team_id]), c.uuid)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(charger.status.as_deref(), Some("Available"));
        assert_eq!(
            charger.error, None,
            "the fault was cleared by the later report"
        );
    }
}

/// A BootNotification report of model "M", firmware 1.0, with `vendor` and `serial`.
fn boot_item(
    charger_id: i64,
    vendor: &str,
    serial: Option<String>,
    at: time::OffsetDateTime,
    accept_registration: bool,
) -> BatchItem {
    BatchItem::Boot {
        charger_id,
        info: voltgate_core::model::BootInfo {
            vendor: vendor.into(),
            model: "M".into(),
            charge_point_serial_number: serial,
            charge_box_serial_number: None,
            firmware_version: Some("1.0".into()),
            iccid: None,
            imsi: None,
            meter_type: None,
            meter_serial_number: None,
        },
        ocpp_version: "ocpp1.6".into(),
        at,
        accept_registration,
    }
}

#[tokio::test]
async fn connections_and_boots_of_many_chargers_in_one_batch_keep_each_chargers_order() {
    for db in databases().await {
        let (team1, c1) = charger(&db).await;
        let (team2, c2) = charger(&db).await;
        let (team3, c3) = charger(&db).await;
        let at = |second: i64| datetime!(2025-03-03 08:00 UTC) + time::Duration::seconds(second);
        let connection =
            |charger_id: i64, status, version: Option<&str>, second| BatchItem::Connection {
                charger_id,
                status,
                ocpp_version: version.map(str::to_owned),
                at: at(second),
            };
        let boot = |charger_id: i64, vendor: &str, second, accept_registration| {
            let serial = Some(format!("{vendor}-1"));
            boot_item(charger_id, vendor, serial, at(second), accept_registration)
        };
        use ConnectionStatus::{Offline, Online};
        // Interleaved as chargers would send them: each charger's reports must end as its own
        // order leaves them, whatever the order across chargers.
        db.write_batch(&[
            connection(c1.id, Online, Some("ocpp1.6"), 1),
            boot(c2.id, "Beta", 2, false),
            boot(c1.id, "Alpha", 3, true),
            connection(c3.id, Offline, None, 4),
            connection(c1.id, Offline, None, 5),
            connection(c2.id, Online, Some("ocpp1.6"), 6),
            connection(c1.id, Online, None, 7),
        ])
        .await
        .unwrap();
        let find = |team: i64, uuid| {
            let db = &db;
            async move {
                db.find_charger(&Reach::teams(vec![team]), uuid)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let one = find(team1, c1.uuid).await;
        assert_eq!(one.connection_status, Online, "the last report wins");
        assert_eq!(
            (one.last_connection_at, one.last_disconnection_at),
            (Some(at(7)), Some(at(5)))
        );
        assert_eq!(one.boot.as_ref().map(|b| b.vendor.as_str()), Some("Alpha"));
        assert_eq!(
            one.boot
                .as_ref()
                .and_then(|b| b.charge_point_serial_number.as_deref()),
            Some("Alpha-1")
        );
        assert_eq!(one.last_boot_at, Some(at(3)));
        assert_eq!(one.registration_status.as_deref(), Some("accepted"));
        assert_eq!(one.ocpp_version.as_deref(), Some("ocpp1.6"));

        let two = find(team2, c2.uuid).await;
        assert_eq!(two.boot.as_ref().map(|b| b.vendor.as_str()), Some("Beta"));
        assert_eq!(
            two.registration_status, c2.registration_status,
            "a boot that does not accept the registration leaves it"
        );
        assert_eq!(two.connection_status, Online);
        assert_eq!(
            (two.last_connection_at, two.last_disconnection_at),
            (Some(at(6)), None)
        );

        let three = find(team3, c3.uuid).await;
        assert_eq!(three.connection_status, Offline);
        assert_eq!(
            (three.last_connection_at, three.last_disconnection_at),
            (None, Some(at(4)))
        );
        assert_eq!(three.last_boot_at, None, "no boot, no boot time");
        assert_eq!(
            three.ocpp_version, c3.ocpp_version,
            "no version given, none changed"
        );
    }
}

#[tokio::test]
async fn a_batch_writes_only_the_charger_columns_its_reports_set() {
    for db in databases().await {
        let (team, c) = charger(&db).await;
        let at = |second: i64| datetime!(2025-03-03 08:00 UTC) + time::Duration::seconds(second);
        let boot = |serial: Option<&str>, second, accept_registration| {
            let serial = serial.map(str::to_owned);
            boot_item(c.id, "Alpha", serial, at(second), accept_registration)
        };
        let reload = || async {
            db.find_charger(&Reach::teams(vec![team]), c.uuid)
                .await
                .unwrap()
                .unwrap()
        };
        // An accepted boot, then one that does not accept, in one batch: still accepted.
        db.write_batch(&[boot(Some("S-1"), 1, true), boot(Some("S-2"), 2, false)])
            .await
            .unwrap();
        let after_boots = reload().await;
        assert_eq!(after_boots.registration_status.as_deref(), Some("accepted"));
        assert_eq!(
            after_boots
                .boot
                .as_ref()
                .and_then(|b| b.charge_point_serial_number.as_deref()),
            Some("S-2"),
            "the later boot of the batch wins"
        );

        // A batch with only a connection report keeps the boot data and the boot time.
        db.write_batch(&[BatchItem::Connection {
            charger_id: c.id,
            status: ConnectionStatus::Offline,
            ocpp_version: None,
            at: at(3),
        }])
        .await
        .unwrap();
        let offline = reload().await;
        assert_eq!(offline.connection_status, ConnectionStatus::Offline);
        assert_eq!(offline.last_disconnection_at, Some(at(3)));
        assert_eq!(offline.last_boot_at, Some(at(2)));
        assert_eq!(
            offline
                .boot
                .as_ref()
                .map(|b| (b.vendor.as_str(), b.charge_point_serial_number.as_deref())),
            Some(("Alpha", Some("S-2")))
        );
        assert_eq!(offline.ocpp_version.as_deref(), Some("ocpp1.6"));

        // A later boot without a serial number clears it; the connection columns stay.
        db.write_batch(&[boot(None, 4, false)]).await.unwrap();
        let rebooted = reload().await;
        assert_eq!(
            rebooted
                .boot
                .as_ref()
                .map(|b| b.charge_point_serial_number.as_deref()),
            Some(None),
            "a boot's NULL is written, not skipped"
        );
        assert_eq!(rebooted.last_boot_at, Some(at(4)));
        assert_eq!(rebooted.connection_status, ConnectionStatus::Offline);
        assert_eq!(rebooted.last_disconnection_at, Some(at(3)));
        assert_eq!(rebooted.registration_status.as_deref(), Some("accepted"));
    }
}

#[tokio::test]
async fn batches_larger_than_one_statement_write_every_charger() {
    // More chargers than 256: registrations and the chargers' own rows (connection reports,
    // statuses) are written 256 rows a statement, so they span statements; connector statuses
    // and heartbeats go in one statement of 512 rows, 212 of them padding it skips.
    const N: usize = 300;
    for db in databases().await {
        let (team_id, _) = charger(&db).await;
        let prefix = format!("CP-many-{}-", &Uuid::new_v4().simple().to_string()[..8]);
        let registrations: Vec<BatchItem> = (0..N)
            .map(|i| {
                BatchItem::Register(NewCharger {
                    team_id,
                    site_id: None,
                    uuid: Uuid::new_v4(),
                    identity: format!("{prefix}{i}"),
                    reference: None,
                    password_hash: None,
                    pincode: "123456".into(),
                    license_smart: false,
                    license_pro: false,
                    boot_policy: None,
                })
            })
            .collect();
        db.write_batch(&registrations).await.unwrap();
        let mut ids = Vec::new();
        for i in 0..N {
            let found = db
                .find_charger_by_identity(&format!("{prefix}{i}"))
                .await
                .unwrap();
            ids.push(found.expect("every registration is written").id);
        }
        let at = datetime!(2025-04-04 10:00 UTC);
        let status = |connector_id, status: &str| StatusReport {
            connector_id,
            status: status.into(),
            error_code: "NoError".into(),
            info: None,
            vendor_id: None,
            vendor_error_code: None,
            timestamp: at,
        };
        let mut reports = Vec::new();
        for &charger_id in &ids {
            reports.push(BatchItem::Connection {
                charger_id,
                status: ConnectionStatus::Online,
                ocpp_version: Some("ocpp1.6".into()),
                at,
            });
            reports.push(BatchItem::Status {
                charger_id,
                report: status(0, "Available"),
            });
            reports.push(BatchItem::Status {
                charger_id,
                report: status(1, "Preparing"),
            });
            reports.push(BatchItem::Heartbeat { charger_id, at });
        }
        db.write_batch(&reports).await.unwrap();
        let connectors = db.list_connectors(&ids).await.unwrap();
        assert_eq!(connectors.len(), N, "one connector row per charger");
        assert!(connectors
            .iter()
            .all(|c| c.status.as_deref() == Some("Preparing")));
        for i in [0, 255, 256, N - 1] {
            let c = db
                .find_charger_by_identity(&format!("{prefix}{i}"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(c.connection_status, ConnectionStatus::Online, "charger {i}");
            assert_eq!(c.status.as_deref(), Some("Available"), "charger {i}");
            assert_eq!(c.last_heartbeat_at, Some(at), "charger {i}");
        }
    }
}
