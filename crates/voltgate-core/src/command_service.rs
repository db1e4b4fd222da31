//! Sends commands to chargers through the `ChargerLink` port and records what an accepted
//! command changed: configuration keys, reservations, charging profiles, the local list.

use std::sync::Arc;
use std::time::Duration;

use crate::commands::{ChargerLink, Command, CommandReply, LinkError};
use crate::error::StoreError;
use crate::model::Charger;
use crate::store::Store;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandFailure {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct CommandService {
    store: Arc<dyn Store>,
    link: Arc<dyn ChargerLink>,
}

impl std::fmt::Debug for CommandService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandService").finish_non_exhaustive()
    }
}

impl CommandService {
    pub fn new(store: Arc<dyn Store>, link: Arc<dyn ChargerLink>) -> Self {
        Self { store, link }
    }

    /// Sends `command` and, when the charger accepts it, records its effect.
    pub async fn execute(
        &self,
        charger: &Charger,
        command: Command,
        timeout: Duration,
    ) -> Result<CommandReply, CommandFailure> {
        let reply = self
            .link
            .send(&charger.identity, command.clone(), timeout)
            .await?;
        self.record_effect(charger.id, &command, &reply).await?;
        Ok(reply)
    }

    /// Applies stored settings on the charger: the meter-value interval through
    /// ChangeConfiguration, the current and phase limit as a ChargePointMaxProfile, the offline
    /// fallback as a TxDefaultProfile at stack level 0 (the allocator's dynamic limits stack above
    /// it). Records the outcome; an offline charger gets them at its next boot.
    pub async fn apply_settings(
        &self,
        charger: &Charger,
        settings: &crate::settings::ChargerSettings,
        timeout: Duration,
    ) -> Result<Vec<(String, String)>, CommandFailure> {
        use crate::commands::ChargingProfile;
        use crate::settings::{MAX_PROFILE_ID, OFFLINE_PROFILE_ID};
        let profile = |id: i32, purpose: &str, limit: f64, phases: Option<i32>| {
            ChargingProfile::current_limit(id, purpose, 0, limit, phases, None)
        };
        let mut commands: Vec<(&str, Command)> = Vec::new();
        if let Some(n) = settings.meter_value_interval {
            commands.push((
                "meter_value_interval",
                Command::ChangeConfiguration {
                    key: "MeterValueSampleInterval".into(),
                    value: n.to_string(),
                },
            ));
        }
        match settings.max_charge_current {
            Some(a) => commands.push((
                "max_charge_current",
                Command::SetChargingProfile {
                    connector_id: 0,
                    profile: profile(
                        MAX_PROFILE_ID,
                        "ChargePointMaxProfile",
                        a,
                        settings.max_charge_phases,
                    ),
                },
            )),
            None => commands.push((
                "max_charge_current",
                Command::ClearChargingProfile {
                    id: Some(MAX_PROFILE_ID),
                    connector_id: None,
                    purpose: None,
                    stack_level: None,
                },
            )),
        }
        match settings.offline_charge_current {
            Some(a) if a >= 0.0 => commands.push((
                "offline_charge_current",
                Command::SetChargingProfile {
                    connector_id: 0,
                    profile: profile(
                        OFFLINE_PROFILE_ID,
                        "TxDefaultProfile",
                        a,
                        settings.offline_phases(),
                    ),
                },
            )),
            Some(_) => commands.push((
                "offline_charge_current",
                Command::ClearChargingProfile {
                    id: Some(OFFLINE_PROFILE_ID),
                    connector_id: None,
                    purpose: None,
                    stack_level: None,
                },
            )),
            None => {}
        }
        let mut results = Vec::new();
        let mut problems = Vec::new();
        for (what, command) in commands {
            match self.execute(charger, command, timeout).await {
                Ok(reply) => {
                    let status = reply.status().unwrap_or("Accepted").to_owned();
                    // Clearing a profile that is not there answers Unknown: nothing to undo.
                    if !matches!(status.as_str(), "Accepted" | "RebootRequired" | "Unknown") {
                        problems.push(format!("{what}: {status}"));
                    }
                    results.push((what.to_owned(), status));
                }
                Err(CommandFailure::Link(LinkError::NotConnected)) => {
                    self.store
                        .settings_outcome(
                            charger.id,
                            "pending",
                            Some("applied when the charger connects"),
                        )
                        .await?;
                    return Err(CommandFailure::Link(LinkError::NotConnected));
                }
                Err(e) => {
                    self.store
                        .settings_outcome(charger.id, "failed", Some(&format!("{what}: {e}")))
                        .await?;
                    return Err(e);
                }
            }
        }
        let detail = (!problems.is_empty()).then(|| problems.join("; "));
        let status = if problems.is_empty() {
            "applied"
        } else {
            "failed"
        };
        self.store
            .settings_outcome(charger.id, status, detail.as_deref())
            .await?;
        Ok(results)
    }

