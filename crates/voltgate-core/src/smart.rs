//! Smart charging per site (issue 6, item 5; Volttime's `GET/PUT /sites/{site}/smart-charging`):
//! when a site's sessions may draw current. `off_peak` charges inside a daily window in the
//! site's time zone; `day_ahead_pricing` charges while the day-ahead price of the site's tariff
//! zone is below a threshold. The load controller (`crate::load_control`) turns the [`Plan`] into
//! the periods of the charging profiles it sends, within the allocator's limits.
//!
//! Everything here is pure and takes `now`, so the plans are tested with a controlled clock.

use async_trait::async_trait;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::store::StoreResult;

/// The site's smart-charging mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmartMode {
    #[default]
    Disabled,
    OffPeak,
    DayAheadPricing,
}

impl SmartMode {
    pub const ALL: [&'static str; 3] = ["disabled", "off_peak", "day_ahead_pricing"];

    pub fn as_str(self) -> &'static str {
        match self {
            SmartMode::Disabled => "disabled",
            SmartMode::OffPeak => "off_peak",
            SmartMode::DayAheadPricing => "day_ahead_pricing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "disabled" => Some(SmartMode::Disabled),
            "off_peak" => Some(SmartMode::OffPeak),
            "day_ahead_pricing" => Some(SmartMode::DayAheadPricing),
            _ => None,
        }
    }
}

/// How the day-ahead price threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PriceStrategy {
    /// The price of the [`AUTOMATIC_HOURS`]-th cheapest hour of the next 24 hours.
    #[default]
    Automatic,
    /// The operator's `day_ahead_pricing_threshold`.
    Manual,
}

impl PriceStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceStrategy::Automatic => "automatic",
            PriceStrategy::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "automatic" => Some(PriceStrategy::Automatic),
            "manual" => Some(PriceStrategy::Manual),
            _ => None,
        }
    }
}

/// With the automatic strategy, sessions charge in this many of the cheapest hours a day.
pub const AUTOMATIC_HOURS: usize = 8;

/// A site's smart-charging settings. Times of day are minutes after local midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct SmartSettings {
    pub mode: SmartMode,
    pub strategy: PriceStrategy,
    /// In the unit of the uploaded prices (e.g. EUR/MWh).
    pub threshold: Option<i64>,
    pub off_peak_start: u16,
    pub off_peak_end: u16,
    /// The day-ahead price zone (e.g. `BE`, `NL`).
    pub tariff_zone: Option<String>,
    pub updated_at: Option<OffsetDateTime>,
}

impl Default for SmartSettings {
    /// Disabled, automatic pricing, off-peak 23:00–07:00 (Volttime's defaults).
    fn default() -> Self {
        Self {
            mode: SmartMode::Disabled,
            strategy: PriceStrategy::Automatic,
            threshold: None,
            off_peak_start: 23 * 60,
            off_peak_end: 7 * 60,
            tariff_zone: None,
            updated_at: None,
        }
    }
}

/// One day-ahead price: it holds from `timestamp` until the next one (at most an hour).
#[derive(Debug, Clone, PartialEq)]
pub struct DayAheadPrice {
    pub location: String,
    pub timestamp: OffsetDateTime,
    pub price: f64,
    pub price_includes_tax: bool,
}

#[async_trait]
pub trait SmartStore: Send + Sync {
    /// The site's settings (the defaults when never set).
    async fn smart_settings(&self, site_id: i64) -> StoreResult<SmartSettings>;
    async fn save_smart_settings(&self, site_id: i64, settings: &SmartSettings) -> StoreResult<()>;
    /// Stores prices of one zone, replacing any at the same timestamps.
    async fn save_prices(&self, prices: &[DayAheadPrice]) -> StoreResult<()>;
    /// The zone's prices with `from <= timestamp < to`, oldest first.
    async fn prices(
        &self,
        location: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<DayAheadPrice>>;
}

/// A time zone from the system's tz database (`/usr/share/zoneinfo`).
#[derive(Debug, Clone)]
pub struct Zone(tz::TimeZone);

impl Zone {
    /// The zone named like `Europe/Amsterdam` or `UTC`; None when the database does not know it.
    pub fn utc() -> Zone {
        Zone(tz::TimeZone::utc())
    }

