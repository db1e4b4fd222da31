//! The physical model of a simulated charger, shared by its handles, its connection task (whose
//! handler reads and changes it while answering the central system) and its automation task.
//!
//! A [`Station`] holds the connectors, the installed charging profiles, the local authorization
//! list and cache, and the local transaction ids of transactions started while offline. It is
//! plain data behind a `std::sync::Mutex`: nothing here awaits, so the lock is never held across
//! an `.await`.
//!
//! What the central system asks for that takes more than an answer (start a transaction once the
//! answer is sent, reboot, send a triggered message) is written down as an [`Effect`] and carried
//! out by the automation task after the CALLRESULT went out.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use tokio::time::Instant;

use crate::connector::ConnectorState;
use crate::profile::{LimitContext, Profiles};
use crate::types::{AuthorizationStatus, StopReason};

/// Something to do after answering a CALL of the central system.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A RemoteStartTransaction was accepted on this connector (its `pending_start` is set).
    RemoteStart {
        /// The connector.
        connector: u32,
    },
    /// Stop the transaction on this connector (RemoteStop, UnlockConnector).
    Stop {
        /// The connector.
        connector: u32,
        /// Why.
        reason: StopReason,
    },
    /// Reboot: stop every transaction, close the connection, boot again (Reset).
    Reboot {
        /// A hard reset (the reason reported for stopped transactions).
        hard: bool,
    },
    /// Report a connector's status if it changed (availability, reservations, profiles).
    Sync {
        /// The connector (0 for every connector).
        connector: u32,
    },
    /// Recompute what every connector offers (profiles changed).
    Reevaluate,
    /// Send the message a TriggerMessage asked for.
    Trigger {
        /// `requestedMessage`.
        message: String,
        /// `connectorId`, if given.
        connector: Option<u32>,
    },
    /// Report firmware update progress (UpdateFirmware).
    Firmware,
    /// Report diagnostics upload progress (GetDiagnostics).
    Diagnostics,
}

/// One entry of the local authorization list or cache (OCPP 1.6, 3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAuth {
    /// The id tag's status.
    pub status: AuthorizationStatus,
    /// When the entry stops being valid.
    pub expires_at: Option<OffsetDateTime>,
    /// The parent id tag.
    pub parent_id_tag: Option<String>,
}

/// The physical state of a simulated charger.
#[derive(Debug, Clone)]
pub struct Station {
    /// Connector 0 (the charger itself) and 1..=N.
    pub connectors: Vec<ConnectorState>,
    /// Installed charging profiles.
    pub profiles: Profiles,
    /// The local authorization list (SendLocalList) and its version.
    pub local_list: BTreeMap<String, LocalAuth>,
    /// The local list version (0: none).
    pub local_list_version: i32,
    /// The authorization cache: answers to Authorize and StartTransaction.
    pub auth_cache: BTreeMap<String, LocalAuth>,
    /// The last FirmwareStatusNotification status (`Idle` before any update).
    pub firmware_status: String,
    /// The last DiagnosticsStatusNotification status (`Idle` before any upload).
    pub diagnostics_status: String,
    next_local_transaction: i32,
}

impl Station {
    /// A station with `connectors` outlets, each offering `max_current_a`.
    pub fn new(connectors: u32, max_current_a: f64, now: Instant) -> Self {
        Station {
            connectors: (0..=connectors)
                .map(|_| ConnectorState::new(max_current_a, now))
                .collect(),
            profiles: Profiles::default(),
            local_list: BTreeMap::new(),
            local_list_version: 0,
            auth_cache: BTreeMap::new(),
            firmware_status: "Idle".into(),
            diagnostics_status: "Idle".into(),
            next_local_transaction: 0,
        }
    }

    /// A new local transaction id (negative) for a StartTransaction that waits offline.
    pub fn next_local_transaction(&mut self) -> i32 {
        self.next_local_transaction -= 1;
        self.next_local_transaction
    }

    /// The connector running `transaction_id`.
    pub fn connector_of(&self, transaction_id: i32) -> Option<u32> {
        (0u32..)
            .zip(&self.connectors)
            .find(|(_, c)| c.transaction_id == Some(transaction_id))
            .map(|(id, _)| id)
    }

    /// Renames a local transaction id to the one the central system assigned.
    pub fn assign_transaction(&mut self, local: i32, assigned: i32) {
        for connector in &mut self.connectors {
            if connector.transaction_id == Some(local) {
                connector.transaction_id = Some(assigned);
            }
        }
        for profile in self.profiles_mut() {
            if profile.transaction_id == Some(local) {
                profile.transaction_id = Some(assigned);
            }
        }
    }

