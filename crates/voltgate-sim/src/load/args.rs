//! The command-line arguments of `voltgate sim`, with an environment variable per flag.

use serde::Serialize;

/// What every simulated charger does during the measured phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Boot, then only Heartbeat at the central system's interval (or --heartbeat-interval):
    /// measures what idle connections cost.
    Idle,
    /// Heartbeat at --rate per charger.
    Heartbeat,
    /// One transaction per charger, then MeterValues (energy, power, current and voltage per
    /// phase) at --rate per charger.
    Metervalues,
    /// Repeated sessions: Authorize, StatusNotification, StartTransaction, MeterValues,
    /// StopTransaction, StatusNotification, one message at a time at --rate per charger.
    Sessions,
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Scenario::Idle => "idle",
            Scenario::Heartbeat => "heartbeat",
            Scenario::Metervalues => "metervalues",
            Scenario::Sessions => "sessions",
        };
        f.write_str(name)
    }
}

/// Run simulated OCPP 1.6J chargers against a central system, as a load generator.
///
/// The run connects --count chargers (at most --concurrency handshakes at once, at most --ramp
/// new connections per second), waits until each has booted or failed, then runs the scenario
/// for --duration seconds and prints a summary. Only that measured phase counts towards the
/// message rate and latencies. stderr shows a progress line per second and the marker lines
/// `voltgate-sim: measure-start` and `voltgate-sim: measure-end`.
#[derive(Clone, clap::Args)]
pub struct SimArgs {
    /// Central system base URL; each charger's identity is appended as the last path segment.
    #[arg(
        long,
        env = "VOLTGATE_SIM_URL",
        default_value = "ws://127.0.0.1:9000/ocpp"
    )]
    pub url: String,

    /// Number of simulated chargers.
    #[arg(long, env = "VOLTGATE_SIM_COUNT", default_value_t = 1)]
    pub count: u32,

    /// Identity prefix; charger n (from 1) is the prefix followed by n, e.g. SIM-1.
    #[arg(long, env = "VOLTGATE_SIM_IDENTITY_PREFIX", default_value = "SIM-")]
    pub identity_prefix: String,

    /// OCPP security profile 1 password, the same for every charger (HTTP Basic auth).
    #[arg(long, env = "VOLTGATE_SIM_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// Connectors per charger.
    #[arg(long, env = "VOLTGATE_SIM_CONNECTORS", default_value_t = 1)]
    pub connectors: u32,

    /// What the chargers do during the measured phase.
    #[arg(long, env = "VOLTGATE_SIM_SCENARIO", value_enum, default_value_t = Scenario::Idle)]
    pub scenario: Scenario,

    /// Messages per second per charger (heartbeat, metervalues, sessions).
    #[arg(long, env = "VOLTGATE_SIM_RATE", default_value_t = 1.0)]
    pub rate: f64,

    /// Length of the measured phase, in seconds.
    #[arg(long, env = "VOLTGATE_SIM_DURATION", default_value_t = 30.0)]
    pub duration: f64,

    /// New connections per second during the ramp; 0 for as fast as --concurrency allows.
    #[arg(long, env = "VOLTGATE_SIM_RAMP", default_value_t = 0)]
    pub ramp: u32,

    /// Connections being opened and booted at the same time during the ramp.
    #[arg(long, env = "VOLTGATE_SIM_CONCURRENCY", default_value_t = 200)]
    pub concurrency: u32,

    /// Spread connections over the source addresses 127.0.0.1..127.0.0.N (loopback targets only)
    /// to go past the ~28 000 ephemeral ports of one address; 1 lets the system choose.
    #[arg(long, env = "VOLTGATE_SIM_SOURCE_ADDRESSES", default_value_t = 1)]
    pub source_addresses: u32,

    /// Heartbeat interval for the idle scenario, in seconds, instead of the central system's.
    #[arg(long, env = "VOLTGATE_SIM_HEARTBEAT_INTERVAL")]
    pub heartbeat_interval: Option<f64>,

    /// Id tag used by the metervalues and sessions scenarios.
    #[arg(long, env = "VOLTGATE_SIM_ID_TAG", default_value = "VOLTGATE-SIM")]
    pub id_tag: String,

    /// Seconds to wait for each answer and for each WebSocket handshake.
    #[arg(long, env = "VOLTGATE_SIM_CALL_TIMEOUT", default_value_t = 30.0)]
    pub call_timeout: f64,

    /// Seconds to keep the connections open after the measured phase (lets an outside tool
    /// sample the server while every charger is still connected).
    #[arg(long, env = "VOLTGATE_SIM_HOLD", default_value_t = 0.0)]
    pub hold: f64,

    /// Print the summary as one line of JSON instead of text.
    #[arg(long, env = "VOLTGATE_SIM_JSON")]
    pub json: bool,

    /// No progress line on stderr (the marker lines stay).
    #[arg(long, env = "VOLTGATE_SIM_QUIET")]
    pub quiet: bool,
}

