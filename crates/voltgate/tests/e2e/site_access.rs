//! Sites > Teams: access of other teams to a site (basic, sensitive data with expiry, full or
//! limited assets), ownership transfer, data-access requests, invitations, site chargers, and
//! the audit log. Messages are the Volttime reference's.

use reqwest::Method;
use serde_json::{json, Value};
use time::OffsetDateTime;
use voltgate_core::access::AccessStore;
use voltgate_core::auth::{generate_token, hash_token};
use voltgate_core::store::AccountStore;
use voltgate_core::types::TeamRole;
use voltgate_store::Db;

use crate::support::*;

/// A user made directly in the database: their token and personal team.
pub struct Person {
    pub token: String,
    pub team: String,
    pub team_id: i64,
    pub email: String,
}

pub async fn person(app: &TestApp, name: &str) -> Person {
    let db = Db::connect(&app.database_url).await.unwrap();
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    let user = db.create_user(name, &email, false).await.unwrap();
    let team = db
        .create_team(user.id, &format!("{name}'s team"), None, "Personal", true)
        .await
        .unwrap();
    let token = generate_token();
    db.create_token(user.id, "test", &hash_token(&token))
        .await
        .unwrap();
    Person {
        token,
        team: team.uuid.to_string(),
        team_id: team.id,
        email,
    }
}

/// A user added to an existing team with `role`.
pub async fn member_of(app: &TestApp, team_id: i64, role: TeamRole) -> String {
    let p = person(app, role.as_str()).await;
    let db = Db::connect(&app.database_url).await.unwrap();
    db.add_member(team_id, user_id(&db, &p.email).await, role)
        .await
        .unwrap();
    p.token
}

async fn user_id(db: &Db, email: &str) -> i64 {
    db.find_user_by_email(email).await.unwrap().unwrap().id
}

pub async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn new_site(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, site) = call(app, token, Method::POST, "/api/v3/sites", Some(json!({"name": name, "street": "Main", "house_number": 1, "postal_code": "1000AA", "city": "Amsterdam", "country": "NL"}))).await;
    assert_eq!(status, 201, "{site}");
    site["data"].clone()
}

