//! Charging profiles (OCPP 1.6, 3.13 Smart Charging): what SetChargingProfile installs, the
//! current limit in force at an instant, and the composite schedule GetCompositeSchedule asks for.
//!
//! The rules followed (3.13.2 to 3.13.4):
//! - `ChargePointMaxProfile` (connector 0 only) limits the whole charger;
//! - `TxDefaultProfile` (connector 0 for every connector, or one connector) applies to transactions
//!   without a `TxProfile`; a `TxProfile` (one connector, optionally bound to a `transactionId`)
//!   overrides it while its transaction runs;
//! - within one purpose the valid profile with the highest `stackLevel` whose schedule covers the
//!   instant wins; outside its schedule the next lower one applies;
//! - the limit of a connector is the smaller of the charger limit and the transaction limit.
//!
//! A schedule starts at `startSchedule` (Absolute), at the start of the transaction (Relative), or
//! at `startSchedule` repeated every day or week (Recurring). Limits in W become A at the nominal
//! voltage and the period's (or the EV's) number of phases.

use serde_json::{json, Value};
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::meter::NOMINAL_VOLTAGE_V;

/// What a profile is for (7.13 `ChargingProfilePurposeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Limits the whole charger.
    ChargePointMax,
    /// The default for transactions.
    TxDefault,
    /// For one transaction.
    Tx,
}

impl Purpose {
    fn parse(text: &str) -> Option<Purpose> {
        match text {
            "ChargePointMaxProfile" => Some(Purpose::ChargePointMax),
            "TxDefaultProfile" => Some(Purpose::TxDefault),
            "TxProfile" => Some(Purpose::Tx),
            _ => None,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::ChargePointMax => "ChargePointMaxProfile",
            Purpose::TxDefault => "TxDefaultProfile",
            Purpose::Tx => "TxProfile",
        }
    }
}

/// When a schedule starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Absolute,
    Relative,
    Daily,
    Weekly,
}

/// One period of a schedule: from `start` seconds after the schedule start.
#[derive(Debug, Clone, PartialEq)]
struct Period {
    start: i64,
    limit: f64,
    phases: Option<u8>,
}

/// An installed charging profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargingProfile {
    /// `chargingProfileId`.
    pub id: i32,
    /// The connector it was installed on (0 for the charger).
    pub connector: u32,
    /// `stackLevel`.
    pub stack_level: i32,
    /// `chargingProfilePurpose`.
    pub purpose: Purpose,
    /// The transaction a `TxProfile` is bound to.
    pub transaction_id: Option<i32>,
    kind: Kind,
    valid_from: Option<OffsetDateTime>,
    valid_to: Option<OffsetDateTime>,
    start_schedule: Option<OffsetDateTime>,
    duration: Option<i64>,
    in_watts: bool,
    periods: Vec<Period>,
}

