//! The shipped alert rules on the real thing: a real Prometheus (Debian `prometheus`) evaluates
//! them while scraping real timed daemons in four labs (SIMULATED receiver and PPS pin from
//! timed-sim, real timed, real chronyd -x), and a real Alertmanager (Debian
//! `prometheus-alertmanager`) delivers what fires to a webhook receiver in this test. Every fault
//! kind the simulator can make is run: lab A the receiver's status faults (antenna open/short,
//! jamming, spoofing, tAcc, position jump, time shift, no fix), lab B the lost receiver (silence,
//! power cycle), lab C the stream and count faults (PPS without messages, garbage bytes, a wrong
//! second, a stale leap count against the lab's leap list, one dropped and one duplicated pulse,
//! an announced leap second); then timed is stopped and chronyd restarted. Each fault's alerts
//! must reach Alertmanager's webhook within their detection time and resolve after the fault
//! ends; a benign fault (a single dropped or duplicated pulse, an announced leap that agrees with
//! the list) must page nobody until the next fault; the healthy lab fires nothing but
//! `TimedPpsSimulated` (true in every lab: its PPS is simulated).
//!
//! Slow (about 6.5 minutes, mostly waiting; lab C added nothing to it): each fault lasts 15 s
//! and is followed by 20 s of quiet so its alerts can resolve; losing the receiver's bytes or PPS
//! must last over the rules' 1-minute counter window. Three fault labs run side by side so the
//! run is no longer than lab A's eight faults (checked). To keep it that short Prometheus
//! scrapes and evaluates every second and the rules are a test copy of the shipped file whose
//! ONLY change is `for` divided by 60 (2m -> 2s), derived here and checked line by line.
//! Prints each rule's latency (fault start -> Alertmanager webhook) and resolve time.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "test harness: a failed set-up step should stop the test loudly")]

mod alerts_e2e_support;
#[path = "support/prometheus.rs"]
mod prometheus;

use alerts_e2e_support::{for_scaled, Alertmanager, Hook, Note, AM_PORT, PROM_PORT};
use prometheus::Prometheus;
use std::time::Duration;
use timed_lab::{wait_for, Lab, Options};

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/prometheus/alerts.yml");
/// Scrape and rule evaluation interval of the test Prometheus.
const EVAL_S: f64 = 1.0;
/// What timed and the pipeline add before a rule's expression can hold, beyond its `for`, its
/// counter window and two evaluation intervals: the receiver reports RF and navigation status
/// once a second, timed declares a lost lock after missed pulses, one scrape interval, and
/// Alertmanager's dispatch. Stated here, not hidden in the bound; the printed figures are the
/// real latencies.
const DETECT_S: f64 = 5.0;
/// The first fault, in simulated seconds: after the labs locked and Prometheus has watched them
/// healthy for a while.
const F0: u64 = 90;

