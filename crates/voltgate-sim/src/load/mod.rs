//! The load runner behind `voltgate sim`: many simulated chargers in one process.
//!
//! [`run`] resolves the URL once, spawns one task per charger (see `charger.rs`) at the ramp's
//! pace and concurrency, waits until every charger has booted or failed, then runs the measured
//! phase for `--duration` seconds and stops every charger. Counters are shared atomics (see
//! `stats.rs`); a progress line goes to stderr every second and the [`Summary`] to stdout.

mod args;
mod charger;
mod histogram;
mod progress;
mod scenario;
mod stats;
mod summary;

use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use args::{Scenario, SimArgs};
pub use summary::{LatencySummary, Summary};

use crate::config::ChargerConfig;
use crate::configuration::Configuration;
use crate::handler::DefaultHandler;
use crate::transport::Endpoint;
use charger::RunContext;
use stats::{Phase, Stats};

/// The marker line printed on stderr when the measured phase starts.
pub const MEASURE_START_MARKER: &str = "voltgate-sim: measure-start";
/// The marker line printed on stderr when the measured phase ends.
pub const MEASURE_END_MARKER: &str = "voltgate-sim: measure-end";

/// Runs a load run until done or Ctrl-C, prints the summary on stdout and returns it.
pub async fn run(args: SimArgs) -> anyhow::Result<Summary> {
    let interrupted = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling: never interrupted.
            std::future::pending::<()>().await;
        }
    };
    run_until(args, interrupted).await
}

/// Like [`run`], ending early (with a summary) when `shutdown` completes.
pub async fn run_until(
    args: SimArgs,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<Summary> {
    args.validate().map_err(anyhow::Error::msg)?;
    let endpoint = Endpoint::resolve(&args.url)
        .await
        .with_context(|| format!("cannot use --url {}", args.url))?;
    if args.source_addresses > 1 && endpoint.addr().ip() != IpAddr::from([127, 0, 0, 1]) {
        anyhow::bail!("--source-addresses above 1 needs a URL on 127.0.0.1");
    }
    let stats = Arc::new(Stats::new());
    let boot_config = ChargerConfig::new(&args.url, "");
    let ctx = Arc::new(RunContext {
        endpoint,
        identity_prefix: args.identity_prefix.clone(),
        password: args.password.clone(),
        connectors: args.connectors,
        scenario: args.scenario,
        period: (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate)),
        heartbeat_override: args.heartbeat_interval.map(Duration::from_secs_f64),
        id_tag: args.id_tag.as_str().into(),
        call_timeout: Duration::from_secs_f64(args.call_timeout),
        source_addresses: args.source_addresses,
        handler: Arc::new(DefaultHandler),
        configuration: Configuration::ocpp16_defaults(args.connectors),
        boot_request: boot_config.boot_notification(),
        stats: Arc::clone(&stats),
        measure: CancellationToken::new(),
        stop: CancellationToken::new(),
    });
    let progress_done = CancellationToken::new();
    if !args.quiet {
        let report = progress::report(Arc::clone(&stats), args.count, progress_done.clone());
        tokio::spawn(report);
    }
    let tracker = TaskTracker::new();
    let spawner = tokio::spawn(spawn_chargers(
        args.count,
        args.concurrency,
        args.ramp,
        Arc::clone(&ctx),
        tracker.clone(),
    ));

    tokio::pin!(shutdown);
    let all_settled = async {
        while stats.settled.load(Ordering::Relaxed) < u64::from(args.count) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let mut interrupted = tokio::select! {
        _ = all_settled => false,
        _ = &mut shutdown => true,
    };
    let ramp_secs = stats.started.elapsed().as_secs_f64();
    let connected = stats.connected.load(Ordering::Relaxed);

    eprintln!("{MEASURE_START_MARKER}");
    stats.set_phase(Phase::Measured);
    ctx.measure.cancel();
    let measure_start = Instant::now();
    if !interrupted {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs_f64(args.duration)) => {}
            _ = &mut shutdown => interrupted = true,
        }
    }
    stats.set_phase(Phase::Teardown);
    let measured_secs = measure_start.elapsed().as_secs_f64();
    let connected_at_end = stats.connected.load(Ordering::Relaxed);
    eprintln!("{MEASURE_END_MARKER}");

    if !interrupted && args.hold > 0.0 {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs_f64(args.hold)) => {}
            _ = &mut shutdown => {}
        }
    }
    ctx.stop.cancel();
    spawner.await.context("the charger spawner panicked")?;
    tracker.close();
    let grace = ctx.call_timeout + Duration::from_secs(5);
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        tracing::warn!(?grace, "some chargers did not close in time");
    }
    progress_done.cancel();

    let facts = summary::RunFacts {
        url: args.url.clone(),
        scenario: args.scenario,
        rate: args.rate,
        count: args.count,
        connected,
        connected_at_end,
        ramp_secs,
        measured_secs,
    };
    let summary = Summary::new(facts, &stats);
    if args.json {
        println!("{}", summary.to_json());
    } else {
        println!("{summary}");
    }
    Ok(summary)
}

/// Spawns the chargers at the ramp's pace, at most `concurrency` connecting at once.
async fn spawn_chargers(
    count: u32,
    concurrency: u32,
    ramp: u32,
    ctx: Arc<RunContext>,
    tracker: TaskTracker,
) {
    let semaphore = Arc::new(Semaphore::new(concurrency as usize));
    let pace = (ramp > 0).then(|| Duration::from_secs_f64(1.0 / f64::from(ramp)));
    let start = Instant::now();
    for index in 1..=count {
        if let Some(pace) = pace {
            let due = start + pace.mul_f64(f64::from(index - 1));
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = ctx.stop.cancelled() => return,
            }
        }
        let permit = tokio::select! {
            permit = Arc::clone(&semaphore).acquire_owned() => permit,
            _ = ctx.stop.cancelled() => return,
        };
        let Ok(permit) = permit else {
            return; // The semaphore is never closed.
        };
        tracker.spawn(charger::run(index, Arc::clone(&ctx), permit));
    }
}
