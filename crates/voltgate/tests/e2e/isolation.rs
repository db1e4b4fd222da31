//! The isolation matrix: every GET route of `/api/v3/openapi.json` that takes an id, walked by each
//! role of another team with the first team's ids, must answer 404 with the same body as a random
//! id; lists must not mention the first team's objects. And bodies cannot set fields they do not
//! own (mass assignment is a 422).

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};
use voltgate_core::types::TeamRole;

use crate::site_access::{call, grant_by_invite, member_of, new_charger, new_site, person};
use crate::support::*;

/// The first team's objects, by path parameter name.
struct Objects {
    params: BTreeMap<&'static str, String>,
    /// Strings that must never appear in another team's lists.
    secrets: Vec<String>,
}

async fn first_team_objects(app: &TestApp) -> Objects {
    let owner = &app.token;
    let site = new_site(app, owner, "Isolated").await;
    let s = site["uuid"].as_str().unwrap().to_owned();
    let charger = new_charger(app, owner, "ISO-1", &s).await;
    let c = charger["uuid"].as_str().unwrap().to_owned();
    let (status, _) = call(
        app,
        owner,
        Method::POST,
        "/api/v3/cards",
        Some(json!({"uid": "ISO-TAG"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, circuit) = call(
        app,
        owner,
        Method::POST,
        &format!("/api/v3/sites/{s}/circuits"),
        Some(json!({"name": "Main", "max_current": 32, "phases": 3})),
    )
    .await;
    assert_eq!(status, 201, "{circuit}");
    let mut cp = connect(app, "/ISO-1").await;
    cp.boot().await;
    cp.call(
        "StatusNotification",
        json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
    )
    .await;
    let started = cp.call("StartTransaction", json!({"connectorId": 1, "idTag": "ISO-TAG", "meterStart": 0, "timestamp": "2025-07-04T13:00:00Z"})).await;
    let tx = started["transactionId"].as_i64().unwrap().to_string();
    // A reservation straight in the database: reserving over the API needs a charger that answers.
    let db = voltgate_store::Db::connect(&app.database_url)
        .await
        .unwrap();
    let reservation = voltgate_core::store::CommandStore::create_reservation(
        &db,
        charger["id"].as_i64().unwrap(),
        1,
        "ISO-TAG",
        None,
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    )
    .await
    .unwrap();
    let (_, me) = call(app, owner, Method::GET, "/api/v3/user", None).await;
    let (_, teams) = call(app, owner, Method::GET, "/api/v3/teams", None).await;
    let mut params = BTreeMap::new();
    params.insert("site", s.clone());
    params.insert("charger", c.clone());
    params.insert("connector_id", "1".to_owned());
    params.insert("id", tx);
    params.insert("reservation", reservation.to_string());
    params.insert("uid", "ISO-TAG".to_owned());
    params.insert(
        "team",
        teams["data"][0]["uuid"].as_str().unwrap().to_owned(),
    );
    params.insert("user", me["data"]["uuid"].as_str().unwrap().to_owned());
    params.insert(
        "circuit",
        circuit["data"]["uuid"].as_str().unwrap().to_owned(),
    );
    // Keep the charger connected while the matrix runs: its status and transaction are live.
    std::mem::forget(cp);
    Objects {
        secrets: vec![
            s,
            c,
            "ISO-1".into(),
            "ISO-TAG".into(),
            charger["pincode"].as_str().unwrap().to_owned(),
        ],
        params,
    }
}

/// A value of the same shape that names nothing.
fn random_for(name: &str) -> String {
    match name {
        "connector_id" => "1".into(),
        "id" => "987654321".into(),
        "uid" => "NOBODY-TAG".into(),
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

fn fill(path: &str, values: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        out.push_str(&values(&rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn another_teams_ids_are_404_like_random_ones_on_every_get_route_for_every_role() {
    for app in apps().await {
        let objects = first_team_objects(&app).await;
        let other = person(&app, "mallory").await;
        let mut tokens = vec![("owner", other.token.clone())];
        for role in [TeamRole::Admin, TeamRole::Member] {
            tokens.push((role.as_str(), member_of(&app, other.team_id, role).await));
        }
        let (status, doc) = call(&app, &app.token, Method::GET, "/api/v3/openapi.json", None).await;
        assert_eq!(status, 200);
        let routes: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(p, ops)| {
                p.starts_with("/api/v3/") && p.contains('{') && ops.get("get").is_some()
            })
            .map(|(p, _)| p.clone())
            .collect();
        assert!(
            routes.len() >= 25,
            "the matrix walks every id route: {routes:?}"
        );
        let mut walked = 0;
        for route in &routes {
            let mine = fill(route, &|name| {
                // `{id}` names a transaction, except under /reservations.
                let name = if route.starts_with("/api/v3/reservations/") {
                    "reservation"
                } else {
                    name
                };
                objects
                    .params
                    .get(name)
                    .unwrap_or_else(|| panic!("{route}: add `{name}` to the isolation matrix"))
                    .clone()
            });
            // The owner really has the object: the 404 below is isolation, not a bad id.
            let (status, _) = call(&app, &app.token, Method::GET, &mine, None).await;
            assert!(
                status < 400 || status == 403,
                "{route}: the owner gets {status}"
            );
            let random = fill(route, &random_for);
            for (role, token) in &tokens {
                let (rs, rb) = call(&app, token, Method::GET, &random, None).await;
                let (s, b) = call(&app, token, Method::GET, &mine, None).await;
                assert_eq!(s, 404, "{role} {mine}: {b}");
                assert_eq!(rs, 404, "{role} {random}: {rb}");
                assert_eq!(
                    b, rb,
                    "{role} {route}: another team's id answers like a random one"
                );
                walked += 1;
            }
        }
        assert_eq!(walked, routes.len() * 3);

        // Lists never mention the first team's objects.
        let lists = [
            "/api/v3/sites",
            "/api/v3/chargers",
            "/api/v3/transactions",
            "/api/v3/cards",
            "/api/v3/reservations",
            "/api/v3/teams",
        ];
        for (role, token) in &tokens {
            for list in lists {
                let (status, body) = call(&app, token, Method::GET, list, None).await;
                assert_eq!(status, 200, "{role} {list}: {body}");
                let text = body.to_string();
                for secret in &objects.secrets {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{role} {list} leaks {secret}: {text}"
                    );
                }
            }
            let (_, teams) = call(&app, token, Method::GET, "/api/v3/teams", None).await;
            assert!(!teams.to_string().contains(&objects.params["team"]));
        }
        app.shutdown().await;
    }
}

#[tokio::test]
async fn bodies_cannot_set_owner_team_ids_or_readings() {
    for app in apps().await {
        let owner = app.token.clone();
        let other = person(&app, "mallory").await;
        let site = new_site(&app, &owner, "Mass").await;
        let s = site["uuid"].as_str().unwrap().to_owned();
        let c = new_charger(&app, &owner, "MASS-1", &s).await;
        let c = c["uuid"].as_str().unwrap().to_owned();
        let team = site["team_uuid"].as_str().unwrap().to_owned();
        grant_by_invite(
            &app,
            &owner,
            &s,
            json!({"email": other.email}),
            &other.token,
            &other.team,
        )
        .await;
        let mut cp = connect(&app, "/MASS-1").await;
        cp.boot().await;
        cp.call(
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
        )
        .await;
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (
                Method::POST,
                "/api/v3/chargers".into(),
                json!({"identity": "MASS-2", "team_id": 1}),
                "team_id",
            ),
            (
                Method::POST,
                "/api/v3/chargers".into(),
                json!({"identity": "MASS-3", "id": 9}),
                "id",
            ),
            (
                Method::PUT,
                format!("/api/v3/chargers/{c}"),
                json!({"team_uuid": other.team}),
                "team_uuid",
            ),
            (
                Method::PUT,
                format!("/api/v3/chargers/{c}"),
                json!({"pincode": "123456"}),
                "pincode",
            ),
            (
                Method::PUT,
                format!("/api/v3/chargers/{c}"),
                json!({"uuid": uuid::Uuid::new_v4()}),
                "uuid",
            ),
            (
                Method::PUT,
                format!("/api/v3/sites/{s}"),
                json!({"team_uuid": other.team}),
                "team_uuid",
            ),
            (
                Method::PATCH,
                format!("/api/v3/sites/{s}"),
                json!({"id": 1}),
                "id",
            ),
            (
                Method::PUT,
                format!("/api/v3/chargers/{c}/connectors/1"),
                json!({"meter_value": 1000}),
                "meter_value",
            ),
            (
                Method::PUT,
                format!("/api/v3/chargers/{c}/connectors/1"),
                json!({"status": "Charging"}),
                "status",
            ),
            (
                Method::POST,
                "/api/v3/cards".into(),
                json!({"uid": "MASS-TAG", "team_id": 1}),
                "team_id",
            ),
            (
                Method::PUT,
                format!("/api/v3/teams/{team}"),
                json!({"is_personal_team": false}),
                "is_personal_team",
            ),
            (
                Method::POST,
                format!("/api/v3/sites/{s}/chargers"),
                json!({"identity": "MASS-1", "pincode": "1", "team_uuid": other.team}),
                "team_uuid",
            ),
            (
                Method::POST,
                format!(
                    "/api/v3/sites/{s}/teams/{}/grant-sensitive-data",
                    other.team
                ),
                json!({"expires_never": true, "is_owner": true}),
                "is_owner",
            ),
            (
                Method::PUT,
                format!("/api/v3/sites/{s}/teams/{}/asset-access", other.team),
                json!({"access_of_assets": "full_access", "team_id": 1}),
                "team_id",
            ),
            (
                Method::POST,
                format!("/api/v3/sites/{s}/teams/invite"),
                json!({"email": "x@example.com", "invited_by": 1}),
                "invited_by",
            ),
            (
                Method::POST,
                "/api/v3/sites/invite/accept".into(),
                json!({"token": "f".repeat(64), "is_owner": true}),
                "is_owner",
            ),
            (
                Method::POST,
                format!("/api/v3/sites/{s}/teams/{team}/transfer-ownership"),
                json!({"team_uuid": other.team}),
                "team_uuid",
            ),
        ];
        for (method, path, body, field) in cases {
            let (status, got) = call(&app, &owner, method.clone(), &path, Some(body)).await;
            assert_eq!(status, 422, "{method} {path}: {got}");
            assert_eq!(
                got["errors"][field],
                json!(["This field cannot be set."]),
                "{method} {path}: {got}"
            );
        }
        // The charger and the site still belong to the owner.
        let (_, ch) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/chargers/{c}"),
            None,
        )
        .await;
        assert_eq!(ch["data"]["team_uuid"], team);
        drop(cp);
        app.shutdown().await;
    }
}