/// (kind, extra keys) of each fault in lab A (receiver status faults), and the alerts each must
/// raise: every one closes the integrity gate, and a closed gate puts timed in holdover.
const LAB_A: [(&str, &str, &[&str]); 8] = [
    ("antenna_open", "", &["TimedAntennaFault", "TimedIntegrityGateClosed", "TimedHoldover"]),
    ("antenna_short", "", &["TimedAntennaFault", "TimedIntegrityGateClosed", "TimedHoldover"]),
    (
        "jamming",
        "jam_state = 3\njam_ind = 220\n",
        &["TimedJamming", "TimedIntegrityGateClosed", "TimedHoldover"],
    ),
    ("spoofing", "spoof_state = 2\n", &["TimedSpoofing", "TimedIntegrityGateClosed", "TimedHoldover"]),
    ("tacc_bad", "tacc_ns = 5000\n", &["TimedTimeAccuracyPoor", "TimedIntegrityGateClosed", "TimedHoldover"]),
    ("position_jump", "distance_m = 500.0\n", &["TimedIntegrityGateClosed", "TimedHoldover"]),
    ("time_shift", "shift_ns = 2000000\n", &["TimedIntegrityGateClosed", "TimedHoldover"]),
    ("no_fix", "", &["TimedNoFix", "TimedIntegrityGateClosed", "TimedHoldover"]),
];
const A_LEN: u64 = 15;
const A_GAP: u64 = 20;
/// Lab B: the receiver silent, then power lost (no bytes, no pulses); long enough for the rules'
/// 1-minute counter windows.
const LAB_B: [(&str, &str, &[&str]); 2] = [
    ("silence", "", &["TimedReceiverSilent"]),
    ("power_cycle", "", &["TimedPpsMissing", "TimedPpsNotLocked", "TimedHoldover", "TimedReceiverSilent"]),
];
const B_LEN: u64 = 75;
const B_GAP: u64 = 35;
/// Lab C: the receiver's stream and count faults, each with its own length and quiet after it
/// (kind, extra keys, length s, gap s, alerts). An empty list means the fault is benign and must
/// page nobody: any alert but `TimedPpsSimulated` firing from its start to the next fault fails.
/// `pulse_only` (PPS, no bytes) lasts past the silent rule's 1-minute byte window; `garbage`
/// sends bytes, so the byte counter cannot see it. `stale_leap` is caught against the lab's leap
/// list. `leap` announces the list's own (synthetic) leap second, so it agrees with the list;
/// its `days_ahead` is filled in at the run's date ([`leap_days_ahead`]).
type Timed = (&'static str, &'static str, u64, u64, &'static [&'static str]);
const LAB_C: [Timed; 7] = [
    ("pulse_only", "", 75, 35, &["TimedReceiverSilent", "TimedPpsNotLocked", "TimedHoldover"]),
    ("garbage", "", 15, 20, &["TimedPpsNotLocked", "TimedHoldover"]),
    ("wrong_second", "", 15, 20, &["TimedIntegrityGateClosed", "TimedHoldover", "TimedPpsNotLocked"]),
    ("stale_leap", "", 15, 20, &["TimedIntegrityGateClosed", "TimedHoldover", "TimedPpsNotLocked"]),
    // One pulse each: a single rejected pulse must not page anyone.
    ("drop_pulse", "", 1, 14, &[]),
    ("duplicate_pulse", "", 1, 14, &[]),
    ("leap", "sign = -1\n", 10, 15, &[]),
];
/// The synthetic list's first leap second: the end of 2027-06-30 (Unix day 20999), skipped.
const LIST_LEAP_DAY: i64 = 20_999;

struct Window {
    instance: String,
    what: String,
    /// Unix ns of the first faulty second's edge (from the simulator's truth log) or of the stop.
    start_ns: i128,
    end_ns: i128,
    /// When the next fault of the same lab starts (the alerts must have resolved by then).
    next_ns: i128,
    alerts: Vec<&'static str>,
}

fn scenario(faults: &[(&str, &str, &[&str])], len: u64, gap: u64) -> String {
    let timed: Vec<(&str, String, u64, u64)> =
        faults.iter().map(|(kind, keys, _)| (*kind, keys.to_string(), len, gap)).collect();
    scenario_timed(&timed)
}

/// One fault after another from `F0`, each `len` seconds and `gap` seconds of quiet.
fn scenario_timed(faults: &[(&str, String, u64, u64)]) -> String {
    let mut s = String::from("# alerts_e2e: one fault after another (SIMULATED receiver)\nseed = 5\n");
    let mut from = F0;
    for (kind, keys, len, gap) in faults {
        s += &format!("\n[[fault]]\nkind = \"{kind}\"\n{keys}from_s = {from}\nto_s = {}\n", from + len);
        from += len + gap;
    }
    s
}

/// Lab C's scenario: the `leap` fault announces the list's leap, counted from the UTC day the
/// window starts in (a run that crosses midnight UTC between here and that window would
/// announce a day off, and the list would then disagree).
fn scenario_c() -> String {
    let mut from = F0;
    let mut faults = Vec::new();
    for (kind, keys, len, gap, _) in LAB_C {
        let mut keys = keys.to_string();
        if kind == "leap" {
            let at_s = now_ns() / 1_000_000_000 + i128::from(from) + 10;
            keys += &format!("days_ahead = {}\n", leap_days_ahead(at_s as i64));
        }
        faults.push((kind, keys, len, gap));
        from += len + gap;
    }
    scenario_timed(&faults)
}

/// Days from the UTC day of Unix second `at_s` to the list's leap day.
fn leap_days_ahead(at_s: i64) -> i64 {
    LIST_LEAP_DAY - at_s.div_euclid(86_400)
}

/// Unix ns of the edge of the first and the first-after-last second that carry `kind` in the
/// truth log.
fn fault_span(lab: &Lab, kind: &str) -> (i128, i128) {
    let text = std::fs::read_to_string(lab.truth_log()).unwrap();
    let mut start = None;
    let mut end = None;
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let on = v["faults"].as_array().is_some_and(|f| f.iter().any(|x| x == kind));
        let t = v["edge_system_ns"].as_i64().map(i128::from);
        match (on, start, end) {
            (true, None, _) => start = t,
            (false, Some(_), None) => end = t,
            _ => {}
        }
    }
    (
        start.unwrap_or_else(|| panic!("{kind} not in the truth log")),
        end.unwrap_or_else(|| panic!("{kind} never ended")),
    )
}

