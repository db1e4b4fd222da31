//! The live connections: one cloneable handle per charger identity, never the socket itself.
//!
//! The newest connection of an identity wins: registering a new one cancels the old session,
//! which closes its socket and fails its pending calls. CSMS-initiated calls go through the
//! handle's bounded queue; the session sends them one at a time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Why a CSMS-initiated call did not produce the charger's answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallFailure {
    #[error("the charger is not connected")]
    NotConnected,
    #[error("the charger did not respond in time")]
    Timeout,
    #[error("too many calls are queued for this charger")]
    QueueFull,
    #[error("the connection closed before the charger answered")]
    ConnectionClosed,
    #[error("the charger answered with CALLERROR {code}: {description}")]
    CallError { code: String, description: String },
    #[error("the charger's answer is invalid: {0}")]
    InvalidResponse(String),
    #[error("the request is invalid: {0}")]
    InvalidRequest(String),
}

/// A call waiting to be sent to the charger.
#[derive(Debug)]
pub(crate) struct OutboundCall {
    pub action: String,
    pub payload: Value,
    /// Sent no later than this, answered no later than this; otherwise Timeout.
    pub deadline: tokio::time::Instant,
    pub reply: oneshot::Sender<Result<Value, CallFailure>>,
}

#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    pub conn_id: u64,
    /// Boxed: the channel preallocates a block of slots per connection, so the slot stays a pointer.
    pub calls: mpsc::Sender<Box<OutboundCall>>,
    pub cancel: CancellationToken,
}

/// Identity -> live connection.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    inner: Arc<RegistryInner>,
}

#[derive(Debug, Default)]
struct RegistryInner {
    map: Mutex<HashMap<String, ConnHandle>>,
    next_id: AtomicU64,
}

impl Registry {
    pub(crate) fn next_conn_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers a connection and closes the one it replaces, if any.
    pub(crate) fn register(&self, identity: &str, handle: ConnHandle) {
        let old = self
            .inner
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(identity.to_owned(), handle);
        if let Some(old) = old {
            tracing::info!(
                charger.identity = identity,
                "a newer connection replaced the open one; closing the old one"
            );
            old.cancel.cancel();
        }
    }

    /// Removes the entry if it still belongs to `conn_id`; true when it did.
    pub(crate) fn remove_if_current(&self, identity: &str, conn_id: u64) -> bool {
        let mut map = self.inner.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(identity).is_some_and(|h| h.conn_id == conn_id) {
            map.remove(identity);
            true
        } else {
            false
        }
    }

    /// Closes the identity's connection, if any; true when there was one.
    pub fn disconnect(&self, identity: &str) -> bool {
        let handle = self
            .inner
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(identity);
        match handle {
            Some(h) => {
                h.cancel.cancel();
                true
            }
            None => false,
        }
    }

    pub fn is_connected(&self, identity: &str) -> bool {
        self.inner
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(identity)
    }

    pub fn connected_count(&self) -> usize {
        self.inner
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Sends a CALL to the charger and waits for its CALLRESULT payload.
    ///
    /// The call waits behind earlier ones (one in flight per connection); `timeout` covers the
    /// wait in the queue and the charger's answer. A call whose time ran out in the queue is
    /// never sent.
    pub async fn call(
        &self,
        identity: &str,
        action: &str,
        payload: Value,
        timeout: Duration,
    ) -> Result<Value, CallFailure> {
        let handle = self
            .inner
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(identity)
            .cloned()
            .ok_or(CallFailure::NotConnected)?;
        let (reply, answer) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + timeout;
        let call = OutboundCall {
            action: action.to_owned(),
            payload,
            deadline,
            reply,
        };
        handle.calls.try_send(Box::new(call)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => CallFailure::QueueFull,
            mpsc::error::TrySendError::Closed(_) => CallFailure::NotConnected,
        })?;
        answer.await.unwrap_or(Err(CallFailure::ConnectionClosed))
    }
}
