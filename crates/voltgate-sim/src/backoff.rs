//! Exponential back-off with jitter, for reconnecting after a dropped connection.
//!
//! When a central system restarts, every charger loses its connection at the same moment; if they
//! all came back after the same delay the server would face a second boot storm. Each delay is
//! `initial × multiplier^attempt`, capped at `max`, then shortened by a random fraction of up to
//! `jitter` so the reconnections spread out.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How to wait between reconnection attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay before the first attempt.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The factor between two successive delays (at least 1).
    pub multiplier: f64,
    /// The largest random fraction taken off a delay, from 0 (none) to 1.
    pub jitter: f64,
}

impl Default for Backoff {
    /// 1 s, doubling up to 60 s, up to 30 % jitter.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            multiplier: 2.0,
            jitter: 0.3,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (from 0), given a random number in `[0, 1)`.
    pub fn delay_with(&self, attempt: u32, random: f64) -> Duration {
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        let base = self.initial.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        let capped = base.min(self.max.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        Duration::from_secs_f64(capped * (1.0 - jitter))
    }

    /// The delay before attempt `attempt` (from 0), with fresh jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, random_unit())
    }
}

/// A pseudo-random number in `[0, 1)`, good enough to spread reconnections (not for secrets).
pub(crate) fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    // The top 53 bits fill an f64 mantissa exactly.
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
            multiplier: 2.0,
            jitter: 0.5,
        };
        let delays: Vec<_> = (0..5).map(|n| backoff.delay_with(n, 0.0)).collect();
        let millis: Vec<_> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [100, 200, 400, 500, 500]);
        assert_eq!(backoff.delay_with(1, 1.0), Duration::from_millis(100));
        assert_eq!(
            backoff.delay_with(u32::MAX, 0.0),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn random_delays_stay_within_the_jitter() {
        let backoff = Backoff::default();
        let delays: Vec<_> = (0..100).map(|_| backoff.delay(0)).collect();
        assert!(delays.iter().all(|d| *d >= Duration::from_millis(700)));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(1)));
        assert!(delays.iter().any(|d| *d != delays[0]), "no jitter at all");
    }
}
