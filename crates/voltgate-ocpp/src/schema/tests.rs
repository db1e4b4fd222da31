//! Rows 9-11 of OCPP-RPC-RULES §1.2 and the other schema rules, on 1.6 payloads.

use serde_json::{json, Value};

use super::*;

const V16: OcppVersion = OcppVersion::V16;

fn request(action: Action, payload: Value) -> Result<(), Violation> {
    validate(V16, action, PayloadKind::Request, &payload)
}

/// The 1.6 code spelling and the path of the violation, or panics if the payload is valid.
fn failure(action: Action, payload: Value) -> (&'static str, String) {
    match request(action, payload) {
        Err(v) => {
            assert!(v.description.chars().count() <= 255, "{}", v.description);
            (v.code.as_str(V16), v.path)
        }
        Ok(()) => panic!("expected a violation"),
    }
}

fn meter_values(sampled_value: Value) -> Value {
    json!({
        "connectorId": 1,
        "meterValue": [{
            "timestamp": "2024-03-01T12:00:00Z",
            "sampledValue": [{"value": "1"}, sampled_value]
        }]
    })
}

#[test]
fn every_ocpp16_schema_compiles() {
    assert_eq!(precompile_schemas(V16), Ok(()));
}

#[test]
fn row9_missing_required_field_is_an_occurence_constraint_violation() {
    assert_eq!(
        failure(Action::BootNotification, json!({"chargePointVendor": "V"})),
        ("OccurenceConstraintViolation", "chargePointModel".into())
    );
}

#[test]
fn row9_missing_nested_required_field_reports_its_full_path() {
    assert_eq!(
        failure(Action::MeterValues, meter_values(json!({"unit": "Wh"}))),
        (
            "OccurenceConstraintViolation",
            "meterValue[0].sampledValue[1].value".into()
        )
    );
}

#[test]
fn empty_array_below_min_items_is_an_occurence_constraint_violation() {
    let payload = json!({"connectorId": 1, "meterValue": []});
    assert_eq!(
        failure(Action::MeterValues, payload),
        ("OccurenceConstraintViolation", "meterValue".into())
    );
}

#[test]
fn row10_wrong_json_type_is_a_type_constraint_violation() {
    let payload = json!({"connectorId": "1", "meterValue": []});
    assert_eq!(
        failure(Action::MeterValues, payload),
        ("TypeConstraintViolation", "connectorId".into())
    );
}

#[test]
fn row10_fraction_where_an_integer_is_required_is_a_type_constraint_violation() {
    let payload = json!({"connectorId": 1, "idTag": "A", "meterStart": 1.5, "timestamp": "2024-03-01T12:00:00Z"});
    assert_eq!(
        failure(Action::StartTransaction, payload),
        ("TypeConstraintViolation", "meterStart".into())
    );
}

#[test]
fn row10_null_for_a_required_field_is_a_type_constraint_violation() {
    assert_eq!(
        failure(Action::Authorize, json!({"idTag": null})),
        ("TypeConstraintViolation", "idTag".into())
    );
}

#[test]
fn row11_value_outside_the_enum_is_a_property_constraint_violation() {
    let (code, path) = failure(
        Action::MeterValues,
        meter_values(json!({"value": "1", "unit": "kwh"})),
    );
    assert_eq!(
        (code, path.as_str()),
        (
            "PropertyConstraintViolation",
            "meterValue[0].sampledValue[1].unit"
        )
    );
}

#[test]
fn row11_enum_violation_lists_allowed_values_without_echoing_the_input() {
    let payload = meter_values(json!({"value": "1", "unit": "NotAUnitXYZ"}));
    let Err(violation) = request(Action::MeterValues, payload) else {
        panic!("expected a violation");
    };
    assert!(violation
        .description
        .starts_with("meterValue[0].sampledValue[1].unit: must be one of Wh, kWh,"));
    assert!(!violation.description.contains("NotAUnitXYZ"));
}

#[test]
fn row11_string_longer_than_max_length_is_a_property_constraint_violation() {
    let (code, path) = failure(Action::Authorize, json!({"idTag": "x".repeat(21)}));
    assert_eq!(
        (code, path.as_str()),
        ("PropertyConstraintViolation", "idTag")
    );
    assert_eq!(
        request(Action::Authorize, json!({"idTag": "é".repeat(20)})),
        Ok(())
    );
}

