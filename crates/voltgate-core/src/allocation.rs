//! Load allocation: shares the current a site's circuits allow among the charging sessions on
//! them (issue 6's allocator, pure and synchronous so it can run on every event and be tested and
//! benchmarked on its own).
//!
//! Model: a tree of circuits (the site's main fuse at the root, sub-circuits below), each with a
//! limit per phase. A charger hangs below one circuit and draws on one or three of the site's
//! phases (its phase rotation maps its L1/L2/L3 to the site's phases). Chargers without the smart
//! license are unmanaged: they count as load at their maximum current. Managed chargers with a
//! session get a current (the same on each phase they use):
//!
//! 1. priorities first: higher-priority sessions are served before lower ones;
//! 2. a session gets at least its charger's minimum, or it is paused (0 A) when the minimum does
//!    not fit anywhere on its path;
//! 3. what is left is shared max-min fairly (progressive filling): everyone's share rises
//!    together until a charger reaches its cap or a circuit phase is full;
//! 4. a charger's cap is its maximum, lowered to what its EV draws (plus a margin) when the meter
//!    shows it drawing less, so unused current goes to the others.

use std::collections::HashMap;

/// A phase of the site's supply, 0..3 (L1, L2, L3).
pub type Phase = usize;

/// Amperes, as a float for the arithmetic; limits sent to chargers are rounded down to 0.1 A.
pub type Amps = f64;

/// Margin above a measured draw that a charger keeps, so an EV that ramps up can be noticed.
pub const DRAW_MARGIN: Amps = 2.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Circuit {
    pub id: u64,
    pub parent: Option<u64>,
    /// Limit per site phase.
    pub max_current: [Amps; 3],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChargerLoad {
    pub id: u64,
    pub circuit: u64,
    /// The site phases it draws on (one or three).
    pub phases: Vec<Phase>,
    pub priority: i32,
    pub min_current: Amps,
    pub max_current: Amps,
    /// Managed by the allocator (smart license); otherwise counted at `max_current`.
    pub managed: bool,
    /// Has a session that wants current.
    pub active: bool,
    /// Highest current measured on any of its phases recently, if known.
    pub measured_draw: Option<Amps>,
}

/// Why a charger got its current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No session: nothing to allocate.
    Idle,
    /// Not managed: counted at its maximum.
    Unmanaged,
    /// Its minimum does not fit on its path: paused.
    Paused,
    /// It got all it can use (its maximum or its EV's measured draw).
    AtCap,
    /// A circuit on its path is full.
    CircuitLimit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    pub charger: u64,
    /// The current per phase it may draw (0 when paused or idle).
    pub current: Amps,
    pub phases: Vec<Phase>,
    pub reason: Reason,
}

/// Why the input is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AllocationError {
    #[error("charger {0} hangs below unknown circuit {1}")]
    UnknownCircuit(u64, u64),
    #[error("circuit {0} is part of a cycle")]
    Cycle(u64),
    #[error("charger {0} has an invalid phase list")]
    BadPhases(u64),
}

const EPS: Amps = 1e-6;

