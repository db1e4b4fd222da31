//! Authorize (OCPP 1.6 §4.1): look the id tag up among the cards of the charger's team.

use voltgate_core::ocpp_service::{AuthStatus, IdTagInfo as CoreInfo};
use voltgate_core::types::IdTag;
use voltgate_ocpp::v16::{
    AuthorizationStatus, AuthorizeRequest, AuthorizeResponse, IdTagInfo, Payload,
};

use super::{decode, format_time, HandlerResult, Incoming};
use crate::session::ConnCtx;
use crate::Gateway;

/// Core's answer in OCPP terms.
pub(super) fn to_ocpp(info: CoreInfo) -> IdTagInfo {
    let status = match info.status {
        AuthStatus::Accepted => AuthorizationStatus::Accepted,
        AuthStatus::Blocked => AuthorizationStatus::Blocked,
        AuthStatus::Expired => AuthorizationStatus::Expired,
        AuthStatus::Invalid => AuthorizationStatus::Invalid,
        AuthStatus::ConcurrentTx => AuthorizationStatus::ConcurrentTx,
    };
    IdTagInfo {
        expiry_date: info.expiry_date.map(format_time),
        parent_id_tag: info.parent_id_tag,
        status,
    }
}

pub(super) async fn handle(gw: &Gateway, ctx: &ConnCtx, payload: Incoming) -> HandlerResult {
    let req: AuthorizeRequest = decode(payload)?;
    let info = match IdTag::parse(&req.id_tag) {
        Ok(tag) => to_ocpp(gw.inner.service.authorize(ctx.charger_id, &tag).await?),
        Err(_) => IdTagInfo::with_status(AuthorizationStatus::Invalid),
    };
    tracing::debug!(status = info.status.as_str(), "authorize");
    Ok(AuthorizeResponse { id_tag_info: info }.to_payload())
}
