//! Request bodies: parsed from JSON into a map, then validated field by field so that every
//! problem comes back at once as a 422 with messages per field (the Volttime/Laravel shape).
//! A field the endpoint does not accept is refused, so read-only fields (ids, team, status,
//! meter readings) can never be set by mass assignment.

use axum::body::Bytes;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{ApiError, FieldErrors};

/// A JSON object body being validated.
#[derive(Debug)]
pub struct Body {
    map: Map<String, Value>,
    errors: FieldErrors,
    /// Dotted path of this object inside the request (`charging_profile.`), for nested bodies.
    prefix: String,
}

impl Body {
    /// Parses the body; an empty body is an empty object.
    pub fn parse(bytes: &Bytes) -> Result<Self, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self {
                map: Map::new(),
                errors: FieldErrors::new(),
                prefix: String::new(),
            });
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self {
                map,
                errors: FieldErrors::new(),
                prefix: String::new(),
            }),
            Ok(_) => Err(ApiError::BadRequest(
                "The request body must be a JSON object.".into(),
            )),
            Err(e) => Err(ApiError::BadRequest(format!(
                "The request body is not valid JSON: {e}."
            ))),
        }
    }

    /// Refuses every field not in `allowed`.
    pub fn only(&mut self, allowed: &[&str]) -> &mut Self {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            self.error(&k, "This field cannot be set.");
        }
        self
    }

    /// Whether any field failed so far (to skip checks that need valid values).
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn error(&mut self, field: &str, message: &str) {
        self.errors
            .entry(format!("{}{field}", self.prefix))
            .or_default()
            .push(message.to_owned());
    }

    /// A nested object `field` as its own body (errors keep the dotted path); `None` when absent
    /// or null. Merge it back with [`Body::absorb`].
    pub fn child(&mut self, field: &str) -> Option<Body> {
        match self.map.get(field)? {
            Value::Null => None,
            Value::Object(map) => Some(Body {
                map: map.clone(),
                errors: FieldErrors::new(),
                prefix: format!("{}{field}.", self.prefix),
            }),
            _ => {
                self.error(field, "Must be an object.");
                None
            }
        }
    }

    /// The objects of an array field, each as a nested body (`field.0.`, `field.1.` ...).
    pub fn children(&mut self, field: &str) -> Option<Vec<Body>> {
        match self.map.get(field)? {
            Value::Null => None,
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.clone().into_iter().enumerate() {
                    match item {
                        Value::Object(map) => out.push(Body {
                            map,
                            errors: FieldErrors::new(),
                            prefix: format!("{}{field}.{i}.", self.prefix),
                        }),
                        _ => self.error(&format!("{field}.{i}"), "Must be an object."),
                    }
                }
                Some(out)
            }
            _ => {
                self.error(field, "Must be an array.");
                None
            }
        }
    }

    /// Takes a nested body's errors into this one.
    pub fn absorb(&mut self, child: Body) {
        for (k, v) in child.errors {
            self.errors.entry(k).or_default().extend(v);
        }
    }

    /// An array of strings, each at most `max` characters.
    pub fn opt_strings(&mut self, field: &str, max: usize) -> Option<Vec<String>> {
        match self.map.get(field)? {
            Value::Null => None,
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.clone().iter().enumerate() {
                    match item {
                        Value::String(s) if s.chars().count() <= max => out.push(s.clone()),
                        Value::String(_) => self.error(
                            &format!("{field}.{i}"),
                            &format!("Must not be greater than {max} characters."),
                        ),
                        _ => self.error(&format!("{field}.{i}"), "Must be a string."),
                    }
                }
                Some(out)
            }
            _ => {
                self.error(field, "Must be an array.");
                None
            }
        }
    }

    pub fn opt_bool(&mut self, field: &str) -> Option<Option<bool>> {
        match self.map.get(field)? {
            Value::Null => Some(None),
            Value::Bool(b) => Some(Some(*b)),
            _ => {
                self.error(field, "Must be true or false.");
                None
            }
        }
    }

    /// The whole body as JSON text, for the audit trail.
    pub fn to_json(&self) -> String {
        Value::Object(self.map.clone()).to_string()
    }

    /// Whether `field` already has an error (so a second, vaguer one is not added).
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.contains_key(&format!("{}{field}", self.prefix))
    }

    pub fn has(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }

    /// Ends validation: the collected errors, if any, as a 422.
    pub fn finish(&mut self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(std::mem::take(&mut self.errors)))
        }
    }

    /// Makes an optional field's result required: absent or null is "This field is required.";
    /// an invalid value keeps the error its parser recorded.
    pub fn require<T>(&mut self, field: &str, value: Option<Option<T>>) -> Option<T> {
        match value {
            Some(Some(v)) => Some(v),
            None if self.has(field) => None,
            _ => {
                self.error(field, "This field is required.");
                None
            }
        }
    }

    /// `None` when absent; `Some(None)` when null; `Some(Some(s))` for a string of at most `max`.
    pub fn opt_string(&mut self, field: &str, max: usize) -> Option<Option<String>> {
        match self.map.get(field)? {
            Value::Null => Some(None),
            Value::String(s) => {
                if s.chars().count() > max {
                    self.error(
                        field,
                        &format!("Must not be greater than {max} characters."),
                    );
                    return None;
                }
                Some(Some(s.clone()))
            }
            _ => {
                self.error(field, "Must be a string.");
                None
            }
        }
    }

    /// A required, non-empty string of at most `max`.
    pub fn required_string(&mut self, field: &str, max: usize) -> Option<String> {
        match self.opt_string(field, max) {
            Some(Some(s)) if !s.trim().is_empty() => Some(s),
            Some(_) | None if self.errors.contains_key(field) => None,
            _ => {
                self.error(field, "This field is required.");
                None
            }
        }
    }

    pub fn opt_i64(&mut self, field: &str, min: i64, max: i64) -> Option<Option<i64>> {
        match self.map.get(field)? {
            Value::Null => Some(None),
            Value::Number(n) => match n.as_i64() {
                Some(v) if v < min => {
                    self.error(field, &format!("Must be at least {min}."));
                    None
                }
                Some(v) if v > max => {
                    self.error(field, &format!("Must not be greater than {max}."));
                    None
                }
                Some(v) => Some(Some(v)),
                None => {
                    self.error(field, "Must be an integer.");
                    None
                }
            },
            _ => {
                self.error(field, "Must be an integer.");
                None
            }
        }
    }

    pub fn opt_f64(&mut self, field: &str, min: f64, max: f64) -> Option<Option<f64>> {
        match self.map.get(field)? {
            Value::Null => Some(None),
            Value::Number(n) => match n.as_f64() {
                Some(v) if v < min || v > max => {
                    self.error(field, &format!("Must be between {min} and {max}."));
                    None
                }
                Some(v) => Some(Some(v)),
                None => {
                    self.error(field, "Must be a number.");
                    None
                }
            },
            _ => {
                self.error(field, "Must be a number.");
                None
            }
        }
    }

    pub fn opt_uuid(&mut self, field: &str) -> Option<Option<Uuid>> {
        match self.map.get(field)? {
            Value::Null => Some(None),
            Value::String(s) => match Uuid::parse_str(s) {
                Ok(u) => Some(Some(u)),
                Err(_) => {
                    self.error(field, "Must be a valid UUID.");
                    None
                }
            },
            _ => {
                self.error(field, "Must be a valid UUID.");
                None
            }
        }
    }

    pub fn opt_time(&mut self, field: &str) -> Option<Option<OffsetDateTime>> {
        match self.map.get(field)? {
            Value::Null => Some(None),
            Value::String(s) => match crate::time_fmt::parse(s) {
                Some(t) => Some(Some(t)),
                None => {
                    self.error(field, "Must be a valid date (RFC 3339, e.g. 2025-07-04T13:42:21Z, or Y-m-d H:i:s).");
                    None
                }
            },
            _ => {
                self.error(field, "Must be a valid date.");
                None
            }
        }
    }

    /// One of `choices`.
    pub fn opt_choice(&mut self, field: &str, choices: &[&str]) -> Option<Option<String>> {
        let v = self.opt_string(field, 255)?;
        match v {
            Some(s) if !choices.contains(&s.as_str()) => {
                self.error(field, &format!("Must be one of: {}.", choices.join(", ")));
                None
            }
            other => Some(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> Body {
        Body::parse(&Bytes::from(s.to_owned())).unwrap()
    }

    #[test]
    fn collects_every_field_error_at_once() {
        let mut b = body(
            r#"{"identity": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "reference": 5, "id": 3}"#,
        );
        b.only(&["identity", "reference"]);
        assert!(b.required_string("identity", 45).is_none());
        assert!(b.opt_string("reference", 255).is_none());
        let Err(ApiError::Invalid(errors)) = b.finish() else {
            panic!()
        };
        assert_eq!(
            errors["identity"],
            vec!["Must not be greater than 45 characters."]
        );
        assert_eq!(errors["reference"], vec!["Must be a string."]);
        assert_eq!(errors["id"], vec!["This field cannot be set."]);
    }

    #[test]
    fn required_string_reports_missing_and_null() {
        let mut b = body(r#"{"name": null}"#);
        assert!(b.required_string("name", 10).is_none());
        assert!(b.required_string("city", 10).is_none());
        let Err(ApiError::Invalid(errors)) = b.finish() else {
            panic!()
        };
        assert_eq!(errors["name"], vec!["This field is required."]);
        assert_eq!(errors["city"], vec!["This field is required."]);
    }

    #[test]
    fn rejects_non_object_and_broken_json() {
        assert!(matches!(
            Body::parse(&Bytes::from("[1]")),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            Body::parse(&Bytes::from("{")),
            Err(ApiError::BadRequest(_))
        ));
        assert!(Body::parse(&Bytes::from("")).is_ok());
    }
}
