//! What a driver does at a simulated charger, as whole gestures: plug an EV in, present a card,
//! stop, unplug, and what a technician does: inject and clear a fault.
//!
//! Each method takes the charger's operation lock (so a gesture and the automation never
//! interleave their messages), changes the physical model and sends what a real charger sends
//! for it, in order: Authorize, StartTransaction, StopTransaction, and a StatusNotification
//! whenever a connector's derived status changes (OCPP 1.6, 4.9). Off line, transaction messages
//! are queued (see `task.rs`) and statuses are reported on reconnection; Authorize falls back to
//! the local list and cache when `LocalAuthorizeOffline` is set.

use time::OffsetDateTime;
use tokio::time::Instant;

use super::task::Delivery;
use super::SimCharger;
use crate::connector::Fault;
use crate::error::SimError;
use crate::ev::Ev;
use crate::messages::{self, read_answer};
use crate::profile::ChargingProfile;
use crate::station::LocalAuth;
use crate::types::{AuthorizationStatus, ChargePointErrorCode, StopReason};

impl SimCharger {
    /// Plugs an EV into a connector (`Preparing`). If a remote start waits for it, the
    /// transaction starts now.
    pub async fn plug(&self, connector: u32, ev: Ev) -> Result<(), SimError> {
        let _op = self.inner.ops.lock().await;
        self.require_outlet(connector)?;
        let pending = self.with_connector(connector, |c| {
            if c.ev.is_some() {
                return Err(SimError::Invalid(format!(
                    "an EV is already plugged into connector {connector}"
                )));
            }
            c.ev = Some(ev);
            c.finishing = false;
            Ok(c.pending_start.clone().filter(|_| c.can_start()))
        })??;
        self.sync(connector).await;
        if let Some(pending) = pending {
            self.begin(connector, &pending.id_tag).await?;
        }
        Ok(())
    }

    /// Unplugs the EV. A running transaction stops first (reason `EVDisconnected`), as
    /// `StopTransactionOnEVSideDisconnect` asks; the connector becomes `Available`.
    pub async fn unplug(&self, connector: u32) -> Result<(), SimError> {
        let _op = self.inner.ops.lock().await;
        self.require_outlet(connector)?;
        let (plugged, running) =
            self.with_connector(connector, |c| (c.ev.is_some(), c.transaction_id.is_some()))?;
        if !plugged {
            return Err(SimError::Invalid(format!(
                "no EV is plugged into connector {connector}"
            )));
        }
        self.with_connector(connector, |c| {
            c.ev = None;
            c.finishing = false;
            c.pending_start = None;
            c.apply_current(Instant::now());
        })?;
        if running {
            // Straight to Available: the cable is out, there is nothing to finish.
            self.end(connector, StopReason::EVDisconnected).await?;
        }
        self.sync(connector).await;
        Ok(())
    }

    /// A driver presents `id_tag` at a connector: plugs in a default EV if none is, authorizes
    /// the tag and starts a transaction. Returns the transaction id (negative while its
    /// StartTransaction waits in the offline queue).
    pub async fn start_session(&self, connector: u32, id_tag: &str) -> Result<i32, SimError> {
        let _op = self.inner.ops.lock().await;
        self.require_outlet(connector)?;
        let plugged = self.with_connector(connector, |c| {
            if c.fault.is_some() || c.unavailable {
                return Err(SimError::Invalid(format!(
                    "connector {connector} is {}",
                    c.derived_status().0
                )));
            }
            if c.transaction_id.is_some() {
                return Err(SimError::Invalid(format!(
                    "connector {connector} already has a transaction"
                )));
            }
            if let Some(reservation) = &c.reservation {
                let own = reservation.id_tag.eq_ignore_ascii_case(id_tag);
                if !own {
                    return Err(SimError::Invalid(format!(
                        "connector {connector} is reserved for another id tag"
                    )));
                }
            }
            Ok(c.ev.is_some())
        })??;
        if !plugged {
            self.with_connector(connector, |c| {
                c.ev = Some(Ev::default());
                c.finishing = false;
            })?;
            self.sync(connector).await;
        }
        self.authorize_tag(id_tag).await?;
        self.begin(connector, id_tag).await
    }

    /// Stops the transaction on a connector. The EV stays plugged in (`Finishing`).
    pub async fn stop_session(&self, connector: u32, reason: StopReason) -> Result<(), SimError> {
        let _op = self.inner.ops.lock().await;
        self.require_outlet(connector)?;
        let running = self.with_connector(connector, |c| c.transaction_id.is_some())?;
        if !running {
            return Err(SimError::Invalid(format!(
                "connector {connector} has no transaction"
            )));
        }
        self.end(connector, reason).await
    }

