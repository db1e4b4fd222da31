//! Answers to CSMS-initiated OCPP 1.6 calls from the charger's [`Station`] model.
//!
//! Each function reads the request, decides the answer the specification asks for from the
//! connectors' state, changes the model where the answer itself changes it (a reservation, an
//! installed profile, a pending start) and pushes an [`Effect`] for anything that must happen after
//! the CALLRESULT went out (the StartTransaction that follows a RemoteStartTransaction, a reboot).

use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::clock::parse_rfc3339;
use crate::connector::{PendingStart, Reservation};
use crate::frame::CallErrorInfo;
use crate::handler::{required_str, HandlerContext};
use crate::profile::{ChargingProfile, LimitContext, Purpose};
use crate::station::{Effect, LocalAuth, Station};
use crate::types::{AuthorizationStatus, StopReason};

type Answer = Result<Value, CallErrorInfo>;

/// What the configuration allows.
struct Limits {
    max_stack_level: u64,
    max_profiles: u64,
    local_list: bool,
    local_list_max: u64,
}

/// The answer to `action`, or `None` when the model has nothing to say about it.
pub(crate) fn answer(
    ctx: &mut HandlerContext<'_>,
    action: &str,
    payload: &Value,
) -> Option<Answer> {
    let connection_timeout = ctx.configuration.integer("ConnectionTimeOut").unwrap_or(60);
    let setting = |key: &str, default: u64| ctx.configuration.integer(key).unwrap_or(default);
    let limits = Limits {
        max_stack_level: setting("ChargeProfileMaxStackLevel", 10),
        max_profiles: setting("MaxChargingProfilesInstalled", 10),
        local_list: ctx.configuration.value("LocalAuthListEnabled") != Some("false"),
        local_list_max: setting("SendLocalListMaxLength", 100),
    };
    let identity = ctx.identity.to_owned();
    let station = ctx.station.as_deref_mut()?;
    let effects = &mut *ctx.effects;
    let answer = match action {
        "RemoteStartTransaction" => remote_start(station, effects, payload, connection_timeout),
        "RemoteStopTransaction" => remote_stop(station, effects, payload),
        "Reset" => reset(effects, payload),
        "UnlockConnector" => unlock(station, effects, payload),
        "ChangeAvailability" => change_availability(station, effects, payload),
        "SetChargingProfile" => set_profile(station, effects, payload, &limits),
        "ClearChargingProfile" => clear_profile(station, effects, payload),
        "GetCompositeSchedule" => composite_schedule(station, payload),
        "TriggerMessage" => trigger(station, effects, payload),
        "ReserveNow" => reserve(station, effects, payload),
        "CancelReservation" => cancel_reservation(station, effects, payload),
        "GetLocalListVersion" => Ok(json!({"listVersion": station.local_list_version})),
        "SendLocalList" => send_local_list(station, payload, &limits),
        "ClearCache" => {
            station.auth_cache.clear();
            Ok(json!({"status": "Accepted"}))
        }
        "UpdateFirmware" => required_str(payload, "location").map(|_| {
            effects.push(Effect::Firmware);
            json!({})
        }),
        "GetDiagnostics" => required_str(payload, "location").map(|_| {
            effects.push(Effect::Diagnostics);
            json!({"fileName": format!("diagnostics-{identity}.log")})
        }),
        _ => return None,
    };
    Some(answer)
}

fn status(text: &str) -> Answer {
    Ok(json!({ "status": text }))
}

fn integer(payload: &Value, field: &str) -> Result<Option<i64>, CallErrorInfo> {
    match payload.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            CallErrorInfo::new(
                "TypeConstraintViolation",
                format!("{field} must be an integer"),
            )
        }),
    }
}

fn required_integer(payload: &Value, field: &str) -> Result<i64, CallErrorInfo> {
    integer(payload, field)?.ok_or_else(|| {
        CallErrorInfo::new(
            "OccurenceConstraintViolation",
            format!("{field} is required"),
        )
    })
}

/// A connector id in 1..=N, or `None`.
fn outlet(station: &Station, id: i64) -> Option<u32> {
    let id = u32::try_from(id).ok()?;
    (id >= 1 && (id as usize) < station.connectors.len()).then_some(id)
}

