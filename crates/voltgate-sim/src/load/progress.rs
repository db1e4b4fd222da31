//! The live progress line a load run prints on stderr every second.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::stats::{Phase, Stats};

/// Prints a progress line every second until `done` is cancelled.
pub(crate) async fn report(stats: Arc<Stats>, count: u32, done: CancellationToken) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    let mut last_answered = 0;
    loop {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let phase = stats.phase();
        let answered: u64 = [Phase::Ramp, Phase::Measured, Phase::Teardown]
            .iter()
            .map(|p| stats.of(*p).answered.load(Ordering::Relaxed))
            .sum();
        let current = stats.of(phase);
        eprintln!(
            "[{:>5.0}s] {:<8} connected {}/{} booted {} | sent {} answered {} callerror {} failed {} | {} msg/s, p99 {:.1} ms",
            stats.started.elapsed().as_secs_f64(),
            match phase {
                Phase::Ramp => "ramp",
                Phase::Measured => "measure",
                Phase::Teardown => "teardown",
            },
            stats.connected.load(Ordering::Relaxed),
            count,
            stats.booted.load(Ordering::Relaxed),
            current.sent.load(Ordering::Relaxed),
            current.answered.load(Ordering::Relaxed),
            current.call_errors.load(Ordering::Relaxed),
            current.failures.load(Ordering::Relaxed),
            answered - last_answered,
            current.latency.quantile_us(0.99) as f64 / 1000.0,
        );
        last_answered = answered;
    }
}
