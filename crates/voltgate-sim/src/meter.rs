//! An energy meter that integrates power over time, and the sampled values it reports.
//!
//! Power is `current × 230 V × phases`; the register (Wh) grows by power × elapsed time, so a
//! 16 A three-phase session gains about 3 Wh per second, as a real one would. Time comes from
//! `tokio::time::Instant` so tests under `tokio::time::pause()` advance the meter with the clock.
//! [`Meter::sampled_values`] gives the set a typical AC charger sends in MeterValues (OCPP 1.6,
//! 7.44 `SampledValue`): energy register, active power, current and voltage per phase.

use std::borrow::Cow;

use serde::Serialize;
use tokio::time::Instant;

/// Nominal phase-to-neutral voltage, in volts.
pub const NOMINAL_VOLTAGE_V: f64 = 230.0;

/// One measured value (OCPP 1.6, 7.44 `SampledValue`); optional fields are omitted when `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampledValue {
    /// The value, as a decimal string.
    pub value: String,
    /// `Sample.Periodic`, `Transaction.Begin`, ... (default `Sample.Periodic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Cow<'static, str>>,
    /// `Energy.Active.Import.Register` (the default), `Power.Active.Import`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurand: Option<Cow<'static, str>>,
    /// `L1`, `L2`, `L3`, `L1-N`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Cow<'static, str>>,
    /// `Outlet` (the default), `Inlet`, `EV`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Cow<'static, str>>,
    /// `Wh` (the default), `W`, `A`, `V`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Cow<'static, str>>,
}

impl SampledValue {
    /// A value of `measurand` in `unit`, context `Sample.Periodic`, location `Outlet`. The
    /// names are usually constants: they are borrowed, not copied, for each message.
    pub fn new(
        value: impl ToString,
        measurand: impl Into<Cow<'static, str>>,
        unit: impl Into<Cow<'static, str>>,
    ) -> Self {
        SampledValue {
            value: value.to_string(),
            context: Some(Cow::Borrowed("Sample.Periodic")),
            measurand: Some(measurand.into()),
            phase: None,
            location: Some(Cow::Borrowed("Outlet")),
            unit: Some(unit.into()),
        }
    }

    /// The same value for one phase.
    pub fn with_phase(mut self, phase: impl Into<Cow<'static, str>>) -> Self {
        self.phase = Some(phase.into());
        self
    }

    /// The same value with another reading context.
    pub fn with_context(mut self, context: impl Into<Cow<'static, str>>) -> Self {
        self.context = Some(context.into());
        self
    }
}

/// A meter on one connector.
#[derive(Debug, Clone)]
pub struct Meter {
    register_wh: f64,
    current_a: f64,
    phases: u8,
    since: Instant,
}

impl Meter {
    /// A meter reading `register_wh`, with `phases` phases (1 to 3) and no current flowing.
    pub fn new(register_wh: f64, phases: u8, now: Instant) -> Self {
        Meter {
            register_wh,
            current_a: 0.0,
            phases: phases.clamp(1, 3),
            since: now,
        }
    }

    /// The number of phases in use.
    pub fn phases(&self) -> u8 {
        self.phases
    }

    /// The current per phase, in A.
    pub fn current_a(&self) -> f64 {
        self.current_a
    }

    /// The active power, in W.
    pub fn power_w(&self) -> f64 {
        self.current_a * NOMINAL_VOLTAGE_V * f64::from(self.phases)
    }

    /// Changes the current per phase from `now` on (energy up to `now` uses the old current).
    pub fn set_current(&mut self, current_a: f64, now: Instant) {
        self.advance(now);
        self.current_a = current_a.max(0.0);
    }

    /// Changes the number of phases from `now` on.
    pub fn set_phases(&mut self, phases: u8, now: Instant) {
        self.advance(now);
        self.phases = phases.clamp(1, 3);
    }

    /// The register at `now`, in Wh.
    pub fn energy_wh(&mut self, now: Instant) -> f64 {
        self.advance(now);
        self.register_wh
    }

    /// The register at `now`, in whole Wh (what StartTransaction and StopTransaction carry).
    pub fn register_wh(&mut self, now: Instant) -> u64 {
        // Truncation is intended: a meter shows completed watt-hours.
        self.energy_wh(now).max(0.0) as u64
    }

