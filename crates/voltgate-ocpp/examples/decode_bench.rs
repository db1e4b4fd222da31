//! How long reading one incoming MeterValues call takes, from the WebSocket text to the typed
//! request: the fast path (`parse_call_text`, then `Payload::from_text`: a streaming schema check
//! and a typed parse, no JSON tree) against the slow path (`parse_frame` into a
//! `serde_json::Value`, `validate`, then typed). The frame is the one `voltgate sim` sends in the
//! load benchmark: one meterValue with 8 sampled values (energy, power, 3 currents, 3 voltages).
//!
//! ```sh
//! cargo run --release -p voltgate-ocpp --example decode_bench
//! ```

use std::hint::black_box;
use std::time::Instant;

use voltgate_ocpp::v16::{MeterValuesRequest, Payload};
use voltgate_ocpp::{parse_call_text, parse_frame, Frame, OcppVersion};

const V16: OcppVersion = OcppVersion::V16;

fn frame() -> String {
    let mut sampled = vec![
        r#"{"value":"123456.7","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"}"#.to_owned(),
        r#"{"value":"11040.0","context":"Sample.Periodic","format":"Raw","measurand":"Power.Active.Import","location":"Outlet","unit":"W"}"#.to_owned(),
    ];
    for phase in ["L1", "L2", "L3"] {
        sampled.push(format!(r#"{{"value":"16.0","context":"Sample.Periodic","format":"Raw","measurand":"Current.Import","phase":"{phase}","location":"Outlet","unit":"A"}}"#));
    }
    for phase in ["L1-N", "L2-N", "L3-N"] {
        sampled.push(format!(r#"{{"value":"230.0","context":"Sample.Periodic","format":"Raw","measurand":"Voltage","phase":"{phase}","location":"Outlet","unit":"V"}}"#));
    }
    format!(
        r#"[2,"1234567","MeterValues",{{"connectorId":1,"transactionId":42,"meterValue":[{{"timestamp":"2026-12-07T12:00:00.123Z","sampledValue":[{}]}}]}}]"#,
        sampled.join(",")
    )
}

fn slow(text: &str) -> MeterValuesRequest {
    let Ok(Frame::Call(call)) = parse_frame(V16, text) else {
        panic!("not a call")
    };
    MeterValuesRequest::from_payload(call.payload).expect("valid")
}

fn fast(text: &str) -> MeterValuesRequest {
    let call = parse_call_text(V16, text).expect("a call");
    MeterValuesRequest::from_text(&text[call.payload]).expect("valid")
}

/// The best of five rounds of 100,000 (this machine is a shared VM: the best round is the
/// least disturbed one).
fn time(name: &str, text: &str, decode: fn(&str) -> MeterValuesRequest) {
    const ROUNDS: u32 = 100_000;
    let best = (0..5)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..ROUNDS {
                black_box(decode(black_box(text)));
            }
            started.elapsed() / ROUNDS
        })
        .min()
        .unwrap_or_default();
    println!("{name:<52} {:>6.2} µs", best.as_secs_f64() * 1e6);
}

fn main() {
    let text = frame();
    assert_eq!(slow(&text), fast(&text));
    println!(
        "MeterValues frame of {} bytes, 8 sampled values",
        text.len()
    );
    time("slow: parse_frame (Value) + validate + typed", &text, slow);
    time(
        "fast: parse_call_text + streaming check + typed",
        &text,
        fast,
    );
}
