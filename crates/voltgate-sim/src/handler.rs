//! How a simulated charger answers calls initiated by the central system.
//!
//! Every CALL the central system sends goes to a [`CsmsHandler`]. The [`DefaultHandler`] answers
//! like a real charger would: with a [`Station`] (every [`SimCharger`](crate::SimCharger) has one)
//! the answer depends on the connectors (a RemoteStartTransaction on a busy connector is
//! `Rejected`) and what follows the answer (starting the transaction, rebooting) is pushed as an
//! [`Effect`] for the charger's automation task; without one (load-run chargers) remote commands
//! are simply accepted. GetConfiguration and ChangeConfiguration work on the charger's
//! [`Configuration`], DataTransfer answers `UnknownVendorId`. Tests that need another answer (a
//! refused Reset, a slow charger, a CALLERROR) pass their own handler, usually a closure that
//! falls back to [`default_response`].

use serde_json::{json, Value};

use crate::configuration::Configuration;
use crate::frame::CallErrorInfo;
use crate::station::{Effect, Station};

/// What a handler may see and change while answering one call.
#[derive(Debug)]
pub struct HandlerContext<'a> {
    /// The charger's identity.
    pub identity: &'a str,
    /// The number of connectors (connector 0 is the charger itself and not counted).
    pub connectors: u32,
    /// The charger's configuration keys.
    pub configuration: &'a mut Configuration,
    /// The charger's physical model, when it has one (load-run chargers do not).
    pub station: Option<&'a mut Station>,
    /// What to do once the answer is sent (carried out by the charger's automation task).
    pub effects: &'a mut Vec<Effect>,
}

/// Answers CALLs from the central system: the CALLRESULT payload or a CALLERROR.
pub trait CsmsHandler: Send + Sync + 'static {
    /// Answers one call. It must not block: it runs on the charger's connection task.
    fn handle(
        &self,
        ctx: &mut HandlerContext<'_>,
        action: &str,
        payload: &Value,
    ) -> Result<Value, CallErrorInfo>;
}

