//! Pending registration: a charger whose boot policy is `pending` is answered Pending at boot
//! while Voltgate reads its whole configuration, sets the configured keys, then triggers a new
//! BootNotification, which is accepted.

use std::sync::Arc;
use std::time::Duration;

use voltgate_core::commands::{ChargerLink, Command, CommandReply};

use crate::link::GatewayLink;
use crate::session::ConnCtx;
use crate::Gateway;

const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs after the Pending answer has been sent; failures are logged and the charger stays
/// Pending (it boots again after the pending interval, which restarts provisioning).
pub(crate) async fn run(gw: Gateway, ctx: Arc<ConnCtx>) {
    let _ = tokio::time::timeout(Duration::from_secs(10), ctx.boot_answered.notified()).await;
    match provision(&gw, &ctx).await {
        Ok(()) => {
            tracing::info!(charger.identity = %ctx.identity, "provisioned; triggered a new BootNotification to accept it")
        }
        Err(e) => {
            tracing::warn!(charger.identity = %ctx.identity, error = %e, "provisioning a pending charger failed; it stays Pending and is retried at its next boot")
        }
    }
}

async fn provision(gw: &Gateway, ctx: &ConnCtx) -> Result<(), String> {
    let link = GatewayLink::new(gw.inner.registry.clone());
    let store = gw.inner.service.store();
    let reply = link
        .send(
            &ctx.identity,
            Command::GetConfiguration { keys: vec![] },
            CALL_TIMEOUT,
        )
        .await
        .map_err(|e| e.to_string())?;
    if let CommandReply::Configuration { keys, .. } = &reply {
        store
            .save_configuration(ctx.charger_id, keys, true)
            .await
            .map_err(|e| e.to_string())?;
    }
    for (key, value) in &gw.inner.config.provisioning {
        let command = Command::ChangeConfiguration {
            key: key.clone(),
            value: value.clone(),
        };
        let reply = link
            .send(&ctx.identity, command, CALL_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        match reply.status() {
            Some("Accepted") | Some("RebootRequired") => {
                let entry = voltgate_core::commands::ConfigKey {
                    key: key.clone(),
                    readonly: false,
                    value: Some(value.clone()),
                };
                store
                    .save_configuration(ctx.charger_id, &[entry], false)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            other => {
                tracing::warn!(charger.identity = %ctx.identity, key, status = ?other, "the charger did not accept a provisioning key")
            }
        }
    }
    store
        .set_registration_status(ctx.charger_id, "accepted")
        .await
        .map_err(|e| e.to_string())?;
    ctx.registered
        .store(true, std::sync::atomic::Ordering::Release);
    let trigger = Command::TriggerMessage {
        message: "BootNotification".into(),
        connector_id: None,
    };
    let reply = link
        .send(&ctx.identity, trigger, CALL_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if !reply.is_accepted() {
        // Without the trigger the charger boots again after the pending interval anyway.
        tracing::info!(charger.identity = %ctx.identity, status = ?reply.status(), "TriggerMessage BootNotification not accepted; waiting for the charger's next boot");
    }
    Ok(())
}

/// After an accepted boot: applies the charger's stored settings, if it has any.
pub(crate) async fn reapply_settings(gw: Gateway, ctx: Arc<ConnCtx>) {
    let _ = tokio::time::timeout(Duration::from_secs(10), ctx.boot_answered.notified()).await;
    let store = gw.inner.service.store().clone();
    let state = match store.settings(ctx.charger_id).await {
        Ok(state) if !state.settings.is_empty() => state,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(charger.identity = %ctx.identity, error = %e, "could not read the charger's settings to apply them");
            return;
        }
    };
    let charger = match store.find_charger_by_identity(&ctx.identity).await {
        Ok(Some(c)) => c,
        _ => return,
    };
    let commands = voltgate_core::command_service::CommandService::new(
        store,
        Arc::new(GatewayLink::new(gw.inner.registry.clone())),
    );
    match commands
        .apply_settings(&charger, &state.settings, CALL_TIMEOUT)
        .await
    {
        Ok(_) => {
            tracing::info!(charger.identity = %ctx.identity, "applied the charger's settings after its boot")
        }
        Err(e) => {
            tracing::warn!(charger.identity = %ctx.identity, error = %e, "could not apply the charger's settings after its boot")
        }
    }
}
