//! The HTTP side of a charger's connection: identity, subprotocol, authentication, upgrade.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use voltgate_core::auth::{generate_pincode, verify_charger_password};
use voltgate_core::model::Charger;
use voltgate_core::store::NewCharger;
use voltgate_core::types::ChargerIdentity;
use voltgate_core::StoreError;
use voltgate_ocpp::OcppVersion;

use crate::Gateway;

/// Initial read buffer per connection: most OCPP messages are well under 1 KiB; larger ones are
/// read in several chunks (up to the message size limit).
const READ_BUFFER: usize = 1024;

/// The OCPP listener's routes: every path is a charger endpoint, its last segment the identity.
pub fn router(gateway: Gateway) -> Router {
    Router::new().fallback(connect).with_state(gateway)
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// The identity is the last non-empty path segment, percent-decoded.
fn identity_from_path(path: &str) -> Option<String> {
    let segment = path.rsplit('/').find(|s| !s.is_empty())?;
    percent_decode(segment)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Picks the OCPP version from the offered subprotocols, in Voltgate's order of preference.
fn negotiate(headers: &HeaderMap) -> Option<OcppVersion> {
    let offered: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    offered
        .iter()
        .find_map(|p| OcppVersion::from_subprotocol(p))
}

fn basic_password(headers: &HeaderMap, identity: &str) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    (user == identity).then(|| password.to_owned())
}

async fn find_or_register(
    gw: &Gateway,
    identity: &ChargerIdentity,
) -> Result<Option<Charger>, StoreError> {
    let store = gw.inner.service.store();
    if let Some(c) = store.find_charger_by_identity(identity.as_str()).await? {
        return Ok(Some(c));
    }
    let Some(team_id) = gw.inner.config.auto_register_team_id else {
        return Ok(None);
    };
    let (smart, pro) = gw.inner.config.default_licenses;
    gw.inner
        .service
        .register(NewCharger {
            team_id,
            site_id: None,
            uuid: uuid::Uuid::new_v4(),
            identity: identity.as_str().to_owned(),
            reference: None,
            password_hash: None,
            pincode: generate_pincode(),
            license_smart: smart,
            license_pro: pro,
            boot_policy: None,
        })
        .await?;
    // Inserted now, or by another first connection of the same identity just before.
    let found = store.find_charger_by_identity(identity.as_str()).await?;
    if found.is_some() {
        tracing::info!(charger.identity = %identity, "auto-registered an unknown charger on its first connection");
    }
    Ok(found)
}

async fn connect(
    State(gw): State<Gateway>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return refuse(
            StatusCode::UPGRADE_REQUIRED,
            "This is Voltgate's OCPP endpoint: connect with a WebSocket client offering the subprotocol ocpp1.6 at ws://HOST:PORT/<charger identity>.",
        );
    };
    let Some(version) = negotiate(&headers) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "No supported OCPP subprotocol offered. Voltgate speaks ocpp1.6: send the header Sec-WebSocket-Protocol: ocpp1.6.",
        );
    };
    let Some(identity) =
        identity_from_path(uri.path()).and_then(|s| ChargerIdentity::parse(&s).ok())
    else {
        return refuse(
            StatusCode::NOT_FOUND,
            "Unknown charger: the last path segment must be the charger's identity.",
        );
    };
    let charger = match find_or_register(&gw, &identity).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            tracing::info!(charger.identity = %identity, "refused a connection from an unknown charger; create it over the API or start with --auto-register");
            return refuse(
                StatusCode::NOT_FOUND,
                "Unknown charger: create it over the API first.",
            );
        }
        Err(e) => {
            tracing::error!(charger.identity = %identity, error = %e, "could not look the charger up");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "The central system cannot reach its database; try again later.",
            );
        }
    };
    if let Some(stored) = &charger.password_hash {
        let ok = basic_password(&headers, identity.as_str())
            .is_some_and(|p| verify_charger_password(charger.uuid, &p, stored));
        if !ok {
            tracing::warn!(charger.identity = %identity, "refused a connection: missing or wrong HTTP Basic credentials");
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    "Basic realm=\"voltgate\", charset=\"UTF-8\"",
                )],
                "Authentication required: HTTP Basic with the charger identity as user name.\n",
            )
                .into_response();
        }
    }
    let cfg = &gw.inner.config;
    let gw2 = gw.clone();
    ws.protocols([version.subprotocol()])
        .max_message_size(cfg.max_message_bytes)
        .max_frame_size(cfg.max_message_bytes)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| {
            let tracker = gw2.inner.tracker.clone();
            tracker.track_future(crate::session::run(gw2, charger, version, socket))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_the_last_path_segment_whatever_the_prefix() {
        assert_eq!(identity_from_path("/CP-1").as_deref(), Some("CP-1"));
        assert_eq!(identity_from_path("/ocpp/CP-1").as_deref(), Some("CP-1"));
        assert_eq!(
            identity_from_path("/ocpp/v16/CP-1/").as_deref(),
            Some("CP-1")
        );
        assert_eq!(identity_from_path("/a/CP%2D1").as_deref(), Some("CP-1"));
        assert_eq!(identity_from_path("/"), None);
    }

    #[test]
    fn negotiates_ocpp16_among_several_offers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            "ocpp0.1, ocpp1.6".parse().unwrap(),
        );
        assert_eq!(negotiate(&h), Some(OcppVersion::V16));
        h.insert(header::SEC_WEBSOCKET_PROTOCOL, "ocpp2.0.1".parse().unwrap());
        assert_eq!(negotiate(&h), None);
    }

    #[test]
    fn basic_auth_requires_the_identity_as_user() {
        let mut h = HeaderMap::new();
        let enc = base64::engine::general_purpose::STANDARD.encode("CP-1:pw");
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {enc}").parse().unwrap(),
        );
        assert_eq!(basic_password(&h, "CP-1").as_deref(), Some("pw"));
        assert_eq!(basic_password(&h, "CP-2"), None);
    }
}
