//! A lock-free latency histogram with fixed logarithmic buckets.
//!
//! A hundred thousand chargers record into one histogram, so recording is a couple of relaxed
//! atomic adds and nothing is allocated after creation. Values are microseconds. Below 8 µs each
//! value has its own bucket; above, every power of two is split into 8 buckets, so a reported
//! percentile is at most 12.5 % above the true value (the bucket's upper bound is reported, capped
//! at the largest value seen).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// Sub-buckets per power of two (2^SUB_BITS).
const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;
/// Enough buckets for any u64.
const BUCKETS: usize = ((64 - SUB_BITS + 1) * SUB as u32) as usize;

/// A latency histogram.
pub(crate) struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_us: AtomicU64,
    max_us: AtomicU64,
}

/// Percentiles of a histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// How many values were recorded.
    pub count: u64,
    /// The mean.
    pub mean_ms: f64,
    /// The median.
    pub p50_ms: f64,
    /// The 95th percentile.
    pub p95_ms: f64,
    /// The 99th percentile.
    pub p99_ms: f64,
    /// The largest value.
    pub max_ms: f64,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
        }
    }

    pub(crate) fn record(&self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.buckets[bucket_of(us)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    /// The value (µs) at quantile `q` in `[0, 1]`; 0 when empty.
    pub(crate) fn quantile_us(&self, q: f64) -> u64 {
        let count = self.count.load(Ordering::Relaxed);
        if count == 0 {
            return 0;
        }
        // The rank of the wanted value, from 1.
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, bucket) in self.buckets.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= rank {
                return upper_bound(index).min(self.max_us.load(Ordering::Relaxed));
            }
        }
        self.max_us.load(Ordering::Relaxed)
    }

    pub(crate) fn summary(&self) -> LatencySummary {
        let count = self.count.load(Ordering::Relaxed);
        let ms = |us: u64| us as f64 / 1000.0;
        let mean_us = self
            .sum_us
            .load(Ordering::Relaxed)
            .checked_div(count)
            .unwrap_or(0);
        LatencySummary {
            count,
            mean_ms: ms(mean_us),
            p50_ms: ms(self.quantile_us(0.50)),
            p95_ms: ms(self.quantile_us(0.95)),
            p99_ms: ms(self.quantile_us(0.99)),
            max_ms: ms(self.max_us.load(Ordering::Relaxed)),
        }
    }
}

fn bucket_of(us: u64) -> usize {
    if us < SUB {
        return us as usize;
    }
    let exponent = 63 - us.leading_zeros(); // floor(log2(us)) >= SUB_BITS
    let sub = (us >> (exponent - SUB_BITS)) & (SUB - 1);
    ((exponent - SUB_BITS + 1) as u64 * SUB + sub) as usize
}

fn upper_bound(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB {
        return index;
    }
    let exponent = (index / SUB) as u32 + SUB_BITS - 1;
    let sub = index % SUB;
    let width = 1u64 << (exponent - SUB_BITS);
    ((SUB + sub) << (exponent - SUB_BITS)).saturating_add(width - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_bound_their_values() {
        for us in [
            0,
            1,
            7,
            8,
            15,
            16,
            17,
            1000,
            123_456,
            u64::MAX / 2,
            u64::MAX,
        ] {
            let index = bucket_of(us);
            assert!(index < BUCKETS, "{us}");
            assert!(upper_bound(index) >= us, "{us} above bucket {index}");
            assert!(upper_bound(index) as f64 <= us as f64 * 1.125 + 1.0, "{us}");
            if index > 0 {
                assert!(upper_bound(index - 1) < us, "{us} fits a lower bucket");
            }
        }
    }

    #[test]
    fn quantiles_are_within_the_bucket_precision() {
        let histogram = Histogram::new();
        for ms in 1..=100u64 {
            histogram.record(Duration::from_millis(ms));
        }
        let summary = histogram.summary();
        assert_eq!(summary.count, 100);
        assert!((50.0..=56.25).contains(&summary.p50_ms), "{summary:?}");
        assert!((99.0..=100.0).contains(&summary.p99_ms), "{summary:?}");
        assert_eq!(summary.max_ms, 100.0);
        assert!((summary.mean_ms - 50.5).abs() < 0.01, "{summary:?}");
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        assert_eq!(Histogram::new().summary(), LatencySummary::default());
    }
}
