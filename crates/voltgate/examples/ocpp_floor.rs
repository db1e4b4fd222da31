//! The transport floor of the OCPP load benchmark: a server on the same stack as `voltgate serve`
//! (tokio, axum's WebSocket, mimalloc, two worker threads) that answers every OCPP 1.6 CALL of
//! `voltgate sim` with a well-formed CALLRESULT and does nothing else: no JSON decoding beyond
//! finding the message id and action, no validation, no database, no log.
//!
//! `bench/ocpp-load.sh` runs it instead of `voltgate serve` with `SERVER=floor`, so the CPU per
//! message it reports is what the WebSocket reads and writes alone cost on this machine, the part
//! of Voltgate's own figure that no change to Voltgate's code can remove.
//!
//! ```sh
//! cargo run --release -p voltgate --example ocpp_floor -- 127.0.0.1:19000
//! ```

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::Router;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:19000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("ocpp_floor listening on {}", listener.local_addr()?);
    let app = Router::new().fallback(upgrade);
    axum::serve(listener, app).await
}

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    ws.protocols(["ocpp1.6"])
        .read_buffer_size(1024)
        .write_buffer_size(0)
        .on_upgrade(answer_calls)
}

async fn answer_calls(mut socket: WebSocket) {
    let mut transaction_id = 0u64;
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            continue;
        };
        let Some((id, action)) = call_id_and_action(text.as_str()) else {
            continue;
        };
        let payload = match action {
            "BootNotification" => format!(
                r#"{{"status":"Accepted","currentTime":"{}","interval":60}}"#,
                now()
            ),
            "Heartbeat" => format!(r#"{{"currentTime":"{}"}}"#, now()),
            "StartTransaction" => {
                transaction_id += 1;
                format!(
                    r#"{{"transactionId":{transaction_id},"idTagInfo":{{"status":"Accepted"}}}}"#
                )
            }
            "Authorize" | "StopTransaction" => r#"{"idTagInfo":{"status":"Accepted"}}"#.to_owned(),
            _ => "{}".to_owned(),
        };
        let reply = format!(r#"[3,"{id}",{payload}]"#);
        if socket.send(Message::Text(reply.into())).await.is_err() {
            break;
        }
    }
}

/// `[2,"<id>","<action>",...]` -> (id, action), by position alone (the simulator sends compact
/// JSON and ids without escapes).
fn call_id_and_action(frame: &str) -> Option<(&str, &str)> {
    let mut parts = frame.splitn(5, '"');
    let head = parts.next()?;
    if !head.trim_start_matches('[').starts_with('2') {
        return None;
    }
    let id = parts.next()?;
    parts.next()?;
    let action = parts.next()?;
    Some((id, action))
}

/// The current UTC time as OCPP's RFC 3339 with seconds.
fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
