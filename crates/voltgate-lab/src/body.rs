//! Request bodies and query strings, validated field by field with pydantic's error types and
//! messages, so every problem is reported at once in the shape OCPPLAB clients expect.
//!
//! Unknown body fields are ignored, as FastAPI models do: an OCPPLAB client may send fields
//! this simulator has no use for (e.g. a `template_name`).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::error::{Detail, LabError};

/// A JSON object body being read.
#[derive(Debug)]
pub struct Body {
    fields: Map<String, Value>,
    errors: Vec<Detail>,
}

impl Body {
    /// Parses the body: it must be a JSON object (422 `json_invalid` or `model_attributes_type`
    /// otherwise).
    pub fn parse(bytes: &[u8]) -> Result<Body, LabError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(LabError::Invalid(vec![Detail {
                kind: "missing",
                loc: vec![json!("body")],
                msg: "Field required".into(),
                input: Value::Null,
                ctx: None,
            }]));
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            LabError::Invalid(vec![Detail {
                kind: "json_invalid",
                loc: vec![json!("body"), json!(e.column())],
                msg: "JSON decode error".into(),
                input: json!({}),
                ctx: Some(json!({"error": e.to_string()})),
            }])
        })?;
        match value {
            Value::Object(fields) => Ok(Body {
                fields,
                errors: Vec::new(),
            }),
            other => Err(LabError::Invalid(vec![Detail {
                kind: "model_attributes_type",
                loc: vec![json!("body")],
                msg: "Input should be a valid dictionary or object to extract fields from".into(),
                input: other,
                ctx: None,
            }])),
        }
    }

    /// Whether the field was sent (even as `null`).
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// Records a problem with a field.
    pub fn error(&mut self, detail: Detail) {
        self.errors.push(detail);
    }

    /// A custom rule on a field failed (pydantic's `value_error`).
    pub fn value_error(&mut self, field: &str, message: &str) {
        let input = self.fields.get(field).cloned().unwrap_or(Value::Null);
        self.errors.push(Detail::body(
            "value_error",
            field,
            format!("Value error, {message}"),
            input,
            Some(json!({"error": message})),
        ));
    }

    /// A required string of `min..=max` characters.
    pub fn required_string(&mut self, field: &str, min: usize, max: usize) -> Option<String> {
        if !self.has(field) {
            self.errors.push(Detail::body(
                "missing",
                field,
                "Field required",
                Value::Object(self.fields.clone()),
                None,
            ));
            return None;
        }
        match self.opt_string(field, min, max) {
            Some(Some(text)) => Some(text),
            Some(None) => {
                self.errors.push(Detail::body(
                    "string_type",
                    field,
                    "Input should be a valid string",
                    Value::Null,
                    None,
                ));
                None
            }
            None => None,
        }
    }

    /// An optional, nullable string: `None` when absent or invalid, `Some(None)` for `null`.
    pub fn opt_string(&mut self, field: &str, min: usize, max: usize) -> Option<Option<String>> {
        let value = self.fields.get(field)?.clone();
        let text = match value {
            Value::Null => return Some(None),
            Value::String(text) => text,
            other => {
                self.errors.push(Detail::body(
                    "string_type",
                    field,
                    "Input should be a valid string",
                    other,
                    None,
                ));
                return None;
            }
        };
        let length = text.chars().count();
        if length < min {
            let plural = if min == 1 { "" } else { "s" };
            self.errors.push(Detail::body(
                "string_too_short",
                field,
                format!("String should have at least {min} character{plural}"),
                Value::String(text),
                Some(json!({ "min_length": min })),
            ));
            return None;
        }
        if length > max {
            self.errors.push(Detail::body(
                "string_too_long",
                field,
                format!("String should have at most {max} characters"),
                Value::String(text),
                Some(json!({ "max_length": max })),
            ));
            return None;
        }
        Some(Some(text))
    }

    /// An optional, nullable string that must be one of `choices`.
    pub fn opt_literal(&mut self, field: &str, choices: &[&str]) -> Option<Option<String>> {
        let value = self.fields.get(field)?.clone();
        match &value {
            Value::Null => Some(None),
            Value::String(text) if choices.contains(&text.as_str()) => Some(Some(text.clone())),
            _ => {
                let expected = literal_list(choices);
                self.errors.push(Detail::body(
                    "literal_error",
                    field,
                    format!("Input should be {expected}"),
                    value,
                    Some(json!({ "expected": expected })),
                ));
                None
            }
        }
    }

    /// An optional, nullable integer in `min..=max`.
    pub fn opt_int(&mut self, field: &str, min: i64, max: i64) -> Option<Option<i64>> {
        let value = self.fields.get(field)?.clone();
        let number = match &value {
            Value::Null => return Some(None),
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            _ => None,
        };
        let Some(number) = number else {
            self.errors.push(Detail::body(
                "int_type",
                field,
                "Input should be a valid integer",
                value,
                None,
            ));
            return None;
        };
        self.range(field, number as f64, min as f64, max as f64, value)?;
        Some(Some(number))
    }

    /// An optional, nullable number in `min..=max`.
    pub fn opt_float(&mut self, field: &str, min: f64, max: f64) -> Option<Option<f64>> {
        let value = self.fields.get(field)?.clone();
        let number = match &value {
            Value::Null => return Some(None),
            Value::Number(n) => n.as_f64(),
            _ => None,
        };
        let Some(number) = number else {
            self.errors.push(Detail::body(
                "float_type",
                field,
                "Input should be a valid number",
                value,
                None,
            ));
            return None;
        };
        self.range(field, number, min, max, value)?;
        Some(Some(number))
    }

    /// An optional, nullable boolean.
    pub fn opt_bool(&mut self, field: &str) -> Option<Option<bool>> {
        let value = self.fields.get(field)?.clone();
        match value {
            Value::Null => Some(None),
            Value::Bool(b) => Some(Some(b)),
            other => {
                self.errors.push(Detail::body(
                    "bool_type",
                    field,
                    "Input should be a valid boolean",
                    other,
                    None,
                ));
                None
            }
        }
    }

    /// An optional, nullable object, read by `read` (which reports its own problems).
    pub fn opt_object(&mut self, field: &str) -> Option<Option<Map<String, Value>>> {
        let value = self.fields.get(field)?.clone();
        match value {
            Value::Null => Some(None),
            Value::Object(map) => Some(Some(map)),
            other => {
                self.errors.push(Detail::body(
                    "model_attributes_type",
                    field,
                    "Input should be a valid dictionary or object to extract fields from",
                    other,
                    None,
                ));
                None
            }
        }
    }

    fn range(&mut self, field: &str, number: f64, min: f64, max: f64, input: Value) -> Option<()> {
        if number < min {
            self.errors.push(Detail::body(
                "greater_than_equal",
                field,
                format!("Input should be greater than or equal to {}", plain(min)),
                input,
                Some(json!({ "ge": number_json(min) })),
            ));
            return None;
        }
        if number > max {
            self.errors.push(Detail::body(
                "less_than_equal",
                field,
                format!("Input should be less than or equal to {}", plain(max)),
                input,
                Some(json!({ "le": number_json(max) })),
            ));
            return None;
        }
        Some(())
    }

    /// 422 with every problem found, or `Ok` when there was none.
    pub fn finish(self) -> Result<(), LabError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(LabError::Invalid(self.errors))
        }
    }
}

