//! The three OCPP-J RPC frames and their serialisation (OCPP-J 1.6 §4.1-4.2).
//!
//! A frame is a JSON array whose first element is the MessageTypeId: `2` CALL,
//! `3` CALLRESULT, `4` CALLERROR. Parsing lives in `parse.rs`; this file only builds
//! and writes frames.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::text::{truncate_chars, MAX_DESCRIPTION_CHARS};
use crate::{ErrorCode, MessageId, OcppVersion};

/// MessageTypeId of a CALL (OCPP-J 1.6 §4.1.3).
pub(crate) const CALL: u64 = 2;
/// MessageTypeId of a CALLRESULT.
pub(crate) const CALL_RESULT: u64 = 3;
/// MessageTypeId of a CALLERROR.
pub(crate) const CALL_ERROR: u64 = 4;

/// One OCPP-J message.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A request: `[2, id, action, payload]`.
    Call(Call),
    /// A successful answer: `[3, id, payload]`.
    CallResult(CallResult),
    /// A failed answer: `[4, id, errorCode, errorDescription, errorDetails]`.
    CallError(CallError),
}

/// A request (OCPP-J 1.6 §4.2.1). `payload` is a JSON object when parsed by this crate.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub id: MessageId,
    pub action: String,
    pub payload: Value,
}

/// A successful answer to a [`Call`] (OCPP-J 1.6 §4.2.2).
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub id: MessageId,
    pub payload: Value,
}

/// A failed answer to a [`Call`] (OCPP-J 1.6 §4.2.3).
///
/// `id` is a plain string because a CALLERROR may answer a call whose id could not be
/// read, with the id `"-1"` (2.0.1 part 4 §4.2.3; used for 1.6 too).
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    pub id: String,
    pub code: ErrorCode,
    /// At most 255 characters; never raw input.
    pub description: String,
    /// Always a JSON object; `{}` when there is nothing to add.
    pub details: Value,
}

impl Frame {
    /// The message id of the frame.
    pub fn id(&self) -> &str {
        match self {
            Frame::Call(call) => call.id.as_str(),
            Frame::CallResult(result) => result.id.as_str(),
            Frame::CallError(error) => &error.id,
        }
    }

    /// The frame as a WebSocket text message.
    pub fn to_text(&self, version: OcppVersion) -> String {
        match self {
            Frame::Call(call) => call.to_text(),
            Frame::CallResult(result) => result.to_text(),
            Frame::CallError(error) => error.to_text(version),
        }
    }
}

impl Call {
    /// A call of `action` with `payload`.
    pub fn new(id: MessageId, action: impl Into<String>, payload: Value) -> Self {
        Call {
            id,
            action: action.into(),
            payload,
        }
    }

    /// `[2, id, action, payload]`.
    pub fn to_text(&self) -> String {
        to_json(&(CALL, self.id.as_str(), &self.action, &self.payload))
    }
}

impl CallResult {
    /// A result answering the call `id`.
    pub fn new(id: MessageId, payload: Value) -> Self {
        CallResult { id, payload }
    }

    /// `[3, id, payload]`.
    pub fn to_text(&self) -> String {
        to_json(&(CALL_RESULT, self.id.as_str(), &self.payload))
    }
}

impl CallError {
    /// A CALLERROR with empty details; the description is cut to 255 characters.
    pub fn new(id: impl Into<String>, code: ErrorCode, description: impl Into<String>) -> Self {
        CallError {
            id: id.into(),
            code,
            description: truncate_chars(description.into(), MAX_DESCRIPTION_CHARS),
            details: Value::Object(Map::new()),
        }
    }

    /// `[4, id, errorCode, errorDescription, errorDetails]`, with the code spelled for
    /// `version`. The description is cut to 255 characters and non-object details are
    /// written as `{}`, so the frame is valid whatever the fields hold.
    pub fn to_text(&self, version: OcppVersion) -> String {
        let description = if self.description.len() > MAX_DESCRIPTION_CHARS {
            truncate_chars(self.description.clone(), MAX_DESCRIPTION_CHARS)
        } else {
            self.description.clone()
        };
        let empty = Value::Object(Map::new());
        let details = if self.details.is_object() {
            &self.details
        } else {
            &empty
        };
        to_json(&(
            CALL_ERROR,
            &self.id,
            self.code.as_str(version),
            description,
            details,
        ))
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} for message {}: {}",
            self.code, self.id, self.description
        )
    }
}

/// Writes a tuple of strings, numbers and JSON values as a JSON array.
fn to_json(value: &impl Serialize) -> String {
    // Serialising strings, integers and `serde_json::Value`s has no failure path:
    // every map key is a string and no custom `Serialize` impl is involved.
    serde_json::to_string(value).expect("JSON values always serialise")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn id(s: &str) -> MessageId {
        MessageId::parse(s).expect("test ids are valid")
    }

    #[test]
    fn call_is_written_as_a_four_element_array() {
        let call = Frame::Call(Call::new(id("19223201"), "Heartbeat", json!({})));
        assert_eq!(
            call.to_text(OcppVersion::V16),
            r#"[2,"19223201","Heartbeat",{}]"#
        );
    }

    #[test]
    fn call_result_is_written_as_a_three_element_array() {
        let result = Frame::CallResult(CallResult::new(id("a"), json!({"status": "Accepted"})));
        assert_eq!(
            result.to_text(OcppVersion::V16),
            r#"[3,"a",{"status":"Accepted"}]"#
        );
    }

    #[test]
    fn call_error_uses_the_ocpp16_spelling_and_empty_details() {
        let error = CallError::new(
            "a",
            ErrorCode::OccurrenceConstraintViolation,
            "idTag: missing",
        );
        assert_eq!(
            error.to_text(OcppVersion::V16),
            r#"[4,"a","OccurenceConstraintViolation","idTag: missing",{}]"#
        );
    }

    #[test]
    fn call_error_description_is_cut_to_255_chars() {
        let error = CallError::new("a", ErrorCode::GenericError, "ü".repeat(300));
        assert_eq!(error.description.chars().count(), 255);
    }

    #[test]
    fn call_error_with_non_object_details_is_written_with_empty_details() {
        let mut error = CallError::new("a", ErrorCode::GenericError, "x".repeat(300));
        error.details = json!("not an object");
        error.description = "x".repeat(300);
        let text = error.to_text(OcppVersion::V16);
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(parsed[4], json!({}));
        assert_eq!(parsed[3].as_str().map(str::len), Some(255));
    }
}
