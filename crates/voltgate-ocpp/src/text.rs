//! Small text helpers shared by frames and schema violations.

/// The maximum length of a CALLERROR errorDescription, in characters
/// (OCPP-J 1.6 §4.2.3 and 2.0.1 part 4 §4.2.3).
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 255;

/// Cuts `s` to at most `max` characters, always on a char boundary.
pub(crate) fn truncate_chars(mut s: String, max: usize) -> String {
    // Fast path: a string of at most `max` bytes has at most `max` characters.
    if s.len() <= max {
        return s;
    }
    if let Some((byte_index, _)) = s.char_indices().nth(max) {
        s.truncate(byte_index);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_not_bytes() {
        let s = "é".repeat(300);
        let cut = truncate_chars(s, 255);
        assert_eq!(cut.chars().count(), 255);
        assert_eq!(cut.len(), 510);
    }

    #[test]
    fn short_strings_are_kept_whole() {
        assert_eq!(truncate_chars("abc".to_owned(), 2), "ab");
        assert_eq!(truncate_chars("abc".to_owned(), 3), "abc");
    }
}
