//! What the simulator does with definitions, apart from HTTP: create them, provision them (a
//! definition that connects to this Voltgate gets its charger created here, in its team, so it
//! can connect without `--auto-register`), and start and stop their runtimes. The routes and
//! demo mode both use it.

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;
use voltgate_core::auth::{generate_pincode, hash_charger_password};
use voltgate_core::lab::*;
use voltgate_core::store::NewCharger;
use voltgate_core::StoreError;
use voltgate_sim::{ChargerConfig, StopReason, NOMINAL_VOLTAGE_V};

use crate::error::{LabError, LabResult};
use crate::runtime::{RunSpec, RuntimeState};
use crate::Lab;

/// The scenario that plays sessions on its own.
pub(crate) const SESSIONS: &str = "sessions";
/// The id tag automatic sessions use when the definition names none.
const DEFAULT_ID_TAG: &str = "VOLTGATE-SIM";

/// A definition to create (validated).
#[derive(Debug, Clone)]
pub struct ChargerInput {
    pub identity: String,
    pub name: Option<String>,
    pub vendor_name: Option<String>,
    pub model: Option<String>,
    pub image_url: Option<String>,
    pub ocpp_version: String,
    pub number_of_connectors: i32,
    /// In W.
    pub max_charging_power: Option<i64>,
    pub connector_type: Option<String>,
    pub location_id: Option<i64>,
    pub brand_slug: Option<String>,
    pub model_slug: Option<String>,
    /// `None`: this Voltgate.
    pub ws_url: Option<String>,
    pub password: Option<String>,
    pub id_tag: Option<String>,
    /// `None` or `sessions`.
    pub scenario: Option<String>,
}

impl ChargerInput {
    /// One Type 2 connector, 22 kW, OCPP 1.6, connecting to this Voltgate.
    pub fn new(identity: impl Into<String>) -> Self {
        ChargerInput {
            identity: identity.into(),
            name: None,
            vendor_name: Some("Voltgate".into()),
            model: Some("SimCharger".into()),
            image_url: None,
            ocpp_version: "OCPP1.6".into(),
            number_of_connectors: 1,
            max_charging_power: Some(22_000),
            connector_type: Some("Type2".into()),
            location_id: None,
            brand_slug: None,
            model_slug: None,
            ws_url: None,
            password: None,
            id_tag: None,
            scenario: None,
        }
    }
}

fn new_public_id() -> String {
    format!("dep-{}", &Uuid::new_v4().simple().to_string()[..16])
}

fn new_workflow_id() -> String {
    format!("wf-{}", Uuid::new_v4())
}

impl Lab {
    /// Stores a new definition (status PROVISIONING); provision it next with
    /// [`Lab::spawn_provisioning`] or [`Lab::provision`].
    pub async fn create_charger(&self, team_id: i64, input: ChargerInput) -> LabResult<LabCharger> {
        let identity = input.identity.clone();
        let created = self
            .store()
            .create_lab_charger(NewLabCharger {
                public_id: new_public_id(),
                team_id,
                identity: input.identity,
                name: input.name,
                vendor_name: input.vendor_name,
                model: input.model,
                image_url: input.image_url,
                ocpp_version: input.ocpp_version,
                number_of_connectors: input.number_of_connectors,
                max_charging_power: input.max_charging_power,
                connector_type: input.connector_type,
                location_id: input.location_id,
                brand_slug: input.brand_slug,
                model_slug: input.model_slug,
                ws_url: input.ws_url,
                password: input.password,
                id_tag: input.id_tag,
                scenario: input.scenario,
                provisioning: Provisioning {
                    status: ProvisioningStatus::Provisioning,
                    error: None,
                    workflow_run_id: Some(new_workflow_id()),
                    provisioned_at: None,
                },
            })
            .await;
        match created {
            Err(StoreError::Conflict(_)) => Err(identity_taken(&identity)),
            other => Ok(other?),
        }
    }

    /// Provisions a definition in the background.
    pub fn spawn_provisioning(&self, definition_id: i64) {
        let lab = self.clone();
        self.inner.tracker.spawn(async move {
            lab.provision(definition_id).await;
        });
    }

