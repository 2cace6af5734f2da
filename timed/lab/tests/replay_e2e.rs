//! F1 regression tests: scenario replays against a real, sandboxed chronyd (always `-x`). The
//! simulator plays a fault scenario, timed feeds chronyd, and the audit holds every sample
//! chrony logged in refclocks.log against the simulator's truth log: no wrong-second sample, no
//! sample a fault should have blocked, and PPS samples in the healthy seconds (so the tests
//! cannot pass by sending nothing).
//!
//! SLOW: about 100 s (faults.toml, 90 simulated seconds), 130 s (wrong-second-20s.toml, 125
//! simulated seconds), 155 s (storm.toml, 150 simulated seconds) and 235 s
//! (integrity-storm.toml, 230 simulated seconds), all four at once in one test: about 4 min for
//! this file on the shared 2-core host. The scenarios run in real time: the simulator sends
//! each PPS edge at the system time it stamps, and timed and chronyd judge samples against
//! their own clocks, so there is no skipping ahead. The 125 s are the price of the 20 s window starting at second 95: chrony has
//! long locked to PPS by then, and the mislabelled seconds outlast any short plausibility window.
//!
//! Needs `cargo build -p timed -p timed-sim` first (the lab drives those binaries) and root
//! (chronyd). Private ports 11377–11380 (no metrics endpoint), apart from the other suites.
#![forbid(unsafe_code)]

use std::path::Path;
use std::time::Duration;
use timed_lab::audit::{Limits, Report};
use timed_lab::side_by_side::side_by_side;
use timed_lab::{wait_for, Lab, Options};

/// A 230 s scenario plus the simulator's and chronyd's start-up on a busy 2-core host.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(350);

/// Replays a shipped scenario with the lab's defaults (+250 µs truth, 120 ms message and serial
/// delay, seed 1) and audits what chrony received, once the scenario has ended.
fn replay(scenario: &str, ntp_port: u16) -> (Report, String) {
    let (report, log, _) = replay_with_snapshot(scenario, ntp_port);
    (report, log)
}

/// As [`replay`], with timed's snapshot (docs/control.md) taken when the scenario has ended.
fn replay_with_snapshot(scenario: &str, ntp_port: u16) -> (Report, String, serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/scenarios").join(scenario);
    assert!(path.is_file(), "{} missing", path.display());
    let opts = Options { ntp_port, scenario: Some(path), ..Options::default() };
    let mut lab = Lab::start(opts).unwrap_or_else(|e| panic!("lab: {e}"));
    if wait_for(SCENARIO_TIMEOUT, || !lab.sim_running()).is_err() {
        panic!("{scenario} did not end within {SCENARIO_TIMEOUT:?}; timed log:\n{}", lab.timed_log());
    }
    // The last edges wait for the bursts that label them; let their samples reach the log.
    std::thread::sleep(Duration::from_secs(5));
    let report = lab.audit(&Limits::default()).unwrap_or_else(|e| panic!("audit of {scenario}: {e}"));
    println!("{scenario}:\n{}", report.text());
    if !report.is_clean() {
        // Both logs (and timed's) stay for a look at the offending samples.
        lab.opts.keep_dir = true;
        println!("{scenario}: lab directory kept: {}", lab.dir.display());
    }
    let snapshot = lab.snapshot().unwrap_or_else(|e| panic!("snapshot after {scenario}: {e}"));
    (report, lab.timed_log(), snapshot)
}