/// Computes every charger's current. Deterministic for a given input.
pub fn allocate(
    circuits: &[Circuit],
    chargers: &[ChargerLoad],
) -> Result<Vec<Allocation>, AllocationError> {
    let index: HashMap<u64, usize> = circuits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    // Remaining capacity per (circuit, phase).
    let mut room: Vec<[Amps; 3]> = circuits.iter().map(|c| c.max_current).collect();
    // Each charger's path: the circuits from its own up to the root.
    let mut paths: Vec<Vec<usize>> = Vec::with_capacity(chargers.len());
    for c in chargers {
        if c.phases.is_empty() || c.phases.len() > 3 || c.phases.iter().any(|p| *p > 2) {
            return Err(AllocationError::BadPhases(c.id));
        }
        let mut path = Vec::new();
        let mut at = *index
            .get(&c.circuit)
            .ok_or(AllocationError::UnknownCircuit(c.id, c.circuit))?;
        loop {
            if path.contains(&at) || path.len() > circuits.len() {
                return Err(AllocationError::Cycle(circuits[at].id));
            }
            path.push(at);
            match circuits[at].parent {
                Some(p) => {
                    at = *index
                        .get(&p)
                        .ok_or(AllocationError::UnknownCircuit(c.id, p))?
                }
                None => break,
            }
        }
        paths.push(path);
    }
    let consume = |room: &mut Vec<[Amps; 3]>, path: &[usize], phases: &[Phase], amps: Amps| {
        for &node in path {
            for &ph in phases {
                room[node][ph] -= amps;
            }
        }
    };
    let fits = |room: &Vec<[Amps; 3]>, path: &[usize], phases: &[Phase], amps: Amps| {
        path.iter()
            .all(|&node| phases.iter().all(|&ph| room[node][ph] + EPS >= amps))
    };

    let mut result: Vec<Allocation> = chargers
        .iter()
        .map(|c| Allocation {
            charger: c.id,
            current: 0.0,
            phases: c.phases.clone(),
            reason: Reason::Idle,
        })
        .collect();
    // Unmanaged load first: it takes what it takes.
    for (i, c) in chargers.iter().enumerate() {
        if !c.managed {
            consume(&mut room, &paths[i], &c.phases, c.max_current);
            result[i].current = c.max_current;
            result[i].reason = Reason::Unmanaged;
        }
    }
    // Priority levels, highest first.
    let mut levels: Vec<i32> = chargers
        .iter()
        .filter(|c| c.managed && c.active)
        .map(|c| c.priority)
        .collect();
    levels.sort_unstable_by(|a, b| b.cmp(a));
    levels.dedup();
    for level in levels {
        let members: Vec<usize> = (0..chargers.len())
            .filter(|&i| chargers[i].managed && chargers[i].active && chargers[i].priority == level)
            .collect();
        // Minimums, in a stable order (id) so the outcome does not depend on input order.
        let mut admitted = Vec::new();
        let mut by_id = members.clone();
        by_id.sort_by_key(|&i| chargers[i].id);
        for i in by_id {
            let c = &chargers[i];
            let min = c.min_current.max(0.0);
            if fits(&room, &paths[i], &c.phases, min) {
                consume(&mut room, &paths[i], &c.phases, min);
                result[i].current = min;
                admitted.push(i);
            } else {
                result[i].reason = Reason::Paused;
            }
        }
        // Progressive filling above the minimums.
        let cap = |i: usize| {
            let c = &chargers[i];
            let mut cap = c.max_current;
            if let Some(draw) = c.measured_draw {
                cap = cap.min((draw + DRAW_MARGIN).max(c.min_current));
            }
            cap
        };
        let mut open: Vec<usize> = admitted.clone();
        for &i in &admitted {
            if result[i].current + EPS >= cap(i) {
                result[i].reason = Reason::AtCap;
            }
        }
        open.retain(|&i| result[i].current + EPS < cap(i));
        while !open.is_empty() {
            // How many open chargers draw on each (circuit, phase).
            let mut users: HashMap<(usize, Phase), usize> = HashMap::new();
            for &i in &open {
                for &node in &paths[i] {
                    for &ph in &chargers[i].phases {
                        *users.entry((node, ph)).or_insert(0) += 1;
                    }
                }
            }
            let mut step = open
                .iter()
                .map(|&i| cap(i) - result[i].current)
                .fold(Amps::INFINITY, Amps::min);
            for (&(node, ph), &n) in &users {
                step = step.min(room[node][ph].max(0.0) / n as Amps);
            }
            for &i in &open {
                result[i].current += step;
                consume(&mut room, &paths[i], &chargers[i].phases, step);
            }
            let full = |node: usize, ph: Phase, room: &Vec<[Amps; 3]>| room[node][ph] <= EPS;
            let mut still_open = Vec::with_capacity(open.len());
            for &i in &open {
                if result[i].current + EPS >= cap(i) {
                    result[i].reason = Reason::AtCap;
                } else if paths[i]
                    .iter()
                    .any(|&node| chargers[i].phases.iter().any(|&ph| full(node, ph, &room)))
                {
                    result[i].reason = Reason::CircuitLimit;
                } else {
                    still_open.push(i);
                }
            }
            if still_open.len() == open.len() && step <= EPS {
                // No progress possible (numerical corner): stop with what everyone has.
                for &i in &still_open {
                    result[i].reason = Reason::CircuitLimit;
                }
                break;
            }
            open = still_open;
        }
    }
    for a in &mut result {
        a.current = (a.current * 10.0 + EPS).floor() / 10.0;
    }
    Ok(result)
}

