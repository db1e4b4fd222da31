//! Benchmark of the load allocator (issue 6): one site with 1,000 chargers, and 10,000 sites of
//! 10 chargers. Run: `cargo run --release -p voltgate-core --example allocation_bench`.

use std::time::Instant;

use voltgate_core::allocation::{allocate, ChargerLoad, Circuit};

fn site(chargers: u64, circuits: u64, seed: &mut u64) -> (Vec<Circuit>, Vec<ChargerLoad>) {
    let mut rand = |n: u64| {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed % n
    };
    let mut cs = vec![Circuit {
        id: 1,
        parent: None,
        max_current: [chargers as f64 * 8.0; 3],
    }];
    for id in 2..=circuits {
        cs.push(Circuit {
            id,
            parent: Some(1),
            max_current: [chargers as f64 * 16.0 / circuits as f64; 3],
        });
    }
    let loads = (1..=chargers)
        .map(|id| ChargerLoad {
            id,
            circuit: 1 + rand(circuits),
            phases: if rand(3) == 0 {
                vec![rand(3) as usize]
            } else {
                vec![0, 1, 2]
            },
            priority: rand(3) as i32,
            min_current: 6.0,
            max_current: 16.0 + rand(17) as f64,
            managed: true,
            active: rand(4) != 0,
            measured_draw: if rand(4) == 0 {
                Some(rand(32) as f64)
            } else {
                None
            },
        })
        .collect();
    (cs, loads)
}

fn main() {
    let mut seed = 0x9E3779B97F4A7C15u64;
    let (circuits, chargers) = site(1_000, 20, &mut seed);
    let runs = 50;
    let started = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(allocate(&circuits, &chargers).unwrap());
    }
    let per = started.elapsed() / runs;
    println!(
        "one site, 1,000 chargers, 20 circuits: {:.2} ms per recomputation",
        per.as_secs_f64() * 1e3
    );

    let sites: Vec<_> = (0..10_000).map(|_| site(10, 2, &mut seed)).collect();
    let started = Instant::now();
    for (c, l) in &sites {
        std::hint::black_box(allocate(c, l).unwrap());
    }
    let total = started.elapsed();
    println!(
        "10,000 sites of 10 chargers: {:.1} ms in all, {:.1} µs per site",
        total.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e6 / 10_000.0
    );
}
