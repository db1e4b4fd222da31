//! The automation task of a [`SimCharger`]: what the charger does on its own.
//!
//! - carries out the [`Effect`]s of the central system's calls once they are answered: the
//!   Authorize and StartTransaction after a RemoteStartTransaction (when the EV is, or gets,
//!   plugged in), the StopTransaction after a RemoteStopTransaction or UnlockConnector, the
//!   reboot after a Reset, the message a TriggerMessage asked for, firmware and diagnostics
//!   progress, status changes after ChangeAvailability or ReserveNow;
//! - sends MeterValues for every running transaction every `MeterValueSampleInterval` seconds
//!   with the measurands of `MeterValuesSampledData` (both read live, so a ChangeConfiguration
//!   takes effect at once; 0 turns sampling off);
//! - once a second: drops remote starts that waited longer than `ConnectionTimeOut` for an EV
//!   and lapsed reservations, and follows charging-profile periods as they begin and end.
//!
//! It holds only a weak reference to the charger, so dropping every handle still ends it.

use std::sync::Weak;
use std::time::Duration;

use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::{Inner, SimCharger};
use crate::clock::sleep_until;
use crate::messages;
use crate::meter::SampledValue;
use crate::station::Effect;
use crate::types::StopReason;

/// The pause between two firmware or diagnostics status notifications.
const PROGRESS_STEP: Duration = Duration::from_millis(200);

pub(super) async fn run(
    charger: Weak<Inner>,
    mut effects: mpsc::Receiver<Effect>,
    cancel: CancellationToken,
) {
    let upgrade = || charger.upgrade().map(|inner| SimCharger { inner });
    let mut last_sample = Instant::now();
    let mut housekeeping = tokio::time::interval(Duration::from_secs(1));
    housekeeping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The connection may end for good (no reconnect) while the physics go on: the meters keep
    // following the installed profiles, e.g. falling back to the offline limit when the
    // central system's dynamic one expires.
    let mut connected = true;
    while let Some(every) = upgrade().map(|c| c.sample_interval()) {
        let next_sample = every.map(|every| last_sample + every);
        tokio::select! {
            _ = cancel.cancelled() => break,
            effect = effects.recv(), if connected => {
                let (Some(effect), Some(charger)) = (effect, upgrade()) else {
                    connected = false;
                    continue;
                };
                charger.apply(effect).await;
            }
            _ = sleep_until(next_sample) => {
                last_sample = Instant::now();
                let Some(charger) = upgrade() else { break };
                charger.sample_transactions().await;
            }
            _ = housekeeping.tick() => {
                let Some(charger) = upgrade() else { break };
                charger.housekeeping().await;
            }
        }
    }
}

