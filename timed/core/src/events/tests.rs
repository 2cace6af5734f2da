//! The detector: every kind fires once per transition, never while a state persists, and
//! debounced states wait their hold.

use super::*;
use crate::engine::integrity::Signal;
use crate::engine::LabelSource;

const T0: i64 = 1_000 * S;

/// A healthy appliance at `t` (raw ns): receiver talking, fix, PPS locked, chrony stratum 1.
fn healthy(t: i64) -> Observed {
    Observed {
        now_ns: t,
        now_unix_s: 1_800_000_000 + t / S,
        serial_open: Some(true),
        last_epoch_ns: Some(t - S / 10),
        fix_ok: Some(true),
        last_edge_ns: Some(t - S / 2),
        pps: Some(PpsState::Locked(LabelSource::TimTp)),
        antenna: Some(AntennaStatus::Ok),
        jamming_state: Some(1),
        spoofing: Some(1),
        gate: Some(GateState::Open),
        holdover: Some(HoldoverPhase::Off),
        leap_change: Some(None),
        leap_list_expires_unix_s: Some(1_800_000_000 + 365 * 86_400),
        chrony: Some(ChronyState::Stratum1),
        failing_sink: Some(None),
        receiver_configured: Some(true),
    }
}

/// Runs `secs` seconds of 1 Hz observations from `from` (seconds after T0), each made by
/// `f(t)`; returns every event with the second it came at.
fn run(d: &mut Detector, from: i64, secs: i64, f: impl Fn(i64) -> Observed) -> Vec<(i64, Event)> {
    let mut out = Vec::new();
    for s in from..from + secs {
        let t = T0 + s * S;
        out.extend(d.observe(&f(t)).into_iter().map(|e| (s, e)));
    }
    out
}

fn kinds(v: &[(i64, Event)]) -> Vec<EventKind> {
    v.iter().map(|(_, e)| e.kind()).collect()
}

/// A detector that has seen 60 s of health (baselines set, nothing to say).
fn settled() -> Detector {
    let mut d = Detector::new();
    assert_eq!(run(&mut d, 0, 60, healthy), vec![], "a healthy minute says nothing");
    d
}

/// Healthy, then `fault` for 120 s, then healthy for 120 s: exactly `[fired, cleared]`.
fn once_each_way(fault: impl Fn(i64) -> Observed, fired: EventKind, cleared: EventKind) -> Vec<(i64, Event)> {
    let mut d = settled();
    let mut ev = run(&mut d, 60, 120, fault);
    ev.extend(run(&mut d, 180, 120, healthy));
    assert_eq!(kinds(&ev), vec![fired, cleared], "{ev:?}");
    ev
}

#[test]
fn names_are_unique_kebab_case_and_at_least_twelve() {
    let all = EventKind::ALL;
    assert!(all.len() >= 12);
    let mut names: Vec<&str> = all.iter().map(|k| k.name()).collect();
    for n in &names {
        assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{n}");
        assert!(!n.starts_with('-') && !n.ends_with('-') && !n.contains("--"), "{n}");
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len());
}

#[test]
fn receiver_silent_then_back() {
    // Epochs stop at 60 s: lost once 5 s later, not again while silent.
    let ev = once_each_way(
        |t| Observed { last_epoch_ns: Some(T0 + 60 * S), ..healthy(t) },
        EventKind::ReceiverLost,
        EventKind::ReceiverBack,
    );
    assert_eq!(ev[0], (65, Event::ReceiverLost { serial_broken: false }));
    assert_eq!(ev[1].0, 180);
}

