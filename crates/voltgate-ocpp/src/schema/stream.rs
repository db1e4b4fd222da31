//! The schema check straight from JSON text, for the fast path of incoming calls: one streaming
//! walk over the text with the compiled [`Node`] tree, building no `serde_json::Value`.
//!
//! It only answers "certainly valid": any doubt (a violation, a duplicate key, more than 64
//! properties in one object) is a `false`, and the caller then takes the slow path, which parses a
//! `Value` and reports the exact violation with [`Node::check`]. So this walk must never accept
//! what `Node::check` rejects; it may reject more. Both walks share the rules of each type
//! (`Numeric`, `StringRules`, `ArrayRules` and `ObjectRules`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::node::Node;
use super::path::Path;

/// Whether `json` (one JSON value, nothing after it) passes `node`.
pub(crate) fn accepts(node: &Node, json: &str) -> bool {
    let mut de = serde_json::Deserializer::from_str(json);
    Check(node).deserialize(&mut de).is_ok() && de.end().is_ok()
}

/// Checks the next value against a node; fails without saying why.
struct Check<'n>(&'n Node);

fn reject<E: de::Error>() -> Result<(), E> {
    Err(E::custom("does not certainly pass the schema"))
}

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of the schema")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        match self.0 {
            Node::Any | Node::Boolean => Ok(()),
            _ => reject(),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.integer(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.integer(v as f64)
    }

    /// A number with a fraction or an exponent: never an integer (as `Node::check`).
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match self.0 {
            Node::Any => Ok(()),
            Node::Number(rules) if rules.check(v, &Path::Root).is_ok() => Ok(()),
            _ => reject(),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        match self.0 {
            Node::Any => Ok(()),
            Node::String(rules) if rules.check(s, &Path::Root).is_ok() => Ok(()),
            _ => reject(),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        match self.0 {
            Node::Any => Ok(()),
            _ => reject(),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.0 {
            Node::Any => while seq.next_element::<IgnoredAny>()?.is_some() {},
            Node::Array(rules) => {
                let mut count = 0;
                while seq.next_element_seed(Check(&rules.items))?.is_some() {
                    count += 1;
                }
                if !rules.count_allowed(count) {
                    return reject();
                }
            }
            _ => return reject(),
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let rules = match self.0 {
            Node::Any => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(());
            }
            Node::Object(rules) if rules.properties.len() <= 64 => rules,
            _ => return reject(),
        };
        // The properties seen, as bits over the sorted property list: a repeated key is a
        // doubt (`Value` keeps only its last value).
        let mut seen = 0u64;
        let mut required_seen = 0;
        while let Some(key) = map.next_key_seed(Key)? {
            match rules.property_index(&key) {
                Some(index) => {
                    let bit = 1u64 << index;
                    if seen & bit != 0 {
                        return reject();
                    }
                    seen |= bit;
                    if rules.is_required(&key) {
                        required_seen += 1;
                    }
                    map.next_value_seed(Check(&rules.properties[index].1))?;
                }
                None if rules.additional_allowed => {
                    map.next_value::<IgnoredAny>()?;
                }
                None => return reject(),
            }
        }
        if required_seen != rules.required.len() {
            return reject();
        }
        Ok(())
    }
}

impl Check<'_> {
    fn integer<E: de::Error>(self, x: f64) -> Result<(), E> {
        match self.0 {
            Node::Any => Ok(()),
            Node::Integer(rules) | Node::Number(rules) if rules.check(x, &Path::Root).is_ok() => {
                Ok(())
            }
            _ => reject(),
        }
    }
}

/// An object key, borrowed from the text unless it had escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}