#[test]
fn row11_bad_date_time_is_a_property_constraint_violation() {
    let payload =
        json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "yesterday"});
    assert_eq!(
        failure(Action::StartTransaction, payload),
        ("PropertyConstraintViolation", "timestamp".into())
    );
}

#[test]
fn row11_limit_that_is_not_a_multiple_of_0_1_is_a_property_constraint_violation() {
    let profile = |limit: f64| {
        json!({"connectorId": 1, "csChargingProfiles": {
            "chargingProfileId": 1, "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
        }})
    };
    assert_eq!(request(Action::SetChargingProfile, profile(16.1)), Ok(()));
    assert_eq!(
        failure(Action::SetChargingProfile, profile(16.05)),
        (
            "PropertyConstraintViolation",
            "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit".into()
        )
    );
}

#[test]
fn bad_uri_is_a_property_constraint_violation() {
    assert_eq!(
        request(
            Action::GetDiagnostics,
            json!({"location": "ftp://host/dir"})
        ),
        Ok(())
    );
    assert_eq!(
        failure(Action::GetDiagnostics, json!({"location": "not a uri"})),
        ("PropertyConstraintViolation", "location".into())
    );
}

#[test]
fn unknown_property_is_a_formation_violation() {
    assert_eq!(
        failure(Action::Heartbeat, json!({"extra": 1})),
        ("FormationViolation", "extra".into())
    );
    assert_eq!(
        failure(
            Action::MeterValues,
            meter_values(json!({"value": "1", "colour": "red"}))
        ),
        (
            "FormationViolation",
            "meterValue[0].sampledValue[1].colour".into()
        )
    );
}

#[test]
fn payload_that_is_not_an_object_is_a_type_violation_at_the_root() {
    let Err(violation) = request(Action::Heartbeat, json!([])) else {
        panic!("expected a violation");
    };
    assert_eq!(
        (violation.code, violation.path.as_str()),
        (ErrorCode::TypeConstraintViolation, "")
    );
    assert_eq!(violation.description, "payload: expected object, got array");
}

#[test]
fn violation_becomes_a_call_error_with_the_call_id() {
    let Err(violation) = request(Action::Authorize, json!({})) else {
        panic!("expected a violation");
    };
    let id = MessageId::parse("abc").expect("valid id");
    let error = violation.into_call_error(&id);
    assert_eq!(
        error.to_text(V16),
        r#"[4,"abc","OccurenceConstraintViolation","idTag: is required",{}]"#
    );
}

#[test]
fn row20_real_charger_meter_values_with_celcius_and_no_offset_validate() {
    let payload = json!({
        "connectorId": 1,
        "transactionId": 42,
        "meterValue": [{
            "timestamp": "2024-03-01T12:00:00.123456",
            "sampledValue": [
                {"value": "21.5", "measurand": "Temperature", "unit": "Celcius", "location": "Body"},
                {"value": "1234", "measurand": "Energy.Active.Import.Register", "unit": "Wh",
                 "context": "Sample.Periodic", "format": "Raw", "phase": "L1-N"}
            ]
        }]
    });
    assert_eq!(request(Action::MeterValues, payload), Ok(()));
}

#[test]
fn row20_stop_transaction_without_reason_validates() {
    let payload =
        json!({"transactionId": 7, "meterStop": 1500, "timestamp": "2024-03-01T12:00:00Z"});
    assert_eq!(request(Action::StopTransaction, payload), Ok(()));
}

#[test]
fn stop_transaction_accepts_the_same_units_as_meter_values() {
    let payload = json!({
        "transactionId": 7, "meterStop": 1500, "timestamp": "2024-03-01T12:00:00Z",
        "transactionData": [{"timestamp": "2024-03-01T12:00:00Z", "sampledValue": [
            {"value": "50", "unit": "Hertz"}, {"value": "20", "unit": "Celcius"}
        ]}]
    });
    assert_eq!(request(Action::StopTransaction, payload), Ok(()));
}

#[test]
fn schemas_of_responses_are_used_for_response_payloads() {
    let ok = json!({"status": "Accepted", "currentTime": "2024-03-01T12:00:00Z", "interval": 300});
    assert_eq!(
        validate(V16, Action::BootNotification, PayloadKind::Response, &ok),
        Ok(())
    );
    assert!(validate(V16, Action::BootNotification, PayloadKind::Request, &ok).is_err());
}
