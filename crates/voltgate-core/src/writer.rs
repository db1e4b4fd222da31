//! The batch writer: the hot path (meter values, status, boots, transaction starts and stops,
//! registrations, heartbeats, message logs) goes through two bounded channels, the reports
//! lane and the log lane, to a task that commits many items per database transaction.
//!
//! Callers that must not answer before the data is durable (MeterValues, StartTransaction, ...)
//! wait for the commit of the batch that carried their item (group commit); others (logs,
//! heartbeats) do not wait. The channels are bounded, so a database that cannot keep up slows
//! the senders down instead of growing memory.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::error::StoreError;
use crate::metrics::Metrics;
use crate::store::{BatchItem, ReportStore, Store, LOG_FRAMES_PER_ROW};

/// How many items one database transaction carries at most.
pub const MAX_BATCH: usize = 4096;

/// The shortest time between the starts of two batches of a lane: the writer keeps collecting
/// until `linger` after it cut the previous batch. Under load this turns thousands of small
/// commits per second into a few hundred large ones (most CPU per message was thread wake-ups,
/// not SQL); a write that takes longer than this is followed by the next at once, with whatever
/// queued meanwhile (the writer never idles while items wait).
pub const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// The log lane's round: nobody waits for log rows, so it commits at most this often.
pub const LOG_LINGER: std::time::Duration = std::time::Duration::from_millis(100);

/// How many rounds the log lane holds a busy charger's frames, so that they share a row of the
/// log: each round writes the frames of one slice of the chargers (charger id modulo this), of
/// any charger with a full row, and of any charger that sent nothing since the last round (a
/// quiet charger is not held: a boot storm does not pile up its frames). A frame is written at
/// most about a second after it travelled; one row per busy charger and second instead of one
/// per round made the log's index writes (a page per row) ten times fewer, and the slices keep
/// every commit about the same size.
pub const LOG_HOLD_ROUNDS: i64 = 10;

type Done = oneshot::Sender<Result<(), StoreError>>;

/// The sending side, cheap to clone.
#[derive(Clone, Debug)]
pub struct BatchSender {
    tx: mpsc::Sender<(BatchItem, Option<Done>)>,
    /// Log rows go down a lane of their own (see [`BatchWriter`]).
    logs: mpsc::Sender<(BatchItem, Option<Done>)>,
}

impl BatchSender {
    /// Queues an item and returns without waiting for the commit.
    pub async fn send(&self, item: BatchItem) {
        let lane = match item {
            BatchItem::Log(_) => &self.logs,
            _ => &self.tx,
        };
        if lane.send((item, None)).await.is_err() {
            tracing::warn!("batch writer stopped; an item was not written");
        }
    }

    /// Queues an item and waits until the batch that carries it is committed.
    pub async fn send_durable(&self, item: BatchItem) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((item, Some(done)))
            .await
            .map_err(|_| StoreError::Database("the batch writer has stopped".into()))?;
        wait.await
            .map_err(|_| StoreError::Database("the batch writer has stopped".into()))?
    }
}

/// Creates the channels (each of `capacity` items); run the returned writer with
/// [`BatchWriter::run`].
pub fn batch_channel(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    capacity: usize,
) -> (BatchSender, BatchWriter) {
    let (sender, rx, logs_rx) = channels(capacity);
    (
        sender,
        BatchWriter {
            rx,
            logs_rx,
            store,
            metrics,
        },
    )
}

fn channels(capacity: usize) -> (BatchSender, Receiver, Receiver) {
    let (tx, rx) = mpsc::channel(capacity);
    let (logs, logs_rx) = mpsc::channel(capacity);
    (BatchSender { tx, logs }, rx, logs_rx)
}

type Receiver = mpsc::Receiver<(BatchItem, Option<Done>)>;

/// The receiving side: one task per process, writing two lanes at the same time. Reports
/// (meter values, status, boots, transactions, registrations, heartbeats, connections) are one
/// lane: chargers wait for its commits. The message log is the other: nobody waits for it, and it no longer holds up the
/// reports (a batch of reports used to commit only once its log rows had, too).
pub struct BatchWriter {
    rx: Receiver,
    logs_rx: Receiver,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for BatchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWriter").finish_non_exhaustive()
    }
}

