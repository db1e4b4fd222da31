//! BootNotification (OCPP 1.6 §4.2): store what the charger says about itself and accept it.

use serde_json::Value;
use voltgate_core::model::BootInfo;
use voltgate_ocpp::v16::{
    BootNotificationRequest, BootNotificationResponse, Payload, RegistrationStatus,
};

use super::{decode, format_time, HandlerResult};
use crate::session::ConnCtx;
use crate::Gateway;

pub(super) async fn handle(gw: &Gateway, ctx: &ConnCtx, payload: Value) -> HandlerResult {
    let req: BootNotificationRequest = decode(payload)?;
    let info = BootInfo {
        vendor: req.charge_point_vendor,
        model: req.charge_point_model,
        charge_point_serial_number: req.charge_point_serial_number,
        charge_box_serial_number: req.charge_box_serial_number,
        firmware_version: req.firmware_version,
        iccid: req.iccid,
        imsi: req.imsi,
        meter_type: req.meter_type,
        meter_serial_number: req.meter_serial_number,
    };
    let decision = gw
        .inner
        .service
        .boot(ctx.charger_id, &info, ctx.version.subprotocol())
        .await?;
    tracing::info!(vendor = %info.vendor, model = %info.model, "charger booted; accepted");
    let status = if decision.accepted {
        RegistrationStatus::Accepted
    } else {
        RegistrationStatus::Rejected
    };
    Ok(BootNotificationResponse {
        status,
        current_time: format_time(decision.current_time),
        interval: decision.interval_seconds as i32,
    }
    .to_payload())
}
