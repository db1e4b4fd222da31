//! DataTransfer (OCPP 1.6 §4.3 and §5.6; §6 DataTransfer.req/.conf): vendor-specific
//! data, sent by either side.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// DataTransfer.req, in either direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataTransferRequest {
    /// At most 255 characters, e.g. a reversed DNS name.
    pub vendor_id: String,
    /// At most 50 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Free text; its format is up to the vendor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// DataTransfer.conf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataTransferResponse {
    pub status: DataTransferStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

string_enum! {
    /// OCPP 1.6 §7 DataTransferStatus.
    pub enum DataTransferStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
        UnknownMessageId = "UnknownMessageId",
        UnknownVendorId = "UnknownVendorId",
    }
}
