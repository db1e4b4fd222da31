//! Opening the WebSocket: TCP (optionally from a chosen source address), the HTTP upgrade with
//! the `ocpp1.6` subprotocol and HTTP Basic auth, and small buffers.
//!
//! OCPP-J 1.6 section 3: the charge point connects to `<base URL>/<identity>`, offers the
//! subprotocol `ocpp1.6` and must not proceed if the server does not select it. Security profile 1
//! adds HTTP Basic auth with the identity as user name. The TCP connection is made here rather
//! than by tokio-tungstenite so that a load run can bind each socket to one of several loopback
//! source addresses and so go past the ~28 000 ephemeral ports of a single address.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;

use crate::error::SimError;

/// The only subprotocol this simulator speaks.
pub const SUBPROTOCOL: &str = "ocpp1.6";

/// A charger's WebSocket.
pub type Ws = WebSocketStream<TcpStream>;

/// A central system's base URL, resolved once so a load run does not look it up per charger.
#[derive(Debug, Clone)]
pub struct Endpoint {
    base: String,
    addr: SocketAddr,
}

impl Endpoint {
    /// Parses and resolves a base URL such as `ws://127.0.0.1:9000/ocpp`.
    pub async fn resolve(base: &str) -> Result<Endpoint, SimError> {
        let fail = |reason: String| SimError::Connect {
            url: base.to_owned(),
            reason,
        };
        let uri: Uri = base
            .parse()
            .map_err(|e| fail(format!("invalid URL: {e}")))?;
        match uri.scheme_str() {
            Some("ws") => {}
            Some("wss") => return Err(fail("wss:// needs TLS, which the simulator lacks".into())),
            _ => return Err(fail("the URL must start with ws://".into())),
        }
        let host = uri
            .host()
            .ok_or_else(|| fail("the URL has no host".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| fail(format!("cannot resolve {host}: {e}")))?
            .next()
            .ok_or_else(|| fail(format!("{host} has no address")))?;
        Ok(Endpoint {
            base: base.to_owned(),
            addr,
        })
    }

    /// The socket address connections go to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// The base URL with the percent-encoded identity appended as the last path segment.
pub fn url_with_identity(base: &str, identity: &str) -> String {
    let mut url = base.trim_end_matches('/').to_owned();
    url.push('/');
    for byte in identity.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// The value of the `Authorization` header for OCPP security profile 1.
pub fn basic_auth(identity: &str, password: &str) -> String {
    let credentials = format!("{identity}:{password}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    format!("Basic {encoded}")
}

/// Small buffers: a charger exchanges messages of a few hundred bytes, and a load run holds
/// up to a hundred thousand sockets (tungstenite's default read buffer alone is 128 KiB).
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .max_message_size(Some(1024 * 1024))
        .max_frame_size(Some(1024 * 1024))
}

/// Opens the WebSocket of `identity` within `timeout`.
pub async fn open(
    endpoint: &Endpoint,
    identity: &str,
    password: Option<&str>,
    source: Option<IpAddr>,
    timeout: Duration,
) -> Result<Ws, SimError> {
    let url = url_with_identity(&endpoint.base, identity);
    let attempt = handshake(endpoint.addr, &url, identity, password, source);
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(ws)) => Ok(ws),
        Ok(Err(reason)) => Err(SimError::Connect { url, reason }),
        Err(_) => Err(SimError::Connect {
            url,
            reason: format!("no WebSocket within {timeout:?}"),
        }),
    }
}

async fn handshake(
    addr: SocketAddr,
    url: &str,
    identity: &str,
    password: Option<&str>,
    source: Option<IpAddr>,
) -> Result<Ws, String> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(|e| format!("cannot create a socket: {e}"))?;
    if let Some(source) = source {
        let local = SocketAddr::new(source, 0);
        socket
            .bind(local)
            .map_err(|e| format!("cannot bind to {source}: {e}"))?;
    }
    let stream = socket
        .connect(addr)
        .await
        .map_err(|e| format!("TCP connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;

    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    let headers = request.headers_mut();
    headers.insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    if let Some(password) = password {
        let value = HeaderValue::from_str(&basic_auth(identity, password))
            .map_err(|_| "the password cannot go in an HTTP header".to_owned())?;
        headers.insert("Authorization", value);
    }
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config()))
            .await
            .map_err(describe_handshake_error)?;
    let selected = response.headers().get("Sec-WebSocket-Protocol");
    if selected.and_then(|v| v.to_str().ok()) != Some(SUBPROTOCOL) {
        return Err(format!(
            "the server did not select {SUBPROTOCOL}: {selected:?}"
        ));
    }
    Ok(ws)
}

fn describe_handshake_error(error: WsError) -> String {
    match error {
        WsError::Http(response) => format!("upgrade refused with HTTP {}", response.status()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_the_identity_as_last_segment() {
        assert_eq!(
            url_with_identity("ws://h:9/ocpp/", "CP-1"),
            "ws://h:9/ocpp/CP-1"
        );
        assert_eq!(url_with_identity("ws://h:9", "a b/c"), "ws://h:9/a%20b%2Fc");
    }

    #[test]
    fn basic_auth_encodes_identity_and_password() {
        // base64("CP-1:secret")
        assert_eq!(basic_auth("CP-1", "secret"), "Basic Q1AtMTpzZWNyZXQ=");
    }

    #[tokio::test]
    async fn refuses_urls_it_cannot_serve() {
        for url in ["wss://example.com/ocpp", "http://example.com", "not a url"] {
            let error = Endpoint::resolve(url).await.unwrap_err();
            assert!(matches!(error, SimError::Connect { .. }), "{url}: {error}");
        }
        let endpoint = Endpoint::resolve("ws://127.0.0.1:9000/ocpp").await.unwrap();
        assert_eq!(endpoint.addr(), "127.0.0.1:9000".parse().unwrap());
    }
}
