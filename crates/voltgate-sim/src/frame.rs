//! OCPP-J message frames, built and parsed with `serde_json` directly.
//!
//! OCPP-J (OCPP 1.6 JSON specification, section 4) wraps every message in a JSON array:
//! `[2, id, action, payload]` for a CALL, `[3, id, payload]` for a CALLRESULT and
//! `[4, id, errorCode, errorDescription, errorDetails]` for a CALLERROR. The simulator keeps its
//! own small codec so that it can talk to any central system without importing Voltgate's
//! protocol crate, and so that tests can also send frames that crate would refuse to build.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Message type number of a CALL (OCPP-J 4.1.3).
const CALL: u64 = 2;
/// Message type number of a CALLRESULT (OCPP-J 4.1.3).
const CALL_RESULT: u64 = 3;
/// Message type number of a CALLERROR (OCPP-J 4.1.3).
const CALL_ERROR: u64 = 4;

/// The contents of a CALLERROR (OCPP-J 4.2.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallErrorInfo {
    /// The error code, e.g. `NotImplemented`, `FormationViolation` (OCPP-J 4.2.3, table 7).
    pub code: String,
    /// A human-readable description; may be empty.
    pub description: String,
    /// Free-form details; `{}` when there are none.
    pub details: Value,
}

impl CallErrorInfo {
    /// A CALLERROR with the given code and description and empty details.
    pub fn new(code: impl Into<String>, description: impl Into<String>) -> Self {
        CallErrorInfo {
            code: code.into(),
            description: description.into(),
            details: Value::Object(Default::default()),
        }
    }

    /// `NotImplemented`: "Requested Action is not known by receiver".
    pub fn not_implemented(action: &str) -> Self {
        Self::new("NotImplemented", format!("{action} is not implemented"))
    }
}

/// One OCPP-J message.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A request: `[2, id, action, payload]`.
    Call {
        /// The message id, unique per sender and connection.
        id: String,
        /// The action name, e.g. `BootNotification`.
        action: String,
        /// The request payload (a JSON object).
        payload: Value,
    },
    /// A successful answer: `[3, id, payload]`.
    CallResult {
        /// The id of the CALL this answers.
        id: String,
        /// The response payload (a JSON object).
        payload: Value,
    },
    /// A failed answer: `[4, id, code, description, details]`.
    CallError {
        /// The id of the CALL this answers.
        id: String,
        /// Code, description and details.
        error: CallErrorInfo,
    },
}

/// Why a text message is not a valid OCPP-J frame.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct FrameError {
    /// The message id, when it could be read; the receiver can then answer with a CALLERROR.
    pub id: Option<String>,
    /// Whether the frame looked like a CALL (only a CALL may be answered).
    pub is_call: bool,
    /// What is wrong.
    pub reason: String,
}

impl Frame {
    /// Parses one WebSocket text message.
    pub fn parse(text: &str) -> Result<Frame, FrameError> {
        let fail = |id: Option<String>, is_call: bool, reason: &str| FrameError {
            id,
            is_call,
            reason: reason.to_owned(),
        };
        let value: Value =
            serde_json::from_str(text).map_err(|_| fail(None, false, "not valid JSON"))?;
        let Value::Array(mut items) = value else {
            return Err(fail(None, false, "not a JSON array"));
        };
        let kind = items.first().and_then(Value::as_u64);
        let id = items.get(1).and_then(Value::as_str).map(str::to_owned);
        let is_call = kind == Some(CALL);
        let Some(id_text) = id.clone() else {
            return Err(fail(None, is_call, "message id is not a string"));
        };
        match (kind, items.len()) {
            (Some(CALL), 4) => {
                let payload = items.pop().unwrap_or_default();
                let Some(action) = items[2].as_str().map(str::to_owned) else {
                    return Err(fail(id, true, "action is not a string"));
                };
                if !payload.is_object() {
                    return Err(fail(id, true, "payload is not a JSON object"));
                }
                Ok(Frame::Call {
                    id: id_text,
                    action,
                    payload,
                })
            }
            (Some(CALL_RESULT), 3) => Ok(Frame::CallResult {
                id: id_text,
                payload: items.pop().unwrap_or_default(),
            }),
            (Some(CALL_ERROR), 5) => {
                let details = items.pop().unwrap_or_default();
                let description = items[3].as_str().unwrap_or_default().to_owned();
                let code = items[2].as_str().unwrap_or_default().to_owned();
                Ok(Frame::CallError {
                    id: id_text,
                    error: CallErrorInfo {
                        code,
                        description,
                        details,
                    },
                })
            }
            (Some(CALL | CALL_RESULT | CALL_ERROR), _) => {
                Err(fail(id, is_call, "wrong number of elements"))
            }
            _ => Err(fail(id, false, "unknown message type")),
        }
    }

    /// The message id.
    pub fn id(&self) -> &str {
        match self {
            Frame::Call { id, .. } | Frame::CallResult { id, .. } | Frame::CallError { id, .. } => {
                id
            }
        }
    }

    /// `[2, id, action, payload]` for any serialisable payload (a `Value` or a typed request).
    pub fn call_text(id: &str, action: &str, payload: &impl Serialize) -> String {
        serde_json::to_string(&(CALL, id, action, payload))
            .expect("a CALL of strings and a JSON object always serialises")
    }

    /// Serialises the frame to the text sent on the wire.
    pub fn to_text(&self) -> String {
        // Serialised in place: building a `json!` array first would deep-copy the payload.
        let text = match self {
            Frame::Call {
                id,
                action,
                payload,
            } => return Frame::call_text(id, action, payload),
            Frame::CallResult { id, payload } => serde_json::to_string(&(CALL_RESULT, id, payload)),
            Frame::CallError { id, error } => serde_json::to_string(&(
                CALL_ERROR,
                id,
                &error.code,
                &error.description,
                &error.details,
            )),
        };
        text.expect("frames of strings, numbers and JSON values always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn call_round_trips_through_text() {
        let frame = Frame::Call {
            id: "19".into(),
            action: "Heartbeat".into(),
            payload: json!({}),
        };
        assert_eq!(frame.to_text(), r#"[2,"19","Heartbeat",{}]"#);
        assert_eq!(Frame::parse(&frame.to_text()), Ok(frame));
    }

    #[test]
    fn parses_call_error_with_details() {
        let frame = Frame::parse(r#"[4,"7","NotImplemented","no",{"a":1}]"#).unwrap();
        let Frame::CallError { id, error } = frame else {
            panic!("not a CALLERROR: {frame:?}");
        };
        assert_eq!(id, "7");
        assert_eq!(error.code, "NotImplemented");
        assert_eq!(error.details, json!({"a": 1}));
    }

    #[test]
    fn rejects_call_with_non_object_payload_but_keeps_its_id() {
        let error = Frame::parse(r#"[2,"8","Reset",[]]"#).unwrap_err();
        assert_eq!(error.id.as_deref(), Some("8"));
        assert!(error.is_call);
    }

    #[test]
    fn rejects_numeric_message_id() {
        let error = Frame::parse(r#"[3,8,{}]"#).unwrap_err();
        assert_eq!(error.id, None);
    }

    #[test]
    fn rejects_text_that_is_not_an_array() {
        assert!(Frame::parse(r#"{"a":1}"#).is_err());
        assert!(Frame::parse("nonsense").is_err());
        assert!(Frame::parse(r#"[9,"1",{}]"#).is_err());
    }
}
