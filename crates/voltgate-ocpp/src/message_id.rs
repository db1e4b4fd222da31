//! The unique id that pairs a CALL with its CALLRESULT or CALLERROR.

use std::fmt;

/// A message id, parsed: 1 to 36 characters (OCPP-J 1.6 §4.1.4).
///
/// Uniqueness (per sender and connection in 1.6) is the session's job, not this type's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(String);

/// Why a string is not a valid [`MessageId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageIdError {
    /// The id is the empty string.
    #[error("message id is empty")]
    Empty,
    /// The id is longer than [`MessageId::MAX_CHARS`] characters.
    #[error("message id is longer than 36 characters")]
    TooLong,
}

impl MessageId {
    /// The longest id OCPP-J allows, in characters.
    pub const MAX_CHARS: usize = 36;

    /// Parses an id received from, or about to be sent to, the other side.
    pub fn parse(s: &str) -> Result<Self, MessageIdError> {
        if s.is_empty() {
            return Err(MessageIdError::Empty);
        }
        // Byte length bounds the character count from above, so count chars only if needed.
        if s.len() > Self::MAX_CHARS && s.chars().count() > Self::MAX_CHARS {
            return Err(MessageIdError::TooLong);
        }
        Ok(MessageId(s.to_owned()))
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MessageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for MessageId {
    type Err = MessageIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ids_of_1_to_36_chars() {
        assert_eq!(
            MessageId::parse("a").map(|id| id.to_string()),
            Ok("a".into())
        );
        let uuid = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(uuid.len(), 36);
        assert_eq!(
            MessageId::parse(uuid).map(|id| id.into_string()),
            Ok(uuid.into())
        );
    }

    #[test]
    fn rejects_empty_id() {
        assert_eq!(MessageId::parse(""), Err(MessageIdError::Empty));
    }

    #[test]
    fn rejects_id_longer_than_36_chars() {
        assert_eq!(
            MessageId::parse(&"x".repeat(37)),
            Err(MessageIdError::TooLong)
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(MessageId::parse(&"é".repeat(36)).is_ok());
        assert_eq!(
            MessageId::parse(&"é".repeat(37)),
            Err(MessageIdError::TooLong)
        );
    }
}
