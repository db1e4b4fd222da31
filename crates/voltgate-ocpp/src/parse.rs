//! Parsing one WebSocket text message into a [`Frame`], with the exact reaction to each
//! kind of malformed input (OCPP-RPC-RULES §1.2, rows 1-5, 8 and 13).
//!
//! The answer to a bad frame is data, not a log line: [`FrameError::Reply`] carries the
//! CALLERROR to send, [`FrameError::Ignore`] says why the frame was dropped. Neither closes
//! the connection, and no description ever contains raw input.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::frame::{CALL, CALL_ERROR, CALL_RESULT};
use crate::text::{truncate_chars, MAX_DESCRIPTION_CHARS};
use crate::{Call, CallError, CallResult, ErrorCode, Frame, MessageId, OcppVersion};

/// The id used in a CALLERROR when the id of the offending message cannot be read.
const UNREADABLE_ID: &str = "-1";

/// Why a text message did not yield a [`Frame`], and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameError {
    /// Answer with this CALLERROR and keep the connection.
    Reply(CallError),
    /// Log and drop the message; keep the connection.
    Ignore { reason: String },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Reply(error) => write!(f, "answered with CALLERROR: {error}"),
            FrameError::Ignore { reason } => write!(f, "ignored: {reason}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// The CALLERROR that answers a binary WebSocket frame (row 15): OCPP-J uses text frames.
pub fn binary_frame_error(version: OcppVersion) -> CallError {
    match version {
        OcppVersion::V16 => CallError::new(
            UNREADABLE_ID,
            ErrorCode::FormationViolation,
            "binary frames are not supported; OCPP-J messages are text frames",
        ),
    }
}

/// Parses one text message received on a `version` connection.
///
/// A CALL comes back with an object payload and a syntactically valid id; whether its
/// action is known is [`crate::check_call_action`]'s job, and its payload is checked by
/// [`crate::validate`].
pub fn parse_frame(version: OcppVersion, text: &str) -> Result<Frame, FrameError> {
    match version {
        OcppVersion::V16 => parse_v16(text),
    }
}

/// A well-formed CALL read without parsing its payload: the payload stays text, for
/// [`crate::v16::Payload::from_text`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextCall<'a> {
    pub id: MessageId,
    pub action: Cow<'a, str>,
    /// Where the payload (a JSON object) is in the text.
    pub payload: Range<usize>,
}

/// The fast path for the common message, a CALL: reads `[2, id, action, {payload}]` in one pass
/// without building a JSON tree. `None` for anything else (a CALLRESULT, a CALLERROR, or any
/// defect); then [`parse_frame`] says what the message is. Whenever this is `Some`,
/// `parse_frame` gives a [`Frame::Call`] with the same id, the same action and the payload
/// parsed from `text[payload]`.
pub fn parse_call_text(version: OcppVersion, text: &str) -> Option<TextCall<'_>> {
    #[derive(Deserialize)]
    struct Envelope<'a>(
        u64,
        #[serde(borrow)] Cow<'a, str>,
        #[serde(borrow)] Cow<'a, str>,
        #[serde(borrow)] &'a RawValue,
    );
    match version {
        OcppVersion::V16 => {}
    }
    let Envelope(kind, id, action, payload) = serde_json::from_str(text).ok()?;
    let payload = payload.get();
    if kind != CALL || !payload.starts_with('{') {
        return None;
    }
    let id = MessageId::parse(&id).ok()?;
    // The payload is a slice of `text`: its offset is the distance between their starts.
    let start = (payload.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let payload = start..start + payload.len();
    text.get(payload.clone())?;
    Some(TextCall {
        id,
        action,
        payload,
    })
}