    /// Changes the most current per phase the plugged-in EV takes (0: it asks for nothing
    /// more, `SuspendedEV`).
    pub async fn set_ev_max_current(&self, connector: u32, current_a: f64) -> Result<(), SimError> {
        let _op = self.inner.ops.lock().await;
        self.require_outlet(connector)?;
        if !current_a.is_finite() || current_a < 0.0 {
            return Err(SimError::Invalid("the current must be 0 A or more".into()));
        }
        self.with_connector(connector, |c| match &mut c.ev {
            Some(ev) => {
                ev.max_current_a = current_a;
                c.apply_current(Instant::now());
                Ok(())
            }
            None => Err(SimError::Invalid(format!(
                "no EV is plugged into connector {connector}"
            ))),
        })??;
        self.sync(connector).await;
        Ok(())
    }

    /// Reports a fault on a connector (0: the charger itself): `Faulted` with `error_code`.
    /// Energy stops flowing; a transaction stays open until stopped or the fault is cleared.
    pub async fn inject_fault(
        &self,
        connector: u32,
        error_code: ChargePointErrorCode,
        info: Option<String>,
    ) -> Result<(), SimError> {
        if error_code == ChargePointErrorCode::NoError {
            return Err(SimError::Invalid(
                "a fault needs an error code other than NoError".into(),
            ));
        }
        let _op = self.inner.ops.lock().await;
        self.with_connector(connector, |c| {
            c.fault = Some(Fault { error_code, info });
            c.apply_current(Instant::now());
        })?;
        self.sync(connector).await;
        Ok(())
    }

    /// Clears a connector's fault; it reports the status its state gives again.
    pub async fn clear_fault(&self, connector: u32) -> Result<(), SimError> {
        let _op = self.inner.ops.lock().await;
        let had = self.with_connector(connector, |c| {
            let had = c.fault.take().is_some();
            c.apply_current(Instant::now());
            had
        })?;
        if !had {
            return Err(SimError::Invalid(format!(
                "connector {connector} has no fault"
            )));
        }
        self.sync(connector).await;
        Ok(())
    }

    /// Reports the connector's derived status if it differs from the last one reported. Off
    /// line it is only recorded: every status is reported again on reconnection.
    pub(super) async fn sync(&self, connector: u32) {
        let change = self.with_connector(connector, |c| {
            let (status, error_code) = c.derived_status();
            if (status, error_code) == (c.status, c.error_code) {
                return None;
            }
            c.status = status;
            c.error_code = error_code;
            Some((
                status,
                error_code,
                c.fault.as_ref().and_then(|f| f.info.clone()),
            ))
        });
        let Ok(Some((status, error_code, info))) = change else {
            return;
        };
        let payload = messages::status_notification_with_info(connector, status, error_code, info);
        match self.call("StatusNotification", payload).await {
            Ok(_) | Err(SimError::Disconnected(_)) => {}
            Err(error) => tracing::warn!(%error, connector, "StatusNotification failed"),
        }
    }

    /// Every connector's [`SimCharger::sync`].
    pub(super) async fn sync_all(&self) {
        for connector in 0..=self.inner.connectors {
            self.sync(connector).await;
        }
    }

    /// Authorizes an id tag as a charger does: the local list or cache first when
    /// `LocalPreAuthorize` is set, else Authorize; off line, the local list and cache when
    /// `LocalAuthorizeOffline` is set.
    pub(super) async fn authorize_tag(&self, id_tag: &str) -> Result<(), SimError> {
        let configuration = self.configuration();
        let flag = |key: &str| configuration.value(key) == Some("true");
        let local = self
            .inner
            .shared
            .station()
            .local_authorization(
                id_tag,
                OffsetDateTime::now_utc(),
                flag("LocalAuthListEnabled"),
                flag("AuthorizationCacheEnabled"),
            )
            .map(|entry| entry.status);
        if flag("LocalPreAuthorize") && local == Some(AuthorizationStatus::Accepted) {
            return Ok(());
        }
        let answer = match self.call("Authorize", messages::authorize(id_tag)).await {
            Ok(answer) => answer,
            Err(error @ SimError::Disconnected(_)) => {
                let offline_ok = flag("LocalAuthorizeOffline")
                    && local == Some(AuthorizationStatus::Accepted)
                    || flag("AllowOfflineTxForUnknownId") && local.is_none();
                return if offline_ok { Ok(()) } else { Err(error) };
            }
            Err(error) => return Err(error),
        };
        let answer: messages::IdTagAnswer = read_answer("Authorize", answer)?;
        self.cache(id_tag, &answer.id_tag_info);
        if answer.id_tag_info.status == AuthorizationStatus::Accepted {
            return Ok(());
        }
        Err(SimError::NotAuthorized {
            status: answer.id_tag_info.status.to_string(),
            transaction_id: None,
        })
    }

    fn cache(&self, id_tag: &str, info: &messages::IdTagInfo) {
        if self.configuration().value("AuthorizationCacheEnabled") == Some("false") {
            return;
        }
        let entry = LocalAuth {
            status: info.status,
            expires_at: info
                .expiry_date
                .as_deref()
                .and_then(crate::clock::parse_rfc3339),
            parent_id_tag: info.parent_id_tag.clone(),
        };
        self.inner
            .shared
            .station()
            .cache_authorization(id_tag, entry);
    }

