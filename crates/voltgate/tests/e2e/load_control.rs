//! The load controller end to end: simulated chargers (the `voltgate-sim` crate, over real
//! sockets) on a site with a fuse; their meters, read while every charger's state is locked at
//! once, are the measurement.

use std::time::Duration;

use serde_json::{json, Value};
use voltgate_sim::{ChargerConfig, Ev, SimCharger, StopReason};

use crate::support::*;

const FUSE: f64 = 32.0;
const TAG: &str = "LC-TAG";
/// The load controller's profile id (`voltgate_core::settings::DYNAMIC_PROFILE_ID`).
const DYNAMIC_PROFILE_ID: i32 = 9_902;

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.request(reqwest::Method::PUT, path, Some(body)).await
}

/// One simulated charger on the site: its site phases (L1..L3 as 0..2) and its EV.
struct Station {
    sim: SimCharger,
    uuid: String,
    phases: Vec<usize>,
    ev: Ev,
}

/// A site with `max_current` and one simulated charger per rotation (`None`: three phases RST).
async fn site_with(
    app: &TestApp,
    max_current: f64,
    chargers: &[(Option<&str>, Ev)],
) -> (String, Vec<Station>) {
    let (status, site) = app
        .post(
            "/api/v3/sites",
            json!({"name": "Depot", "street": "Main", "house_number": 1, "postal_code": "1000",
                   "city": "Brussels", "country": "BE", "timezone": "UTC"}),
        )
        .await;
    assert_eq!(status, 201, "{site}");
    let site = site["data"]["uuid"].as_str().unwrap().to_owned();
    let (status, got) = put(
        app,
        &format!("/api/v3/sites/{site}/load-management"),
        json!({"max_current": max_current}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    app.post("/api/v3/cards", json!({"uid": TAG})).await;
    let mut stations = Vec::new();
    for (i, (rotation, ev)) in chargers.iter().enumerate() {
        let identity = format!("LC-{}-{i}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
        let (status, body) = app
            .post(
                "/api/v3/chargers",
                json!({"identity": identity, "site_uuid": site}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
        let mut config = ChargerConfig::new(format!("{}/ocpp", app.ocpp), identity);
        config.configuration = vec![
            ("MeterValueSampleInterval".into(), "1".into()),
            (
                "MeterValuesSampledData".into(),
                "Current.Import,Energy.Active.Import.Register".into(),
            ),
        ];
        let sim = SimCharger::connect(config)
            .await
            .expect("the simulator connects");
        if let Some(r) = rotation {
            // The connector exists once its StatusNotification is stored.
            let mut done = false;
            for _ in 0..50 {
                let (status, _) = put(
                    app,
                    &format!("/api/v3/chargers/{uuid}/connectors/1"),
                    json!({"phase_rotation": r}),
                )
                .await;
                if status == 200 {
                    done = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(done, "connector 1 of {uuid} never appeared");
        }
        let phases = match *rotation {
            Some("L1") => vec![0],
            Some("L2") => vec![1],
            Some("L3") => vec![2],
            _ => vec![0, 1, 2],
        };
        stations.push(Station {
            sim,
            uuid,
            phases,
            ev: ev.clone(),
        });
    }
    // Every charger holds its (0 A, idle) dynamic limit before anything starts.
    wait_for("every charger to hold a dynamic limit", 10, || {
        stations.iter().all(|s| {
            s.sim
                .lock_station()
                .profiles
                .iter()
                .any(|p| p.id == DYNAMIC_PROFILE_ID)
        })
    })
    .await;
    (site, stations)
}

async fn wait_for(what: &str, secs: u64, mut ok: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What each charger draws now per phase, read with every charger locked at once.
fn draws(stations: &[Station]) -> Vec<f64> {
    let guards: Vec<_> = stations.iter().map(|s| s.sim.lock_station()).collect();
    guards
        .iter()
        .map(|g| g.connectors[1].meter.current_a())
        .collect()
}

/// The site's load per phase from one consistent reading of every meter. An EV on fewer
/// phases than its charger loads the first of them.
fn site_load(stations: &[Station]) -> [f64; 3] {
    let guards: Vec<_> = stations.iter().map(|s| s.sim.lock_station()).collect();
    let mut load = [0.0; 3];
    for (s, g) in stations.iter().zip(&guards) {
        let meter = &g.connectors[1].meter;
        for p in s.phases.iter().take(usize::from(meter.phases())) {
            load[*p] += meter.current_a();
        }
    }
    load
}

/// Tiny deterministic generator (xorshift) so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Max-min fairness at a settled moment: every session that is neither paused nor held back by
/// its EV draws, on at least one of its phases, as much as anyone else on that phase (1 A).
fn assert_fair(stations: &[Station], draws: &[f64], allocation: &Value, t: f64) {
    let reason = |uuid: &str| -> String {
        allocation
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["uuid"] == uuid)
            .map(|x| x["reason"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    for (i, s) in stations.iter().enumerate() {
        let r = reason(&s.uuid);
        if r != "circuit_limit" || draws[i] + 0.5 >= s.ev.max_current_a {
            continue;
        }
        let fair_somewhere = s.phases.iter().any(|p| {
            let top = stations
                .iter()
                .zip(draws)
                .filter(|(o, _)| o.phases.contains(p))
                .map(|(_, d)| *d)
                .fold(0.0, f64::max);
            draws[i] + 1.0 >= top
        });
        assert!(
            fair_somewhere,
            "t={t:.1}s: charger {i} draws {:.1} A, below others on each of its phases: {draws:?} {allocation}",
            draws[i]
        );
    }
}

#[tokio::test]
async fn ten_chargers_share_a_32_a_fuse_under_random_sessions() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url, |_| {}).await;
        // Six three-phase chargers (rotations vary) and four single-phase ones on L1, L2, L3, L2;
        // EVs from 8 A to 32 A, one of them single-phase on a three-phase charger.
        let ev = |a: f64, phases: u8| Ev {
            max_current_a: a,
            phases,
        };
        let specs = [
            (None, ev(16.0, 3)),
            (Some("STR"), ev(32.0, 3)),
            (Some("TRS"), ev(10.0, 3)),
            (None, ev(24.0, 1)),
            (Some("RTS"), ev(8.0, 3)),
            (None, ev(32.0, 3)),
            (Some("L1"), ev(32.0, 1)),
            (Some("L2"), ev(16.0, 1)),
            (Some("L3"), ev(20.0, 1)),
            (Some("L2"), ev(13.0, 1)),
        ];
        let (site, stations) = site_with(&app, FUSE, &specs).await;
        let lm = format!("/api/v3/sites/{site}/load-management");
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let started = tokio::time::Instant::now();
        let mut samples = 0u64;
        let mut peak = [0.0f64; 3];
        let mut sessions_started = 0;
        let mut settled_checks = 0;
        // Four rounds: 4 s of random plug-ins and stops, then 3 s without events to settle.
        for round in 0..4 {
            let busy_until = tokio::time::Instant::now() + Duration::from_secs(4);
            let mut next_event = tokio::time::Instant::now();
            let mut tasks = Vec::new();
            while tokio::time::Instant::now() < busy_until {
                if tokio::time::Instant::now() >= next_event {
                    let i = (rng.next() % stations.len() as u64) as usize;
                    let sim = stations[i].sim.clone();
                    let ev = stations[i].ev.clone();
                    let charging = sim.lock_station().connectors[1].transaction_id.is_some();
                    if !charging {
                        sessions_started += 1;
                    }
                    tasks.push(tokio::spawn(async move {
                        if charging {
                            sim.stop_session(1, StopReason::Local).await.unwrap();
                            sim.unplug(1).await.unwrap();
                        } else {
                            sim.plug(1, ev).await.unwrap();
                            sim.start_session(1, TAG).await.unwrap();
                        }
                    }));
                    next_event += Duration::from_millis(150 + rng.next() % 300);
                }
                let load = site_load(&stations);
                samples += 1;
                for p in 0..3 {
                    peak[p] = peak[p].max(load[p]);
                    assert!(
                        load[p] <= FUSE + 0.01,
                        "round {round}: L{} carries {:.2} A, above the {FUSE} A fuse: {load:?} draws {:?}",
                        p + 1,
                        load[p],
                        draws(&stations)
                    );
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            for t in tasks {
                t.await.unwrap();
            }
            // Settle: meter values flow (1 s), the allocation converges; keep checking the fuse.
            let settle_until = tokio::time::Instant::now() + Duration::from_secs(3);
            while tokio::time::Instant::now() < settle_until {
                let load = site_load(&stations);
                samples += 1;
                assert!(load.iter().all(|l| *l <= FUSE + 0.01), "{load:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let (_, got) = app.get(&lm).await;
            let d = draws(&stations);
            assert_fair(
                &stations,
                &d,
                &got["data"]["allocation"],
                started.elapsed().as_secs_f64(),
            );
            settled_checks += 1;
        }
        assert!(
            sessions_started >= 10,
            "only {sessions_started} sessions started"
        );
        assert!(samples > 500, "only {samples} samples");
        // The fuse was actually used, not just respected by starving everyone.
        assert!(
            peak.iter().any(|p| *p >= FUSE - 4.0),
            "the site never came near its fuse: {peak:?}"
        );
        eprintln!(
            "{backend}: {samples} samples, {sessions_started} sessions, {settled_checks} fairness checks, peak per phase {peak:?}"
        );
        for s in &stations {
            s.sim.close().await;
        }
        app.shutdown().await;
    }
}

#[tokio::test]
async fn current_an_ev_does_not_draw_goes_to_the_others() {
    for app in apps().await {
        let specs = [
            (
                None,
                Ev {
                    max_current_a: 6.0,
                    phases: 3,
                },
            ),
            (
                None,
                Ev {
                    max_current_a: 32.0,
                    phases: 3,
                },
            ),
        ];
        let (_, stations) = site_with(&app, FUSE, &specs).await;
        for s in &stations {
            s.sim.plug(1, s.ev.clone()).await.unwrap();
            s.sim.start_session(1, TAG).await.unwrap();
        }
        // Equal shares first (16 A each); once meter values show the first EV takes 6 A, the
        // second gets what it leaves: 32 - (6 + 2 A margin) = 24 A.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let load = site_load(&stations);
            assert!(load.iter().all(|l| *l <= FUSE + 0.01), "{load:?}");
            let d = draws(&stations);
            if d[1] >= 23.9 {
                assert!((d[0] - 6.0).abs() < 0.01, "{d:?}");
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the unused current never reached the second charger: {d:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for s in &stations {
            s.sim.close().await;
        }
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_charger_cut_off_falls_back_to_its_offline_current() {
    for (backend, url) in database_urls().await {
        let ttl = Duration::from_secs(3);
        let app = spawn_with(backend, url, |c| c.load_control.profile_ttl = ttl).await;
        let specs = [(
            None,
            Ev {
                max_current_a: 32.0,
                phases: 3,
            },
        )];
        let (_, stations) = site_with(&app, 16.0, &specs).await;
        let s = &stations[0];
        let (status, got) = put(
            &app,
            &format!("/api/v3/chargers/{}/settings", s.uuid),
            json!({"offline_charge_current": 10, "offline_charge_phase": 7}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        s.sim.plug(1, s.ev.clone()).await.unwrap();
        s.sim.start_session(1, TAG).await.unwrap();
        wait_for("the session to get the site's 16 A", 10, || {
            (draws(&stations)[0] - 16.0).abs() < 0.01
        })
        .await;
        // Refreshed before it ends: still 16 A after two TTLs.
        tokio::time::sleep(ttl * 2).await;
        assert!(
            (draws(&stations)[0] - 16.0).abs() < 0.01,
            "{:?}",
            draws(&stations)
        );

        let identity = s.sim.identity().to_owned();
        assert!(app.registry.as_ref().unwrap().disconnect(&identity));
        let cut = tokio::time::Instant::now();
        wait_for("the charger to fall back to its offline 10 A", 10, || {
            (draws(&stations)[0] - 10.0).abs() < 0.01
        })
        .await;
        let took = cut.elapsed();
        assert!(
            took <= ttl + Duration::from_secs(2),
            "fell back after {took:?}, the dynamic limit lasts {ttl:?}"
        );
        s.sim.close().await;
        app.shutdown().await;
    }
}

#[tokio::test]
async fn off_peak_holds_sessions_until_the_window_opens() {
    for app in apps().await {
        let specs = [(
            None,
            Ev {
                max_current_a: 32.0,
                phases: 3,
            },
        )];
        let (site, stations) = site_with(&app, FUSE, &specs).await;
        let s = &stations[0];
        let now = time::OffsetDateTime::now_utc();
        let open = (now + time::Duration::minutes(2))
            .replace_second(0)
            .unwrap()
            .replace_nanosecond(0)
            .unwrap();
        let close = open + time::Duration::hours(3);
        let hm = |t: time::OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
        let path = format!("/api/v3/sites/{site}/smart-charging");
        let (status, got) = put(
            &app,
            &path,
            json!({"timezone": "UTC", "smart_charging": "off_peak",
                   "off_peak_start": hm(open), "off_peak_end": hm(close)}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["charging_allowed_now"], false, "{got}");
        let open_rfc = open
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        assert_eq!(
            got["data"]["next_change_at"]
                .as_str()
                .map(|t| t.replace(".000000", "")),
            Some(open_rfc.clone()),
            "{got}"
        );
        s.sim.plug(1, s.ev.clone()).await.unwrap();
        s.sim.start_session(1, TAG).await.unwrap();
        // The profile the charger holds: 0 A now, its share from the moment the window opens.
        wait_for("the session's profile to carry the window", 10, || {
            let st = s.sim.lock_station();
            st.limit_a(1, open + time::Duration::seconds(5)) == Some(FUSE)
        })
        .await;
        {
            let st = s.sim.lock_station();
            assert_eq!(st.limit_a(1, time::OffsetDateTime::now_utc()), Some(0.0));
            assert_eq!(st.limit_a(1, open - time::Duration::seconds(2)), Some(0.0));
            assert_eq!(st.connectors[1].meter.current_a(), 0.0);
        }
        // Disabled: it charges at once.
        let (status, got) = put(
            &app,
            &path,
            json!({"timezone": "UTC", "smart_charging": "disabled"}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["charging_allowed_now"], true);
        wait_for(
            "the session to charge once smart charging is off",
            10,
            || (draws(&stations)[0] - 32.0).abs() < 0.01,
        )
        .await;
        s.sim.close().await;
        app.shutdown().await;
    }
}

#[tokio::test]
async fn smart_charging_and_prices_validate_like_the_reference() {
    for app in apps().await {
        let (status, site) = app
            .post(
                "/api/v3/sites",
                json!({"name": "S", "street": "Main", "house_number": 1, "postal_code": "1000",
                       "city": "Brussels", "country": "BE", "timezone": "UTC"}),
            )
            .await;
        assert_eq!(status, 201);
        let site = site["data"]["uuid"].as_str().unwrap().to_owned();
        let path = format!("/api/v3/sites/{site}/smart-charging");
        let (status, got) = app.get(&path).await;
        assert_eq!(status, 200);
        assert_eq!(got["data"]["smart_charging"], "disabled", "{got}");
        assert_eq!(got["data"]["off_peak_start"], "23:00");
        assert_eq!(got["data"]["off_peak_end"], "07:00");

        let cases = [
            (json!({}), "timezone", "This field is required."),
            (
                json!({"timezone": "UTC"}),
                "smart_charging",
                "This field is required.",
            ),
            (
                json!({"timezone": "Mars/Base", "smart_charging": "disabled"}),
                "timezone",
                "Must be a valid time zone, such as `Africa/Accra`.",
            ),
            (
                json!({"timezone": "UTC", "smart_charging": "off_peak"}),
                "off_peak_start",
                "This field is required when `smart_charging` is `off_peak`.",
            ),
            (
                json!({"timezone": "UTC", "smart_charging": "off_peak", "off_peak_start": "7pm", "off_peak_end": "07:00"}),
                "off_peak_start",
                "Must be a valid date in the format `H:i`.",
            ),
            (
                json!({"timezone": "UTC", "smart_charging": "day_ahead_pricing", "day_ahead_pricing_strategy": "manual", "tariff_zone": "BE"}),
                "day_ahead_pricing_threshold",
                "This field is required when `day_ahead_pricing_strategy` is `manual`.",
            ),
            (
                json!({"timezone": "UTC", "smart_charging": "day_ahead_pricing"}),
                "tariff_zone",
                "This field is required when `smart_charging` is `day_ahead_pricing`.",
            ),
            (
                json!({"timezone": "UTC", "smart_charging": "sometimes"}),
                "smart_charging",
                "Must be one of: disabled, off_peak, day_ahead_pricing.",
            ),
        ];
        for (body, field, message) in cases {
            let (status, got) = put(&app, &path, body.clone()).await;
            assert_eq!(status, 422, "{body} -> {got}");
            assert_eq!(got["message"], "The given data was invalid.");
            assert!(
                got["errors"][field]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|m| m == message)),
                "{body} -> {got}"
            );
        }

        // Prices: JSON and CSV, then a manual threshold that the second hour is below.
        let start = time::OffsetDateTime::now_utc()
            .replace_minute(0)
            .unwrap()
            .replace_second(0)
            .unwrap()
            .replace_nanosecond(0)
            .unwrap();
        let rfc = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let (status, got) = put(
            &app,
            "/api/v3/tariffs",
            json!({"location": "BE", "prices": [
                {"timestamp": rfc(start), "price": 120.5},
                {"timestamp": rfc(start + time::Duration::HOUR), "price": 40}]}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["imported"], 2);
        let csv = format!(
            "location,timestamp,price\nBE,{},35\nBE,{},150\n",
            rfc(start + time::Duration::hours(2)),
            rfc(start + time::Duration::hours(3))
        );
        let resp = app
            .http
            .put(format!("{}/api/v3/tariffs", app.api))
            .bearer_auth(&app.token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let bad = app
            .http
            .put(format!("{}/api/v3/tariffs", app.api))
            .bearer_auth(&app.token)
            .header("content-type", "text/csv")
            .body("location,timestamp,price\nBE,yesterday,12\n")
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        let (status, got) = app
            .get(&format!(
                "/api/v3/tariffs?location=BE&from={}",
                rfc(start).replace('+', "%2B")
            ))
            .await;
        assert_eq!(status, 200, "{got}");
        let list = got["data"].as_array().unwrap();
        assert_eq!(list.len(), 4, "{got}");
        assert_eq!(list[0]["type"], "day_ahead");
        assert_eq!(list[0]["price"], 120.5);
        assert_eq!(list[2]["price"], 35.0);
        let (status, got) = app.get("/api/v3/tariffs").await;
        assert_eq!(status, 422, "{got}");

        let (status, got) = put(
            &app,
            &path,
            json!({"timezone": "UTC", "smart_charging": "day_ahead_pricing",
                   "day_ahead_pricing_strategy": "manual", "day_ahead_pricing_threshold": 50,
                   "tariff_zone": "BE"}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["day_ahead_pricing_smart_mode_price"], 50.0);
        assert_eq!(got["data"]["charging_allowed_now"], false, "{got}");
        // Cheap from the second hour (40, then 35), dear again at the fourth (150).
        assert_eq!(
            got["data"]["next_change_at"]
                .as_str()
                .map(|t| t.replace(".000000", "")),
            Some(rfc(start + time::Duration::HOUR)),
            "{got}"
        );
    }
}

#[tokio::test]
async fn offline_currents_must_fit_the_site_fuse() {
    for app in apps().await {
        let (site, _) = site_with(&app, 16.0, &[]).await;
        let mut chargers = Vec::new();
        for name in ["OFF-A", "OFF-B"] {
            let (status, body) = app
                .post(
                    "/api/v3/chargers",
                    json!({"identity": name, "site_uuid": site}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            chargers.push(body["data"]["uuid"].as_str().unwrap().to_owned());
        }
        let settings = |i: usize| format!("/api/v3/chargers/{}/settings", chargers[i]);
        // A: 10 A on L1 only; B: 10 A on L2 only fits; B on all three phases does not (L1 = 20 A).
        let (status, got) = put(
            &app,
            &settings(0),
            json!({"offline_charge_current": 10, "offline_charge_phase": 1}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        let (status, got) = put(
            &app,
            &settings(1),
            json!({"offline_charge_current": 10, "offline_charge_phase": 7}),
        )
        .await;
        assert_eq!(status, 422, "{got}");
        assert_eq!(
            got["errors"]["offline_charge_current"][0],
            "The offline currents of this site's chargers would add up to 20 A on L1, above the site's fuse of 16 A."
        );
        let (status, got) = put(
            &app,
            &settings(1),
            json!({"offline_charge_current": 10, "offline_charge_phase": 2}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        // Automatic (-1) clears an override and always fits.
        let (status, got) = put(&app, &settings(0), json!({"offline_charge_current": -1})).await;
        assert_eq!(status, 200, "{got}");
    }
}
