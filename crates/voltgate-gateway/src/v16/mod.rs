//! OCPP 1.6 handlers: one file per charger-initiated action (or small family), each turning the
//! typed payload into a call on core and core's answer into the typed response.

mod authorize;
mod boot;
mod heartbeat;
mod meter_values;
mod notifications;
mod status;
mod transactions;

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use voltgate_core::StoreError;
use voltgate_ocpp::v16::{Action, Payload};
use voltgate_ocpp::{CallError, ErrorCode};

use crate::session::{ConnCtx, Reply, ReplyFuture};
use crate::Gateway;

/// What a handler fails with: a schema violation or a storage failure.
pub(crate) enum HandlerError {
    Invalid(voltgate_ocpp::Violation),
    Store(StoreError),
}

impl From<StoreError> for HandlerError {
    fn from(e: StoreError) -> Self {
        HandlerError::Store(e)
    }
}

impl From<voltgate_ocpp::Violation> for HandlerError {
    fn from(v: voltgate_ocpp::Violation) -> Self {
        HandlerError::Invalid(v)
    }
}

pub(crate) type HandlerResult = Result<Value, HandlerError>;

/// A call's payload as the session hands it over.
pub(crate) enum Incoming {
    /// Parsed already, because the frame took the slow path (`parse_frame`).
    Parsed(Value),
    /// Still text (`parse_call_text`): the payload's part of the frame, decoded straight into
    /// its type.
    Text(Box<str>),
}

/// Starts handling one validated-by-action call; the future answers it.
pub(crate) fn dispatch(
    gw: Gateway,
    ctx: Arc<ConnCtx>,
    action: Action,
    payload: Incoming,
) -> ReplyFuture {
    Box::pin(async move {
        let result = match action {
            Action::BootNotification => boot::handle(&gw, &ctx, payload).await,
            Action::Heartbeat => heartbeat::handle(&gw, &ctx, payload).await,
            Action::StatusNotification => status::handle(&gw, &ctx, payload).await,
            Action::Authorize => authorize::handle(&gw, &ctx, payload).await,
            Action::StartTransaction => transactions::start(&gw, &ctx, payload).await,
            Action::StopTransaction => transactions::stop(&gw, &ctx, payload).await,
            Action::MeterValues => meter_values::handle(&gw, &ctx, payload).await,
            Action::DataTransfer => notifications::data_transfer(&gw, &ctx, payload).await,
            Action::DiagnosticsStatusNotification => {
                notifications::diagnostics(&gw, &ctx, payload).await
            }
            Action::FirmwareStatusNotification => notifications::firmware(&gw, &ctx, payload).await,
            other => Err(HandlerError::Invalid(voltgate_ocpp::Violation {
                code: ErrorCode::NotSupported,
                path: String::new(),
                description: format!(
                    "{} is not supported by this central system yet",
                    other.as_str()
                ),
            })),
        };
        into_reply(&ctx, result)
    })
}

/// Placeholder id: the session replaces it with the call's id when it sends the CALLERROR.
fn into_reply(ctx: &ConnCtx, result: HandlerResult) -> Reply {
    result.map_err(|e| match e {
        HandlerError::Invalid(v) => CallError::new("", v.code, v.description),
        HandlerError::Store(e) => {
            tracing::error!(charger.identity = %ctx.identity, error = %e, "storage failed while handling a charger message; the charger will retry");
            CallError::new("", ErrorCode::InternalError, "the central system could not store this message; please retry")
        }
    })
}

/// Decodes a payload: validates against the schema, then into the typed struct. Text is
/// decoded directly when it certainly passes (`Payload::from_text`), else parsed and checked,
/// which says what is wrong.
pub(crate) fn decode<P: Payload>(payload: Incoming) -> Result<P, HandlerError> {
    let value = match payload {
        Incoming::Parsed(value) => value,
        Incoming::Text(json) => {
            if let Some(decoded) = P::from_text(&json) {
                return Ok(decoded);
            }
            // The frame parsed already, so this cannot fail; null would fail the schema.
            serde_json::from_str(&json).unwrap_or(Value::Null)
        }
    };
    P::from_payload(value).map_err(HandlerError::Invalid)
}

/// RFC 3339 with milliseconds and `Z`, as chargers expect.
pub(crate) fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses a charger timestamp (already schema-checked); falls back to now.
pub(crate) fn parse_time(gw: &Gateway, s: Option<&str>) -> OffsetDateTime {
    s.and_then(voltgate_ocpp::parse_timestamp)
        .unwrap_or_else(|| gw.inner.service.now())
}

#[cfg(test)]
mod tests {
    #[test]
    fn chargers_get_utc_times_with_three_fraction_digits() {
        let t = time::macros::datetime!(2026-11-21 10:23:37.55 +1);
        assert_eq!(super::format_time(t), "2026-11-21T09:23:37.550Z");
    }
}
