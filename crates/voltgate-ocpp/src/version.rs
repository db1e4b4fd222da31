//! The OCPP-J versions this crate speaks, named by their WebSocket subprotocol.
//!
//! Every version-dependent function of the crate takes an [`OcppVersion`], so adding
//! OCPP 2.0.1 is a new variant plus its tables (error-code spellings, actions, schemas),
//! not a new API.

use std::fmt;

/// An OCPP-J protocol version, as negotiated in the WebSocket handshake
/// (OCPP-J 1.6 §3.1.2 "OCPP version").
///
/// Not `#[non_exhaustive]` on purpose: when a version is added, every `match` on it in
/// the workspace should fail to compile until it handles the new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OcppVersion {
    /// OCPP 1.6 over JSON (OCPP-J 1.6), including the 1.6 security whitepaper messages.
    V16,
}

impl OcppVersion {
    /// Every supported version, in the server's order of preference.
    pub const ALL: &'static [OcppVersion] = &[OcppVersion::V16];

    /// The `Sec-WebSocket-Protocol` token of this version, e.g. `"ocpp1.6"`.
    pub fn subprotocol(self) -> &'static str {
        match self {
            OcppVersion::V16 => "ocpp1.6",
        }
    }

    /// The version named by a `Sec-WebSocket-Protocol` token, if we speak it.
    ///
    /// The comparison is exact: the OCPP-J specifications define lowercase tokens.
    pub fn from_subprotocol(token: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.subprotocol() == token)
    }
}

impl fmt::Display for OcppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.subprotocol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocpp16_subprotocol_round_trips() {
        assert_eq!(OcppVersion::V16.subprotocol(), "ocpp1.6");
        assert_eq!(
            OcppVersion::from_subprotocol("ocpp1.6"),
            Some(OcppVersion::V16)
        );
    }

    #[test]
    fn unknown_or_differently_cased_subprotocols_are_not_served() {
        assert_eq!(OcppVersion::from_subprotocol("ocpp0.1"), None);
        assert_eq!(OcppVersion::from_subprotocol("OCPP1.6"), None);
        assert_eq!(OcppVersion::from_subprotocol(""), None);
    }
}
