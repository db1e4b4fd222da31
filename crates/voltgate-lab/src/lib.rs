#![doc = include_str!("../README.md")]

pub mod auth;
pub mod body;
mod catalog;
pub mod error;
mod openapi;
mod routes;
mod runtime;
mod service;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio_util::task::TaskTracker;
use voltgate_core::Store;

pub use openapi::openapi;
pub use service::ChargerInput;

/// How simulated chargers behave; the defaults suit a person watching, tests shorten them.
#[derive(Debug, Clone)]
pub struct LabSettings {
    /// How long an automatic session (`scenario: "sessions"`) charges.
    pub session_duration: Duration,
    /// The pause between two automatic sessions.
    pub session_pause: Duration,
    /// `MeterValueSampleInterval` of chargers with a scenario, in seconds.
    pub scenario_meter_interval: u64,
    /// Frames kept per simulated charger for the logs endpoint.
    pub log_capacity: usize,
    /// How long stopping the runtimes may take at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for LabSettings {
    fn default() -> Self {
        LabSettings {
            session_duration: Duration::from_secs(120),
            session_pause: Duration::from_secs(30),
            scenario_meter_interval: 10,
            log_capacity: 2000,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What the simulator needs from the application that hosts it.
pub struct LabConfig {
    pub store: Arc<dyn Store>,
    /// This Voltgate's OCPP listener: where definitions without a `ws_url` connect, and which
    /// `ws_url`s count as "this Voltgate" (their charger is created here at provisioning).
    pub local_ocpp: SocketAddr,
    /// Licenses (smart, pro) of chargers created here at provisioning.
    pub default_licenses: (bool, bool),
    pub settings: LabSettings,
}

/// The simulator: definitions, their runtimes and commands (a cheap, cloneable handle; also the
/// router's state).
#[derive(Clone)]
pub struct Lab {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    local_addr: SocketAddr,
    default_licenses: (bool, bool),
    settings: LabSettings,
    runtimes: runtime::Runtimes,
    commands: Arc<runtime::CommandBook>,
    tracker: TaskTracker,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("local_ocpp", &self.inner.local_addr)
            .finish_non_exhaustive()
    }
}

impl Lab {
    pub fn new(config: LabConfig) -> Lab {
        Lab {
            inner: Arc::new(Inner {
                store: config.store,
                local_addr: config.local_ocpp,
                default_licenses: config.default_licenses,
                settings: config.settings,
                runtimes: runtime::Runtimes::default(),
                commands: Arc::default(),
                tracker: TaskTracker::new(),
            }),
        }
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub(crate) fn settings(&self) -> &LabSettings {
        &self.inner.settings
    }

    /// The base URL of this Voltgate's OCPP listener, e.g. `ws://127.0.0.1:9000/ocpp`.
    pub fn local_ws_url(&self) -> String {
        let addr = self.inner.local_addr;
        let host = if addr.ip().is_unspecified() {
            match addr {
                SocketAddr::V4(_) => "127.0.0.1".to_owned(),
                SocketAddr::V6(_) => "[::1]".to_owned(),
            }
        } else {
            match addr {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            }
        };
        format!("ws://{host}:{}/ocpp", addr.port())
    }

    /// Finishes interrupted provisioning, then starts every definition whose runtime was
    /// running when Voltgate stopped. Call once the OCPP listener is bound. Returns how many
    /// runtimes started.
    pub async fn resume(&self) -> Result<usize, voltgate_core::StoreError> {
        for definition in self.inner.store.lab_chargers_to_provision().await? {
            self.provision(definition.id).await;
        }
        let mut started = 0;
        for definition in self.inner.store.lab_chargers_to_run().await? {
            match self.start_runtime(&definition) {
                Ok(()) => started += 1,
                Err(error) => tracing::warn!(
                    charger.identity = %definition.identity,
                    ?error,
                    "could not start a simulated charger again"
                ),
            }
        }
        if started > 0 {
            tracing::info!(runtimes = started, "simulated chargers started again");
        }
        Ok(started)
    }

    /// Stops every runtime (ending their sessions and closing their sockets) without changing
    /// whether they should run: they start again at the next [`Lab::resume`]. Waits at most
    /// `shutdown_grace`.
    pub async fn shutdown(&self) {
        let stopping = self
            .inner
            .runtimes
            .stop_all(voltgate_sim::StopReason::Reboot);
        if tokio::time::timeout(self.inner.settings.shutdown_grace, stopping)
            .await
            .is_err()
        {
            tracing::warn!("some simulated chargers did not stop in time");
        }
        self.inner.tracker.close();
        if tokio::time::timeout(Duration::from_secs(1), self.inner.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some simulator tasks did not end in time");
        }
    }
}

/// The simulator API's routes (`/ocpp/chargers...`, `/ocpp/locations...`, `/ocpp/commands...`),
/// to merge into the API listener's router. It has no fallback of its own.
pub fn router(lab: Lab) -> Router {
    routes::router().with_state(lab).route(
        "/ocpp/openapi.json",
        axum::routing::get(|| async { axum::Json(openapi()) }),
    )
}