    /// Provisions a definition: PROVISIONING, then READY or FAILED. Returns it as stored after.
    pub async fn provision(&self, definition_id: i64) -> Option<LabCharger> {
        let store = self.store();
        let definition = match store.find_lab_charger_by_id(definition_id).await {
            Ok(Some(definition)) => definition,
            Ok(None) => return None,
            Err(error) => {
                tracing::error!(%error, definition_id, "cannot read a definition to provision");
                return None;
            }
        };
        let workflow_run_id = definition
            .provisioning
            .workflow_run_id
            .clone()
            .or_else(|| Some(new_workflow_id()));
        let outcome = if self.is_local(definition.ws_url.as_deref()) {
            self.ensure_local_charger(&definition).await
        } else {
            check_reachable(definition.ws_url.as_deref().unwrap_or_default()).await
        };
        let provisioning = match outcome {
            Ok(()) => Provisioning {
                status: ProvisioningStatus::Ready,
                error: None,
                workflow_run_id,
                provisioned_at: Some(OffsetDateTime::now_utc()),
            },
            Err(error) => {
                tracing::warn!(charger.identity = %definition.identity, code = %error.code, "provisioning failed");
                Provisioning {
                    status: ProvisioningStatus::Failed,
                    error: Some(error),
                    workflow_run_id,
                    provisioned_at: None,
                }
            }
        };
        if let Err(error) = store
            .set_lab_provisioning(definition.id, &provisioning)
            .await
        {
            tracing::error!(%error, definition_id, "cannot record the provisioning outcome");
        }
        store
            .find_lab_charger_by_id(definition_id)
            .await
            .ok()
            .flatten()
    }

    /// Marks a definition for provisioning again (after its identity or ws_url changed).
    pub(crate) async fn reprovision(&self, definition: &LabCharger) -> LabResult<()> {
        let provisioning = Provisioning {
            status: ProvisioningStatus::Provisioning,
            error: None,
            workflow_run_id: Some(new_workflow_id()),
            provisioned_at: None,
        };
        self.store()
            .set_lab_provisioning(definition.id, &provisioning)
            .await?;
        self.spawn_provisioning(definition.id);
        Ok(())
    }

    /// A definition that connects to this Voltgate needs its charger here, in its team.
    async fn ensure_local_charger(&self, definition: &LabCharger) -> Result<(), ProvisioningError> {
        let store = self.store();
        let failed = |e: StoreError| ProvisioningError {
            code: "INTERNAL_ERROR".into(),
            message: format!("the charger could not be created: {e}"),
            retryable: true,
        };
        let existing = store
            .find_charger_by_identity(&definition.identity)
            .await
            .map_err(failed)?;
        match existing {
            Some(charger) if charger.team_id == definition.team_id => return Ok(()),
            Some(_) => return Err(taken_in_voltgate(&definition.identity)),
            None => {}
        }
        let uuid = Uuid::new_v4();
        let (smart, pro) = self.inner.default_licenses;
        let created = store
            .create_charger(NewCharger {
                team_id: definition.team_id,
                site_id: None,
                uuid,
                identity: definition.identity.clone(),
                reference: definition.name.clone(),
                password_hash: definition
                    .password
                    .as_deref()
                    .map(|p| hash_charger_password(uuid, p)),
                pincode: generate_pincode(),
                license_smart: smart,
                license_pro: pro,
                boot_policy: None,
            })
            .await;
        match created {
            Ok(_) => Ok(()),
            // Created meanwhile by someone else.
            Err(StoreError::Conflict(_)) => Err(taken_in_voltgate(&definition.identity)),
            Err(e) => Err(failed(e)),
        }
    }

    /// Whether a `ws_url` means this Voltgate (no URL, or one naming its OCPP listener).
    pub(crate) fn is_local(&self, ws_url: Option<&str>) -> bool {
        let Some(url) = ws_url else {
            return true;
        };
        let Some(rest) = url.strip_prefix("ws://") else {
            return false;
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
                (host, port.parse::<u16>().ok())
            }
            _ => (authority, Some(80)),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let local = self.inner.local_addr;
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1" | "0.0.0.0");
        let same_ip = host.parse::<std::net::IpAddr>().ok() == Some(local.ip());
        port == Some(local.port()) && (loopback || same_ip)
    }

    /// The URL a definition connects to.
    pub(crate) fn ws_url(&self, definition: &LabCharger) -> String {
        definition
            .ws_url
            .clone()
            .unwrap_or_else(|| self.local_ws_url())
    }

