//! Configuration of `voltgate serve`: flags, each with a `VOLTGATE_<NAME>` environment
//! variable, then an optional TOML file, then the defaults (which need nothing installed).
//! Precedence: flag > environment > file > default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// How a charger's first BootNotification is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BootPolicy {
    /// Accept at once.
    Accept,
    /// Hold in Pending while Voltgate reads and sets its configuration, then accept.
    Pending,
}

/// Flags of `voltgate serve` (all optional: unset ones come from the file or the defaults).
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML file with the same settings (snake_case keys, e.g. `api_listen = "0.0.0.0:8080"`).
    #[arg(long, env = "VOLTGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where Voltgate keeps its data (the SQLite database, the admin token) [default: ./voltgate-data].
    #[arg(long, env = "VOLTGATE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://<data-dir>/voltgate.db].
    #[arg(long, env = "VOLTGATE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Address of the REST API, docs, health and metrics; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, env = "VOLTGATE_API_LISTEN")]
    pub api_listen: Option<SocketAddr>,
    /// Address chargers connect to over OCPP WebSocket; port 0 picks a free port [default: 127.0.0.1:9000].
    #[arg(long, env = "VOLTGATE_OCPP_LISTEN")]
    pub ocpp_listen: Option<SocketAddr>,
    /// Create unknown chargers on their first connection (in the admin's team) instead of refusing them with 404.
    #[arg(long, env = "VOLTGATE_AUTO_REGISTER")]
    pub auto_register: bool,
    /// NATS server for cluster mode (several nodes sharing PostgreSQL). Not available in this release.
    #[arg(long, env = "VOLTGATE_NATS_URL")]
    pub nats_url: Option<String>,
    /// Create (once) a demo site with cards and simulated chargers that run charging sessions on their own.
    #[arg(long, env = "VOLTGATE_DEMO")]
    pub demo: bool,
    /// text (for people) or json (for log collectors) [default: text].
    #[arg(long, env = "VOLTGATE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Boot policy for chargers that have none of their own: accept, or pending (read and set
    /// their configuration first) [default: accept].
    #[arg(long, env = "VOLTGATE_BOOT_POLICY", value_enum)]
    pub boot_policy: Option<BootPolicy>,
    /// REST API requests per minute per user; beyond it, 429 with Retry-After [default: 500].
    #[arg(long, env = "VOLTGATE_API_RATE_LIMIT")]
    pub api_rate_limit: Option<u32>,
    /// Licenses new chargers get: smart, pro, "smart,pro" or none [default: smart].
    #[arg(long, env = "VOLTGATE_DEFAULT_LICENSES")]
    pub default_licenses: Option<String>,
    /// Heartbeat interval told to chargers in BootNotification, in seconds [default: 300].
    #[arg(long, env = "VOLTGATE_HEARTBEAT_INTERVAL")]
    pub heartbeat_interval: Option<u32>,
}

/// The same settings as read from the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    api_listen: Option<SocketAddr>,
    ocpp_listen: Option<SocketAddr>,
    auto_register: Option<bool>,
    nats_url: Option<String>,
    demo: Option<bool>,
    log_format: Option<LogFormat>,
    heartbeat_interval: Option<u32>,
    boot_policy: Option<BootPolicy>,
    default_licenses: Option<String>,
    api_rate_limit: Option<u32>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub api_listen: SocketAddr,
    pub ocpp_listen: SocketAddr,
    pub auto_register: bool,
    pub nats_url: Option<String>,
    pub demo: bool,
    pub log_format: LogFormat,
    pub heartbeat_interval: u32,
    pub boot_policy: BootPolicy,
    /// Licenses new chargers get (smart, pro).
    pub default_licenses: (bool, bool),
    pub api_rate_limit: u32,
    /// How often chargers are pinged, and how long silence is tolerated (not flags: tests shorten them).
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    /// Frames per second a charger may send before it is disconnected as a flood (1008).
    pub max_messages_per_second: u32,
    /// Whether to print the first admin token on stdout (the token file is always written).
    pub print_admin_token: bool,
    /// How simulated chargers behave (not flags: tests shorten the demo's sessions).
    pub lab: voltgate_lab::LabSettings,
    /// Load management timing: how long dynamic limits stay valid on chargers, how long events
    /// are gathered (not flags: tests shorten the TTL to see the offline fallback).
    pub load_control: voltgate_core::load_control::LoadControlConfig,
}

