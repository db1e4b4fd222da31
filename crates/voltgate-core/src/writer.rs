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
use crate::store::{BatchItem, Store};

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
        let mut items = Vec::with_capacity(256);
        let mut waiters = Vec::with_capacity(64);
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        loop {
            let (item, done) = if stopping {
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
            items.push(item);
            waiters.extend(done);
            let deadline = tokio::time::Instant::now() + LINGER;
            while items.len() < MAX_BATCH {
                let next = match self.rx.try_recv() {
                    Ok(next) => Some(next),
                    Err(_) if stopping => None,
                    Err(_) => tokio::time::timeout_at(deadline, self.rx.recv())
                        .await
                        .ok()
                        .flatten(),
                };
                let Some((item, done)) = next else { break };
                items.push(item);
                waiters.extend(done);
            }
            self.write(&mut items, &mut waiters).await;
        }
        tracing::debug!("batch writer drained and stopped");
    }

    async fn write(&self, items: &mut Vec<BatchItem>, waiters: &mut Vec<Done>) {
        let started = Instant::now();
        let result = self.store.write_batch(items).await;
        self.metrics
            .database_latency
            .observe(started.elapsed().as_secs_f64());
        match &result {
            Ok(()) => {
                self.metrics
                    .batch_writes
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.metrics
                    .batch_items_written
                    .fetch_add(items.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => {
                tracing::error!(error = %e, items = items.len(), "batch write failed; waiting chargers get an error and will retry")
            }
        }
        for done in waiters.drain(..) {
            let _ = done.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Database(e.to_string())),
            });
        }
        items.clear();
    }
}