#[test]
fn receiver_serial_lost_and_missing_from_start() {
    let ev = once_each_way(
        |t| Observed { serial_open: Some(false), ..healthy(t) },
        EventKind::ReceiverLost,
        EventKind::ReceiverBack,
    );
    assert_eq!(ev[0], (60, Event::ReceiverLost { serial_broken: true }));
    // A receiver that is not there when timed starts is said at once, and only once.
    let mut d = Detector::new();
    let ev = run(&mut d, 0, 30, |t| Observed { serial_open: Some(false), last_epoch_ns: None, ..healthy(t) });
    assert_eq!(ev, vec![(0, Event::ReceiverLost { serial_broken: true })]);
    // A port that opens but never talks is silent after 5 s.
    let mut d = Detector::new();
    let ev = run(&mut d, 0, 30, |t| Observed { last_epoch_ns: None, ..healthy(t) });
    assert_eq!(ev, vec![(5, Event::ReceiverLost { serial_broken: false })]);
}

#[test]
fn fix_is_debounced_ten_seconds() {
    let ev = once_each_way(
        |t| Observed { fix_ok: Some(false), ..healthy(t) },
        EventKind::FixLost,
        EventKind::FixRegained,
    );
    assert_eq!((ev[0].0, ev[1].0), (70, 190));
    // Nine seconds without a fix, back and forth: nothing.
    let mut d = settled();
    let ev = run(&mut d, 60, 120, |t| Observed { fix_ok: Some((t / S) % 10 == 0), ..healthy(t) });
    assert_eq!(ev, vec![]);
}

#[test]
fn pps_silence_and_flapping_pulse() {
    let ev = once_each_way(
        |t| Observed { last_edge_ns: Some(T0 + 60 * S), ..healthy(t) },
        EventKind::PpsLost,
        EventKind::PpsBack,
    );
    assert_eq!(ev[0].0, 63);
    assert_eq!(ev[1].0, 183, "back after 3 s of edges");
    // A pulse that comes every 4 s is lost once and never "back".
    let mut d = settled();
    let ev = run(&mut d, 60, 120, |t| Observed { last_edge_ns: Some(t - (t / S % 4) * S), ..healthy(t) });
    assert_eq!(kinds(&ev), vec![EventKind::PpsLost]);
}

#[test]
fn lock_lost_and_regained_with_their_fields() {
    let ev = once_each_way(
        |t| Observed { pps: Some(PpsState::Held(crate::engine::Hold::PulseMoved)), ..healthy(t) },
        EventKind::LockLost,
        EventKind::LockRegained,
    );
    assert_eq!(ev[0].1, Event::LockLost { state: PpsState::Held(crate::engine::Hold::PulseMoved) });
    assert_eq!(ev[1].1, Event::LockRegained { source: LabelSource::TimTp });
    // Acquiring at start is not "lost"; the first lock is said.
    let mut d = Detector::new();
    let ev = run(&mut d, 0, 10, |t| Observed { pps: Some(PpsState::Acquiring), ..healthy(t) });
    assert_eq!(ev, vec![]);
    let ev = run(&mut d, 10, 10, healthy);
    assert_eq!(kinds(&ev), vec![EventKind::LockRegained]);
}

#[test]
fn antenna_open_short_ok() {
    let ev = once_each_way(
        |t| Observed { antenna: Some(AntennaStatus::Open), ..healthy(t) },
        EventKind::AntennaFault,
        EventKind::AntennaOk,
    );
    assert_eq!(ev[0], (62, Event::AntennaFault { fault: AntennaFault::Open }));
    // Open then short: two faults; "don't know" in between is no news.
    let mut d = settled();
    let mut ev = run(&mut d, 60, 30, |t| Observed { antenna: Some(AntennaStatus::Open), ..healthy(t) });
    ev.extend(run(&mut d, 90, 30, |t| Observed { antenna: Some(AntennaStatus::DontKnow), ..healthy(t) }));
    ev.extend(run(&mut d, 120, 30, |t| Observed { antenna: Some(AntennaStatus::Short), ..healthy(t) }));
    let faults: Vec<Event> = ev.into_iter().map(|(_, e)| e).collect();
    assert_eq!(
        faults,
        vec![
            Event::AntennaFault { fault: AntennaFault::Open },
            Event::AntennaFault { fault: AntennaFault::Short }
        ]
    );
    // A fault already there at start is said.
    let mut d = Detector::new();
    let ev = run(&mut d, 0, 30, |t| Observed { antenna: Some(AntennaStatus::Short), ..healthy(t) });
    assert_eq!(kinds(&ev), vec![EventKind::AntennaFault]);
}