impl BatchWriter {
    /// Writes until every sender is dropped, or until `stop` completes; either way everything
    /// already queued is written before it returns.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        let store = self.store.as_ref();
        run_lanes(self.rx, self.logs_rx, stop, store, &self.metrics).await;
        tracing::debug!("batch writer drained and stopped");
    }
}

/// Both lanes at once, until their senders are gone or `stop` completes (then each drains).
async fn run_lanes(
    rx: Receiver,
    logs_rx: Receiver,
    stop: impl std::future::Future<Output = ()>,
    store: &dyn ReportStore,
    metrics: &Metrics,
) {
    let (stopped, stopping) = tokio::sync::watch::channel(false);
    let lanes = async {
        tokio::join!(
            lane(rx, LINGER, stopping.clone(), store, metrics),
            log_lane(logs_rx, stopping, store, metrics)
        )
    };
    tokio::pin!(lanes);
    tokio::select! {
        _ = &mut lanes => {}
        () = stop => {
            let _ = stopped.send(true);
            lanes.await;
        }
    }
}

/// One lane: collects batches (up to [`MAX_BATCH`] items, until `linger` after the previous
/// batch was cut) and writes each before collecting the next.
async fn lane(
    mut rx: Receiver,
    linger: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    store: &dyn ReportStore,
    metrics: &Metrics,
) {
    let mut batch: Vec<(BatchItem, Option<Done>)> = Vec::with_capacity(256);
    let mut stopping = false;
    let mut last_cut: Option<tokio::time::Instant> = None;
    loop {
        let first = if stopping {
            match rx.try_recv() {
                Ok(item) => item,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                item = rx.recv() => match item {
                    Some(item) => item,
                    None => break,
                },
                _ = stop.wait_for(|s| *s) => {
                    stopping = true;
                    continue;
                }
            }
        };
        batch.push(first);
        let now = tokio::time::Instant::now();
        let deadline = last_cut.map_or(now, |cut| (cut + linger).max(now));
        while batch.len() < MAX_BATCH {
            let next = match rx.try_recv() {
                Ok(next) => Some(next),
                Err(_) if stopping => None,
                Err(_) => tokio::time::timeout_at(deadline, rx.recv())
                    .await
                    .ok()
                    .flatten(),
            };
            let Some(next) = next else { break };
            batch.push(next);
        }
        last_cut = Some(tokio::time::Instant::now());
        write(store, metrics, &mut batch).await;
    }
}

/// A charger's frames held by the log lane, and whether any arrived in the current round.
#[derive(Default)]
struct Held {
    frames: Vec<(BatchItem, Option<Done>)>,
    grew: bool,
}

