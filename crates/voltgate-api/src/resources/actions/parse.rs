//! Request bodies of the actions, validated field by field into core's `Command`s before
//! anything is sent to the charger (422 with every problem at once).

use time::OffsetDateTime;
use voltgate_core::commands::{ChargingProfile, Command, Schedule, SchedulePeriod};

use crate::body::Body;

pub(crate) const PURPOSES: &[&str] = &["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"];
const KINDS: &[&str] = &["Absolute", "Recurring", "Relative"];
const RECURRENCY: &[&str] = &["Daily", "Weekly"];
const RATE_UNITS: &[&str] = &["A", "W"];
pub(crate) const TRIGGERS: &[&str] = &[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
];

/// A required integer in `min..=max`.
pub(crate) fn required_int(b: &mut Body, field: &str, min: i64, max: i64) -> Option<i32> {
    let v = b.opt_i64(field, min, max);
    b.require(field, v).map(|v| v as i32)
}

pub(crate) fn opt_int(b: &mut Body, field: &str, min: i64, max: i64) -> Option<i32> {
    b.opt_i64(field, min, max).flatten().map(|v| v as i32)
}

pub(crate) fn required_time(b: &mut Body, field: &str) -> Option<OffsetDateTime> {
    let v = b.opt_time(field);
    b.require(field, v)
}

pub(crate) fn required_choice(b: &mut Body, field: &str, choices: &[&str]) -> Option<String> {
    let v = b.opt_choice(field, choices);
    b.require(field, v)
}

fn required_f64(b: &mut Body, field: &str, min: f64, max: f64) -> Option<f64> {
    let v = b.opt_f64(field, min, max);
    b.require(field, v)
}

fn schedule(b: &mut Body) -> Option<Schedule> {
    let duration = opt_int(b, "duration", 0, i32::MAX as i64);
    let start_schedule = b.opt_time("start_schedule").flatten();
    let unit = required_choice(b, "charging_rate_unit", RATE_UNITS);
    let min_charging_rate = b.opt_f64("min_charging_rate", 0.0, 1e9).flatten();
    let mut periods = Vec::new();
    match b.children("charging_schedule_period") {
        Some(items) if !items.is_empty() => {
            for mut p in items {
                let start_period = required_int(&mut p, "start_period", 0, i32::MAX as i64);
                let limit = required_f64(&mut p, "limit", 0.0, 1e9);
                let number_phases = opt_int(&mut p, "number_phases", 1, 3);
                if let (Some(start_period), Some(limit)) = (start_period, limit) {
                    periods.push(SchedulePeriod {
                        start_period,
                        limit,
                        number_phases,
                    });
                }
                b.absorb(p);
            }
        }
        Some(_) => b.error("charging_schedule_period", "Must have at least one period."),
        None if b.has("charging_schedule_period") => {}
        None => b.error("charging_schedule_period", "This field is required."),
    }
    Some(Schedule {
        duration,
        start_schedule,
        charging_rate_unit: unit?,
        charging_schedule_period: periods,
        min_charging_rate,
    })
}

/// A full OCPP 1.6 charging profile in snake_case (`REFERENCE-APIS.md` §1.1, charging-profile).
pub(crate) fn charging_profile(b: &mut Body) -> Option<ChargingProfile> {
    let id = required_int(b, "charging_profile_id", 0, i32::MAX as i64);
    let transaction_id = opt_int(b, "transaction_id", 0, i32::MAX as i64);
    let stack_level = required_int(b, "stack_level", 0, 100);
    let purpose = required_choice(b, "charging_profile_purpose", PURPOSES);
    let kind = required_choice(b, "charging_profile_kind", KINDS);
    let recurrency_kind = b.opt_choice("recurrency_kind", RECURRENCY).flatten();
    let valid_from = b.opt_time("valid_from").flatten();
    let valid_to = b.opt_time("valid_to").flatten();
    let schedule = match b.child("charging_schedule") {
        Some(mut s) => {
            let parsed = schedule(&mut s);
            b.absorb(s);
            parsed
        }
        None => {
            if !b.has("charging_schedule") {
                b.error("charging_schedule", "This field is required.");
            }
            None
        }
    };
    if kind.as_deref() == Some("Recurring") && recurrency_kind.is_none() {
        b.error(
            "recurrency_kind",
            "This field is required when `charging_profile_kind` is `Recurring`.",
        );
    }
    if purpose.as_deref() == Some("TxProfile")
        && transaction_id.is_none()
        && b.has("transaction_id")
    {
        b.error("transaction_id", "Must be an integer.");
    }
    Some(ChargingProfile {
        charging_profile_id: id?,
        transaction_id,
        stack_level: stack_level?,
        charging_profile_purpose: purpose?,
        charging_profile_kind: kind?,
        recurrency_kind,
        valid_from,
        valid_to,
        charging_schedule: schedule?,
    })
}

fn nested_profile(b: &mut Body, field: &str, required: bool) -> Option<ChargingProfile> {
    match b.child(field) {
        Some(mut p) => {
            let parsed = charging_profile(&mut p);
            b.absorb(p);
            parsed
        }
        None => {
            if required && !b.has(field) {
                b.error(field, "This field is required.");
            }
            None
        }
    }
}

