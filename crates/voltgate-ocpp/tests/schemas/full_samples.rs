//! One sample of every typed core 1.6 payload with every optional field set, built in
//! Rust, so that a misspelt field name cannot hide behind an absent option.

use voltgate_ocpp::v16::*;
use voltgate_ocpp::PayloadKind;

use super::assert_round_trip as check;

const TIME: &str = "2024-03-01T12:00:00Z";

fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn id_tag_info() -> IdTagInfo {
    IdTagInfo {
        expiry_date: s("2024-12-31T23:59:59.999Z"),
        parent_id_tag: s("PARENT-1"),
        status: AuthorizationStatus::ConcurrentTx,
    }
}

fn meter_value(unit: UnitOfMeasure) -> MeterValue {
    MeterValue {
        timestamp: TIME.into(),
        sampled_value: vec![SampledValue {
            value: "21.5".into(),
            context: Some(ReadingContext::TransactionEnd),
            format: Some(ValueFormat::Raw),
            measurand: Some(Measurand::EnergyActiveImportRegister),
            phase: Some(Phase::L1N),
            location: Some(Location::Ev),
            unit: Some(unit),
        }],
    }
}

fn charging_profile(purpose: ChargingProfilePurpose) -> ChargingProfile {
    ChargingProfile {
        charging_profile_id: 7,
        transaction_id: Some(42),
        stack_level: 1,
        charging_profile_purpose: purpose,
        charging_profile_kind: ChargingProfileKind::Recurring,
        recurrency_kind: Some(RecurrencyKind::Daily),
        valid_from: s(TIME),
        valid_to: s("2025-03-01T12:00:00+01:00"),
        charging_schedule: charging_schedule(),
    }
}

fn charging_schedule() -> ChargingSchedule {
    ChargingSchedule {
        duration: Some(3600),
        start_schedule: s(TIME),
        charging_rate_unit: ChargingRateUnit::A,
        charging_schedule_period: vec![
            ChargingSchedulePeriod {
                start_period: 0,
                limit: 16.1,
                number_phases: Some(3),
            },
            ChargingSchedulePeriod {
                start_period: 1800,
                limit: 6.0,
                number_phases: Some(1),
            },
        ],
        min_charging_rate: Some(5.3),
    }
}

