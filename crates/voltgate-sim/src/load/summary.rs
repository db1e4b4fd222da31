//! The result of a load run: what the benchmark reports.

use std::fmt;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::args::Scenario;
pub use super::histogram::LatencySummary;
use super::stats::{Phase, Stats};

/// What a load run measured. Message counts and latencies cover the measured phase only.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The central system's base URL.
    pub url: String,
    /// The scenario run.
    pub scenario: Scenario,
    /// Messages per second per charger asked for.
    pub rate: f64,
    /// Chargers asked for.
    pub count: u32,
    /// Chargers connected when the measured phase started.
    pub connected: u64,
    /// Chargers still connected when the measured phase ended.
    pub connected_at_end: u64,
    /// Chargers whose BootNotification was accepted.
    pub booted: u64,
    /// Chargers that could not open their WebSocket.
    pub connect_failures: u64,
    /// Chargers whose boot (or first StatusNotifications) failed.
    pub boot_failures: u64,
    /// Connections lost after boot.
    pub disconnects: u64,
    /// Seconds from the first connection attempt to the last accepted BootNotification.
    pub boot_storm_secs: f64,
    /// Seconds from the start to the end of the ramp (every charger booted or failed).
    pub ramp_secs: f64,
    /// Latencies of the ramp's CALLs (BootNotification, StatusNotification).
    pub ramp_latency: LatencySummary,
    /// Seconds the measured phase lasted.
    pub measured_secs: f64,
    /// CALLs sent in the measured phase.
    pub sent: u64,
    /// CALLs answered (CALLRESULT or CALLERROR) in the measured phase.
    pub answered: u64,
    /// CALLERROR answers in the measured phase.
    pub call_errors: u64,
    /// CALLs that failed otherwise (timeout, lost connection, bad answer).
    pub failures: u64,
    /// Answered CALLs per second in the measured phase.
    pub messages_per_sec: f64,
    /// Latencies of the measured phase's CALLs.
    pub latency: LatencySummary,
}

/// Facts of the run that the counters do not hold.
pub(crate) struct RunFacts {
    pub(crate) url: String,
    pub(crate) scenario: Scenario,
    pub(crate) rate: f64,
    pub(crate) count: u32,
    pub(crate) connected: u64,
    pub(crate) connected_at_end: u64,
    pub(crate) ramp_secs: f64,
    pub(crate) measured_secs: f64,
}

impl Summary {
    pub(crate) fn new(facts: RunFacts, stats: &Stats) -> Self {
        let measured = stats.of(Phase::Measured);
        let ramp = stats.of(Phase::Ramp);
        let answered = measured.answered.load(Ordering::Relaxed);
        let messages_per_sec = if facts.measured_secs > 0.0 {
            answered as f64 / facts.measured_secs
        } else {
            0.0
        };
        Summary {
            url: facts.url,
            scenario: facts.scenario,
            rate: facts.rate,
            count: facts.count,
            connected: facts.connected,
            connected_at_end: facts.connected_at_end,
            booted: stats.booted.load(Ordering::Relaxed),
            connect_failures: stats.connect_failures.load(Ordering::Relaxed),
            boot_failures: stats.boot_failures.load(Ordering::Relaxed),
            disconnects: stats.disconnects.load(Ordering::Relaxed),
            boot_storm_secs: stats.boot_storm().as_secs_f64(),
            ramp_secs: facts.ramp_secs,
            ramp_latency: ramp.latency.summary(),
            measured_secs: facts.measured_secs,
            sent: measured.sent.load(Ordering::Relaxed),
            answered,
            call_errors: measured.call_errors.load(Ordering::Relaxed),
            failures: measured.failures.load(Ordering::Relaxed),
            messages_per_sec,
            latency: measured.latency.summary(),
        }
    }

    /// The summary as one line of JSON.
    pub fn to_json(&self) -> String {
        // A struct of numbers and strings always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} calls)",
            self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "voltgate sim: {} chargers, scenario {}, {}",
            self.count, self.scenario, self.url
        )?;
        writeln!(
            f,
            "  connected     {} of {} ({} at the end; {} connect failures, {} boot failures, {} disconnects)",
            self.connected,
            self.count,
            self.connected_at_end,
            self.connect_failures,
            self.boot_failures,
            self.disconnects
        )?;
        writeln!(
            f,
            "  boot storm    {:.2} s to {} BootNotification Accepted (ramp {:.2} s)",
            self.boot_storm_secs, self.booted, self.ramp_secs
        )?;
        writeln!(f, "  ramp calls    {}", self.ramp_latency)?;
        writeln!(
            f,
            "  measured      {:.2} s: {} sent, {} answered, {} CALLERROR, {} failed",
            self.measured_secs, self.sent, self.answered, self.call_errors, self.failures
        )?;
        writeln!(f, "  throughput    {:.1} messages/s", self.messages_per_sec)?;
        write!(f, "  latency       {}", self.latency)
    }
}
