//! `Application::build` binds the listeners (port 0 allowed), opens and migrates the database,
//! creates the first admin, and wires store -> core -> gateway and api. `run_until_stopped`
//! serves until the shutdown future completes, then closes every charger socket with a Close
//! frame, finishes the queued writes and returns. Tests use exactly this path.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use std::future::IntoFuture;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use voltgate_core::command_service::CommandService;
use voltgate_core::load_control::{LoadController, LoadEvents};
use voltgate_core::ocpp_service::{OcppService, OcppSettings};
use voltgate_core::writer::{batch_channel, BatchWriter};
use voltgate_core::{Metrics, Store, SystemClock};
use voltgate_gateway::{Gateway, GatewayConfig, GatewayLink};
use voltgate_store::Db;

use crate::bootstrap;
use crate::config::{BootPolicy, Config};

/// A built, not yet running Voltgate.
pub struct Application {
    api_listener: TcpListener,
    ocpp_listener: TcpListener,
    api_addr: SocketAddr,
    ocpp_addr: SocketAddr,
    db: Db,
    gateway: Gateway,
    api_state: voltgate_api::ApiState,
    lab: voltgate_lab::Lab,
    writer: BatchWriter,
    load_task: tokio::task::JoinHandle<()>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    admin_token: Option<String>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("api", &self.api_addr)
            .field("ocpp", &self.ocpp_addr)
            .finish_non_exhaustive()
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        if config.nats_url.is_some() {
            anyhow::bail!(
                "cluster mode (--nats-url / VOLTGATE_NATS_URL) is not available in this release yet; \
                 run a single node without it"
            );
        }
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "could not create the data directory {}",
                config.data_dir.display()
            )
        })?;
        voltgate_ocpp::precompile_schemas(voltgate_ocpp::OcppVersion::V16)
            .context("the embedded OCPP schemas do not compile")?;

        let db = Db::connect(&config.database_url).await.with_context(|| {
            format!(
                "could not open the database {}",
                redact(&config.database_url)
            )
        })?;
        db.migrate()
            .await
            .context("could not migrate the database")?;
        let store: Arc<dyn Store> = Arc::new(db.clone());
        let stale = store
            .reset_connections(time::OffsetDateTime::now_utc())
            .await?;
        if stale > 0 {
            tracing::info!(
                chargers = stale,
                "marked chargers offline that were online when Voltgate last stopped"
            );
        }
        let boot = bootstrap::ensure_admin(store.as_ref(), &config).await?;

        let metrics = Arc::new(Metrics::default());
        let (batch, writer) = batch_channel(store.clone(), metrics.clone(), 16_384);
        let settings = OcppSettings {
            heartbeat_interval_seconds: config.heartbeat_interval,
        };
        // Sessions, meter values and connections reach the load controller through these.
        let (load_events, load_receiver) = LoadEvents::channel();
        let service = Arc::new(
            OcppService::new(store.clone(), batch, Arc::new(SystemClock), settings)
                .with_load_events(load_events.clone()),
        );
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        let gateway_config = GatewayConfig {
            auto_register_team_id: if config.auto_register {
                Some(boot.admin_team_id)
            } else {
                None
            },
            ping_interval: config.ping_interval,
            idle_timeout: config.idle_timeout,
            max_messages_per_second: config.max_messages_per_second,
            default_boot_pending: config.boot_policy == BootPolicy::Pending,
            default_licenses: config.default_licenses,
            // What Voltgate sets on a charger it holds in Pending before accepting it.
            provisioning: vec![(
                "HeartbeatInterval".into(),
                config.heartbeat_interval.to_string(),
            )],
            ..GatewayConfig::default()
        };
        let default_licenses = gateway_config.default_licenses;
        let gateway = Gateway::new(
            gateway_config,
            service,
            metrics.clone(),
            shutdown.clone(),
            tracker.clone(),
        );
        // Operator -> api -> core -> (ChargerLink port) -> gateway -> charger.
        let link = Arc::new(GatewayLink::new(gateway.registry().clone()));
        let commands = Arc::new(CommandService::new(store.clone(), link.clone()));
        // Events -> load controller -> (ChargerLink port) -> gateway -> charger.
        let (load, load_task) = LoadController::start(
            store.clone(),
            link,
            Arc::new(SystemClock),
            config.load_control.clone(),
            load_events,
            load_receiver,
        );
        let api_state = voltgate_api::ApiState {
            store,
            metrics,
            default_licenses,
            rate_limiter: Arc::new(voltgate_api::ratelimit::RateLimiter::per_minute(
                config.api_rate_limit,
            )),
            commands,
            load,
        };

        let api_listener = TcpListener::bind(config.api_listen)
            .await
            .with_context(|| {
                format!(
                    "could not listen on {} for the API (is the port in use? set --api-listen)",
                    config.api_listen
                )
            })?;
        let ocpp_listener = TcpListener::bind(config.ocpp_listen)
            .await
            .with_context(|| {
                format!(
                    "could not listen on {} for OCPP (is the port in use? set --ocpp-listen)",
                    config.ocpp_listen
                )
            })?;
        let api_addr = api_listener.local_addr()?;
        let ocpp_addr = ocpp_listener.local_addr()?;
        // Operator -> lab -> core; its simulated chargers reach the gateway over real sockets.
        let lab = voltgate_lab::Lab::new(voltgate_lab::LabConfig {
            store: api_state.store.clone(),
            local_ocpp: ocpp_addr,
            default_licenses,
            settings: config.lab.clone(),
        });
        if config.demo {
            crate::demo::ensure(&lab, api_state.store.as_ref(), boot.admin_team_id)
                .await
                .context("could not set up the demo site")?;
        }
        Ok(Self {
            api_listener,
            ocpp_listener,
            api_addr,
            ocpp_addr,
            db,
            gateway,
            api_state,
            lab,
            writer,
            load_task,
            shutdown,
            tracker,
            admin_token: boot.new_token,
        })
    }

    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    pub fn ocpp_addr(&self) -> SocketAddr {
        self.ocpp_addr
    }

    /// The admin token, when this start created it (first start on an empty database).
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// The live charger connections (for tests and, later, the command path).
    pub fn registry(&self) -> voltgate_gateway::Registry {
        self.gateway.registry().clone()
    }

    /// Serves until `stop` completes, then shuts down gracefully.
    pub async fn run_until_stopped(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            api_listener,
            ocpp_listener,
            api_addr,
            ocpp_addr,
            db,
            gateway,
            api_state,
            lab,
            writer,
            load_task,
            shutdown,
            tracker,
            ..
        } = self;
        tracing::info!(api = %api_addr, ocpp = %ocpp_addr, "listening: REST API on http://{api_addr}/api/v3, docs on http://{api_addr}/docs, chargers connect to ws://{ocpp_addr}/<identity>");

        let writer_stop = CancellationToken::new();
        let writer_task = tokio::spawn(writer.run(writer_stop.clone().cancelled_owned()));

        let stop_signal = shutdown.clone();
        let stopping_lab = lab.clone();
        tokio::spawn(async move {
            stop.await;
            tracing::info!("shutting down: closing charger connections and finishing writes");
            // Simulated chargers first: their sessions end while the gateway still listens.
            stopping_lab.shutdown().await;
            stop_signal.cancel();
        });

        let routes = voltgate_api::router(api_state).merge(voltgate_lab::router(lab.clone()));
        let api = axum::serve(api_listener, routes)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        let ocpp = axum::serve(
            ocpp_listener,
            voltgate_gateway::router(gateway).into_make_service(),
        )
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        // Simulated chargers that were running start again, now that the listeners are bound.
        tokio::spawn(async move {
            if let Err(error) = lab.resume().await {
                tracing::error!(%error, "could not start the simulated chargers again");
            }
        });
        let (api_result, ocpp_result) = tokio::join!(api.into_future(), ocpp.into_future());
        api_result.context("the API server failed")?;
        ocpp_result.context("the OCPP server failed")?;

        tracker.close();
        if tokio::time::timeout(Duration::from_secs(10), tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some charger connections did not close within 10 s");
        }
        load_task.abort();
        writer_stop.cancel();
        if tokio::time::timeout(Duration::from_secs(30), writer_task)
            .await
            .is_err()
        {
            tracing::error!("queued writes did not finish within 30 s");
        }
        db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_database_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