fn parse_v16(text: &str) -> Result<Frame, FrameError> {
    // Rows 1 and 2: not JSON, not an array, or an empty array.
    let Ok(Value::Array(mut items)) = serde_json::from_str::<Value>(text) else {
        return Err(reply(
            UNREADABLE_ID,
            ErrorCode::FormationViolation,
            "message is not a JSON array",
        ));
    };
    if items.is_empty() {
        return Err(reply(
            UNREADABLE_ID,
            ErrorCode::FormationViolation,
            "message is an empty JSON array",
        ));
    }
    // Row 3: an unknown MessageTypeId is ignored on 1.6 (OCPP-J 1.6 §4.1.3).
    match items.first().and_then(Value::as_u64) {
        Some(CALL) => parse_call(&mut items),
        Some(CALL_RESULT) => parse_call_result(&mut items),
        Some(CALL_ERROR) => parse_call_error(&mut items),
        _ => Err(ignore("unknown or unreadable MessageTypeId")),
    }
}

fn parse_call(items: &mut [Value]) -> Result<Frame, FrameError> {
    // Row 4: the id must be readable before we can answer with it.
    let Some(id) = items
        .get(1)
        .and_then(Value::as_str)
        .and_then(|s| MessageId::parse(s).ok())
    else {
        return Err(reply(
            UNREADABLE_ID,
            ErrorCode::ProtocolError,
            "CALL message id is missing, not a string, empty or longer than 36 characters",
        ));
    };
    // Row 5: a CALL has exactly four elements.
    let [_, _, action, payload] = items else {
        return Err(reply(
            id.as_str(),
            ErrorCode::ProtocolError,
            "CALL must have exactly 4 elements: [2, id, action, payload]",
        ));
    };
    let Value::String(action) = action.take() else {
        return Err(reply(
            id.as_str(),
            ErrorCode::FormationViolation,
            "CALL action is not a string",
        ));
    };
    // Row 8: the payload is always an object, `{}` when empty.
    if !payload.is_object() {
        return Err(reply(
            id.as_str(),
            ErrorCode::FormationViolation,
            "CALL payload is not a JSON object",
        ));
    }
    Ok(Frame::Call(Call {
        id,
        action,
        payload: payload.take(),
    }))
}

fn parse_call_result(items: &mut [Value]) -> Result<Frame, FrameError> {
    // A result is never answered, so every defect is ignored (row 13).
    let [_, id, payload] = items else {
        return Err(ignore("CALLRESULT does not have exactly 3 elements"));
    };
    let id = readable_id(id).ok_or_else(|| ignore("CALLRESULT id is not a valid message id"))?;
    if !payload.is_object() {
        return Err(ignore("CALLRESULT payload is not a JSON object"));
    }
    Ok(Frame::CallResult(CallResult {
        id,
        payload: payload.take(),
    }))
}

fn parse_call_error(items: &mut [Value]) -> Result<Frame, FrameError> {
    let [_, id, code, description, details] = items else {
        return Err(ignore("CALLERROR does not have exactly 5 elements"));
    };
    let id = readable_id(id).ok_or_else(|| ignore("CALLERROR id is not a valid message id"))?;
    let (Value::String(code), Value::String(description), Value::Object(_)) =
        (code, description.take(), &*details)
    else {
        return Err(ignore(
            "CALLERROR code, description or details have the wrong JSON type",
        ));
    };
    // An unknown code still answers our call: keep it, as the most general code, so the
    // pending call fails now instead of timing out.
    let code = ErrorCode::parse(code, OcppVersion::V16).unwrap_or(ErrorCode::GenericError);
    Ok(Frame::CallError(CallError {
        id: id.into_string(),
        code,
        description: truncate_chars(description, MAX_DESCRIPTION_CHARS),
        details: details.take(),
    }))
}

fn readable_id(value: &Value) -> Option<MessageId> {
    value.as_str().and_then(|s| MessageId::parse(s).ok())
}

fn reply(id: &str, code: ErrorCode, description: &str) -> FrameError {
    FrameError::Reply(CallError::new(id, code, description))
}

fn ignore(reason: &str) -> FrameError {
    FrameError::Ignore {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests;
