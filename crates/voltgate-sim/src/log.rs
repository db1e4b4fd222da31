//! A bounded in-memory log of every OCPP frame a simulated charger sends and receives.
//!
//! Tests read it to check what went over the wire, and the simulator API will serve it as a
//! charger's logs. It keeps the newest `capacity` frames and counts the ones it had to drop, so a
//! long-running simulated charger uses bounded memory. The load runner does not log at all: at a
//! hundred thousand chargers even a small log per charger is too much.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;
use time::OffsetDateTime;

/// Which way a frame travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent by the simulated charger.
    CpToCsms,
    /// Received from the central system.
    CsmsToCp,
}

/// One frame as it went over the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedFrame {
    /// Position in the charger's log, from 0, increasing by one per frame (also across drops).
    pub seq: u64,
    /// Which way it travelled.
    pub direction: Direction,
    /// When it was sent or received.
    #[serde(serialize_with = "crate::clock::serialize_rfc3339")]
    pub at: OffsetDateTime,
    /// The raw text of the WebSocket message.
    pub text: String,
}

/// A bounded, thread-safe frame log.
#[derive(Debug)]
pub struct FrameLog {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    frames: VecDeque<LoggedFrame>,
    next_seq: u64,
}

impl FrameLog {
    /// A log that keeps the newest `capacity` frames.
    pub fn new(capacity: usize) -> Self {
        FrameLog {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Appends a frame, dropping the oldest one when full.
    pub fn record(&self, direction: Direction, text: &str) {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if self.capacity == 0 {
            return;
        }
        if inner.frames.len() == self.capacity {
            inner.frames.pop_front();
        }
        inner.frames.push_back(LoggedFrame {
            seq,
            direction,
            at: OffsetDateTime::now_utc(),
            text: text.to_owned(),
        });
    }

    /// A copy of the frames currently held, oldest first.
    pub fn frames(&self) -> Vec<LoggedFrame> {
        self.lock().frames.iter().cloned().collect()
    }

    /// The frames with `seq >= from`, oldest first (for polling a live log).
    pub fn frames_since(&self, from: u64) -> Vec<LoggedFrame> {
        let inner = self.lock();
        inner
            .frames
            .iter()
            .filter(|frame| frame.seq >= from)
            .cloned()
            .collect()
    }

    /// How many frames were recorded in total, including the ones dropped since.
    pub fn total(&self) -> u64 {
        self.lock().next_seq
    }

    /// Forgets every frame held (sequence numbers keep increasing).
    pub fn clear(&self) {
        self.lock().frames.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the log inconsistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_newest_frames() {
        let log = FrameLog::new(2);
        log.record(Direction::CpToCsms, "a");
        log.record(Direction::CsmsToCp, "b");
        log.record(Direction::CpToCsms, "c");
        let frames = log.frames();
        let texts: Vec<_> = frames.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["b", "c"]);
        assert_eq!(frames[0].seq, 1);
        assert_eq!(frames[0].direction, Direction::CsmsToCp);
        assert_eq!(log.total(), 3);
    }

    #[test]
    fn frames_since_skips_older_sequence_numbers() {
        let log = FrameLog::new(10);
        for text in ["a", "b", "c"] {
            log.record(Direction::CpToCsms, text);
        }
        let texts: Vec<_> = log.frames_since(1).into_iter().map(|f| f.text).collect();
        assert_eq!(texts, ["b", "c"]);
    }

    #[test]
    fn direction_serialises_in_snake_case() {
        let json = serde_json::to_string(&Direction::CpToCsms).unwrap();
        assert_eq!(json, r#""cp_to_csms""#);
    }
}
