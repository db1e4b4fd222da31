//! The REST conventions: the seeds' shapes, validation messages, pagination, filters, errors,
//! and that another team's objects are invisible.

use serde_json::{json, Value};
use voltgate_core::auth::{generate_token, hash_token};
use voltgate_core::store::AccountStore;
use voltgate_store::Db;

use crate::support::*;

/// A second user with their own team and token, made directly in the database.
async fn other_user(app: &TestApp) -> String {
    let db = Db::connect(&app.database_url).await.unwrap();
    let user = db
        .create_user(
            "Eve",
            &format!("eve-{}@example.com", uuid::Uuid::new_v4()),
            false,
        )
        .await
        .unwrap();
    db.create_team(user.id, "Eve's team", None, "Personal", true)
        .await
        .unwrap();
    let token = generate_token();
    db.create_token(user.id, "test", &hash_token(&token))
        .await
        .unwrap();
    token
}

async fn as_user(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> (u16, String) {
    let r = app
        .http
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Asserts that the raw JSON text has exactly these keys in this order at the top of `data`.
async fn assert_key_order(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
    want: &[&str],
) -> Value {
    let r = app
        .http
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(&app.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    let positions: Vec<usize> = want
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys not in the seed's order: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn seed_requests_answer_with_the_seed_shapes() {
    for app in apps().await {
        // Seed 000: PUT /api/v3/chargers/{uuid} {"reference": "b"}.
        let uuid = app
            .create_charger("c90237e9-ced5-3af6-88ea-84aeaa148878")
            .await;
        let seed0 = [
            "data",
            "uuid",
            "id",
            "identity",
            "reference",
            "connection_status",
            "status",
            "error",
            "error_info",
            "created_at",
            "updated_at",
            "licenses",
            "smart",
            "pro",
        ];
        let put = format!("/api/v3/chargers/{uuid}");
        let body = assert_key_order(
            &app,
            reqwest::Method::PUT,
            &put,
            json!({"reference": "b"}),
            &seed0,
        )
        .await;
        let d = &body["data"];
        assert_eq!(d["reference"], "b");
        assert_eq!(d["connection_status"], "never_seen");
        assert!(d["id"].is_i64());
        assert_eq!(d["licenses"], json!({"smart": true, "pro": false}));
        let ts = d["created_at"].as_str().unwrap();
        assert_eq!(ts.len(), "2025-07-04T13:42:21.000000Z".len());
        assert!(ts.ends_with('Z'));
        // PATCH works the same and only the fields sent change.
        let (status, body) = app
            .request(
                reqwest::Method::PATCH,
                &format!("/api/v3/chargers/{uuid}"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["reference"], "b");

        // Seed 001: POST /api/v2/teams/{team_id}/sites/{site_id}/chargers {"identity": "b"}.
        let (_, teams) = app.get("/api/v3/teams").await;
        let team_id = teams["data"][0]["id"].as_i64().unwrap();
        let (status, site) = app.post("/api/v3/sites", json!({"name": "Depot", "street": "Main", "house_number": 1, "postal_code": "1000AA", "city": "Amsterdam", "country": "nl"})).await;
        assert_eq!(status, 201, "{site}");
        assert_eq!(site["data"]["country"], "NL");
        let site_id = site["data"]["id"].as_i64().unwrap();
        let seed1 = [
            "data",
            "deprecation",
            "uuid",
            "id",
            "identity",
            "reference",
            "connection_status",
            "status",
            "error",
            "error_info",
            "created_at",
            "updated_at",
        ];
        let v2 = format!("/api/v2/teams/{team_id}/sites/{site_id}/chargers");
        let body = assert_key_order(
            &app,
            reqwest::Method::POST,
            &v2,
            json!({"identity": "b"}),
            &seed1,
        )
        .await;
        let fields = body["data"].as_object().unwrap().len();
        assert_eq!(
            fields,
            seed1.len() - 1,
            "v2 has exactly the seed's fields: {body}"
        );
        assert_eq!(
            body["data"]["deprecation"],
            "charger.id is deprecated. Use charger.uuid instead."
        );
        let (_, site) = app
            .get(&format!(
                "/api/v3/sites/{}",
                site["data"]["uuid"].as_str().unwrap()
            ))
            .await;
        assert_eq!(site["data"]["chargers_count"], 1);

        // A 46-character identity gets the seed's message, on v3 and v2.
        let long = "a".repeat(46);
        for path in [
            "/api/v3/chargers".to_owned(),
            format!("/api/v2/teams/{team_id}/sites/{site_id}/chargers"),
        ] {
            let (status, body) = app.post(&path, json!({"identity": long})).await;
            assert_eq!(status, 422);
            assert_eq!(
                body,
                json!({"message": "The given data was invalid.", "errors": {"identity": ["Must not be greater than 45 characters."]}})
            );
        }
        app.shutdown().await;
    }
}

#[tokio::test]
async fn validation_errors_name_every_field() {
    for app in apps().await {
        let (status, body) = app
            .post(
                "/api/v3/chargers",
                json!({"reference": 7, "uuid": "x", "connection_status": "online"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(
            body["errors"]["identity"],
            json!(["This field is required."])
        );
        assert_eq!(body["errors"]["reference"], json!(["Must be a string."]));
        assert_eq!(body["errors"]["uuid"], json!(["This field cannot be set."]));
        assert_eq!(
            body["errors"]["connection_status"],
            json!(["This field cannot be set."])
        );
        app.create_charger("CP-DUPE").await;
        let (status, body) = app
            .post("/api/v3/chargers", json!({"identity": "CP-DUPE"}))
            .await;
        assert_eq!(
            (status, body["errors"]["identity"].clone()),
            (422, json!(["Has already been taken."]))
        );
        let (status, body) = app
            .post("/api/v3/chargers", json!({"identity": "has space"}))
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = app
            .post(
                "/api/v3/sites",
                json!({"name": "x".repeat(256), "country": "Netherlands", "timezone": "Mars"}),
            )
            .await;
        assert_eq!(status, 422);
        for f in [
            "name",
            "street",
            "house_number",
            "postal_code",
            "city",
            "country",
            "timezone",
        ] {
            assert!(body["errors"][f].is_array(), "{f} in {body}");
        }
        assert_eq!(
            body["errors"]["timezone"],
            json!(["Must be a valid time zone, such as `Africa/Accra`."])
        );
        let (status, body) = app
            .post(
                "/api/v3/cards",
                json!({"uid": "x".repeat(21), "status": "maybe"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(
            body["errors"]["uid"],
            json!(["Must not be greater than 20 characters."])
        );
        assert!(body["errors"]["status"].is_array());
        // Broken JSON is a 400 with a message, not a crash.
        let r = app
            .http
            .post(format!("{}/api/v3/chargers", app.api))
            .bearer_auth(&app.token)
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        assert!(r.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"));
        app.shutdown().await;
    }
}

#[tokio::test]
async fn lists_paginate_filter_and_sort() {
    for app in apps().await {
        for i in 0..7 {
            app.post(
                "/api/v3/chargers",
                json!({"identity": format!("PAGE-{i}"), "reference": format!("ref {i}")}),
            )
            .await;
        }
        let (status, body) = app
            .get("/api/v3/chargers?per_page=3&page=2&sort=-identity")
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["meta"]["total"], 7);
        assert_eq!(body["meta"]["per_page"], 3);
        assert_eq!(body["meta"]["current_page"], 2);
        assert_eq!(body["meta"]["last_page"], 3);
        assert_eq!(body["meta"]["from"], 4);
        assert_eq!(body["meta"]["to"], 6);
        assert_eq!(body["meta"]["path"], "/api/v3/chargers");
        assert_eq!(body["data"][0]["identity"], "PAGE-3");
        assert!(body["links"]["next"].as_str().unwrap().ends_with("page=3"));
        assert!(body["links"]["prev"].as_str().unwrap().ends_with("page=1"));
        let (_, body) = app
            .get("/api/v3/chargers?filter[connection_status]=never_seen&search=ref%206")
            .await;
        assert_eq!(body["meta"]["total"], 1);
        let (status, body) = app.get("/api/v3/chargers?per_page=101").await;
        assert_eq!(status, 422, "{body}");
        let (status, _) = app.get("/api/v3/chargers?sort=password_hash").await;
        assert_eq!(status, 422);
        let (status, _) = app
            .get("/api/v3/chargers?filter[connection_status]=sleeping")
            .await;
        assert_eq!(status, 422);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn other_teams_objects_are_404_like_missing_ones() {
    for app in apps().await {
        let uuid = app.create_charger("CP-MINE").await;
        let (_, site) = app.post("/api/v3/sites", json!({"name": "Home", "street": "A", "house_number": 1, "postal_code": "1", "city": "B", "country": "BE"})).await;
        let site = site["data"]["uuid"].as_str().unwrap().to_owned();
        app.post("/api/v3/cards", json!({"uid": "MYTAG"})).await;
        let eve = other_user(&app).await;
        let missing = uuid::Uuid::new_v4();
        for (theirs, random) in [
            (
                format!("/api/v3/chargers/{uuid}"),
                format!("/api/v3/chargers/{missing}"),
            ),
            (
                format!("/api/v3/chargers/{uuid}/connectors"),
                format!("/api/v3/chargers/{missing}/connectors"),
            ),
            (
                format!("/api/v3/chargers/{uuid}/transactions"),
                format!("/api/v3/chargers/{missing}/transactions"),
            ),
            (
                format!("/api/v3/chargers/{uuid}/metervalues"),
                format!("/api/v3/chargers/{missing}/metervalues"),
            ),
            (
                format!("/api/v3/chargers/{uuid}/logs"),
                format!("/api/v3/chargers/{missing}/logs"),
            ),
            (
                format!("/api/v3/sites/{site}"),
                format!("/api/v3/sites/{missing}"),
            ),
            (
                "/api/v3/cards/MYTAG".to_owned(),
                "/api/v3/cards/NOTAG".to_owned(),
            ),
        ] {
            let a = as_user(&app, &eve, reqwest::Method::GET, &theirs).await;
            let b = as_user(&app, &eve, reqwest::Method::GET, &random).await;
            assert_eq!(a.0, 404, "{theirs}");
            assert_eq!(
                a, b,
                "{theirs}: another team's object looks exactly like a missing one"
            );
            let d = as_user(&app, &eve, reqwest::Method::DELETE, &theirs).await;
            assert!(d.0 == 404 || d.0 == 405, "{theirs}: {d:?}");
        }
        let (_, list) = as_user(&app, &eve, reqwest::Method::GET, "/api/v3/chargers").await;
        assert!(list.contains("\"total\":0"), "lists leak nothing: {list}");
        // Still there for the owner.
        assert_eq!(app.get(&format!("/api/v3/chargers/{uuid}")).await.0, 200);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn authentication_operations_endpoints_and_openapi() {
    for app in apps().await {
        let r = app
            .http
            .get(format!("{}/api/v3/user", app.api))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"message": "Unauthenticated."})
        );
        let r = app
            .http
            .get(format!("{}/api/v3/user", app.api))
            .bearer_auth("vg_wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        let (status, me) = app.get("/api/v3/user").await;
        assert_eq!(status, 200);
        assert_eq!(me["data"]["email"], "admin@voltgate.local");
        let (status, team) = app
            .post(
                "/api/v3/teams",
                json!({"name": "Installers", "type": "Installer"}),
            )
            .await;
        assert_eq!(status, 201);
        assert_eq!(team["data"]["role"], "owner");
        assert_eq!(team["data"]["type"], "Installer");

        for path in ["/healthz", "/readyz"] {
            assert_eq!(
                app.http
                    .get(format!("{}{path}", app.api))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
                200,
                "{path}"
            );
        }
        let metrics = app
            .http
            .get(format!("{}/metrics", app.api))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for name in [
            "voltgate_connected_chargers",
            "voltgate_ocpp_messages_total",
            "voltgate_api_requests_total{method=\"GET\",status=\"200\"}",
            "voltgate_database_write_seconds_bucket",
        ] {
            assert!(metrics.contains(name), "{name} in /metrics");
        }
        let doc: Value = app
            .http
            .get(format!("{}/api/v3/openapi.json", app.api))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(doc["paths"]["/api/v3/chargers/{charger}"]["put"].is_object());
        let docs = app
            .http
            .get(format!("{}/docs", app.api))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(docs.contains("/api/v3/openapi.json"));
        let (status, body) = app.get("/api/v3/nothing-here").await;
        assert_eq!((status, body), (404, json!({"message": "Not found."})));
        app.shutdown().await;
    }
}

#[tokio::test]
async fn licenses_are_read_and_set_and_products_say_what_they_enable() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url, |c| c.default_licenses = (false, true)).await;
        let uuid = app.create_charger("CP-LIC").await;
        let (_, got) = app.get(&format!("/api/v3/chargers/{uuid}/licenses")).await;
        assert_eq!(
            got["data"],
            json!({"smart": false, "pro": true}),
            "the server default applies"
        );
        let (status, got) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v3/chargers/{uuid}/licenses"),
                Some(json!({"smart": true})),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            got["data"],
            json!({"smart": true, "pro": true}),
            "only the flags sent change"
        );
        assert_eq!(
            app.charger(&uuid).await["licenses"],
            json!({"smart": true, "pro": true})
        );
        let (status, got) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v3/chargers/{uuid}/licenses"),
                Some(json!({"pro": "yes", "gold": true})),
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            got["errors"]["pro"].is_array() && got["errors"]["gold"].is_array(),
            "{got}"
        );
        let (_, products) = app.get("/api/v3/products").await;
        let ids: Vec<&str> = products["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec!["smart", "pro"]);
        let eve = other_user(&app).await;
        assert_eq!(
            as_user(
                &app,
                &eve,
                reqwest::Method::GET,
                &format!("/api/v3/chargers/{uuid}/licenses")
            )
            .await
            .0,
            404
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn requests_beyond_the_rate_limit_get_429_with_retry_after() {
    for (backend, url) in database_urls().await {
        let app = spawn_with(backend, url, |c| c.api_rate_limit = 3).await;
        for remaining in [2, 1, 0] {
            let r = app
                .http
                .get(format!("{}/api/v3/user", app.api))
                .bearer_auth(&app.token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert_eq!(r.headers()["x-ratelimit-limit"], "3");
            assert_eq!(
                r.headers()["x-ratelimit-remaining"],
                remaining.to_string().as_str()
            );
        }
        let r = app
            .http
            .get(format!("{}/api/v3/chargers", app.api))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 429);
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry));
        assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"message": "Too Many Attempts."})
        );
        // Another user has their own budget; health checks are not limited.
        let eve = other_user(&app).await;
        assert_eq!(
            as_user(&app, &eve, reqwest::Method::GET, "/api/v3/user")
                .await
                .0,
            200
        );
        assert_eq!(
            app.http
                .get(format!("{}/healthz", app.api))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            200
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn users_get_tokens_that_are_shown_once_listed_and_revoked() {
    for app in apps().await {
        // The admin creates a user; a non-admin may not.
        let (status, ada) = app
            .post(
                "/api/v3/users",
                json!({"name": "Ada", "email": "ada@example.com"}),
            )
            .await;
        assert_eq!(status, 201, "{ada}");
        assert_eq!(ada["data"]["email"], "ada@example.com");
        let (status, dup) = app
            .post(
                "/api/v3/users",
                json!({"name": "Ada", "email": "ada@example.com"}),
            )
            .await;
        assert_eq!(
            (status, dup["errors"]["email"].clone()),
            (422, json!(["Has already been taken."]))
        );
        let (status, bad) = app
            .post(
                "/api/v3/users",
                json!({"name": "X", "email": "not-an-email"}),
            )
            .await;
        assert_eq!((status, bad["errors"]["email"].is_array()), (422, true));
        let eve = other_user(&app).await;
        let r = app
            .http
            .post(format!("{}/api/v3/users", app.api))
            .bearer_auth(&eve)
            .json(&json!({"name": "M", "email": "m@example.com"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);

        // A token is shown once, listed without its secret, works, and stops working when revoked.
        let (status, created) = app
            .post("/api/v3/user/tokens", json!({"name": "home assistant"}))
            .await;
        assert_eq!(status, 201);
        let token = created["data"]["token"].as_str().unwrap().to_owned();
        let uuid = created["data"]["uuid"].as_str().unwrap().to_owned();
        let (_, list) = app.get("/api/v3/user/tokens").await;
        let listed: Vec<&Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["uuid"] == uuid.as_str())
            .collect();
        assert_eq!(listed.len(), 1);
        assert!(
            listed[0].get("token").is_none(),
            "the secret is never listed"
        );
        assert_eq!(
            as_user(&app, &token, reqwest::Method::GET, "/api/v3/user")
                .await
                .0,
            200
        );
        // Another user cannot revoke it (404, like a random id).
        assert_eq!(
            as_user(
                &app,
                &eve,
                reqwest::Method::DELETE,
                &format!("/api/v3/user/tokens/{uuid}")
            )
            .await
            .0,
            404
        );
        assert_eq!(
            as_user(
                &app,
                &token,
                reqwest::Method::DELETE,
                &format!("/api/v3/user/tokens/{uuid}")
            )
            .await
            .0,
            204
        );
        assert_eq!(
            as_user(&app, &token, reqwest::Method::GET, "/api/v3/user")
                .await
                .0,
            401
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn teams_are_managed_by_their_owners_and_keep_an_owner() {
    for app in apps().await {
        let (_, team) = app
            .post("/api/v3/teams", json!({"name": "Installers"}))
            .await;
        let team = team["data"]["uuid"].as_str().unwrap().to_owned();
        let (_, ada) = app
            .post(
                "/api/v3/users",
                json!({"name": "Ada", "email": "ada@example.com"}),
            )
            .await;
        let ada_uuid = ada["data"]["uuid"].as_str().unwrap().to_owned();
        let ada_token = {
            let db = Db::connect(&app.database_url).await.unwrap();
            let user = db
                .find_user_by_email("ada@example.com")
                .await
                .unwrap()
                .unwrap();
            let t = generate_token();
            db.create_token(user.id, "t", &hash_token(&t))
                .await
                .unwrap();
            t
        };
        // Not a member yet: the team does not exist for Ada.
        assert_eq!(
            as_user(
                &app,
                &ada_token,
                reqwest::Method::GET,
                &format!("/api/v3/teams/{team}")
            )
            .await
            .0,
            404
        );
        let (status, added) = app
            .post(
                &format!("/api/v3/teams/{team}/members"),
                json!({"email": "ada@example.com"}),
            )
            .await;
        assert_eq!(
            (status, added["data"]["role"].clone()),
            (201, json!("member"))
        );
        let (status, again) = app
            .post(
                &format!("/api/v3/teams/{team}/members"),
                json!({"email": "ada@example.com"}),
            )
            .await;
        assert_eq!((status, again["errors"]["email"].is_array()), (422, true));
        let (status, nobody) = app
            .post(
                &format!("/api/v3/teams/{team}/members"),
                json!({"email": "nobody@example.com", "role": "boss"}),
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            nobody["errors"]["email"].is_array() && nobody["errors"]["role"].is_array(),
            "{nobody}"
        );
        // A member sees the team but cannot manage it.
        assert_eq!(
            as_user(
                &app,
                &ada_token,
                reqwest::Method::GET,
                &format!("/api/v3/teams/{team}")
            )
            .await
            .0,
            200
        );
        let r = app
            .http
            .put(format!("{}/api/v3/teams/{team}", app.api))
            .bearer_auth(&ada_token)
            .json(&json!({"name": "Mine"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        // The owner renames it and promotes Ada; the last owner cannot step down or leave.
        let (status, renamed) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v3/teams/{team}"),
                Some(json!({"name": "Installers BV"})),
            )
            .await;
        assert_eq!(
            (status, renamed["data"]["name"].clone()),
            (200, json!("Installers BV"))
        );
        let (_, me) = app.get("/api/v3/user").await;
        let me = me["data"]["uuid"].as_str().unwrap().to_owned();
        let (status, demote) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v3/teams/{team}/members/{me}"),
                Some(json!({"role": "member"})),
            )
            .await;
        assert_eq!(
            (status, demote["errors"]["role"].clone()),
            (422, json!(["A team needs at least one owner."]))
        );
        let (status, _) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v3/teams/{team}/members/{ada_uuid}"),
                Some(json!({"role": "owner"})),
            )
            .await;
        assert_eq!(status, 200);
        let (_, members) = app.get(&format!("/api/v3/teams/{team}/members")).await;
        let roles: Vec<&str> = members["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, vec!["owner", "owner"]);
        // Now the admin may leave; then the team belongs to Ada, who deletes it (it owns nothing).
        assert_eq!(
            app.request(
                reqwest::Method::DELETE,
                &format!("/api/v3/teams/{team}/members/{me}"),
                None
            )
            .await
            .0,
            204
        );
        assert_eq!(app.get(&format!("/api/v3/teams/{team}")).await.0, 404);
        assert_eq!(
            as_user(
                &app,
                &ada_token,
                reqwest::Method::DELETE,
                &format!("/api/v3/teams/{team}")
            )
            .await
            .0,
            204
        );
        // A team that still owns something is not deleted; a personal team never is.
        let (_, owned) = app
            .post("/api/v3/teams", json!({"name": "Owns a card"}))
            .await;
        let owned = owned["data"]["uuid"].as_str().unwrap().to_owned();
        app.post(
            "/api/v3/cards",
            json!({"uid": "TEAMCARD", "team_uuid": owned}),
        )
        .await;
        let (status, body) = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v3/teams/{owned}"),
                None,
            )
            .await;
        assert_eq!(status, 409, "{body}");
        let (_, teams) = app.get("/api/v3/teams").await;
        let personal = teams["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["is_personal_team"] == true)
            .unwrap()["uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            app.request(
                reqwest::Method::DELETE,
                &format!("/api/v3/teams/{personal}"),
                None
            )
            .await
            .0,
            403
        );
        app.shutdown().await;
    }
}