impl ChargingProfile {
    /// Reads `csChargingProfiles` (7.8 `ChargingProfile`) as installed on `connector`.
    pub fn from_payload(connector: u32, value: &Value) -> Result<ChargingProfile, String> {
        let int = |v: &Value, field: &str| {
            v.get(field)
                .and_then(Value::as_i64)
                .ok_or_else(|| format!("{field} must be an integer"))
        };
        let time = |v: &Value, field: &str| match v.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(t) => t
                .as_str()
                .and_then(parse_rfc3339)
                .map(Some)
                .ok_or_else(|| format!("{field} must be an RFC 3339 date-time")),
        };
        let purpose = value
            .get("chargingProfilePurpose")
            .and_then(Value::as_str)
            .and_then(Purpose::parse)
            .ok_or("chargingProfilePurpose is missing or unknown")?;
        let kind = match value.get("chargingProfileKind").and_then(Value::as_str) {
            Some("Absolute") => Kind::Absolute,
            Some("Relative") => Kind::Relative,
            Some("Recurring") => match value.get("recurrencyKind").and_then(Value::as_str) {
                Some("Daily") => Kind::Daily,
                Some("Weekly") => Kind::Weekly,
                _ => return Err("a Recurring profile needs recurrencyKind Daily or Weekly".into()),
            },
            _ => return Err("chargingProfileKind is missing or unknown".into()),
        };
        let schedule = value
            .get("chargingSchedule")
            .ok_or("chargingSchedule is required")?;
        let in_watts = match schedule.get("chargingRateUnit").and_then(Value::as_str) {
            Some("A") => false,
            Some("W") => true,
            _ => return Err("chargingRateUnit must be A or W".into()),
        };
        let mut periods = Vec::new();
        for period in schedule
            .get("chargingSchedulePeriod")
            .and_then(Value::as_array)
            .ok_or("chargingSchedulePeriod must be a list")?
        {
            let limit = period
                .get("limit")
                .and_then(Value::as_f64)
                .ok_or("limit must be a number")?;
            let phases = period
                .get("numberPhases")
                .and_then(Value::as_u64)
                .map(|n| n.clamp(1, 3) as u8);
            periods.push(Period {
                start: int(period, "startPeriod")?,
                limit: limit.max(0.0),
                phases,
            });
        }
        if periods.is_empty() {
            return Err("chargingSchedulePeriod must not be empty".into());
        }
        periods.sort_by_key(|p| p.start);
        let start_schedule = time(schedule, "startSchedule")?;
        if matches!(kind, Kind::Daily | Kind::Weekly) && start_schedule.is_none() {
            return Err("a Recurring profile needs startSchedule".into());
        }
        Ok(ChargingProfile {
            id: i32::try_from(int(value, "chargingProfileId")?)
                .map_err(|_| "chargingProfileId is out of range")?,
            connector,
            stack_level: i32::try_from(int(value, "stackLevel")?)
                .map_err(|_| "stackLevel is out of range")?,
            purpose,
            transaction_id: value
                .get("transactionId")
                .and_then(Value::as_i64)
                .and_then(|id| i32::try_from(id).ok()),
            kind,
            valid_from: time(value, "validFrom")?,
            valid_to: time(value, "validTo")?,
            start_schedule,
            duration: schedule.get("duration").and_then(Value::as_i64),
            in_watts,
            periods,
        })
    }

    fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.valid_from.is_none_or(|from| from <= at) && self.valid_to.is_none_or(|to| at < to)
    }

    /// When the schedule (or its current recurrence) started, seen at `at`.
    fn schedule_start(
        &self,
        at: OffsetDateTime,
        tx_start: Option<OffsetDateTime>,
    ) -> OffsetDateTime {
        match self.kind {
            Kind::Absolute => self.start_schedule.or(self.valid_from).unwrap_or(at),
            Kind::Relative => tx_start.unwrap_or(at),
            Kind::Daily | Kind::Weekly => {
                let first = self.start_schedule.unwrap_or(at);
                let every = if self.kind == Kind::Daily {
                    TimeDuration::DAY
                } else {
                    TimeDuration::WEEK
                };
                if at < first {
                    return first;
                }
                let cycles = ((at - first).whole_seconds() / every.whole_seconds()) as i32;
                first + every * cycles
            }
        }
    }

    /// The period in force at `at`: its limit and phases, or `None` outside the schedule.
    fn period_at(&self, at: OffsetDateTime, tx_start: Option<OffsetDateTime>) -> Option<&Period> {
        if !self.valid_at(at) {
            return None;
        }
        let elapsed = (at - self.schedule_start(at, tx_start)).whole_seconds();
        if elapsed < 0 || self.duration.is_some_and(|d| elapsed >= d) {
            return None;
        }
        self.periods.iter().rev().find(|p| p.start <= elapsed)
    }

    /// Instants after `from` where this profile's limit may change (for composite schedules).
    fn breakpoints(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        tx_start: Option<OffsetDateTime>,
        out: &mut Vec<OffsetDateTime>,
    ) {
        out.extend(self.valid_from);
        out.extend(self.valid_to);
        let mut start = self.schedule_start(from, tx_start);
        loop {
            for period in &self.periods {
                out.push(start + TimeDuration::seconds(period.start));
            }
            if let Some(duration) = self.duration {
                out.push(start + TimeDuration::seconds(duration));
            }
            let next = match self.kind {
                Kind::Daily => start + TimeDuration::DAY,
                Kind::Weekly => start + TimeDuration::WEEK,
                Kind::Absolute | Kind::Relative => break,
            };
            if next >= until {
                out.push(next);
                break;
            }
            start = next;
        }
    }
}

/// The profiles a charger holds, and the limits they give.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    installed: Vec<ChargingProfile>,
}

