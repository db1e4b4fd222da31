//! DataTransfer, DiagnosticsStatusNotification and FirmwareStatusNotification from a charger
//! (OCPP 1.6 §4.3, §4.4, §4.5).

use voltgate_ocpp::v16::{
    DataTransferRequest, DataTransferResponse, DataTransferStatus,
    DiagnosticsStatusNotificationRequest, DiagnosticsStatusNotificationResponse,
    FirmwareStatusNotificationRequest, FirmwareStatusNotificationResponse, Payload,
};

use super::{decode, HandlerResult, Incoming};
use crate::session::ConnCtx;
use crate::Gateway;

/// No vendor extension is registered: the spec's answer is UnknownVendorId (the frame is kept in
/// the message log for whoever needs it).
pub(super) async fn data_transfer(
    _gw: &Gateway,
    _ctx: &ConnCtx,
    payload: Incoming,
) -> HandlerResult {
    let req: DataTransferRequest = decode(payload)?;
    tracing::info!(vendor_id = %req.vendor_id, message_id = ?req.message_id, "DataTransfer from the charger; no handler for this vendor");
    Ok(DataTransferResponse {
        status: DataTransferStatus::UnknownVendorId,
        data: None,
    }
    .to_payload())
}

pub(super) async fn diagnostics(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let req: DiagnosticsStatusNotificationRequest = decode(payload)?;
    gw.inner
        .service
        .diagnostics_status(ctx.charger_id, req.status.as_str())
        .await?;
    Ok(DiagnosticsStatusNotificationResponse {}.to_payload())
}

pub(super) async fn firmware(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let req: FirmwareStatusNotificationRequest = decode(payload)?;
    gw.inner
        .service
        .firmware_status(ctx.charger_id, req.status.as_str())
        .await?;
    Ok(FirmwareStatusNotificationResponse {}.to_payload())
}
