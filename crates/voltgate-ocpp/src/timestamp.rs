//! Lenient RFC 3339 timestamps, as real OCPP 1.6 chargers send them.
//!
//! OCPP 1.6 §2.1 asks for UTC date-times in RFC 3339 form with a `Z` or offset. Real
//! chargers deviate (OCPP-RPC-RULES §1.2 row 20): some omit the offset entirely, some send
//! many fractional digits, some write the offset without a colon. Rejecting them loses
//! meter data, so this parser accepts those forms. The same parser backs the `date-time`
//! format of schema validation, so "validates" and "parses" never disagree.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][offset]` into an instant.
///
/// Accepted beyond strict RFC 3339:
/// - no offset at all, read as UTC (a common real-charger quirk);
/// - any number of fractional digits (nanoseconds are kept, further digits dropped);
/// - an offset written `+HHMM` without a colon.
///
/// `t`/`z` in lower case are RFC 3339 too. Leap seconds (`:60`) are not accepted.
/// Parsing does not allocate.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    let year = number(b, 0, 4)?;
    let month = number(b.get(5..)?, 0, 2)?;
    let day = number(b.get(8..)?, 0, 2)?;
    let hour = number(b.get(11..)?, 0, 2)?;
    let minute = number(b.get(14..)?, 0, 2)?;
    let second = number(b.get(17..)?, 0, 2)?;
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| b.get(i) != Some(&c))
        || !matches!(b.get(10), Some(b'T' | b't'))
    {
        return None;
    }

    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }

    let offset = match b.get(i..)? {
        [] | [b'Z' | b'z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hours, minutes) = match rest {
                [_, _, b':', _, _] => (number(rest, 0, 2)?, number(rest, 3, 2)?),
                [_, _, _, _] => (number(rest, 0, 2)?, number(rest, 2, 2)?),
                _ => return None,
            };
            let sign = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(
                sign * i8::try_from(hours).ok()?,
                sign * i8::try_from(minutes).ok()?,
                0,
            )
            .ok()?
        }
        _ => return None,
    };

    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    if offset.whole_minutes().unsigned_abs() >= 24 * 60 {
        return None;
    }
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

/// The decimal number in `b[at..at + len]`, if all of it is ASCII digits.
fn number(b: &[u8], at: usize, len: usize) -> Option<u32> {
    b.get(at..at + len)?.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn parses_strict_rfc3339_utc() {
        assert_eq!(
            parse_timestamp("2024-03-01T12:34:56Z"),
            Some(datetime!(2024-03-01 12:34:56 UTC))
        );
    }

    #[test]
    fn parses_offsets_with_and_without_colon() {
        let expected = datetime!(2024-03-01 12:34:56 +02:00);
        assert_eq!(parse_timestamp("2024-03-01T12:34:56+02:00"), Some(expected));
        assert_eq!(parse_timestamp("2024-03-01T12:34:56+0200"), Some(expected));
        assert_eq!(
            parse_timestamp("2024-03-01T12:34:56-05:30"),
            Some(datetime!(2024-03-01 12:34:56 -05:30))
        );
    }

    #[test]
    fn timestamp_without_offset_is_read_as_utc() {
        assert_eq!(
            parse_timestamp("2024-03-01T12:34:56"),
            Some(datetime!(2024-03-01 12:34:56 UTC))
        );
        assert_eq!(
            parse_timestamp("2024-03-01T12:34:56.5"),
            Some(datetime!(2024-03-01 12:34:56.5 UTC))
        );
    }

    #[test]
    fn accepts_any_number_of_fractional_digits() {
        assert_eq!(
            parse_timestamp("2024-03-01T12:34:56.1Z"),
            Some(datetime!(2024-03-01 12:34:56.1 UTC))
        );
        assert_eq!(
            parse_timestamp("2024-03-01T12:34:56.123456789123Z"),
            Some(datetime!(2024-03-01 12:34:56.123456789 UTC))
        );
    }

    #[test]
    fn rejects_malformed_or_impossible_timestamps() {
        for s in [
            "",
            "2024-03-01",
            "2024-03-01 12:34:56Z",
            "2024-03-01T12:34Z",
            "2024-03-01T12:34:56.Z",
            "2024-13-01T12:34:56Z",
            "2024-02-30T12:34:56Z",
            "2024-03-01T24:00:00Z",
            "2024-03-01T12:34:60Z",
            "2024-03-01T12:34:56+24:00",
            "2024-03-01T12:34:56+02",
            "2024-03-01T12:34:56ZZ",
            "2024-03-01T12:34:56 ",
            "2024-03-01T12:34:56+02:00:00",
            "+024-03-01T12:34:56Z",
            "2024-03-01T12:34:56Zé",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s:?} should be rejected");
        }
    }
}
