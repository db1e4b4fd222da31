//! `string_enum!`: an enum whose values travel as fixed JSON strings.
//!
//! OCPP enumerations are strings on the wire, some with dots or dashes
//! (`"Energy.Active.Import.Register"`, `"L1-N"`). The macro writes the enum, its wire
//! spelling (`as_str`, `from_name`, `ALL`, `Display`) and serde impls from one table, so
//! the spelling exists in exactly one place and tests can compare it with the schemas.

use std::fmt;
use std::marker::PhantomData;

/// What the serde impls of a `string_enum!` type need to know.
pub(crate) trait StringEnum: Sized + 'static {
    /// Every wire spelling, for error messages.
    const NAMES: &'static [&'static str];
    fn from_name(name: &str) -> Option<Self>;
}

/// Deserialises a `string_enum!` value from a borrowed or owned string without allocating.
pub(crate) struct NameVisitor<T>(PhantomData<T>);

impl<T> NameVisitor<T> {
    pub(crate) fn new() -> Self {
        NameVisitor(PhantomData)
    }
}

impl<T: StringEnum> serde::de::Visitor<'_> for NameVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of {}", T::NAMES.join(", "))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        T::from_name(value).ok_or_else(|| E::unknown_variant(value, T::NAMES))
    }
}

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order of the schema.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The value as spelled on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value spelled `name` on the wire, if any (case-sensitive).
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::string_enum::StringEnum for $name {
            const NAMES: &'static [&'static str] = &[$($text,)+];

            fn from_name(name: &str) -> Option<Self> {
                Self::from_name(name)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::string_enum::NameVisitor::<Self>::new())
            }
        }
    };
}

pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    string_enum! {
        /// A test enum.
        pub enum Phase {
            L1 = "L1",
            L1N = "L1-N",
        }
    }

    #[test]
    fn values_serialise_as_their_wire_spelling() {
        assert_eq!(
            serde_json::to_string(&Phase::L1N).ok(),
            Some(r#""L1-N""#.into())
        );
        assert_eq!(Phase::L1N.to_string(), "L1-N");
    }

    #[test]
    fn values_deserialise_from_borrowed_and_owned_strings() {
        assert_eq!(
            serde_json::from_str::<Phase>(r#""L1-N""#).ok(),
            Some(Phase::L1N)
        );
        let owned = serde_json::json!("L1");
        assert_eq!(serde_json::from_value::<Phase>(owned).ok(), Some(Phase::L1));
    }

    #[test]
    fn all_lists_every_value_in_declaration_order() {
        assert_eq!(Phase::ALL, [Phase::L1, Phase::L1N]);
    }

    #[test]
    fn unknown_or_differently_cased_values_are_rejected() {
        assert!(serde_json::from_str::<Phase>(r#""l1""#).is_err());
        assert_eq!(Phase::from_name("L2"), None);
    }
}
