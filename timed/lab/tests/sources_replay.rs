//! The time-shift check against chrony's other sources, with real chronyds (always `-x`): a
//! second, private chronyd serves NTP from this machine's clock (`local stratum 3`) and the
//! lab's chronyd measures it as a `noselect` server beside timed's refclocks. Two labs at once:
//! the simulated receiver 250 µs from the system clock (agreeing with the server), and 50 ms
//! from it — a receiver whose time and pulse moved together, which its own pulse history cannot
//! see because it was never anywhere else. timed must hold the second (`time-shift`, from
//! chrony's sources) and keep sending the first.
//!
//! What is simulated: only the receiver and its PPS pin (timed-sim); the "network" is the
//! loopback and the NTP server is this machine's own clock served by chronyd.
//!
//! SLOW: 70 s (the scenario runs in real time; timed reads chronyd's sources every 10 s and
//! chrony needs a few polls of the server first). Needs `cargo build -p timed -p timed-sim`
//! first and root (chronyd). Private ports 11398 (the NTP server), 11399 and 11400.
#![forbid(unsafe_code)]

use std::time::Duration;
use timed_lab::audit::Limits;
use timed_lab::{wait_for, Chronyd, Lab, Options, Scratch};

const SECONDS: u64 = 70;

/// Runs one lab against the NTP server on port 11398; returns (scenario index of the last PPS
/// sample chrony logged, how often time-shift was raised, the gate's state, timed's log).
fn run(truth_offset_s: f64, ntp_port: u16) -> (Option<u64>, u64, String, String) {
    let dir = Scratch::new("sources-scenario").unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, format!("seed = 13\nseconds = {SECONDS}\n")).unwrap_or_else(|e| panic!("{e}"));
    let opts = Options {
        ntp_port,
        truth_offset_s,
        scenario: Some(path),
        chrony_extra: "server 127.0.0.1 port 11398 iburst minpoll 0 maxpoll 0 noselect\n".into(),
        ..Options::default()
    };
    let mut lab = Lab::start(opts).unwrap_or_else(|e| panic!("lab: {e}"));
    if wait_for(Duration::from_secs(SECONDS + 60), || !lab.sim_running()).is_err() {
        panic!("the scenario did not end; timed log:\n{}", lab.timed_log());
    }
    std::thread::sleep(Duration::from_secs(3));
    let snap = lab.snapshot().unwrap_or_else(|e| panic!("snapshot: {e}"));
    let report = lab.audit(&Limits::default()).unwrap_or_else(|e| panic!("audit: {e}"));
    assert!(report.with_problem("wrong_second").is_empty(), "{}", report.text());
    let last = report.refclock("PPS").and_then(|r| r.last_index);
    let raised = snap["timed"]["integrity"]["signals"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["signal"] == "time-shift"))
        .and_then(|s| s["raised"].as_u64())
        .unwrap_or(0);
    let state = snap["timed"]["integrity"]["state"].as_str().unwrap_or("?").to_string();
    let sources = lab.chronyc(&["sources"]).unwrap_or_default();
    let log = format!("{}\n{}\nchronyc -c sources:\n{sources}", lab.timed_log(), report.text());
    (last, raised, state, log)
}

#[test]
fn a_receiver_off_the_ntp_sources_is_held_and_one_on_them_is_not() {
    let server = Chronyd::builder()
        .start_scratch(
            "ntp-server",
            "# the other source: this machine's clock served over NTP\nlocal stratum 3\n\
             port 11398\nbindaddress 127.0.0.1\nallow 127.0.0.1\n",
        )
        .unwrap_or_else(|e| panic!("NTP server: {e}"));
    let (agree, off) = std::thread::scope(|s| {
        let agree = s.spawn(|| run(250e-6, 11399));
        let off = s.spawn(|| run(0.050, 11400));
        (agree.join(), off.join())
    });
    drop(server);
    let (agree, off) = (
        agree.unwrap_or_else(|e| std::panic::resume_unwind(e)),
        off.unwrap_or_else(|e| std::panic::resume_unwind(e)),
    );
    // 250 µs: the sources agree, nothing is raised, samples flow to the end.
    let (last, raised, state, log) = agree;
    assert_eq!(raised, 0, "time-shift raised for a receiver on the server's time\n{log}");
    assert_eq!(state, "open", "{log}");
    assert!(last.is_some_and(|i| i >= SECONDS - 5), "PPS samples stopped at {last:?}\n{log}");
    assert!(log.contains("chrony's NTP sources agree with the receiver's time"), "{log}");
    // 50 ms: time-shift from the sources, the gate closed, no PPS sample in the run's second half.
    let (last, raised, state, log) = off;
    assert!(raised >= 1, "time-shift never raised\n{log}");
    assert_eq!(state, "closed", "{log}");
    assert!(log.contains("chrony's NTP sources disagree with the receiver's time"), "{log}");
    assert!(last.is_none_or(|i| i < SECONDS / 2), "PPS samples until index {last:?}\n{log}");
    println!("agreeing receiver: samples to the end; receiver 50 ms off: last PPS sample at index {last:?}");
}
