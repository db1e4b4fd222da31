//! MeterValue and SampledValue (OCPP 1.6 §7 "MeterValue", "SampledValue") and the
//! enumerations of a sample, shared by MeterValues and StopTransaction.transactionData.
//!
//! [`UnitOfMeasure`] accepts both `Celsius` and the misspelling `Celcius` that the 1.6
//! schema text and many real chargers use (OCPP-RPC-RULES §1.2 row 20), and `Hertz`.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// The samples taken at one point in time (OCPP 1.6 §7 MeterValue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValue {
    /// RFC 3339; see [`crate::parse_timestamp`].
    pub timestamp: String,
    /// At least one sample in MeterValues.
    pub sampled_value: Vec<SampledValue>,
}

/// One measured value (OCPP 1.6 §7 SampledValue). Absent optional fields take the defaults
/// of the specification: context `Sample.Periodic`, format `Raw`, measurand
/// `Energy.Active.Import.Register`, location `Outlet`, unit `Wh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampledValue {
    /// The value as sent: a decimal number for `Raw`, opaque data for `SignedData`.
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<ReadingContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<ValueFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurand: Option<Measurand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitOfMeasure>,
}

impl SampledValue {
    /// A sample with only a value; every other field takes the specification's default.
    pub fn new(value: impl Into<String>) -> Self {
        SampledValue {
            value: value.into(),
            context: None,
            format: None,
            measurand: None,
            phase: None,
            location: None,
            unit: None,
        }
    }
}

string_enum! {
    /// Why a value was sampled (OCPP 1.6 §7 ReadingContext).
    pub enum ReadingContext {
        InterruptionBegin = "Interruption.Begin",
        InterruptionEnd = "Interruption.End",
        SampleClock = "Sample.Clock",
        SamplePeriodic = "Sample.Periodic",
        TransactionBegin = "Transaction.Begin",
        TransactionEnd = "Transaction.End",
        Trigger = "Trigger",
        Other = "Other",
    }
}

string_enum! {
    /// How `value` is encoded (OCPP 1.6 §7 ValueFormat).
    pub enum ValueFormat {
        Raw = "Raw",
        SignedData = "SignedData",
    }
}

string_enum! {
    /// What was measured (OCPP 1.6 §7 Measurand).
    pub enum Measurand {
        EnergyActiveExportRegister = "Energy.Active.Export.Register",
        EnergyActiveImportRegister = "Energy.Active.Import.Register",
        EnergyReactiveExportRegister = "Energy.Reactive.Export.Register",
        EnergyReactiveImportRegister = "Energy.Reactive.Import.Register",
        EnergyActiveExportInterval = "Energy.Active.Export.Interval",
        EnergyActiveImportInterval = "Energy.Active.Import.Interval",
        EnergyReactiveExportInterval = "Energy.Reactive.Export.Interval",
        EnergyReactiveImportInterval = "Energy.Reactive.Import.Interval",
        PowerActiveExport = "Power.Active.Export",
        PowerActiveImport = "Power.Active.Import",
        PowerOffered = "Power.Offered",
        PowerReactiveExport = "Power.Reactive.Export",
        PowerReactiveImport = "Power.Reactive.Import",
        PowerFactor = "Power.Factor",
        CurrentImport = "Current.Import",
        CurrentExport = "Current.Export",
        CurrentOffered = "Current.Offered",
        Voltage = "Voltage",
        Frequency = "Frequency",
        Temperature = "Temperature",
        SoC = "SoC",
        Rpm = "RPM",
    }
}

string_enum! {
    /// The phase(s) a value applies to (OCPP 1.6 §7 Phase).
    pub enum Phase {
        L1 = "L1",
        L2 = "L2",
        L3 = "L3",
        N = "N",
        L1N = "L1-N",
        L2N = "L2-N",
        L3N = "L3-N",
        L1L2 = "L1-L2",
        L2L3 = "L2-L3",
        L3L1 = "L3-L1",
    }
}

string_enum! {
    /// Where a value was measured (OCPP 1.6 §7 Location).
    pub enum Location {
        Cable = "Cable",
        Ev = "EV",
        Inlet = "Inlet",
        Outlet = "Outlet",
        Body = "Body",
    }
}

string_enum! {
    /// The unit of a value (OCPP 1.6 §7 UnitOfMeasure), including real-charger spellings.
    pub enum UnitOfMeasure {
        Wh = "Wh",
        KWh = "kWh",
        Varh = "varh",
        Kvarh = "kvarh",
        W = "W",
        KW = "kW",
        Va = "VA",
        KVa = "kVA",
        Var = "var",
        Kvar = "kvar",
        A = "A",
        V = "V",
        K = "K",
        /// The 1.6 schema's spelling of Celsius, sent by many chargers: accepted as such.
        Celcius = "Celcius",
        Celsius = "Celsius",
        Fahrenheit = "Fahrenheit",
        Percent = "Percent",
        Hertz = "Hertz",
    }
}

impl UnitOfMeasure {
    /// Whether this is a degree Celsius, whichever way it was spelled.
    pub fn is_celsius(self) -> bool {
        matches!(self, UnitOfMeasure::Celcius | UnitOfMeasure::Celsius)
    }
}