    /// Sets the register (e.g. a test's chosen `meterStart`); it grows from there.
    pub fn set_register(&mut self, register_wh: f64, now: Instant) {
        self.advance(now);
        self.register_wh = register_wh;
    }

    /// The sample set a typical AC charger reports at `now`.
    pub fn sampled_values(&mut self, now: Instant) -> Vec<SampledValue> {
        let energy = self.register_wh(now);
        let mut values = Vec::with_capacity(2 + 2 * usize::from(self.phases));
        values.push(SampledValue::new(
            energy,
            "Energy.Active.Import.Register",
            "Wh",
        ));
        values.push(SampledValue::new(
            tenths(self.power_w()),
            "Power.Active.Import",
            "W",
        ));
        for phase in ["L1", "L2", "L3"]
            .into_iter()
            .take(usize::from(self.phases))
        {
            let current = SampledValue::new(tenths(self.current_a), "Current.Import", "A");
            values.push(current.with_phase(phase));
        }
        for phase in ["L1-N", "L2-N", "L3-N"]
            .into_iter()
            .take(usize::from(self.phases))
        {
            let voltage = SampledValue::new(tenths(NOMINAL_VOLTAGE_V), "Voltage", "V");
            values.push(voltage.with_phase(phase));
        }
        values
    }

    fn advance(&mut self, now: Instant) {
        let hours = now.saturating_duration_since(self.since).as_secs_f64() / 3600.0;
        self.register_wh += self.power_w() * hours;
        self.since = self.since.max(now);
    }
}

/// `x` with one decimal, like `format!("{x:.1}")` for the meter's non-negative readings (a value
/// half-way between two tenths may round the other way), without the exact float formatting
/// that took 4% of the simulator's CPU in a MeterValues load run.
fn tenths(x: f64) -> String {
    if !(0.0..1e15).contains(&x) {
        return format!("{x:.1}");
    }
    let t = (x * 10.0).round() as u64;
    format!("{}.{}", t / 10, t % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tenths_round_to_one_decimal_as_the_float_formatter_does() {
        for x in [
            0.0, 0.04, 0.06, 1.0, 16.0, 230.0, 3680.0, 11_040.0, 22_079.96, 123_456.78,
        ] {
            assert_eq!(tenths(x), format!("{x:.1}"), "{x}");
        }
        for i in 0..100_000u32 {
            let x = f64::from(i) * 0.37;
            let (ours, std) = (tenths(x), format!("{x:.1}"));
            let diff = (ours.parse::<f64>().unwrap() - std.parse::<f64>().unwrap()).abs();
            assert!(diff < 0.11, "{x}: {ours} vs {std}");
        }
        assert_eq!(
            tenths(-1.25),
            "-1.2",
            "negative values take the formatter's way"
        );
    }

    #[test]
    fn integrates_power_over_time() {
        let start = Instant::now();
        let mut meter = Meter::new(1000.0, 3, start);
        meter.set_current(16.0, start);
        assert_eq!(meter.power_w(), 16.0 * 230.0 * 3.0);
        // 11 040 W for one hour: 11 040 Wh.
        let later = start + Duration::from_secs(3600);
        assert!((meter.energy_wh(later) - 12_040.0).abs() < 1e-6);
        assert_eq!(meter.register_wh(later), 12_040);
    }

    #[test]
    fn a_current_change_applies_from_then_on() {
        let start = Instant::now();
        let mut meter = Meter::new(0.0, 1, start);
        meter.set_current(10.0, start);
        meter.set_current(0.0, start + Duration::from_secs(1800));
        // 2 300 W for half an hour, then nothing.
        let energy = meter.energy_wh(start + Duration::from_secs(7200));
        assert!((energy - 1150.0).abs() < 1e-6, "{energy}");
    }

    #[test]
    fn samples_every_phase() {
        let start = Instant::now();
        let mut meter = Meter::new(42.0, 3, start);
        meter.set_current(32.0, start);
        let values = meter.sampled_values(start);
        assert_eq!(values.len(), 8);
        assert_eq!(values[0].value, "42");
        assert_eq!(values[1].value, "22080.0");
        let json = serde_json::to_value(&values[2]).unwrap();
        assert_eq!(json["measurand"], "Current.Import");
        assert_eq!(json["phase"], "L1");
        assert_eq!(json["unit"], "A");
    }
}
