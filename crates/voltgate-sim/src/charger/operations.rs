//! The typed OCPP 1.6 operations of a [`SimCharger`]: each builds the request, reads the answer
//! and keeps the connector model (status, transaction, meter) in step with what was sent.

use serde_json::json;
use time::OffsetDateTime;
use tokio::time::Instant;

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
    /// transaction id the central system still assigned.
    pub async fn start_transaction(
        &self,
        connector: u32,
        id_tag: &str,
        meter_start: Option<u64>,
    ) -> Result<i32, SimError> {
        self.require_outlet(connector)?;
        let register = self.with_connector(connector, |c| {
            let now = Instant::now();
            if let Some(value) = meter_start {
                c.meter.set_register(value as f64, now);
            }
            c.meter.register_wh(now)
        })?;
        let payload = messages::start_transaction(connector, id_tag, register);
        let answer = self.call("StartTransaction", payload).await?;
        let answer: messages::StartTransactionAnswer = read_answer("StartTransaction", answer)?;
        let transaction_id = answer.transaction_id;
        accepted(answer.id_tag_info, Some(transaction_id))?;
        self.with_connector(connector, |c| {
            c.begin_charging(transaction_id, Instant::now())
        })?;
        Ok(transaction_id)
    }

    /// MeterValues for a connector, optionally within a transaction.
    pub async fn send_meter_values(
        &self,
        connector: u32,
        transaction_id: Option<i32>,
        samples: Vec<SampledValue>,
    ) -> Result<(), SimError> {
        self.with_connector(connector, |_| ())?;
        let payload = messages::meter_values(connector, transaction_id, &samples);
        self.call("MeterValues", payload).await.map(drop)
    }

    /// StopTransaction: `meter_stop` `None` reports the register of the transaction's connector.
    /// Returns the id tag info when the central system sent one.
    pub async fn stop_transaction(
        &self,
        transaction_id: i32,
        meter_stop: Option<u64>,
        reason: Option<StopReason>,
    ) -> Result<Option<IdTagInfo>, SimError> {
        let connector = self
            .inner
            .shared
            .connectors()
            .iter()
            .position(|c| c.transaction_id == Some(transaction_id));
        let meter_stop = match (meter_stop, connector) {
            (Some(value), _) => value,
            (None, Some(index)) => {
                self.with_connector(index as u32, |c| c.meter.register_wh(Instant::now()))?
            }
            (None, None) => {
                return Err(SimError::Invalid(format!(
                    "transaction {transaction_id} is not running here; give meter_stop"
                )))
            }
        };
        let payload = messages::stop_transaction(transaction_id, meter_stop, reason, None);
        let answer = self.call("StopTransaction", payload).await?;
        let answer: messages::StopTransactionAnswer = read_answer("StopTransaction", answer)?;
        if let Some(index) = connector {
            self.with_connector(index as u32, |c| c.end_charging(Instant::now()))?;
        }
        Ok(answer.id_tag_info)
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