fn now_ns() -> i128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i128
}

fn lab(n: u16, scenario: Option<&std::path::Path>) -> Lab {
    lab_with(n, scenario, Options::default())
}

fn lab_with(n: u16, scenario: Option<&std::path::Path>, opts: Options) -> Lab {
    Lab::start(Options {
        ntp_port: 11240 + n,
        metrics_port: Some(19480 + n),
        scenario: scenario.map(|p| p.to_path_buf()),
        ..opts
    })
    .unwrap_or_else(|e| panic!("lab {n}: {e}"))
}

#[test]
fn every_simulated_fault_reaches_alertmanager_and_resolves() {
    let shipped = std::fs::read_to_string(RULES).unwrap();
    let rules = for_scaled(&shipped, 60);
    let scratch = timed_lab::Scratch::new("timed-alerts").unwrap();
    let (a_path, b_path) = (scratch.join("a.toml"), scratch.join("b.toml"));
    std::fs::write(&a_path, scenario(&LAB_A, A_LEN, A_GAP)).unwrap();
    std::fs::write(&b_path, scenario(&LAB_B, B_LEN, B_GAP)).unwrap();
    let c_path = scratch.join("c.toml");
    std::fs::write(&c_path, scenario_c()).unwrap();
    let (mut a, mut b, healthy) = (lab(1, Some(&a_path)), lab(2, Some(&b_path)), lab(3, None));
    // Lab C checks the receiver's leap count against a list, as an appliance does (the synthetic
    // list: current until 2028, with the leap its `leap` fault announces).
    let list = (timed_testdata::synthetic_leap_list_path().to_path_buf(), "hold".to_string());
    let c = lab_with(4, Some(&c_path), Options { leap_list: Some(list), ..Options::default() });
    let inst = |l: &Lab| format!("127.0.0.1:{}", l.opts.metrics_port.unwrap());
    // Prometheus starts once every lab is locked and chrony has selected its PPS: alerts about
    // the start-up itself are not what this test is about.
    for l in [&a, &b, &c, &healthy] {
        wait_for(Duration::from_secs(60), || l.selected("PPS"))
            .unwrap_or_else(|_| panic!("{}: chrony did not select PPS within 60 s", inst(l)));
    }
    std::thread::sleep(Duration::from_secs(6)); // past the integrity hold-off after start
    let hook = Hook::start();
    let _am = Alertmanager::start(hook.port);
    let targets = [&a, &b, &c, &healthy].map(inst);
    let prom = Prometheus::start(PROM_PORT, &rules, &targets, EVAL_S, Some(AM_PORT));
    wait_for(Duration::from_secs(30), || prom.ready(&targets))
        .unwrap_or_else(|_| panic!("prometheus never scraped"));
    let healthy_from = now_ns();
    assert!(
        a.started.elapsed() < Duration::from_secs(F0 - 10),
        "the labs took {:?} to settle; the first fault is at {F0} s",
        a.started.elapsed()
    );

    let mut windows = Vec::new();
    for (l, faults, len, gap) in [(&a, &LAB_A[..], A_LEN, A_GAP), (&b, &LAB_B[..], B_LEN, B_GAP)] {
        for (kind, _, alerts) in faults {
            windows.push((inst(l), len + gap, *kind, alerts.to_vec()));
        }
    }
    for (kind, _, len, gap, alerts) in LAB_C {
        windows.push((inst(&c), len + gap, kind, alerts.to_vec()));
    }
    // Lab B's last fault ends at F0 + 2*75 + 35 = 275 s; then timed itself is stopped.
    let last_b = F0 + B_LEN * 2 + B_GAP;
    let settle = Duration::from_secs(last_b + B_GAP);
    std::thread::sleep(settle.saturating_sub(b.started.elapsed()));
    let stop_ns = now_ns();
    b.stop_timed();
    wait_for(Duration::from_secs(20), || hook.has(&inst(&b), "TimedDown", "firing", stop_ns)).ok();
    let restart_ns = now_ns();
    b.restart_timed().unwrap();
    wait_for(Duration::from_secs(20), || hook.has(&inst(&b), "TimedDown", "resolved", restart_ns)).ok();
    // Lab A's last fault ends at F0 + 8*35 - 20 = 350 s. Then its chronyd is restarted: a real
    // chronyd that lost its synchronisation (leap status 3) until it selects the PPS refclock
    // again (about 12 s with poll 2).
    let end_a = F0 + 8 * (A_LEN + A_GAP);
    std::thread::sleep(Duration::from_secs(end_a).saturating_sub(a.started.elapsed()));
    let chrony_ns = now_ns();
    a.restart_chronyd().unwrap();
    wait_for(Duration::from_secs(60), || a.selected("PPS"))
        .unwrap_or_else(|_| panic!("restarted chronyd never selected PPS"));
    let chrony_back_ns = now_ns();
    wait_for(Duration::from_secs(20), || {
        hook.has(&inst(&a), "TimedChronyNotSynchronised", "resolved", chrony_ns)
    })
    .ok();
    // Lab C's last quiet ends before lab A's (checked, so a longer lab C cannot slip past).
    let end_c: u64 = F0 + LAB_C.iter().map(|f| f.2 + f.3).sum::<u64>();
    assert!(end_c <= end_a, "lab C ends at {end_c} s, after lab A ({end_a} s)");
    std::thread::sleep(Duration::from_secs(3));

    let mut spans: Vec<Window> = windows
        .into_iter()
        .map(|(instance, period, kind, alerts)| {
            let l = [&a, &b, &c].into_iter().find(|l| inst(l) == instance).unwrap();
            let (start_ns, end_ns) = fault_span(l, kind);
            let next_ns = start_ns + i128::from(period as i64) * 1_000_000_000;
            Window { instance, what: kind.to_string(), start_ns, end_ns, next_ns, alerts }
        })
        .collect();
    spans.push(Window {
        instance: inst(&b),
        what: "timed stopped".into(),
        start_ns: stop_ns,
        end_ns: restart_ns,
        next_ns: restart_ns + 30_000_000_000,
        alerts: vec!["TimedDown"],
    });
    spans.push(Window {
        instance: inst(&a),
        what: "chronyd restarted".into(),
        start_ns: chrony_ns,
        end_ns: chrony_back_ns,
        next_ns: chrony_back_ns + 30_000_000_000,
        alerts: vec!["TimedChronyNotSynchronised"],
    });
    let notes = hook.notes();
    let mut failures = Vec::new();
    println!("alert latency (fault start -> Alertmanager webhook), resolve (fault end -> webhook), bound = for(test) + window + 2 x {EVAL_S} s + {DETECT_S} s:");
    println!("{:<16} {:<28} {:>10} {:>10} {:>8}", "fault", "alert", "latency_s", "resolve_s", "bound_s");
    for w in &spans {
        for alert in &w.alerts {
            let (for_s, window_s) = alerts_e2e_support::rule_times(&rules, alert);
            let bound = for_s + window_s + 2.0 * EVAL_S + DETECT_S;
            let fired = notes.iter().find(|n| {
                n.instance == w.instance
                    && n.alertname == *alert
                    && n.status == "firing"
                    && n.at_ns >= w.start_ns
            });
            let Some(f) = fired.filter(|f| secs(f.at_ns - w.start_ns) <= bound) else {
                failures.push(format!(
                    "{} {}: {alert} not delivered within {bound} s ({:?})",
                    w.instance,
                    w.what,
                    fired.map(|f| secs(f.at_ns - w.start_ns))
                ));
                continue;
            };
            let resolved = notes.iter().find(|n| {
                n.instance == w.instance
                    && n.alertname == *alert
                    && n.status == "resolved"
                    && n.at_ns > f.at_ns
            });
            let resolve_s = resolved.map(|r| secs(r.at_ns - w.end_ns));
            if !resolved.is_some_and(|r| r.at_ns >= w.end_ns && r.at_ns < w.next_ns) {
                failures.push(format!("{} {}: {alert} did not resolve between the fault's end and the next fault ({resolve_s:?})", w.instance, w.what));
            }
            let lat = secs(f.at_ns - w.start_ns);
            println!(
                "{:<16} {:<28} {lat:>10.1} {:>10} {bound:>8.1}",
                w.what,
                alert,
                resolve_s.map_or("-".into(), |r| format!("{r:.1}"))
            );
        }
    }
    // Nothing but TimedPpsSimulated from the healthy lab, and from the fault labs before their
    // first fault; what else fired during the faults is listed (not every consequence of a fault
    // is asserted, e.g. the gate staying closed through a cold start).
    let is_sim = |n: &&Note| n.alertname == "TimedPpsSimulated";
    for n in notes.iter().filter(|n| n.at_ns >= healthy_from && !is_sim(n)) {
        let first = spans.iter().filter(|w| w.instance == n.instance).map(|w| w.start_ns).min();
        if n.instance == inst(&healthy) || first.is_some_and(|f| n.at_ns < f) {
            failures.push(format!("{} fired {} {} while healthy", n.instance, n.alertname, n.status));
        } else if n.status == "firing"
            && !spans.iter().any(|w| {
                w.instance == n.instance
                    && w.alerts.contains(&n.alertname.as_str())
                    && n.at_ns >= w.start_ns
                    && n.at_ns < w.next_ns
            })
        {
            let during = spans
                .iter()
                .filter(|w| w.instance == n.instance && n.at_ns >= w.start_ns)
                .map(|w| w.what.as_str())
                .next_back()
                .unwrap_or("-");
            println!("also fired: {} {} (during/after {during})", n.instance, n.alertname);
        }
    }
    // A benign fault (no alerts listed) pages nobody: anything but TimedPpsSimulated firing from
    // its start until the next fault is a failure.
    for w in spans.iter().filter(|w| w.alerts.is_empty()) {
        let paged = notes.iter().filter(|n| {
            n.instance == w.instance
                && !is_sim(n)
                && n.status == "firing"
                && n.at_ns >= w.start_ns
                && n.at_ns < w.next_ns
        });
        for n in paged {
            failures.push(format!(
                "{} {} (benign) fired {} {:.1} s after it began",
                w.instance,
                w.what,
                n.alertname,
                secs(n.at_ns - w.start_ns)
            ));
        }
        // ...and timed did see it, or the quiet would prove nothing.
        let seen = benign_seen(&prom, w);
        if !seen.1 {
            failures.push(format!("{} {} (benign): timed never saw it: {}", w.instance, w.what, seen.0));
        }
        println!("{:<16} {:<28} {:>10}  timed saw: {}", w.what, "(none: benign)", "-", seen.0);
    }
    for t in &targets {
        if !notes.iter().any(|n| &n.instance == t && is_sim(&n) && n.status == "firing") {
            failures.push(format!("{t}: TimedPpsSimulated never delivered"));
        }
    }
    if failures.iter().any(|f| f.contains("while healthy")) {
        // What timed said about it (it logs state changes only).
        for (l, name) in [(&healthy, "healthy"), (&a, "A"), (&b, "B"), (&c, "C")] {
            let log = l.timed_log();
            let lines: Vec<&str> = log
                .lines()
                .filter(|x| !x.contains(" INFO ") || x.contains("gate") || x.contains("signal"))
                .collect();
            println!(
                "timed log of lab {name} ({}), warnings and gate changes:\n{}",
                inst(l),
                lines[lines.len().saturating_sub(40)..].join("\n")
            );
        }
        // Seen in 2 of 5 runs on the loaded 2-core machine: the healthy lab's timed raised
        // `no-fix` for one epoch (no "receiver does not vouch" change in its log, so most likely
        // an epoch split by a pause in reading the burst) and closed its gate for the hold-off.
        // The alerts are then right; the test copy's `for` of 1 s is what makes a 1 s closure an
        // alert (the shipped 1 minute would not).
        for n in notes.iter().filter(|n| n.instance == inst(&healthy)) {
            println!(
                "healthy note: {} {} at {:.1} s after the healthy check began",
                n.alertname,
                n.status,
                secs(n.at_ns - healthy_from)
            );
        }
    }
    assert!(failures.is_empty(), "{}\n(webhook notes: {})", failures.join("\n"), notes.len());
}

