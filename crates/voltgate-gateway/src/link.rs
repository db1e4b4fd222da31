//! `ChargerLink` for OCPP 1.6: translates core's commands into typed 1.6 requests, sends them
//! through the registry (one in flight per connection) and turns the typed answers back into
//! core's replies.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use voltgate_core::commands::{
    ChargerLink, ChargingProfile, Command, CommandReply, ConfigKey, LinkError, Schedule,
    SchedulePeriod,
};
use voltgate_ocpp::v16::{self, Payload};

use crate::registry::{CallFailure, Registry};
use crate::v16::format_time;

/// The gateway side of core's command port.
#[derive(Debug, Clone)]
pub struct GatewayLink {
    registry: Registry,
}

impl GatewayLink {
    pub fn new(registry: Registry) -> Self {
        Self { registry }
    }
}

fn unsupported(field: &str, value: &str) -> LinkError {
    LinkError::Unsupported(format!("{field} {value:?} is not an OCPP 1.6 value"))
}

fn enum_value<T>(field: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, LinkError> {
    parse(value).ok_or_else(|| unsupported(field, value))
}

fn schedule_to_v16(s: &Schedule) -> Result<v16::ChargingSchedule, LinkError> {
    Ok(v16::ChargingSchedule {
        duration: s.duration,
        start_schedule: s.start_schedule.map(format_time),
        charging_rate_unit: enum_value(
            "charging_rate_unit",
            &s.charging_rate_unit,
            v16::ChargingRateUnit::from_name,
        )?,
        charging_schedule_period: s
            .charging_schedule_period
            .iter()
            .map(|p| v16::ChargingSchedulePeriod {
                start_period: p.start_period,
                limit: p.limit,
                number_phases: p.number_phases,
            })
            .collect(),
        min_charging_rate: s.min_charging_rate,
    })
}

fn schedule_from_v16(s: v16::ChargingSchedule) -> Schedule {
    Schedule {
        duration: s.duration,
        start_schedule: s
            .start_schedule
            .as_deref()
            .and_then(voltgate_ocpp::parse_timestamp),
        charging_rate_unit: s.charging_rate_unit.as_str().to_owned(),
        charging_schedule_period: s
            .charging_schedule_period
            .into_iter()
            .map(|p| SchedulePeriod {
                start_period: p.start_period,
                limit: p.limit,
                number_phases: p.number_phases,
            })
            .collect(),
        min_charging_rate: s.min_charging_rate,
    }
}

fn profile_to_v16(p: &ChargingProfile) -> Result<v16::ChargingProfile, LinkError> {
    Ok(v16::ChargingProfile {
        charging_profile_id: p.charging_profile_id,
        transaction_id: p.transaction_id,
        stack_level: p.stack_level,
        charging_profile_purpose: enum_value(
            "charging_profile_purpose",
            &p.charging_profile_purpose,
            v16::ChargingProfilePurpose::from_name,
        )?,
        charging_profile_kind: enum_value(
            "charging_profile_kind",
            &p.charging_profile_kind,
            v16::ChargingProfileKind::from_name,
        )?,
        recurrency_kind: match &p.recurrency_kind {
            Some(k) => Some(enum_value(
                "recurrency_kind",
                k,
                v16::RecurrencyKind::from_name,
            )?),
            None => None,
        },
        valid_from: p.valid_from.map(format_time),
        valid_to: p.valid_to.map(format_time),
        charging_schedule: schedule_to_v16(&p.charging_schedule)?,
    })
}

fn request<P: Payload>(p: P) -> (v16::Action, Value) {
    (P::ACTION, p.to_payload())
}

/// The OCPP 1.6 action and payload for a command.
pub(crate) fn to_v16(command: &Command) -> Result<(v16::Action, Value), LinkError> {
    use v16::*;
    Ok(match command {
        Command::RemoteStart {
            connector_id,
            id_tag,
            charging_profile,
        } => request(RemoteStartTransactionRequest {
            connector_id: *connector_id,
            id_tag: id_tag.clone(),
            charging_profile: charging_profile.as_ref().map(profile_to_v16).transpose()?,
        }),
        Command::RemoteStop { transaction_id } => request(RemoteStopTransactionRequest {
            transaction_id: *transaction_id,
        }),
        Command::Reset { hard } => request(ResetRequest {
            kind: if *hard {
                ResetType::Hard
            } else {
                ResetType::Soft
            },
        }),
        Command::Unlock { connector_id } => request(UnlockConnectorRequest {
            connector_id: *connector_id,
        }),
        Command::ChangeAvailability {
            connector_id,
            operative,
        } => request(ChangeAvailabilityRequest {
            connector_id: *connector_id,
            kind: if *operative {
                AvailabilityType::Operative
            } else {
                AvailabilityType::Inoperative
            },
        }),
        Command::TriggerMessage {
            message,
            connector_id,
        } => request(TriggerMessageRequest {
            requested_message: enum_value("requested_message", message, MessageTrigger::from_name)?,
            connector_id: *connector_id,
        }),
        Command::GetConfiguration { keys } => request(GetConfigurationRequest {
            key: if keys.is_empty() {
                None
            } else {
                Some(keys.clone())
            },
        }),
        Command::ChangeConfiguration { key, value } => request(ChangeConfigurationRequest {
            key: key.clone(),
            value: value.clone(),
        }),
        Command::ClearCache => request(ClearCacheRequest {}),
        Command::DataTransfer {
            vendor_id,
            message_id,
            data,
        } => request(DataTransferRequest {
            vendor_id: vendor_id.clone(),
            message_id: message_id.clone(),
            data: data.clone(),
        }),
        Command::SetChargingProfile {
            connector_id,
            profile,
        } => request(SetChargingProfileRequest {
            connector_id: *connector_id,
            cs_charging_profiles: profile_to_v16(profile)?,
        }),
        Command::ClearChargingProfile {
            id,
            connector_id,
            purpose,
            stack_level,
        } => request(ClearChargingProfileRequest {
            id: *id,
            connector_id: *connector_id,
            charging_profile_purpose: match purpose {
                Some(p) => Some(enum_value(
                    "charging_profile_purpose",
                    p,
                    ChargingProfilePurpose::from_name,
                )?),
                None => None,
            },
            stack_level: *stack_level,
        }),
        Command::GetCompositeSchedule {
            connector_id,
            duration,
            charging_rate_unit,
        } => request(GetCompositeScheduleRequest {
            connector_id: *connector_id,
            duration: *duration,
            charging_rate_unit: match charging_rate_unit {
                Some(u) => Some(enum_value(
                    "charging_rate_unit",
                    u,
                    ChargingRateUnit::from_name,
                )?),
                None => None,
            },
        }),
        Command::ReserveNow {
            connector_id,
            expiry_date,
            id_tag,
            parent_id_tag,
            reservation_id,
        } => request(ReserveNowRequest {
            connector_id: *connector_id,
            expiry_date: format_time(*expiry_date),
            id_tag: id_tag.clone(),
            parent_id_tag: parent_id_tag.clone(),
            reservation_id: *reservation_id,
        }),
        Command::CancelReservation { reservation_id } => request(CancelReservationRequest {
            reservation_id: *reservation_id,
        }),
        Command::UpdateFirmware {
            location,
            retrieve_date,
            retries,
            retry_interval,
        } => request(UpdateFirmwareRequest {
            location: location.clone(),
            retries: *retries,
            retrieve_date: format_time(*retrieve_date),
            retry_interval: *retry_interval,
        }),
        Command::GetDiagnostics {
            location,
            retries,
            retry_interval,
            start_time,
            stop_time,
        } => request(GetDiagnosticsRequest {
            location: location.clone(),
            retries: *retries,
            retry_interval: *retry_interval,
            start_time: start_time.map(format_time),
            stop_time: stop_time.map(format_time),
        }),
        Command::SendLocalList {
            list_version,
            full,
            entries,
        } => {
            let mut list = Vec::with_capacity(entries.len());
            for e in entries {
                let id_tag_info = match &e.status {
                    Some(status) => Some(IdTagInfo {
                        expiry_date: e.expiry_date.map(format_time),
                        parent_id_tag: e.parent_id_tag.clone(),
                        status: enum_value("status", status, AuthorizationStatus::from_name)?,
                    }),
                    None => None,
                };
                list.push(AuthorizationData {
                    id_tag: e.id_tag.clone(),
                    id_tag_info,
                });
            }
            request(SendLocalListRequest {
                list_version: *list_version,
                local_authorization_list: Some(list),
                update_type: if *full {
                    UpdateType::Full
                } else {
                    UpdateType::Differential
                },
            })
        }
        Command::GetLocalListVersion => request(GetLocalListVersionRequest {}),
    })
}

fn decode<P: Payload>(value: Value) -> Result<P, LinkError> {
    P::from_payload(value).map_err(|v| LinkError::InvalidResponse(v.description))
}

/// Core's reply for the charger's answer to `action`.
pub(crate) fn from_v16(action: v16::Action, value: Value) -> Result<CommandReply, LinkError> {
    use v16::*;
    let status = |s: &str| Ok(CommandReply::Status(s.to_owned()));
    match action {
        Action::RemoteStartTransaction => status(
            decode::<RemoteStartTransactionResponse>(value)?
                .status
                .as_str(),
        ),
        Action::RemoteStopTransaction => status(
            decode::<RemoteStopTransactionResponse>(value)?
                .status
                .as_str(),
        ),
        Action::Reset => status(decode::<ResetResponse>(value)?.status.as_str()),
        Action::UnlockConnector => {
            status(decode::<UnlockConnectorResponse>(value)?.status.as_str())
        }
        Action::ChangeAvailability => {
            status(decode::<ChangeAvailabilityResponse>(value)?.status.as_str())
        }
        Action::TriggerMessage => status(decode::<TriggerMessageResponse>(value)?.status.as_str()),
        Action::ChangeConfiguration => status(
            decode::<ChangeConfigurationResponse>(value)?
                .status
                .as_str(),
        ),
        Action::ClearCache => status(decode::<ClearCacheResponse>(value)?.status.as_str()),
        Action::SetChargingProfile => {
            status(decode::<SetChargingProfileResponse>(value)?.status.as_str())
        }
        Action::ClearChargingProfile => status(
            decode::<ClearChargingProfileResponse>(value)?
                .status
                .as_str(),
        ),
        Action::ReserveNow => status(decode::<ReserveNowResponse>(value)?.status.as_str()),
        Action::CancelReservation => {
            status(decode::<CancelReservationResponse>(value)?.status.as_str())
        }
        Action::SendLocalList => status(decode::<SendLocalListResponse>(value)?.status.as_str()),
        Action::GetConfiguration => {
            let r: GetConfigurationResponse = decode(value)?;
            Ok(CommandReply::Configuration {
                keys: r
                    .configuration_key
                    .unwrap_or_default()
                    .into_iter()
                    .map(|k| ConfigKey {
                        key: k.key,
                        readonly: k.readonly,
                        value: k.value,
                    })
                    .collect(),
                unknown_keys: r.unknown_key.unwrap_or_default(),
            })
        }
        Action::DataTransfer => {
            let r: DataTransferResponse = decode(value)?;
            Ok(CommandReply::DataTransfer {
                status: r.status.as_str().to_owned(),
                data: r.data,
            })
        }
        Action::GetCompositeSchedule => {
            let r: GetCompositeScheduleResponse = decode(value)?;
            Ok(CommandReply::CompositeSchedule {
                status: r.status.as_str().to_owned(),
                connector_id: r.connector_id,
                schedule_start: r
                    .schedule_start
                    .as_deref()
                    .and_then(voltgate_ocpp::parse_timestamp),
                schedule: r.charging_schedule.map(schedule_from_v16),
            })
        }
        Action::GetLocalListVersion => Ok(CommandReply::LocalListVersion(
            decode::<GetLocalListVersionResponse>(value)?.list_version,
        )),
        Action::GetDiagnostics => Ok(CommandReply::Diagnostics {
            file_name: decode::<GetDiagnosticsResponse>(value)?.file_name,
        }),
        Action::UpdateFirmware => {
            decode::<UpdateFirmwareResponse>(value)?;
            Ok(CommandReply::Empty)
        }
        other => Err(LinkError::Unsupported(format!(
            "{} is not a central-system command",
            other.as_str()
        ))),
    }
}

#[async_trait]
impl ChargerLink for GatewayLink {
    async fn send(
        &self,
        identity: &str,
        command: Command,
        timeout: Duration,
    ) -> Result<CommandReply, LinkError> {
        let (action, payload) = to_v16(&command)?;
        let answer = self
            .registry
            .call(identity, action.as_str(), payload, timeout)
            .await
            .map_err(|e| match e {
                CallFailure::NotConnected | CallFailure::ConnectionClosed => {
                    LinkError::NotConnected
                }
                CallFailure::Timeout => LinkError::Timeout,
                CallFailure::QueueFull => LinkError::QueueFull,
                CallFailure::CallError { code, description } => {
                    LinkError::CallError { code, description }
                }
                CallFailure::InvalidResponse(d) => LinkError::InvalidResponse(d),
                CallFailure::InvalidRequest(d) => LinkError::Unsupported(d),
            })?;
        from_v16(action, answer)
    }

    async fn disconnect(&self, identity: &str) {
        if self.registry.disconnect(identity) {
            tracing::info!(
                charger.identity = identity,
                "closed the connection of a removed charger"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use voltgate_ocpp::{validate, OcppVersion, PayloadKind};

    fn profile() -> ChargingProfile {
        ChargingProfile {
            charging_profile_id: 7,
            transaction_id: None,
            stack_level: 1,
            charging_profile_purpose: "TxDefaultProfile".into(),
            charging_profile_kind: "Absolute".into(),
            recurrency_kind: None,
            valid_from: None,
            valid_to: None,
            charging_schedule: Schedule {
                duration: Some(3600),
                start_schedule: None,
                charging_rate_unit: "A".into(),
                charging_schedule_period: vec![SchedulePeriod {
                    start_period: 0,
                    limit: 16.0,
                    number_phases: Some(3),
                }],
                min_charging_rate: None,
            },
        }
    }

    #[test]
    fn every_command_becomes_a_schema_valid_request() {
        let at = time::macros::datetime!(2025-07-04 13:00 UTC);
        let commands = vec![
            Command::RemoteStart {
                connector_id: Some(1),
                id_tag: "T".into(),
                charging_profile: Some(profile()),
            },
            Command::RemoteStop { transaction_id: 3 },
            Command::Reset { hard: true },
            Command::Unlock { connector_id: 1 },
            Command::ChangeAvailability {
                connector_id: 0,
                operative: false,
            },
            Command::TriggerMessage {
                message: "StatusNotification".into(),
                connector_id: Some(1),
            },
            Command::GetConfiguration { keys: vec![] },
            Command::GetConfiguration {
                keys: vec!["HeartbeatInterval".into()],
            },
            Command::ChangeConfiguration {
                key: "HeartbeatInterval".into(),
                value: "60".into(),
            },
            Command::ClearCache,
            Command::DataTransfer {
                vendor_id: "acme".into(),
                message_id: None,
                data: Some("x".into()),
            },
            Command::SetChargingProfile {
                connector_id: 1,
                profile: profile(),
            },
            Command::ClearChargingProfile {
                id: None,
                connector_id: Some(1),
                purpose: Some("TxProfile".into()),
                stack_level: None,
            },
            Command::GetCompositeSchedule {
                connector_id: 1,
                duration: 600,
                charging_rate_unit: Some("W".into()),
            },
            Command::ReserveNow {
                connector_id: 1,
                expiry_date: at,
                id_tag: "T".into(),
                parent_id_tag: None,
                reservation_id: 4,
            },
            Command::CancelReservation { reservation_id: 4 },
            Command::UpdateFirmware {
                location: "https://fw.example/x.bin".into(),
                retrieve_date: at,
                retries: Some(2),
                retry_interval: None,
            },
            Command::GetDiagnostics {
                location: "ftp://logs.example/".into(),
                retries: None,
                retry_interval: None,
                start_time: Some(at),
                stop_time: None,
            },
            Command::SendLocalList {
                list_version: 2,
                full: true,
                entries: vec![voltgate_core::commands::LocalListEntry {
                    id_tag: "T".into(),
                    status: Some("Accepted".into()),
                    expiry_date: None,
                    parent_id_tag: None,
                }],
            },
            Command::GetLocalListVersion,
        ];
        for c in commands {
            let (action, payload) = to_v16(&c).unwrap();
            validate(OcppVersion::V16, action, PayloadKind::Request, &payload)
                .unwrap_or_else(|v| panic!("{c:?}: {}", v.description));
        }
    }

    #[test]
    fn answers_become_replies_and_bad_answers_are_reported() {
        let r = from_v16(v16::Action::GetConfiguration, json!({"configurationKey": [{"key": "A", "readonly": true, "value": "1"}], "unknownKey": ["B"]})).unwrap();
        assert_eq!(
            r,
            CommandReply::Configuration {
                keys: vec![ConfigKey {
                    key: "A".into(),
                    readonly: true,
                    value: Some("1".into())
                }],
                unknown_keys: vec!["B".into()]
            }
        );
        assert_eq!(
            from_v16(v16::Action::UnlockConnector, json!({"status": "Unlocked"})).unwrap(),
            CommandReply::Status("Unlocked".into())
        );
        assert!(matches!(
            from_v16(v16::Action::Reset, json!({"status": "Maybe"})),
            Err(LinkError::InvalidResponse(_))
        ));
        assert_eq!(
            from_v16(v16::Action::GetLocalListVersion, json!({"listVersion": 5})).unwrap(),
            CommandReply::LocalListVersion(5)
        );
    }
}
