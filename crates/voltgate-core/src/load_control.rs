//! The load controller (issue 6, item 4): runs the allocator for a site whenever something that
//! changes its allocation happens (a session starts or stops, meter values arrive, settings,
//! circuits or the fuse change, a charger connects or disconnects) and makes the result take
//! effect on the chargers.
//!
//! Each managed charger (smart license, on a site with load management) gets a dynamic
//! TxDefaultProfile ([`DYNAMIC_PROFILE_ID`], stack level [`DYNAMIC_STACK_LEVEL`], above the
//! offline fallback at level 0) that is valid for [`LoadControlConfig::profile_ttl`] and is
//! refreshed before it ends. A charger that loses its connection therefore falls back to its
//! offline current by itself once the dynamic limit expires. Idle chargers hold 0 A, so a new
//! session waits for its share instead of overloading the fuse.
//!
//! Limits are lowered before others are raised: the decreases of a recomputation are sent first
//! and the increases only once every decrease was accepted, so the sum never exceeds a limit
//! while it changes. A charger that is offline counts at what it may still draw: its last
//! dynamic limit until that expires, then its offline current (or its maximum).
//!
//! The smart-charging mode of the site (`crate::smart`) shapes the profile: periods outside the
//! off-peak window or above the price threshold are 0 A.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::allocation::{self, Allocation, Amps, ChargerLoad, Circuit, Reason, DRAW_MARGIN};
use crate::clock::Clock;
use crate::commands::{ChargerLink, ChargingProfile, Command, LinkError, Schedule, SchedulePeriod};
use crate::load::{CircuitCharger, CircuitRecord, LoadSettings};
use crate::model::{Charger, Site};
use crate::settings::{ChargerSettings, DYNAMIC_PROFILE_ID};
use crate::smart::{self, Plan, SmartMode, SmartSettings, Zone};
use crate::store::{all_chargers, ChargerQuery, Store, StoreResult};
use crate::types::ConnectionStatus;

/// Above the offline fallback (level 0), below operators' own profiles at higher levels.
pub const DYNAMIC_STACK_LEVEL: i32 = 1;
/// What a site may draw per phase when nothing limits it.
pub const UNLIMITED: Amps = 10_000.0;
/// A charger's maximum when its settings set none (the 0–32 A range of the settings).
pub const DEFAULT_MAX: Amps = 32.0;
/// A charger's minimum when neither it nor its site sets one (IEC 61851's lowest pilot current).
pub const DEFAULT_MIN: Amps = 6.0;
/// Meter readings older than this do not count as what an EV draws now.
pub const READING_MAX_AGE: time::Duration = time::Duration::minutes(5);
/// How far ahead smart-charging plans are made (for the API; profiles end at their TTL).
const PLAN_HORIZON: time::Duration = time::Duration::DAY;

#[derive(Debug, Clone)]
pub struct LoadControlConfig {
    /// How long a dynamic limit stays valid on a charger without a refresh.
    pub profile_ttl: Duration,
    /// How long events are gathered before the sites they touch are recomputed.
    pub debounce: Duration,
    /// How long to wait for a charger to answer SetChargingProfile.
    pub command_timeout: Duration,
}

impl Default for LoadControlConfig {
    fn default() -> Self {
        Self {
            profile_ttl: Duration::from_secs(300),
            debounce: Duration::from_millis(100),
            command_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// Something about this charger changed (session, meter values, settings, connection).
    Charger(i64),
    /// It booted: whatever it held is unknown, send its limit again.
    Online(i64),
    /// Something about this site changed (fuse, circuits, smart charging).
    Site(i64),
}

/// Where the rest of Voltgate reports what may change an allocation. Cheap to clone; does
/// nothing when no controller runs (e.g. in unit tests of other services).
#[derive(Debug, Clone, Default)]
pub struct LoadEvents {
    tx: Option<mpsc::UnboundedSender<Event>>,
}

/// The controller's end of [`LoadEvents`].
#[derive(Debug)]
pub struct LoadEventReceiver(mpsc::UnboundedReceiver<Event>);

impl LoadEvents {
    pub fn channel() -> (LoadEvents, LoadEventReceiver) {
        let (tx, rx) = mpsc::unbounded_channel();
        (LoadEvents { tx: Some(tx) }, LoadEventReceiver(rx))
    }

    fn send(&self, event: Event) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(event);
        }
    }

    /// A session started or stopped, meter values arrived, its settings changed, it
    /// disconnected, or it moved between sites or circuits.
    pub fn charger_changed(&self, charger_id: i64) {
        self.send(Event::Charger(charger_id));
    }