impl<F> CsmsHandler for F
where
    F: Fn(&mut HandlerContext<'_>, &str, &Value) -> Result<Value, CallErrorInfo>
        + Send
        + Sync
        + 'static,
{
    fn handle(
        &self,
        ctx: &mut HandlerContext<'_>,
        action: &str,
        payload: &Value,
    ) -> Result<Value, CallErrorInfo> {
        self(ctx, action, payload)
    }
}

/// The obliging charger: see [`default_response`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultHandler;

impl CsmsHandler for DefaultHandler {
    fn handle(
        &self,
        ctx: &mut HandlerContext<'_>,
        action: &str,
        payload: &Value,
    ) -> Result<Value, CallErrorInfo> {
        default_response(ctx, action, payload)
    }
}

/// OCPP 1.6 actions a charger without a [`Station`] knows but does not model.
const KNOWN_UNSUPPORTED: [&str; 5] = [
    "GetCompositeSchedule",
    "GetDiagnostics",
    "GetLocalListVersion",
    "SendLocalList",
    "UpdateFirmware",
];

/// The default answer to a CALL from the central system.
///
/// With a [`Station`], every CSMS-initiated OCPP 1.6 call is answered from the model (see
/// `answers.rs`): RemoteStartTransaction (`Rejected` on a busy, faulted or inoperative connector;
/// otherwise the transaction starts once an EV is plugged in), RemoteStopTransaction, Reset (a
/// real reboot), UnlockConnector, ChangeAvailability (`Scheduled` during a transaction),
/// Set/ClearChargingProfile, GetCompositeSchedule, TriggerMessage, ReserveNow, CancelReservation,
/// GetLocalListVersion, SendLocalList, ClearCache, UpdateFirmware and GetDiagnostics.
///
/// Without one (load-run chargers):
/// - Reset, ChangeAvailability, ClearCache, RemoteStartTransaction, RemoteStopTransaction,
///   SetChargingProfile, ClearChargingProfile, TriggerMessage, ReserveNow, CancelReservation:
///   `Accepted`; UnlockConnector: `Unlocked`; the firmware, diagnostics, local list and
///   composite schedule calls: CALLERROR `NotSupported`.
///
/// Always:
/// - ChangeConfiguration: per [`Configuration::change`] (`NotSupported` for unknown keys,
///   `Rejected` for read-only keys or ill-typed values).
/// - GetConfiguration: the requested keys, unknown ones in `unknownKey`.
/// - DataTransfer: `UnknownVendorId`.
/// - anything else: `NotImplemented`.
pub fn default_response(
    ctx: &mut HandlerContext<'_>,
    action: &str,
    payload: &Value,
) -> Result<Value, CallErrorInfo> {
    if ctx.station.is_some() {
        if let Some(answer) = crate::answers::answer(ctx, action, payload) {
            return answer;
        }
    }
    match action {
        "Reset"
        | "ChangeAvailability"
        | "ClearCache"
        | "RemoteStartTransaction"
        | "RemoteStopTransaction"
        | "SetChargingProfile"
        | "ClearChargingProfile"
        | "TriggerMessage"
        | "ReserveNow"
        | "CancelReservation" => Ok(json!({"status": "Accepted"})),
        "UnlockConnector" => Ok(json!({"status": "Unlocked"})),
        "ChangeConfiguration" => {
            let key = required_str(payload, "key")?;
            let value = required_str(payload, "value")?;
            let status = ctx.configuration.change(key, value);
            Ok(json!({ "status": status }))
        }
        "GetConfiguration" => {
            let keys: Option<Vec<String>> = match payload.get("key") {
                None => None,
                Some(keys) => Some(serde_json::from_value(keys.clone()).map_err(|_| {
                    CallErrorInfo::new("TypeConstraintViolation", "key must be a list of strings")
                })?),
            };
            Ok(ctx.configuration.get_configuration(keys.as_deref()))
        }
        "DataTransfer" => Ok(json!({"status": "UnknownVendorId"})),
        known if KNOWN_UNSUPPORTED.contains(&known) => Err(CallErrorInfo::new(
            "NotSupported",
            format!("{known} is not supported by this simulated charger"),
        )),
        unknown => Err(CallErrorInfo::not_implemented(unknown)),
    }
}

pub(crate) fn required_str<'p>(payload: &'p Value, field: &str) -> Result<&'p str, CallErrorInfo> {
    match payload.get(field) {
        None => Err(CallErrorInfo::new(
            "OccurenceConstraintViolation",
            format!("{field} is required"),
        )),
        Some(value) => value.as_str().ok_or_else(|| {
            CallErrorInfo::new(
                "TypeConstraintViolation",
                format!("{field} must be a string"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(action: &str, payload: Value) -> (Result<Value, CallErrorInfo>, Configuration) {
        let mut configuration = Configuration::ocpp16_defaults(2);
        let mut effects = Vec::new();
        let mut ctx = HandlerContext {
            identity: "CP-1",
            connectors: 2,
            configuration: &mut configuration,
            station: None,
            effects: &mut effects,
        };
        let result = DefaultHandler.handle(&mut ctx, action, &payload);
        (result, configuration)
    }

    #[test]
    fn accepts_remote_commands() {
        for action in [
            "Reset",
            "RemoteStartTransaction",
            "TriggerMessage",
            "CancelReservation",
        ] {
            assert_eq!(
                answer(action, json!({})).0,
                Ok(json!({"status": "Accepted"}))
            );
        }
        assert_eq!(
            answer("UnlockConnector", json!({"connectorId": 1})).0,
            Ok(json!({"status": "Unlocked"}))
        );
    }

    #[test]
    fn change_configuration_writes_the_key() {
        let payload = json!({"key": "MeterValueSampleInterval", "value": "15"});
        let (result, configuration) = answer("ChangeConfiguration", payload);
        assert_eq!(result, Ok(json!({"status": "Accepted"})));
        assert_eq!(configuration.value("MeterValueSampleInterval"), Some("15"));
        let (result, _) = answer("ChangeConfiguration", json!({"key": "X", "value": "1"}));
        assert_eq!(result, Ok(json!({"status": "NotSupported"})));
        let (result, _) = answer("ChangeConfiguration", json!({"key": "X"}));
        assert_eq!(result.unwrap_err().code, "OccurenceConstraintViolation");
    }

    #[test]
    fn get_configuration_rejects_a_non_list_key() {
        let (result, _) = answer("GetConfiguration", json!({"key": "HeartbeatInterval"}));
        assert_eq!(result.unwrap_err().code, "TypeConstraintViolation");
    }

    #[test]
    fn unknown_actions_are_not_implemented() {
        assert_eq!(
            answer("Dance", json!({})).0.unwrap_err().code,
            "NotImplemented"
        );
        assert_eq!(
            answer("UpdateFirmware", json!({})).0.unwrap_err().code,
            "NotSupported"
        );
        assert_eq!(
            answer("DataTransfer", json!({"vendorId": "x"})).0,
            Ok(json!({"status": "UnknownVendorId"}))
        );
    }
}
