//! The fault storm at length: seeded fault schedules (tests/support/world.rs: wrong seconds of
//! any length, label jumps, dropped, duplicated and glitch edges, moved pulses, system clock
//! steps and slews, absurd dates and qErr, silence, fix loss, combinations; all SIMULATED)
//! through the engine. `cargo bench -p timed-core --bench faults [-- SCHEDULES HOURS]` prints
//! one `faults:` line and `FAULTS <name> <value>` figures. Figures, not assertions — but a
//! wrong sample is an error (exit 1): the count must be 0.
#![forbid(unsafe_code)]

#[path = "../tests/support/world.rs"]
mod world;

use std::time::Instant;
use world::{run, Schedule};

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let schedules = args.first().copied().unwrap_or(5000);
    let hours = args.get(1).copied().unwrap_or(6);
    let seconds = hours as i64 * 3600;
    let t = Instant::now();
    let (mut wrong, mut bad_schedules, mut pps, mut coarse, mut healthy, mut healthy_sent) =
        (0, 0, 0, 0, 0, 0);
    let mut follow = Vec::new();
    let mut first_bad = None;
    for seed in 1_000_000..1_000_000 + schedules {
        let o = run(&Schedule::generate(seed, seconds));
        if !o.violations.is_empty() {
            bad_schedules += 1;
            wrong += o.violations.len();
            first_bad.get_or_insert((seed, o.violations[0].clone()));
        }
        pps += o.pps_sent;
        coarse += o.coarse_sent;
        healthy += o.healthy;
        healthy_sent += o.healthy_sent;
        follow.extend(o.step_follow_s);
    }
    let wall = t.elapsed().as_secs_f64();
    follow.sort_by(f64::total_cmp);
    let q =
        |p: f64| follow.get(((follow.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
    let sim_h = schedules * hours;
    println!(
        "faults: {schedules} schedules x {hours} h = {sim_h} simulated hours in {wall:.1} s \
         ({:.0} simulated seconds per second): {pps} PPS + {coarse} coarse samples, {wrong} wrong \
         in {bad_schedules} schedules; healthy seconds sampled {healthy_sent}/{healthy}; \
         {} clock steps followed after min {:.3} s, p50 {:.3} s, max {:.3} s",
        (sim_h * 3600) as f64 / wall,
        follow.len(),
        q(0.0),
        q(0.5),
        q(1.0)
    );
    println!("FAULTS schedules {schedules}");
    println!("FAULTS simulated_hours {sim_h}");
    println!("FAULTS wrong_samples {wrong}");
    println!("FAULTS healthy_sampled {:.6}", healthy_sent as f64 / healthy.max(1) as f64);
    println!("FAULTS step_follow_max_s {:.3}", q(1.0));
    if let Some((seed, v)) = first_bad {
        eprintln!("faults: first wrong sample: seed {seed}: {v}");
        std::process::exit(1);
    }
}
