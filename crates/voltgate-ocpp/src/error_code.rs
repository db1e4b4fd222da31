//! CALLERROR error codes and their per-version spellings.
//!
//! OCPP 1.6 has ten codes (OCPP-J 1.6 §4.2.3); OCPP 2.0.1 renames two of them and adds two
//! more (2.0.1 part 4 §4.3). One enum covers all of them; [`ErrorCode::as_str`] spells a
//! code for the connection's version, because a 2.0.1 spelling on a 1.6 connection is a bug.

use crate::OcppVersion;

/// A CALLERROR errorCode, independent of its spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The requested action is not known by the receiver.
    NotImplemented,
    /// The requested action is recognised but not supported by the receiver.
    NotSupported,
    /// An internal error occurred and the receiver could not process the action.
    InternalError,
    /// The payload for the action is incomplete.
    ProtocolError,
    /// A security issue prevented the receiver from completing the action.
    SecurityError,
    /// The payload is syntactically incorrect or does not conform to the PDU structure.
    /// Spelled `FormationViolation` in 1.6 and `FormatViolation` in 2.0.1.
    FormationViolation,
    /// A field contains an invalid value (enum, length, range or format).
    PropertyConstraintViolation,
    /// A field violates occurrence constraints (a required field is missing, too few items).
    /// Spelled `OccurenceConstraintViolation` (sic) in 1.6.
    OccurrenceConstraintViolation,
    /// A field violates data type constraints.
    TypeConstraintViolation,
    /// Any other error.
    GenericError,
    /// 2.0.1 only: a message with an unknown MessageTypeId was received.
    MessageTypeNotSupported,
    /// 2.0.1 only: the content is not a valid RPC request (e.g. the id cannot be read).
    RpcFrameworkError,
}

impl ErrorCode {
    /// Every code, in the order of the enum.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::NotImplemented,
        ErrorCode::NotSupported,
        ErrorCode::InternalError,
        ErrorCode::ProtocolError,
        ErrorCode::SecurityError,
        ErrorCode::FormationViolation,
        ErrorCode::PropertyConstraintViolation,
        ErrorCode::OccurrenceConstraintViolation,
        ErrorCode::TypeConstraintViolation,
        ErrorCode::GenericError,
        ErrorCode::MessageTypeNotSupported,
        ErrorCode::RpcFrameworkError,
    ];

    /// Whether `version` defines this code. Codes that it does not define are still
    /// spelled by [`ErrorCode::as_str`], as the closest code of that version.
    pub fn exists_in(self, version: OcppVersion) -> bool {
        match version {
            OcppVersion::V16 => !matches!(
                self,
                ErrorCode::MessageTypeNotSupported | ErrorCode::RpcFrameworkError
            ),
        }
    }

    /// The wire spelling of this code on a `version` connection.
    ///
    /// On 1.6 the two 2.0.1-only codes fall back to their nearest 1.6 code:
    /// `MessageTypeNotSupported` to `"NotSupported"`, `RpcFrameworkError` to `"ProtocolError"`.
    pub fn as_str(self, version: OcppVersion) -> &'static str {
        match version {
            OcppVersion::V16 => match self {
                ErrorCode::NotImplemented => "NotImplemented",
                ErrorCode::NotSupported | ErrorCode::MessageTypeNotSupported => "NotSupported",
                ErrorCode::InternalError => "InternalError",
                ErrorCode::ProtocolError | ErrorCode::RpcFrameworkError => "ProtocolError",
                ErrorCode::SecurityError => "SecurityError",
                ErrorCode::FormationViolation => "FormationViolation",
                ErrorCode::PropertyConstraintViolation => "PropertyConstraintViolation",
                ErrorCode::OccurrenceConstraintViolation => "OccurenceConstraintViolation",
                ErrorCode::TypeConstraintViolation => "TypeConstraintViolation",
                ErrorCode::GenericError => "GenericError",
            },
        }
    }

    /// The code spelled `s` on a `version` connection. Spellings of other versions
    /// (e.g. `"OccurrenceConstraintViolation"` on 1.6) are not recognised.
    pub fn parse(s: &str, version: OcppVersion) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.exists_in(version) && code.as_str(version) == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V16: OcppVersion = OcppVersion::V16;

    #[test]
    fn ocpp16_uses_its_own_spellings() {
        assert_eq!(
            ErrorCode::FormationViolation.as_str(V16),
            "FormationViolation"
        );
        assert_eq!(
            ErrorCode::OccurrenceConstraintViolation.as_str(V16),
            "OccurenceConstraintViolation"
        );
    }

    #[test]
    fn every_ocpp16_code_round_trips_through_its_spelling() {
        let v16_codes: Vec<_> = ErrorCode::ALL.iter().filter(|c| c.exists_in(V16)).collect();
        assert_eq!(v16_codes.len(), 10);
        for code in v16_codes {
            assert_eq!(ErrorCode::parse(code.as_str(V16), V16), Some(*code));
        }
    }

    #[test]
    fn ocpp201_spellings_are_not_ocpp16_codes() {
        assert_eq!(ErrorCode::parse("OccurrenceConstraintViolation", V16), None);
        assert_eq!(ErrorCode::parse("FormatViolation", V16), None);
        assert_eq!(ErrorCode::parse("RpcFrameworkError", V16), None);
        assert_eq!(ErrorCode::parse("MessageTypeNotSupported", V16), None);
    }

    #[test]
    fn ocpp201_only_codes_fall_back_to_a_real_ocpp16_code() {
        assert_eq!(ErrorCode::RpcFrameworkError.as_str(V16), "ProtocolError");
        assert_eq!(
            ErrorCode::MessageTypeNotSupported.as_str(V16),
            "NotSupported"
        );
    }
}
