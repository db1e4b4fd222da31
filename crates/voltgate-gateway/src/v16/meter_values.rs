//! MeterValues (OCPP 1.6 §4.7): every sampled value is stored (all measurands, phases, units,
//! contexts and locations, "Celcius" included); answered once committed.

use voltgate_core::model::MeterSample;
use voltgate_ocpp::v16::{MeterValue, MeterValuesRequest, MeterValuesResponse, Payload};

use super::{decode, parse_time, HandlerResult, Incoming};
use crate::session::ConnCtx;
use crate::Gateway;

/// Flattens OCPP meter values into one sample per sampled value.
pub(super) fn samples(
    gw: &Gateway,
    charger_id: i64,
    connector_id: i32,
    transaction_id: Option<i64>,
    values: Vec<MeterValue>,
) -> Vec<MeterSample> {
    let mut out = Vec::new();
    for mv in values {
        let timestamp = parse_time(gw, Some(&mv.timestamp));
        for sv in mv.sampled_value {
            out.push(MeterSample {
                charger_id,
                connector_id,
                transaction_id,
                timestamp,
                value: sv.value,
                context: sv.context.map(|v| v.as_str().to_owned()),
                format: sv.format.map(|v| v.as_str().to_owned()),
                measurand: Some(
                    sv.measurand
                        .map_or("Energy.Active.Import.Register", |v| v.as_str())
                        .to_owned(),
                ),
                phase: sv.phase.map(|v| v.as_str().to_owned()),
                location: Some(sv.location.map_or("Outlet", |v| v.as_str()).to_owned()),
                unit: Some(sv.unit.map_or("Wh", |v| v.as_str()).to_owned()),
            });
        }
    }
    out
}

pub(super) async fn handle(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let req: MeterValuesRequest = decode(payload)?;
    let tx = req.transaction_id.map(i64::from);
    let samples = samples(gw, ctx.charger_id, req.connector_id, tx, req.meter_value);
    gw.inner.service.meter_values(samples).await?;
    Ok(MeterValuesResponse {}.to_payload())
}
