//! The state of one connector of a simulated charger.
//!
//! Connector 0 stands for the charger as a whole (OCPP 1.6, 3.4); connectors 1..=N each have a
//! status, an optional transaction, an energy meter and an optional plugged-in EV. Status changes
//! are recorded as they are reported; the transition rules of OCPP 1.6 section 4.9 and automatic
//! sessions belong here as the simulator grows.

use tokio::time::Instant;

use crate::ev::Ev;
use crate::meter::Meter;
use crate::types::{ChargePointErrorCode, ChargePointStatus};

/// The state of one connector.
#[derive(Debug, Clone)]
pub struct ConnectorState {
    /// The status last reported.
    pub status: ChargePointStatus,
    /// The error code last reported.
    pub error_code: ChargePointErrorCode,
    /// The transaction running on it, if any.
    pub transaction_id: Option<i32>,
    /// Its energy meter.
    pub meter: Meter,
    /// The EV plugged in, if any.
    pub ev: Option<Ev>,
    /// The most current per phase it offers, in A.
    pub max_current_a: f64,
}

impl ConnectorState {
    /// An available connector with an empty meter and no EV, offering `max_current_a`.
    pub fn new(max_current_a: f64, now: Instant) -> Self {
        ConnectorState {
            status: ChargePointStatus::Available,
            error_code: ChargePointErrorCode::NoError,
            transaction_id: None,
            meter: Meter::new(0.0, 3, now),
            ev: None,
            max_current_a,
        }
    }

    /// Starts energy flowing for a transaction: plugs in a default EV if none is, and lets it
    /// draw what the connector offers.
    pub fn begin_charging(&mut self, transaction_id: i32, now: Instant) {
        self.transaction_id = Some(transaction_id);
        let ev = self.ev.get_or_insert_with(Ev::default);
        let current = ev.draw(self.max_current_a);
        let phases = ev.phases;
        self.meter.set_phases(phases, now);
        self.meter.set_current(current, now);
    }

    /// Stops energy flowing and forgets the transaction.
    pub fn end_charging(&mut self, now: Instant) {
        self.transaction_id = None;
        self.meter.set_current(0.0, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn charging_draws_the_ev_current_until_stopped() {
        let start = Instant::now();
        let mut connector = ConnectorState::new(32.0, start);
        connector.begin_charging(7, start);
        assert_eq!(connector.transaction_id, Some(7));
        assert_eq!(connector.meter.current_a(), 16.0);
        let stop = start + Duration::from_secs(3600);
        connector.end_charging(stop);
        let energy = connector.meter.energy_wh(stop + Duration::from_secs(3600));
        assert!((energy - 11_040.0).abs() < 1e-6, "{energy}");
        assert_eq!(connector.transaction_id, None);
    }
}
