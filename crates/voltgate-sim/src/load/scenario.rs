//! The messages one load-run charger sends, step by step, for each scenario.
//!
//! [`Traffic`] is a small state machine: [`Traffic::next_call`] says what to send at the next
//! tick and [`Traffic::on_result`] moves on once it is answered. It holds only a meter, a
//! transaction id and a step number, so a hundred thousand of them cost little.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::args::Scenario;
use crate::error::SimError;
use crate::messages;
use crate::meter::Meter;
use crate::types::{ChargePointErrorCode, ChargePointStatus, StopReason};

/// The connector load-run traffic uses.
const CONNECTOR: u32 = 1;
/// The current per phase a load-run EV draws, in A (11 kW on three phases).
const CURRENT_A: f64 = 16.0;

/// One step of the sessions scenario.
#[derive(Debug, Clone, Copy)]
enum Step {
    Authorize,
    Status(ChargePointStatus),
    Start,
    Meter,
    Stop,
}

/// A session: 11 messages, 4 of them MeterValues.
const SESSION: [Step; 11] = [
    Step::Authorize,
    Step::Status(ChargePointStatus::Preparing),
    Step::Start,
    Step::Status(ChargePointStatus::Charging),
    Step::Meter,
    Step::Meter,
    Step::Meter,
    Step::Meter,
    Step::Stop,
    Step::Status(ChargePointStatus::Finishing),
    Step::Status(ChargePointStatus::Available),
];

/// The payload of a load-run CALL.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Outgoing {
    Json(Value),
    MeterValues(messages::MeterValuesRequest),
}

/// Where one charger is in its scenario.
pub(crate) struct Traffic {
    scenario: Scenario,
    id_tag: Arc<str>,
    meter: Meter,
    transaction_id: Option<i32>,
    step: usize,
}

impl Traffic {
    pub(crate) fn new(scenario: Scenario, id_tag: Arc<str>, now: Instant) -> Self {
        Traffic {
            scenario,
            id_tag,
            meter: Meter::new(0.0, 3, now),
            transaction_id: None,
            step: 0,
        }
    }

    /// The CALL to send at the next tick.
    pub(crate) fn next_call(&mut self, now: Instant) -> (&'static str, Outgoing) {
        let json = |(action, payload): (&'static str, Value)| (action, Outgoing::Json(payload));
        match self.scenario {
            Scenario::Idle | Scenario::Heartbeat => json(("Heartbeat", json!({}))),
            Scenario::Metervalues => match self.transaction_id {
                None => json(self.start(now)),
                Some(_) => self.meter_values(now),
            },
            Scenario::Sessions => match SESSION[self.step] {
                Step::Authorize => json(("Authorize", messages::authorize(&self.id_tag))),
                Step::Status(status) => json((
                    "StatusNotification",
                    messages::status_notification(CONNECTOR, status, ChargePointErrorCode::NoError),
                )),
                Step::Start => json(self.start(now)),
                Step::Meter => self.meter_values(now),
                Step::Stop => json(match self.stop(now) {
                    Some(call) => call,
                    // No transaction was opened: report the connector instead.
                    None => (
                        "StatusNotification",
                        messages::status_notification(
                            CONNECTOR,
                            ChargePointStatus::Finishing,
                            ChargePointErrorCode::NoError,
                        ),
                    ),
                }),
            },
        }
    }

    /// Takes note of the answer to the call `next_call` returned.
    pub(crate) fn on_result(
        &mut self,
        action: &str,
        result: &Result<Value, SimError>,
        now: Instant,
    ) {
        match (action, result) {
            ("StartTransaction", Ok(answer)) => {
                // Whatever the id tag status, the central system opened a transaction.
                if let Some(id) = answer.get("transactionId").and_then(Value::as_i64) {
                    self.transaction_id = i32::try_from(id).ok();
                    self.meter.set_current(CURRENT_A, now);
                }
            }
            ("StopTransaction", _) => {
                self.transaction_id = None;
                self.meter.set_current(0.0, now);
            }
            _ => {}
        }
        if self.scenario == Scenario::Sessions {
            self.step = (self.step + 1) % SESSION.len();
        }
    }

    /// The StopTransaction to send before closing, if a transaction is open.
    pub(crate) fn stop(&mut self, now: Instant) -> Option<(&'static str, Value)> {
        let transaction_id = self.transaction_id?;
        let meter_stop = self.meter.register_wh(now);
        let payload = messages::stop_transaction(
            transaction_id,
            meter_stop,
            Some(StopReason::Local),
            Some(&self.id_tag),
        );
        Some(("StopTransaction", payload))
    }

    fn start(&mut self, now: Instant) -> (&'static str, Value) {
        let meter_start = self.meter.register_wh(now);
        let payload = messages::start_transaction(CONNECTOR, &self.id_tag, meter_start);
        ("StartTransaction", payload)
    }

    fn meter_values(&mut self, now: Instant) -> (&'static str, Outgoing) {
        let samples = self.meter.sampled_values(now);
        let payload = messages::MeterValuesRequest::now(CONNECTOR, self.transaction_id, samples);
        ("MeterValues", Outgoing::MeterValues(payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn run(
        traffic: &mut Traffic,
        answers: impl Fn(&str) -> Value,
        steps: usize,
    ) -> Vec<&'static str> {
        let start = Instant::now();
        (0..steps)
            .map(|n| {
                let now = start + Duration::from_secs(n as u64 * 10);
                let (action, _) = traffic.next_call(now);
                traffic.on_result(action, &Ok(answers(action)), now);
                action
            })
            .collect()
    }

    fn answers(action: &str) -> Value {
        match action {
            "StartTransaction" => json!({"transactionId": 42, "idTagInfo": {"status": "Accepted"}}),
            _ => json!({}),
        }
    }

    #[test]
    fn metervalues_starts_once_then_sends_growing_meter_values() {
        let mut traffic = Traffic::new(Scenario::Metervalues, "TAG".into(), Instant::now());
        let actions = run(&mut traffic, answers, 3);
        assert_eq!(actions, ["StartTransaction", "MeterValues", "MeterValues"]);
        let (_, payload) = traffic.next_call(Instant::now() + Duration::from_secs(3600));
        let payload = serde_json::to_value(payload).unwrap();
        assert_eq!(payload["transactionId"], 42);
        let energy = &payload["meterValue"][0]["sampledValue"][0];
        assert_eq!(energy["measurand"], "Energy.Active.Import.Register");
        assert!(energy["value"].as_str().unwrap().parse::<u64>().unwrap() > 10_000);
    }

    #[test]
    fn sessions_cycle_through_a_whole_session() {
        let mut traffic = Traffic::new(Scenario::Sessions, "TAG".into(), Instant::now());
        let actions = run(&mut traffic, answers, 12);
        assert_eq!(actions[0], "Authorize");
        assert_eq!(actions[2], "StartTransaction");
        assert_eq!(actions[8], "StopTransaction");
        assert_eq!(actions[11], "Authorize");
        assert!(
            traffic.stop(Instant::now()).is_none(),
            "the session was stopped"
        );
    }

    #[test]
    fn a_failed_start_leaves_no_transaction_to_stop() {
        let mut traffic = Traffic::new(Scenario::Sessions, "TAG".into(), Instant::now());
        let actions = run(&mut traffic, |_| json!({}), 9);
        assert_eq!(actions[8], "StatusNotification");
    }
}
