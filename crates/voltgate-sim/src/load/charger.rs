//! One charger of a load run: a single task from connection to close.
//!
//! The task connects (from its share of the source addresses), boots, reports its connectors and
//! counts itself settled; then it answers the central system and, once the measured phase starts,
//! sends its scenario's traffic at the configured rate, starting at a random offset so the
//! chargers do not all send in the same millisecond. It keeps no log and no per-charger buffers
//! beyond the socket's own, so a process can hold a hundred thousand of them.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::args::Scenario;
use super::scenario::Traffic;
use super::stats::Stats;
use crate::backoff::random_unit;
use crate::clock::sleep_until;
use crate::configuration::Configuration;
use crate::error::SimError;
use crate::handler::CsmsHandler;
use crate::messages;
use crate::peer::{CallObserver, Peer};
use crate::startup;
use crate::transport::{self, Endpoint, Ws};
use crate::types::{ChargePointErrorCode, ChargePointStatus};

/// What every charger of a run shares.
pub(crate) struct RunContext {
    pub(crate) endpoint: Endpoint,
    pub(crate) identity_prefix: String,
    pub(crate) password: Option<String>,
    pub(crate) connectors: u32,
    pub(crate) scenario: Scenario,
    /// Time between two scenario messages; `None` sends none.
    pub(crate) period: Option<Duration>,
    pub(crate) heartbeat_override: Option<Duration>,
    pub(crate) id_tag: Arc<str>,
    pub(crate) call_timeout: Duration,
    pub(crate) source_addresses: u32,
    pub(crate) handler: Arc<dyn CsmsHandler>,
    pub(crate) configuration: Configuration,
    pub(crate) boot_request: Value,
    pub(crate) stats: Arc<Stats>,
    /// Cancelled when the measured phase starts.
    pub(crate) measure: CancellationToken,
    /// Cancelled when the chargers must stop and close.
    pub(crate) stop: CancellationToken,
}

impl RunContext {
    /// The local address charger `index` connects from.
    fn source_address(&self, index: u32) -> Option<IpAddr> {
        if self.source_addresses <= 1 {
            return None;
        }
        let first = u32::from(Ipv4Addr::LOCALHOST);
        Some(IpAddr::V4(Ipv4Addr::from(
            first + index % self.source_addresses,
        )))
    }
}

/// Runs charger `index` until the run stops or its connection fails.
pub(crate) async fn run(index: u32, ctx: Arc<RunContext>, permit: OwnedSemaphorePermit) {
    let identity: Arc<str> = format!("{}{index}", ctx.identity_prefix).into();
    let ramped = tokio::select! {
        // Boxed so the ramp's state is freed once booted (the task keeps only what it needs).
        ramped = Box::pin(ramp(index, &identity, &ctx)) => ramped,
        _ = ctx.stop.cancelled() => None,
    };
    ctx.stats.settled.fetch_add(1, Ordering::Relaxed);
    drop(permit);
    let Some((mut peer, mut ws, server_interval, steps)) = ramped else {
        return;
    };
    match traffic(&ctx, &mut peer, &mut ws, server_interval, steps).await {
        Ok(()) => {
            // Best effort: the run is over and the server may be gone.
            let _ = ws.close(None).await;
        }
        Err(error) => {
            tracing::debug!(charger.identity = %identity, %error, "connection lost");
            ctx.stats.disconnects.fetch_add(1, Ordering::Relaxed);
        }
    }
    ctx.stats.connected.fetch_sub(1, Ordering::Relaxed);
}