#[test]
fn jamming_worsens_once_and_clears() {
    let mut d = settled();
    let mut ev = run(&mut d, 60, 30, |t| Observed { jamming_state: Some(2), ..healthy(t) });
    ev.extend(run(&mut d, 90, 30, |t| Observed { jamming_state: Some(3), ..healthy(t) }));
    ev.extend(run(&mut d, 120, 30, |t| Observed { jamming_state: Some(2), ..healthy(t) }));
    ev.extend(run(&mut d, 150, 30, healthy));
    let got: Vec<(i64, Event)> = ev;
    assert_eq!(
        got,
        vec![
            (70, Event::Jamming { level: JamLevel::Warning }),
            (100, Event::Jamming { level: JamLevel::Critical }),
            (160, Event::JammingCleared),
        ]
    );
    // Flipping between ok and warning every 5 s: debounced away.
    let mut d = settled();
    let ev = run(&mut d, 60, 120, |t| Observed {
        jamming_state: Some(1 + u8::from((t / S / 5) % 2 == 0)),
        ..healthy(t)
    });
    assert_eq!(ev, vec![]);
}

#[test]
fn spoofing() {
    let ev = once_each_way(
        |t| Observed { spoofing: Some(3), ..healthy(t) },
        EventKind::Spoofing,
        EventKind::SpoofingCleared,
    );
    assert_eq!(ev[0].1, Event::Spoofing { state: 3 });
}

#[test]
fn integrity_gate_closed_through_hold_off() {
    let mut d = settled();
    let sig = Signal::AntennaOpen;
    let mut ev =
        run(&mut d, 60, 30, |t| Observed { gate: Some(GateState::Closed { signal: sig }), ..healthy(t) });
    ev.extend(run(&mut d, 90, 30, |t| Observed {
        gate: Some(GateState::HoldingOff { signal: sig, until_ns: T0 + 120 * S }),
        ..healthy(t)
    }));
    ev.extend(run(&mut d, 120, 30, healthy));
    assert_eq!(ev, vec![(60, Event::IntegrityGateClosed { signal: sig }), (120, Event::IntegrityGateOpened)]);
}

#[test]
fn holdover_entered_limit_passed_left() {
    let mut d = settled();
    let r = "pps-lost";
    let mut ev =
        run(&mut d, 60, 30, |t| Observed { holdover: Some(HoldoverPhase::On { reason: r }), ..healthy(t) });
    ev.extend(run(&mut d, 90, 30, |t| Observed {
        holdover: Some(HoldoverPhase::Exceeded { reason: r }),
        ..healthy(t)
    }));
    ev.extend(run(&mut d, 120, 30, healthy));
    assert_eq!(
        ev,
        vec![
            (60, Event::HoldoverEntered { reason: r }),
            (90, Event::HoldoverLimitPassed),
            (120, Event::HoldoverLeft)
        ]
    );
}

#[test]
fn leap_announced_once_through_gaps() {
    let mut d = settled();
    // Announced for two minutes, with an epoch now and then that does not carry it.
    let ev = run(&mut d, 60, 120, |t| {
        let gap = (t / S) % 7 == 0;
        Observed { leap_change: Some(if gap { None } else { Some(1) }), ..healthy(t) }
    });
    assert_eq!(ev, vec![(62, Event::LeapAnnounced { change: 1 })]);
}