/// Zaptec's three-to-one phase switch: a managed three-phase session whose share per phase is
/// below `switch_current` (including one paused because its minimum does not fit on three
/// phases) charges on one phase instead, the least loaded of its own, where the same current
/// per phase goes further. The allocation then runs again with those sessions on one phase.
pub fn allocate_with_phase_switch(
    circuits: &[Circuit],
    chargers: &[ChargerLoad],
    switch_current: Option<Amps>,
) -> Result<Vec<Allocation>, AllocationError> {
    let first = allocate(circuits, chargers)?;
    let Some(limit) = switch_current.filter(|l| *l > 0.0) else {
        return Ok(first);
    };
    let mut load = [0.0; 3];
    for a in &first {
        for &p in &a.phases {
            load[p] += a.current;
        }
    }
    let mut switched = chargers.to_vec();
    let mut any = false;
    for (c, a) in switched.iter_mut().zip(&first) {
        if c.managed && c.active && c.phases.len() == 3 && a.current + EPS < limit {
            for &p in &a.phases {
                load[p] -= a.current;
            }
            let best = c
                .phases
                .iter()
                .copied()
                .min_by(|x, y| load[*x].total_cmp(&load[*y]))
                .unwrap_or(0);
            load[best] += c.min_current;
            c.phases = vec![best];
            any = true;
        }
    }
    if !any {
        return Ok(first);
    }
    allocate(circuits, &switched)
}

/// Orders the changes so that no limit is exceeded while they are applied one by one: every
/// decrease (and pause) first, then the increases.
pub fn apply_order(previous: &HashMap<u64, Amps>, next: &[Allocation]) -> Vec<(u64, Amps)> {
    let mut down = Vec::new();
    let mut up = Vec::new();
    for a in next {
        let before = previous.get(&a.charger).copied().unwrap_or(0.0);
        if (a.current - before).abs() <= EPS {
            continue;
        }
        if a.current < before {
            down.push((a.charger, a.current));
        } else {
            up.push((a.charger, a.current));
        }
    }
    down.extend(up);
    down
}

