//! Which side may send which action, and the CALLERROR for a call that breaks it
//! (OCPP-RPC-RULES §1.2 rows 6 and 7).

use crate::{v16, Call, CallError, ErrorCode, MessageId, OcppVersion};

/// The direction a CALL travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent by the charge point, handled by the central system (CSMS).
    ChargerToCsms,
    /// Sent by the central system, handled by the charge point.
    CsmsToCharger,
}

/// Checks that `call.action` is an action of `version` that may travel in `direction`.
///
/// `direction` is the direction the call travelled to reach the receiver: the CSMS
/// passes [`Direction::ChargerToCsms`], a simulated charger [`Direction::CsmsToCharger`].
///
/// - an unknown action name → `NotImplemented` (row 6);
/// - a known action that this side does not handle (e.g. a charger sending
///   `RemoteStartTransaction` to the CSMS) → `NotSupported` (row 7).
///
/// The returned CALLERROR carries the call's id and never echoes the action name.
pub fn check_call_action(
    version: OcppVersion,
    call: &Call,
    direction: Direction,
) -> Result<v16::Action, CallError> {
    check_action(version, &call.id, &call.action, direction)
}

/// [`check_call_action`] for a call known by its id and action name.
pub fn check_action(
    version: OcppVersion,
    id: &MessageId,
    action: &str,
    direction: Direction,
) -> Result<v16::Action, CallError> {
    match version {
        OcppVersion::V16 => {
            let Some(action) = v16::Action::from_name(action) else {
                return Err(CallError::new(
                    id.as_str(),
                    ErrorCode::NotImplemented,
                    "this action is not an OCPP 1.6 action",
                ));
            };
            if !action.sent_by().contains(&direction) {
                let description = match direction {
                    Direction::ChargerToCsms => "this action is not accepted from a charge point",
                    Direction::CsmsToCharger => "this action is not accepted from a central system",
                };
                return Err(CallError::new(
                    id.as_str(),
                    ErrorCode::NotSupported,
                    description,
                ));
            }
            Ok(action)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::MessageId;

    const V16: OcppVersion = OcppVersion::V16;

    fn call(action: &str) -> Call {
        let id = MessageId::parse("m1").expect("valid id");
        Call::new(id, action, json!({}))
    }

    fn code_of(action: &str, direction: Direction) -> Option<(String, &'static str)> {
        check_call_action(V16, &call(action), direction)
            .err()
            .map(|e| (e.id, e.code.as_str(V16)))
    }

    #[test]
    fn row6_unknown_action_gets_not_implemented_with_the_call_id() {
        assert_eq!(
            code_of("FlyToTheMoon", Direction::ChargerToCsms),
            Some(("m1".into(), "NotImplemented"))
        );
        assert_eq!(
            code_of("heartbeat", Direction::ChargerToCsms),
            Some(("m1".into(), "NotImplemented"))
        );
        assert_eq!(
            code_of("", Direction::ChargerToCsms),
            Some(("m1".into(), "NotImplemented"))
        );
        // 2.0.1-only actions are unknown on 1.6.
        assert_eq!(
            code_of("TransactionEvent", Direction::ChargerToCsms),
            Some(("m1".into(), "NotImplemented"))
        );
    }

    #[test]
    fn row7_charger_sending_a_csms_action_gets_not_supported() {
        assert_eq!(
            code_of("RemoteStartTransaction", Direction::ChargerToCsms),
            Some(("m1".into(), "NotSupported"))
        );
        assert_eq!(
            code_of("GetLog", Direction::ChargerToCsms),
            Some(("m1".into(), "NotSupported"))
        );
    }

    #[test]
    fn row7_csms_sending_a_charger_action_gets_not_supported() {
        assert_eq!(
            code_of("BootNotification", Direction::CsmsToCharger),
            Some(("m1".into(), "NotSupported"))
        );
    }

    #[test]
    fn actions_valid_for_the_direction_are_returned() {
        assert_eq!(
            check_call_action(V16, &call("BootNotification"), Direction::ChargerToCsms),
            Ok(v16::Action::BootNotification)
        );
        assert_eq!(
            check_call_action(V16, &call("SignCertificate"), Direction::ChargerToCsms),
            Ok(v16::Action::SignCertificate)
        );
        assert_eq!(
            check_call_action(V16, &call("Reset"), Direction::CsmsToCharger),
            Ok(v16::Action::Reset)
        );
    }

    #[test]
    fn data_transfer_is_accepted_in_both_directions() {
        for direction in [Direction::ChargerToCsms, Direction::CsmsToCharger] {
            assert_eq!(
                check_call_action(V16, &call("DataTransfer"), direction),
                Ok(v16::Action::DataTransfer)
            );
        }
    }
}