impl SimCharger {
    /// `MeterValueSampleInterval`, or `None` when 0 (sampling off).
    fn sample_interval(&self) -> Option<Duration> {
        let seconds = self
            .configuration()
            .integer("MeterValueSampleInterval")
            .unwrap_or(0);
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    async fn apply(&self, effect: Effect) {
        tracing::debug!(?effect, "carrying out");
        match effect {
            Effect::RemoteStart { connector } => self.remote_start(connector).await,
            Effect::Stop { connector, reason } => {
                let _op = self.inner.ops.lock().await;
                if let Err(error) = self.end(connector, reason).await {
                    tracing::warn!(%error, connector, "could not stop the transaction");
                }
            }
            Effect::Reboot { hard } => self.reboot_now(hard).await,
            Effect::Sync { connector } => {
                let _op = self.inner.ops.lock().await;
                match connector {
                    0 => self.sync_all().await,
                    n => self.sync(n).await,
                }
            }
            Effect::Reevaluate => {
                let _op = self.inner.ops.lock().await;
                self.reevaluate_all().await;
            }
            Effect::Trigger { message, connector } => self.trigger(&message, connector).await,
            Effect::Firmware => {
                self.progress(
                    "FirmwareStatusNotification",
                    &["Downloading", "Downloaded", "Installing", "Installed"],
                )
                .await;
            }
            Effect::Diagnostics => {
                self.progress("DiagnosticsStatusNotification", &["Uploading", "Uploaded"])
                    .await;
            }
        }
    }

    async fn remote_start(&self, connector: u32) {
        let _op = self.inner.ops.lock().await;
        let Ok(Some((pending, plugged))) = self.with_connector(connector, |c| {
            c.pending_start
                .clone()
                .map(|p| (p, c.ev.is_some() && c.can_start()))
        }) else {
            return;
        };
        let authorize = self.configuration().value("AuthorizeRemoteTxRequests") == Some("true");
        if authorize {
            if let Err(error) = self.authorize_tag(&pending.id_tag).await {
                tracing::info!(%error, connector, "remote start not authorized");
                let _ = self.with_connector(connector, |c| c.pending_start = None);
                self.sync(connector).await;
                return;
            }
        }
        if plugged {
            if let Err(error) = self.begin(connector, &pending.id_tag).await {
                tracing::warn!(%error, connector, "remote start failed");
            }
        } else {
            // Preparing: waiting for the EV (see `plug`) until ConnectionTimeOut.
            self.sync(connector).await;
        }
    }

    async fn reboot_now(&self, hard: bool) {
        let _op = self.inner.ops.lock().await;
        let reason = if hard {
            StopReason::HardReset
        } else {
            StopReason::SoftReset
        };
        for connector in 1..=self.inner.connectors {
            let running = self
                .with_connector(connector, |c| c.transaction_id.is_some())
                .unwrap_or(false);
            if running {
                if let Err(error) = self.end(connector, reason).await {
                    tracing::warn!(%error, connector, "could not stop before rebooting");
                }
            }
        }
        {
            // What the connectors report once booted again.
            let mut station = self.inner.shared.station();
            for connector in &mut station.connectors {
                connector.pending_start = None;
                connector.finishing = false;
                let (status, error_code) = connector.derived_status();
                connector.status = status;
                connector.error_code = error_code;
            }
        }
        if let Err(error) = self.reboot().await {
            tracing::warn!(%error, "reboot failed");
        }
    }

    async fn reevaluate_all(&self) {
        let now = Instant::now();
        let at = OffsetDateTime::now_utc();
        for connector in 1..=self.inner.connectors {
            self.inner.shared.station().reevaluate(connector, now, at);
            self.sync(connector).await;
        }
    }

    async fn trigger(&self, message: &str, connector: Option<u32>) {
        let result = match message {
            "BootNotification" => {
                let request = self.inner.boot_request.clone();
                self.call("BootNotification", request).await.map(drop)
            }
            "Heartbeat" => self.heartbeat().await.map(drop),
            "StatusNotification" => {
                let connectors = match connector {
                    Some(c) => vec![c],
                    None => (0..=self.inner.connectors).collect(),
                };
                let mut result = Ok(());
                for connector in connectors {
                    let Ok((status, error_code)) =
                        self.with_connector(connector, |c| (c.status, c.error_code))
                    else {
                        continue;
                    };
                    let payload = messages::status_notification(connector, status, error_code);
                    result = self.call("StatusNotification", payload).await.map(drop);
                }
                result
            }
            "MeterValues" => {
                let connectors = match connector {
                    Some(c) if c > 0 => vec![c],
                    _ => (1..=self.inner.connectors).collect(),
                };
                let mut result = Ok(());
                for connector in connectors {
                    result = self.sample(connector, "Trigger", true).await;
                }
                result
            }
            "FirmwareStatusNotification" => {
                let status = self.inner.shared.station().firmware_status.clone();
                let payload = messages::firmware_status_notification(&status);
                self.call("FirmwareStatusNotification", payload)
                    .await
                    .map(drop)
            }
            "DiagnosticsStatusNotification" => {
                let status = self.inner.shared.station().diagnostics_status.clone();
                let payload = messages::diagnostics_status_notification(&status);
                self.call("DiagnosticsStatusNotification", payload)
                    .await
                    .map(drop)
            }
            _ => Ok(()),
        };
        if let Err(error) = result {
            tracing::warn!(%error, message, "triggered message failed");
        }
    }

    async fn progress(&self, action: &str, steps: &[&str]) {
        for status in steps {
            tokio::time::sleep(PROGRESS_STEP).await;
            {
                let mut station = self.inner.shared.station();
                if action == "FirmwareStatusNotification" {
                    station.firmware_status = (*status).to_owned();
                } else {
                    station.diagnostics_status = (*status).to_owned();
                }
            }
            let payload = json!({ "status": status });
            if let Err(error) = self.call(action, payload).await {
                tracing::warn!(%error, action, "progress notification failed");
                return;
            }
        }
    }

    /// MeterValues for every running transaction.
    async fn sample_transactions(&self) {
        let _op = self.inner.ops.lock().await;
        for connector in 1..=self.inner.connectors {
            if let Err(error) = self.sample(connector, "Sample.Periodic", false).await {
                tracing::warn!(%error, connector, "MeterValues failed");
            }
        }
    }

    /// One MeterValues of a connector with the configured measurands; skipped without a
    /// transaction unless `always`.
    async fn sample(
        &self,
        connector: u32,
        context: &str,
        always: bool,
    ) -> Result<(), crate::error::SimError> {
        let measurands = self
            .configuration()
            .value("MeterValuesSampledData")
            .unwrap_or("Energy.Active.Import.Register")
            .to_owned();
        let wanted: Vec<&str> = measurands.split(',').map(str::trim).collect();
        let now = Instant::now();
        let reading = self.with_connector(connector, |c| {
            let transaction = c.transaction_id;
            let mut values = c.meter.sampled_values(now);
            values.push(SampledValue::new(
                format!("{:.1}", c.offered_a),
                "Current.Offered",
                "A",
            ));
            (transaction, values)
        })?;
        let (transaction, values) = reading;
        if transaction.is_none() && !always {
            return Ok(());
        }
        let samples: Vec<SampledValue> = values
            .into_iter()
            .filter(|v| v.measurand.as_deref().is_some_and(|m| wanted.contains(&m)))
            .map(|v| v.with_context(context.to_owned()))
            .collect();
        if samples.is_empty() {
            return Ok(());
        }
        self.send_meter_values(connector, transaction, samples)
            .await
    }

    async fn housekeeping(&self) {
        let _op = self.inner.ops.lock().await;
        let now = Instant::now();
        let at = OffsetDateTime::now_utc();
        for connector in 1..=self.inner.connectors {
            let lapsed = self.with_connector(connector, |c| {
                let mut lapsed = false;
                if c.pending_start.as_ref().is_some_and(|p| p.deadline <= now) {
                    c.pending_start = None;
                    lapsed = true;
                }
                if c.reservation.as_ref().is_some_and(|r| r.expires_at <= at) {
                    c.reservation = None;
                    lapsed = true;
                }
                lapsed
            });
            let running = self
                .with_connector(connector, |c| c.transaction_id.is_some())
                .unwrap_or(false);
            let changed = running && self.inner.shared.station().reevaluate(connector, now, at);
            if lapsed.unwrap_or(false) || changed {
                self.sync(connector).await;
            }
        }
    }
}
