//! One test per row of OCPP-RPC-RULES §1.2 that frame parsing handles, on 1.6.

use serde_json::json;

use super::*;

const V16: OcppVersion = OcppVersion::V16;

/// Parses `text` and returns the CALLERROR's id and 1.6 code spelling, or panics.
fn reply_of(text: &str) -> (String, &'static str) {
    match parse_frame(V16, text) {
        Err(FrameError::Reply(error)) => {
            assert!(error.description.len() <= 255);
            assert!(error.details.is_object());
            (error.id, error.code.as_str(V16))
        }
        other => panic!("expected a CALLERROR reply for {text:?}, got {other:?}"),
    }
}

fn is_ignored(text: &str) -> bool {
    matches!(parse_frame(V16, text), Err(FrameError::Ignore { .. }))
}

#[test]
fn row1_text_that_is_not_json_gets_formation_violation_with_id_minus_1() {
    assert_eq!(reply_of("not json"), ("-1".into(), "FormationViolation"));
    assert_eq!(
        reply_of(r#"[2,"a","Heartbeat",{}"#),
        ("-1".into(), "FormationViolation")
    );
    assert_eq!(reply_of(""), ("-1".into(), "FormationViolation"));
}

#[test]
fn row2_json_that_is_not_an_array_gets_formation_violation_with_id_minus_1() {
    assert_eq!(reply_of(r#"{"a":1}"#), ("-1".into(), "FormationViolation"));
    assert_eq!(reply_of("2"), ("-1".into(), "FormationViolation"));
    assert_eq!(reply_of(r#""text""#), ("-1".into(), "FormationViolation"));
}

#[test]
fn row2_empty_array_gets_formation_violation_with_id_minus_1() {
    assert_eq!(reply_of("[]"), ("-1".into(), "FormationViolation"));
}

#[test]
fn row3_unknown_message_type_is_ignored() {
    for text in [
        r#"[0,"a","Heartbeat",{}]"#,
        r#"[1,"a","Heartbeat",{}]"#,
        r#"[5,"a","Heartbeat",{}]"#,
        r#"[99,"a","Heartbeat",{}]"#,
        r#"["2","a","Heartbeat",{}]"#,
        r#"[2.5,"a","Heartbeat",{}]"#,
        r#"[-2,"a","Heartbeat",{}]"#,
        r#"[null,"a","Heartbeat",{}]"#,
        r#"[{},"a","Heartbeat",{}]"#,
    ] {
        assert!(is_ignored(text), "{text} should be ignored");
    }
}

#[test]
fn row4_call_with_unreadable_id_gets_protocol_error_with_id_minus_1() {
    let too_long = format!(r#"[2,"{}","Heartbeat",{{}}]"#, "x".repeat(37));
    for text in [
        "[2]",
        r#"[2,5,"Heartbeat",{}]"#,
        r#"[2,null,"Heartbeat",{}]"#,
        r#"[2,"","Heartbeat",{}]"#,
        too_long.as_str(),
    ] {
        assert_eq!(reply_of(text), ("-1".into(), "ProtocolError"), "{text}");
    }
}

#[test]
fn row4_id_of_exactly_36_chars_is_accepted() {
    let text = format!(r#"[2,"{}","Heartbeat",{{}}]"#, "x".repeat(36));
    assert!(matches!(parse_frame(V16, &text), Ok(Frame::Call(_))));
}

#[test]
fn row5_call_with_wrong_element_count_gets_protocol_error_with_its_id() {
    for text in [
        r#"[2,"id"]"#,
        r#"[2,"id","Heartbeat"]"#,
        r#"[2,"id","Heartbeat",{},{}]"#,
    ] {
        assert_eq!(reply_of(text), ("id".into(), "ProtocolError"), "{text}");
    }
}

#[test]
fn call_with_non_string_action_gets_formation_violation_with_its_id() {
    assert_eq!(
        reply_of(r#"[2,"id",7,{}]"#),
        ("id".into(), "FormationViolation")
    );
    assert_eq!(
        reply_of(r#"[2,"id",null,{}]"#),
        ("id".into(), "FormationViolation")
    );
}

#[test]
fn row8_call_payload_that_is_not_an_object_gets_formation_violation_with_its_id() {
    for text in [
        r#"[2,"id","Heartbeat",[]]"#,
        r#"[2,"id","Heartbeat",null]"#,
        r#"[2,"id","Heartbeat","{}"]"#,
        r#"[2,"id","Heartbeat",1]"#,
    ] {
        assert_eq!(
            reply_of(text),
            ("id".into(), "FormationViolation"),
            "{text}"
        );
    }
}

#[test]
fn valid_call_is_parsed_with_its_parts() {
    let frame = parse_frame(
        V16,
        r#"[2,"19223201","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#,
    );
    let Ok(Frame::Call(call)) = frame else {
        panic!("expected a call, got {frame:?}");
    };
    assert_eq!(call.id.as_str(), "19223201");
    assert_eq!(call.action, "BootNotification");
    assert_eq!(
        call.payload,
        json!({"chargePointVendor": "V", "chargePointModel": "M"})
    );
}

#[test]
fn valid_call_result_and_call_error_are_parsed() {
    let frame = parse_frame(V16, r#"[3,"a",{"currentTime":"2024-01-01T00:00:00Z"}]"#);
    assert!(
        matches!(&frame, Ok(Frame::CallResult(r)) if r.id.as_str() == "a"),
        "{frame:?}"
    );

    let frame = parse_frame(V16, r#"[4,"a","NotSupported","nope",{"x":1}]"#);
    let Ok(Frame::CallError(error)) = frame else {
        panic!("expected a CALLERROR, got {frame:?}");
    };
    assert_eq!(
        (error.id.as_str(), error.code),
        ("a", ErrorCode::NotSupported)
    );
    assert_eq!(
        (error.description.as_str(), error.details),
        ("nope", json!({"x": 1}))
    );
}

#[test]
fn call_result_with_wrong_shape_is_ignored_never_answered() {
    for text in [
        r#"[3]"#,
        r#"[3,"a"]"#,
        r#"[3,"a",{},{}]"#,
        r#"[3,7,{}]"#,
        r#"[3,"",{}]"#,
        r#"[3,"a",[]]"#,
        r#"[3,"a",null]"#,
    ] {
        assert!(is_ignored(text), "{text} should be ignored");
    }
}

#[test]
fn call_error_with_wrong_shape_is_ignored_never_answered() {
    for text in [
        r#"[4,"a","GenericError","x"]"#,
        r#"[4,"a","GenericError","x",{},1]"#,
        r#"[4,1,"GenericError","x",{}]"#,
        r#"[4,"a",1,"x",{}]"#,
        r#"[4,"a","GenericError",1,{}]"#,
        r#"[4,"a","GenericError","x",[]]"#,
        r#"[4,"a","GenericError","x",null]"#,
    ] {
        assert!(is_ignored(text), "{text} should be ignored");
    }
}

#[test]
fn call_error_with_unknown_code_is_kept_as_generic_error() {
    let frame = parse_frame(V16, r#"[4,"a","OccurrenceConstraintViolation","x",{}]"#);
    assert!(matches!(frame, Ok(Frame::CallError(e)) if e.code == ErrorCode::GenericError));
}

#[test]
fn descriptions_never_echo_raw_input() {
    let marker = "SECRET_MARKER_abc";
    for text in [
        format!("{marker} not json"),
        format!(r#"{{"{marker}":1}}"#),
        format!(r#"[2,"{marker}{}","Heartbeat",{{}}]"#, "x".repeat(40)),
        format!(r#"[2,"id","{marker}"]"#),
        format!(r#"[2,"id","Heartbeat","{marker}"]"#),
    ] {
        let Err(FrameError::Reply(error)) = parse_frame(V16, &text) else {
            panic!("expected a reply for {text}");
        };
        assert!(!error.description.contains(marker), "{}", error.description);
    }
}

#[test]
fn binary_frame_gets_formation_violation_with_id_minus_1() {
    let error = binary_frame_error(V16);
    assert_eq!(
        (error.id.as_str(), error.code.as_str(V16)),
        ("-1", "FormationViolation")
    );
    assert_eq!(
        error.to_text(V16),
        r#"[4,"-1","FormationViolation","binary frames are not supported; OCPP-J messages are text frames",{}]"#
    );
}

#[test]
fn parsed_call_serialises_back_to_the_same_text() {
    let text = r#"[2,"id","Authorize",{"idTag":"ABC"}]"#;
    let Ok(frame) = parse_frame(V16, text) else {
        panic!("valid call");
    };
    assert_eq!(frame.to_text(V16), text);
}

#[test]
fn the_call_fast_path_agrees_with_parse_frame() {
    let long_id = format!(r#"[2,"{}","Heartbeat",{{}}]"#, "x".repeat(37));
    let frames = [
        // Taken by the fast path.
        r#"[2,"19223201","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#,
        r#"[2,"a","Heartbeat",{}]"#,
        " [ 2 , \"a\" , \"Heartbeat\" , { } ] \n",
        r#"[2,"a\u0062","Heart\u0062eat",{"k":"\"v\""}]"#,
        r#"[2,"a","NoSuchAction",{"x":[1,2,{"y":null}]}]"#,
        // Left to parse_frame.
        r#"[2,"a","Heartbeat",{}"#,
        r#"[2,"a","Heartbeat",{}] x"#,
        r#"[2,"a","Heartbeat",{},{}]"#,
        r#"[2,"a","Heartbeat"]"#,
        r#"[2.0,"a","Heartbeat",{}]"#,
        r#"[2,"","Heartbeat",{}]"#,
        r#"[2,5,"Heartbeat",{}]"#,
        r#"[2,"a",7,{}]"#,
        r#"[2,"a","Heartbeat",[]]"#,
        r#"[2,"a","Heartbeat","{}"]"#,
        r#"[2,"a","Heartbeat",null]"#,
        r#"[3,"a",{}]"#,
        r#"[4,"a","GenericError","x",{}]"#,
        r#"{"a":1}"#,
        "[]",
        "",
        long_id.as_str(),
    ];
    let mut fast = 0;
    for text in frames {
        let Some(call) = parse_call_text(V16, text) else {
            continue;
        };
        fast += 1;
        let Ok(Frame::Call(slow)) = parse_frame(V16, text) else {
            panic!("the fast path read a call that parse_frame does not: {text}");
        };
        assert_eq!(call.id, slow.id, "{text}");
        assert_eq!(call.action, slow.action, "{text}");
        let payload: Value = serde_json::from_str(&text[call.payload.clone()]).unwrap();
        assert_eq!(payload, slow.payload, "{text}");
    }
    assert_eq!(fast, 5, "the well-formed calls take the fast path");
}