    /// Sends StartTransaction for an authorized id tag and lets energy flow. A refused tag
    /// stops the transaction again at once (`StopTransactionOnInvalidId`, reason `DeAuthorized`).
    pub(super) async fn begin(&self, connector: u32, id_tag: &str) -> Result<i32, SimError> {
        let now = Instant::now();
        let (register, reservation, local, profile) = {
            let mut station = self.inner.shared.station();
            let local = station.next_local_transaction();
            let state = &mut station.connectors[connector as usize];
            let reservation = state.reservation.take().map(|r| r.id);
            let profile = state.pending_start.as_ref().and_then(|p| p.profile.clone());
            (state.meter.register_wh(now), reservation, local, profile)
        };
        let mut payload = messages::start_transaction(connector, id_tag, register);
        if let Some(reservation) = reservation {
            payload["reservationId"] = reservation.into();
        }
        let transaction_id = match self
            .transaction_call("StartTransaction", payload, Some(local))
            .await
        {
            Ok(Delivery::Answered(answer)) => {
                let answer: messages::StartTransactionAnswer =
                    read_answer("StartTransaction", answer)?;
                self.cache(id_tag, &answer.id_tag_info);
                if answer.id_tag_info.status != AuthorizationStatus::Accepted {
                    return self.refused(connector, answer).await;
                }
                answer.transaction_id
            }
            Ok(Delivery::Queued) => local,
            Err(error) => {
                self.with_connector(connector, |c| c.pending_start = None)?;
                self.sync(connector).await;
                return Err(error);
            }
        };
        {
            let mut station = self.inner.shared.station();
            let state = &mut station.connectors[connector as usize];
            state.begin_charging(transaction_id, Instant::now());
            state.id_tag = Some(id_tag.to_owned());
            let profile =
                profile.and_then(|raw| ChargingProfile::from_payload(connector, &raw).ok());
            if let Some(mut profile) = profile {
                profile.transaction_id = Some(transaction_id);
                station.profiles.install(profile);
            }
            station.reevaluate(connector, Instant::now(), OffsetDateTime::now_utc());
        }
        self.sync(connector).await;
        tracing::info!(connector, transaction_id, "transaction started");
        Ok(transaction_id)
    }

    async fn refused(
        &self,
        connector: u32,
        answer: messages::StartTransactionAnswer,
    ) -> Result<i32, SimError> {
        let status = answer.id_tag_info.status.to_string();
        let stop_on_invalid =
            self.configuration().value("StopTransactionOnInvalidId") != Some("false");
        if stop_on_invalid {
            let register = self.meter_wh(connector)?;
            let payload = messages::stop_transaction(
                answer.transaction_id,
                register,
                Some(StopReason::DeAuthorized),
                None,
            );
            self.transaction_call("StopTransaction", payload, None)
                .await?;
        }
        self.with_connector(connector, |c| c.pending_start = None)?;
        self.sync(connector).await;
        Err(SimError::NotAuthorized {
            status,
            transaction_id: Some(answer.transaction_id),
        })
    }

    /// Sends StopTransaction for the connector's transaction and stops energy flowing; the
    /// connector is `Finishing` while the EV stays plugged in.
    pub(super) async fn end(&self, connector: u32, reason: StopReason) -> Result<(), SimError> {
        let now = Instant::now();
        let stop = self.with_connector(connector, |c| {
            c.transaction_id
                .map(|id| (id, c.meter.register_wh(now), c.id_tag.clone()))
        })?;
        let Some((transaction_id, meter_stop, id_tag)) = stop else {
            return Ok(());
        };
        let payload =
            messages::stop_transaction(transaction_id, meter_stop, Some(reason), id_tag.as_deref());
        let sent = self
            .transaction_call("StopTransaction", payload, None)
            .await;
        // The transaction ends here whatever the answer: the central system only records it.
        {
            let mut station = self.inner.shared.station();
            station.profiles.end_transaction(connector);
            let state = &mut station.connectors[connector as usize];
            state.end_charging(Instant::now());
            state.finishing = state.ev.is_some();
            station.reevaluate(connector, Instant::now(), OffsetDateTime::now_utc());
        }
        self.sync(connector).await;
        tracing::info!(connector, transaction_id, %reason, "transaction stopped");
        match sent {
            Ok(Delivery::Answered(answer)) => {
                if let Ok(answer) =
                    read_answer::<messages::StopTransactionAnswer>("StopTransaction", answer)
                {
                    if let (Some(tag), Some(info)) = (id_tag, answer.id_tag_info) {
                        self.cache(&tag, &info);
                    }
                }
                Ok(())
            }
            Ok(Delivery::Queued) => Ok(()),
            Err(error) => Err(error),
        }
    }
}
