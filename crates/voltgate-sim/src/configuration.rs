//! The simulated charger's configuration keys (OCPP 1.6, section 9: standard configuration keys).
//!
//! GetConfiguration reads them and ChangeConfiguration writes them, with the answers the
//! specification asks for: `NotSupported` for an unknown key, `Rejected` for a read-only key or a
//! value of the wrong type. The map is shared copy-on-write: the load runner hands the same
//! defaults to a hundred thousand chargers and only a charger whose configuration changes gets
//! its own copy.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

/// The type a key's value must parse as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// A non-negative integer, e.g. `HeartbeatInterval`.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// Anything, e.g. a comma-separated list of measurands.
    Text,
}

/// One configuration key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigurationKey {
    /// The current value.
    pub value: String,
    /// Whether ChangeConfiguration may change it.
    pub readonly: bool,
    /// What a new value must look like.
    pub kind: ValueKind,
}

/// The answer to ChangeConfiguration (OCPP 1.6, 6.10, `ConfigurationStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConfigurationStatus {
    /// The value was changed.
    Accepted,
    /// The key is read-only or the value is invalid.
    Rejected,
    /// The value was changed but takes effect after a reboot.
    RebootRequired,
    /// The key is not known.
    NotSupported,
}

/// The configuration keys of one simulated charger (copy-on-write, cheap to clone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    keys: Arc<BTreeMap<String, ConfigurationKey>>,
}

impl Configuration {
    /// The standard keys (core, local authorization list, smart charging, reservation profiles)
    /// of a charger with `connectors` connectors.
    pub fn ocpp16_defaults(connectors: u32) -> Self {
        use ValueKind::{Boolean, Integer, Text};
        let entries: [(&str, String, bool, ValueKind); 30] = [
            ("AllowOfflineTxForUnknownId", "false".into(), false, Boolean),
            ("AuthorizationCacheEnabled", "true".into(), false, Boolean),
            ("AuthorizeRemoteTxRequests", "true".into(), false, Boolean),
            ("ChargeProfileMaxStackLevel", "10".into(), true, Integer),
            (
                "ChargingScheduleAllowedChargingRateUnit",
                "Current,Power".into(),
                true,
                Text,
            ),
            ("ChargingScheduleMaxPeriods", "24".into(), true, Integer),
            ("ClockAlignedDataInterval", "0".into(), false, Integer),
            ("ConnectionTimeOut", "60".into(), false, Integer),
            ("ConnectorPhaseRotation", "0.RST".into(), false, Text),
            ("GetConfigurationMaxKeys", "50".into(), true, Integer),
            ("HeartbeatInterval", "300".into(), false, Integer),
            ("LocalAuthListEnabled", "true".into(), false, Boolean),
            ("LocalAuthListMaxLength", "1000".into(), true, Integer),
            ("LocalAuthorizeOffline", "true".into(), false, Boolean),
            ("LocalPreAuthorize", "false".into(), false, Boolean),
            ("MaxChargingProfilesInstalled", "10".into(), true, Integer),
            ("MeterValueSampleInterval", "60".into(), false, Integer),
            (
                "MeterValuesSampledData",
                "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage".into(),
                false,
                Text,
            ),
            ("MeterValuesAlignedData", "Energy.Active.Import.Register".into(), false, Text),
            ("NumberOfConnectors", connectors.to_string(), true, Integer),
            ("ReserveConnectorZeroSupported", "false".into(), true, Boolean),
            ("ResetRetries", "3".into(), false, Integer),
            ("SendLocalListMaxLength", "100".into(), true, Integer),
            ("StopTransactionOnEVSideDisconnect", "true".into(), false, Boolean),
            ("StopTransactionOnInvalidId", "true".into(), false, Boolean),
            ("StopTxnSampledData", "Energy.Active.Import.Register".into(), false, Text),
            (
                "SupportedFeatureProfiles",
                "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
                    .into(),
                true,
                Text,
            ),
            ("TransactionMessageAttempts", "3".into(), false, Integer),
            ("TransactionMessageRetryInterval", "60".into(), false, Integer),
            ("UnlockConnectorOnEVSideDisconnect", "true".into(), false, Boolean),
        ];
        let keys = entries
            .into_iter()
            .map(|(key, value, readonly, kind)| {
                let entry = ConfigurationKey {
                    value,
                    readonly,
                    kind,
                };
                (key.to_owned(), entry)
            })
            .collect();
        Configuration {
            keys: Arc::new(keys),
        }
    }

    /// The key, if the charger knows it.
    pub fn get(&self, key: &str) -> Option<&ConfigurationKey> {
        self.keys.get(key)
    }