/// The log lane: rounds of [`LOG_LINGER`], each collecting what arrived and writing the held
/// frames of the chargers that are due ([`LOG_HOLD_ROUNDS`], [`LOG_FRAMES_PER_ROW`]); everything
/// held is written when the lane stops.
async fn log_lane(
    mut rx: Receiver,
    mut stop: tokio::sync::watch::Receiver<bool>,
    store: &dyn ReportStore,
    metrics: &Metrics,
) {
    let mut held: HashMap<i64, Held> = HashMap::new();
    let mut held_items = 0;
    let mut stopping = false;
    // The channel is empty for good: closed, or emptied after the stop.
    let mut drained = false;
    let mut round: i64 = 0;
    loop {
        let deadline = tokio::time::Instant::now() + LOG_LINGER;
        // Collect until the round ends, the channel is empty after a stop, or the lane holds
        // enough (a database that cannot keep up slows the senders, as on the other lane).
        while held_items < MAX_BATCH * LOG_HOLD_ROUNDS as usize {
            let next = if stopping {
                let next = rx.try_recv().ok();
                drained = next.is_none();
                next
            } else {
                tokio::select! {
                    item = tokio::time::timeout_at(deadline, rx.recv()) => match item {
                        Ok(Some(item)) => Some(item),
                        Ok(None) => {
                            drained = true;
                            None
                        }
                        Err(_) => None,
                    },
                    _ = stop.wait_for(|s| *s) => {
                        stopping = true;
                        continue;
                    }
                }
            };
            let Some(next) = next else { break };
            let charger_id = match &next.0 {
                BatchItem::Log(entry) => entry.charger_id,
                _ => 0,
            };
            let charger = held.entry(charger_id).or_default();
            charger.frames.push(next);
            charger.grew = true;
            held_items += 1;
        }
        // Once stopping, everything held goes each round; the lane ends when nothing is left.
        let flush_all = stopping || drained;
        let slice = round.rem_euclid(LOG_HOLD_ROUNDS);
        round += 1;
        let mut batch = Vec::new();
        held.retain(|charger, Held { frames, grew }| {
            let due = flush_all || !*grew || charger.rem_euclid(LOG_HOLD_ROUNDS) == slice;
            let take = if due {
                frames.len()
            } else {
                frames.len() / LOG_FRAMES_PER_ROW * LOG_FRAMES_PER_ROW
            };
            batch.extend(frames.drain(..take));
            *grew = false;
            !frames.is_empty()
        });
        held_items -= batch.len();
        if !batch.is_empty() {
            write(store, metrics, &mut batch).await;
        }
        if drained {
            break;
        }
    }
}

/// Commits the batch in one transaction. If that fails, each item is retried on its own, so one
/// bad item (say, a report of a charger deleted meanwhile) cannot fail the others.
async fn write(
    store: &dyn ReportStore,
    metrics: &Metrics,
    batch: &mut Vec<(BatchItem, Option<Done>)>,
) {
    let (items, dones): (Vec<BatchItem>, Vec<Option<Done>>) = batch.drain(..).unzip();
    let started = Instant::now();
    let result = store.write_batch(&items).await;
    metrics
        .database_latency
        .observe(started.elapsed().as_secs_f64());
    match result {
        Ok(()) => {
            count_written(metrics, items.len());
            for done in dones.into_iter().flatten() {
                let _ = done.send(Ok(()));
            }
        }
        Err(e) if items.len() > 1 => {
            tracing::warn!(error = %e, items = items.len(), "batch write failed; writing its items one by one");
            let mut failed = 0;
            for (item, done) in items.into_iter().zip(dones) {
                if matches!(item, BatchItem::Log(_)) {
                    // Written already, on their own (ReportStore::write_batch).
                    continue;
                }
                let result = store.write_batch(std::slice::from_ref(&item)).await;
                match &result {
                    Ok(()) => count_written(metrics, 1),
                    Err(_) => failed += 1,
                }
                if let Some(done) = done {
                    let _ = done.send(result);
                }
            }
            if failed > 0 {
                tracing::error!(
                    failed,
                    "items could not be written; waiting chargers got an error and will retry"
                );
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "a write failed; a waiting charger gets an error and will retry");
            for done in dones.into_iter().flatten() {
                let _ = done.send(Err(StoreError::Database(e.to_string())));
            }
        }
    }
}