/// Parses the actions that map one-to-one onto a command. `None` with errors recorded in `b`;
/// actions needing the store (stop, reserve, charge-limit, send-local-list) are handled by the caller.
pub(crate) fn simple(action: &str, b: &mut Body) -> Option<Command> {
    match action {
        "start" => {
            b.only(&["connector_id", "id_token", "id_tag", "charging_profile"]);
            let connector_id = opt_int(b, "connector_id", 1, 1000);
            let id_tag = match (b.opt_string("id_token", 20), b.opt_string("id_tag", 20)) {
                (Some(Some(t)), _) | (_, Some(Some(t))) if !t.is_empty() => Some(t),
                _ => {
                    if !b.has("id_token") && !b.has("id_tag") {
                        b.error("id_token", "This field is required.");
                    }
                    None
                }
            };
            let charging_profile = nested_profile(b, "charging_profile", false);
            if let Some(p) = &charging_profile {
                if p.charging_profile_purpose != "TxProfile" {
                    b.error(
                        "charging_profile.charging_profile_purpose",
                        "Must be `TxProfile` for a remote start.",
                    );
                }
            }
            Some(Command::RemoteStart {
                connector_id,
                id_tag: id_tag?,
                charging_profile,
            })
        }
        "restart" | "reset" => {
            b.only(&["type"]);
            let kind = b
                .opt_choice("type", &["soft", "hard"])
                .flatten()
                .unwrap_or_else(|| "soft".into());
            Some(Command::Reset {
                hard: kind == "hard",
            })
        }
        "unlock" => {
            b.only(&["connector_id"]);
            Some(Command::Unlock {
                connector_id: required_int(b, "connector_id", 1, 1000)?,
            })
        }
        "change-availability" => {
            b.only(&["connector_id", "type"]);
            let connector_id = required_int(b, "connector_id", 0, 1000);
            let kind = required_choice(b, "type", &["operative", "inoperative"]);
            Some(Command::ChangeAvailability {
                connector_id: connector_id?,
                operative: kind? == "operative",
            })
        }
        "trigger-message" => {
            b.only(&["requested_message", "connector_id"]);
            let message = required_choice(b, "requested_message", TRIGGERS);
            let connector_id = opt_int(b, "connector_id", 0, 1000);
            Some(Command::TriggerMessage {
                message: message?,
                connector_id,
            })
        }
        "get-configuration" => {
            b.only(&["keys"]);
            Some(Command::GetConfiguration {
                keys: b.opt_strings("keys", 50).unwrap_or_default(),
            })
        }
        "change-configuration" => {
            b.only(&["key", "value"]);
            let key = b.required_string("key", 50);
            let value = b.opt_string("value", 500);
            let value = b.require("value", value);
            Some(Command::ChangeConfiguration {
                key: key?,
                value: value?,
            })
        }
        "clear-cache" => {
            b.only(&[]);
            Some(Command::ClearCache)
        }
        "data-transfer" => {
            b.only(&["vendor_id", "message_id", "data"]);
            let vendor_id = b.required_string("vendor_id", 255);
            let message_id = b.opt_string("message_id", 50).flatten();
            let data = b.opt_string("data", 100_000).flatten();
            Some(Command::DataTransfer {
                vendor_id: vendor_id?,
                message_id,
                data,
            })
        }
        "charging-profile" => {
            b.only(&["connector_id", "charging_profile"]);
            let connector_id = required_int(b, "connector_id", 0, 1000);
            let profile = nested_profile(b, "charging_profile", true);
            Some(Command::SetChargingProfile {
                connector_id: connector_id?,
                profile: profile?,
            })
        }
        "clear-charging-profile" => {
            b.only(&[
                "id",
                "connector_id",
                "charging_profile_purpose",
                "stack_level",
            ]);
            Some(Command::ClearChargingProfile {
                id: opt_int(b, "id", 0, i32::MAX as i64),
                connector_id: opt_int(b, "connector_id", 0, 1000),
                purpose: b.opt_choice("charging_profile_purpose", PURPOSES).flatten(),
                stack_level: opt_int(b, "stack_level", 0, 100),
            })
        }
        "composite-schedule" => {
            b.only(&["connector_id", "duration", "charging_rate_unit"]);
            let connector_id = required_int(b, "connector_id", 0, 1000);
            let duration = required_int(b, "duration", 1, 7 * 24 * 3600);
            let unit = b.opt_choice("charging_rate_unit", RATE_UNITS).flatten();
            Some(Command::GetCompositeSchedule {
                connector_id: connector_id?,
                duration: duration?,
                charging_rate_unit: unit,
            })
        }
        "cancel-reservation" => {
            b.only(&["reservation_id"]);
            Some(Command::CancelReservation {
                reservation_id: required_int(b, "reservation_id", 0, i32::MAX as i64)?,
            })
        }
        "update-firmware" => {
            b.only(&["location", "retrieve_date", "retries", "retry_interval"]);
            let location = uri(b, "location");
            let retrieve_date = required_time(b, "retrieve_date");
            Some(Command::UpdateFirmware {
                location: location?,
                retrieve_date: retrieve_date?,
                retries: opt_int(b, "retries", 0, 100),
                retry_interval: opt_int(b, "retry_interval", 0, 86_400),
            })
        }
        "get-diagnostics" => {
            b.only(&[
                "location",
                "start_time",
                "stop_time",
                "retries",
                "retry_interval",
            ]);
            let location = uri(b, "location");
            Some(Command::GetDiagnostics {
                location: location?,
                retries: opt_int(b, "retries", 0, 100),
                retry_interval: opt_int(b, "retry_interval", 0, 86_400),
                start_time: b.opt_time("start_time").flatten(),
                stop_time: b.opt_time("stop_time").flatten(),
            })
        }
        "get-local-list-version" => {
            b.only(&[]);
            Some(Command::GetLocalListVersion)
        }
        _ => None,
    }
}

/// A required URI (scheme://...), at most 512 characters.
fn uri(b: &mut Body, field: &str) -> Option<String> {
    let value = b.required_string(field, 512)?;
    let ok = value.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
    });
    if !ok {
        b.error(
            field,
            "Must be a valid URI, such as `ftp://host/path` or `https://host/firmware.bin`.",
        );
        return None;
    }
    Some(value)
}
