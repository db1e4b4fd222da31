//! The OCPP 1.6 actions: the 28 of the core specification (OCPP 1.6 §4-5) and the 11
//! added by the OCPP 1.6 security whitepaper (edition 3), and who may send each.

use crate::string_enum::string_enum;
use crate::Direction;

string_enum! {
    /// An OCPP 1.6 action name, as it appears in the third element of a CALL.
    pub enum Action {
        Authorize = "Authorize",
        BootNotification = "BootNotification",
        CancelReservation = "CancelReservation",
        CertificateSigned = "CertificateSigned",
        ChangeAvailability = "ChangeAvailability",
        ChangeConfiguration = "ChangeConfiguration",
        ClearCache = "ClearCache",
        ClearChargingProfile = "ClearChargingProfile",
        DataTransfer = "DataTransfer",
        DeleteCertificate = "DeleteCertificate",
        DiagnosticsStatusNotification = "DiagnosticsStatusNotification",
        ExtendedTriggerMessage = "ExtendedTriggerMessage",
        FirmwareStatusNotification = "FirmwareStatusNotification",
        GetCompositeSchedule = "GetCompositeSchedule",
        GetConfiguration = "GetConfiguration",
        GetDiagnostics = "GetDiagnostics",
        GetInstalledCertificateIds = "GetInstalledCertificateIds",
        GetLocalListVersion = "GetLocalListVersion",
        GetLog = "GetLog",
        Heartbeat = "Heartbeat",
        InstallCertificate = "InstallCertificate",
        LogStatusNotification = "LogStatusNotification",
        MeterValues = "MeterValues",
        RemoteStartTransaction = "RemoteStartTransaction",
        RemoteStopTransaction = "RemoteStopTransaction",
        ReserveNow = "ReserveNow",
        Reset = "Reset",
        SecurityEventNotification = "SecurityEventNotification",
        SendLocalList = "SendLocalList",
        SetChargingProfile = "SetChargingProfile",
        SignCertificate = "SignCertificate",
        SignedFirmwareStatusNotification = "SignedFirmwareStatusNotification",
        SignedUpdateFirmware = "SignedUpdateFirmware",
        StartTransaction = "StartTransaction",
        StatusNotification = "StatusNotification",
        StopTransaction = "StopTransaction",
        TriggerMessage = "TriggerMessage",
        UnlockConnector = "UnlockConnector",
        UpdateFirmware = "UpdateFirmware",
    }
}

const FROM_CHARGER: &[Direction] = &[Direction::ChargerToCsms];
const FROM_CSMS: &[Direction] = &[Direction::CsmsToCharger];
const BOTH: &[Direction] = &[Direction::ChargerToCsms, Direction::CsmsToCharger];

impl Action {
    /// The directions in which a CALL of this action may travel (OCPP 1.6 §4 lists the
    /// operations initiated by the charge point, §5 those initiated by the central system).
    pub fn sent_by(self) -> &'static [Direction] {
        use Action::*;
        match self {
            DataTransfer => BOTH,
            Authorize
            | BootNotification
            | DiagnosticsStatusNotification
            | FirmwareStatusNotification
            | Heartbeat
            | LogStatusNotification
            | MeterValues
            | SecurityEventNotification
            | SignCertificate
            | SignedFirmwareStatusNotification
            | StartTransaction
            | StatusNotification
            | StopTransaction => FROM_CHARGER,
            CancelReservation
            | CertificateSigned
            | ChangeAvailability
            | ChangeConfiguration
            | ClearCache
            | ClearChargingProfile
            | DeleteCertificate
            | ExtendedTriggerMessage
            | GetCompositeSchedule
            | GetConfiguration
            | GetDiagnostics
            | GetInstalledCertificateIds
            | GetLocalListVersion
            | GetLog
            | InstallCertificate
            | RemoteStartTransaction
            | RemoteStopTransaction
            | ReserveNow
            | Reset
            | SendLocalList
            | SetChargingProfile
            | SignedUpdateFirmware
            | TriggerMessage
            | UnlockConnector
            | UpdateFirmware => FROM_CSMS,
        }
    }

    /// Whether this action comes from the 1.6 security whitepaper rather than core 1.6.
    pub fn is_security_extension(self) -> bool {
        use Action::*;
        matches!(
            self,
            CertificateSigned
                | DeleteCertificate
                | ExtendedTriggerMessage
                | GetInstalledCertificateIds
                | GetLog
                | InstallCertificate
                | LogStatusNotification
                | SecurityEventNotification
                | SignCertificate
                | SignedFirmwareStatusNotification
                | SignedUpdateFirmware
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocpp16_has_28_core_and_11_security_actions() {
        let security = Action::ALL
            .iter()
            .filter(|a| a.is_security_extension())
            .count();
        assert_eq!((Action::ALL.len() - security, security), (28, 11));
    }

    #[test]
    fn every_action_name_round_trips() {
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.as_str()), Some(*action));
        }
    }

    #[test]
    fn only_data_transfer_travels_both_ways() {
        let both: Vec<_> = Action::ALL
            .iter()
            .filter(|a| a.sent_by().len() == 2)
            .collect();
        assert_eq!(both, [&Action::DataTransfer]);
    }

    #[test]
    fn charger_initiated_actions_are_the_ones_of_section_4() {
        let from_charger = Action::ALL
            .iter()
            .filter(|a| a.sent_by().contains(&Direction::ChargerToCsms))
            .count();
        // 10 core (incl. DataTransfer) + 4 security-whitepaper notifications/requests.
        assert_eq!(from_charger, 14);
    }
}