fn count_written(metrics: &Metrics, items: usize) {
    metrics
        .batch_writes
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    metrics
        .batch_items_written
        .fetch_add(items as u64, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    //! The writer against a fake store that refuses items of one charger.
    use super::*;
    use crate::model::LogEntry;
    use crate::store::*;
    use crate::types::Direction;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Refusing {
        written: Mutex<Vec<i64>>,
        /// The chargers of each batch's log rows.
        log_batches: Mutex<Vec<Vec<i64>>>,
        /// Batches with log rows never finish.
        logs_hang: bool,
    }

    impl Refusing {
        /// How many log frames were written so far.
        fn log_frames(&self) -> usize {
            self.log_batches.lock().unwrap().iter().map(Vec::len).sum()
        }
    }

    fn charger_of(item: &BatchItem) -> i64 {
        match item {
            BatchItem::Log(l) => l.charger_id,
            BatchItem::Heartbeat { charger_id, .. } => *charger_id,
            _ => 0,
        }
    }

    #[async_trait::async_trait]
    impl ReportStore for Refusing {
        async fn write_batch(&self, items: &[BatchItem]) -> StoreResult<()> {
            if self.logs_hang && items.iter().any(|i| matches!(i, BatchItem::Log(_))) {
                std::future::pending::<()>().await;
            }
            if items.iter().any(|i| charger_of(i) == 666) {
                return Err(StoreError::Database("foreign key violation".into()));
            }
            let logs: Vec<i64> = items
                .iter()
                .filter(|i| matches!(i, BatchItem::Log(_)))
                .map(charger_of)
                .collect();
            if !logs.is_empty() {
                self.log_batches.lock().unwrap().push(logs);
            }
            self.written
                .lock()
                .unwrap()
                .extend(items.iter().map(charger_of));
            Ok(())
        }
        async fn reset_connections(&self, _: time::OffsetDateTime) -> StoreResult<u64> {
            unimplemented!()
        }
        async fn record_firmware_status(&self, _: i64, _: &str) -> StoreResult<()> {
            unimplemented!()
        }
        async fn record_diagnostics_status(&self, _: i64, _: &str) -> StoreResult<()> {
            unimplemented!()
        }
        async fn find_card_for_charger(
            &self,
            _: i64,
            _: &str,
        ) -> StoreResult<Option<crate::model::Card>> {
            unimplemented!()
        }
        async fn active_transaction_id(&self, _: i64, _: i32) -> StoreResult<Option<i64>> {
            unimplemented!()
        }
    }

    fn log(charger_id: i64) -> BatchItem {
        BatchItem::Log(LogEntry {
            charger_id,
            direction: Direction::ChargerToCsms,
            message_type: 2,
            action: None,
            message_id: None,
            payload: String::new(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
    }

    fn heartbeat(charger_id: i64) -> BatchItem {
        BatchItem::Heartbeat {
            charger_id,
            at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[tokio::test]
    async fn a_slow_message_log_does_not_hold_up_durable_reports() {
        let store = Refusing {
            logs_hang: true,
            ..Refusing::default()
        };
        let metrics = Metrics::default();
        let (sender, rx, logs_rx) = channels(16);
        let writer = run_lanes(rx, logs_rx, std::future::pending(), &store, &metrics);
        let reports = async {
            sender.send(log(1)).await;
            sender.send_durable(heartbeat(1)).await.unwrap();
            sender.send(log(2)).await;
            sender.send_durable(heartbeat(2)).await.unwrap();
        };
        tokio::select! {
            _ = writer => panic!("the writer stopped while its senders were alive"),
            done = tokio::time::timeout(std::time::Duration::from_secs(5), reports) => {
                done.expect("durable reports waited for the message log");
            }
        }
        assert_eq!(*store.written.lock().unwrap(), vec![1, 2]);
    }

    #[tokio::test]
    async fn one_bad_item_does_not_fail_the_rest_of_its_batch() {
        let store = Refusing::default();
        let (good, good_rx) = oneshot::channel();
        let (bad, bad_rx) = oneshot::channel();
        let mut batch = vec![
            (heartbeat(1), Some(good)),
            (heartbeat(666), Some(bad)),
            (log(3), None),
            (heartbeat(2), None),
        ];
        write(&store, &Metrics::default(), &mut batch).await;
        assert!(good_rx.await.unwrap().is_ok());
        assert!(bad_rx.await.unwrap().is_err());
        // The log row is not sent again: a store writes log rows on their own, even when the
        // rest of their batch fails.
        assert_eq!(*store.written.lock().unwrap(), vec![1, 2]);
    }

    #[tokio::test]
    async fn a_chargers_log_frames_are_held_to_share_rows() {
        let store = Refusing::default();
        let metrics = Metrics::default();
        let (sender, rx, logs_rx) = channels(1024);
        let (stop, stopped) = oneshot::channel::<()>();
        let writer = run_lanes(
            rx,
            logs_rx,
            async { stopped.await.unwrap_or(()) },
            &store,
            &metrics,
        );
        let started = std::time::Instant::now();
        let chargers = [1, 2, 3, 4];
        let load = async {
            // 40 frames per charger over about 0.8 s: the old lane wrote them in 8 commits.
            for _ in 0..40 {
                for c in chargers {
                    sender.send(log(c)).await;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            let _ = stop.send(());
        };
        tokio::join!(writer, load);
        let batches = store.log_batches.lock().unwrap().clone();
        let hold = LOG_LINGER * LOG_HOLD_ROUNDS as u32;
        // A charger's frames are cut where its slice came due, and once more at the stop.
        let allowed = (started.elapsed().as_millis() / hold.as_millis()) as usize + 2;
        for c in chargers {
            let written: usize = batches
                .iter()
                .map(|b| b.iter().filter(|x| **x == c).count())
                .sum();
            assert_eq!(
                written, 40,
                "charger {c}: every frame is written by the stop"
            );
            let holding = batches.iter().filter(|b| b.contains(&c)).count();
            assert!(
                holding <= allowed,
                "charger {c}: frames in {holding} batches, at most {allowed} expected: {batches:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_full_row_of_frames_is_written_without_waiting_for_its_slice() {
        let store = &Refusing::default();
        alongside_the_writer(store, |sender| async move {
            // Two busy chargers with neighbouring ids (one of them is not in the first slices):
            // a full row each, then a frame every 20 ms, so neither is ever quiet.
            for c in [7, 8] {
                for _ in 0..LOG_FRAMES_PER_ROW {
                    sender.send(log(c)).await;
                }
            }
            let deadline = std::time::Instant::now() + hold_half();
            while store.log_frames() < 2 * LOG_FRAMES_PER_ROW {
                assert!(
                    std::time::Instant::now() < deadline,
                    "full rows were held: {:?}",
                    store.log_batches.lock().unwrap()
                );
                sender.send(log(7)).await;
                sender.send(log(8)).await;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    #[tokio::test]
    async fn a_quiet_chargers_frames_are_not_held() {
        let store = &Refusing::default();
        alongside_the_writer(store, |sender| async move {
            // A boot: a few frames, then nothing. Charger 7 is not in the first slices.
            for _ in 0..6 {
                sender.send(log(7)).await;
            }
            let deadline = std::time::Instant::now() + hold_half();
            while store.log_frames() < 6 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "a quiet charger's frames were held"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        })
        .await;
    }

    #[tokio::test]
    async fn a_stop_writes_everything_queued_even_beyond_what_the_lane_holds_at_once() {
        let store = Refusing::default();
        let metrics = Metrics::default();
        let queued = MAX_BATCH * LOG_HOLD_ROUNDS as usize + 5_000;
        let (sender, rx, logs_rx) = channels(queued);
        for i in 0..queued {
            sender.send(log(i as i64 % 500)).await;
        }
        // Stopped before the lane ran: it drains the channel in more than one round.
        run_lanes(rx, logs_rx, std::future::ready(()), &store, &metrics).await;
        assert_eq!(store.log_frames(), queued);
    }

    /// Runs `load` with a sender while a writer that is never told to stop serves it; the
    /// writer must not end first.
    async fn alongside_the_writer<F: std::future::Future<Output = ()>>(
        store: &Refusing,
        load: impl FnOnce(BatchSender) -> F,
    ) {
        let metrics = Metrics::default();
        let (sender, rx, logs_rx) = channels(1024);
        let writer = run_lanes(rx, logs_rx, std::future::pending(), store, &metrics);
        tokio::select! {
            _ = writer => panic!("the writer stopped while its senders were alive"),
            () = load(sender) => {}
        }
    }

    /// Half the time a charger's frames may be held: full rows must be written sooner.
    fn hold_half() -> std::time::Duration {
        LOG_LINGER * LOG_HOLD_ROUNDS as u32 / 2
    }
}
