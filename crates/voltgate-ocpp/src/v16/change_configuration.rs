//! ChangeConfiguration (OCPP 1.6 §5.3; §6 ChangeConfiguration.req/.conf): set one
//! configuration key (the keys are listed in OCPP 1.6 §9).

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// ChangeConfiguration.req, central system → charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeConfigurationRequest {
    /// At most 50 characters.
    pub key: String,
    /// At most 500 characters.
    pub value: String,
}

/// ChangeConfiguration.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeConfigurationResponse {
    pub status: ConfigurationStatus,
}

string_enum! {
    /// OCPP 1.6 §7 ConfigurationStatus.
    pub enum ConfigurationStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        RebootRequired = "RebootRequired",
        NotSupported = "NotSupported",
    }
}
