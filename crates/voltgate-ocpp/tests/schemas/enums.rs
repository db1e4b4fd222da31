//! Every typed enum spells exactly the values of its schema's `enum`, in order.

use serde_json::Value;
use voltgate_ocpp::v16::*;
use voltgate_ocpp::{schema_source, OcppVersion, PayloadKind};

/// The `enum` list at `pointer` in the schema of `action`'s `kind`.
fn schema_enum(action: Action, kind: PayloadKind, pointer: &str) -> Vec<String> {
    let schema: Value = serde_json::from_str(schema_source(OcppVersion::V16, action, kind))
        .expect("schema is JSON");
    let values = schema
        .pointer(&format!("{pointer}/enum"))
        .and_then(Value::as_array);
    let values = values.unwrap_or_else(|| panic!("no enum at {pointer} in {action:?} {kind:?}"));
    values
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

macro_rules! assert_enum {
    ($ty:ty, $action:ident, $kind:ident, $pointer:literal) => {
        let ours: Vec<String> = <$ty>::ALL.iter().map(|v| v.as_str().to_owned()).collect();
        assert_eq!(
            ours,
            schema_enum(Action::$action, PayloadKind::$kind, $pointer),
            "{} vs {:?} {}",
            stringify!($ty),
            Action::$action,
            $pointer
        );
    };
}

#[test]
fn sample_enums_match_meter_values_and_stop_transaction_schemas() {
    assert_enum!(
        ReadingContext,
        MeterValues,
        Request,
        "/properties/meterValue/items/properties/sampledValue/items/properties/context"
    );
    assert_enum!(
        ValueFormat,
        MeterValues,
        Request,
        "/properties/meterValue/items/properties/sampledValue/items/properties/format"
    );
    assert_enum!(
        Measurand,
        MeterValues,
        Request,
        "/properties/meterValue/items/properties/sampledValue/items/properties/measurand"
    );
    assert_enum!(
        Phase,
        MeterValues,
        Request,
        "/properties/meterValue/items/properties/sampledValue/items/properties/phase"
    );
    assert_enum!(
        Location,
        MeterValues,
        Request,
        "/properties/meterValue/items/properties/sampledValue/items/properties/location"
    );
    assert_enum!(
        UnitOfMeasure,
        MeterValues,
        Request,
        "/properties/meterValue/items/properties/sampledValue/items/properties/unit"
    );
    assert_enum!(
        UnitOfMeasure,
        StopTransaction,
        Request,
        "/properties/transactionData/items/properties/sampledValue/items/properties/unit"
    );
    assert_enum!(
        Measurand,
        StopTransaction,
        Request,
        "/properties/transactionData/items/properties/sampledValue/items/properties/measurand"
    );
}

#[test]
fn status_enums_match_their_schemas() {
    assert_enum!(
        AuthorizationStatus,
        Authorize,
        Response,
        "/properties/idTagInfo/properties/status"
    );
    assert_enum!(
        RegistrationStatus,
        BootNotification,
        Response,
        "/properties/status"
    );
    assert_enum!(
        DataTransferStatus,
        DataTransfer,
        Response,
        "/properties/status"
    );
    assert_enum!(
        DiagnosticsStatus,
        DiagnosticsStatusNotification,
        Request,
        "/properties/status"
    );
    assert_enum!(
        FirmwareStatus,
        FirmwareStatusNotification,
        Request,
        "/properties/status"
    );
    assert_enum!(
        ChargePointErrorCode,
        StatusNotification,
        Request,
        "/properties/errorCode"
    );
    assert_enum!(
        ChargePointStatus,
        StatusNotification,
        Request,
        "/properties/status"
    );
    assert_enum!(Reason, StopTransaction, Request, "/properties/reason");
    assert_enum!(
        CancelReservationStatus,
        CancelReservation,
        Response,
        "/properties/status"
    );
    assert_enum!(
        AvailabilityType,
        ChangeAvailability,
        Request,
        "/properties/type"
    );
    assert_enum!(
        AvailabilityStatus,
        ChangeAvailability,
        Response,
        "/properties/status"
    );
    assert_enum!(
        ConfigurationStatus,
        ChangeConfiguration,
        Response,
        "/properties/status"
    );
    assert_enum!(ClearCacheStatus, ClearCache, Response, "/properties/status");
    assert_enum!(
        ClearChargingProfileStatus,
        ClearChargingProfile,
        Response,
        "/properties/status"
    );
    assert_enum!(
        GetCompositeScheduleStatus,
        GetCompositeSchedule,
        Response,
        "/properties/status"
    );
    assert_enum!(
        RemoteStartStopStatus,
        RemoteStartTransaction,
        Response,
        "/properties/status"
    );
    assert_enum!(
        RemoteStartStopStatus,
        RemoteStopTransaction,
        Response,
        "/properties/status"
    );
    assert_enum!(
        ReservationStatus,
        ReserveNow,
        Response,
        "/properties/status"
    );
    assert_enum!(ResetType, Reset, Request, "/properties/type");
    assert_enum!(ResetStatus, Reset, Response, "/properties/status");
    assert_enum!(UpdateType, SendLocalList, Request, "/properties/updateType");
    assert_enum!(UpdateStatus, SendLocalList, Response, "/properties/status");
    assert_enum!(
        ChargingProfileStatus,
        SetChargingProfile,
        Response,
        "/properties/status"
    );
    assert_enum!(
        MessageTrigger,
        TriggerMessage,
        Request,
        "/properties/requestedMessage"
    );
    assert_enum!(
        TriggerMessageStatus,
        TriggerMessage,
        Response,
        "/properties/status"
    );
    assert_enum!(
        UnlockStatus,
        UnlockConnector,
        Response,
        "/properties/status"
    );
}

#[test]
fn charging_profile_enums_match_their_schemas() {
    assert_enum!(
        ChargingProfilePurpose,
        SetChargingProfile,
        Request,
        "/properties/csChargingProfiles/properties/chargingProfilePurpose"
    );
    assert_enum!(
        ChargingProfileKind,
        SetChargingProfile,
        Request,
        "/properties/csChargingProfiles/properties/chargingProfileKind"
    );
    assert_enum!(
        RecurrencyKind,
        SetChargingProfile,
        Request,
        "/properties/csChargingProfiles/properties/recurrencyKind"
    );
    assert_enum!(
        ChargingRateUnit,
        SetChargingProfile,
        Request,
        "/properties/csChargingProfiles/properties/chargingSchedule/properties/chargingRateUnit"
    );
    assert_enum!(
        ChargingProfilePurpose,
        ClearChargingProfile,
        Request,
        "/properties/chargingProfilePurpose"
    );
    assert_enum!(
        ChargingRateUnit,
        GetCompositeSchedule,
        Request,
        "/properties/chargingRateUnit"
    );
}
