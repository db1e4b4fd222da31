//! Wall-clock timestamps in the form OCPP 1.6 uses.
//!
//! OCPP 1.6 `dateTime` fields are RFC 3339 in UTC. Durations and deadlines inside the simulator use
//! `tokio::time::Instant` instead, so that tests can pause time.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The current UTC time as an RFC 3339 string, e.g. `2025-07-04T13:42:21.123456Z`.
pub fn now_rfc3339() -> String {
    format_rfc3339(OffsetDateTime::now_utc())
}

/// Formats a timestamp as RFC 3339.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    // Formatting an in-range OffsetDateTime as RFC 3339 only fails for years outside 0..=9999.
    at.format(&Rfc3339).unwrap_or_default()
}

/// Parses an RFC 3339 timestamp (e.g. `Heartbeat.conf.currentTime`).
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// `serde` helper: serialises an `OffsetDateTime` as an RFC 3339 string.
pub(crate) fn serialize_rfc3339<S: serde::Serializer>(
    at: &OffsetDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_rfc3339(*at))
}

/// Sleeps until `deadline`, or forever when there is none (a `select!` branch that never fires).
pub(crate) async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        let text = now_rfc3339();
        assert!(text.ends_with('Z'), "{text}");
        assert!(parse_rfc3339(&text).is_some());
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
