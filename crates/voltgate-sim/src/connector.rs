//! The state of one connector of a simulated charger.
//!
//! Connector 0 stands for the charger as a whole (OCPP 1.6, 3.4); connectors 1..=N each have a
//! status, an optional transaction, an energy meter and an optional plugged-in EV. The status a
//! connector should report follows from its physical state ([`ConnectorState::derived_status`],
//! the transitions of OCPP 1.6 section 4.9): a fault wins, then `Unavailable`, then a running
//! transaction (`Charging`, or `SuspendedEVSE` when nothing is offered, `SuspendedEV` when the EV
//! takes nothing), then `Finishing` (stopped, cable still in), `Preparing` (EV plugged or an
//! authorized start waiting for it), `Reserved`, and `Available`.

use time::OffsetDateTime;
use tokio::time::Instant;

use crate::ev::Ev;
use crate::meter::Meter;
use crate::types::{ChargePointErrorCode, ChargePointStatus};

/// An injected fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The error code reported with `Faulted`.
    pub error_code: ChargePointErrorCode,
    /// Free text for StatusNotification's `info`.
    pub info: Option<String>,
}

/// A start that was authorized (RemoteStartTransaction) and waits for an EV to be plugged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStart {
    /// The id tag the transaction will start with.
    pub id_tag: String,
    /// When the charger gives up waiting (`ConnectionTimeOut`).
    pub deadline: Instant,
    /// A TxProfile sent with the RemoteStartTransaction, installed once the transaction starts.
    pub profile: Option<serde_json::Value>,
}

/// A reservation (ReserveNow, OCPP 1.6 5.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// `reservationId`.
    pub id: i32,
    /// The id tag that may use it.
    pub id_tag: String,
    /// Its parent id tag, which may use it too.
    pub parent_id_tag: Option<String>,
    /// When it lapses.
    pub expires_at: OffsetDateTime,
}

/// The state of one connector.
#[derive(Debug, Clone)]
pub struct ConnectorState {
    /// The status last reported (or, while offline, to be reported on reconnection).
    pub status: ChargePointStatus,
    /// The error code last reported.
    pub error_code: ChargePointErrorCode,
    /// The transaction running on it, if any (negative while its StartTransaction waits in the
    /// offline queue).
    pub transaction_id: Option<i32>,
    /// The id tag of the running transaction.
    pub id_tag: Option<String>,
    /// When the running transaction started (wall clock, for Relative charging profiles).
    pub transaction_started_at: Option<OffsetDateTime>,
    /// Its energy meter.
    pub meter: Meter,
    /// The EV plugged in, if any.
    pub ev: Option<Ev>,
    /// The most current per phase it offers, in A.
    pub max_current_a: f64,
    /// The current per phase offered now (hardware maximum, charging profiles), in A.
    pub offered_a: f64,
    /// An injected fault.
    pub fault: Option<Fault>,
    /// Set by ChangeAvailability Inoperative.
    pub unavailable: bool,
    /// A ChangeAvailability answered `Scheduled`: applied when the transaction ends.
    pub scheduled_unavailable: Option<bool>,
    /// An authorized start waiting for the EV.
    pub pending_start: Option<PendingStart>,
    /// The transaction stopped while the EV is still plugged in.
    pub finishing: bool,
    /// A reservation.
    pub reservation: Option<Reservation>,
}

impl ConnectorState {
    /// An available connector with an empty meter and no EV, offering `max_current_a`.
    pub fn new(max_current_a: f64, now: Instant) -> Self {
        ConnectorState {
            status: ChargePointStatus::Available,
            error_code: ChargePointErrorCode::NoError,
            transaction_id: None,
            id_tag: None,
            transaction_started_at: None,
            meter: Meter::new(0.0, 3, now),
            ev: None,
            max_current_a,
            offered_a: max_current_a,
            fault: None,
            unavailable: false,
            scheduled_unavailable: None,
            pending_start: None,
            finishing: false,
            reservation: None,
        }
    }

    /// Starts energy flowing for a transaction: plugs in a default EV if none is, and lets it
    /// draw what the connector offers.
    pub fn begin_charging(&mut self, transaction_id: i32, now: Instant) {
        self.transaction_id = Some(transaction_id);
        self.transaction_started_at = Some(OffsetDateTime::now_utc());
        self.finishing = false;
        self.pending_start = None;
        self.ev.get_or_insert_with(Ev::default);
        self.apply_current(now);
    }

    /// Stops energy flowing and forgets the transaction.
    pub fn end_charging(&mut self, now: Instant) {
        self.transaction_id = None;
        self.id_tag = None;
        self.transaction_started_at = None;
        self.meter.set_current(0.0, now);
        if let Some(unavailable) = self.scheduled_unavailable.take() {
            self.unavailable = unavailable;
        }
    }

