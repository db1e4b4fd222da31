//! Commands an operator sends to a charger (the CSMS-initiated operations of OCPP 1.6, in
//! domain terms), the charger's replies, and the port that carries them to the charger's
//! connection (`ChargerLink`, implemented by the gateway).
//!
//! Commands are version-neutral: the gateway translates them into the charger's OCPP version
//! and its answer back into a [`CommandReply`].

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One period of a charging schedule (OCPP 1.6 ChargingSchedulePeriod).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulePeriod {
    /// Seconds from the start of the schedule.
    pub start_period: i32,
    /// In the schedule's unit (A or W).
    pub limit: f64,
    pub number_phases: Option<i32>,
}

/// OCPP 1.6 ChargingSchedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub duration: Option<i32>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub start_schedule: Option<OffsetDateTime>,
    /// "A" or "W".
    pub charging_rate_unit: String,
    pub charging_schedule_period: Vec<SchedulePeriod>,
    pub min_charging_rate: Option<f64>,
}

/// OCPP 1.6 ChargingProfile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargingProfile {
    pub charging_profile_id: i32,
    pub transaction_id: Option<i32>,
    pub stack_level: i32,
    /// ChargePointMaxProfile, TxDefaultProfile or TxProfile.
    pub charging_profile_purpose: String,
    /// Absolute, Recurring or Relative.
    pub charging_profile_kind: String,
    /// Daily or Weekly.
    pub recurrency_kind: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_from: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_to: Option<OffsetDateTime>,
    pub charging_schedule: Schedule,
}

impl ChargingProfile {
    /// A Relative profile with one period: at most `limit` amperes from its start, no end. The
    /// shape Voltgate itself installs (charge limits, settings).
    pub fn current_limit(
        charging_profile_id: i32,
        purpose: &str,
        stack_level: i32,
        limit: f64,
        number_phases: Option<i32>,
        transaction_id: Option<i32>,
    ) -> Self {
        Self {
            charging_profile_id,
            transaction_id,
            stack_level,
            charging_profile_purpose: purpose.into(),
            charging_profile_kind: "Relative".into(),
            recurrency_kind: None,
            valid_from: None,
            valid_to: None,
            charging_schedule: Schedule {
                duration: None,
                start_schedule: None,
                charging_rate_unit: "A".into(),
                charging_schedule_period: vec![SchedulePeriod {
                    start_period: 0,
                    limit,
                    number_phases,
                }],
                min_charging_rate: None,
            },
        }
    }
}

/// An entry of the local authorization list (OCPP 1.6 AuthorizationData).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalListEntry {
    pub id_tag: String,
    /// None removes the tag in a differential update.
    pub status: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expiry_date: Option<OffsetDateTime>,
    pub parent_id_tag: Option<String>,
}

/// A CSMS-initiated operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    RemoteStart {
        connector_id: Option<i32>,
        id_tag: String,
        charging_profile: Option<ChargingProfile>,
    },
    RemoteStop {
        transaction_id: i32,
    },
    Reset {
        hard: bool,
    },
    Unlock {
        connector_id: i32,
    },
    ChangeAvailability {
        connector_id: i32,
        operative: bool,
    },
    TriggerMessage {
        message: String,
        connector_id: Option<i32>,
    },
    GetConfiguration {
        keys: Vec<String>,
    },
    ChangeConfiguration {
        key: String,
        value: String,
    },
    ClearCache,
    DataTransfer {
        vendor_id: String,
        message_id: Option<String>,
        data: Option<String>,
    },
    SetChargingProfile {
        connector_id: i32,
        profile: ChargingProfile,
    },
    ClearChargingProfile {
        id: Option<i32>,
        connector_id: Option<i32>,
        purpose: Option<String>,
        stack_level: Option<i32>,
    },
    GetCompositeSchedule {
        connector_id: i32,
        duration: i32,
        charging_rate_unit: Option<String>,
    },
    ReserveNow {
        connector_id: i32,
        expiry_date: OffsetDateTime,
        id_tag: String,
        parent_id_tag: Option<String>,
        reservation_id: i32,
    },
    CancelReservation {
        reservation_id: i32,
    },
    UpdateFirmware {
        location: String,
        retrieve_date: OffsetDateTime,
        retries: Option<i32>,
        retry_interval: Option<i32>,
    },
    GetDiagnostics {
        location: String,
        retries: Option<i32>,
        retry_interval: Option<i32>,
        start_time: Option<OffsetDateTime>,
        stop_time: Option<OffsetDateTime>,
    },
    SendLocalList {
        list_version: i32,
        full: bool,
        entries: Vec<LocalListEntry>,
    },
    GetLocalListVersion,
}

/// A configuration key as the charger reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigKey {
    pub key: String,
    pub readonly: bool,
    pub value: Option<String>,
}

/// The charger's answer, in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandReply {
    /// Most operations answer with a status (Accepted, Rejected, NotSupported, ...).
    Status(String),
    Configuration {
        keys: Vec<ConfigKey>,
        unknown_keys: Vec<String>,
    },
    DataTransfer {
        status: String,
        data: Option<String>,
    },
    CompositeSchedule {
        status: String,
        connector_id: Option<i32>,
        schedule_start: Option<OffsetDateTime>,
        schedule: Option<Schedule>,
    },
    LocalListVersion(i32),
    Diagnostics {
        file_name: Option<String>,
    },
    /// UpdateFirmware answers with an empty payload.
    Empty,
}

impl CommandReply {
    /// The status word, when the reply has one.
    pub fn status(&self) -> Option<&str> {
        match self {
            CommandReply::Status(s)
            | CommandReply::DataTransfer { status: s, .. }
            | CommandReply::CompositeSchedule { status: s, .. } => Some(s),
            _ => None,
        }
    }

    pub fn is_accepted(&self) -> bool {
        self.status() == Some("Accepted")
    }
}

/// Why a command did not produce the charger's answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    #[error("the charger is not connected")]
    NotConnected,
    #[error("the charger did not respond in time")]
    Timeout,
    #[error("too many commands are queued for this charger")]
    QueueFull,
    #[error("the charger answered with CALLERROR {code}: {description}")]
    CallError { code: String, description: String },
    #[error("the charger's answer is invalid: {0}")]
    InvalidResponse(String),
    #[error("the command cannot be sent to this charger: {0}")]
    Unsupported(String),
}

/// Carries commands to the connection that holds the charger's socket.
#[async_trait]
pub trait ChargerLink: Send + Sync + 'static {
    async fn send(
        &self,
        identity: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<CommandReply, LinkError>;
    /// Closes the charger's connection, if it has one (e.g. it was deleted).
    async fn disconnect(&self, identity: &str);
}