fn remote_start(
    station: &mut Station,
    effects: &mut Vec<Effect>,
    payload: &Value,
    connection_timeout: u64,
) -> Answer {
    let id_tag = required_str(payload, "idTag")?;
    let usable = |station: &Station, id: u32| {
        let c = &station.connectors[id as usize];
        c.can_start()
            && c.pending_start.is_none()
            && c.reservation
                .as_ref()
                .is_none_or(|r| r.id_tag.eq_ignore_ascii_case(id_tag))
    };
    let connector = match integer(payload, "connectorId")? {
        Some(id) => match outlet(station, id) {
            Some(id) if usable(station, id) => id,
            _ => return status("Rejected"),
        },
        // No connector named: one with an EV waiting, else the first free one.
        None => {
            let free: Vec<u32> = (1..station.connectors.len() as u32)
                .filter(|id| usable(station, *id))
                .collect();
            let plugged = free
                .iter()
                .copied()
                .find(|id| station.connectors[*id as usize].ev.is_some());
            match plugged.or(free.first().copied()) {
                Some(id) => id,
                None => return status("Rejected"),
            }
        }
    };
    let profile = payload.get("chargingProfile").cloned();
    if let Some(profile) = &profile {
        match ChargingProfile::from_payload(connector, profile) {
            Ok(p) if p.purpose == Purpose::Tx => {}
            _ => return status("Rejected"),
        }
    }
    station.connectors[connector as usize].pending_start = Some(PendingStart {
        id_tag: id_tag.to_owned(),
        deadline: Instant::now() + Duration::from_secs(connection_timeout),
        profile,
    });
    effects.push(Effect::RemoteStart { connector });
    status("Accepted")
}

fn remote_stop(station: &mut Station, effects: &mut Vec<Effect>, payload: &Value) -> Answer {
    let id = required_integer(payload, "transactionId")?;
    let connector = i32::try_from(id)
        .ok()
        .and_then(|id| station.connector_of(id));
    match connector {
        Some(connector) => {
            effects.push(Effect::Stop {
                connector,
                reason: StopReason::Remote,
            });
            status("Accepted")
        }
        None => status("Rejected"),
    }
}

fn reset(effects: &mut Vec<Effect>, payload: &Value) -> Answer {
    let hard = match required_str(payload, "type")? {
        "Hard" => true,
        "Soft" => false,
        other => {
            return Err(CallErrorInfo::new(
                "PropertyConstraintViolation",
                format!("type {other:?} is not Hard or Soft"),
            ))
        }
    };
    effects.push(Effect::Reboot { hard });
    status("Accepted")
}

fn unlock(station: &mut Station, effects: &mut Vec<Effect>, payload: &Value) -> Answer {
    let Some(connector) = outlet(station, required_integer(payload, "connectorId")?) else {
        return status("NotSupported");
    };
    if station.connectors[connector as usize]
        .transaction_id
        .is_some()
    {
        effects.push(Effect::Stop {
            connector,
            reason: StopReason::UnlockCommand,
        });
    }
    status("Unlocked")
}

fn change_availability(
    station: &mut Station,
    effects: &mut Vec<Effect>,
    payload: &Value,
) -> Answer {
    let id = required_integer(payload, "connectorId")?;
    let inoperative = match required_str(payload, "type")? {
        "Inoperative" => true,
        "Operative" => false,
        other => {
            return Err(CallErrorInfo::new(
                "PropertyConstraintViolation",
                format!("type {other:?} is not Inoperative or Operative"),
            ))
        }
    };
    let targets: Vec<u32> = match id {
        0 => (0..station.connectors.len() as u32).collect(),
        id => match outlet(station, id) {
            Some(id) => vec![id],
            None => return status("Rejected"),
        },
    };
    let mut scheduled = false;
    for target in targets {
        let connector = &mut station.connectors[target as usize];
        if connector.transaction_id.is_some() && inoperative {
            connector.scheduled_unavailable = Some(true);
            scheduled = true;
        } else {
            connector.unavailable = inoperative;
            connector.scheduled_unavailable = None;
        }
    }
    effects.push(Effect::Sync { connector: 0 });
    status(if scheduled { "Scheduled" } else { "Accepted" })
}

