//! The OCPP 1.6 enumerations the simulated charger sends or reads (OCPP 1.6, section 7).
//!
//! Kept here, apart from Voltgate's protocol crate, so the simulator depends on nothing of ours.
//! Each serialises exactly as the specification spells it (including its misspellings).

use serde::{Deserialize, Serialize};

macro_rules! ocpp_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// The spelling used on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

ocpp_enum! {
    /// A connector's status (OCPP 1.6, 7.7 `ChargePointStatus`).
    ChargePointStatus {
        /// Free for a new user.
        Available = "Available",
        /// A user presented a tag or plugged in; no transaction yet.
        Preparing = "Preparing",
        /// Energy is flowing.
        Charging = "Charging",
        /// The EV does not take energy.
        SuspendedEV = "SuspendedEV",
        /// The charger does not offer energy.
        SuspendedEVSE = "SuspendedEVSE",
        /// The transaction stopped; the connector is not yet free.
        Finishing = "Finishing",
        /// Reserved by ReserveNow.
        Reserved = "Reserved",
        /// Not available (ChangeAvailability Inoperative).
        Unavailable = "Unavailable",
        /// An error stops the connector.
        Faulted = "Faulted",
    }
}

ocpp_enum! {
    /// A connector's error code (OCPP 1.6, 7.6 `ChargePointErrorCode`).
    ChargePointErrorCode {
        /// No error.
        NoError = "NoError",
        /// The connector lock failed.
        ConnectorLockFailure = "ConnectorLockFailure",
        /// Communication with the EV failed.
        EVCommunicationError = "EVCommunicationError",
        /// Ground fault circuit interrupter tripped.
        GroundFailure = "GroundFailure",
        /// Temperature too high.
        HighTemperature = "HighTemperature",
        /// Hardware or software failure.
        InternalError = "InternalError",
        /// The local list conflicts with the central system's answer.
        LocalListConflict = "LocalListConflict",
        /// Another error; see `info`.
        OtherError = "OtherError",
        /// Over current protection tripped.
        OverCurrentFailure = "OverCurrentFailure",
        /// Voltage above the acceptable level.
        OverVoltage = "OverVoltage",
        /// The power meter failed.
        PowerMeterFailure = "PowerMeterFailure",
        /// The power switch failed.
        PowerSwitchFailure = "PowerSwitchFailure",
        /// The id tag reader failed.
        ReaderFailure = "ReaderFailure",
        /// A reset failed.
        ResetFailure = "ResetFailure",
        /// Voltage below the acceptable level.
        UnderVoltage = "UnderVoltage",
        /// Weak wireless signal.
        WeakSignal = "WeakSignal",
    }
}

ocpp_enum! {
    /// Why a transaction stopped (OCPP 1.6, 7.34 `Reason`).
    StopReason {
        /// Emergency stop button.
        EmergencyStop = "EmergencyStop",
        /// The EV was disconnected.
        EVDisconnected = "EVDisconnected",
        /// Hard reset.
        HardReset = "HardReset",
        /// Stopped locally (the default when `reason` is omitted).
        Local = "Local",
        /// Another reason.
        Other = "Other",
        /// Power loss.
        PowerLoss = "PowerLoss",
        /// Reboot.
        Reboot = "Reboot",
        /// RemoteStopTransaction.
        Remote = "Remote",
        /// Soft reset.
        SoftReset = "SoftReset",
        /// UnlockConnector.
        UnlockCommand = "UnlockCommand",
        /// The id tag was deauthorised by the central system.
        DeAuthorized = "DeAuthorized",
    }
}

ocpp_enum! {
    /// Whether an id tag may charge (OCPP 1.6, 7.2 `AuthorizationStatus`).
    AuthorizationStatus {
        /// Allowed.
        Accepted = "Accepted",
        /// Blocked.
        Blocked = "Blocked",
        /// Expired.
        Expired = "Expired",
        /// Unknown or invalid.
        Invalid = "Invalid",
        /// Already in another transaction.
        ConcurrentTx = "ConcurrentTx",
    }
}

ocpp_enum! {
    /// The answer to BootNotification (OCPP 1.6, 7.31 `RegistrationStatus`).
    RegistrationStatus {
        /// Registered; heartbeat at the returned interval.
        Accepted = "Accepted",
        /// Not yet; retry BootNotification after the returned interval.
        Pending = "Pending",
        /// Refused; retry after the returned interval.
        Rejected = "Rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_the_specification_spells_it() {
        let json = serde_json::to_string(&ChargePointStatus::SuspendedEVSE).unwrap();
        assert_eq!(json, r#""SuspendedEVSE""#);
        assert_eq!(StopReason::DeAuthorized.as_str(), "DeAuthorized");
        let status: AuthorizationStatus = serde_json::from_str(r#""ConcurrentTx""#).unwrap();
        assert_eq!(status, AuthorizationStatus::ConcurrentTx);
    }
}