    /// The key's value, if the charger knows it.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|entry| entry.value.as_str())
    }

    /// The key's value as an integer, if it is known and numeric.
    pub fn integer(&self, key: &str) -> Option<u64> {
        self.value(key)?.parse().ok()
    }

    /// All keys, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ConfigurationKey)> {
        self.keys.iter().map(|(key, entry)| (key.as_str(), entry))
    }

    /// Adds or replaces a key (for customised chargers; not subject to `readonly`).
    pub fn insert(&mut self, key: &str, value: &str, readonly: bool, kind: ValueKind) {
        let entry = ConfigurationKey {
            value: value.to_owned(),
            readonly,
            kind,
        };
        Arc::make_mut(&mut self.keys).insert(key.to_owned(), entry);
    }

    /// Sets a value as the charger itself would (e.g. the heartbeat interval from the boot
    /// answer), ignoring `readonly`; unknown keys are added as text.
    pub fn set_local(&mut self, key: &str, value: &str) {
        match Arc::make_mut(&mut self.keys).get_mut(key) {
            Some(entry) => entry.value = value.to_owned(),
            None => self.insert(key, value, false, ValueKind::Text),
        }
    }

    /// Applies ChangeConfiguration as the specification asks (OCPP 1.6, 5.3).
    pub fn change(&mut self, key: &str, value: &str) -> ConfigurationStatus {
        let Some(entry) = self.keys.get(key) else {
            return ConfigurationStatus::NotSupported;
        };
        let valid = match entry.kind {
            ValueKind::Integer => value.parse::<u64>().is_ok(),
            ValueKind::Boolean => matches!(value, "true" | "false"),
            ValueKind::Text => true,
        };
        if entry.readonly || !valid {
            return ConfigurationStatus::Rejected;
        }
        if entry.value != value {
            self.set_local(key, value);
        }
        ConfigurationStatus::Accepted
    }

    /// The GetConfiguration.conf payload for the requested keys (all keys when `None`).
    pub fn get_configuration(&self, requested: Option<&[String]>) -> serde_json::Value {
        let entry_json = |key: &str, entry: &ConfigurationKey| serde_json::json!({"key": key, "readonly": entry.readonly, "value": entry.value});
        let Some(requested) = requested.filter(|keys| !keys.is_empty()) else {
            let known: Vec<_> = self
                .iter()
                .map(|(key, entry)| entry_json(key, entry))
                .collect();
            return serde_json::json!({ "configurationKey": known });
        };
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for key in requested {
            match self.get(key) {
                Some(entry) => known.push(entry_json(key, entry)),
                None => unknown.push(key.clone()),
            }
        }
        let mut payload = serde_json::json!({ "configurationKey": known });
        if !unknown.is_empty() {
            payload["unknownKey"] = serde_json::json!(unknown);
        }
        payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_follows_the_specification() {
        let mut config = Configuration::ocpp16_defaults(2);
        assert_eq!(
            config.change("HeartbeatInterval", "60"),
            ConfigurationStatus::Accepted
        );
        assert_eq!(config.integer("HeartbeatInterval"), Some(60));
        assert_eq!(
            config.change("HeartbeatInterval", "soon"),
            ConfigurationStatus::Rejected
        );
        assert_eq!(
            config.change("NumberOfConnectors", "3"),
            ConfigurationStatus::Rejected
        );
        assert_eq!(
            config.change("NoSuchKey", "1"),
            ConfigurationStatus::NotSupported
        );
        assert_eq!(config.value("NumberOfConnectors"), Some("2"));
    }

    #[test]
    fn clones_share_until_one_changes() {
        let defaults = Configuration::ocpp16_defaults(1);
        let mut changed = defaults.clone();
        assert!(Arc::ptr_eq(&defaults.keys, &changed.keys));
        changed.change("LocalPreAuthorize", "true");
        assert!(!Arc::ptr_eq(&defaults.keys, &changed.keys));
        assert_eq!(defaults.value("LocalPreAuthorize"), Some("false"));
    }

    #[test]
    fn get_configuration_lists_unknown_keys_apart() {
        let config = Configuration::ocpp16_defaults(1);
        let keys = vec!["HeartbeatInterval".to_owned(), "Nope".to_owned()];
        let payload = config.get_configuration(Some(&keys));
        assert_eq!(payload["configurationKey"][0]["key"], "HeartbeatInterval");
        assert_eq!(
            payload["configurationKey"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(payload["unknownKey"], serde_json::json!(["Nope"]));
        let all = config.get_configuration(None);
        assert_eq!(all["configurationKey"].as_array().map(Vec::len), Some(30));
    }
}
