//! [`SimCharger`]: one simulated OCPP 1.6J charger, driven from tests or the simulator runtime.
//!
//! [`SimCharger::connect`] opens the WebSocket, boots and reports every connector `Available`,
//! then hands the socket to a connection task (see `task.rs`). The handle is cheap to clone; its
//! methods send CALLs through the task, which keeps one outstanding CALL at a time, heartbeats at
//! the interval the central system returned, and answers the central system's CALLs with the
//! [`CsmsHandler`]. Connector state (status, transaction, meter, EV) lives beside the task so the
//! typed methods can keep it in step with what was sent.

mod operations;
mod task;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::ChargerConfig;
use crate::configuration::Configuration;
use crate::connector::ConnectorState;
use crate::error::SimError;
use crate::handler::{CsmsHandler, DefaultHandler};
use crate::log::{FrameLog, LoggedFrame};
use crate::messages::{self, BootNotificationResponse};
use crate::meter::SampledValue;
use crate::peer::Peer;
use crate::startup;
use crate::transport::{self, Endpoint};
use crate::types::{ChargePointErrorCode, ChargePointStatus};
use task::{Command, Task};

/// How many commands may wait for the connection task.
const COMMAND_QUEUE: usize = 32;

/// A simulated charger with an open OCPP 1.6J connection (a cheap, cloneable handle).
#[derive(Clone)]
pub struct SimCharger {
    inner: Arc<Inner>,
}

struct Inner {
    identity: String,
    connectors: u32,
    heartbeat_override: Option<Duration>,
    boot: BootNotificationResponse,
    log: Arc<FrameLog>,
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
    cancel: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// State shared by the handles and the connection task.
pub(crate) struct Shared {
    connected: AtomicBool,
    reconnections: AtomicU64,
    connectors: Mutex<Vec<ConnectorState>>,
    configuration: Arc<Mutex<Configuration>>,
}

impl Shared {
    fn connectors(&self) -> MutexGuard<'_, Vec<ConnectorState>> {
        self.connectors.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn configuration(&self) -> Configuration {
        self.configuration
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn statuses(&self) -> Vec<(u32, ChargePointStatus, ChargePointErrorCode)> {
        (0u32..)
            .zip(self.connectors().iter())
            .map(|(id, c)| (id, c.status, c.error_code))
            .collect()
    }
}

impl SimCharger {
    /// Connects, boots and reports every connector `Available`, answering CSMS calls with the
    /// [`DefaultHandler`].
    pub async fn connect(config: ChargerConfig) -> Result<SimCharger, SimError> {
        Self::connect_with_handler(config, DefaultHandler).await
    }

    /// Like [`SimCharger::connect`], answering CSMS calls with `handler`.
    pub async fn connect_with_handler(
        config: ChargerConfig,
        handler: impl CsmsHandler,
    ) -> Result<SimCharger, SimError> {
        if config.connectors == 0 {
            return Err(SimError::Invalid(
                "a charger needs at least one connector".into(),
            ));
        }
        let span = tracing::info_span!("charger", charger.identity = %config.identity);
        let log = Arc::new(FrameLog::new(config.log_capacity));
        let mut peer = Peer::new(
            Arc::from(config.identity.as_str()),
            config.connectors,
            Arc::new(handler),
            Configuration::ocpp16_defaults(config.connectors),
            Some(Arc::clone(&log)),
            config.call_timeout,
        );
        let endpoint = Endpoint::resolve(&config.url).await?;
        let password = config.password.as_deref();
        let timeout = config.call_timeout;
        let open = transport::open(
            &endpoint,
            &config.identity,
            password,
            config.source_address,
            timeout,
        );
        let mut ws = open.instrument(span.clone()).await?;
        let boot = startup::boot(&mut peer, &mut ws, &config.boot_notification())
            .instrument(span.clone())
            .await?;
        if boot.interval > 0 {
            let configuration = peer.configuration();
            let mut configuration = configuration.lock().unwrap_or_else(|p| p.into_inner());
            configuration.set_local("HeartbeatInterval", &boot.interval.to_string());
        }
        let now = Instant::now();
        let connectors = (0..=config.connectors)
            .map(|_| ConnectorState::new(config.max_current_a, now))
            .collect::<Vec<_>>();
        for (id, connector) in (0u32..).zip(&connectors) {
            let payload = messages::status_notification(id, connector.status, connector.error_code);
            peer.call(&mut ws, "StatusNotification", payload)
                .instrument(span.clone())
                .await?;
        }
        let shared = Arc::new(Shared {
            connected: AtomicBool::new(true),
            reconnections: AtomicU64::new(0),
            connectors: Mutex::new(connectors),
            configuration: peer.configuration(),
        });
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let cancel = CancellationToken::new();
        let task = Task {
            peer,
            ws,
            config: config.clone(),
            shared: Arc::clone(&shared),
            commands: receiver,
            cancel: cancel.clone(),
            last_sent: Instant::now(),
        };
        let handle = tokio::spawn(task.run().instrument(span));
        Ok(SimCharger {
            inner: Arc::new(Inner {
                identity: config.identity,
                connectors: config.connectors,
                heartbeat_override: config.heartbeat_interval,
                boot,
                log,
                shared,
                commands,
                cancel,
                task: Mutex::new(Some(handle)),
            }),
        })
    }

