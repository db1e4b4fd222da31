//! BootNotification (OCPP 1.6 §4.2): store what the charger says about itself, then accept it,
//! or hold it in Pending while Voltgate provisions it (boot policy `pending`, §4.2.1).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use voltgate_core::model::BootInfo;
use voltgate_ocpp::v16::{
    BootNotificationRequest, BootNotificationResponse, Payload, RegistrationStatus,
};

use super::{decode, format_time, HandlerResult, Incoming};
use crate::session::ConnCtx;
use crate::Gateway;

pub(super) async fn handle(gw: &Gateway, ctx: &Arc<ConnCtx>, payload: Incoming) -> HandlerResult {
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
    let registered = ctx.registered.load(Ordering::Acquire);
    let pending = ctx.boot_policy_pending && !registered;
    // A first accepted boot records the registration with the boot's own (batched) write.
    let decision = gw
        .inner
        .service
        .boot(
            ctx.charger_id,
            &info,
            ctx.version.subprotocol(),
            !registered && !pending,
        )
        .await?;
    let store = gw.inner.service.store();
    if pending {
        store
            .set_registration_status(ctx.charger_id, "pending")
            .await?;
        ctx.accepted.store(false, Ordering::Release);
        tracing::info!(vendor = %info.vendor, model = %info.model, "charger booted; Pending while Voltgate provisions it");
        gw.inner
            .tracker
            .spawn(crate::provision::run(gw.clone(), ctx.clone()));
        return Ok(BootNotificationResponse {
            status: RegistrationStatus::Pending,
            current_time: format_time(decision.current_time),
            interval: gw.inner.config.pending_interval_seconds as i32,
        }
        .to_payload());
    }
    ctx.registered.store(true, Ordering::Release);
    ctx.accepted.store(true, Ordering::Release);
    // Settings are applied again after every boot (a reboot loses profiles and may reset keys).
    gw.inner
        .tracker
        .spawn(crate::provision::reapply_settings(gw.clone(), ctx.clone()));
    tracing::info!(vendor = %info.vendor, model = %info.model, "charger booted; accepted");
    Ok(BootNotificationResponse {
        status: RegistrationStatus::Accepted,
        current_time: format_time(decision.current_time),
        interval: decision.interval_seconds as i32,
    }
    .to_payload())
}