impl Config {
    /// Defaults for a data directory (used by tests with port 0 listeners).
    pub fn for_data_dir(data_dir: &Path) -> Self {
        Self::resolve(ServeArgs {
            data_dir: Some(data_dir.to_owned()),
            ..Default::default()
        })
        .expect("defaults are valid")
    }

    pub fn resolve(args: ServeArgs) -> anyhow::Result<Self> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("could not read the config file {}", path.display())
                })?;
                toml::from_str(&text)
                    .with_context(|| format!("the config file {} is not valid", path.display()))?
            }
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("voltgate-data"));
        let database_url = args
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("voltgate.db").display()));
        Ok(Self {
            database_url,
            api_listen: args
                .api_listen
                .or(file.api_listen)
                .unwrap_or_else(|| ([127, 0, 0, 1], 8080).into()),
            ocpp_listen: args
                .ocpp_listen
                .or(file.ocpp_listen)
                .unwrap_or_else(|| ([127, 0, 0, 1], 9000).into()),
            auto_register: args.auto_register || file.auto_register.unwrap_or(false),
            nats_url: args.nats_url.or(file.nats_url),
            demo: args.demo || file.demo.unwrap_or(false),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            heartbeat_interval: args
                .heartbeat_interval
                .or(file.heartbeat_interval)
                .unwrap_or(300),
            boot_policy: args
                .boot_policy
                .or(file.boot_policy)
                .unwrap_or(BootPolicy::Accept),
            api_rate_limit: args.api_rate_limit.or(file.api_rate_limit).unwrap_or(500),
            default_licenses: parse_licenses(
                args.default_licenses
                    .or(file.default_licenses)
                    .as_deref()
                    .unwrap_or("smart"),
            )?,
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_messages_per_second: 100,
            print_admin_token: true,
            lab: voltgate_lab::LabSettings::default(),
            load_control: Default::default(),
            data_dir,
        })
    }
}

/// `smart`, `pro`, `smart,pro` or `none`.
fn parse_licenses(s: &str) -> anyhow::Result<(bool, bool)> {
    let mut out = (false, false);
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "smart" => out.0 = true,
            "pro" => out.1 = true,
            "none" => {}
            other => anyhow::bail!("--default-licenses: unknown license {other:?}; use smart, pro, \"smart,pro\" or none"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_nothing_installed() {
        let c = Config::resolve(ServeArgs::default()).unwrap();
        assert_eq!(c.database_url, "sqlite://voltgate-data/voltgate.db");
        assert_eq!(c.api_listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.ocpp_listen.to_string(), "127.0.0.1:9000");
        assert!(!c.auto_register);
        assert_eq!(c.default_licenses, (true, false));
        assert_eq!(parse_licenses("smart,pro").unwrap(), (true, true));
        assert_eq!(parse_licenses("none").unwrap(), (false, false));
        assert!(parse_licenses("gold").is_err());
    }

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("vg-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("voltgate.toml");
        std::fs::write(
            &file,
            "api_listen = \"0.0.0.0:8081\"\nocpp_listen = \"0.0.0.0:9001\"\nauto_register = true\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file.clone()),
            ocpp_listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::resolve(args).unwrap();
        assert_eq!(c.api_listen.to_string(), "0.0.0.0:8081");
        assert_eq!(c.ocpp_listen.to_string(), "127.0.0.1:0");
        assert!(c.auto_register);
        std::fs::write(&file, "api_listn = \"x\"\n").unwrap();
        let err = Config::resolve(ServeArgs {
            config: Some(file),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("api_listn"), "{err:#}");
    }
}
