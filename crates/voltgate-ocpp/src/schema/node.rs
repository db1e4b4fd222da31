//! A compiled schema: a tree of [`Node`]s that checks a `serde_json::Value` in one walk.
//!
//! The tree holds only what validation needs, already resolved (`$ref`s inlined, keywords
//! typed). The success path does not allocate: paths live on the stack (see `path.rs`)
//! and a [`Violation`] is only built for the first failure, which ends the walk.

use std::fmt::Display;

use serde_json::{Map, Number, Value};

use super::path::Path;
use super::Violation;
use crate::text::{truncate_chars, MAX_DESCRIPTION_CHARS};
use crate::timestamp::parse_timestamp;
use crate::ErrorCode;

/// One compiled (sub)schema, by its declared `type`.
#[derive(Debug)]
pub(crate) enum Node {
    /// No `type`: anything goes.
    Any,
    Boolean,
    Integer(Numeric),
    Number(Numeric),
    String(StringRules),
    Array(Box<ArrayRules>),
    Object(ObjectRules),
}

#[derive(Debug, Default)]
pub(crate) struct Numeric {
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
    pub(crate) multiple_of: Option<f64>,
}

#[derive(Debug, Default)]
pub(crate) struct StringRules {
    pub(crate) min_chars: Option<usize>,
    pub(crate) max_chars: Option<usize>,
    pub(crate) allowed: Option<Box<[Box<str>]>>,
    pub(crate) format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// RFC 3339, with the leniency of [`parse_timestamp`].
    DateTime,
    /// An absolute URI: a scheme, a colon, and no whitespace or control characters.
    Uri,
}

#[derive(Debug)]
pub(crate) struct ArrayRules {
    pub(crate) items: Node,
    pub(crate) min_items: usize,
    pub(crate) max_items: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct ObjectRules {
    /// Sorted by name, which is also the order in which values are checked.
    pub(crate) properties: Box<[(Box<str>, Node)]>,
    /// Sorted by name.
    pub(crate) required: Box<[Box<str>]>,
    pub(crate) additional_allowed: bool,
}

impl Node {
    /// Checks `value` at `path`, returning the first violation.
    pub(crate) fn check(&self, value: &Value, path: &Path<'_>) -> Result<(), Violation> {
        match (self, value) {
            (Node::Any, _) | (Node::Boolean, Value::Bool(_)) => Ok(()),
            (Node::Integer(rules), Value::Number(n)) if n.is_i64() || n.is_u64() => {
                rules.check_number(n, path)
            }
            (Node::Number(rules), Value::Number(n)) => rules.check_number(n, path),
            (Node::String(rules), Value::String(s)) => rules.check(s, path),
            (Node::Array(rules), Value::Array(items)) => rules.check(items, path),
            (Node::Object(rules), Value::Object(map)) => rules.check(map, path),
            (node, value) => Err(violation(
                ErrorCode::TypeConstraintViolation,
                path,
                format_args!("expected {}, got {}", node.type_name(), json_type(value)),
            )),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Node::Any => "any value",
            Node::Boolean => "boolean",
            Node::Integer(_) => "integer",
            Node::Number(_) => "number",
            Node::String(_) => "string",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
        }
    }
}

impl Numeric {
    fn check_number(&self, n: &Number, path: &Path<'_>) -> Result<(), Violation> {
        match n.as_f64() {
            Some(x) => self.check(x, path),
            None => Ok(()),
        }
    }

    pub(super) fn check(&self, x: f64, path: &Path<'_>) -> Result<(), Violation> {
        let fail = |what: std::fmt::Arguments<'_>| {
            Err(violation(
                ErrorCode::PropertyConstraintViolation,
                path,
                what,
            ))
        };
        if let Some(min) = self.minimum.filter(|min| x < *min) {
            return fail(format_args!("must be at least {min}"));
        }
        if let Some(max) = self.maximum.filter(|max| x > *max) {
            return fail(format_args!("must be at most {max}"));
        }
        if let Some(m) = self.multiple_of.filter(|m| !is_multiple_of(x, *m)) {
            return fail(format_args!("must be a multiple of {m}"));
        }
        Ok(())
    }
}

