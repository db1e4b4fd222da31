//! Validation of CALL and CALLRESULT payloads against the official OCPP JSON schemas
//! (OCPP-RPC-RULES §1.2 rows 9-11, and the OCPP-J 1.6 §4.2.3 error codes).
//!
//! Each schema is compiled once, on first use or by [`precompile_schemas`], into a tree
//! that checks a payload in one walk without allocating unless it finds a violation.
//! Only the first violation is reported, mapped to a CALLERROR code:
//!
//! | violation | code |
//! |---|---|
//! | required property missing, too few/many array items | `OccurrenceConstraintViolation` |
//! | wrong JSON type (incl. `null`, a fraction where an integer is required) | `TypeConstraintViolation` |
//! | enum, length, range, `multipleOf`, date-time or URI format | `PropertyConstraintViolation` |
//! | property not allowed by `additionalProperties: false` | `FormationViolation` |

mod compile;
mod node;
mod path;
mod stream;
mod v16;

use std::sync::OnceLock;

use serde_json::Value;

use self::node::Node;
use self::path::Path;
use crate::v16::Action;
use crate::{CallError, ErrorCode, MessageId, OcppVersion};

/// Which half of an exchange a payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// The payload of a CALL (`Foo.req`, schema file `Foo.json`).
    Request,
    /// The payload of a CALLRESULT (`Foo.conf`, schema file `FooResponse.json`).
    Response,
}

/// The first rule a payload breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{description}")]
pub struct Violation {
    /// The CALLERROR code for this violation.
    pub code: ErrorCode,
    /// Where: `meterValue[0].sampledValue[1].unit`; empty for the payload itself.
    pub path: String,
    /// For humans, at most 255 characters, starting with the path; never raw values.
    pub description: String,
}

impl Violation {
    /// The CALLERROR answering the call `id` whose payload broke this rule.
    pub fn into_call_error(self, id: &MessageId) -> CallError {
        CallError::new(id.as_str(), self.code, self.description)
    }
}

/// An embedded schema that does not compile: a bug in this crate, caught by its tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{version} schema of {action} {kind:?} does not compile: {message}")]
pub struct SchemaError {
    pub version: OcppVersion,
    pub action: &'static str,
    pub kind: PayloadKind,
    pub message: String,
}

/// Checks `payload` against the schema of `action`'s request or response.
///
/// If the schema itself failed to compile (impossible unless this crate is broken), the
/// payload is reported as an `InternalError` violation instead of panicking.
pub fn validate(
    version: OcppVersion,
    action: Action,
    kind: PayloadKind,
    payload: &Value,
) -> Result<(), Violation> {
    match compiled(version, action, kind) {
        Ok(node) => node.check(payload, &Path::Root),
        Err(_) => Err(Violation {
            code: ErrorCode::InternalError,
            path: String::new(),
            description: "the schema for this message is unavailable".into(),
        }),
    }
}

/// Whether `json`, the text of one payload, certainly passes the schema of `action`'s request
/// or response, checked in one streaming walk without building a `Value`. `false` means "not
/// certainly": parse the text and [`validate`] it to learn whether and why it fails (a payload
/// with a repeated key, for one, is always `false` here).
pub fn accepts_text(version: OcppVersion, action: Action, kind: PayloadKind, json: &str) -> bool {
    match compiled(version, action, kind) {
        Ok(node) => stream::accepts(node, json),
        Err(_) => false,
    }
}

/// Compiles every schema of `version` now, so that a broken schema fails at start-up and
/// the first message of each kind does not pay for compilation.
pub fn precompile_schemas(version: OcppVersion) -> Result<(), SchemaError> {
    for action in Action::ALL {
        for kind in [PayloadKind::Request, PayloadKind::Response] {
            if let Err(error) = compiled(version, *action, kind) {
                return Err(error.clone());
            }
        }
    }
    Ok(())
}

/// The JSON text of the official schema for `action`'s request or response.
pub fn schema_source(version: OcppVersion, action: Action, kind: PayloadKind) -> &'static str {
    match version {
        OcppVersion::V16 => v16::source(action, kind),
    }
}

const V16_SLOTS: usize = 2 * Action::ALL.len();

/// One compiled schema per (action, kind), each compiled at most once.
static V16_COMPILED: [OnceLock<Result<Node, SchemaError>>; V16_SLOTS] =
    [const { OnceLock::new() }; V16_SLOTS];

fn compiled(
    version: OcppVersion,
    action: Action,
    kind: PayloadKind,
) -> &'static Result<Node, SchemaError> {
    let slot = match version {
        OcppVersion::V16 => &V16_COMPILED[2 * action as usize + kind as usize],
    };
    slot.get_or_init(|| {
        let error = |message: String| SchemaError {
            version,
            action: action.as_str(),
            kind,
            message,
        };
        let document: Value = serde_json::from_str(schema_source(version, action, kind))
            .map_err(|e| error(format!("invalid JSON: {e}")))?;
        compile::compile(&document).map_err(error)
    })
}

#[cfg(test)]
mod tests;