/// Connects, boots and reports the connectors (and, in the metervalues scenario, opens the
/// transaction, so the measured phase is MeterValues alone); `None` (counted) when that fails.
async fn ramp(
    index: u32,
    identity: &Arc<str>,
    ctx: &RunContext,
) -> Option<(Peer, Ws, u64, Traffic)> {
    let stats = &ctx.stats;
    stats.connection_attempted();
    let source = ctx.source_address(index);
    let password = ctx.password.as_deref();
    let opened = transport::open(&ctx.endpoint, identity, password, source, ctx.call_timeout);
    let mut ws = match opened.await {
        Ok(ws) => ws,
        Err(error) => {
            tracing::debug!(charger.identity = %identity, %error, "cannot connect");
            stats.connect_failures.fetch_add(1, Ordering::Relaxed);
            return None;
        }
    };
    stats.connected.fetch_add(1, Ordering::Relaxed);
    let observer: Arc<dyn CallObserver> = Arc::clone(stats) as Arc<dyn CallObserver>;
    let mut peer = Peer::new(
        Arc::clone(identity),
        ctx.connectors,
        Arc::clone(&ctx.handler),
        ctx.configuration.clone(),
        None,
        ctx.call_timeout,
    )
    .with_observer(observer);
    let booted = async {
        let boot = startup::boot(&mut peer, &mut ws, &ctx.boot_request).await?;
        stats.boot_accepted();
        for connector in 0..=ctx.connectors {
            let payload = messages::status_notification(
                connector,
                ChargePointStatus::Available,
                ChargePointErrorCode::NoError,
            );
            peer.call(&mut ws, "StatusNotification", payload).await?;
        }
        let mut traffic = Traffic::new(ctx.scenario, Arc::clone(&ctx.id_tag), Instant::now());
        if ctx.scenario == Scenario::Metervalues {
            let (action, payload) = traffic.next_call(Instant::now());
            let result = peer.call(&mut ws, action, payload).await;
            traffic.on_result(action, &result, Instant::now());
            result?;
        }
        Ok::<_, SimError>((boot.interval, traffic))
    };
    match booted.await {
        Ok((interval, traffic)) => Some((peer, ws, interval, traffic)),
        Err(error) => {
            tracing::debug!(charger.identity = %identity, %error, "boot failed");
            stats.boot_failures.fetch_add(1, Ordering::Relaxed);
            stats.connected.fetch_sub(1, Ordering::Relaxed);
            let _ = ws.close(None).await;
            None
        }
    }
}

/// Answers the central system and sends the scenario's traffic until the run stops.
async fn traffic(
    ctx: &RunContext,
    peer: &mut Peer,
    ws: &mut Ws,
    server_interval: u64,
    mut traffic: Traffic,
) -> Result<(), SimError> {
    let idle_period = ctx
        .heartbeat_override
        .or((server_interval > 0).then(|| Duration::from_secs(server_interval)));
    let period = match ctx.scenario {
        Scenario::Idle => idle_period,
        _ => ctx.period,
    };
    let mut next_tick = match ctx.scenario {
        Scenario::Idle => period.map(|every| Instant::now() + every),
        _ => None,
    };
    let mut measuring = false;
    loop {
        tokio::select! {
            biased;
            _ = ctx.stop.cancelled() => break,
            _ = ctx.measure.cancelled(), if !measuring => {
                measuring = true;
                if ctx.scenario != Scenario::Idle {
                    next_tick = period.map(|every| Instant::now() + every.mul_f64(random_unit()));
                }
            }
            message = ws.next() => match message {
                None => return Err(SimError::Disconnected("connection closed".into())),
                Some(Err(e)) => return Err(SimError::Disconnected(e.to_string())),
                Some(Ok(message)) => {
                    Box::pin(peer.handle_message(ws, message)).await?;
                }
            },
            _ = sleep_until(next_tick) => {
                let (action, payload) = traffic.next_call(Instant::now());
                // Boxed: a call's state exists only while it runs, not in every idle charger.
                let result = Box::pin(peer.call(ws, action, payload)).await;
                let now = Instant::now();
                traffic.on_result(action, &result, now);
                if let Err(SimError::Disconnected(reason)) = result {
                    return Err(SimError::Disconnected(reason));
                }
                // Keep the pace, but do not burst to catch up after a slow answer.
                next_tick = next_tick.zip(period).map(|(last, every)| (last + every).max(now));
            }
        }
    }
    if let Some((action, payload)) = traffic.stop(Instant::now()) {
        let result = Box::pin(peer.call(ws, action, payload)).await;
        traffic.on_result(action, &result, Instant::now());
    }
    Ok(())
}
