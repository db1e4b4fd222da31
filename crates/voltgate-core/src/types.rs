//! Parsed value types: a value of these types is valid by construction (parse, don't validate).

use std::fmt;

/// Why a value was refused; the message is written for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// A charger's OCPP identity (the last segment of its WebSocket URL).
///
/// At most 45 characters (Volttime's limit), from the OCPP identifier set
/// `a-z A-Z 0-9 * - _ = : + | @ .` so that it is always a safe URL path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChargerIdentity(String);

impl ChargerIdentity {
    pub const MAX_LEN: usize = 45;

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() {
            return Err(ParseError("This field is required.".into()));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(ParseError("Must not be greater than 45 characters.".into()));
        }
        if !s.chars().all(is_identifier_char) {
            return Err(ParseError(
                "May only contain letters, digits and * - _ = : + | @ . characters.".into(),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChargerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "*-_=:+|@.".contains(c)
}

/// An OCPP 1.6 idTag (CiString20Type): 1 to 20 characters, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdTag(String);

impl IdTag {
    pub const MAX_LEN: usize = 20;

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() {
            return Err(ParseError("This field is required.".into()));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(ParseError("Must not be greater than 20 characters.".into()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for lookups: OCPP idTags are case-insensitive.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Whether Voltgate currently holds a WebSocket of the charger.
    ConnectionStatus { NeverSeen => "never_seen", Online => "online", Offline => "offline" }
);

string_enum!(
    /// A transaction is active until the charger reports its stop.
    TransactionStatus { Active => "active", Finished => "finished" }
);

string_enum!(
    /// What a card (id tag) allows.
    CardStatus { Accepted => "accepted", Blocked => "blocked", Expired => "expired" }
);

string_enum!(
    /// A user's role in a team.
    TeamRole { Owner => "owner", Admin => "admin", Member => "member" }
);

string_enum!(
    /// Direction of an OCPP frame in the message log.
    Direction { ChargerToCsms => "cp_to_csms", CsmsToCharger => "csms_to_cp" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_identity_longer_than_45_chars() {
        let long = "a".repeat(46);
        assert_eq!(
            ChargerIdentity::parse(&long).unwrap_err().0,
            "Must not be greater than 45 characters."
        );
        assert!(ChargerIdentity::parse(&"a".repeat(45)).is_ok());
    }

    #[test]
    fn rejects_identity_with_slash_or_space() {
        assert!(ChargerIdentity::parse("CP/1").is_err());
        assert!(ChargerIdentity::parse("CP 1").is_err());
        assert!(ChargerIdentity::parse("").is_err());
        assert!(ChargerIdentity::parse("CP-1_a:b+c|d@e.f*=").is_ok());
    }

    #[test]
    fn id_tags_compare_case_insensitively_and_are_at_most_20_chars() {
        assert_eq!(IdTag::parse("abc").unwrap().normalized(), "ABC");
        assert!(IdTag::parse(&"x".repeat(21)).is_err());
    }

    #[test]
    fn string_enums_round_trip() {
        for s in ConnectionStatus::ALL {
            assert_eq!(ConnectionStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            Direction::parse("cp_to_csms"),
            Some(Direction::ChargerToCsms)
        );
        assert_eq!(CardStatus::parse("nope"), None);
    }
}