fn set_profile(
    station: &mut Station,
    effects: &mut Vec<Effect>,
    payload: &Value,
    limits: &Limits,
) -> Answer {
    let id = required_integer(payload, "connectorId")?;
    let Some(raw) = payload.get("csChargingProfiles") else {
        return Err(CallErrorInfo::new(
            "OccurenceConstraintViolation",
            "csChargingProfiles is required",
        ));
    };
    let connector = match u32::try_from(id) {
        Ok(0) => 0,
        _ => match outlet(station, id) {
            Some(id) => id,
            None => return status("Rejected"),
        },
    };
    let Ok(mut profile) = ChargingProfile::from_payload(connector, raw) else {
        return status("Rejected");
    };
    let replaces = station.profiles.iter().any(|p| p.id == profile.id);
    let installed = station.profiles.iter().count() as u64;
    let too_deep = u64::try_from(profile.stack_level).map_or(true, |l| l > limits.max_stack_level);
    if too_deep || (!replaces && installed >= limits.max_profiles) {
        return status("Rejected");
    }
    match profile.purpose {
        Purpose::ChargePointMax if connector != 0 => return status("Rejected"),
        Purpose::Tx => {
            // A TxProfile needs a running transaction on its connector (3.13.4).
            let running = station.connectors[connector as usize].transaction_id;
            match (running, profile.transaction_id) {
                (Some(running), None) => profile.transaction_id = Some(running),
                (Some(running), Some(asked)) if running == asked => {}
                _ => return status("Rejected"),
            }
        }
        _ => {}
    }
    station.profiles.install(profile);
    station.reevaluate_all(Instant::now(), OffsetDateTime::now_utc());
    effects.push(Effect::Reevaluate);
    status("Accepted")
}

fn clear_profile(station: &mut Station, effects: &mut Vec<Effect>, payload: &Value) -> Answer {
    let id = integer(payload, "id")?.and_then(|v| i32::try_from(v).ok());
    let connector = integer(payload, "connectorId")?.and_then(|v| u32::try_from(v).ok());
    let purpose = payload
        .get("chargingProfilePurpose")
        .and_then(Value::as_str);
    let level = integer(payload, "stackLevel")?.and_then(|v| i32::try_from(v).ok());
    let removed = station.profiles.clear(id, connector, purpose, level);
    station.reevaluate_all(Instant::now(), OffsetDateTime::now_utc());
    effects.push(Effect::Reevaluate);
    status(if removed > 0 { "Accepted" } else { "Unknown" })
}

fn composite_schedule(station: &mut Station, payload: &Value) -> Answer {
    let id = required_integer(payload, "connectorId")?;
    let duration = required_integer(payload, "duration")?;
    let in_watts = match payload.get("chargingRateUnit").and_then(Value::as_str) {
        None | Some("A") => false,
        Some("W") => true,
        Some(_) => return status("Rejected"),
    };
    let connector = match u32::try_from(id) {
        Ok(0) => 0,
        _ => match outlet(station, id) {
            Some(id) => id,
            None => return status("Rejected"),
        },
    };
    let state = &station.connectors[connector as usize];
    let ctx = LimitContext {
        connector,
        transaction_id: state.transaction_id,
        tx_start: state.transaction_started_at,
        phases: state.ev.as_ref().map_or(3, |ev| ev.phases),
    };
    let max = state.max_current_a;
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::now_utc());
    Ok(station
        .profiles
        .composite_schedule(&ctx, now, duration, in_watts, max))
}

fn trigger(station: &mut Station, effects: &mut Vec<Effect>, payload: &Value) -> Answer {
    let message = required_str(payload, "requestedMessage")?;
    let connector = match integer(payload, "connectorId")? {
        None => None,
        Some(id) => match u32::try_from(id) {
            Ok(id) if (id as usize) < station.connectors.len() => Some(id),
            _ => return status("Rejected"),
        },
    };
    match message {
        "BootNotification"
        | "DiagnosticsStatusNotification"
        | "FirmwareStatusNotification"
        | "Heartbeat"
        | "MeterValues"
        | "StatusNotification" => {
            effects.push(Effect::Trigger {
                message: message.to_owned(),
                connector,
            });
            status("Accepted")
        }
        _ => status("NotImplemented"),
    }
}

fn reserve(station: &mut Station, effects: &mut Vec<Effect>, payload: &Value) -> Answer {
    let id = required_integer(payload, "connectorId")?;
    let reservation_id = required_integer(payload, "reservationId")?;
    let id_tag = required_str(payload, "idTag")?;
    let expires_at = parse_rfc3339(required_str(payload, "expiryDate")?).ok_or_else(|| {
        CallErrorInfo::new(
            "PropertyConstraintViolation",
            "expiryDate is not a date-time",
        )
    })?;
    let Ok(reservation_id) = i32::try_from(reservation_id) else {
        return status("Rejected");
    };
    // Reserving connector 0 is optional (ReserveConnectorZeroSupported) and not supported here.
    let Some(connector) = outlet(station, id) else {
        return status("Rejected");
    };
    let state = &mut station.connectors[connector as usize];
    if state.fault.is_some() {
        return status("Faulted");
    }
    if state.unavailable {
        return status("Unavailable");
    }
    let other_reservation = state
        .reservation
        .as_ref()
        .is_some_and(|r| r.id != reservation_id);
    if state.transaction_id.is_some()
        || state.ev.is_some()
        || state.pending_start.is_some()
        || other_reservation
    {
        return status("Occupied");
    }
    state.reservation = Some(Reservation {
        id: reservation_id,
        id_tag: id_tag.to_owned(),
        parent_id_tag: payload
            .get("parentIdTag")
            .and_then(Value::as_str)
            .map(str::to_owned),
        expires_at,
    });
    effects.push(Effect::Sync { connector });
    status("Accepted")
}