    /// It (re)booted and was accepted.
    pub fn charger_online(&self, charger_id: i64) {
        self.send(Event::Online(charger_id));
    }

    /// It moved to another site, or its license changed: forget what it was sent and where it
    /// was, so both its old and new site are recomputed and it gets its limit afresh.
    pub fn charger_moved(&self, charger_id: i64) {
        self.send(Event::Online(charger_id));
    }

    /// The site's fuse, available current, circuits or smart charging changed.
    pub fn site_changed(&self, site_id: i64) {
        self.send(Event::Site(site_id));
    }
}

/// The dynamic limit last accepted by a charger.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    site_id: i64,
    /// The limit now (A per phase).
    current: Amps,
    phases: usize,
    periods: Vec<SchedulePeriod>,
    valid_to: OffsetDateTime,
}

/// One charger of a site, what the allocator was told about it and what it got.
#[derive(Debug, Clone)]
pub struct ChargerEntry {
    pub charger: Charger,
    pub circuit_uuid: Option<Uuid>,
    pub load: ChargerLoad,
    /// The highest current measured on its phases recently.
    pub measured: Option<Amps>,
    pub allocation: Allocation,
}

/// A site's allocation and what it was computed from.
#[derive(Debug, Clone)]
pub struct SiteComputation {
    pub settings: LoadSettings,
    /// What the site may draw per phase (L1, L2, L3).
    pub limits: [Amps; 3],
    /// Whether load management is configured (a fuse, available current or circuits); the
    /// controller leaves the chargers of other sites alone.
    pub managed: bool,
    pub entries: Vec<ChargerEntry>,
}

impl SiteComputation {
    /// The allocated (and unmanaged) current per site phase.
    pub fn per_phase(&self) -> [Amps; 3] {
        let mut per_phase = [0.0; 3];
        for e in &self.entries {
            for p in &e.allocation.phases {
                per_phase[*p] += e.allocation.current;
            }
        }
        per_phase
    }
}

pub struct LoadController {
    store: Arc<dyn Store>,
    link: Arc<dyn ChargerLink>,
    clock: Arc<dyn Clock>,
    config: LoadControlConfig,
    events: LoadEvents,
    sent: Mutex<HashMap<i64, Sent>>,
}

impl std::fmt::Debug for LoadController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadController")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Whether a site has load management: a fuse, an available current or circuits.
fn configured(settings: &LoadSettings, circuits: usize) -> bool {
    settings.max_current.is_some()
        || settings.available_current.is_some()
        || settings.available_current_phase1.is_some()
        || settings.available_current_phase2.is_some()
        || settings.available_current_phase3.is_some()
        || circuits > 0
}

/// Every charger of the site (they belong to its owner team).
pub async fn site_chargers(store: &dyn Store, site: &Site) -> StoreResult<Vec<Charger>> {
    all_chargers(
        store,
        ChargerQuery {
            team_ids: vec![site.team_id],
            site_id: Some(site.id),
            ..Default::default()
        },
    )
    .await
}

impl LoadController {
    /// Starts the controller on `receiver` (the other end of the [`LoadEvents`] given to the
    /// services that report events).
    pub fn start(
        store: Arc<dyn Store>,
        link: Arc<dyn ChargerLink>,
        clock: Arc<dyn Clock>,
        config: LoadControlConfig,
        events: LoadEvents,
        receiver: LoadEventReceiver,
    ) -> (Arc<LoadController>, tokio::task::JoinHandle<()>) {
        let controller = Arc::new(LoadController {
            store,
            link,
            clock,
            config,
            events,
            sent: Mutex::new(HashMap::new()),
        });
        let handle = tokio::spawn(controller.clone().run(receiver.0));
        (controller, handle)
    }

    pub fn events(&self) -> &LoadEvents {
        &self.events
    }

