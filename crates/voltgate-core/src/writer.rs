//! The batch writer: the hot path (meter values, message logs, heartbeats) goes through one
//! bounded channel to a task that commits many items per database transaction.
//!
//! Callers that must not answer before the data is durable (MeterValues) wait for the commit
//! of the batch that carried their item (group commit); others (logs, heartbeats) do not wait.
//! The channel is bounded, so a database that cannot keep up slows the senders down instead
//! of growing memory.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::error::StoreError;
use crate::metrics::Metrics;
use crate::store::{BatchItem, ReportStore, Store};

/// How many items one database transaction carries at most.
pub const MAX_BATCH: usize = 4096;

/// How long the writer keeps collecting after the first item of a batch. Under load this turns
/// thousands of small commits per second into a few dozen large ones (most CPU per message was
/// thread wake-ups, not SQL); it is also the most a durable write waits for company.
pub const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

type Done = oneshot::Sender<Result<(), StoreError>>;

/// The sending side, cheap to clone.
#[derive(Clone, Debug)]
pub struct BatchSender {
    tx: mpsc::Sender<(BatchItem, Option<Done>)>,
}

impl BatchSender {
    /// Queues an item and returns without waiting for the commit.
    pub async fn send(&self, item: BatchItem) {
        if self.tx.send((item, None)).await.is_err() {
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

/// Creates the channel; run the returned writer with [`BatchWriter::run`].
pub fn batch_channel(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    capacity: usize,
) -> (BatchSender, BatchWriter) {
    let (tx, rx) = mpsc::channel(capacity);
    (BatchSender { tx }, BatchWriter { rx, store, metrics })
}

/// The receiving side: one task per process.
pub struct BatchWriter {
    rx: mpsc::Receiver<(BatchItem, Option<Done>)>,
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
    pub async fn run(mut self, stop: impl std::future::Future<Output = ()>) {
        let mut batch: Vec<(BatchItem, Option<Done>)> = Vec::with_capacity(256);
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        loop {
            let first = if stopping {
                match self.rx.try_recv() {
                    Ok(item) => item,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    item = self.rx.recv() => match item {
                        Some(item) => item,
                        None => break,
                    },
                    () = &mut stop => {
                        stopping = true;
                        continue;
                    }
                }
            };
            batch.push(first);
            let deadline = tokio::time::Instant::now() + LINGER;
            while batch.len() < MAX_BATCH {
                let next = match self.rx.try_recv() {
                    Ok(next) => Some(next),
                    Err(_) if stopping => None,
                    Err(_) => tokio::time::timeout_at(deadline, self.rx.recv())
                        .await
                        .ok()
                        .flatten(),
                };
                let Some(next) = next else { break };
                batch.push(next);
            }
            write(self.store.as_ref(), &self.metrics, &mut batch).await;
        }
        tracing::debug!("batch writer drained and stopped");
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
            if items.iter().any(|i| charger_of(i) == 666) {
                return Err(StoreError::Database("foreign key violation".into()));
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
        async fn start_transaction(&self, _: StartTx) -> StoreResult<StartOutcome> {
            unimplemented!()
        }
        async fn stop_transaction(&self, _: StopTx) -> StoreResult<StopOutcome> {
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
}
