//! timed against a real chronyd (Debian `chrony`, always `-x`, private paths, ports and command
//! sockets). The receiver and the PPS pin are simulated by timed-sim (they do not exist here);
//! everything else is real, and the assertions are on chrony's own figures (`refclocks.log`,
//! `chronyc`), never on timed's.
#![forbid(unsafe_code)]

use std::process::Command;
use std::time::{Duration, Instant};
use timed_lab::netns::Netns;
use timed_lab::{wait_for, Lab, Options, Output};

const TRUTH: f64 = 250e-6;

fn lab(opts: Options) -> Lab {
    Lab::start(opts).unwrap_or_else(|e| panic!("lab: {e}"))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Waits until chrony selects timed's PPS source; returns how long it took.
fn wait_pps_selected(l: &Lab) -> Duration {
    match wait_for(Duration::from_secs(90), || l.selected("PPS")) {
        Ok(t) => t,
        Err(_) => panic!(
            "chrony did not select PPS within 90 s; sources: {:?}\ntimed log:\n{}",
            l.sources(),
            l.timed_log()
        ),
    }
}

/// 7a + 7c: SOCK. PPS selected and at the injected offset; coarse samples within ±5 ms.
#[test]
fn sock_pps_is_selected_at_the_injected_offset_and_coarse_is_within_5ms() {
    // The simulated receiver's message delay varies by ±2 ms here, not the simulator's default
    // ±5 ms: that would fill the whole ±5 ms by itself and leave nothing for timed's own
    // stamping on a shared host (measured at most 1 ms with four CPU hogs on two cores).
    let sim_args = vec!["--message-jitter-ms".to_string(), "2".to_string()];
    let l = lab(Options { ntp_port: 11201, sim_args, ..Options::default() });
    let took = wait_pps_selected(&l);
    std::thread::sleep(Duration::from_secs(8));
    let pps: Vec<f64> = l.refclock_samples("PPS").into_iter().map(|(_, o)| o).collect();
    assert!(pps.len() >= 10, "only {} PPS samples in refclocks.log", pps.len());
    let m = mean(&pps[pps.len() - 10..]);
    assert!((m - TRUTH).abs() < 10e-6, "chrony's raw PPS offset {m:+.9} s, injected {TRUTH:+.9} s");
    let t = l.tracking().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((t.stratum, t.ref_name.as_str()), (1, "PPS"), "{t:?}");
    assert!((t.system_offset - TRUTH).abs() < 10e-6, "tracking system offset {t:?}");
    // 7c: the coarse source, with timed's serial delay equal to the simulator's message delay.
    let coarse: Vec<f64> = l.refclock_samples("GPS").into_iter().map(|(_, o)| o).collect();
    assert!(coarse.len() >= 10, "only {} coarse samples", coarse.len());
    for o in &coarse {
        assert!(
            (o - TRUTH).abs() < 5e-3,
            "coarse raw offset {o:+.6} s, truth {TRUTH:+.6} s: {coarse:?}\n{}",
            coarse_breakdown(&l)
        );
    }
    println!(
        "PPS selected after {:.1} s; PPS mean {:+.3} us; coarse mean {:+.3} ms (n={})",
        took.as_secs_f64(),
        m * 1e6,
        mean(&coarse) * 1e3,
        coarse.len()
    );
}

/// Each coarse sample's error split into the simulator's part (its burst planned at the
/// message delay ± jitter, then written late by the host) and timed's (the rest), from the
/// simulator's truth log: says who to blame when the ±5 ms check fails.
fn coarse_breakdown(l: &Lab) -> String {
    use timed_lab::compare::measure::{raw_samples, truth_lines};
    let log = std::fs::read_to_string(l.dir.join("refclocks.log")).unwrap_or_default();
    let truth = truth_lines(&std::fs::read_to_string(l.dir.join("truth.jsonl")).unwrap_or_default());
    let mut out = String::from("second: error = simulator (planned jitter + written late) + timed\n");
    for s in raw_samples(&log, "GPS") {
        let second = ((s.time_ns as f64 / 1e9) + s.raw_s).round() as i64;
        let Some(t) = truth.iter().find(|t| t.second == second) else { continue };
        let (Some(start), Some(written)) = (t.burst_start_ns, t.burst_written_ns) else { continue };
        let ideal = second * 1_000_000_000 - t.offset_ns;
        let planned = (start - ideal) as f64 / 1e6 - l.opts.message_delay_ms;
        let late = (written - start) as f64 / 1e6;
        let err = (s.raw_s - t.offset_ns as f64 / 1e9) * 1e3;
        out += &format!(
            "{second}: {err:+.3} ms = ({:+.3} {:+.3}) {:+.3}\n",
            -planned,
            -late,
            err + planned + late
        );
    }
    out
}

/// 7b: SHM, PPS on NTP1 selected, coarse on NTP0 noselect.
#[test]
fn shm_pps_on_ntp1_is_selected_at_the_injected_offset() {
    let l = lab(Options { ntp_port: 11203, output: Output::Shm, ..Options::default() });
    wait_pps_selected(&l);
    std::thread::sleep(Duration::from_secs(6));
    let pps: Vec<f64> = l.refclock_samples("PPS").into_iter().map(|(_, o)| o).collect();
    assert!(pps.len() >= 8, "only {} PPS samples", pps.len());
    let m = mean(&pps[pps.len() - 8..]);
    assert!((m - TRUTH).abs() < 10e-6, "chrony's raw SHM PPS offset {m:+.9} s");
    let coarse = l.refclock_samples("GPS");
    assert!(!coarse.is_empty(), "no coarse samples on NTP0");
    let sources = l.sources().unwrap_or_default();
    assert!(sources.iter().any(|s| s.name == "GPS" && s.state != "*"), "{sources:?}");
}

/// 7d: chronyd restarted mid-run: samples reach the new chronyd within 2 s; timed never exits.
#[test]
fn a_restarted_chronyd_gets_samples_within_two_seconds() {
    let mut l = lab(Options { ntp_port: 11202, ..Options::default() });
    wait_for(Duration::from_secs(30), || l.refclock_samples("PPS").len() >= 3)
        .unwrap_or_else(|_| panic!("no PPS samples before the restart\n{}", l.timed_log()));
    for round in 0..2 {
        l.restart_chronyd().unwrap_or_else(|e| panic!("{e}"));
        let restarted = Instant::now();
        let before = l.refclock_samples("PPS").len();
        let got = wait_for(Duration::from_secs(5), || l.refclock_samples("PPS").len() > before);
        let took = restarted.elapsed();
        assert!(got.is_ok() && took <= Duration::from_secs(2), "round {round}: first sample after {took:?}");
        assert!(l.timed_alive(), "timed exited");
        println!(
            "round {round}: new chronyd got a sample {:.2} s after its socket appeared",
            took.as_secs_f64()
        );
    }
    // timed said so, once per change, and recovered.
    let log = l.timed_log();
    assert!(
        log.contains("chrony sink failing") || log.matches("chrony sink delivering").count() >= 1,
        "{log}"
    );
}

/// 7e: a LAN client in another network namespace sees stratum 1 and the injected offset.
#[test]
fn a_lan_client_in_another_namespace_sees_stratum_1() {
    let ns = Netns::pair("e2e").unwrap_or_else(|e| panic!("{e}"));
    let l = lab(Options {
        ntp_port: 123,
        bind_address: ns.server_ip.clone(),
        allow: format!("{}/24", ns.server_ip),
        netns: Some(ns.server.clone()),
        ..Options::default()
    });
    wait_for(Duration::from_secs(90), || l.tracking().is_ok_and(|t| t.stratum == 1))
        .unwrap_or_else(|_| panic!("no stratum 1: {:?}\n{}", l.sources(), l.timed_log()));
    // Let chronyd's (virtual, -x) correction settle before clients measure it.
    std::thread::sleep(Duration::from_secs(10));
    let out = Command::new("timeout")
        .args(["20", "ip", "netns", "exec", ns.client(), "ntpdig", "-j", "-p", "4", "-t", "2", &ns.server_ip])
        .output()
        .unwrap_or_else(|e| panic!("ntpdig: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text.lines().find(|l| l.trim_start().starts_with('{')).unwrap_or_default();
    let num = |key: &str| -> Option<f64> {
        let i = json.find(&format!("\"{key}\":"))? + key.len() + 3;
        json[i..].split([',', '}']).next()?.trim().parse().ok()
    };
    assert_eq!(num("stratum"), Some(1.0), "ntpdig: {text} {}", String::from_utf8_lossy(&out.stderr));
    // ntpdig (Python, user-space timestamps) gives stratum and a rough offset: of 4 exchanges it
    // reports the one with the smallest synchronisation distance (its "precision" field), so
    // one exchange whose stamps a busy host delayed does not count; chronyd -Q (kernel
    // timestamps, best of 4 exchanges) measures the offset to assert on precisely.
    let rough = num("offset").unwrap_or(f64::NAN);
    assert!((rough - TRUTH).abs() < 500e-6, "ntpdig offset {rough:+.9} s: {text}");
    let out = Command::new("timeout")
        .args(["30", "ip", "netns", "exec", ns.client(), "chronyd", "-Q", "-u", "root", "-t", "15"])
        .arg(format!("server {} iburst maxsamples 4", ns.server_ip))
        .output()
        .unwrap_or_else(|e| panic!("chronyd -Q: {e}"));
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    // "System clock wrong by 0.000250123 seconds" (server − local)
    let offset: f64 = text
        .split("wrong by ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("chronyd -Q: {text}"));
    assert!((offset - TRUTH).abs() < 50e-6, "client offset {offset:+.9} s, injected {TRUTH:+.9} s");
    println!(
        "LAN client in {}: ntpdig stratum 1 ({:+.1} us), chronyd -Q {:+.3} us",
        ns.client(),
        rough * 1e6,
        offset * 1e6
    );
}

/// The receiver vanishes (its pty disappears, as a USB receiver unplugged) and comes back:
/// timed reports the degraded state once, keeps running, and feeds chrony again.
#[test]
fn a_vanished_receiver_is_a_degraded_state_and_recovers() {
    let mut l = lab(Options { ntp_port: 11204, ..Options::default() });
    wait_for(Duration::from_secs(30), || l.refclock_samples("PPS").len() >= 3)
        .unwrap_or_else(|_| panic!("no samples\n{}", l.timed_log()));
    l.stop_sim();
    std::thread::sleep(Duration::from_secs(5));
    assert!(l.timed_alive(), "timed exited when the receiver vanished");
    let before = l.refclock_samples("PPS").len();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(l.refclock_samples("PPS").len(), before, "samples without a receiver?");
    l.start_sim_again().unwrap_or_else(|e| panic!("{e}"));
    wait_for(Duration::from_secs(30), || l.refclock_samples("PPS").len() > before)
        .unwrap_or_else(|_| panic!("no samples after the receiver came back\n{}", l.timed_log()));
    let log = l.timed_log();
    assert!(log.contains("receiver serial lost") || log.contains("receiver serial unavailable"), "{log}");
    assert!(log.contains("PPS lost: acquiring"), "{log}");
    assert!(log.matches("receiver serial open").count() >= 2, "{log}");
    assert!(l.timed_alive());
}
