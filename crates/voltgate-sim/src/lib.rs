#![doc = include_str!("../README.md")]

mod answers;
mod backoff;
mod charger;
mod clock;
mod config;
mod configuration;
mod connector;
mod error;
mod ev;
mod frame;
mod handler;
mod load;
mod log;
mod messages;
mod meter;
mod peer;
mod profile;
mod startup;
mod station;
mod transport;
mod types;

pub use backoff::Backoff;
pub use charger::SimCharger;
pub use clock::{now_rfc3339, parse_rfc3339};
pub use config::ChargerConfig;
pub use configuration::{Configuration, ConfigurationKey, ConfigurationStatus, ValueKind};
pub use connector::{ConnectorState, Fault, PendingStart, Reservation};
pub use error::SimError;
pub use ev::Ev;
pub use frame::{CallErrorInfo, Frame, FrameError};
pub use handler::{default_response, CsmsHandler, DefaultHandler, HandlerContext};
pub use load::{
    run, run_until, LatencySummary, Scenario, SimArgs, Summary, MEASURE_END_MARKER,
    MEASURE_START_MARKER,
};
pub use log::{Direction, FrameLog, LoggedFrame};
pub use messages::{BootNotificationResponse, IdTagInfo};
pub use meter::{Meter, SampledValue, NOMINAL_VOLTAGE_V};
pub use profile::{ChargingProfile, LimitContext, Profiles, Purpose};
pub use station::{Effect, LocalAuth, Station};
pub use transport::{basic_auth, url_with_identity, SUBPROTOCOL};
pub use types::{
    AuthorizationStatus, ChargePointErrorCode, ChargePointStatus, RegistrationStatus, StopReason,
};