/// What every replay must show. The report is in every failure message.
fn assert_nothing_wrong_reached_chrony(scenario: &str, report: &Report, timed_log: &str) {
    let text = report.text();
    let Some(pps) = report.refclock("PPS") else {
        panic!("{scenario}: chrony logged no PPS sample at all\n{text}\ntimed log:\n{timed_log}")
    };
    // The healthy seconds still give chrony PPS samples (today 44 of 48 in faults.toml: the
    // rest follow a fault by a second or two while timed relocks), also after the last fault.
    assert!(
        pps.healthy_after_first > 0 && pps.healthy_with_sample * 2 >= pps.healthy_after_first,
        "{scenario}: PPS samples in only {} of {} healthy seconds\n{text}",
        pps.healthy_with_sample,
        pps.healthy_after_first
    );
    assert!(
        pps.last_index > report.last_fault_index,
        "{scenario}: no PPS sample after the last fault (second {:?}): timed did not recover\n{text}",
        report.last_fault_index
    );
    let wrong = report.with_problem("wrong_second");
    assert!(wrong.is_empty(), "{scenario}: {} wrong-second samples reached chrony (F1)\n{text}", wrong.len());
    let blocked = report.with_problem("blocked");
    assert!(blocked.is_empty(), "{scenario}: {} samples a fault should have blocked\n{text}", blocked.len());
    let unmatched = report.with_problem("unmatched");
    assert!(unmatched.is_empty(), "{scenario}: {} samples with no simulated second\n{text}", unmatched.len());
    // PPS samples carry the simulator's edge stamps, so host load cannot move them: 50 µs is
    // ten times the lab's 5σ jitter. (Coarse samples are not held to their limit here: they
    // include this host's scheduling, which other suites measure under controlled load.)
    assert_eq!(pps.beyond_limit, 0, "{scenario}: PPS samples beyond {} s\n{text}", pps.limit_s);
}

fn faults_scenario_sends_chrony_no_wrong_second_and_no_blocked_sample() {
    let (report, log) = replay("faults.toml", 11377);
    assert_nothing_wrong_reached_chrony("faults.toml", &report, &log);
}

fn wrong_second_20s_scenario_sends_chrony_no_wrong_second_sample() {
    let (report, log) = replay("wrong-second-20s.toml", 11378);
    assert_nothing_wrong_reached_chrony("wrong-second-20s.toml", &report, &log);
}

fn storm_scenario_sends_chrony_no_wrong_second_sample() {
    // A minute a second off with every other fault inside it, then relapses (storm.toml).
    let (report, log) = replay("storm.toml", 11379);
    assert_nothing_wrong_reached_chrony("storm.toml", &report, &log);
}

/// The four replays at once: each lab spends its minutes waiting for real seconds to pass, so
/// they share two cores without crowding them, and the file takes the longest scenario's time
/// instead of two rounds of the test harness's two threads. Every replay's failure is reported.
#[test]
fn scenario_replays_send_chrony_no_wrong_sample() {
    let replays: [(&str, fn()); 4] = [
        ("faults.toml", faults_scenario_sends_chrony_no_wrong_second_and_no_blocked_sample),
        ("wrong-second-20s.toml", wrong_second_20s_scenario_sends_chrony_no_wrong_second_sample),
        ("storm.toml", storm_scenario_sends_chrony_no_wrong_second_sample),
        (
            "integrity-storm.toml",
            integrity_storm_closes_the_gate_for_each_fault_and_sends_nothing_while_closed,
        ),
    ];
    let failed =
        side_by_side(replays.iter().map(|(name, f)| (name.to_string(), Box::new(*f) as _)).collect());
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

fn integrity_storm_closes_the_gate_for_each_fault_and_sends_nothing_while_closed() {
    // antenna_open, jamming, spoofing, a 2 ms time shift, a 500 m position jump, tAcc 5 µs, a
    // power cycle, a shorted antenna and a receiver on a stale leap count, each alone
    // (integrity-storm.toml, SIMULATED receiver faults). The audit
    // holds every sample against the gate: none from a fault's second second until the lab's
    // 5 s hold-off after its last.
    let (report, log, snap) = replay_with_snapshot("integrity-storm.toml", 11380);
    assert_nothing_wrong_reached_chrony("integrity-storm.toml", &report, &log);
    let raised = |name: &str| {
        snap["timed"]["integrity"]["signals"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["signal"] == name))
            .and_then(|s| s["raised"].as_u64())
            .unwrap_or(0)
    };
    for s in ["antenna-open", "jamming", "spoofing", "time-shift", "position-jump", "time-accuracy", "no-fix"]
    {
        assert!(raised(s) >= 1, "signal {s} never raised: {:#}\n{log}", snap["timed"]["integrity"]);
    }
    assert!(snap["timed"]["integrity"]["withheld"].as_u64() > Some(0), "{:#}", snap["timed"]["integrity"]);
    assert_eq!(snap["timed"]["integrity"]["state"], "open", "the gate reopened after the storm");
}