/// `'A', 'B' or 'C'`, as pydantic lists literal choices.
fn literal_list(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

fn plain(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// Query parameters, read with pydantic's types and messages at `["query", name]`.
#[derive(Debug)]
pub struct QueryParams {
    params: HashMap<String, String>,
    errors: Vec<Detail>,
}

impl QueryParams {
    pub fn new(params: HashMap<String, String>) -> Self {
        QueryParams {
            params,
            errors: Vec::new(),
        }
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn int(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        let Some(text) = self.params.get(name).cloned() else {
            return default;
        };
        let Ok(number) = text.trim().parse::<i64>() else {
            self.errors.push(Detail::query(
                "int_parsing",
                name,
                "Input should be a valid integer, unable to parse string as an integer",
                Value::String(text),
                None,
            ));
            return default;
        };
        if number < min {
            self.errors.push(Detail::query(
                "greater_than_equal",
                name,
                format!("Input should be greater than or equal to {min}"),
                Value::String(text),
                Some(json!({ "ge": min })),
            ));
            return default;
        }
        if number > max {
            self.errors.push(Detail::query(
                "less_than_equal",
                name,
                format!("Input should be less than or equal to {max}"),
                Value::String(text),
                Some(json!({ "le": max })),
            ));
            return default;
        }
        number
    }

    /// A string, if given and not empty.
    pub fn string(&self, name: &str) -> Option<String> {
        self.params.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// An RFC 3339 date-time (or a plain `YYYY-MM-DD` date, meaning its midnight UTC).
    pub fn datetime(&mut self, name: &str) -> Option<time::OffsetDateTime> {
        let text = self.string(name)?;
        if let Some(at) = crate::views::parse_datetime(&text) {
            return Some(at);
        }
        self.errors.push(Detail::query(
            "datetime_from_date_parsing",
            name,
            "Input should be a valid datetime or date",
            Value::String(text),
            None,
        ));
        None
    }

    /// One of `choices`, if given.
    pub fn literal(&mut self, name: &str, choices: &[&str]) -> Option<String> {
        let text = self.string(name)?;
        if choices.contains(&text.as_str()) {
            return Some(text);
        }
        let expected = literal_list(choices);
        self.errors.push(Detail::query(
            "literal_error",
            name,
            format!("Input should be {expected}"),
            Value::String(text),
            Some(json!({ "expected": expected })),
        ));
        None
    }

    pub fn finish(self) -> Result<(), LabError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(LabError::Invalid(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(body: Body) -> Vec<Detail> {
        match body.finish() {
            Err(LabError::Invalid(details)) => details,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn reports_every_problem_with_pydantic_wording() {
        let mut body = Body::parse(
            br#"{"identity": "", "ocpp_version": "OCPP9", "number_of_connectors": 0, "name": 5}"#,
        )
        .unwrap();
        assert_eq!(body.required_string("identity", 1, 45), None);
        assert_eq!(
            body.opt_literal("ocpp_version", &["OCPP1.6", "OCPP2.0.1"]),
            None
        );
        assert_eq!(body.opt_int("number_of_connectors", 1, 10), None);
        assert_eq!(body.opt_string("name", 0, 255), None);
        assert_eq!(body.required_string("ws_url", 1, 10), None);
        let details = errors(body);
        let kinds: Vec<_> = details.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                "string_too_short",
                "literal_error",
                "greater_than_equal",
                "string_type",
                "missing"
            ]
        );
        assert_eq!(details[1].msg, "Input should be 'OCPP1.6' or 'OCPP2.0.1'");
        assert_eq!(details[2].ctx, Some(json!({"ge": 1})));
        assert_eq!(details[0].msg, "String should have at least 1 character");
        assert_eq!(details[4].loc, [json!("body"), json!("ws_url")]);
    }

    #[test]
    fn null_is_a_value_and_absence_is_not() {
        let mut body = Body::parse(br#"{"name": null}"#).unwrap();
        assert_eq!(body.opt_string("name", 0, 10), Some(None));
        assert_eq!(body.opt_string("model", 0, 10), None);
        body.finish().unwrap();
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        for (text, kind) in [
            (&b"[1]"[..], "model_attributes_type"),
            (b"{", "json_invalid"),
            (b"", "missing"),
        ] {
            match Body::parse(text) {
                Err(LabError::Invalid(details)) => assert_eq!(details[0].kind, kind),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn query_integers_are_range_checked() {
        let params = HashMap::from([("limit".to_owned(), "1001".to_owned())]);
        let mut query = QueryParams::new(params);
        assert_eq!(query.int("limit", 100, 1, 1000), 100);
        assert_eq!(query.int("offset", 0, 0, i64::MAX), 0);
        match query.finish() {
            Err(LabError::Invalid(details)) => {
                assert_eq!(details[0].loc, [json!("query"), json!("limit")]);
                assert_eq!(details[0].msg, "Input should be less than or equal to 1000");
            }
            other => panic!("{other:?}"),
        }
    }
}
