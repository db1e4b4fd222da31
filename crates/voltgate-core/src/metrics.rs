//! Process metrics, rendered in the Prometheus text format at `/metrics`.
//!
//! Plain atomics and one small map; the gateway, the API and the store writer update them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A fixed-bucket latency histogram in seconds.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

const LATENCY_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

impl Histogram {
    fn new() -> Self {
        Self {
            bounds: LATENCY_BOUNDS,
            counts: (0..=LATENCY_BOUNDS.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, seconds: f64) {
        let idx = self
            .bounds
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[idx].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[self.bounds.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {}", self.count.load(Ordering::Relaxed));
    }
}

/// All of Voltgate's metrics.
#[derive(Debug)]
pub struct Metrics {
    pub connected_chargers: AtomicU64,
    pub connections_total: AtomicU64,
    pub batch_items_written: AtomicU64,
    pub batch_writes: AtomicU64,
    pub database_latency: Histogram,
    /// OCPP messages by (action, outcome); the gateway passes a fixed set of action labels
    /// (OCPP actions and placeholders), so the map stays small whatever chargers send.
    ocpp_messages: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// API requests by (method, status).
    api_requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            connected_chargers: AtomicU64::new(0),
            connections_total: AtomicU64::new(0),
            batch_items_written: AtomicU64::new(0),
            batch_writes: AtomicU64::new(0),
            database_latency: Histogram::new(),
            ocpp_messages: Mutex::new(BTreeMap::new()),
            api_requests: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Metrics {
    /// Counts one OCPP message; outcome is e.g. `ok`, `callerror`, `ignored`.
    pub fn ocpp_message(&self, action: &'static str, outcome: &'static str) {
        let mut map = self.ocpp_messages.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry((action, outcome)).or_insert(0) += 1;
    }

    pub fn api_request(&self, method: &str, status: u16) {
        let mut map = self.api_requests.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry((method.to_owned(), status)).or_insert(0) += 1;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        };
        gauge(
            &mut out,
            "voltgate_connected_chargers",
            "Chargers with an open OCPP WebSocket.",
            "gauge",
            self.connected_chargers.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "voltgate_ocpp_connections_total",
            "OCPP WebSocket connections accepted.",
            "counter",
            self.connections_total.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "voltgate_batch_items_written_total",
            "Meter values, log frames and heartbeats written by the batch writer.",
            "counter",
            self.batch_items_written.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "voltgate_batch_writes_total",
            "Database transactions committed by the batch writer.",
            "counter",
            self.batch_writes.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP voltgate_ocpp_messages_total OCPP messages received, by action and outcome.\n# TYPE voltgate_ocpp_messages_total counter"
        );
        for ((action, outcome), n) in self
            .ocpp_messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "voltgate_ocpp_messages_total{{action=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(action)
            );
        }
        let _ = writeln!(
            out,
            "# HELP voltgate_api_requests_total REST API requests, by method and status.\n# TYPE voltgate_api_requests_total counter"
        );
        for ((method, status), n) in self
            .api_requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "voltgate_api_requests_total{{method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        self.database_latency.render(
            &mut out,
            "voltgate_database_write_seconds",
            "Time to commit one batch of the batch writer (reports, transaction starts and stops, or log rows).",
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_by_action_and_outcome() {
        let m = Metrics::default();
        m.ocpp_message("Heartbeat", "ok");
        m.ocpp_message("Heartbeat", "ok");
        m.ocpp_message("Bogus\"}", "callerror");
        m.database_latency.observe(0.002);
        let text = m.render();
        assert!(
            text.contains("voltgate_ocpp_messages_total{action=\"Heartbeat\",outcome=\"ok\"} 2")
        );
        assert!(text.contains("action=\"Bogus\",outcome=\"callerror\"} 1"));
        assert!(text.contains("voltgate_database_write_seconds_bucket{le=\"0.0025\"} 1"));
        assert!(text.contains("voltgate_connected_chargers 0"));
    }
}