    /// Closes the charger's connection, if any (after it was deleted).
    pub async fn disconnect(&self, charger: &Charger) {
        self.link.disconnect(&charger.identity).await;
    }

    /// Reserves a connector: the reservation row is created first so its id can be the OCPP
    /// reservationId; it becomes `active` when the charger accepts, `rejected` otherwise.
    pub async fn reserve(
        &self,
        charger: &Charger,
        connector_id: i32,
        id_tag: &str,
        parent_id_tag: Option<&str>,
        expiry_date: time::OffsetDateTime,
        timeout: Duration,
    ) -> Result<(i64, CommandReply), CommandFailure> {
        let id = self
            .store
            .create_reservation(charger.id, connector_id, id_tag, parent_id_tag, expiry_date)
            .await?;
        let command = Command::ReserveNow {
            connector_id,
            expiry_date,
            id_tag: id_tag.to_owned(),
            parent_id_tag: parent_id_tag.map(str::to_owned),
            reservation_id: i32::try_from(id)
                .map_err(|_| StoreError::Database("reservation id out of the OCPP range".into()))?,
        };
        let result = self.link.send(&charger.identity, command, timeout).await;
        let status = match &result {
            Ok(r) if r.is_accepted() => "active",
            _ => "rejected",
        };
        self.store.set_reservation_status(id, status).await?;
        Ok((id, result?))
    }

    async fn record_effect(
        &self,
        charger_id: i64,
        command: &Command,
        reply: &CommandReply,
    ) -> Result<(), StoreError> {
        let accepted = reply.is_accepted();
        match (command, reply) {
            (Command::GetConfiguration { keys }, CommandReply::Configuration { keys: got, .. }) => {
                self.store
                    .save_configuration(charger_id, got, keys.is_empty())
                    .await?;
            }
            (Command::ChangeConfiguration { key, value }, CommandReply::Status(s))
                if s == "Accepted" || s == "RebootRequired" =>
            {
                // Keep the readonly flag we knew; a key we could change is not readonly.
                let entry = crate::commands::ConfigKey {
                    key: key.clone(),
                    readonly: false,
                    value: Some(value.clone()),
                };
                self.store
                    .save_configuration(charger_id, &[entry], false)
                    .await?;
            }
            (Command::CancelReservation { reservation_id }, _) if accepted => {
                self.store
                    .set_reservation_status(i64::from(*reservation_id), "cancelled")
                    .await?;
            }
            (
                Command::SetChargingProfile {
                    connector_id,
                    profile,
                },
                _,
            ) if accepted => {
                self.store
                    .save_profile(charger_id, *connector_id, profile)
                    .await?;
            }
            (
                Command::RemoteStart {
                    connector_id: Some(c),
                    charging_profile: Some(profile),
                    ..
                },
                _,
            ) if accepted => {
                self.store.save_profile(charger_id, *c, profile).await?;
            }
            (
                Command::ClearChargingProfile {
                    id,
                    connector_id,
                    purpose,
                    stack_level,
                },
                _,
            ) if accepted => {
                self.store
                    .clear_profiles(
                        charger_id,
                        *id,
                        *connector_id,
                        purpose.as_deref(),
                        *stack_level,
                    )
                    .await?;
            }
            (
                Command::SendLocalList {
                    list_version,
                    full,
                    entries,
                },
                _,
            ) if accepted => {
                self.store
                    .save_local_list(charger_id, *list_version, *full, entries)
                    .await?;
            }
            (Command::GetLocalListVersion, CommandReply::LocalListVersion(v)) => {
                self.store.set_local_list_version(charger_id, *v).await?;
            }
            _ => {}
        }
        Ok(())
    }
}
