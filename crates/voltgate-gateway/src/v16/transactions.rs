//! StartTransaction and StopTransaction (OCPP 1.6 §4.8, §4.10): answered only after the
//! database committed them. A repeated start returns the same id; a stop is always
//! acknowledged, for unknown ids too (kept as orphans).

use voltgate_core::store::{StartTx, StopTx};
use voltgate_ocpp::v16::{
    Payload, StartTransactionRequest, StartTransactionResponse, StopTransactionRequest,
    StopTransactionResponse,
};

use super::authorize::to_ocpp;
use super::{decode, parse_time, HandlerError, HandlerResult, Incoming};
use crate::session::ConnCtx;
use crate::Gateway;

pub(super) async fn start(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let req: StartTransactionRequest = decode(payload)?;
    let start = StartTx {
        charger_id: ctx.charger_id,
        connector_id: req.connector_id,
        id_tag: req.id_tag,
        meter_start: req.meter_start,
        started_at: parse_time(gw, Some(&req.timestamp)),
        reservation_id: req.reservation_id.map(i64::from),
    };
    let (id, info) = gw.inner.service.start_transaction(start).await?;
    let transaction_id = i32::try_from(id).map_err(|_| {
        HandlerError::Store(voltgate_core::StoreError::Database(
            "transaction id exceeds the OCPP integer range".into(),
        ))
    })?;
    tracing::info!(
        transaction_id,
        connector_id = req.connector_id,
        "transaction started"
    );
    Ok(StartTransactionResponse {
        id_tag_info: to_ocpp(info),
        transaction_id,
    }
    .to_payload())
}

pub(super) async fn stop(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let req: StopTransactionRequest = decode(payload)?;
    let samples = super::meter_values::samples(
        gw,
        ctx.charger_id,
        0,
        Some(i64::from(req.transaction_id)),
        req.transaction_data.unwrap_or_default(),
    );
    let stop = StopTx {
        charger_id: ctx.charger_id,
        transaction_id: i64::from(req.transaction_id),
        id_tag: req.id_tag,
        meter_stop: req.meter_stop,
        stopped_at: parse_time(gw, Some(&req.timestamp)),
        reason: req.reason.map(|r| r.as_str().to_owned()),
        samples,
    };
    let (outcome, info) = gw.inner.service.stop_transaction(stop).await?;
    tracing::info!(
        transaction_id = req.transaction_id,
        ?outcome,
        "transaction stopped"
    );
    Ok(StopTransactionResponse {
        id_tag_info: info.map(to_ocpp),
    }
    .to_payload())
}
