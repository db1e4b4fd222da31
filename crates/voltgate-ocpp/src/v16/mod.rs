//! OCPP 1.6: the action list and typed payloads.
//!
//! Payload types follow the official JSON schemas field for field (camelCase names,
//! optional fields as `Option` and omitted when `None`), so that what we serialise
//! validates and what validates deserialises; tests pin both directions. Timestamps stay
//! the `String`s that were sent; parse them with [`crate::parse_timestamp`].
//!
//! Typed payloads cover core 1.6. The security-whitepaper actions are in [`Action`] and
//! their payloads are validated, but they have no typed structs yet.

mod action;
mod payload;

mod charging_profile;
mod id_tag_info;
mod sampled_value;

mod authorize;
mod boot_notification;
mod data_transfer;
mod diagnostics_status_notification;
mod firmware_status_notification;
mod heartbeat;
mod meter_values;
mod start_transaction;
mod status_notification;
mod stop_transaction;

mod cancel_reservation;
mod change_availability;
mod change_configuration;
mod clear_cache;
mod clear_charging_profile;
mod get_composite_schedule;
mod get_configuration;
mod get_diagnostics;
mod get_local_list_version;
mod remote_start_transaction;
mod remote_stop_transaction;
mod reserve_now;
mod reset;
mod send_local_list;
mod set_charging_profile;
mod trigger_message;
mod unlock_connector;
mod update_firmware;

pub use action::Action;
pub use payload::Payload;

pub use charging_profile::{
    ChargingProfile, ChargingProfileKind, ChargingProfilePurpose, ChargingRateUnit,
    ChargingSchedule, ChargingSchedulePeriod, RecurrencyKind,
};
pub use id_tag_info::{AuthorizationStatus, IdTagInfo};
pub use sampled_value::{
    Location, Measurand, MeterValue, Phase, ReadingContext, SampledValue, UnitOfMeasure,
    ValueFormat,
};

pub use authorize::{AuthorizeRequest, AuthorizeResponse};
pub use boot_notification::{
    BootNotificationRequest, BootNotificationResponse, RegistrationStatus,
};
pub use data_transfer::{DataTransferRequest, DataTransferResponse, DataTransferStatus};
pub use diagnostics_status_notification::{
    DiagnosticsStatus, DiagnosticsStatusNotificationRequest, DiagnosticsStatusNotificationResponse,
};
pub use firmware_status_notification::{
    FirmwareStatus, FirmwareStatusNotificationRequest, FirmwareStatusNotificationResponse,
};
pub use heartbeat::{HeartbeatRequest, HeartbeatResponse};
pub use meter_values::{MeterValuesRequest, MeterValuesResponse};
pub use start_transaction::{StartTransactionRequest, StartTransactionResponse};
pub use status_notification::{
    ChargePointErrorCode, ChargePointStatus, StatusNotificationRequest, StatusNotificationResponse,
};
pub use stop_transaction::{Reason, StopTransactionRequest, StopTransactionResponse};

pub use cancel_reservation::{
    CancelReservationRequest, CancelReservationResponse, CancelReservationStatus,
};
pub use change_availability::{
    AvailabilityStatus, AvailabilityType, ChangeAvailabilityRequest, ChangeAvailabilityResponse,
};
pub use change_configuration::{
    ChangeConfigurationRequest, ChangeConfigurationResponse, ConfigurationStatus,
};
pub use clear_cache::{ClearCacheRequest, ClearCacheResponse, ClearCacheStatus};
pub use clear_charging_profile::{
    ClearChargingProfileRequest, ClearChargingProfileResponse, ClearChargingProfileStatus,
};
pub use get_composite_schedule::{
    GetCompositeScheduleRequest, GetCompositeScheduleResponse, GetCompositeScheduleStatus,
};
pub use get_configuration::{GetConfigurationRequest, GetConfigurationResponse, KeyValue};
pub use get_diagnostics::{GetDiagnosticsRequest, GetDiagnosticsResponse};
pub use get_local_list_version::{GetLocalListVersionRequest, GetLocalListVersionResponse};
pub use remote_start_transaction::{RemoteStartTransactionRequest, RemoteStartTransactionResponse};
pub use remote_stop_transaction::{
    RemoteStartStopStatus, RemoteStopTransactionRequest, RemoteStopTransactionResponse,
};
pub use reserve_now::{ReservationStatus, ReserveNowRequest, ReserveNowResponse};
pub use reset::{ResetRequest, ResetResponse, ResetStatus, ResetType};
pub use send_local_list::{
    AuthorizationData, SendLocalListRequest, SendLocalListResponse, UpdateStatus, UpdateType,
};
pub use set_charging_profile::{
    ChargingProfileStatus, SetChargingProfileRequest, SetChargingProfileResponse,
};
pub use trigger_message::{
    MessageTrigger, TriggerMessageRequest, TriggerMessageResponse, TriggerMessageStatus,
};
pub use unlock_connector::{UnlockConnectorRequest, UnlockConnectorResponse, UnlockStatus};
pub use update_firmware::{UpdateFirmwareRequest, UpdateFirmwareResponse};
