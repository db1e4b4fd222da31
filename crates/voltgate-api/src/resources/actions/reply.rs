//! The charger's answer as the API shows it: OCPP fields in snake_case.

use serde_json::{json, Value};
use voltgate_core::commands::{CommandReply, Schedule};

use crate::time_fmt::{format, format_opt};

pub(crate) fn schedule_json(s: &Schedule) -> Value {
    json!({
        "duration": s.duration,
        "start_schedule": format_opt(s.start_schedule),
        "charging_rate_unit": s.charging_rate_unit,
        "charging_schedule_period": s.charging_schedule_period.iter().map(|p| json!({
            "start_period": p.start_period,
            "limit": p.limit,
            "number_phases": p.number_phases,
        })).collect::<Vec<_>>(),
        "min_charging_rate": s.min_charging_rate,
    })
}

pub(crate) fn to_json(reply: &CommandReply) -> Value {
    match reply {
        CommandReply::Status(s) => json!({ "status": s }),
        CommandReply::Configuration { keys, unknown_keys } => json!({
            "configuration_key": keys.iter().map(|k| json!({"key": k.key, "readonly": k.readonly, "value": k.value})).collect::<Vec<_>>(),
            "unknown_key": unknown_keys,
        }),
        CommandReply::DataTransfer { status, data } => json!({ "status": status, "data": data }),
        CommandReply::CompositeSchedule {
            status,
            connector_id,
            schedule_start,
            schedule,
        } => json!({
            "status": status,
            "connector_id": connector_id,
            "schedule_start": schedule_start.map(format),
            "charging_schedule": schedule.as_ref().map(schedule_json),
        }),
        CommandReply::LocalListVersion(v) => json!({ "list_version": v }),
        CommandReply::Diagnostics { file_name } => json!({ "file_name": file_name }),
        CommandReply::Empty => json!({}),
    }
}
