//! The one error type of the crate.
//!
//! A simulated charger fails in three distinct ways and tests need to tell them apart: the
//! central system answered with a CALLERROR (a protocol-level "no", often the thing under test),
//! the central system did not answer in time, or the connection itself is gone or never came up.

use std::time::Duration;

use crate::frame::CallErrorInfo;

/// Why a simulated charger's operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The central system answered the CALL with a CALLERROR.
    #[error("{action} answered with CALLERROR {}: {}", .error.code, .error.description)]
    CallError {
        /// The action that was called.
        action: String,
        /// The error code, description and details of the CALLERROR (boxed: it is the largest
        /// variant and errors travel in every `Result` of the crate).
        error: Box<CallErrorInfo>,
    },
    /// No CALLRESULT or CALLERROR arrived within the call timeout.
    #[error("{action} got no answer within {timeout:?}")]
    Timeout {
        /// The action that was called.
        action: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The answer could not be understood (wrong JSON shape for the action).
    #[error("{action} answered with an unexpected payload: {reason}")]
    UnexpectedResponse {
        /// The action that was called.
        action: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The central system refused the BootNotification.
    #[error("BootNotification rejected (retry interval {interval}s)")]
    BootRejected {
        /// The interval the central system asked to wait before retrying, in seconds.
        interval: u64,
    },
    /// An id tag was not accepted (Authorize, StartTransaction).
    #[error("id tag not accepted: {status}")]
    NotAuthorized {
        /// The `idTagInfo.status` the central system returned.
        status: String,
        /// The transaction id, when StartTransaction still opened one.
        transaction_id: Option<i32>,
    },
    /// The WebSocket could not be opened: TCP, HTTP upgrade (401, 404, ...) or subprotocol.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The full URL, identity included.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The connection closed (or was closed) while the operation was in progress or queued.
    #[error("connection closed: {0}")]
    Disconnected(String),
    /// The caller asked for something the simulated charger does not have.
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl SimError {
    /// The CALLERROR, when the central system answered with one.
    pub fn call_error(&self) -> Option<&CallErrorInfo> {
        match self {
            SimError::CallError { error, .. } => Some(error),
            _ => None,
        }
    }
}