/// Every core payload with every optional field set.
pub fn full() -> Vec<(Action, PayloadKind)> {
    vec![
        check(&AuthorizeRequest {
            id_tag: "ABCDEF0123456789ABCD".into(),
        }),
        check(&AuthorizeResponse {
            id_tag_info: id_tag_info(),
        }),
        check(&BootNotificationRequest {
            charge_point_vendor: "VendorX".into(),
            charge_point_model: "ModelY".into(),
            charge_point_serial_number: s("CP-1"),
            charge_box_serial_number: s("CB-1"),
            firmware_version: s("1.2.3"),
            iccid: s("8931"),
            imsi: s("2040"),
            meter_type: s("MID"),
            meter_serial_number: s("M-1"),
        }),
        check(&BootNotificationResponse {
            status: RegistrationStatus::Pending,
            current_time: TIME.into(),
            interval: 300,
        }),
        check(&DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: s("Msg"),
            data: s("{\"a\":1}"),
        }),
        check(&DataTransferResponse {
            status: DataTransferStatus::UnknownVendorId,
            data: s("x"),
        }),
        check(&DiagnosticsStatusNotificationRequest {
            status: DiagnosticsStatus::UploadFailed,
        }),
        check(&DiagnosticsStatusNotificationResponse {}),
        check(&FirmwareStatusNotificationRequest {
            status: FirmwareStatus::InstallationFailed,
        }),
        check(&FirmwareStatusNotificationResponse {}),
        check(&HeartbeatRequest {}),
        check(&HeartbeatResponse {
            current_time: TIME.into(),
        }),
        check(&MeterValuesRequest {
            connector_id: 1,
            transaction_id: Some(42),
            meter_value: vec![
                meter_value(UnitOfMeasure::Celcius),
                meter_value(UnitOfMeasure::Hertz),
            ],
        }),
        check(&MeterValuesResponse {}),
        check(&StartTransactionRequest {
            connector_id: 1,
            id_tag: "TAG".into(),
            meter_start: 3_000_000_000,
            reservation_id: Some(9),
            timestamp: TIME.into(),
        }),
        check(&StartTransactionResponse {
            id_tag_info: id_tag_info(),
            transaction_id: 42,
        }),
        check(&StatusNotificationRequest {
            connector_id: 0,
            error_code: ChargePointErrorCode::EvCommunicationError,
            info: s("info"),
            status: ChargePointStatus::SuspendedEvse,
            timestamp: s(TIME),
            vendor_id: s("com.example"),
            vendor_error_code: s("E42"),
        }),
        check(&StatusNotificationResponse {}),
        check(&StopTransactionRequest {
            id_tag: s("TAG"),
            meter_stop: 3_000_001_500,
            timestamp: TIME.into(),
            transaction_id: 42,
            reason: Some(Reason::EvDisconnected),
            transaction_data: Some(vec![
                meter_value(UnitOfMeasure::Celsius),
                meter_value(UnitOfMeasure::Hertz),
            ]),
        }),
        check(&StopTransactionResponse {
            id_tag_info: Some(id_tag_info()),
        }),
        check(&CancelReservationRequest { reservation_id: 9 }),
        check(&CancelReservationResponse {
            status: CancelReservationStatus::Rejected,
        }),
        check(&ChangeAvailabilityRequest {
            connector_id: 0,
            kind: AvailabilityType::Inoperative,
        }),
        check(&ChangeAvailabilityResponse {
            status: AvailabilityStatus::Scheduled,
        }),
        check(&ChangeConfigurationRequest {
            key: "HeartbeatInterval".into(),
            value: "300".into(),
        }),
        check(&ChangeConfigurationResponse {
            status: ConfigurationStatus::RebootRequired,
        }),
        check(&ClearCacheRequest {}),
        check(&ClearCacheResponse {
            status: ClearCacheStatus::Accepted,
        }),
        check(&ClearChargingProfileRequest {
            id: Some(7),
            connector_id: Some(1),
            charging_profile_purpose: Some(ChargingProfilePurpose::TxProfile),
            stack_level: Some(1),
        }),
        check(&ClearChargingProfileResponse {
            status: ClearChargingProfileStatus::Unknown,
        }),
        check(&DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: None,
            data: None,
        }),
        check(&GetCompositeScheduleRequest {
            connector_id: 1,
            duration: 3600,
            charging_rate_unit: Some(ChargingRateUnit::W),
        }),
        check(&GetCompositeScheduleResponse {
            status: GetCompositeScheduleStatus::Accepted,
            connector_id: Some(1),
            schedule_start: s(TIME),
            charging_schedule: Some(charging_schedule()),
        }),
        check(&GetConfigurationRequest {
            key: Some(vec!["HeartbeatInterval".into()]),
        }),
        check(&GetConfigurationResponse {
            configuration_key: Some(vec![KeyValue {
                key: "HeartbeatInterval".into(),
                readonly: false,
                value: s("300"),
            }]),
            unknown_key: Some(vec!["Nope".into()]),
        }),
        check(&GetDiagnosticsRequest {
            location: "ftp://user:pass@example.com/diag/".into(),
            retries: Some(3),
            retry_interval: Some(60),
            start_time: s(TIME),
            stop_time: s(TIME),
        }),
        check(&GetDiagnosticsResponse {
            file_name: s("diag.zip"),
        }),
        check(&GetLocalListVersionRequest {}),
        check(&GetLocalListVersionResponse { list_version: -1 }),
        check(&RemoteStartTransactionRequest {
            connector_id: Some(1),
            id_tag: "TAG".into(),
            charging_profile: Some(charging_profile(ChargingProfilePurpose::TxProfile)),
        }),
        check(&RemoteStartTransactionResponse {
            status: RemoteStartStopStatus::Accepted,
        }),
        check(&RemoteStopTransactionRequest { transaction_id: 42 }),
        check(&RemoteStopTransactionResponse {
            status: RemoteStartStopStatus::Rejected,
        }),
        check(&ReserveNowRequest {
            connector_id: 1,
            expiry_date: TIME.into(),
            id_tag: "TAG".into(),
            parent_id_tag: s("PARENT"),
            reservation_id: 9,
        }),
        check(&ReserveNowResponse {
            status: ReservationStatus::Occupied,
        }),
        check(&ResetRequest {
            kind: ResetType::Soft,
        }),
        check(&ResetResponse {
            status: ResetStatus::Accepted,
        }),
        check(&SendLocalListRequest {
            list_version: 2,
            local_authorization_list: Some(vec![
                AuthorizationData {
                    id_tag: "TAG".into(),
                    id_tag_info: Some(id_tag_info()),
                },
                AuthorizationData {
                    id_tag: "GONE".into(),
                    id_tag_info: None,
                },
            ]),
            update_type: UpdateType::Differential,
        }),
        check(&SendLocalListResponse {
            status: UpdateStatus::VersionMismatch,
        }),
        check(&SetChargingProfileRequest {
            connector_id: 0,
            cs_charging_profiles: charging_profile(ChargingProfilePurpose::ChargePointMaxProfile),
        }),
        check(&SetChargingProfileResponse {
            status: ChargingProfileStatus::NotSupported,
        }),
        check(&TriggerMessageRequest {
            requested_message: MessageTrigger::StatusNotification,
            connector_id: Some(1),
        }),
        check(&TriggerMessageResponse {
            status: TriggerMessageStatus::NotImplemented,
        }),
        check(&UnlockConnectorRequest { connector_id: 1 }),
        check(&UnlockConnectorResponse {
            status: UnlockStatus::UnlockFailed,
        }),
        check(&UpdateFirmwareRequest {
            location: "https://example.com/fw.bin".into(),
            retries: Some(3),
            retrieve_date: TIME.into(),
            retry_interval: Some(60),
        }),
        check(&UpdateFirmwareResponse {}),
    ]
}
