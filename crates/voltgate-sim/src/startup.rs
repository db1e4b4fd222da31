//! What a charger does right after its WebSocket opens: BootNotification, then a
//! StatusNotification per connector (OCPP 1.6, 4.2 and 4.9).
//!
//! While the central system answers `Pending` the charger must wait the returned interval and
//! boot again, and it must still answer the central system's calls meanwhile (that is when a
//! central system typically configures a new charger).

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;

use crate::error::SimError;
use crate::messages::{read_answer, BootNotificationResponse};
use crate::peer::Peer;
use crate::types::RegistrationStatus;

/// The shortest wait between two BootNotifications, whatever the central system says.
const MIN_BOOT_RETRY: Duration = Duration::from_secs(1);

/// Sends BootNotification until it is accepted; returns the accepted answer.
///
pub(crate) async fn boot<S>(
    peer: &mut Peer,
    ws: &mut WebSocketStream<S>,
    request: &Value,
) -> Result<BootNotificationResponse, SimError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let payload = peer.call(ws, "BootNotification", request.clone()).await?;
        let answer: BootNotificationResponse = read_answer("BootNotification", payload)?;
        match answer.status {
            RegistrationStatus::Accepted => return Ok(answer),
            RegistrationStatus::Rejected => {
                return Err(SimError::BootRejected {
                    interval: answer.interval,
                })
            }
            RegistrationStatus::Pending => {
                let wait = Duration::from_secs(answer.interval).max(MIN_BOOT_RETRY);
                serve_until(peer, ws, Instant::now() + wait).await?;
            }
        }
    }
}

/// Answers the central system's calls until `deadline`.
pub(crate) async fn serve_until<S>(
    peer: &mut Peer,
    ws: &mut WebSocketStream<S>,
    deadline: Instant,
) -> Result<(), SimError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return Ok(()),
            Ok(None) => return Err(SimError::Disconnected("connection closed".into())),
            Ok(Some(Err(e))) => return Err(SimError::Disconnected(e.to_string())),
            Ok(Some(Ok(message))) => {
                // An answer here would be to a call that already timed out.
                peer.handle_message(ws, message).await?;
            }
        }
    }
}
