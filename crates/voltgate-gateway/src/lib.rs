#![doc = include_str!("../README.md")]

mod link;
mod provision;
mod registry;
mod session;
mod upgrade;
mod v16;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use voltgate_core::ocpp_service::OcppService;
use voltgate_core::Metrics;

pub use link::GatewayLink;
pub use registry::{CallFailure, Registry};
pub use upgrade::router;

/// Settings of the OCPP listener.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Create unknown chargers on their first connection, in this team.
    pub auto_register_team_id: Option<i64>,
    /// Largest accepted message; larger ones close the connection with 1009.
    pub max_message_bytes: usize,
    /// How often the server pings each charger.
    pub ping_interval: Duration,
    /// A charger that sent nothing (not even a pong) for this long is disconnected.
    pub idle_timeout: Duration,
    /// Calls from a charger queued while one is being processed; beyond this, reading pauses.
    pub inbound_backlog: usize,
    /// CSMS-initiated calls queued per connection behind the one in flight.
    pub outbound_queue: usize,
    /// Frames a charger may send per second; a flood above it closes the connection (1008).
    pub max_messages_per_second: u32,
    /// Boot policy for chargers without their own: hold new chargers in Pending while Voltgate
    /// reads and sets their configuration (`true`), or accept them at once.
    pub default_boot_pending: bool,
    /// Configuration Voltgate sets on a charger while it is Pending (key, value).
    pub provisioning: Vec<(String, String)>,
    /// BootNotification interval while Pending: how soon the charger may boot again.
    pub pending_interval_seconds: u32,
    /// Licenses given to auto-registered chargers (smart, pro).
    pub default_licenses: (bool, bool),
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            auto_register_team_id: None,
            max_message_bytes: 128 * 1024,
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            inbound_backlog: 8,
            outbound_queue: 16,
            max_messages_per_second: 100,
            default_boot_pending: false,
            provisioning: Vec::new(),
            pending_interval_seconds: 10,
            default_licenses: (true, false),
        }
    }
}

/// Everything a connection needs, shared by all of them.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<GatewayInner>,
}

pub(crate) struct GatewayInner {
    pub config: GatewayConfig,
    pub service: Arc<OcppService>,
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// `shutdown` closes every session with a Close frame; `tracker` lets the caller wait for them.
    pub fn new(
        config: GatewayConfig,
        service: Arc<OcppService>,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) -> Self {
        Self {
            inner: Arc::new(GatewayInner {
                config,
                service,
                registry: Registry::default(),
                metrics,
                shutdown,
                tracker,
            }),
        }
    }

    /// The live connections, for sending CSMS-initiated calls.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }
}