    fn sent(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Sent>> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Computes the site's allocation from the database and what the chargers last accepted.
    pub async fn compute(&self, site: &Site) -> StoreResult<SiteComputation> {
        let store = self.store.as_ref();
        let now = self.clock.now();
        let settings = store.load_settings(site.id).await?;
        let records = store.list_circuits(site.id).await?;
        let attached = store.circuit_chargers(site.id).await?;
        let chargers = site_chargers(store, site).await?;
        let ids: Vec<i64> = chargers.iter().map(|c| c.id).collect();
        let connectors = store.list_connectors(&ids).await?;
        let active: HashSet<i64> = store
            .chargers_with_sessions(&ids)
            .await?
            .into_iter()
            .collect();
        let readings = store
            .latest_readings(&ids, Some(now - READING_MAX_AGE))
            .await?;
        let mut charger_settings: HashMap<i64, ChargerSettings> =
            store.settings_of(&ids).await?.into_iter().collect();
        let limits = settings.phase_limits(UNLIMITED);
        let managed = configured(&settings, records.len());

        // The site's fuse is circuit 0; the others keep their ids.
        let mut circuits = vec![Circuit {
            id: 0,
            parent: None,
            max_current: limits,
        }];
        circuits.extend(records.iter().map(|c| Circuit {
            id: c.id as u64,
            parent: Some(c.parent_id.unwrap_or(0) as u64),
            max_current: [c.max_current; 3],
        }));
        let by_id: HashMap<i64, &CircuitRecord> = records.iter().map(|c| (c.id, c)).collect();
        // A single-phase circuit on the path makes a charger single-phase.
        let single_phase_path = |mut at: Option<i64>| {
            for _ in 0..=records.len() {
                let Some(c) = at.and_then(|id| by_id.get(&id)) else {
                    break;
                };
                if c.phases == 1 {
                    return true;
                }
                at = c.parent_id;
            }
            false
        };

        // Per charger, found once: its circuit, the rotation of its first connector, the highest
        // recent current on any phase.
        let attach_of: HashMap<i64, &CircuitCharger> =
            attached.iter().map(|a| (a.charger_id, a)).collect();
        let mut first_connector: HashMap<i64, (i32, Option<String>)> = HashMap::new();
        for c in &connectors {
            let entry = first_connector
                .entry(c.charger_id)
                .or_insert((c.connector_id, c.phase_rotation.clone()));
            if c.connector_id < entry.0 {
                *entry = (c.connector_id, c.phase_rotation.clone());
            }
        }
        let mut measured_of: HashMap<i64, Amps> = HashMap::new();
        for r in &readings {
            if r.measurand != "Current.Import" || now - r.timestamp > READING_MAX_AGE {
                continue;
            }
            if let Some(v) = r.base_value() {
                let m = measured_of.entry(r.charger_id).or_insert(v);
                *m = m.max(v);
            }
        }

        let sent = self.sent().clone();
        let mut loads = Vec::with_capacity(chargers.len());
        let mut extra = Vec::with_capacity(chargers.len());
        for ch in &chargers {
            let s = charger_settings.remove(&ch.id).unwrap_or_default();
            let attach = attach_of.get(&ch.id).copied();
            let mut phases = s.max_charge_phases.map_or(3, |p| p.clamp(1, 3) as usize);
            if single_phase_path(attach.map(|a| a.circuit_id)) {
                phases = 1;
            }
            let rotation = first_connector.get(&ch.id).and_then(|(_, r)| r.as_deref());
            let is_active = active.contains(&ch.id);
            let measured = measured_of.get(&ch.id).copied();
            let max = s.max_charge_current.unwrap_or(DEFAULT_MAX);
            let min = s
                .min_charge_current
                .or(settings.minimum_current)
                .unwrap_or(DEFAULT_MIN)
                .min(max);
            let last = sent.get(&ch.id).filter(|x| x.valid_to > now);
            // A measured draw says what the EV takes only when it was offered more: its last
            // dynamic limit, or its maximum when it holds none of ours.
            let offered = last.map_or(max, |l| l.current);
            let measured_draw = measured.filter(|m| is_active && offered >= m + DRAW_MARGIN);
            let online = ch.connection_status == ConnectionStatus::Online;
            let mut load = ChargerLoad {
                id: ch.id as u64,
                circuit: attach.map_or(0, |a| a.circuit_id as u64),
                phases: allocation::phases_from_rotation(rotation, phases),
                priority: attach.map_or(0, |a| a.priority),
                min_current: min,
                max_current: max,
                managed: ch.license_smart,
                active: is_active,
                measured_draw,
            };
            if ch.license_smart && !online && is_active {
                // It charges on its own: at its last limit until that expires, then offline.
                let fallback = s
                    .offline_charge_current
                    .filter(|a| *a >= 0.0)
                    .unwrap_or(max);
                load.managed = false;
                load.max_current = last.map_or(fallback, |l| l.current);
            }
            extra.push((
                attach.and_then(|a| by_id.get(&a.circuit_id).map(|c| c.uuid)),
                measured,
            ));
            loads.push(load);
        }
        let result = allocation::allocate_with_phase_switch(
            &circuits,
            &loads,
            settings.three_to_one_phase_switch_current,
        )
        .map_err(|e| crate::error::StoreError::Database(format!("allocation: {e}")))?;
        let entries = chargers
            .into_iter()
            .zip(loads)
            .zip(extra)
            .zip(result)
            .map(
                |(((charger, load), (circuit_uuid, measured)), allocation)| ChargerEntry {
                    charger,
                    circuit_uuid,
                    load,
                    measured,
                    allocation,
                },
            )
            .collect();
        Ok(SiteComputation {
            settings,
            limits,
            managed,
            entries,
        })
    }

    /// The site's smart-charging settings and its plan from `now` on.
    pub async fn smart_plan(
        &self,
        site: &Site,
        now: OffsetDateTime,
    ) -> StoreResult<(SmartSettings, Plan)> {
        let settings = self.store.smart_settings(site.id).await?;
        let zone = Zone::named(&site.address.timezone).unwrap_or_else(Zone::utc);
        let prices = match (&settings.mode, &settings.tariff_zone) {
            (SmartMode::DayAheadPricing, Some(location)) => {
                self.store
                    .prices(
                        location,
                        now - time::Duration::DAY,
                        now + PLAN_HORIZON + time::Duration::DAY,
                    )
                    .await?
            }
            _ => Vec::new(),
        };
        let plan = smart::plan(&settings, &zone, &prices, now, PLAN_HORIZON);
        Ok((settings, plan))
    }

    /// The profile that makes `current` (on `phases` phases) take effect from `now`, shaped by
    /// the smart-charging plan, valid for the TTL.
    fn profile(&self, current: Amps, phases: usize, plan: &Plan, now: OffsetDateTime) -> Sent {
        let ttl =
            time::Duration::try_from(self.config.profile_ttl).unwrap_or(time::Duration::minutes(5));
        let valid_to = now + ttl;
        let limit = |allowed: bool| if allowed { current } else { 0.0 };
        let number_phases = Some(phases as i32);
        let mut periods = vec![SchedulePeriod {
            start_period: 0,
            limit: limit(plan.allowed_now),
            number_phases,
        }];
        for (at, allowed) in &plan.changes {
            if *at >= valid_to {
                break;
            }
            let offset = (*at - now).whole_seconds().max(1) as i32;
            periods.push(SchedulePeriod {
                start_period: offset,
                limit: limit(*allowed),
                number_phases,
            });
        }
        Sent {
            site_id: 0,
            current: limit(plan.allowed_now),
            phases,
            periods,
            valid_to,
        }
    }

    fn command(sent: &Sent, now: OffsetDateTime) -> Command {
        let mut profile = ChargingProfile::current_limit(
            DYNAMIC_PROFILE_ID,
            "TxDefaultProfile",
            DYNAMIC_STACK_LEVEL,
            sent.current,
            Some(sent.phases as i32),
            None,
        );
        profile.charging_profile_kind = "Absolute".into();
        profile.valid_to = Some(sent.valid_to);
        profile.charging_schedule = Schedule {
            duration: None,
            start_schedule: Some(now.replace_nanosecond(0).unwrap_or(now)),
            charging_rate_unit: "A".into(),
            charging_schedule_period: sent.periods.clone(),
            min_charging_rate: None,
        };
        Command::SetChargingProfile {
            connector_id: 0,
            profile,
        }
    }

    /// Recomputes the site and sends what changed: decreases first, then increases. Returns
    /// whether every change was accepted.
    pub async fn control(&self, site: &Site) -> StoreResult<bool> {
        // Most events come from sites without load management: two reads, nothing to do.
        if !self.sent().values().any(|s| s.site_id == site.id) {
            let settings = self.store.load_settings(site.id).await?;
            if !configured(&settings, self.store.list_circuits(site.id).await?.len()) {
                return Ok(true);
            }
        }
        let computed = self.compute(site).await?;
        let now = self.clock.now();
        let (_, plan) = self.smart_plan(site, now).await?;
        let refresh_before = now
            + time::Duration::try_from(self.config.profile_ttl / 2)
                .unwrap_or(time::Duration::minutes(2));
        let previous = self.sent().clone();
        let mut down = Vec::new();
        let mut up = Vec::new();
        let mut clear = Vec::new();
        for e in &computed.entries {
            let ch = &e.charger;
            let last = previous.get(&ch.id);
            if !computed.managed || !ch.license_smart {
                if last.is_some() {
                    clear.push(ch.clone());
                }
                continue;
            }
            if ch.connection_status != ConnectionStatus::Online {
                continue;
            }
            let mut next =
                self.profile(e.allocation.current, e.allocation.phases.len(), &plan, now);
            next.site_id = site.id;
            let unchanged = last.is_some_and(|l| {
                l.current == next.current
                    && l.phases == next.phases
                    && l.periods.len() == next.periods.len()
                    && l.periods
                        .iter()
                        .zip(&next.periods)
                        .all(|(a, b)| a.limit == b.limit)
                    && l.valid_to > refresh_before
            });
            if unchanged {
                continue;
            }
            // Unknown (e.g. just booted) counts as a decrease: it goes first.
            let lower = last.is_none_or(|l| next.current <= l.current);
            if lower {
                down.push((ch.clone(), next));
            } else {
                up.push((ch.clone(), next));
            }
        }
        for ch in clear {
            self.clear(&ch).await;
        }
        let ok = self.send_all(down, now).await;
        if !ok {
            // What a refused or unanswered decrease frees is not free: raise nobody yet.
            return Ok(false);
        }
        Ok(self.send_all(up, now).await)
    }

    async fn send_all(&self, changes: Vec<(Charger, Sent)>, now: OffsetDateTime) -> bool {
        // SetChargingProfile to different chargers goes out at once; each waits on its socket.
        let mut set = tokio::task::JoinSet::new();
        for (ch, next) in changes {
            let (link, timeout) = (self.link.clone(), self.config.command_timeout);
            let command = Self::command(&next, now);
            set.spawn(async move {
                let result = link.send(&ch.identity, command, timeout).await;
                (ch, next, result)
            });
        }
        let mut all_ok = true;
        while let Some(joined) = set.join_next().await {
            let Ok((ch, next, result)) = joined else {
                all_ok = false;
                continue;
            };
            match result {
                Ok(reply) if reply.is_accepted() => {
                    self.sent().insert(ch.id, next);
                }
                Ok(reply) => {
                    tracing::warn!(charger = %ch.identity, status = ?reply.status(),
                        "the charger refused its load-management limit");
                    self.sent().remove(&ch.id);
                    all_ok = false;
                }
                Err(LinkError::NotConnected) => {
                    // Gone meanwhile: its disconnection is an event of its own.
                }
                Err(error) => {
                    tracing::warn!(charger = %ch.identity, %error,
                        "could not send the load-management limit");
                    self.sent().remove(&ch.id);
                    all_ok = false;
                }
            }
        }
        all_ok
    }

    /// Removes the dynamic limit of a charger that is no longer managed.
    async fn clear(&self, ch: &Charger) {
        let command = Command::ClearChargingProfile {
            id: Some(DYNAMIC_PROFILE_ID),
            connector_id: None,
            purpose: None,
            stack_level: None,
        };
        match self
            .link
            .send(&ch.identity, command, self.config.command_timeout)
            .await
        {
            Ok(_) | Err(LinkError::NotConnected) => {
                self.sent().remove(&ch.id);
            }
            Err(error) => {
                tracing::warn!(charger = %ch.identity, %error,
                    "could not clear the load-management limit; it expires by itself");
                self.sent().remove(&ch.id);
            }
        }
    }

    /// Serves events until every [`LoadEvents`] is dropped: gathers them for the debounce time,
    /// then recomputes each site they touch (one site at a time per site, sites in parallel);
    /// every quarter of the TTL it also recomputes the sites it manages, which refreshes their
    /// limits and follows the smart-charging plan.
    async fn run(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Event>) {
        let busy: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let again: Arc<Mutex<HashSet<i64>>> = Arc::default();
        // Consecutive failed rounds per site: retries back off from 1 s to a quarter of the TTL.
        let failures: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
        let tick = (self.config.profile_ttl / 4).max(Duration::from_millis(500));
        let mut timer = tokio::time::interval(tick);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut site_cache: HashMap<i64, (Option<i64>, tokio::time::Instant)> = HashMap::new();
        loop {
            let mut events = Vec::new();
            let mut sites: HashSet<i64> = HashSet::new();
            tokio::select! {
                got = rx.recv() => match got {
                    Some(e) => events.push(e),
                    None => return,
                },
                _ = timer.tick() => {
                    sites.extend(self.sent().values().map(|s| s.site_id));
                }
            }
            if !events.is_empty() {
                tokio::time::sleep(self.config.debounce).await;
                while let Ok(e) = rx.try_recv() {
                    events.push(e);
                }
            }
            let now = tokio::time::Instant::now();
            site_cache.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(30));
            let mut chargers = Vec::new();
            for event in events {
                let charger = match event {
                    Event::Site(id) => {
                        sites.insert(id);
                        continue;
                    }
                    Event::Online(id) | Event::Charger(id) => id,
                };
                if let Some(old) = self.sent().get(&charger).map(|s| s.site_id) {
                    sites.insert(old);
                }
                if matches!(event, Event::Online(_)) {
                    self.sent().remove(&charger);
                    site_cache.remove(&charger);
                }
                chargers.push(charger);
            }
            // The sites of the chargers not cached, in one query (a boot storm brings thousands
            // of chargers online within one debounce).
            let unknown: std::collections::BTreeSet<i64> = chargers
                .iter()
                .copied()
                .filter(|c| !site_cache.contains_key(c))
                .collect();
            if !unknown.is_empty() {
                let unknown: Vec<i64> = unknown.into_iter().collect();
                match self.store.sites_of_chargers(&unknown).await {
                    Ok(found) => {
                        let found: HashMap<i64, Option<i64>> = found.into_iter().collect();
                        for charger in unknown {
                            let site = found.get(&charger).copied().flatten();
                            site_cache.insert(charger, (site, now));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, chargers = unknown.len(), "load control: could not find the chargers' sites");
                    }
                }
            }
            for charger in chargers {
                if let Some((site, _)) = site_cache.get(&charger) {
                    sites.extend(*site);
                }
            }
            for site_id in sites {
                if !busy
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(site_id)
                {
                    again
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(site_id);
                    continue;
                }
                let (this, busy, again, failures) =
                    (self.clone(), busy.clone(), again.clone(), failures.clone());
                tokio::spawn(async move {
                    let outcome = match this.store.site_by_id(site_id).await {
                        Ok(Some(site)) => this.control(&site).await,
                        Ok(None) => Ok(true),
                        Err(e) => Err(e),
                    };
                    busy.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&site_id);
                    let retry = match outcome {
                        Ok(ok) => !ok,
                        Err(error) => {
                            tracing::warn!(%error, site_id, "load control: could not recompute the site");
                            true
                        }
                    };
                    let rerun = again
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&site_id);
                    let failed = {
                        let mut failures = failures.lock().unwrap_or_else(|e| e.into_inner());
                        if retry {
                            let n = failures.entry(site_id).or_insert(0);
                            *n = n.saturating_add(1);
                            *n
                        } else {
                            failures.remove(&site_id);
                            0
                        }
                    };
                    if retry {
                        let delay = Duration::from_secs(1 << failed.min(8)).min(tick);
                        tokio::time::sleep(delay).await;
                    }
                    if retry || rerun {
                        this.events.site_changed(site_id);
                    }
                });
            }
        }
    }
}