    /// Starts a definition's runtime (it must be READY); does not change its desired state.
    pub(crate) fn start_runtime(&self, definition: &LabCharger) -> LabResult<()> {
        if definition.provisioning.status != ProvisioningStatus::Ready {
            return Err(LabError::Conflict(format!(
                "Charger {} is not ready to run: its provisioning status is {}.",
                definition.public_id,
                definition.provisioning.status.as_str()
            )));
        }
        let spec = self.run_spec(definition);
        self.inner
            .runtimes
            .start(spec, self.settings().log_capacity);
        Ok(())
    }

    /// Records whether a definition's runtime should run, and starts or stops it.
    pub async fn set_running(&self, definition: &LabCharger, running: bool) -> LabResult<()> {
        if running {
            self.start_runtime(definition)?;
        } else {
            self.inner
                .runtimes
                .stop(definition.id, StopReason::Other)
                .await;
        }
        self.store()
            .set_lab_desired_running(definition.id, running)
            .await?;
        Ok(())
    }

    /// Stops and starts a running definition again (its sessions end with `Reboot`).
    pub(crate) async fn restart_runtime(&self, definition: &LabCharger) -> LabResult<()> {
        self.inner
            .runtimes
            .stop(definition.id, StopReason::Reboot)
            .await;
        self.set_running(definition, true).await
    }

    /// Stops a definition's runtime and deletes it. Its charger in this Voltgate, if any, stays
    /// (with its transactions): that is the central system's record.
    pub(crate) async fn delete_charger(&self, definition: &LabCharger) -> LabResult<()> {
        self.inner.runtimes.remove(definition.id).await;
        self.store().delete_lab_charger(definition.id).await?;
        Ok(())
    }

    pub(crate) fn runtime_state(&self, definition_id: i64) -> RuntimeState {
        self.inner.runtimes.state(definition_id)
    }

    fn run_spec(&self, definition: &LabCharger) -> RunSpec {
        let settings = self.settings();
        let connectors = u32::try_from(definition.number_of_connectors.max(1)).unwrap_or(1);
        // Power per connector at three phases; at least the 6 A an EV needs.
        let max_current_a = definition.max_charging_power.map_or(32.0, |w| {
            (w as f64 / (NOMINAL_VOLTAGE_V * 3.0)).round().max(6.0)
        });
        let autopilot = (definition.scenario.as_deref() == Some(SESSIONS)).then(|| {
            crate::runtime::scenario_autopilot(
                definition
                    .id_tag
                    .clone()
                    .unwrap_or_else(|| DEFAULT_ID_TAG.into()),
                settings,
            )
        });
        let mut configuration = Vec::new();
        if autopilot.is_some() {
            configuration.push((
                "MeterValueSampleInterval".to_owned(),
                settings.scenario_meter_interval.to_string(),
            ));
        }
        let mut config = ChargerConfig::new(self.ws_url(definition), definition.identity.clone());
        config.password = definition.password.clone();
        config.connectors = connectors;
        config.vendor = definition
            .vendor_name
            .clone()
            .unwrap_or_else(|| "Voltgate".into());
        config.model = definition
            .model
            .clone()
            .unwrap_or_else(|| "SimCharger".into());
        config.serial_number = Some(definition.public_id.clone());
        config.max_current_a = max_current_a;
        config.reconnect = Some(crate::runtime::backoff());
        config.configuration = configuration;
        RunSpec {
            definition_id: definition.id,
            config,
            autopilot,
            book: Arc::clone(&self.inner.commands),
        }
    }
}

fn identity_taken(identity: &str) -> LabError {
    LabError::Conflict(format!(
        "A simulated charger with identity '{identity}' already exists."
    ))
}

fn taken_in_voltgate(identity: &str) -> ProvisioningError {
    ProvisioningError {
        code: "IDENTITY_TAKEN".into(),
        message: format!(
            "A charger with identity '{identity}' belongs to another team in this Voltgate."
        ),
        retryable: false,
    }
}

/// Another central system: its host must at least resolve.
async fn check_reachable(url: &str) -> Result<(), ProvisioningError> {
    let authority = url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .unwrap_or_default();
    let target = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let resolved = tokio::net::lookup_host(target)
        .await
        .map(|mut addrs| addrs.next().is_some());
    match resolved {
        Ok(true) => Ok(()),
        _ => Err(ProvisioningError {
            code: "WS_URL_UNRESOLVABLE".into(),
            message: format!("The host of {url} cannot be resolved."),
            retryable: true,
        }),
    }
}
