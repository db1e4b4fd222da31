//! The settings of one simulated charger.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::log::FrameLog;

/// How a [`SimCharger`](crate::SimCharger) connects and presents itself.
///
/// Build it with [`ChargerConfig::new`] and change the public fields you need:
///
/// ```
/// # use voltgate_sim::ChargerConfig;
/// let config = ChargerConfig {
///     connectors: 2,
///     password: Some("secret".into()),
///     ..ChargerConfig::new("ws://127.0.0.1:9000/ocpp", "CP-1")
/// };
/// assert_eq!(config.url_with_identity(), "ws://127.0.0.1:9000/ocpp/CP-1");
/// ```
#[derive(Clone)]
pub struct ChargerConfig {
    /// The central system's base URL; the identity is appended as the last path segment.
    pub url: String,
    /// The charge point identity.
    pub identity: String,
    /// The OCPP security profile 1 password: sent as HTTP Basic auth with user = identity.
    pub password: Option<String>,
    /// Number of connectors (1 or more; connector 0 is the charger itself).
    pub connectors: u32,
    /// `BootNotification.chargePointVendor`.
    pub vendor: String,
    /// `BootNotification.chargePointModel`.
    pub model: String,
    /// `BootNotification.firmwareVersion`.
    pub firmware_version: Option<String>,
    /// `BootNotification.chargePointSerialNumber`.
    pub serial_number: Option<String>,
    /// Heartbeat at this interval instead of the one the central system returns.
    pub heartbeat_interval: Option<Duration>,
    /// How long to wait for the answer to a CALL, and for the WebSocket handshake.
    pub call_timeout: Duration,
    /// Reconnect after the connection drops; `None` (the default) leaves it closed.
    pub reconnect: Option<Backoff>,
    /// How many frames the in-memory log keeps.
    pub log_capacity: usize,
    /// The local address to connect from (only useful with several loopback addresses).
    pub source_address: Option<IpAddr>,
    /// The most current per phase each connector offers, in A.
    pub max_current_a: f64,
    /// Log frames into this log instead of a new one (e.g. to keep a charger's log across
    /// restarts of its runtime); `log_capacity` is then ignored.
    pub frame_log: Option<Arc<FrameLog>>,
    /// Configuration keys set at start, over the OCPP 1.6 defaults (e.g.
    /// `MeterValueSampleInterval`); unknown keys are added.
    pub configuration: Vec<(String, String)>,
    /// How long a reboot (Reset) keeps the charger off line before it connects and boots again.
    pub reboot_delay: Duration,
}

impl ChargerConfig {
    /// One connector, vendor `Voltgate`, model `SimCharger`, a 30 s call timeout, no reconnect.
    pub fn new(url: impl Into<String>, identity: impl Into<String>) -> Self {
        ChargerConfig {
            url: url.into(),
            identity: identity.into(),
            password: None,
            connectors: 1,
            vendor: "Voltgate".into(),
            model: "SimCharger".into(),
            firmware_version: Some(env!("CARGO_PKG_VERSION").into()),
            serial_number: None,
            heartbeat_interval: None,
            call_timeout: Duration::from_secs(30),
            reconnect: None,
            log_capacity: 1000,
            source_address: None,
            max_current_a: 32.0,
            frame_log: None,
            configuration: Vec::new(),
            reboot_delay: Duration::from_millis(500),
        }
    }

    /// The full URL: base URL, `/`, percent-encoded identity.
    pub fn url_with_identity(&self) -> String {
        crate::transport::url_with_identity(&self.url, &self.identity)
    }

    /// The BootNotification.req payload.
    pub fn boot_notification(&self) -> serde_json::Value {
        let mut payload = serde_json::json!({
            "chargePointVendor": self.vendor,
            "chargePointModel": self.model,
        });
        if let Some(firmware) = &self.firmware_version {
            payload["firmwareVersion"] = firmware.as_str().into();
        }
        if let Some(serial) = &self.serial_number {
            payload["chargePointSerialNumber"] = serial.as_str().into();
        }
        payload
    }
}

impl std::fmt::Debug for ChargerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChargerConfig")
            .field("url", &self.url)
            .field("identity", &self.identity)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("connectors", &self.connectors)
            .field("vendor", &self.vendor)
            .field("model", &self.model)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("call_timeout", &self.call_timeout)
            .field("reconnect", &self.reconnect)
            .field("max_current_a", &self.max_current_a)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let config = ChargerConfig {
            password: Some("hunter2".into()),
            ..ChargerConfig::new("ws://h/ocpp", "CP-1")
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }

    #[test]
    fn boot_notification_carries_vendor_and_model() {
        let payload = ChargerConfig::new("ws://h", "CP-1").boot_notification();
        assert_eq!(payload["chargePointVendor"], "Voltgate");
        assert_eq!(payload["chargePointModel"], "SimCharger");
        assert!(payload.get("chargePointSerialNumber").is_none());
    }
}