/// What timed exported about benign fault `w` (for the report) and whether it shows timed saw
/// it: a missed or a duplicate pulse rejected, the leap announced (−1, the list's).
fn benign_seen(prom: &Prometheus, w: &Window) -> (String, bool) {
    let i = &w.instance;
    let rejects = |reason: &str| {
        let q = format!("sum(timed_rejects_total{{instance=\"{i}\",reason=\"{reason}\"}}) or vector(0)");
        let (before, after) = (prom.value_at(&q, w.start_ns - 1_000_000_000), prom.value_at(&q, w.next_ns));
        let n = after.unwrap_or(0.0) - before.unwrap_or(0.0);
        (format!("{n} {reason} reject(s)"), n >= 1.0)
    };
    match w.what.as_str() {
        "drop_pulse" => rejects("missed_pulse"),
        "duplicate_pulse" => rejects("duplicate"),
        "leap" => {
            let q = format!("min_over_time(timed_receiver_leap_announced{{instance=\"{i}\"}}[10s])");
            let v = prom.value_at(&q, w.end_ns);
            (format!("leap announced {v:?}"), v == Some(-1.0))
        }
        other => (format!("no check for {other}"), false),
    }
}

fn secs(ns: i128) -> f64 {
    ns as f64 / 1e9
}
