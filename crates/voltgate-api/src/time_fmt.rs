//! Timestamps on the API: RFC 3339 UTC with microseconds (`2025-07-04T13:42:21.000000Z`) out;
//! RFC 3339 or Volttime's `Y-m-d H:i:s` (UTC) in.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

pub fn format(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

pub fn format_opt(t: Option<OffsetDateTime>) -> Option<String> {
    t.map(format)
}

pub fn parse(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let ymd_his = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    if let Ok(t) = PrimitiveDateTime::parse(s, ymd_his) {
        return Some(t.assume_utc());
    }
    let ymd = format_description!("[year]-[month]-[day]");
    time::Date::parse(s, ymd)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_with_microseconds_and_z() {
        assert_eq!(
            format(datetime!(2025-07-04 13:42:21 UTC)),
            "2025-07-04T13:42:21.000000Z"
        );
        assert_eq!(
            format(datetime!(2025-07-04 15:42:21.123456 +2)),
            "2025-07-04T13:42:21.123456Z"
        );
    }

    #[test]
    fn parses_rfc3339_and_laravel_dates() {
        assert_eq!(
            parse("2025-07-04 13:42:21"),
            Some(datetime!(2025-07-04 13:42:21 UTC))
        );
        assert_eq!(
            parse("2025-07-04T13:42:21Z"),
            Some(datetime!(2025-07-04 13:42:21 UTC))
        );
        assert_eq!(parse("2025-07-04"), Some(datetime!(2025-07-04 0:00 UTC)));
        assert_eq!(parse("yesterday"), None);
    }
}
