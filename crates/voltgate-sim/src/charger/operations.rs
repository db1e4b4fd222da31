//! The typed OCPP 1.6 operations of a [`SimCharger`]: each builds the request, reads the answer
//! and keeps the connector model (status, transaction, meter) in step with what was sent.
//!
//! These are the raw messages, for tests that script a charger call by call; `session.rs` has the
//! gestures (plug, start, stop) that send them in the order a real charger does. Transaction
//! messages are queued while off line: `start_transaction` then returns a local (negative)
//! transaction id that is replaced once the central system assigned one.

use serde_json::json;
use time::OffsetDateTime;
use tokio::time::Instant;

use super::task::Delivery;
use super::SimCharger;
use crate::error::SimError;
use crate::messages::{self, read_answer, IdTagInfo};
use crate::meter::SampledValue;
use crate::types::{AuthorizationStatus, ChargePointErrorCode, ChargePointStatus, StopReason};

impl SimCharger {
    /// Heartbeat: returns the central system's current time.
    pub async fn heartbeat(&self) -> Result<OffsetDateTime, SimError> {
        let payload = self.call("Heartbeat", json!({})).await?;
        let answer: messages::HeartbeatAnswer = read_answer("Heartbeat", payload)?;
        crate::clock::parse_rfc3339(&answer.current_time).ok_or_else(|| {
            SimError::UnexpectedResponse {
                action: "Heartbeat".into(),
                reason: format!("currentTime {:?} is not RFC 3339", answer.current_time),
            }
        })
    }

    /// StatusNotification for a connector (0 is the charger itself); recorded once accepted.
    pub async fn status(
        &self,
        connector: u32,
        status: ChargePointStatus,
        error_code: ChargePointErrorCode,
    ) -> Result<(), SimError> {
        self.with_connector(connector, |_| ())?;
        let payload = messages::status_notification(connector, status, error_code);
        self.call("StatusNotification", payload).await?;
        self.with_connector(connector, |c| {
            c.status = status;
            c.error_code = error_code;
        })
    }

    /// Authorize: `Ok` with the id tag info when accepted, [`SimError::NotAuthorized`] otherwise.
    pub async fn authorize(&self, id_tag: &str) -> Result<IdTagInfo, SimError> {
        let payload = self.call("Authorize", messages::authorize(id_tag)).await?;
        let answer: messages::IdTagAnswer = read_answer("Authorize", payload)?;
        accepted(answer.id_tag_info, None)
    }

    /// StartTransaction on a connector: returns the transaction id and starts the meter running.
    ///
    /// `meter_start` `None` reports the connector's meter register; `Some` sets the register to
    /// that value first. A non-accepted id tag gives [`SimError::NotAuthorized`] with the
    /// transaction id the central system still assigned. Off line, the message is queued and the
    /// id returned is a local, negative one.
    pub async fn start_transaction(
        &self,
        connector: u32,
        id_tag: &str,
        meter_start: Option<u64>,
    ) -> Result<i32, SimError> {
        self.require_outlet(connector)?;
        let now = Instant::now();
        let (register, local) = {
            let mut station = self.inner.shared.station();
            let local = station.next_local_transaction();
            let meter = &mut station.connectors[connector as usize].meter;
            if let Some(value) = meter_start {
                meter.set_register(value as f64, now);
            }
            (meter.register_wh(now), local)
        };
        let payload = messages::start_transaction(connector, id_tag, register);
        let transaction_id = match self
            .transaction_call("StartTransaction", payload, Some(local))
            .await?
        {
            Delivery::Answered(answer) => {
                let answer: messages::StartTransactionAnswer =
                    read_answer("StartTransaction", answer)?;
                let transaction_id = answer.transaction_id;
                accepted(answer.id_tag_info, Some(transaction_id))?;
                transaction_id
            }
            Delivery::Queued => local,
        };
        let mut station = self.inner.shared.station();
        let state = &mut station.connectors[connector as usize];
        state.begin_charging(transaction_id, Instant::now());
        state.id_tag = Some(id_tag.to_owned());
        station.reevaluate(connector, Instant::now(), time::OffsetDateTime::now_utc());
        Ok(transaction_id)
    }

    /// MeterValues for a connector, optionally within a transaction (then queued while off
    /// line).
    pub async fn send_meter_values(
        &self,
        connector: u32,
        transaction_id: Option<i32>,
        samples: Vec<SampledValue>,
    ) -> Result<(), SimError> {
        self.with_connector(connector, |_| ())?;
        let payload = messages::meter_values(connector, transaction_id, &samples);
        match transaction_id {
            Some(_) => self
                .transaction_call("MeterValues", payload, None)
                .await
                .map(drop),
            None => self.call("MeterValues", payload).await.map(drop),
        }
    }

    /// StopTransaction: `meter_stop` `None` reports the register of the transaction's connector.
    /// Returns the id tag info when the central system sent one (none while off line: queued).
    pub async fn stop_transaction(
        &self,
        transaction_id: i32,
        meter_stop: Option<u64>,
        reason: Option<StopReason>,
    ) -> Result<Option<IdTagInfo>, SimError> {
        let connector = self.inner.shared.station().connector_of(transaction_id);
        let meter_stop = match (meter_stop, connector) {
            (Some(value), _) => value,
            (None, Some(index)) => {
                self.with_connector(index, |c| c.meter.register_wh(Instant::now()))?
            }
            (None, None) => {
                return Err(SimError::Invalid(format!(
                    "transaction {transaction_id} is not running here; give meter_stop"
                )))
            }
        };
        let payload = messages::stop_transaction(transaction_id, meter_stop, reason, None);
        let delivery = self
            .transaction_call("StopTransaction", payload, None)
            .await?;
        if let Some(index) = connector {
            let mut station = self.inner.shared.station();
            station.profiles.end_transaction(index);
            station.connectors[index as usize].end_charging(Instant::now());
        }
        match delivery {
            Delivery::Answered(answer) => {
                let answer: messages::StopTransactionAnswer =
                    read_answer("StopTransaction", answer)?;
                Ok(answer.id_tag_info)
            }
            Delivery::Queued => Ok(None),
        }
    }
}

fn accepted(info: IdTagInfo, transaction_id: Option<i32>) -> Result<IdTagInfo, SimError> {
    if info.status == AuthorizationStatus::Accepted {
        return Ok(info);
    }
    Err(SimError::NotAuthorized {
        status: info.status.to_string(),
        transaction_id,
    })
}
