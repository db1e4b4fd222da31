//! What Voltgate does with each message a charger sends, independent of the wire format.
//!
//! The gateway parses and validates OCPP frames, converts them into these calls and converts
//! the answers back. Everything here is about meaning: which card is accepted, when a start is a
//! retry, that a stop is always acknowledged.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::error::StoreError;
use crate::load_control::LoadEvents;
use crate::model::{BootInfo, LogEntry, MeterSample};
use crate::store::{
    BatchItem, NewCharger, StartOutcome, StartTx, StatusReport, StopOutcome, StopTx, Store,
};
use crate::types::{CardStatus, ConnectionStatus, IdTag};
use crate::writer::BatchSender;

/// The authorization status of an id tag (OCPP 1.6 AuthorizationStatus, §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStatus {
    Accepted,
    Blocked,
    Expired,
    Invalid,
    ConcurrentTx,
}

/// The answer about an id tag (OCPP 1.6 IdTagInfo, §7.28).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTagInfo {
    pub status: AuthStatus,
    pub expiry_date: Option<OffsetDateTime>,
    pub parent_id_tag: Option<String>,
}

impl IdTagInfo {
    fn invalid() -> Self {
        Self {
            status: AuthStatus::Invalid,
            expiry_date: None,
            parent_id_tag: None,
        }
    }
}

/// How Voltgate answers a BootNotification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootDecision {
    pub accepted: bool,
    pub interval_seconds: u32,
    pub current_time: OffsetDateTime,
}

/// Settings of the charger-facing service.
#[derive(Debug, Clone)]
pub struct OcppSettings {
    /// Heartbeat interval told to chargers in BootNotification.conf.
    pub heartbeat_interval_seconds: u32,
}

impl Default for OcppSettings {
    fn default() -> Self {
        Self {
            heartbeat_interval_seconds: 300,
        }
    }
}

/// The charger-facing domain service; one per process, shared by every connection.
pub struct OcppService {
    store: Arc<dyn Store>,
    batch: BatchSender,
    clock: Arc<dyn Clock>,
    settings: OcppSettings,
    load: LoadEvents,
}

impl std::fmt::Debug for OcppService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcppService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OcppService {
    pub fn new(
        store: Arc<dyn Store>,
        batch: BatchSender,
        clock: Arc<dyn Clock>,
        settings: OcppSettings,
    ) -> Self {
        Self {
            store,
            batch,
            clock,
            settings,
            load: LoadEvents::default(),
        }
    }

