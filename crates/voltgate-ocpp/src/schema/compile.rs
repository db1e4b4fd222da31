//! Turning a JSON-schema document into a [`Node`] tree.
//!
//! Supported: the subset of draft-04/06 that the OCPP schemas use (`type` as one string,
//! `properties`, `required`, `additionalProperties` as a boolean, string `enum`,
//! `minLength`/`maxLength`, `minimum`/`maximum`, `multipleOf`, `items` as one schema,
//! `minItems`/`maxItems`, `format` `date-time`/`uri`, `$ref` into the same document).
//! Anything else is a compile error rather than a silently skipped rule, so a new schema
//! set (OCPP 2.0.1) cannot weaken validation unnoticed.

use serde_json::{Map, Value};

use super::node::{ArrayRules, Format, Node, Numeric, ObjectRules, StringRules};

/// Keywords that carry no validation rule here: metadata, or `additionalItems`, which has
/// no effect when `items` is a single schema (the only form we accept).
const IGNORED: &[&str] = &[
    "$schema",
    "$id",
    "id",
    "title",
    "description",
    "$comment",
    "comment",
    "javaType",
    "definitions",
    "additionalItems",
];

/// Keywords the compiler turns into rules.
const RULES: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "minLength",
    "maxLength",
    "format",
    "minimum",
    "maximum",
    "multipleOf",
    "items",
    "minItems",
    "maxItems",
];

/// `$ref` chains longer than this are treated as cycles.
const MAX_DEPTH: usize = 32;

/// Compiles a whole schema document.
pub(crate) fn compile(document: &Value) -> Result<Node, String> {
    compile_at(document, document, 0)
}

fn compile_at(schema: &Value, document: &Value, depth: usize) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err("schema nesting or $ref chain is too deep".into());
    }
    let obj = schema.as_object().ok_or("a schema must be a JSON object")?;
    if let Some(reference) = obj.get("$ref") {
        // Draft-04/06: the siblings of `$ref` are ignored.
        return compile_at(resolve(document, reference)?, document, depth + 1);
    }
    if let Some(unknown) = obj
        .keys()
        .find(|k| !IGNORED.contains(&k.as_str()) && !RULES.contains(&k.as_str()))
    {
        return Err(format!("unsupported keyword {unknown:?}"));
    }
    let node = match obj.get("type") {
        None if obj.keys().any(|k| RULES.contains(&k.as_str())) => {
            return Err("rules without a \"type\" are not supported".into());
        }
        None => Node::Any,
        Some(Value::String(t)) => match t.as_str() {
            "object" => Node::Object(object(obj, document, depth)?),
            "array" => Node::Array(Box::new(array(obj, document, depth)?)),
            "string" => Node::String(string(obj)?),
            "integer" => Node::Integer(numeric(obj)?),
            "number" => Node::Number(numeric(obj)?),
            "boolean" => Node::Boolean,
            other => return Err(format!("unsupported type {other:?}")),
        },
        Some(_) => return Err("\"type\" must be a single string".into()),
    };
    if obj.contains_key("enum") && !matches!(node, Node::String(_)) {
        return Err("\"enum\" is only supported on strings".into());
    }
    Ok(node)
}

/// Resolves a `#/...` JSON pointer inside `document`.
fn resolve<'a>(document: &'a Value, reference: &Value) -> Result<&'a Value, String> {
    let pointer = reference
        .as_str()
        .and_then(|r| r.strip_prefix('#'))
        .ok_or("only \"#/...\" references into the same document are supported")?;
    document
        .pointer(pointer)
        .ok_or_else(|| format!("unresolved reference {pointer:?}"))
}

fn object(obj: &Map<String, Value>, document: &Value, depth: usize) -> Result<ObjectRules, String> {
    let mut properties: Vec<(Box<str>, Node)> = Vec::new();
    if let Some(props) = obj.get("properties") {
        let props = props
            .as_object()
            .ok_or("\"properties\" must be an object")?;
        for (name, schema) in props {
            let node =
                compile_at(schema, document, depth + 1).map_err(|e| format!("{name}: {e}"))?;
            properties.push((name.as_str().into(), node));
        }
    }
    // Sorted, so that which violation is reported first does not depend on whether
    // serde_json keeps insertion order (its `preserve_order` feature).
    properties.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut required: Vec<Box<str>> = match obj.get("required") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .map(Box::from)
                    .ok_or("\"required\" must list strings")
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("\"required\" must be an array".into()),
    };
    required.sort();
    let additional_allowed = match obj.get("additionalProperties") {
        None => true,
        Some(Value::Bool(allowed)) => *allowed,
        Some(_) => return Err("\"additionalProperties\" must be a boolean".into()),
    };
    Ok(ObjectRules {
        properties: properties.into(),
        required: required.into(),
        additional_allowed,
    })
}

fn array(obj: &Map<String, Value>, document: &Value, depth: usize) -> Result<ArrayRules, String> {
    let items = match obj.get("items") {
        None => Node::Any,
        Some(schema @ Value::Object(_)) => {
            compile_at(schema, document, depth + 1).map_err(|e| format!("items: {e}"))?
        }
        Some(_) => return Err("\"items\" must be a single schema".into()),
    };
    Ok(ArrayRules {
        items,
        min_items: count(obj, "minItems")?.unwrap_or(0),
        max_items: count(obj, "maxItems")?,
    })
}

fn string(obj: &Map<String, Value>) -> Result<StringRules, String> {
    let allowed = match obj.get("enum") {
        None => None,
        Some(Value::Array(values)) => Some(
            values
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(Box::from)
                        .ok_or("\"enum\" must list strings")
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err("\"enum\" must be an array".into()),
    };
    let format = match obj.get("format").map(|f| f.as_str()) {
        None => None,
        Some(Some("date-time")) => Some(Format::DateTime),
        Some(Some("uri")) => Some(Format::Uri),
        Some(other) => return Err(format!("unsupported format {other:?}")),
    };
    Ok(StringRules {
        min_chars: count(obj, "minLength")?,
        max_chars: count(obj, "maxLength")?,
        allowed,
        format,
    })
}

fn numeric(obj: &Map<String, Value>) -> Result<Numeric, String> {
    let number = |key: &str| match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or(format!("\"{key}\" must be a number")),
    };
    let multiple_of = number("multipleOf")?;
    if multiple_of.is_some_and(|m| m <= 0.0) {
        return Err("\"multipleOf\" must be positive".into());
    }
    Ok(Numeric {
        minimum: number("minimum")?,
        maximum: number("maximum")?,
        multiple_of,
    })
}

fn count(obj: &Map<String, Value>, key: &str) -> Result<Option<usize>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or(format!("\"{key}\" must be a non-negative integer")),
    }
}