    fn profiles_mut(&mut self) -> impl Iterator<Item = &mut crate::profile::ChargingProfile> {
        self.profiles.iter_mut()
    }

    /// The charging-profile limit of a connector now, in A.
    pub fn limit_a(&self, connector: u32, at: OffsetDateTime) -> Option<f64> {
        let state = self.connectors.get(connector as usize)?;
        let ctx = LimitContext {
            connector,
            transaction_id: state.transaction_id,
            tx_start: state.transaction_started_at,
            phases: state.ev.as_ref().map_or(3, |ev| ev.phases),
        };
        self.profiles.limit_a(&ctx, at)
    }

    /// Recomputes what a connector offers; returns whether its drawn current changed.
    pub fn reevaluate(&mut self, connector: u32, now: Instant, at: OffsetDateTime) -> bool {
        let limit = self.limit_a(connector, at);
        let Some(state) = self.connectors.get_mut(connector as usize) else {
            return false;
        };
        let (before_offer, before_draw) = (state.offered_a, state.meter.current_a());
        state.set_offer(limit, now);
        before_offer != state.offered_a || before_draw != state.meter.current_a()
    }

    /// Recomputes every connector's offer. Called before a profile change is answered, so the
    /// meters follow a new limit before the central system hears it was accepted (and can
    /// raise another charger's limit against the current this one gave up).
    pub fn reevaluate_all(&mut self, now: Instant, at: OffsetDateTime) {
        for connector in 1..self.connectors.len() as u32 {
            self.reevaluate(connector, now, at);
        }
    }

    /// How the charger would authorize `id_tag` on its own: the local list first, then the
    /// cache (OCPP 1.6, 3.5.3), each only when enabled; `None` when neither knows it or the
    /// entry expired.
    pub fn local_authorization(
        &self,
        id_tag: &str,
        at: OffsetDateTime,
        list_enabled: bool,
        cache_enabled: bool,
    ) -> Option<&LocalAuth> {
        let key = id_tag.to_ascii_uppercase();
        [
            (list_enabled, &self.local_list),
            (cache_enabled, &self.auth_cache),
        ]
        .into_iter()
        .filter(|(enabled, _)| *enabled)
        .filter_map(|(_, entries)| entries.get(&key))
        .find(|entry| entry.expires_at.is_none_or(|until| until > at))
    }

    /// Remembers the central system's answer for an id tag in the cache.
    pub fn cache_authorization(&mut self, id_tag: &str, entry: LocalAuth) {
        self.auth_cache.insert(id_tag.to_ascii_uppercase(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn local_transaction_ids_are_negative_and_renamed_once_assigned() {
        let now = Instant::now();
        let mut station = Station::new(2, 32.0, now);
        let local = station.next_local_transaction();
        assert_eq!(local, -1);
        station.connectors[2].begin_charging(local, now);
        assert_eq!(station.connector_of(local), Some(2));
        station.assign_transaction(local, 41);
        assert_eq!(station.connectors[2].transaction_id, Some(41));
        assert_eq!(station.next_local_transaction(), -2);
    }

    #[test]
    fn a_profile_limits_what_the_connector_offers() {
        let now = Instant::now();
        let mut station = Station::new(1, 32.0, now);
        station.connectors[1].begin_charging(5, now);
        assert_eq!(station.connectors[1].meter.current_a(), 16.0);
        let profile = crate::profile::ChargingProfile::from_payload(
            0,
            &json!({"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}}),
        )
        .unwrap();
        station.profiles.install(profile);
        let at = OffsetDateTime::now_utc();
        assert!(station.reevaluate(1, now, at));
        assert_eq!(station.connectors[1].meter.current_a(), 10.0);
        assert!(!station.reevaluate(1, now, at));
    }

    #[test]
    fn the_local_list_wins_over_the_cache_and_expired_entries_are_ignored() {
        let mut station = Station::new(1, 32.0, Instant::now());
        let at = datetime!(2025-01-01 0:00 UTC);
        station.cache_authorization(
            "tag-1",
            LocalAuth {
                status: AuthorizationStatus::Accepted,
                expires_at: Some(datetime!(2024-12-31 0:00 UTC)),
                parent_id_tag: None,
            },
        );
        assert_eq!(station.local_authorization("TAG-1", at, true, true), None);
        station.local_list.insert(
            "TAG-1".into(),
            LocalAuth {
                status: AuthorizationStatus::Blocked,
                expires_at: None,
                parent_id_tag: None,
            },
        );
        assert_eq!(
            station
                .local_authorization("tag-1", at, true, true)
                .map(|e| e.status),
            Some(AuthorizationStatus::Blocked)
        );
        assert_eq!(station.local_authorization("tag-1", at, false, true), None);
    }
}