/// The site phases a charger draws on, from its phase count and Volttime-style phase rotation
/// (`RST` = L1 L2 L3, `STR`, ...; single-phase `R`/`S`/`T` or `L1`/`L2`/`L3`).
pub fn phases_from_rotation(rotation: Option<&str>, number_of_phases: usize) -> Vec<Phase> {
    let letter = |c: char| match c {
        'R' => Some(0),
        'S' => Some(1),
        'T' => Some(2),
        _ => None,
    };
    let mut phases: Vec<Phase> = match rotation {
        Some("L1") => vec![0],
        Some("L2") => vec![1],
        Some("L3") => vec![2],
        Some(r) => r.chars().filter_map(letter).collect(),
        None => vec![0, 1, 2],
    };
    if phases.is_empty() {
        phases = vec![0, 1, 2];
    }
    phases.truncate(number_of_phases.clamp(1, 3));
    phases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(max: Amps) -> Circuit {
        Circuit {
            id: 1,
            parent: None,
            max_current: [max; 3],
        }
    }

    fn charger(id: u64, phases: Vec<Phase>) -> ChargerLoad {
        ChargerLoad {
            id,
            circuit: 1,
            phases,
            priority: 0,
            min_current: 6.0,
            max_current: 32.0,
            managed: true,
            active: true,
            measured_draw: None,
        }
    }

    fn load_per_phase(
        circuits: &[Circuit],
        chargers: &[ChargerLoad],
        out: &[Allocation],
        circuit: u64,
    ) -> [Amps; 3] {
        let mut load = [0.0; 3];
        for (c, a) in chargers.iter().zip(out) {
            // Walk up to see whether `circuit` is on its path.
            let mut at = Some(c.circuit);
            let mut on_path = false;
            while let Some(id) = at {
                if id == circuit {
                    on_path = true;
                }
                at = circuits.iter().find(|x| x.id == id).and_then(|x| x.parent);
            }
            if on_path {
                for &p in &a.phases {
                    load[p] += a.current;
                }
            }
        }
        load
    }

    #[test]
    fn shares_a_fuse_equally_and_never_exceeds_it() {
        let circuits = vec![site(32.0)];
        let chargers: Vec<_> = (1..=4).map(|i| charger(i, vec![0, 1, 2])).collect();
        let out = allocate(&circuits, &chargers).unwrap();
        assert!(
            out.iter().all(|a| (a.current - 8.0).abs() < 0.11),
            "{out:?}"
        );
        assert!(load_per_phase(&circuits, &chargers, &out, 1)
            .iter()
            .all(|l| *l <= 32.0 + 1e-9));
    }

    #[test]
    fn pauses_sessions_whose_minimum_does_not_fit() {
        let circuits = vec![site(16.0)];
        let chargers: Vec<_> = (1..=3).map(|i| charger(i, vec![0, 1, 2])).collect();
        let out = allocate(&circuits, &chargers).unwrap();
        let paused: Vec<_> = out.iter().filter(|a| a.reason == Reason::Paused).collect();
        assert_eq!(
            paused.len(),
            1,
            "two minimums of 6 A fit in 16 A, a third does not: {out:?}"
        );
        assert_eq!(paused[0].current, 0.0);
        assert!(out
            .iter()
            .filter(|a| a.reason != Reason::Paused)
            .all(|a| (a.current - 8.0).abs() < 0.11));
    }

    #[test]
    fn single_phase_chargers_load_only_their_phase() {
        let circuits = vec![site(32.0)];
        let mut chargers = vec![
            charger(1, vec![1]),
            charger(2, vec![1]),
            charger(3, vec![0]),
        ];
        chargers[2].max_current = 16.0;
        let out = allocate(&circuits, &chargers).unwrap();
        assert_eq!(out[0].current, 16.0);
        assert_eq!(out[1].current, 16.0);
        assert_eq!(
            out[2].current, 16.0,
            "phase 1 is free for the third: {out:?}"
        );
        assert_eq!(out[2].reason, Reason::AtCap);
    }

    #[test]
    fn unused_current_goes_to_the_others() {
        let circuits = vec![site(32.0)];
        let mut chargers: Vec<_> = (1..=2).map(|i| charger(i, vec![0, 1, 2])).collect();
        chargers[0].measured_draw = Some(4.0); // the EV only takes 4 A
        let out = allocate(&circuits, &chargers).unwrap();
        assert_eq!(
            out[0].current, 6.0,
            "keeps its minimum (4 A drawn + 2 A margin)"
        );
        assert_eq!(out[1].current, 26.0);
    }

    #[test]
    fn respects_every_circuit_on_the_path_and_priorities() {
        let circuits = vec![
            site(64.0),
            Circuit {
                id: 2,
                parent: Some(1),
                max_current: [16.0; 3],
            },
        ];
        let mut chargers: Vec<_> = (1..=4).map(|i| charger(i, vec![0, 1, 2])).collect();
        chargers[0].circuit = 2;
        chargers[1].circuit = 2;
        chargers[3].priority = 1;
        let out = allocate(&circuits, &chargers).unwrap();
        let currents: Vec<Amps> = out.iter().map(|a| a.current).collect();
        // The priority charger first (32 A); the sub-circuit's 16 A shared by its two chargers;
        // the rest of the main fuse to the third.
        assert_eq!(currents, vec![8.0, 8.0, 16.0, 32.0], "{out:?}");
        assert_eq!(out[0].reason, Reason::CircuitLimit);
        assert!(load_per_phase(&circuits, &chargers, &out, 2)
            .iter()
            .all(|l| *l <= 16.0 + 1e-9));
        assert!(load_per_phase(&circuits, &chargers, &out, 1)
            .iter()
            .all(|l| *l <= 64.0 + 1e-9));
    }

    #[test]
    fn unmanaged_chargers_count_at_their_maximum() {
        let circuits = vec![site(32.0)];
        let mut chargers: Vec<_> = (1..=2).map(|i| charger(i, vec![0, 1, 2])).collect();
        chargers[0].managed = false;
        chargers[0].max_current = 20.0;
        chargers[0].active = false;
        let out = allocate(&circuits, &chargers).unwrap();
        assert_eq!(out[0].reason, Reason::Unmanaged);
        assert_eq!(out[1].current, 12.0);
    }

    #[test]
    fn decreases_are_applied_before_increases() {
        let previous: HashMap<u64, Amps> = [(1, 16.0), (2, 16.0)].into();
        let next = vec![
            Allocation {
                charger: 1,
                current: 24.0,
                phases: vec![0],
                reason: Reason::AtCap,
            },
            Allocation {
                charger: 2,
                current: 8.0,
                phases: vec![0],
                reason: Reason::AtCap,
            },
        ];
        assert_eq!(apply_order(&previous, &next), vec![(2, 8.0), (1, 24.0)]);
    }

    #[test]
    fn phase_rotation_maps_connector_phases_to_site_phases() {
        assert_eq!(phases_from_rotation(Some("STR"), 3), vec![1, 2, 0]);
        assert_eq!(phases_from_rotation(Some("S"), 1), vec![1]);
        assert_eq!(phases_from_rotation(Some("L3"), 1), vec![2]);
        assert_eq!(phases_from_rotation(None, 1), vec![0]);
        assert_eq!(phases_from_rotation(Some("RST"), 1), vec![0]);
    }

    #[test]
    fn refuses_unknown_circuits_and_cycles() {
        let circuits = vec![
            Circuit {
                id: 1,
                parent: Some(2),
                max_current: [10.0; 3],
            },
            Circuit {
                id: 2,
                parent: Some(1),
                max_current: [10.0; 3],
            },
        ];
        assert!(matches!(
            allocate(&circuits, &[charger(1, vec![0])]),
            Err(AllocationError::Cycle(_))
        ));
        let mut c = charger(1, vec![0]);
        c.circuit = 9;
        assert!(matches!(
            allocate(&[site(10.0)], &[c]),
            Err(AllocationError::UnknownCircuit(1, 9))
        ));
    }

    /// Randomised: for many sites, no circuit phase is ever exceeded and every admitted session
    /// has at least its minimum.
    #[test]
    fn never_exceeds_any_limit_on_random_sites() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..300 {
            let mut circuits = vec![Circuit {
                id: 1,
                parent: None,
                max_current: [16.0 + rand(48) as f64; 3],
            }];
            for id in 2..(2 + rand(4)) {
                circuits.push(Circuit {
                    id,
                    parent: Some(1 + rand(id - 1)),
                    max_current: [6.0 + rand(40) as f64; 3],
                });
            }
            let chargers: Vec<ChargerLoad> = (1..=(1 + rand(12)))
                .map(|id| ChargerLoad {
                    id,
                    circuit: 1 + rand(circuits.len() as u64),
                    phases: if rand(2) == 0 {
                        vec![rand(3) as usize]
                    } else {
                        vec![0, 1, 2]
                    },
                    priority: rand(2) as i32,
                    min_current: 6.0,
                    max_current: 6.0 + rand(27) as f64,
                    managed: rand(10) != 0,
                    active: rand(5) != 0,
                    measured_draw: if rand(3) == 0 {
                        Some(rand(32) as f64)
                    } else {
                        None
                    },
                })
                .collect();
            let out = allocate(&circuits, &chargers).unwrap();
            for c in &circuits {
                let load = load_per_phase(&circuits, &chargers, &out, c.id);
                // Unmanaged chargers may overload a circuit by themselves; managed ones never add to it then.
                let unmanaged = load_per_phase(
                    &circuits,
                    &chargers,
                    &out.iter()
                        .zip(&chargers)
                        .map(|(a, ch)| Allocation {
                            current: if ch.managed { 0.0 } else { a.current },
                            ..a.clone()
                        })
                        .collect::<Vec<_>>(),
                    c.id,
                );
                for p in 0..3 {
                    assert!(
                        load[p] <= c.max_current[p].max(unmanaged[p]) + 1e-6,
                        "circuit {} phase {p}: {load:?} > {:?}; {out:?}",
                        c.id,
                        c.max_current
                    );
                }
            }
            for (a, ch) in out.iter().zip(&chargers) {
                if ch.managed && ch.active && a.reason != Reason::Paused {
                    assert!(
                        a.current + 1e-9 >= ch.min_current.min(ch.max_current),
                        "{a:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn sessions_below_the_switch_current_move_to_one_phase() {
        // 16 A on three phases for four three-phase sessions: 4 A each, below a 6 A minimum.
        let circuits = vec![site(16.0)];
        let chargers: Vec<_> = (1..=4).map(|i| charger(i, vec![0, 1, 2])).collect();
        let plain = allocate(&circuits, &chargers).unwrap();
        assert_eq!(
            plain.iter().filter(|a| a.reason == Reason::Paused).count(),
            2,
            "{plain:?}"
        );
        let out = allocate_with_phase_switch(&circuits, &chargers, Some(10.0)).unwrap();
        // All four now fit, each on its own phase or sharing one, never above 16 A a phase.
        assert!(out.iter().all(|a| a.phases.len() == 1), "{out:?}");
        assert!(out.iter().all(|a| a.current >= 6.0), "{out:?}");
        let load = load_per_phase(&circuits, &chargers_with(&chargers, &out), &out, 1);
        assert!(load.iter().all(|l| *l <= 16.0 + 1e-9), "{load:?}");
        // Without a switch current nothing moves.
        assert_eq!(
            allocate_with_phase_switch(&circuits, &chargers, None).unwrap(),
            plain
        );
    }

    fn chargers_with(chargers: &[ChargerLoad], out: &[Allocation]) -> Vec<ChargerLoad> {
        chargers
            .iter()
            .zip(out)
            .map(|(c, a)| ChargerLoad {
                phases: a.phases.clone(),
                ..c.clone()
            })
            .collect()
    }
}