    /// Sets what the connector offers (its maximum and the charging-profile limit) and lets the
    /// EV draw accordingly.
    pub fn set_offer(&mut self, limit_a: Option<f64>, now: Instant) {
        let offered = limit_a.map_or(self.max_current_a, |limit| limit.min(self.max_current_a));
        self.offered_a = offered.max(0.0);
        self.apply_current(now);
    }

    /// The current per phase the EV draws now: nothing without a transaction, a fault or while
    /// inoperative; otherwise the smaller of the offer and the EV's maximum.
    pub fn drawn_a(&self) -> f64 {
        match (&self.ev, self.transaction_id) {
            (Some(ev), Some(_)) if self.fault.is_none() && !self.unavailable => {
                ev.draw(self.offered_a)
            }
            _ => 0.0,
        }
    }

    /// Updates the meter to draw [`ConnectorState::drawn_a`] from `now` on.
    pub fn apply_current(&mut self, now: Instant) {
        if let Some(ev) = &self.ev {
            self.meter.set_phases(ev.phases, now);
        }
        let current = self.drawn_a();
        self.meter.set_current(current, now);
    }

    /// The status and error code this connector should report, from its physical state.
    pub fn derived_status(&self) -> (ChargePointStatus, ChargePointErrorCode) {
        if let Some(fault) = &self.fault {
            return (ChargePointStatus::Faulted, fault.error_code);
        }
        let status = if self.unavailable && self.transaction_id.is_none() {
            ChargePointStatus::Unavailable
        } else if self.transaction_id.is_some() {
            match &self.ev {
                _ if self.offered_a <= 0.0 => ChargePointStatus::SuspendedEVSE,
                Some(ev) if ev.draw(self.offered_a) <= 0.0 => ChargePointStatus::SuspendedEV,
                _ => ChargePointStatus::Charging,
            }
        } else if self.ev.is_some() && self.finishing {
            ChargePointStatus::Finishing
        } else if self.ev.is_some() || self.pending_start.is_some() {
            ChargePointStatus::Preparing
        } else if self.reservation.is_some() {
            ChargePointStatus::Reserved
        } else {
            ChargePointStatus::Available
        };
        (status, ChargePointErrorCode::NoError)
    }

    /// Whether a new transaction may start here (no fault, operative, none running).
    pub fn can_start(&self) -> bool {
        self.fault.is_none() && !self.unavailable && self.transaction_id.is_none()
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

    #[test]
    fn the_ev_draws_the_least_of_its_maximum_the_connector_and_the_profile() {
        let now = Instant::now();
        let mut connector = ConnectorState::new(10.0, now);
        connector.ev = Some(Ev {
            max_current_a: 16.0,
            phases: 1,
        });
        connector.begin_charging(1, now);
        assert_eq!(connector.meter.current_a(), 10.0);
        assert_eq!(connector.meter.phases(), 1);
        connector.set_offer(Some(6.0), now);
        assert_eq!(connector.meter.current_a(), 6.0);
        connector.set_offer(Some(0.0), now);
        assert_eq!(
            connector.derived_status().0,
            ChargePointStatus::SuspendedEVSE
        );
        connector.set_offer(None, now);
        connector.ev.as_mut().unwrap().max_current_a = 0.0;
        connector.apply_current(now);
        assert_eq!(connector.derived_status().0, ChargePointStatus::SuspendedEV);
        assert_eq!(connector.meter.current_a(), 0.0);
    }

    #[test]
    fn status_follows_the_physical_state() {
        let now = Instant::now();
        let mut c = ConnectorState::new(32.0, now);
        assert_eq!(c.derived_status().0, ChargePointStatus::Available);
        c.ev = Some(Ev::default());
        assert_eq!(c.derived_status().0, ChargePointStatus::Preparing);
        c.begin_charging(3, now);
        assert_eq!(c.derived_status().0, ChargePointStatus::Charging);
        c.end_charging(now);
        c.finishing = true;
        assert_eq!(c.derived_status().0, ChargePointStatus::Finishing);
        c.fault = Some(Fault {
            error_code: ChargePointErrorCode::GroundFailure,
            info: None,
        });
        assert_eq!(
            c.derived_status(),
            (
                ChargePointStatus::Faulted,
                ChargePointErrorCode::GroundFailure
            )
        );
        c.fault = None;
        c.ev = None;
        c.finishing = false;
        c.unavailable = true;
        assert_eq!(c.derived_status().0, ChargePointStatus::Unavailable);
    }
}
