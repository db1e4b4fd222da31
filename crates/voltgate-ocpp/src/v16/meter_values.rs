//! MeterValues (OCPP 1.6 §4.7; §6 MeterValues.req/.conf): periodic or triggered samples.

use serde::{Deserialize, Serialize};

use super::MeterValue;

/// MeterValues.req, charge point → central system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValuesRequest {
    /// 0 is the main meter of the charge point.
    pub connector_id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<i32>,
    /// At least one.
    pub meter_value: Vec<MeterValue>,
}

/// MeterValues.conf: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterValuesResponse {}