    /// Reports sessions, meter values and connections to the load controller.
    pub fn with_load_events(mut self, load: LoadEvents) -> Self {
        self.load = load;
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Registers an unknown charger (batched); returns once it is committed. When its identity
    /// was taken meanwhile (two first connections at once) nothing is inserted.
    pub async fn register(&self, charger: NewCharger) -> Result<(), StoreError> {
        self.batch.send_durable(BatchItem::Register(charger)).await
    }

    /// Records the connection (batched, in order with the charger's other reports).
    pub async fn connected(&self, charger_id: i64, ocpp_version: &str) -> Result<(), StoreError> {
        let item = BatchItem::Connection {
            charger_id,
            status: ConnectionStatus::Online,
            ocpp_version: Some(ocpp_version.to_owned()),
            at: self.now(),
        };
        self.batch.send(item).await;
        Ok(())
    }

    pub async fn disconnected(&self, charger_id: i64) -> Result<(), StoreError> {
        let item = BatchItem::Connection {
            charger_id,
            status: ConnectionStatus::Offline,
            ocpp_version: None,
            at: self.now(),
        };
        self.batch.send(item).await;
        self.load.charger_changed(charger_id);
        Ok(())
    }

    pub async fn boot(
        &self,
        charger_id: i64,
        info: &BootInfo,
        ocpp_version: &str,
        accept_registration: bool,
    ) -> Result<BootDecision, StoreError> {
        let now = self.now();
        let item = BatchItem::Boot {
            charger_id,
            info: info.clone(),
            ocpp_version: ocpp_version.to_owned(),
            at: now,
            accept_registration,
        };
        self.batch.send_durable(item).await?;
        self.load.charger_online(charger_id);
        Ok(BootDecision {
            accepted: true,
            interval_seconds: self.settings.heartbeat_interval_seconds,
            current_time: now,
        })
    }

    /// Records the heartbeat (batched) and returns the time to tell the charger.
    pub async fn heartbeat(&self, charger_id: i64) -> OffsetDateTime {
        let now = self.now();
        self.batch
            .send(BatchItem::Heartbeat {
                charger_id,
                at: now,
            })
            .await;
        now
    }

    /// Records a status report; answered once its batch committed.
    pub async fn status(&self, charger_id: i64, report: &StatusReport) -> Result<(), StoreError> {
        let item = BatchItem::Status {
            charger_id,
            report: report.clone(),
        };
        self.batch.send_durable(item).await
    }

    pub async fn firmware_status(&self, charger_id: i64, status: &str) -> Result<(), StoreError> {
        self.store.record_firmware_status(charger_id, status).await
    }

    pub async fn diagnostics_status(
        &self,
        charger_id: i64,
        status: &str,
    ) -> Result<(), StoreError> {
        self.store
            .record_diagnostics_status(charger_id, status)
            .await
    }

    /// Looks the id tag up among the cards of the charger's team.
    pub async fn authorize(
        &self,
        charger_id: i64,
        id_tag: &IdTag,
    ) -> Result<IdTagInfo, StoreError> {
        let Some(card) = self
            .store
            .find_card_for_charger(charger_id, &id_tag.normalized())
            .await?
        else {
            return Ok(IdTagInfo::invalid());
        };
        let expired = card.expires_at.is_some_and(|at| at <= self.now());
        let status = match card.status {
            CardStatus::Blocked => AuthStatus::Blocked,
            CardStatus::Expired => AuthStatus::Expired,
            CardStatus::Accepted if expired => AuthStatus::Expired,
            CardStatus::Accepted => AuthStatus::Accepted,
        };
        Ok(IdTagInfo {
            status,
            expiry_date: card.expires_at,
            parent_id_tag: card.parent_uid,
        })
    }

    /// Stores the start (committed before this returns) and authorizes its id tag.
    ///
    /// A repeated identical start (same charger, connector, id tag, meter and time) returns the
    /// first transaction's id. When the connector already has an active transaction the new one is
    /// still recorded, so its stop will find it, and the tag is answered `ConcurrentTx`.
    pub async fn start_transaction(&self, start: StartTx) -> Result<(i64, IdTagInfo), StoreError> {
        let tag = IdTag::parse(&start.id_tag).map_err(|e| StoreError::Database(e.0))?;
        let charger_id = start.charger_id;
        let mut info = self.authorize(start.charger_id, &tag).await?;
        let (item, outcome) = BatchItem::start(start);
        self.batch.send_durable(item).await?;
        let outcome = outcome.committed()?;
        let id = match outcome {
            StartOutcome::Created { id, connector_busy } => {
                if connector_busy && info.status == AuthStatus::Accepted {
                    info.status = AuthStatus::ConcurrentTx;
                }
                id
            }
            StartOutcome::Duplicate { id } => id,
        };
        self.load.charger_changed(charger_id);
        Ok((id, info))
    }

    /// Stores the stop (committed before this returns). Always succeeds for unknown ids: those
    /// are kept as orphans. Returns the id tag's status when the stop carried one.
    pub async fn stop_transaction(
        &self,
        stop: StopTx,
    ) -> Result<(StopOutcome, Option<IdTagInfo>), StoreError> {
        let tag = stop.id_tag.as_deref().and_then(|t| IdTag::parse(t).ok());
        let charger_id = stop.charger_id;
        let (item, outcome) = BatchItem::stop(stop);
        self.batch.send_durable(item).await?;
        let outcome = outcome.committed()?;
        self.load.charger_changed(charger_id);
        let info = match tag {
            Some(tag) => Some(self.authorize(charger_id, &tag).await?),
            None => None,
        };
        Ok((outcome, info))
    }

    /// Persists meter values; returns once they are committed.
    pub async fn meter_values(&self, samples: Vec<MeterSample>) -> Result<(), StoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        let chargers: std::collections::BTreeSet<i64> =
            samples.iter().map(|m| m.charger_id).collect();
        self.batch
            .send_durable(BatchItem::MeterValues(samples))
            .await?;
        for id in chargers {
            self.load.charger_changed(id);
        }
        Ok(())
    }

    /// Queues a frame for the message log (not waited for).
    pub async fn log(&self, entry: LogEntry) {
        self.batch.send(BatchItem::Log(entry)).await;
    }
}
