//! The promise as a property of the pure core: whatever a seeded fault schedule does to the
//! receiver, the pulses and the system clock, no PPS sample leaves the engine more than 10 µs
//! off the truth and no coarse sample more than 50 ms off (a wrong second is 1 s), real clock
//! steps are followed at the next edge, and healthy seconds still make samples.
//!
//! The world (tests/support/world.rs) is SIMULATED: receiver, PPS pin and clocks. Why this test
//! takes a few seconds: it runs 600 schedules of two simulated hours each (1200 h) in a debug
//! build. `cargo bench -p timed-core --bench faults` runs a longer storm and prints figures.
#![forbid(unsafe_code)]

#[path = "support/world.rs"]
mod world;

use world::{run, Schedule};

const SCHEDULES: u64 = 600;
const SECONDS: i64 = 7200;

#[test]
fn no_fault_schedule_gets_a_wrong_sample_past_the_engine() {
    let mut failures = Vec::new();
    let (mut healthy, mut healthy_sent, mut pps, mut coarse) = (0, 0, 0, 0);
    let mut follow: Vec<f64> = Vec::new();
    for seed in 0..SCHEDULES {
        let s = Schedule::generate(seed, SECONDS);
        let o = run(&s);
        if !o.violations.is_empty() {
            failures.push(format!(
                "seed {seed}: {} wrong, first: {}\n  {s:?}",
                o.violations.len(),
                o.violations[0]
            ));
        }
        healthy += o.healthy;
        healthy_sent += o.healthy_sent;
        pps += o.pps_sent;
        coarse += o.coarse_sent;
        follow.extend(o.step_follow_s);
    }
    let hours = SCHEDULES as f64 * SECONDS as f64 / 3600.0;
    follow.sort_by(f64::total_cmp);
    let worst_follow = follow.last().copied().unwrap_or(0.0);
    eprintln!(
        "{SCHEDULES} schedules, {hours:.0} simulated hours: {pps} PPS and {coarse} coarse samples, \
         {} schedules with wrong samples; healthy seconds with a PPS sample {healthy_sent}/{healthy}; \
         {} clock steps followed, worst after {worst_follow:.3} s",
        failures.len(),
        follow.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Not passing by sending nothing: healthy seconds make PPS samples.
    assert!(healthy > 0 && healthy_sent * 1000 >= healthy * 995, "{healthy_sent}/{healthy}");
    assert!(!follow.is_empty(), "the schedules must include steps in quiet periods");
    assert!(worst_follow <= 1.5, "a clock step was followed only after {worst_follow} s");
}

#[test]
fn the_world_catches_a_wrong_second_when_the_engine_is_bypassed() {
    // The checker itself can fail: a schedule with a wrong-second window, judged by a checker
    // fed the wrong label as if it were a sample, must report it. (Guards against a world that
    // can never see a violation.)
    let s = Schedule {
        faults: vec![world::Fault { kind: world::Kind::WrongSecond { by_s: 1 }, from: 0, to: 100 }],
        ..Schedule::generate(1, 100)
    };
    let o = run(&s);
    // Wrong from the very first second: nothing to count against, so the engine takes the
    // receiver's word. That is the one undetectable case, and the world must say so.
    assert!(
        !o.violations.is_empty(),
        "a receiver wrong from the start is not detectable: the world must flag it"
    );
}
