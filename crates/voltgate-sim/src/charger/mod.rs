//! [`SimCharger`]: one simulated OCPP 1.6J charger, driven from tests or the simulator runtime.
//!
//! [`SimCharger::connect`] opens the WebSocket, boots and reports every connector `Available`,
//! then hands the socket to a connection task (see `task.rs`) and starts an automation task (see
//! `automation.rs`). The handle is cheap to clone; its methods send CALLs through the connection
//! task, which keeps one outstanding CALL at a time, heartbeats at the interval the central system
//! returned, answers the central system's CALLs with the [`CsmsHandler`], queues transaction
//! messages while offline and reboots on request. The physical model ([`Station`]: connectors,
//! EVs, meters, charging profiles) lives beside the tasks so the typed methods (`operations.rs`,
//! the raw OCPP messages) and the session methods (`session.rs`: plug, start, stop, faults) can
//! keep it in step with what was sent.

mod automation;
mod operations;
mod session;
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
use crate::station::Station;
use crate::transport::{self, Endpoint};
use crate::types::{ChargePointErrorCode, ChargePointStatus};
use task::{Command, Delivery, Task};

/// How many commands may wait for the connection task.
const COMMAND_QUEUE: usize = 32;
/// How many effects of CSMS calls may wait for the automation task.
const EFFECT_QUEUE: usize = 64;

/// A simulated charger with an open OCPP 1.6J connection (a cheap, cloneable handle).
#[derive(Clone)]
pub struct SimCharger {
    inner: Arc<Inner>,
}

struct Inner {
    identity: String,
    boot_request: Value,
    connectors: u32,
    heartbeat_override: Option<Duration>,
    log: Arc<FrameLog>,
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Serialises the session methods and the automation, each of which sends several CALLs
    /// that belong together (Authorize, StartTransaction, StatusNotification).
    ops: tokio::sync::Mutex<()>,
}

/// State shared by the handles and the tasks.
pub(crate) struct Shared {
    connected: AtomicBool,
    reconnections: AtomicU64,
    boots: AtomicU64,
    boot: Mutex<BootNotificationResponse>,
    station: Arc<Mutex<Station>>,
    configuration: Arc<Mutex<Configuration>>,
}

impl Shared {
    fn station(&self) -> MutexGuard<'_, Station> {
        self.station.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn configuration(&self) -> Configuration {
        self.configuration
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn statuses(&self) -> Vec<(u32, ChargePointStatus, ChargePointErrorCode)> {
        (0u32..)
            .zip(self.station().connectors.iter())
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
        let log = config
            .frame_log
            .clone()
            .unwrap_or_else(|| Arc::new(FrameLog::new(config.log_capacity)));
        let station = Arc::new(Mutex::new(Station::new(
            config.connectors,
            config.max_current_a,
            Instant::now(),
        )));
        let (effects, effect_receiver) = mpsc::channel(EFFECT_QUEUE);
        let mut configuration = Configuration::ocpp16_defaults(config.connectors);
        for (key, value) in &config.configuration {
            configuration.set_local(key, value);
        }
        let mut peer = Peer::new(
            Arc::from(config.identity.as_str()),
            config.connectors,
            Arc::new(handler),
            configuration,
            Some(Arc::clone(&log)),
            config.call_timeout,
        )
        .with_station(Arc::clone(&station), effects);
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
        for connector in 0..=config.connectors {
            let payload = messages::status_notification(
                connector,
                ChargePointStatus::Available,
                ChargePointErrorCode::NoError,
            );
            peer.call(&mut ws, "StatusNotification", payload)
                .instrument(span.clone())
                .await?;
        }
        let shared = Arc::new(Shared {
            connected: AtomicBool::new(true),
            reconnections: AtomicU64::new(0),
            boots: AtomicU64::new(1),
            boot: Mutex::new(boot),
            station,
            configuration: peer.configuration(),
        });
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let cancel = CancellationToken::new();
        let task = Task::new(
            peer,
            ws,
            config.clone(),
            Arc::clone(&shared),
            receiver,
            cancel.clone(),
        );
        let connection = tokio::spawn(task.run().instrument(span.clone()));
        let inner = Arc::new(Inner {
            boot_request: config.boot_notification(),
            identity: config.identity,
            connectors: config.connectors,
            heartbeat_override: config.heartbeat_interval,
            log,
            shared,
            commands,
            cancel: cancel.clone(),
            tasks: Mutex::new(Vec::new()),
            ops: tokio::sync::Mutex::new(()),
        });
        let automation = automation::run(Arc::downgrade(&inner), effect_receiver, cancel);
        let automation = tokio::spawn(automation.instrument(span));
        inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend([connection, automation]);
        Ok(SimCharger { inner })
    }

    /// The charge point identity.
    pub fn identity(&self) -> &str {
        &self.inner.identity
    }

    /// The last accepted BootNotification answer.
    pub fn boot_response(&self) -> BootNotificationResponse {
        self.inner
            .shared
            .boot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many times the charger booted (1 after connecting, one more per reboot).
    pub fn boots(&self) -> u64 {
        self.inner.shared.boots.load(Ordering::Relaxed)
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

    /// The number of connectors (connector 0, the charger itself, not counted).
    pub fn connector_count(&self) -> u32 {
        self.inner.connectors
    }

    /// A snapshot of one connector (0 is the charger itself).
    pub fn connector(&self, connector: u32) -> Option<ConnectorState> {
        let station = self.inner.shared.station();
        station.connectors.get(connector as usize).cloned()
    }

    /// A snapshot of the whole physical model (connectors, profiles, local list).
    pub fn station(&self) -> Station {
        self.inner.shared.station().clone()
    }

    /// Sets a configuration key as the charger itself would (ignoring `readonly`), e.g. a shorter
    /// `MeterValueSampleInterval`; unknown keys are added.
    pub fn set_configuration(&self, key: &str, value: &str) {
        self.inner
            .shared
            .configuration
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_local(key, value);
    }

    /// The physical state itself, locked: holding several chargers' locks at once gives one
    /// consistent instant across them (tests summing the current of a site). Hold it briefly:
    /// the charger cannot answer the central system meanwhile.
    pub fn lock_station(&self) -> MutexGuard<'_, Station> {
        self.inner.shared.station()
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

    /// Closes the connection with a WebSocket Close frame and waits for the tasks to end.
    pub async fn close(&self) {
        self.inner.cancel.cancel();
        let handles =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in handles {
            // A panicked task has nothing left to close.
            let _ = handle.await;
        }
    }

    /// Sends a transaction message: queued while offline and delivered in order on reconnection.
    async fn transaction_call(
        &self,
        action: &'static str,
        payload: Value,
        local_id: Option<i32>,
    ) -> Result<Delivery, SimError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Transaction {
            action,
            payload,
            local_id,
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

    /// Reboots: closes the connection, reconnects and boots again (waits until booted).
    async fn reboot(&self) -> Result<(), SimError> {
        let (reply, answer) = oneshot::channel();
        let closed = || SimError::Disconnected("the charger is closed".into());
        self.inner
            .commands
            .send(Command::Reboot { reply })
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
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
        let mut station = self.inner.shared.station();
        let state = station
            .connectors
            .get_mut(connector as usize)
            .ok_or_else(|| {
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