fn cancel_reservation(station: &mut Station, effects: &mut Vec<Effect>, payload: &Value) -> Answer {
    let id = required_integer(payload, "reservationId")?;
    let found = (0u32..).zip(station.connectors.iter_mut()).find(|(_, c)| {
        c.reservation
            .as_ref()
            .is_some_and(|r| i64::from(r.id) == id)
    });
    match found {
        Some((connector, state)) => {
            state.reservation = None;
            effects.push(Effect::Sync { connector });
            status("Accepted")
        }
        None => status("Rejected"),
    }
}

fn send_local_list(station: &mut Station, payload: &Value, limits: &Limits) -> Answer {
    if !limits.local_list {
        return status("NotSupported");
    }
    let version = required_integer(payload, "listVersion")?;
    let full = match required_str(payload, "updateType")? {
        "Full" => true,
        "Differential" => false,
        other => {
            return Err(CallErrorInfo::new(
                "PropertyConstraintViolation",
                format!("updateType {other:?} is not Full or Differential"),
            ))
        }
    };
    let Ok(version) = i32::try_from(version) else {
        return status("Failed");
    };
    if !full && version <= station.local_list_version {
        return status("VersionMismatch");
    }
    let entries = payload
        .get("localAuthorizationList")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if entries.len() as u64 > limits.local_list_max {
        return status("Failed");
    }
    if full {
        station.local_list.clear();
    }
    for entry in entries {
        let Some(id_tag) = entry.get("idTag").and_then(Value::as_str) else {
            return status("Failed");
        };
        let key = id_tag.to_ascii_uppercase();
        match entry.get("idTagInfo") {
            None | Some(Value::Null) => {
                station.local_list.remove(&key);
            }
            Some(info) => {
                let Some(status_value) = info
                    .get("status")
                    .and_then(|s| serde_json::from_value::<AuthorizationStatus>(s.clone()).ok())
                else {
                    return status("Failed");
                };
                station.local_list.insert(
                    key,
                    LocalAuth {
                        status: status_value,
                        expires_at: info
                            .get("expiryDate")
                            .and_then(Value::as_str)
                            .and_then(parse_rfc3339),
                        parent_id_tag: info
                            .get("parentIdTag")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    },
                );
            }
        }
    }
    station.local_list_version = version;
    status("Accepted")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::Configuration;
    use crate::ev::Ev;

    struct Harness {
        configuration: Configuration,
        station: Station,
        effects: Vec<Effect>,
    }

    impl Harness {
        fn new() -> Self {
            Harness {
                configuration: Configuration::ocpp16_defaults(2),
                station: Station::new(2, 32.0, Instant::now()),
                effects: Vec::new(),
            }
        }

        fn call(&mut self, action: &str, payload: Value) -> Value {
            let mut ctx = HandlerContext {
                identity: "CP-1",
                connectors: 2,
                configuration: &mut self.configuration,
                station: Some(&mut self.station),
                effects: &mut self.effects,
            };
            crate::handler::default_response(&mut ctx, action, &payload).unwrap()
        }
    }

    #[test]
    fn remote_start_prefers_a_plugged_connector_and_refuses_a_busy_one() {
        let mut h = Harness::new();
        h.station.connectors[2].ev = Some(Ev::default());
        let answer = h.call("RemoteStartTransaction", json!({"idTag": "T1"}));
        assert_eq!(answer["status"], "Accepted");
        assert_eq!(h.effects, [Effect::RemoteStart { connector: 2 }]);
        assert_eq!(
            h.station.connectors[2]
                .pending_start
                .as_ref()
                .map(|p| p.id_tag.as_str()),
            Some("T1")
        );
        let again = h.call(
            "RemoteStartTransaction",
            json!({"idTag": "T2", "connectorId": 2}),
        );
        assert_eq!(again["status"], "Rejected");
        let bad = h.call(
            "RemoteStartTransaction",
            json!({"idTag": "T2", "connectorId": 3}),
        );
        assert_eq!(bad["status"], "Rejected");
    }

    #[test]
    fn remote_stop_finds_the_transaction() {
        let mut h = Harness::new();
        h.station.connectors[1].begin_charging(12, Instant::now());
        assert_eq!(
            h.call("RemoteStopTransaction", json!({"transactionId": 13}))["status"],
            "Rejected"
        );
        assert_eq!(
            h.call("RemoteStopTransaction", json!({"transactionId": 12}))["status"],
            "Accepted"
        );
        assert_eq!(
            h.effects,
            [Effect::Stop {
                connector: 1,
                reason: StopReason::Remote
            }]
        );
    }

    #[test]
    fn availability_is_scheduled_during_a_transaction() {
        let mut h = Harness::new();
        h.station.connectors[1].begin_charging(1, Instant::now());
        let answer = h.call(
            "ChangeAvailability",
            json!({"connectorId": 0, "type": "Inoperative"}),
        );
        assert_eq!(answer["status"], "Scheduled");
        assert!(h.station.connectors[2].unavailable);
        assert!(!h.station.connectors[1].unavailable);
        h.station.connectors[1].end_charging(Instant::now());
        assert!(h.station.connectors[1].unavailable);
    }

    #[test]
    fn a_tx_profile_needs_a_transaction() {
        let mut h = Harness::new();
        let profile = json!({"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}]}});
        let payload = json!({"connectorId": 1, "csChargingProfiles": profile});
        assert_eq!(
            h.call("SetChargingProfile", payload.clone())["status"],
            "Rejected"
        );
        h.station.connectors[1].begin_charging(4, Instant::now());
        assert_eq!(h.call("SetChargingProfile", payload)["status"], "Accepted");
        let schedule = h.call(
            "GetCompositeSchedule",
            json!({"connectorId": 1, "duration": 60}),
        );
        assert_eq!(
            schedule["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"],
            8.0
        );
        assert_eq!(
            h.call("ClearChargingProfile", json!({"id": 1}))["status"],
            "Accepted"
        );
        assert_eq!(
            h.call("ClearChargingProfile", json!({"id": 1}))["status"],
            "Unknown"
        );
    }

    #[test]
    fn profiles_beyond_the_configured_limits_are_rejected() {
        let mut h = Harness::new();
        let profile = |id: i32, level: i32| {
            json!({"connectorId": 0, "csChargingProfiles": {
            "chargingProfileId": id, "stackLevel": level, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}]}}})
        };
        assert_eq!(
            h.call("SetChargingProfile", profile(1, 11))["status"],
            "Rejected"
        );
        for id in 1..=10 {
            assert_eq!(
                h.call("SetChargingProfile", profile(id, id))["status"],
                "Accepted"
            );
        }
        assert_eq!(
            h.call("SetChargingProfile", profile(11, 0))["status"],
            "Rejected"
        );
        assert_eq!(
            h.call("SetChargingProfile", profile(3, 0))["status"],
            "Accepted",
            "replaces"
        );
        h.configuration.set_local("LocalAuthListEnabled", "false");
        let list = json!({"listVersion": 1, "updateType": "Full"});
        assert_eq!(h.call("SendLocalList", list)["status"], "NotSupported");
    }

    #[test]
    fn reservations_and_the_local_list() {
        let mut h = Harness::new();
        let reserve = json!({"connectorId": 1, "expiryDate": "2099-01-01T00:00:00Z", "idTag": "T", "reservationId": 9});
        assert_eq!(h.call("ReserveNow", reserve)["status"], "Accepted");
        let other = json!({"connectorId": 1, "expiryDate": "2099-01-01T00:00:00Z", "idTag": "U", "reservationId": 10});
        assert_eq!(h.call("ReserveNow", other)["status"], "Occupied");
        assert_eq!(
            h.call("CancelReservation", json!({"reservationId": 9}))["status"],
            "Accepted"
        );
        let list = json!({"listVersion": 3, "updateType": "Full",
            "localAuthorizationList": [{"idTag": "abc", "idTagInfo": {"status": "Accepted"}}]});
        assert_eq!(h.call("SendLocalList", list)["status"], "Accepted");
        assert_eq!(h.call("GetLocalListVersion", json!({}))["listVersion"], 3);
        let stale = json!({"listVersion": 2, "updateType": "Differential"});
        assert_eq!(h.call("SendLocalList", stale)["status"], "VersionMismatch");
        assert!(h.station.local_list.contains_key("ABC"));
    }
}
