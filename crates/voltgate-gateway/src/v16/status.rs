//! StatusNotification (OCPP 1.6 §4.9): connector 0 is the charger itself; other connectors
//! appear as they report. Error code, info, vendor id and vendor error code are kept.

use voltgate_core::store::StatusReport;
use voltgate_ocpp::v16::{Payload, StatusNotificationRequest, StatusNotificationResponse};

use super::{decode, parse_time, HandlerResult, Incoming};
use crate::session::ConnCtx;
use crate::Gateway;

pub(super) async fn handle(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let req: StatusNotificationRequest = decode(payload)?;
    let report = StatusReport {
        connector_id: req.connector_id,
        status: req.status.as_str().to_owned(),
        error_code: req.error_code.as_str().to_owned(),
        info: req.info,
        vendor_id: req.vendor_id,
        vendor_error_code: req.vendor_error_code,
        timestamp: parse_time(gw, req.timestamp.as_deref()),
    };
    gw.inner.service.status(ctx.charger_id, &report).await?;
    Ok(StatusNotificationResponse {}.to_payload())
}