    pub fn named(name: &str) -> Option<Zone> {
        if name == "UTC" {
            return Some(Zone::utc());
        }
        // Only area/location names, not POSIX TZ strings such as "EST5EDT,M3.2.0,M11.1.0".
        if !name.contains('/') || name.contains("..") || name.starts_with('/') {
            return None;
        }
        tz::TimeZone::from_posix_tz(name).ok().map(Zone)
    }

    /// The offset from UTC at `at`, in seconds.
    pub fn offset_at(&self, at: OffsetDateTime) -> i64 {
        self.0
            .find_local_time_type(at.unix_timestamp())
            .map_or(0, |t| i64::from(t.ut_offset()))
    }

    /// The instant a local wall-clock time happens (the later reading in a DST gap or overlap).
    pub fn instant(&self, date: Date, minutes: u16) -> OffsetDateTime {
        let time = Time::from_hms(((minutes / 60) % 24) as u8, (minutes % 60) as u8, 0)
            .unwrap_or(Time::MIDNIGHT);
        let naive = date.with_time(time).assume_utc();
        let first = self.offset_at(naive);
        let guess = naive - Duration::seconds(first);
        let second = self.offset_at(guess);
        naive - Duration::seconds(second)
    }

    /// The local date at `at`.
    pub fn date(&self, at: OffsetDateTime) -> Date {
        (at + Duration::seconds(self.offset_at(at))).date()
    }
}

/// When charging is allowed from `now` on: `allowed_now`, then each change in `changes` (an
/// instant and whether charging is allowed from it), all within the plan's horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub allowed_now: bool,
    pub changes: Vec<(OffsetDateTime, bool)>,
    /// The price threshold in effect (day-ahead pricing), for the API's
    /// `day_ahead_pricing_smart_mode_price`.
    pub threshold: Option<f64>,
}

impl Plan {
    /// Charging allowed all the time.
    pub fn always() -> Plan {
        Plan {
            allowed_now: true,
            changes: Vec::new(),
            threshold: None,
        }
    }

    /// Whether charging is allowed at `at` (at or after the plan's `now`).
    pub fn allowed_at(&self, at: OffsetDateTime) -> bool {
        self.changes
            .iter()
            .take_while(|(t, _)| *t <= at)
            .last()
            .map_or(self.allowed_now, |(_, a)| *a)
    }
}

