//! GetConfiguration (OCPP 1.6 §5.8; §6 GetConfiguration.req/.conf).

use serde::{Deserialize, Serialize};

/// GetConfiguration.req, central system → charge point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetConfigurationRequest {
    /// Keys to read (at most 50 characters each); absent means all keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Vec<String>>,
}

/// GetConfiguration.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetConfigurationResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_key: Option<Vec<KeyValue>>,
    /// Requested keys the charge point does not know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_key: Option<Vec<String>>,
}

/// One configuration entry (OCPP 1.6 §7 KeyValue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    /// At most 50 characters.
    pub key: String,
    /// All lower case on the wire: `readonly`.
    pub readonly: bool,
    /// At most 500 characters; absent when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}
