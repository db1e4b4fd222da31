//! Pins the typed 1.6 payloads to the official JSON schemas: every sample we build in
//! Rust serialises to a payload that validates and decodes back to itself, and every
//! enum spells exactly the values its schema allows.

mod enums;
mod full_samples;
mod minimal_samples;

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;
use voltgate_ocpp::v16::{Action, Payload};
use voltgate_ocpp::{precompile_schemas, schema_source, validate, OcppVersion, PayloadKind};

const V16: OcppVersion = OcppVersion::V16;

/// Serialises `sample`, checks it against its schema, and decodes it back.
fn assert_round_trip<T: Payload + PartialEq + std::fmt::Debug>(
    sample: &T,
) -> (Action, PayloadKind) {
    let payload = sample.to_payload();
    assert!(payload.is_object(), "{payload}");
    if let Err(violation) = validate(V16, T::ACTION, T::KIND, &payload) {
        panic!(
            "{:?} {:?} sample does not validate: {violation}\n{payload}",
            T::ACTION,
            T::KIND
        );
    }
    let decoded = T::from_payload(payload);
    assert_eq!(decoded.as_ref(), Ok(sample));
    (T::ACTION, T::KIND)
}

#[test]
fn every_schema_file_is_embedded_and_compiles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/v16");
    let mut files = 0;
    for action in Action::ALL {
        for (kind, suffix) in [
            (PayloadKind::Request, ""),
            (PayloadKind::Response, "Response"),
        ] {
            let path = dir.join(format!("{}{suffix}.json", action.as_str()));
            let on_disk =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert_eq!(schema_source(V16, *action, kind), on_disk, "{path:?}");
            files += 1;
        }
    }
    let json_files = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!((files, json_files), (78, 78));
    assert_eq!(precompile_schemas(V16), Ok(()));
}

#[test]
fn full_sample_of_every_core_payload_validates_and_round_trips() {
    let covered: HashSet<_> = full_samples::full().into_iter().collect();
    let core = Action::ALL
        .iter()
        .filter(|a| !a.is_security_extension())
        .count();
    assert_eq!(
        covered.len(),
        2 * core,
        "every core request and response has a sample"
    );
}

#[test]
fn minimal_sample_of_every_core_payload_validates_and_round_trips() {
    let covered: HashSet<_> = minimal_samples::minimal().into_iter().collect();
    let core = Action::ALL
        .iter()
        .filter(|a| !a.is_security_extension())
        .count();
    assert_eq!(
        covered.len(),
        2 * core,
        "every core request and response has a sample"
    );
}

#[test]
fn empty_payloads_serialise_as_empty_objects() {
    let payload = voltgate_ocpp::v16::HeartbeatRequest {}.to_payload();
    assert_eq!(payload, Value::Object(Default::default()));
}

#[test]
fn from_payload_rejects_an_integer_beyond_i32_without_panicking() {
    let payload = serde_json::json!({"transactionId": 5_000_000_000_i64});
    let result = voltgate_ocpp::v16::RemoteStopTransactionRequest::from_payload(payload);
    let code = result.err().map(|v| v.code.as_str(V16));
    assert_eq!(code, Some("PropertyConstraintViolation"));
}

#[test]
fn from_payload_reports_the_schema_violation_first() {
    let payload = serde_json::json!({"transactionId": "7"});
    let result = voltgate_ocpp::v16::RemoteStopTransactionRequest::from_payload(payload);
    let violation = result.err().map(|v| (v.code.as_str(V16), v.path));
    assert_eq!(
        violation,
        Some(("TypeConstraintViolation", "transactionId".into()))
    );
}