/// `x` is a multiple of `m` up to floating-point noise (16.1 / 0.1 = 161.00000000000003).
fn is_multiple_of(x: f64, m: f64) -> bool {
    let q = x / m;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

impl StringRules {
    pub(super) fn check(&self, s: &str, path: &Path<'_>) -> Result<(), Violation> {
        let fail = |what: std::fmt::Arguments<'_>| {
            Err(violation(
                ErrorCode::PropertyConstraintViolation,
                path,
                what,
            ))
        };
        // Byte length bounds the character count from above: count chars only when needed.
        if let Some(max) = self
            .max_chars
            .filter(|max| s.len() > *max && s.chars().count() > *max)
        {
            return fail(format_args!("must be at most {max} characters long"));
        }
        if let Some(min) = self.min_chars.filter(|min| s.chars().count() < *min) {
            return fail(format_args!("must be at least {min} characters long"));
        }
        if let Some(allowed) = &self.allowed {
            if position(allowed, s).is_none() {
                return fail(format_args!("must be one of {}", OneOf(allowed)));
            }
        }
        match self.format {
            Some(Format::DateTime) if parse_timestamp(s).is_none() => {
                fail(format_args!("must be an RFC 3339 date-time"))
            }
            Some(Format::Uri) if !is_uri(s) => fail(format_args!("must be an absolute URI")),
            _ => Ok(()),
        }
    }
}

/// `scheme ":" rest` (RFC 3986 §3.1), with no whitespace or control characters.
fn is_uri(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl ArrayRules {
    /// Whether an array of `count` items has an allowed length.
    pub(super) fn count_allowed(&self, count: usize) -> bool {
        count >= self.min_items && self.max_items.is_none_or(|max| count <= max)
    }

    fn check(&self, items: &[Value], path: &Path<'_>) -> Result<(), Violation> {
        if items.len() < self.min_items {
            let what = format_args!("must contain at least {} item(s)", self.min_items);
            return Err(violation(
                ErrorCode::OccurrenceConstraintViolation,
                path,
                what,
            ));
        }
        if let Some(max) = self.max_items.filter(|max| items.len() > *max) {
            let what = format_args!("must contain at most {max} item(s)");
            return Err(violation(
                ErrorCode::OccurrenceConstraintViolation,
                path,
                what,
            ));
        }
        for (index, item) in items.iter().enumerate() {
            self.items.check(item, &Path::Index(path, index))?;
        }
        Ok(())
    }
}

impl ObjectRules {
    /// Required properties first, then unknown properties, then each property's value.
    fn check(&self, map: &Map<String, Value>, path: &Path<'_>) -> Result<(), Violation> {
        if let Some(missing) = self
            .required
            .iter()
            .find(|name| !map.contains_key(&***name))
        {
            let at = Path::Key(path, missing);
            return Err(violation(
                ErrorCode::OccurrenceConstraintViolation,
                &at,
                "is required",
            ));
        }
        if !self.additional_allowed {
            if let Some(unknown) = map.keys().find(|key| self.property(key).is_none()) {
                let at = Path::Key(path, unknown);
                return Err(violation(
                    ErrorCode::FormationViolation,
                    &at,
                    "is not a property of this message",
                ));
            }
        }
        for (name, node) in self.properties.iter() {
            if let Some(value) = map.get(&**name) {
                node.check(value, &Path::Key(path, name))?;
            }
        }
        Ok(())
    }
}

impl ObjectRules {
    fn property(&self, name: &str) -> Option<&Node> {
        let index = self.property_index(name)?;
        self.properties.get(index).map(|(_, node)| node)
    }

    /// The position of property `name` in [`ObjectRules::properties`].
    pub(super) fn property_index(&self, name: &str) -> Option<usize> {
        if self.properties.len() > 16 {
            return self
                .properties
                .binary_search_by(|(p, _)| (**p).cmp(name))
                .ok();
        }
        self.properties
            .iter()
            .position(|(p, _)| p.len() == name.len() && **p == *name)
    }

    pub(super) fn is_required(&self, name: &str) -> bool {
        position(&self.required, name).is_some()
    }
}

/// Where `s` is in a short list of names: lengths first, so most names are passed over without
/// comparing bytes (a MeterValues has five enumerated strings and seven keys per sampled value;
/// a sorted search spent a third of the check in `memcmp`).
fn position(names: &[Box<str>], s: &str) -> Option<usize> {
    names.iter().position(|n| n.len() == s.len() && **n == *s)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number with a fraction or exponent",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Builds the violation, with the path first so the description reads on its own.
fn violation(code: ErrorCode, path: &Path<'_>, what: impl Display) -> Violation {
    let path = path.render();
    let shown = if path.is_empty() {
        "payload"
    } else {
        path.as_str()
    };
    let description = truncate_chars(format!("{shown}: {what}"), MAX_DESCRIPTION_CHARS);
    Violation {
        code,
        path,
        description,
    }
}

/// Lists allowed values, stopping with "..." well before the description limit.
struct OneOf<'a>(&'a [Box<str>]);

impl Display for OneOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut written = 0;
        for (i, value) in self.0.iter().enumerate() {
            if written + value.len() > 160 {
                return f.write_str(", ...");
            }
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(value)?;
            written += value.len() + 2;
        }
        Ok(())
    }
}