impl LoadController {
    /// What the offline fallbacks of the site's chargers add up to per site phase, with
    /// `next` as the settings of `charger_id`: an offline current on phase mask 1, 2 or 4 loads
    /// L1, L2 or L3; on 7 or automatic, all three. Chargers without an override count nothing
    /// (they keep whatever their own firmware does).
    pub async fn offline_load(
        &self,
        site: &Site,
        charger_id: i64,
        next: &ChargerSettings,
    ) -> StoreResult<[Amps; 3]> {
        let chargers = site_chargers(self.store.as_ref(), site).await?;
        let ids: Vec<i64> = chargers.iter().map(|c| c.id).collect();
        let mut all: HashMap<i64, ChargerSettings> =
            self.store.settings_of(&ids).await?.into_iter().collect();
        all.insert(charger_id, next.clone());
        let mut load = [0.0; 3];
        for s in all.values() {
            let Some(a) = s.offline_charge_current.filter(|a| *a >= 0.0) else {
                continue;
            };
            let phases: &[usize] = match s.offline_charge_phase {
                Some(1) => &[0],
                Some(2) => &[1],
                Some(4) => &[2],
                _ => &[0, 1, 2],
            };
            for p in phases {
                load[*p] += a;
            }
        }
        Ok(load)
    }
}

/// The reason's name in the API.
pub fn reason_name(reason: Reason) -> &'static str {
    match reason {
        Reason::Idle => "idle",
        Reason::Unmanaged => "unmanaged",
        Reason::Paused => "paused",
        Reason::AtCap => "at_cap",
        Reason::CircuitLimit => "circuit_limit",
    }
}