    /// The charge point identity.
    pub fn identity(&self) -> &str {
        &self.inner.identity
    }

    /// The accepted BootNotification answer.
    pub fn boot_response(&self) -> &BootNotificationResponse {
        &self.inner.boot
    }

    /// Whether the WebSocket is open right now.
    pub fn is_connected(&self) -> bool {
        self.inner.shared.connected.load(Ordering::Relaxed)
    }

    /// How many times the charger reconnected after a dropped connection.
    pub fn reconnections(&self) -> u64 {
        self.inner.shared.reconnections.load(Ordering::Relaxed)
    }

    /// A copy of the configuration keys (changed by ChangeConfiguration and the boot answer).
    pub fn configuration(&self) -> Configuration {
        self.inner.shared.configuration()
    }

    /// The frames sent and received, oldest first (bounded by `log_capacity`).
    pub fn frames(&self) -> Vec<LoggedFrame> {
        self.inner.log.frames()
    }

    /// The frame log itself, e.g. to poll it with [`FrameLog::frames_since`].
    pub fn log(&self) -> Arc<FrameLog> {
        Arc::clone(&self.inner.log)
    }

    /// A snapshot of one connector (0 is the charger itself).
    pub fn connector(&self, connector: u32) -> Option<ConnectorState> {
        let connectors = self.inner.shared.connectors();
        connectors.get(connector as usize).cloned()
    }

    /// The meter register of a connector now, in Wh.
    pub fn meter_wh(&self, connector: u32) -> Result<u64, SimError> {
        self.with_connector(connector, |c| c.meter.register_wh(Instant::now()))
    }

    /// Changes the current per phase a connector's EV draws (e.g. after a charging profile).
    pub fn set_current(&self, connector: u32, current_a: f64) -> Result<(), SimError> {
        self.with_connector(connector, |c| {
            c.meter.set_current(current_a, Instant::now())
        })
    }

    /// The sample set the connector's meter shows now (for [`SimCharger::send_meter_values`]).
    pub fn sampled_values(&self, connector: u32) -> Result<Vec<SampledValue>, SimError> {
        self.with_connector(connector, |c| c.meter.sampled_values(Instant::now()))
    }

    /// Sends any CALL and returns the CALLRESULT payload; a CALLERROR is
    /// [`SimError::CallError`].
    pub async fn call(&self, action: &str, payload: Value) -> Result<Value, SimError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Call {
            action: action.to_owned(),
            payload,
            reply,
        };
        let closed = || SimError::Disconnected("the charger is closed".into());
        self.inner
            .commands
            .send(command)
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Closes the connection with a WebSocket Close frame and waits for the task to end.
    pub async fn close(&self) {
        self.inner.cancel.cancel();
        let handle = self
            .inner
            .task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(handle) = handle {
            // A panicked task has nothing left to close.
            let _ = handle.await;
        }
    }

    /// The heartbeat interval in force: the configured override, else the `HeartbeatInterval`
    /// key (set from the boot answer); `None` when heartbeats are off (interval 0).
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        if let Some(every) = self.inner.heartbeat_override {
            return Some(every);
        }
        let seconds = self.configuration().integer("HeartbeatInterval")?;
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    fn require_outlet(&self, connector: u32) -> Result<(), SimError> {
        if connector == 0 || connector > self.inner.connectors {
            return Err(SimError::Invalid(format!(
                "connector {connector} is not in 1..={}",
                self.inner.connectors
            )));
        }
        Ok(())
    }

    fn with_connector<T>(
        &self,
        connector: u32,
        f: impl FnOnce(&mut ConnectorState) -> T,
    ) -> Result<T, SimError> {
        let mut connectors = self.inner.shared.connectors();
        let state = connectors.get_mut(connector as usize).ok_or_else(|| {
            SimError::Invalid(format!(
                "connector {connector} is not in 0..={}",
                self.inner.connectors
            ))
        })?;
        Ok(f(state))
    }
}

impl std::fmt::Debug for SimCharger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCharger")
            .field("identity", &self.inner.identity)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}