/// What a connector's limit is computed from.
#[derive(Debug, Clone, Copy)]
pub struct LimitContext {
    /// The connector (1..=N).
    pub connector: u32,
    /// Its running transaction, if any.
    pub transaction_id: Option<i32>,
    /// When that transaction started (for Relative profiles).
    pub tx_start: Option<OffsetDateTime>,
    /// The phases used when a W limit has no `numberPhases`.
    pub phases: u8,
}

impl Profiles {
    /// Every installed profile.
    pub fn iter(&self) -> impl Iterator<Item = &ChargingProfile> {
        self.installed.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut ChargingProfile> {
        self.installed.iter_mut()
    }

    /// Installs a profile: replaces the one with the same id, and the one with the same
    /// purpose and stack level on the same connector (3.13.2).
    pub fn install(&mut self, profile: ChargingProfile) {
        self.installed.retain(|p| {
            p.id != profile.id
                && !(p.connector == profile.connector
                    && p.purpose == profile.purpose
                    && p.stack_level == profile.stack_level)
        });
        self.installed.push(profile);
    }

    /// ClearChargingProfile: removes every profile matching all given criteria; returns how many.
    pub fn clear(
        &mut self,
        id: Option<i32>,
        connector: Option<u32>,
        purpose: Option<&str>,
        stack_level: Option<i32>,
    ) -> usize {
        let before = self.installed.len();
        let purpose = purpose.and_then(Purpose::parse);
        self.installed.retain(|p| {
            let matches = id.is_none_or(|id| p.id == id)
                && connector.is_none_or(|c| p.connector == c)
                && purpose.is_none_or(|purpose| p.purpose == purpose)
                && stack_level.is_none_or(|level| p.stack_level == level);
            !matches
        });
        before - self.installed.len()
    }

    /// Drops the TxProfiles of a connector when its transaction ends (3.13.4).
    pub fn end_transaction(&mut self, connector: u32) {
        self.installed
            .retain(|p| !(p.purpose == Purpose::Tx && p.connector == connector));
    }

    /// The limit in A on a connector at `at`, or `None` when no profile limits it.
    pub fn limit_a(&self, ctx: &LimitContext, at: OffsetDateTime) -> Option<f64> {
        let charger = self.best(at, ctx, |p| p.purpose == Purpose::ChargePointMax);
        let tx = ctx.transaction_id.and_then(|tx| {
            self.best(at, ctx, |p| {
                p.purpose == Purpose::Tx
                    && p.connector == ctx.connector
                    && p.transaction_id.is_none_or(|id| id == tx)
            })
        });
        let default = self.best(at, ctx, |p| {
            p.purpose == Purpose::TxDefault && (p.connector == 0 || p.connector == ctx.connector)
        });
        match (charger, tx.or(default)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn best(
        &self,
        at: OffsetDateTime,
        ctx: &LimitContext,
        wanted: impl Fn(&ChargingProfile) -> bool,
    ) -> Option<f64> {
        let mut candidates: Vec<&ChargingProfile> =
            self.installed.iter().filter(|p| wanted(p)).collect();
        // Highest stack level first; among equals a connector-specific profile wins over one
        // installed on connector 0.
        candidates.sort_by_key(|p| (std::cmp::Reverse(p.stack_level), p.connector == 0));
        candidates.iter().find_map(|p| {
            let period = p.period_at(at, ctx.tx_start)?;
            Some(if p.in_watts {
                let phases = period.phases.unwrap_or(ctx.phases).max(1);
                period.limit / (NOMINAL_VOLTAGE_V * f64::from(phases))
            } else {
                period.limit
            })
        })
    }

    /// The GetCompositeSchedule.conf payload (6.22): the limit over `duration` seconds from `now`,
    /// as periods where it changes. Without any profile the connector's own maximum applies.
    pub fn composite_schedule(
        &self,
        ctx: &LimitContext,
        now: OffsetDateTime,
        duration: i64,
        in_watts: bool,
        max_current_a: f64,
    ) -> Value {
        let until = now + TimeDuration::seconds(duration.max(0));
        let mut points = vec![now];
        for profile in &self.installed {
            profile.breakpoints(now, until, ctx.tx_start, &mut points);
        }
        points.retain(|t| *t >= now && *t < until);
        points.sort();
        points.dedup();
        let watts_per_amp = NOMINAL_VOLTAGE_V * f64::from(ctx.phases.max(1));
        let mut periods: Vec<Value> = Vec::new();
        let mut last: Option<f64> = None;
        for at in points {
            let amps = self
                .limit_a(ctx, at)
                .unwrap_or(max_current_a)
                .min(max_current_a);
            let limit = if in_watts { amps * watts_per_amp } else { amps };
            let limit = (limit * 10.0).round() / 10.0;
            if last == Some(limit) {
                continue;
            }
            last = Some(limit);
            periods.push(json!({
                "startPeriod": (at - now).whole_seconds(),
                "limit": limit,
            }));
        }
        json!({
            "status": "Accepted",
            "connectorId": ctx.connector,
            "scheduleStart": format_rfc3339(now),
            "chargingSchedule": {
                "duration": duration,
                "startSchedule": format_rfc3339(now),
                "chargingRateUnit": if in_watts { "W" } else { "A" },
                "chargingSchedulePeriod": periods,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn profile(connector: u32, value: Value) -> ChargingProfile {
        ChargingProfile::from_payload(connector, &value).unwrap()
    }

    fn ctx() -> LimitContext {
        LimitContext {
            connector: 1,
            transaction_id: Some(7),
            tx_start: Some(datetime!(2025-01-01 10:00 UTC)),
            phases: 3,
        }
    }

    #[test]
    fn the_smaller_of_charger_and_transaction_limit_applies() {
        let mut profiles = Profiles::default();
        let at = datetime!(2025-01-01 10:30 UTC);
        assert_eq!(profiles.limit_a(&ctx(), at), None);
        profiles.install(profile(0, json!({
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 20.0}]}
        })));
        profiles.install(profile(1, json!({
            "chargingProfileId": 2, "stackLevel": 1, "chargingProfilePurpose": "TxProfile", "transactionId": 7,
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 11040.0}, {"startPeriod": 3600, "limit": 4140.0}]}
        })));
        assert_eq!(profiles.limit_a(&ctx(), at), Some(16.0));
        let later = datetime!(2025-01-01 11:30 UTC);
        assert_eq!(profiles.limit_a(&ctx(), later), Some(6.0));
        profiles.end_transaction(1);
        assert_eq!(profiles.limit_a(&ctx(), later), Some(20.0));
    }

    #[test]
    fn a_higher_stack_level_wins_only_within_its_schedule() {
        let mut profiles = Profiles::default();
        profiles.install(profile(0, json!({
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"startSchedule": "2025-01-01T00:00:00Z", "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0}]}
        })));
        profiles.install(profile(0, json!({
            "chargingProfileId": 2, "stackLevel": 5, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Recurring", "recurrencyKind": "Daily",
            "chargingSchedule": {"startSchedule": "2025-01-01T17:00:00Z", "duration": 7200, "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}]}
        })));
        let ctx = ctx();
        assert_eq!(
            profiles.limit_a(&ctx, datetime!(2025-01-03 18:00 UTC)),
            Some(8.0)
        );
        assert_eq!(
            profiles.limit_a(&ctx, datetime!(2025-01-03 19:30 UTC)),
            Some(32.0)
        );
        assert_eq!(
            profiles.clear(None, None, Some("TxDefaultProfile"), Some(5)),
            1
        );
        assert_eq!(
            profiles.limit_a(&ctx, datetime!(2025-01-03 18:00 UTC)),
            Some(32.0)
        );
    }

    #[test]
    fn the_composite_schedule_lists_where_the_limit_changes() {
        let mut profiles = Profiles::default();
        profiles.install(profile(1, json!({
            "chargingProfileId": 3, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"startSchedule": "2025-01-01T10:00:00Z", "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}, {"startPeriod": 600, "limit": 6.0}]}
        })));
        let now = datetime!(2025-01-01 10:05 UTC);
        let answer = profiles.composite_schedule(&ctx(), now, 900, false, 32.0);
        assert_eq!(answer["status"], "Accepted");
        assert_eq!(
            answer["chargingSchedule"]["chargingSchedulePeriod"],
            json!([{"startPeriod": 0, "limit": 10.0}, {"startPeriod": 300, "limit": 6.0}])
        );
        let watts = profiles.composite_schedule(&ctx(), now, 60, true, 32.0);
        assert_eq!(
            watts["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"],
            6900.0
        );
    }

    #[test]
    fn refuses_a_recurring_profile_without_a_start() {
        let error = ChargingProfile::from_payload(0, &json!({
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Recurring", "recurrencyKind": "Daily",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}]}
        }))
        .unwrap_err();
        assert!(error.contains("startSchedule"), "{error}");
    }
}
