//! Counters of a load run, shared by every simulated charger through atomics.
//!
//! A run has three phases: the ramp (connect, boot, report status), the measured phase (the
//! scenario's traffic, which the summary reports) and the teardown (stopping transactions,
//! closing). Each CALL is counted in the phase it was sent in, so boot traffic does not pollute
//! the messages-per-second figure and closing traffic does not pollute the latencies.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::histogram::Histogram;
use crate::error::SimError;
use crate::peer::CallObserver;

/// The phases of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    Ramp = 0,
    Measured = 1,
    Teardown = 2,
}

/// Counters of the CALLs of one phase.
pub(crate) struct PhaseStats {
    pub(crate) sent: AtomicU64,
    pub(crate) answered: AtomicU64,
    pub(crate) call_errors: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) latency: Histogram,
}

impl PhaseStats {
    fn new() -> Self {
        PhaseStats {
            sent: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            call_errors: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            latency: Histogram::new(),
        }
    }
}

/// Everything a run counts.
pub(crate) struct Stats {
    pub(crate) started: Instant,
    phase: AtomicU8,
    /// WebSockets open now.
    pub(crate) connected: AtomicU64,
    /// Chargers whose BootNotification was accepted.
    pub(crate) booted: AtomicU64,
    pub(crate) connect_failures: AtomicU64,
    pub(crate) boot_failures: AtomicU64,
    /// Connections lost after boot.
    pub(crate) disconnects: AtomicU64,
    /// Chargers done with their ramp (booted or failed).
    pub(crate) settled: AtomicU64,
    /// Microseconds from `started` to the first connection attempt, plus one (0 = none yet).
    first_attempt_us: AtomicU64,
    /// Microseconds from `started` to the latest accepted BootNotification.
    last_boot_us: AtomicU64,
    phases: [PhaseStats; 3],
}

impl Stats {
    pub(crate) fn new() -> Self {
        Stats {
            started: Instant::now(),
            phase: AtomicU8::new(Phase::Ramp as u8),
            connected: AtomicU64::new(0),
            booted: AtomicU64::new(0),
            connect_failures: AtomicU64::new(0),
            boot_failures: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            settled: AtomicU64::new(0),
            first_attempt_us: AtomicU64::new(0),
            last_boot_us: AtomicU64::new(0),
            phases: [PhaseStats::new(), PhaseStats::new(), PhaseStats::new()],
        }
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    pub(crate) fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Ramp,
            1 => Phase::Measured,
            _ => Phase::Teardown,
        }
    }

    pub(crate) fn of(&self, phase: Phase) -> &PhaseStats {
        &self.phases[phase as usize]
    }

    pub(crate) fn connection_attempted(&self) {
        let us = self.micros_since_start().saturating_add(1);
        // Only the first attempt sets it.
        let _ = self
            .first_attempt_us
            .compare_exchange(0, us, Ordering::Relaxed, Ordering::Relaxed);
    }

    pub(crate) fn boot_accepted(&self) {
        self.booted.fetch_add(1, Ordering::Relaxed);
        self.last_boot_us
            .fetch_max(self.micros_since_start(), Ordering::Relaxed);
    }

    /// From the first connection attempt to the latest accepted BootNotification.
    pub(crate) fn boot_storm(&self) -> Duration {
        let first = self
            .first_attempt_us
            .load(Ordering::Relaxed)
            .saturating_sub(1);
        let last = self.last_boot_us.load(Ordering::Relaxed);
        Duration::from_micros(last.saturating_sub(first))
    }

    fn micros_since_start(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

impl CallObserver for Stats {
    /// Counts the CALL in the current phase; its answer will count in the same phase.
    fn sent(&self) -> usize {
        let phase = self.phase() as usize;
        self.phases[phase].sent.fetch_add(1, Ordering::Relaxed);
        phase
    }

    fn finished(&self, phase: usize, elapsed: Duration, result: &Result<Value, SimError>) {
        let phase = &self.phases[phase];
        match result {
            Ok(_) => {}
            Err(SimError::CallError { .. }) => {
                phase.call_errors.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                phase.failures.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        phase.answered.fetch_add(1, Ordering::Relaxed);
        phase.latency.record(elapsed);
    }
}
