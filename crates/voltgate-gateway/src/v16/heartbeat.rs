//! Heartbeat (OCPP 1.6 §4.6): record liveness (batched) and tell the time.

use voltgate_ocpp::v16::{HeartbeatRequest, HeartbeatResponse, Payload};

use super::{decode, format_time, HandlerResult, Incoming};
use crate::session::ConnCtx;
use crate::Gateway;

pub(super) async fn handle(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let _: HeartbeatRequest = decode(payload)?;
    let now = gw.inner.service.heartbeat(ctx.charger_id).await;
    Ok(HeartbeatResponse {
        current_time: format_time(now),
    }
    .to_payload())
}