pub async fn new_charger(app: &TestApp, token: &str, identity: &str, site: &str) -> Value {
    let (status, c) = call(
        app,
        token,
        Method::POST,
        "/api/v3/chargers",
        Some(json!({"identity": identity, "site_uuid": site})),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    c["data"].clone()
}

/// Invites `email` to the site as the owner (`token`) and accepts as `invitee` for `team`.
pub async fn grant_by_invite(
    app: &TestApp,
    token: &str,
    site: &str,
    invite: Value,
    invitee: &str,
    team: &str,
) -> Value {
    let (status, body) = call(
        app,
        token,
        Method::POST,
        &format!("/api/v3/sites/{site}/teams/invite"),
        Some(invite),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let token64 = body["invite_token"].as_str().unwrap().to_owned();
    assert_eq!(token64.len(), 64);
    let (status, accepted) = call(
        app,
        invitee,
        Method::POST,
        "/api/v3/sites/invite/accept",
        Some(json!({"token": token64, "team_uuid": team})),
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    accepted
}

fn errors(body: &Value, field: &str) -> Vec<String> {
    body["errors"][field]
        .as_array()
        .unwrap_or_else(|| panic!("no errors on {field}: {body}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn today() -> String {
    let d = OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

fn next_year() -> String {
    let d = OffsetDateTime::now_utc().date();
    format!("{:04}-01-01", d.year() + 1)
}

#[tokio::test]
async fn sensitive_and_asset_access_are_granted_validated_and_expire() {
    for app in apps().await {
        let owner = app.token.clone();
        let b = person(&app, "bob").await;
        let site = new_site(&app, &owner, "Depot").await;
        let s = site["uuid"].as_str().unwrap().to_owned();
        let c1 = new_charger(&app, &owner, "ACC-1", &s).await;
        let c2 = new_charger(&app, &owner, "ACC-2", &s).await;
        let (c1u, c2u) = (c1["uuid"].as_str().unwrap(), c2["uuid"].as_str().unwrap());
        assert!(c1["pincode"].is_string(), "the owner sees the pincode");

        // Before any grant Bob sees nothing.
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}"),
            None,
        )
        .await;
        assert_eq!(status, 404);

        let accepted = grant_by_invite(
            &app,
            &owner,
            &s,
            json!({"email": b.email}),
            &b.token,
            &b.team,
        )
        .await;
        assert_eq!(accepted["is_owner"], false);
        assert_eq!(accepted["data_access"], false);
        assert_eq!(accepted["site_id"], s);

        // Basic access: the site and its chargers, without pincode or history.
        let (status, c) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c1u}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{c}");
        assert!(c["data"].get("pincode").is_none(), "{c}");
        assert_eq!(
            c["data"]["permissions"],
            json!({"basic": true, "sensitive": false, "full": false})
        );
        for sub in ["transactions", "metervalues", "logs"] {
            let (status, _) = call(
                &app,
                &b.token,
                Method::GET,
                &format!("/api/v3/chargers/{c1u}/{sub}"),
                None,
            )
            .await;
            assert_eq!(status, 403, "{sub} is sensitive");
        }
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}/transactions"),
            None,
        )
        .await;
        assert_eq!(status, 403);

        let (status, teams) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/sites/{s}/teams"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{teams}");
        let list = teams["data"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["access"]["is_owner"], true);
        assert_eq!(list[1]["uuid"], b.team);
        assert_eq!(list[1]["access"]["data_access"], false);
        let (status, one) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}/teams/{}", b.team),
            None,
        )
        .await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(one["data"]["access"]["can_access_all_assets"], true);
        let stranger = uuid::Uuid::new_v4();
        let (status, _) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/sites/{s}/teams/{stranger}"),
            None,
        )
        .await;
        assert_eq!(status, 404, "a team without access is 404");

        // grant-sensitive-data: the reference's validation.
        let grant = format!("/api/v3/sites/{s}/teams/{}/grant-sensitive-data", b.team);
        let (status, body) = call(&app, &owner, Method::POST, &grant, Some(json!({}))).await;
        assert_eq!(status, 422);
        assert_eq!(body["message"], "The given data was invalid.");
        assert_eq!(errors(&body, "expires_never"), ["This field is required."]);
        let (_, body) = call(
            &app,
            &owner,
            Method::POST,
            &grant,
            Some(json!({"expires_never": false})),
        )
        .await;
        assert_eq!(
            errors(&body, "data_access_expires_at"),
            ["This field is required when `expires_never` is `false`."]
        );
        let (_, body) = call(
            &app,
            &owner,
            Method::POST,
            &grant,
            Some(json!({"expires_never": false, "data_access_expires_at": today()})),
        )
        .await;
        assert_eq!(
            errors(&body, "data_access_expires_at"),
            ["Must be a date after `today`."]
        );
        let (status, _) = call(
            &app,
            &b.token,
            Method::POST,
            &grant,
            Some(json!({"expires_never": true})),
        )
        .await;
        assert_eq!(status, 403, "only the owner team grants");
        let (status, body) = call(
            &app,
            &owner,
            Method::POST,
            &grant,
            Some(json!({"expires_never": false, "data_access_expires_at": next_year()})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["access"]["data_access"], true);
        assert!(body["data"]["access"]["data_access_expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&next_year()));

        let (_, c) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c1u}"),
            None,
        )
        .await;
        assert_eq!(
            c["data"]["pincode"], c1["pincode"],
            "sensitive access shows the pincode"
        );
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c1u}/logs"),
            None,
        )
        .await;
        assert_eq!(status, 200);

        // Once the access expires, the sensitive fields disappear again.
        let db = Db::connect(&app.database_url).await.unwrap();
        let past = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        assert!(db
            .set_data_access(site["id"].as_i64().unwrap(), b.team_id, true, Some(past))
            .await
            .unwrap());
        let (_, c) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c1u}"),
            None,
        )
        .await;
        assert!(c["data"].get("pincode").is_none(), "expired: {c}");
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c1u}/metervalues"),
            None,
        )
        .await;
        assert_eq!(status, 403);

        // Revoke after a fresh grant.
        call(
            &app,
            &owner,
            Method::POST,
            &grant,
            Some(json!({"expires_never": true})),
        )
        .await;
        let (_, c) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c1u}"),
            None,
        )
        .await;
        assert!(c["data"]["pincode"].is_string());
        let (status, body) = call(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v3/sites/{s}/teams/{}/revoke-sensitive-data", b.team),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["access"]["data_access"], false);
        let (_, c) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c1u}"),
            None,
        )
        .await;
        assert!(c["data"].get("pincode").is_none());

        // Asset access: validation, then limited to the first charger.
        let assets = format!("/api/v3/sites/{s}/teams/{}/asset-access", b.team);
        let (_, body) = call(&app, &owner, Method::PUT, &assets, Some(json!({}))).await;
        assert_eq!(
            errors(&body, "access_of_assets"),
            ["This field is required."]
        );
        let (_, body) = call(
            &app,
            &owner,
            Method::PUT,
            &assets,
            Some(json!({"access_of_assets": "some"})),
        )
        .await;
        assert_eq!(
            errors(&body, "access_of_assets"),
            ["Must be one of: full_access, limited_access."]
        );
        let (_, body) = call(
            &app,
            &owner,
            Method::PUT,
            &assets,
            Some(json!({"access_of_assets": "limited_access"})),
        )
        .await;
        assert_eq!(
            errors(&body, "accessible_assets"),
            ["This field is required when `access_of_assets` is `limited_access`."]
        );
        let (_, body) = call(&app, &owner, Method::PUT, &assets, Some(json!({"access_of_assets": "limited_access", "accessible_assets": [{"asset_type": "charger", "asset_id": stranger}]}))).await;
        assert_eq!(
            errors(&body, "accessible_assets.0.asset_id"),
            ["The uuid of an existing record in the chargers table."]
        );
        let (status, body) = call(&app, &owner, Method::PUT, &assets, Some(json!({"access_of_assets": "limited_access", "accessible_assets": [{"asset_type": "charger", "asset_id": c1u}]}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["access"]["can_access_all_assets"], false);
        assert_eq!(
            body["data"]["access"]["accessible_assets"],
            json!([{"asset_type": "charger", "asset_id": c1u}])
        );

        let (_, random) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{stranger}"),
            None,
        )
        .await;
        let (status, hidden) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c2u}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(hidden, random, "a hidden charger looks like a missing one");
        for list in ["/api/v3/chargers", &format!("/api/v3/sites/{s}/chargers")] {
            let (status, body) = call(&app, &b.token, Method::GET, list, None).await;
            assert_eq!(status, 200, "{body}");
            let uuids: Vec<&str> = body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["uuid"].as_str().unwrap())
                .collect();
            assert_eq!(uuids, [c1u], "{list}");
        }
        let (_, conns) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}/connectors"),
            None,
        )
        .await;
        assert!(!conns.to_string().contains(c2u));
        // Back to full access: the second charger shows again.
        call(
            &app,
            &owner,
            Method::PUT,
            &assets,
            Some(json!({"access_of_assets": "full_access"})),
        )
        .await;
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{c2u}"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn owner_stays_until_it_transfers_ownership_to_a_team_with_access() {
    for app in apps().await {
        let owner = app.token.clone();
        let b = person(&app, "bob").await;
        let c = person(&app, "carol").await;
        let site = new_site(&app, &owner, "Home").await;
        let s = site["uuid"].as_str().unwrap().to_owned();
        let charger = new_charger(&app, &owner, "TR-1", &s).await;
        let owner_team = site["team_uuid"].as_str().unwrap().to_owned();
        grant_by_invite(
            &app,
            &owner,
            &s,
            json!({"email": b.email}),
            &b.token,
            &b.team,
        )
        .await;

        let (status, body) = call(
            &app,
            &owner,
            Method::DELETE,
            &format!("/api/v3/sites/{s}/teams/{owner_team}"),
            None,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(errors(&body, "team")[0].contains("cannot remove its own access"));

        let (status, body) = call(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v3/sites/{s}/teams/{}/transfer-ownership", c.team),
            None,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            errors(&body, "team"),
            ["The team must have access to the site before it can become its owner."]
        );
        let (status, _) = call(
            &app,
            &b.token,
            Method::POST,
            &format!("/api/v3/sites/{s}/teams/{}/transfer-ownership", b.team),
            None,
        )
        .await;
        assert_eq!(status, 403, "a team with access cannot take the site");

        let (status, body) = call(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v3/sites/{s}/teams/{}/transfer-ownership", b.team),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["access"]["is_owner"], true);
        let (_, site_b) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}"),
            None,
        )
        .await;
        assert_eq!(site_b["data"]["team_uuid"], b.team);
        assert_eq!(site_b["data"]["permissions"]["full"], true);
        let cu = charger["uuid"].as_str().unwrap();
        let (_, ch) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{cu}"),
            None,
        )
        .await;
        assert_eq!(
            ch["data"]["team_uuid"], b.team,
            "the chargers move with the site"
        );

        // The former owner keeps access (sensitive data for 14 days) until the new owner removes it.
        let (_, teams) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/sites/{s}/teams/{owner_team}"),
            None,
        )
        .await;
        assert_eq!(teams["data"]["access"]["is_owner"], false);
        assert_eq!(teams["data"]["access"]["data_access"], true);
        assert!(teams["data"]["access"]["data_access_expires_at"].is_string());
        let (status, _) = call(
            &app,
            &owner,
            Method::PUT,
            &format!("/api/v3/sites/{s}"),
            Some(json!({"name": "Mine"})),
        )
        .await;
        assert_eq!(status, 403, "no longer the owner");
        let (status, _) = call(
            &app,
            &b.token,
            Method::DELETE,
            &format!("/api/v3/sites/{s}/teams/{owner_team}"),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (status, _) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/sites/{s}"),
            None,
        )
        .await;
        assert_eq!(
            status, 404,
            "removed: the site is gone for the former owner"
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn invitations_are_validated_rate_limited_and_accepted_once() {
    for app in apps().await {
        let owner = app.token.clone();
        let b = person(&app, "bob").await;
        let site = new_site(&app, &owner, "Invites").await;
        let s = site["uuid"].as_str().unwrap().to_owned();
        let invite = format!("/api/v3/sites/{s}/teams/invite");

        // 1-3: validation failures (they count against the 5 per minute).
        let (status, body) = call(&app, &owner, Method::POST, &invite, Some(json!({}))).await;
        assert_eq!(status, 422);
        assert_eq!(errors(&body, "email"), ["This field is required."]);
        let long = format!("{}@example.com", "a".repeat(250));
        let (_, body) = call(
            &app,
            &owner,
            Method::POST,
            &invite,
            Some(json!({"email": long})),
        )
        .await;
        assert_eq!(
            errors(&body, "email"),
            ["Must not be greater than 255 characters."]
        );
        let (_, body) = call(&app, &owner, Method::POST, &invite, Some(json!({"email": "bob", "data_access_expires_at": today(), "can_access_all_assets": false}))).await;
        assert_eq!(errors(&body, "email"), ["Must be a valid email address."]);
        assert_eq!(
            errors(&body, "data_access_expires_at"),
            ["Must be a date after `today`."]
        );
        assert_eq!(
            errors(&body, "accessible_assets"),
            ["This field is required when `can_access_all_assets` is `false`."]
        );

        // 4: an invitation that hands the site over, with data access.
        let r = app
            .http
            .post(format!("{}{invite}", app.api))
            .bearer_auth(&owner)
            .json(&json!({"email": b.email, "transfer_ownership": true, "data_access": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        assert_eq!(r.headers()["x-ratelimit-limit"], "5");
        assert_eq!(r.headers()["x-ratelimit-remaining"], "1");
        let created: Value = r.json().await.unwrap();
        assert_eq!(created["message"], "Invitation sent.");
        assert_eq!(created["invite"]["email"], b.email);
        assert_eq!(created["invite"]["transfer_ownership"], true);
        let token = created["invite_token"].as_str().unwrap().to_owned();
        assert!(created["invite_links"]["web"]
            .as_str()
            .unwrap()
            .contains(&token));
        assert!(created["invite_links"]["deep_link"]
            .as_str()
            .unwrap()
            .contains(&token));
        // 5, then 6: too many.
        let (status, _) = call(
            &app,
            &owner,
            Method::POST,
            &invite,
            Some(json!({"email": "x@example.com"})),
        )
        .await;
        assert_eq!(status, 201);
        let r = app
            .http
            .post(format!("{}{invite}", app.api))
            .bearer_auth(&owner)
            .json(&json!({"email": "y@example.com"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 429);
        assert!(r.headers().contains_key("retry-after"));
        assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
        assert_eq!(
            r.json::<Value>().await.unwrap()["message"],
            "Too Many Attempts."
        );

        // The e-mail is in the outbox, which only administrators read.
        let (status, outbox) = call(&app, &owner, Method::GET, "/api/v3/admin/outbox", None).await;
        assert_eq!(status, 200, "{outbox}");
        assert!(outbox["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["recipient"] == b.email && e["body"].as_str().unwrap().contains(&token)));
        let (status, _) = call(&app, &b.token, Method::GET, "/api/v3/admin/outbox", None).await;
        assert_eq!(status, 403);

        // Accept: validation, then once without a team uuid (the personal team is used).
        let accept = "/api/v3/sites/invite/accept";
        let (_, body) = call(&app, &b.token, Method::POST, accept, Some(json!({}))).await;
        assert_eq!(errors(&body, "token"), ["This field is required."]);
        let (_, body) = call(
            &app,
            &b.token,
            Method::POST,
            accept,
            Some(json!({"token": "short", "team_uuid": site["team_uuid"]})),
        )
        .await;
        assert_eq!(errors(&body, "token"), ["Must be 64 characters."]);
        assert_eq!(
            errors(&body, "team_uuid"),
            ["The uuid of an existing record in the teams table."],
            "another team's uuid"
        );
        let (_, body) = call(
            &app,
            &b.token,
            Method::POST,
            accept,
            Some(json!({"token": "f".repeat(64)})),
        )
        .await;
        assert_eq!(
            errors(&body, "token"),
            ["The invitation is invalid or has expired."]
        );
        // Someone else holding the token cannot use it, and it stays valid for the invitee.
        let mallory = person(&app, "mallory").await;
        let (status, body) = call(
            &app,
            &mallory.token,
            Method::POST,
            accept,
            Some(json!({"token": token})),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            errors(&body, "token"),
            ["This invitation was sent to another e-mail address: sign in as that user to accept it."]
        );
        let (status, body) = call(
            &app,
            &b.token,
            Method::POST,
            accept,
            Some(json!({"token": token})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["message"], "Invitation accepted.");
        assert_eq!(body["team_uuid"], b.team);
        assert_eq!(body["is_owner"], true);
        assert_eq!(body["data_access"], true);
        let (status, _) = call(
            &app,
            &b.token,
            Method::POST,
            accept,
            Some(json!({"token": token})),
        )
        .await;
        assert_eq!(status, 422, "a token works once");
        let (_, site_b) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}"),
            None,
        )
        .await;
        assert_eq!(site_b["data"]["team_uuid"], b.team);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn a_team_with_access_asks_the_owner_for_sensitive_data() {
    for app in apps().await {
        let owner = app.token.clone();
        let b = person(&app, "bob").await;
        let site = new_site(&app, &owner, "Requests").await;
        let s = site["uuid"].as_str().unwrap().to_owned();
        let path = format!("/api/v3/sites/{s}/teams/{}/request-sensitive-data", b.team);
        let (status, _) = call(
            &app,
            &b.token,
            Method::POST,
            &path,
            Some(json!({"reason": "billing"})),
        )
        .await;
        assert_eq!(
            status, 404,
            "no access yet: the site does not exist for Bob"
        );
        grant_by_invite(
            &app,
            &owner,
            &s,
            json!({"email": b.email}),
            &b.token,
            &b.team,
        )
        .await;

        let (_, body) = call(&app, &b.token, Method::POST, &path, Some(json!({}))).await;
        assert_eq!(errors(&body, "reason"), ["This field is required."]);
        let (_, body) = call(
            &app,
            &b.token,
            Method::POST,
            &path,
            Some(json!({"reason": "r".repeat(256), "requested_data_expires_at": today()})),
        )
        .await;
        assert_eq!(
            errors(&body, "reason"),
            ["Must not be greater than 255 characters."]
        );
        assert_eq!(
            errors(&body, "requested_data_expires_at"),
            ["Must be a date after `today`."]
        );
        let (status, body) = call(
            &app,
            &b.token,
            Method::POST,
            &path,
            Some(json!({"reason": "Monthly billing", "requested_data_expires_at": next_year()})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["data"]["team_uuid"], b.team);

        let (status, list) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/sites/{s}/data-access-requests"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(list["data"][0]["reason"], "Monthly billing");
        assert_eq!(list["data"][0]["requested_by"], b.email);
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}/data-access-requests"),
            None,
        )
        .await;
        assert_eq!(status, 403, "only the owner reads requests");
        let (_, outbox) = call(&app, &owner, Method::GET, "/api/v3/admin/outbox", None).await;
        assert!(
            outbox["data"][0]["body"]
                .as_str()
                .unwrap()
                .contains("Monthly billing"),
            "{outbox}"
        );
        app.shutdown().await;
    }
}

#[tokio::test]
async fn chargers_attach_with_their_pincode_and_history_follows_sensitive_access() {
    for app in apps().await {
        let owner = app.token.clone();
        let b = person(&app, "bob").await;
        let site = new_site(&app, &owner, "Attach").await;
        let s = site["uuid"].as_str().unwrap().to_owned();
        // Bob's own charger, attached to the owner's site with its pincode.
        let (status, c) = call(
            &app,
            &b.token,
            Method::POST,
            "/api/v3/chargers",
            Some(json!({"identity": "ATT-1"})),
        )
        .await;
        assert_eq!(status, 201);
        let cu = c["data"]["uuid"].as_str().unwrap().to_owned();
        let pin = c["data"]["pincode"].as_str().unwrap().to_owned();
        let attach = format!("/api/v3/sites/{s}/chargers");
        let (_, body) = call(&app, &owner, Method::POST, &attach, Some(json!({}))).await;
        assert_eq!(errors(&body, "identity"), ["This field is required."]);
        assert_eq!(errors(&body, "pincode"), ["This field is required."]);
        let wrong = if pin == "000000" { "111111" } else { "000000" };
        let (status, body) = call(
            &app,
            &owner,
            Method::POST,
            &attach,
            Some(json!({"identity": "ATT-1", "pincode": wrong})),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            errors(&body, "pincode"),
            ["The identity and pincode do not match a charger."]
        );
        let (_, unknown) = call(
            &app,
            &owner,
            Method::POST,
            &attach,
            Some(json!({"identity": "NOPE", "pincode": pin})),
        )
        .await;
        assert_eq!(
            unknown, body,
            "an unknown identity answers like a wrong pincode"
        );
        let (status, body) = call(
            &app,
            &owner,
            Method::POST,
            &attach,
            Some(json!({"identity": "ATT-1", "pincode": pin})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["site_uuid"], s);
        assert_eq!(body["data"]["team_uuid"], site["team_uuid"]);
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{cu}"),
            None,
        )
        .await;
        assert_eq!(status, 404, "the charger now belongs to the site's owner");

        // A transaction on it: visible to the owner, to Bob only with sensitive access.
        let (status, _) = call(
            &app,
            &owner,
            Method::POST,
            "/api/v3/cards",
            Some(json!({"uid": "TAG-A"})),
        )
        .await;
        assert_eq!(status, 201);
        let mut cp = connect(&app, "/ATT-1").await;
        cp.boot().await;
        let started = cp.call("StartTransaction", json!({"connectorId": 1, "idTag": "TAG-A", "meterStart": 0, "timestamp": "2025-07-04T13:00:00Z"})).await;
        let tx = started["transactionId"].as_i64().unwrap();
        cp.call(
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging"}),
        )
        .await;
        let (_, txs) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/sites/{s}/transactions"),
            None,
        )
        .await;
        assert_eq!(txs["data"][0]["id"], tx, "{txs}");
        let owner_team = site["team_uuid"].as_str().unwrap();
        let (_, txs) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/teams/{owner_team}/transactions"),
            None,
        )
        .await;
        assert_eq!(txs["data"][0]["id"], tx, "{txs}");

        grant_by_invite(
            &app,
            &owner,
            &s,
            json!({"email": b.email}),
            &b.token,
            &b.team,
        )
        .await;
        let (_, conns) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/sites/{s}/connectors"),
            None,
        )
        .await;
        assert_eq!(conns["data"][0]["charger_uuid"], cu, "{conns}");
        for path in [
            format!("/api/v3/teams/{}/transactions", b.team),
            "/api/v3/transactions".into(),
        ] {
            let (status, txs) = call(&app, &b.token, Method::GET, &path, None).await;
            assert_eq!(status, 200);
            assert_eq!(txs["data"], json!([]), "no sensitive access: {path}");
        }
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/transactions/{tx}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        call(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v3/sites/{s}/teams/{}/grant-sensitive-data", b.team),
            Some(json!({"expires_never": true})),
        )
        .await;
        for path in [
            format!("/api/v3/teams/{}/transactions", b.team),
            format!("/api/v3/sites/{s}/transactions"),
        ] {
            let (_, txs) = call(&app, &b.token, Method::GET, &path, None).await;
            assert_eq!(txs["data"][0]["id"], tx, "{path}: {txs}");
        }

        // Detach: only the owner; the charger stays with the owner team.
        let (status, _) = call(
            &app,
            &b.token,
            Method::DELETE,
            &format!("/api/v3/sites/{s}/chargers/{cu}"),
            None,
        )
        .await;
        assert_eq!(status, 403);
        let (status, _) = call(
            &app,
            &owner,
            Method::DELETE,
            &format!("/api/v3/sites/{s}/chargers/{cu}"),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (_, list) = call(
            &app,
            &owner,
            Method::GET,
            &format!("/api/v3/sites/{s}/chargers"),
            None,
        )
        .await;
        assert_eq!(list["data"], json!([]));
        let (status, _) = call(
            &app,
            &b.token,
            Method::GET,
            &format!("/api/v3/chargers/{cu}"),
            None,
        )
        .await;
        assert_eq!(status, 404, "off the site, off the grant");
        drop(cp);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn mutating_requests_land_in_the_audit_log_for_team_admins() {
    for app in apps().await {
        let owner = app.token.clone();
        let (_, me) = call(&app, &owner, Method::GET, "/api/v3/teams", None).await;
        let team = me["data"][0]["uuid"].as_str().unwrap().to_owned();
        let team_id = me["data"][0]["id"].as_i64().unwrap();
        new_site(&app, &owner, "Audited").await;
        let (status, _) = call(
            &app,
            &owner,
            Method::POST,
            "/api/v3/chargers",
            Some(json!({"identity": ""})),
        )
        .await;
        assert_eq!(status, 422);
        let path = format!("/api/v3/teams/{team}/audit-log");
        let mut entries = Value::Null;
        for _ in 0..50 {
            let (status, body) = call(&app, &owner, Method::GET, &path, None).await;
            assert_eq!(status, 200, "{body}");
            if body["data"].as_array().unwrap().len() >= 2 {
                entries = body["data"].clone();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(entries[0]["method"], "POST", "{entries}");
        assert_eq!(entries[0]["path"], "/api/v3/chargers");
        assert_eq!(entries[0]["status"], 422);
        assert_eq!(entries[1]["path"], "/api/v3/sites");
        assert_eq!(entries[1]["status"], 201);
        assert!(
            !entries.to_string().contains("audit-log"),
            "reads are not audited"
        );

        let member = member_of(&app, team_id, TeamRole::Member).await;
        let (status, _) = call(&app, &member, Method::GET, &path, None).await;
        assert_eq!(status, 403, "members do not read the audit log");
        // What the member does to their own team's objects stays in their own team's log.
        let (status, mine) = call(&app, &member, Method::GET, "/api/v3/teams", None).await;
        assert_eq!(status, 200, "{mine}");
        let own = mine["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["uuid"] != team.as_str())
            .expect("the member has a team of their own")["uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, site) = call(
            &app,
            &member,
            Method::POST,
            "/api/v3/sites",
            Some(
                json!({"team_uuid": own, "name": "Mine", "street": "Main", "house_number": 1,
                        "postal_code": "1000", "city": "Brussels", "country": "BE"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{site}");
        let own_path = format!("/api/v3/teams/{own}/audit-log");
        let mut seen = false;
        for _ in 0..50 {
            let (_, body) = call(&app, &member, Method::GET, &own_path, None).await;
            if body["data"].as_array().is_some_and(|d| !d.is_empty()) {
                assert_eq!(body["data"][0]["path"], "/api/v3/sites", "{body}");
                seen = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(seen, "the member's own team logs the site they created");
        let (_, body) = call(&app, &owner, Method::GET, &path, None).await;
        assert_eq!(
            body["data"].as_array().unwrap().len(),
            2,
            "another team's admins do not see it: {body}"
        );
        let outsider = person(&app, "eve").await;
        let (status, _) = call(&app, &outsider.token, Method::GET, &path, None).await;
        assert_eq!(status, 404);
        app.shutdown().await;
    }
}

#[tokio::test]
async fn reservations_follow_sensitive_access_to_the_site() {
    for app in apps().await {
        let owner = app.token.clone();
        let site = new_site(&app, &owner, "Reserved").await;
        let s = site["uuid"].as_str().unwrap().to_owned();
        let charger = new_charger(&app, &owner, "RSV-1", &s).await;
        let db = Db::connect(&app.database_url).await.unwrap();
        let reservation = voltgate_core::store::CommandStore::create_reservation(
            &db,
            charger["id"].as_i64().unwrap(),
            1,
            "RSV-TAG",
            None,
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        )
        .await
        .unwrap();
        let one = format!("/api/v3/reservations/{reservation}");
        let b = person(&app, "bea").await;
        // Basic access only: the reservation (an id tag) is not there for b.
        grant_by_invite(
            &app,
            &owner,
            &s,
            json!({"email": b.email}),
            &b.token,
            &b.team,
        )
        .await;
        let (status, _) = call(&app, &b.token, Method::GET, &one, None).await;
        assert_eq!(status, 404);
        let (_, list) = call(&app, &b.token, Method::GET, "/api/v3/reservations", None).await;
        assert_eq!(list["data"], json!([]), "{list}");
        let cards = format!("/api/v3/sites/{s}/cards");
        call(
            &app,
            &owner,
            Method::POST,
            "/api/v3/cards",
            Some(json!({"uid": "RSV-TAG"})),
        )
        .await;
        let (status, _) = call(&app, &b.token, Method::GET, &cards, None).await;
        assert_eq!(status, 403, "card uids need sensitive access");
        // With sensitive-data access it is.
        let (status, body) = call(
            &app,
            &owner,
            Method::POST,
            &format!("/api/v3/sites/{s}/teams/{}/grant-sensitive-data", b.team),
            Some(json!({"expires_never": true})),
        )
        .await;
        assert!(status < 300, "{status} {body}");
        let (status, got) = call(&app, &b.token, Method::GET, &one, None).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"]["id_tag"], "RSV-TAG", "{got}");
        let (_, list) = call(&app, &b.token, Method::GET, "/api/v3/reservations", None).await;
        assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
        let (status, got) = call(&app, &b.token, Method::GET, &cards, None).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["data"][0]["uid"], "RSV-TAG", "{got}");
        let outsider = person(&app, "olaf").await;
        let (status, _) = call(&app, &outsider.token, Method::GET, &cards, None).await;
        assert_eq!(status, 404);
        app.shutdown().await;
    }
}