impl std::fmt::Debug for SimArgs {
    /// Everything but the password, which shows as `<redacted>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimArgs")
            .field("url", &self.url)
            .field("count", &self.count)
            .field("identity_prefix", &self.identity_prefix)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("connectors", &self.connectors)
            .field("scenario", &self.scenario)
            .field("rate", &self.rate)
            .field("duration", &self.duration)
            .field("ramp", &self.ramp)
            .field("concurrency", &self.concurrency)
            .field("source_addresses", &self.source_addresses)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("id_tag", &self.id_tag)
            .field("call_timeout", &self.call_timeout)
            .field("hold", &self.hold)
            .field("json", &self.json)
            .field("quiet", &self.quiet)
            .finish()
    }
}

impl SimArgs {
    /// The arguments with every default and the given URL and count (handy in tests).
    pub fn new(url: impl Into<String>, count: u32) -> Self {
        SimArgs {
            url: url.into(),
            count,
            identity_prefix: "SIM-".into(),
            password: None,
            connectors: 1,
            scenario: Scenario::Idle,
            rate: 1.0,
            duration: 30.0,
            ramp: 0,
            concurrency: 200,
            source_addresses: 1,
            heartbeat_interval: None,
            id_tag: "VOLTGATE-SIM".into(),
            call_timeout: 30.0,
            hold: 0.0,
            json: false,
            quiet: false,
        }
    }

    /// Checks the values clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        let finite_non_negative = |name: &str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "--{name} must be a number of at least 0, not {value}"
                ))
            }
        };
        finite_non_negative("rate", self.rate)?;
        finite_non_negative("duration", self.duration)?;
        finite_non_negative("hold", self.hold)?;
        if !(self.call_timeout.is_finite() && self.call_timeout > 0.0) {
            return Err("--call-timeout must be more than 0".into());
        }
        if let Some(every) = self.heartbeat_interval {
            if !(every.is_finite() && every > 0.0) {
                return Err("--heartbeat-interval must be more than 0".into());
            }
        }
        if self.count == 0 || self.connectors == 0 || self.concurrency == 0 {
            return Err("--count, --connectors and --concurrency must be at least 1".into());
        }
        if self.source_addresses == 0 {
            return Err("--source-addresses must be at least 1".into());
        }
        if self.id_tag.is_empty() || self.id_tag.len() > 20 {
            return Err("--id-tag must have 1 to 20 characters (OCPP IdToken)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_flags_into_the_same_values_as_new() {
        let cli = Cli::parse_from([
            "sim",
            "--url",
            "ws://h:1/ocpp",
            "--count",
            "5",
            "--scenario",
            "metervalues",
            "--rate",
            "0.5",
        ]);
        assert_eq!(cli.sim.scenario, Scenario::Metervalues);
        assert_eq!(cli.sim.rate, 0.5);
        let defaults = SimArgs::new("ws://h:1/ocpp", 5);
        assert_eq!(cli.sim.concurrency, defaults.concurrency);
        assert_eq!(cli.sim.identity_prefix, defaults.identity_prefix);
        assert_eq!(cli.sim.duration, defaults.duration);
        assert!(cli.sim.validate().is_ok());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let args = SimArgs {
            password: Some("hunter2".into()),
            ..SimArgs::new("ws://h", 1)
        };
        let debug = format!("{args:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("<redacted>"),
            "{debug}"
        );
    }

    #[test]
    fn validate_refuses_nonsense() {
        let mut args = SimArgs::new("ws://h", 1);
        args.rate = -1.0;
        assert!(args.validate().is_err());
        let mut args = SimArgs::new("ws://h", 1);
        args.id_tag = "x".repeat(21);
        assert!(args.validate().is_err());
        assert!(SimArgs::new("ws://h", 0).validate().is_err());
    }
}