#[test]
fn leap_list_expiring_once() {
    let mut d = settled();
    let expires = 1_800_000_000 + 200 + 10 * 86_400;
    let ev = run(&mut d, 60, 300, |t| Observed { leap_list_expires_unix_s: Some(expires), ..healthy(t) });
    assert_eq!(ev, vec![(60, Event::LeapListExpiring { expires_unix_s: expires })]);
}

#[test]
fn chrony_states_debounced_thirty_seconds() {
    let ev = once_each_way(
        |t| Observed { chrony: Some(ChronyState::NotStratum1 { stratum: 3 }), ..healthy(t) },
        EventKind::ChronyNotStratum1,
        EventKind::ChronyStratum1,
    );
    assert_eq!(ev[0], (90, Event::ChronyNotStratum1 { stratum: 3 }));
    once_each_way(
        |t| Observed { chrony: Some(ChronyState::Unsynchronised), ..healthy(t) },
        EventKind::ChronyUnsynchronised,
        EventKind::ChronyStratum1,
    );
    // Unsynchronised for 20 s after a step: nothing. Unsynchronised at chronyd's start: nothing.
    let mut d = settled();
    let ev = run(&mut d, 60, 120, |t| {
        let s = t / S - T0 / S;
        Observed {
            chrony: Some(if (60..80).contains(&s) {
                ChronyState::Unsynchronised
            } else {
                ChronyState::Stratum1
            }),
            ..healthy(t)
        }
    });
    assert_eq!(ev, vec![]);
    let mut d = Detector::new();
    let ev = run(&mut d, 0, 60, |t| Observed { chrony: Some(ChronyState::Unsynchronised), ..healthy(t) });
    assert_eq!(ev, vec![]);
}

#[test]
fn sink_failing_and_recovered() {
    let ev = once_each_way(
        |t| Observed { failing_sink: Some(Some("sock-pps".into())), ..healthy(t) },
        EventKind::SinkFailing,
        EventKind::SinkRecovered,
    );
    assert_eq!(ev[0], (65, Event::SinkFailing { sink: "sock-pps".into() }));
}

#[test]
fn receiver_configuration_drift() {
    once_each_way(
        |t| Observed { receiver_configured: Some(false), ..healthy(t) },
        EventKind::ReceiverNotConfigured,
        EventKind::ReceiverConfigured,
    );
}

#[test]
fn unknown_states_say_nothing() {
    let mut d = Detector::new();
    let ev =
        run(&mut d, 0, 120, |t| Observed { now_ns: t, now_unix_s: 1_800_000_000, ..Observed::default() });
    assert_eq!(ev, vec![]);
}

#[test]
fn every_kind_is_covered_by_a_transition_here() {
    // The tests above make each of these; a new kind must get a test (and a line here).
    let made = [
        EventKind::ReceiverLost,
        EventKind::ReceiverBack,
        EventKind::FixLost,
        EventKind::FixRegained,
        EventKind::PpsLost,
        EventKind::PpsBack,
        EventKind::LockLost,
        EventKind::LockRegained,
        EventKind::AntennaFault,
        EventKind::AntennaOk,
        EventKind::Jamming,
        EventKind::JammingCleared,
        EventKind::Spoofing,
        EventKind::SpoofingCleared,
        EventKind::IntegrityGateClosed,
        EventKind::IntegrityGateOpened,
        EventKind::HoldoverEntered,
        EventKind::HoldoverLimitPassed,
        EventKind::HoldoverLeft,
        EventKind::LeapAnnounced,
        EventKind::LeapListExpiring,
        EventKind::ChronyUnsynchronised,
        EventKind::ChronyNotStratum1,
        EventKind::ChronyStratum1,
        EventKind::SinkFailing,
        EventKind::SinkRecovered,
        EventKind::ReceiverNotConfigured,
        EventKind::ReceiverConfigured,
    ];
    assert_eq!(made.len(), EventKind::ALL.len());
    for k in EventKind::ALL {
        assert!(made.contains(k), "{k:?}");
    }
}
