//! The autopilot of a definition with `scenario: "sessions"`: a driver who, again and again,
//! pauses, plugs in, presents a card, charges a while (the charger sends meter values at its
//! sample interval), stops and unplugs. Demo mode uses it so a new Voltgate shows sessions at
//! once.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use voltgate_sim::{Ev, SimCharger, SimError, StopReason};

/// The sessions scenario.
#[derive(Debug, Clone)]
pub(crate) struct Autopilot {
    pub id_tag: String,
    pub charge: Duration,
    pub pause: Duration,
    /// The first pause, so several chargers do not all start at once.
    pub first_pause: Duration,
}

/// Plays sessions on every connector in turn until `stop`.
pub(crate) async fn sessions(charger: SimCharger, autopilot: Autopilot, stop: CancellationToken) {
    let mut pause = autopilot.first_pause;
    let mut connector = 1;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = autopilot.pause;
        match session(&charger, connector, &autopilot, &stop).await {
            Ok(()) => {}
            Err(error) => tracing::info!(%error, connector, "automatic session failed"),
        }
        connector = connector % charger.connector_count() + 1;
    }
}

async fn session(
    charger: &SimCharger,
    connector: u32,
    autopilot: &Autopilot,
    stop: &CancellationToken,
) -> Result<(), SimError> {
    let ready = charger
        .connector(connector)
        .is_some_and(|c| c.ev.is_none() && c.can_start());
    if !ready {
        // Someone else (a command) is using this connector.
        return Ok(());
    }
    charger.plug(connector, Ev::default()).await?;
    if let Err(error) = charger.start_session(connector, &autopilot.id_tag).await {
        charger.unplug(connector).await?;
        return Err(error);
    }
    tokio::select! {
        // Stopped meanwhile: the runtime ends the session as it winds down.
        _ = stop.cancelled() => return Ok(()),
        _ = tokio::time::sleep(autopilot.charge) => {}
    }
    let running = charger
        .connector(connector)
        .is_some_and(|c| c.transaction_id.is_some());
    if running {
        charger.stop_session(connector, StopReason::Local).await?;
    }
    let plugged = charger.connector(connector).is_some_and(|c| c.ev.is_some());
    if plugged {
        charger.unplug(connector).await?;
    }
    Ok(())
}
