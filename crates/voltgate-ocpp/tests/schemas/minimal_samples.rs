//! One sample of every typed core 1.6 payload with only its required fields set.

use voltgate_ocpp::v16::*;
use voltgate_ocpp::PayloadKind;

use super::assert_round_trip as check;

const TIME: &str = "2024-03-01T12:00:00Z";

/// Every core payload with only its required fields.
pub fn minimal() -> Vec<(Action, PayloadKind)> {
    let minimal_schedule = ChargingSchedule {
        duration: None,
        start_schedule: None,
        charging_rate_unit: ChargingRateUnit::W,
        charging_schedule_period: vec![ChargingSchedulePeriod {
            start_period: 0,
            limit: 11000.0,
            number_phases: None,
        }],
        min_charging_rate: None,
    };
    let minimal_profile = ChargingProfile {
        charging_profile_id: 1,
        transaction_id: None,
        stack_level: 0,
        charging_profile_purpose: ChargingProfilePurpose::TxDefaultProfile,
        charging_profile_kind: ChargingProfileKind::Absolute,
        recurrency_kind: None,
        valid_from: None,
        valid_to: None,
        charging_schedule: minimal_schedule,
    };
    let accepted = IdTagInfo::with_status(AuthorizationStatus::Accepted);
    vec![
        check(&AuthorizeRequest { id_tag: "T".into() }),
        check(&AuthorizeResponse {
            id_tag_info: accepted.clone(),
        }),
        check(&BootNotificationRequest {
            charge_point_vendor: "V".into(),
            charge_point_model: "M".into(),
            charge_point_serial_number: None,
            charge_box_serial_number: None,
            firmware_version: None,
            iccid: None,
            imsi: None,
            meter_type: None,
            meter_serial_number: None,
        }),
        check(&BootNotificationResponse {
            status: RegistrationStatus::Accepted,
            current_time: TIME.into(),
            interval: 0,
        }),
        check(&DataTransferRequest {
            vendor_id: "v".into(),
            message_id: None,
            data: None,
        }),
        check(&DataTransferResponse {
            status: DataTransferStatus::Accepted,
            data: None,
        }),
        check(&DiagnosticsStatusNotificationRequest {
            status: DiagnosticsStatus::Idle,
        }),
        check(&DiagnosticsStatusNotificationResponse {}),
        check(&FirmwareStatusNotificationRequest {
            status: FirmwareStatus::Idle,
        }),
        check(&FirmwareStatusNotificationResponse {}),
        check(&HeartbeatRequest {}),
        check(&HeartbeatResponse {
            current_time: "2024-03-01T12:00:00".into(),
        }),
        check(&MeterValuesRequest {
            connector_id: 0,
            transaction_id: None,
            meter_value: vec![MeterValue {
                timestamp: TIME.into(),
                sampled_value: vec![SampledValue::new("0")],
            }],
        }),
        check(&MeterValuesResponse {}),
        check(&StartTransactionRequest {
            connector_id: 1,
            id_tag: "T".into(),
            meter_start: 0,
            reservation_id: None,
            timestamp: TIME.into(),
        }),
        check(&StartTransactionResponse {
            id_tag_info: accepted.clone(),
            transaction_id: 1,
        }),
        check(&StatusNotificationRequest {
            connector_id: 1,
            error_code: ChargePointErrorCode::NoError,
            info: None,
            status: ChargePointStatus::Available,
            timestamp: None,
            vendor_id: None,
            vendor_error_code: None,
        }),
        check(&StatusNotificationResponse {}),
        check(&StopTransactionRequest {
            id_tag: None,
            meter_stop: 0,
            timestamp: TIME.into(),
            transaction_id: -1,
            reason: None,
            transaction_data: None,
        }),
        check(&StopTransactionResponse::default()),
        check(&CancelReservationRequest { reservation_id: 1 }),
        check(&CancelReservationResponse {
            status: CancelReservationStatus::Accepted,
        }),
        check(&ChangeAvailabilityRequest {
            connector_id: 1,
            kind: AvailabilityType::Operative,
        }),
        check(&ChangeAvailabilityResponse {
            status: AvailabilityStatus::Accepted,
        }),
        check(&ChangeConfigurationRequest {
            key: "K".into(),
            value: String::new(),
        }),
        check(&ChangeConfigurationResponse {
            status: ConfigurationStatus::Accepted,
        }),
        check(&ClearCacheRequest {}),
        check(&ClearCacheResponse {
            status: ClearCacheStatus::Rejected,
        }),
        check(&ClearChargingProfileRequest::default()),
        check(&ClearChargingProfileResponse {
            status: ClearChargingProfileStatus::Accepted,
        }),
        check(&GetCompositeScheduleRequest {
            connector_id: 0,
            duration: 60,
            charging_rate_unit: None,
        }),
        check(&GetCompositeScheduleResponse {
            status: GetCompositeScheduleStatus::Rejected,
            connector_id: None,
            schedule_start: None,
            charging_schedule: None,
        }),
        check(&GetConfigurationRequest::default()),
        check(&GetConfigurationResponse::default()),
        check(&GetDiagnosticsRequest {
            location: "ftp://example.com".into(),
            retries: None,
            retry_interval: None,
            start_time: None,
            stop_time: None,
        }),
        check(&GetDiagnosticsResponse::default()),
        check(&GetLocalListVersionRequest {}),
        check(&GetLocalListVersionResponse { list_version: 0 }),
        check(&RemoteStartTransactionRequest {
            connector_id: None,
            id_tag: "T".into(),
            charging_profile: None,
        }),
        check(&RemoteStartTransactionResponse {
            status: RemoteStartStopStatus::Rejected,
        }),
        check(&RemoteStopTransactionRequest { transaction_id: 1 }),
        check(&RemoteStopTransactionResponse {
            status: RemoteStartStopStatus::Accepted,
        }),
        check(&ReserveNowRequest {
            connector_id: 0,
            expiry_date: TIME.into(),
            id_tag: "T".into(),
            parent_id_tag: None,
            reservation_id: 1,
        }),
        check(&ReserveNowResponse {
            status: ReservationStatus::Accepted,
        }),
        check(&ResetRequest {
            kind: ResetType::Hard,
        }),
        check(&ResetResponse {
            status: ResetStatus::Rejected,
        }),
        check(&SendLocalListRequest {
            list_version: 1,
            local_authorization_list: None,
            update_type: UpdateType::Full,
        }),
        check(&SendLocalListResponse {
            status: UpdateStatus::Accepted,
        }),
        check(&SetChargingProfileRequest {
            connector_id: 1,
            cs_charging_profiles: minimal_profile,
        }),
        check(&SetChargingProfileResponse {
            status: ChargingProfileStatus::Accepted,
        }),
        check(&TriggerMessageRequest {
            requested_message: MessageTrigger::Heartbeat,
            connector_id: None,
        }),
        check(&TriggerMessageResponse {
            status: TriggerMessageStatus::Accepted,
        }),
        check(&UnlockConnectorRequest { connector_id: 1 }),
        check(&UnlockConnectorResponse {
            status: UnlockStatus::Unlocked,
        }),
        check(&UpdateFirmwareRequest {
            location: "https://example.com/fw".into(),
            retries: None,
            retrieve_date: TIME.into(),
            retry_interval: None,
        }),
        check(&UpdateFirmwareResponse {}),
    ]
}