/// Turns allowed intervals into a plan seen from `now`, up to `now + horizon`.
fn plan_from_intervals(
    mut allowed: Vec<(OffsetDateTime, OffsetDateTime)>,
    now: OffsetDateTime,
    horizon: Duration,
    threshold: Option<f64>,
) -> Plan {
    allowed.sort();
    let end = now + horizon;
    let mut merged: Vec<(OffsetDateTime, OffsetDateTime)> = Vec::new();
    for (a, b) in allowed.into_iter().filter(|(a, b)| a < b) {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let allowed_now = merged.iter().any(|(a, b)| *a <= now && now < *b);
    let mut changes = Vec::new();
    for (a, b) in merged {
        if a > now && a < end {
            changes.push((a, true));
        }
        if b > now && b < end {
            changes.push((b, false));
        }
    }
    Plan {
        allowed_now,
        changes,
        threshold,
    }
}

/// The off-peak window every day around `now`, in the site's zone.
pub fn off_peak_plan(
    settings: &SmartSettings,
    zone: &Zone,
    now: OffsetDateTime,
    horizon: Duration,
) -> Plan {
    let (start, end) = (settings.off_peak_start, settings.off_peak_end);
    if start == end {
        return Plan::always();
    }
    let first = zone.date(now) - Duration::days(1);
    let days = horizon.whole_days() + 2;
    let mut intervals = Vec::new();
    for d in 0..=days {
        let date = first + Duration::days(d);
        let from = zone.instant(date, start);
        let to_date = if end > start {
            date
        } else {
            date + Duration::days(1)
        };
        intervals.push((from, zone.instant(to_date, end)));
    }
    plan_from_intervals(intervals, now, horizon, None)
}

/// The threshold in effect: the manual one, or the price of the [`AUTOMATIC_HOURS`]-th cheapest
/// period of the next 24 hours. None when there is nothing to decide with.
pub fn price_threshold(
    settings: &SmartSettings,
    prices: &[DayAheadPrice],
    now: OffsetDateTime,
) -> Option<f64> {
    match settings.strategy {
        PriceStrategy::Manual => settings.threshold.map(|t| t as f64),
        PriceStrategy::Automatic => {
            let mut next: Vec<f64> = prices
                .iter()
                .filter(|p| p.timestamp + Duration::HOUR > now && p.timestamp < now + Duration::DAY)
                .map(|p| p.price)
                .collect();
            if next.is_empty() {
                return None;
            }
            next.sort_by(f64::total_cmp);
            Some(next[AUTOMATIC_HOURS.min(next.len()) - 1])
        }
    }
}

/// Charging while the price is below the threshold (at or below it with the automatic
/// strategy, whose threshold is itself one of the prices). Hours without a price charge: a
/// missing price list must not leave drivers with an empty battery.
pub fn price_plan(
    settings: &SmartSettings,
    prices: &[DayAheadPrice],
    now: OffsetDateTime,
    horizon: Duration,
) -> Plan {
    let Some(threshold) = price_threshold(settings, prices, now) else {
        return Plan::always();
    };
    let cheap = |p: f64| match settings.strategy {
        PriceStrategy::Manual => p < threshold,
        PriceStrategy::Automatic => p <= threshold,
    };
    let mut sorted: Vec<&DayAheadPrice> = prices.iter().collect();
    sorted.sort_by_key(|p| p.timestamp);
    let far = now + horizon + Duration::DAY;
    let mut intervals = Vec::new();
    // Before the first known price and after the last one: no price, so allowed.
    let mut cursor = now - Duration::DAY;
    for (i, p) in sorted.iter().enumerate() {
        let until = sorted.get(i + 1).map_or(p.timestamp + Duration::HOUR, |n| {
            n.timestamp.min(p.timestamp + Duration::HOUR)
        });
        if p.timestamp > cursor {
            intervals.push((cursor, p.timestamp));
        }
        if cheap(p.price) {
            intervals.push((p.timestamp, until));
        }
        cursor = until;
    }
    intervals.push((cursor, far));
    plan_from_intervals(intervals, now, horizon, Some(threshold))
}

/// The plan for a site's mode.
pub fn plan(
    settings: &SmartSettings,
    zone: &Zone,
    prices: &[DayAheadPrice],
    now: OffsetDateTime,
    horizon: Duration,
) -> Plan {
    match settings.mode {
        SmartMode::Disabled => Plan::always(),
        SmartMode::OffPeak => off_peak_plan(settings, zone, now, horizon),
        SmartMode::DayAheadPricing => price_plan(settings, prices, now, horizon),
    }
}

/// `H:i` (e.g. `23:00`) as minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use time::macros::{date, datetime};

    fn amsterdam() -> Zone {
        Zone::named("Europe/Amsterdam").expect("the system tz database has Europe/Amsterdam")
    }

    fn off_peak() -> SmartSettings {
        SmartSettings {
            mode: SmartMode::OffPeak,
            ..Default::default()
        }
    }

    #[test]
    fn zones_come_from_the_tz_database() {
        assert!(Zone::named("Africa/Accra").is_some());
        assert!(Zone::named("UTC").is_some());
        assert!(Zone::named("Mars/Olympus_Mons").is_none());
        assert!(Zone::named("EST5EDT,M3.2.0,M11.1.0").is_none());
        assert!(Zone::named("../etc/passwd").is_none());
        let z = amsterdam();
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            z.instant(date!(2026 - 01 - 15), 23 * 60),
            datetime!(2026-01-15 22:00 UTC)
        );
        assert_eq!(
            z.instant(date!(2026 - 07 - 15), 23 * 60),
            datetime!(2026-07-15 21:00 UTC)
        );
    }

    #[test]
    fn off_peak_starts_when_the_window_opens_in_the_site_zone() {
        // 20:00 in Amsterdam (winter): waits until 23:00 local, then charges until 07:00.
        let clock = FixedClock(datetime!(2026-01-15 19:00 UTC));
        let p = off_peak_plan(&off_peak(), &amsterdam(), clock.now(), Duration::DAY);
        assert!(!p.allowed_now);
        assert_eq!(
            p.changes,
            vec![
                (datetime!(2026-01-15 22:00 UTC), true),
                (datetime!(2026-01-16 06:00 UTC), false)
            ]
        );
        // 02:00 local: inside the window that opened yesterday.
        let night = datetime!(2026-01-16 01:00 UTC);
        let p = off_peak_plan(&off_peak(), &amsterdam(), night, Duration::hours(6));
        assert!(p.allowed_now);
        assert_eq!(p.changes, vec![(datetime!(2026-01-16 06:00 UTC), false)]);
        assert!(p.allowed_at(datetime!(2026-01-16 05:59 UTC)));
        assert!(!p.allowed_at(datetime!(2026-01-16 06:00 UTC)));
    }

    #[test]
    fn a_daytime_window_and_an_empty_one() {
        let s = SmartSettings {
            off_peak_start: 10 * 60,
            off_peak_end: 16 * 60,
            ..off_peak()
        };
        let utc = Zone::named("UTC").unwrap();
        let p = off_peak_plan(&s, &utc, datetime!(2026-03-01 12:00 UTC), Duration::DAY);
        assert!(p.allowed_now);
        assert_eq!(
            p.changes,
            vec![
                (datetime!(2026-03-01 16:00 UTC), false),
                (datetime!(2026-03-02 10:00 UTC), true)
            ]
        );
        let same = SmartSettings {
            off_peak_start: 600,
            off_peak_end: 600,
            ..off_peak()
        };
        assert_eq!(
            off_peak_plan(&same, &utc, datetime!(2026-03-01 12:00 UTC), Duration::DAY),
            Plan::always()
        );
    }

    fn prices(start: OffsetDateTime, values: &[f64]) -> Vec<DayAheadPrice> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| DayAheadPrice {
                location: "BE".into(),
                timestamp: start + Duration::hours(i as i64),
                price: *v,
                price_includes_tax: false,
            })
            .collect()
    }

    #[test]
    fn manual_pricing_starts_when_the_price_drops_below_the_threshold() {
        let s = SmartSettings {
            mode: SmartMode::DayAheadPricing,
            strategy: PriceStrategy::Manual,
            threshold: Some(50),
            ..Default::default()
        };
        let clock = FixedClock(datetime!(2026-05-01 12:30 UTC));
        let list = prices(
            datetime!(2026-05-01 12:00 UTC),
            &[90.0, 70.0, 49.9, 30.0, 50.0],
        );
        let p = price_plan(&s, &list, clock.now(), Duration::hours(12));
        assert_eq!(p.threshold, Some(50.0));
        assert!(!p.allowed_now, "90 is above 50");
        assert_eq!(
            p.changes,
            vec![
                (datetime!(2026-05-01 14:00 UTC), true),
                (datetime!(2026-05-01 16:00 UTC), false),
                // After the last known price: no price, so charging is allowed.
                (datetime!(2026-05-01 17:00 UTC), true),
            ]
        );
    }

    #[test]
    fn automatic_pricing_charges_in_the_cheapest_hours() {
        let s = SmartSettings {
            mode: SmartMode::DayAheadPricing,
            ..Default::default()
        };
        let start = datetime!(2026-05-01 00:00 UTC);
        // 24 hourly prices: hour h costs 100 - h, so the cheapest 8 are hours 16..24.
        let values: Vec<f64> = (0..24).map(|h| 100.0 - h as f64).collect();
        let list = prices(start, &values);
        let p = price_plan(&s, &list, start, Duration::hours(23));
        assert_eq!(p.threshold, Some(84.0));
        assert!(!p.allowed_now);
        assert_eq!(p.changes, vec![(datetime!(2026-05-01 16:00 UTC), true)]);
        // No prices at all: charge.
        assert_eq!(price_plan(&s, &[], start, Duration::DAY), Plan::always());
    }

    #[test]
    fn hh_mm_round_trips() {
        assert_eq!(parse_hhmm("23:00"), Some(1380));
        assert_eq!(parse_hhmm("07:05"), Some(425));
        assert_eq!(format_hhmm(425), "07:05");
        for bad in ["24:00", "7:00", "07:60", "0700", "aa:bb", ""] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
    }
}
