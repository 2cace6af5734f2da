use super::*;
use crate::chronyctl::fixture::report;
use crate::control::Message;
use crate::health::{Antenna, DeviceState, FixKind, GateName, Health, PpsLock, Sink, SinkState};
use crate::status::{CtlError, Failure, View};

const NOW: i64 = 1_800_000_000_000_000_000;

/// A healthy box: receiver open with a valid 3D fix, PPS locked with a fresh edge, a SOCK sink
/// sending, chrony at stratum 1 on the PPS refclock.
fn good() -> (Health, Report) {
    let mut h = Health::default();
    let rx = &mut h.receiver;
    rx.device = "/dev/gps0".into();
    rx.serial_state = DeviceState::Open;
    rx.epochs = 100;
    rx.last_epoch_ns = Some(NOW - 300_000_000);
    rx.time_valid = true;
    rx.fix = FixKind::ThreeD;
    rx.fix_ok = true;
    rx.sats_used = Some(12);
    rx.leap_valid = true;
    rx.antenna = Some(Antenna::Ok);
    rx.jamming_state = Some(1);
    rx.spoofing = Some(1);
    h.pps.source = crate::config::PpsSource::Kernel;
    h.pps.device = "/dev/pps0".into();
    h.pps.device_state = DeviceState::Open;
    h.pps.last_edge_ns = Some(NOW - 200_000_000);
    h.pps.state = PpsLock::LockedTimTp;
    h.sinks = vec![Sink {
        kind: "sock-pps".into(),
        target: "/run/chrony/timed-pps.sock".into(),
        state: SinkState::Ok,
        ..Sink::default()
    }];
    // chronyd at stratum 1, its PPS refclock selected (the doctor's fixture).
    let report = report(&[("PPS", "refclock", 0.0)]);
    (h, report)
}

fn view(h: Health, c: Result<Report, String>) -> View {
    let m = Message {
        schema: crate::control::SCHEMA,
        kind: "snapshot".into(),
        refusal: None,
        now_unix_ns: NOW,
        timed: Some(h),
        chrony: None,
        chrony_note: None,
        clients: None,
        error: None,
    };
    View { timed: Ok(m), chrony: c, chrony_from: "test".into() }
}

fn codes(a: &Assessment) -> Vec<&'static str> {
    a.reasons.iter().map(|r| r.code).collect()
}

#[test]
fn a_healthy_box_is_ok_without_reasons() {
    let (h, c) = good();
    let a = assess(&view(h, Ok(c)));
    assert_eq!(a.verdict, Verdict::Ok, "{a:?}");
    assert!(a.reasons.is_empty());
}

#[test]
fn each_failure_is_named_with_a_fix() {
    type Break = fn(&mut Health, &mut Report);
    let cases: &[(&str, Verdict, Break)] = &[
        ("receiver-unavailable", Verdict::Failing, |h, _| h.receiver.serial_state = DeviceState::Absent),
        ("receiver-silent", Verdict::Failing, |h, _| h.receiver.last_epoch_ns = Some(NOW - 10_000_000_000)),
        ("receiver-time-invalid", Verdict::Failing, |h, _| h.receiver.time_valid = false),
        ("pps-device", Verdict::Failing, |h, _| h.pps.device_state = DeviceState::Absent),
        ("pps-no-edges", Verdict::Failing, |h, _| h.pps.last_edge_ns = None),
        ("pps-unpaired", Verdict::Failing, |h, _| h.pps.state = PpsLock::Acquiring),
        ("pps-label-jump", Verdict::Failing, |h, _| {
            h.pps.state = PpsLock::HeldLabelJump;
            h.pps.label_jump_s = Some(1);
        }),
        ("pps-pulse-moved", Verdict::Failing, |h, _| h.pps.state = PpsLock::HeldPulseMoved),
        ("integrity-gate", Verdict::Failing, |h, _| {
            h.integrity.state = GateName::Closed;
            h.integrity.signal = Some("antenna-open".into());
        }),
        ("integrity-gate", Verdict::Failing, |h, _| {
            h.integrity.state = GateName::HoldingOff;
            h.integrity.signal = Some("spoofing".into());
            h.integrity.reopens_in_s = Some(7.0);
        }),
        ("integrity-warning", Verdict::Degraded, |h, _| {
            h.integrity.signals = vec![crate::health::IntegritySignal {
                signal: "jamming-warning".into(),
                response: "warn".into(),
                active: true,
                ..Default::default()
            }];
        }),
        ("pps-off", Verdict::Degraded, |h, _| h.pps.source = crate::config::PpsSource::Off),
        ("pps-simulated", Verdict::Degraded, |h, _| h.pps.simulated = true),
        ("sink-failing", Verdict::Failing, |h, _| h.sinks[0].state = SinkState::Failing),
        ("no-sinks", Verdict::Failing, |h, _| h.sinks.clear()),
        ("antenna", Verdict::Degraded, |h, _| h.receiver.antenna = Some(Antenna::Short)),
        ("jamming", Verdict::Degraded, |h, _| h.receiver.jamming_state = Some(3)),
        ("spoofing", Verdict::Degraded, |h, _| h.receiver.spoofing = Some(2)),
        ("few-satellites", Verdict::Degraded, |h, _| h.receiver.sats_used = Some(2)),
        ("leap-unknown", Verdict::Degraded, |h, _| h.receiver.leap_valid = false),
        ("chrony-unsynchronised", Verdict::Failing, |_, c| {
            if let Ok(t) = &mut c.tracking {
                t.leap_code = 3;
            }
        }),
        ("chrony-not-on-gps", Verdict::Degraded, |_, c| {
            if let Ok(s) = &mut c.sources {
                s[0].state = "candidate".into();
            }
        }),
        ("system-offset-large", Verdict::Failing, |_, c| {
            if let Ok(t) = &mut c.tracking {
                t.system_offset_s = -2.5;
            }
        }),
        ("system-offset-large", Verdict::Failing, |_, c| {
            if let Ok(t) = &mut c.tracking {
                t.last_offset_s = 1.2;
            }
        }),
        ("chronyd-unresponsive", Verdict::Failing, |_, c| {
            *c = Report {
                state: crate::chronyctl::ChronydState::Unresponsive,
                ..Report::down("chronyd did not answer command 33 within 300ms".into())
            };
        }),
        ("chrony-unreachable", Verdict::Failing, |_, c| {
            *c = Report::down("cannot reach chronyd at /run/chrony/chronyd.sock: Connection refused".into());
        }),
        ("refclock-falseticker", Verdict::Degraded, |_, c| {
            if let Ok(s) = &mut c.sources {
                let mut gps = s[0].clone();
                gps.name = "GPS".into();
                gps.state = "falseticker".into();
                s.push(gps);
            }
        }),
    ];
    for (code, severity, breaker) in cases {
        let (mut h, mut c) = good();
        breaker(&mut h, &mut c);
        let a = assess(&view(h, Ok(c)));
        let r = a.reasons.iter().find(|r| r.code == *code);
        let r = r.unwrap_or_else(|| panic!("{code}: not diagnosed; got {:?}", codes(&a)));
        assert_eq!(r.severity, *severity, "{code}");
        assert_eq!(a.verdict, *severity, "{code}: {:?}", codes(&a));
        assert!(!r.message.is_empty() && !r.fix.is_empty(), "{code}");
    }
}

#[test]
fn without_pps_lock_chrony_on_another_source_is_failing() {
    let (mut h, mut c) = good();
    h.pps.state = PpsLock::Acquiring;
    if let Ok(s) = &mut c.sources {
        s[0].state = "unusable".into();
    }
    let a = assess(&view(h, Ok(c)));
    let r = a.reasons.iter().find(|r| r.code == "chrony-not-on-gps").unwrap();
    assert_eq!(r.severity, Verdict::Failing);
}

fn ctl_error(kind: Failure, message: &str) -> CtlError {
    CtlError { kind, message: message.into() }
}

#[test]
fn unreachable_timed_and_chrony_are_failing() {
    let v = View {
        timed: Err(ctl_error(Failure::Missing, "no control socket at /x")),
        chrony: Err("chronyd at /y: no such file".into()),
        chrony_from: "/y".into(),
    };
    let a = assess(&v);
    assert_eq!(a.verdict, Verdict::Failing);
    assert_eq!(codes(&a), vec!["timed-unreachable", "chrony-unreachable"]);
    assert!(a.reasons[0].message.contains("/x"));
}

/// A hung chronyd is named even while every other part of the box is healthy (before, a
/// reading whose tracking failed added no reason at all and the verdict stayed OK).
#[test]
fn a_hung_chronyd_alone_makes_the_box_failing() {
    let (h, _) = good();
    let c = Report {
        state: crate::chronyctl::ChronydState::Unresponsive,
        ..Report::down("chronyd did not answer command 33 within 300ms".into())
    };
    let a = assess(&view(h, Ok(c)));
    assert_eq!(codes(&a), vec!["chronyd-unresponsive"]);
    assert_eq!(a.verdict, Verdict::Failing);
    assert!(a.reasons[0].message.contains("within 300ms"), "{:?}", a.reasons[0]);
    assert!(a.reasons[0].fix.contains("kill -CONT"), "{:?}", a.reasons[0]);
}

#[test]
fn a_clock_seconds_off_is_named_with_its_offset() {
    let (h, mut c) = good();
    if let Ok(t) = &mut c.tracking {
        t.system_offset_s = 3.25;
    }
    let a = assess(&view(h, Ok(c)));
    assert_eq!(codes(&a), vec!["system-offset-large"]);
    assert!(a.reasons[0].message.contains("3.250 s off"), "{:?}", a.reasons[0]);
    assert!(a.reasons[0].fix.contains("makestep 1 3"), "{:?}", a.reasons[0]);
    // Below a second is chrony's ordinary business, not this reason.
    let (h, mut c) = good();
    if let Ok(t) = &mut c.tracking {
        t.system_offset_s = 0.9;
    }
    assert!(assess(&view(h, Ok(c))).reasons.is_empty());
}

/// A busy control socket is BUSY (exit 3), never FAILING, and says so; chronyd is not
/// blamed for the reading timed could not hand over.
#[test]
fn a_busy_socket_is_busy_not_failing() {
    for kind in [Failure::Busy, Failure::Closed] {
        let v = View {
            timed: Err(ctl_error(kind, "/run/timed/control.sock: timed refused: busy: 8 watchers connected")),
            chrony: Err("not read: timed's control socket is busy".into()),
            chrony_from: "via timed".into(),
        };
        let a = assess(&v);
        assert_eq!(a.verdict, Verdict::Busy, "{kind:?}");
        assert_eq!(codes(&a), vec!["timed-busy"], "{kind:?}");
        assert!(a.reasons[0].message.contains("too busy to answer"), "{:?}", a.reasons[0]);
        assert_eq!(serde_json::to_value(a.verdict).unwrap(), "BUSY");
    }
    // chronyd read directly and failing still makes the box FAILING.
    let v = View {
        timed: Err(ctl_error(Failure::Busy, "busy")),
        chrony: Ok(Report::down("cannot reach chronyd".into())),
        chrony_from: "/run/chrony/chronyd.sock".into(),
    };
    assert_eq!(assess(&v).verdict, Verdict::Failing);
}

#[test]
fn permission_denied_says_so_and_how_to_get_access() {
    let v = View {
        timed: Err(ctl_error(Failure::PermissionDenied, "permission denied on /run/timed/control.sock")),
        chrony: Err("x".into()),
        chrony_from: "x".into(),
    };
    let a = assess(&v);
    let r = &a.reasons[0];
    assert_eq!(r.code, "timed-unreachable");
    assert!(r.fix.starts_with("permission denied: join the socket's group"), "{}", r.fix);
    assert!(r.fix.contains("usermod -aG timed") && r.fix.contains("sudo"), "{}", r.fix);
    assert!(r.fix.contains("docs/privileges.md"), "{}", r.fix);
    assert!(!r.fix.contains("start timed"), "{}", r.fix);
    // chronyd is read through timed: its unreadable state is the same refusal, not a stopped chronyd.
    let c = &a.reasons[1];
    assert_eq!(c.code, "chrony-unreachable");
    assert!(c.fix.contains("join group timed"), "{}", c.fix);
    assert!(a.reasons.iter().all(|r| !r.fix.contains("start ")), "{a:?}");
}

/// No PPS wire ([pps] source = "off", issue 17): with chrony on the selectable coarse refclock
/// the box serves time, DEGRADED with the reason; a noselect coarse line leaves chronyd
/// unsynchronised, and the fix names the line instead of waiting for PPS.
#[test]
fn coarse_only_is_degraded_and_says_pps_is_off() {
    let (mut h, _) = good();
    h.pps.source = crate::config::PpsSource::Off;
    h.pps.device_state = DeviceState::default();
    h.pps.last_edge_ns = None;
    h.pps.state = PpsLock::Acquiring;
    let c = report(&[("GPS", "refclock", 0.0)]);
    let a = assess(&view(h.clone(), Ok(c)));
    assert_eq!(a.verdict, Verdict::Degraded, "{a:?}");
    assert_eq!(codes(&a), vec!["pps-off"]);
    assert!(a.reasons[0].message.contains("PPS is off"), "{:?}", a.reasons[0]);
    let mut c = report(&[("GPS", "refclock", 0.0)]);
    if let Ok(t) = &mut c.tracking {
        t.stratum = 0;
        t.leap_code = 3;
    }
    let a = assess(&view(h, Ok(c)));
    assert_eq!(a.verdict, Verdict::Failing);
    let r = a.reasons.iter().find(|r| r.code == "chrony-unsynchronised").unwrap();
    assert!(r.fix.contains("--pps off") && !r.fix.contains("wait for PPS"), "{r:?}");
}

/// An NMEA-only stream never brings the leap second count: the reason says so and how to get
/// it, instead of "wait ~12.5 min" forever.
#[test]
fn nmea_only_leap_unknown_names_the_receiver_set_up() {
    let (mut h, c) = good();
    h.receiver.leap_valid = false;
    h.receiver.framer.nmea = 500;
    h.receiver.framer.ubx = 0;
    let a = assess(&view(h.clone(), Ok(c.clone())));
    assert_eq!(a.verdict, Verdict::Degraded);
    let r = a.reasons.iter().find(|r| r.code == "leap-unknown").unwrap();
    assert!(r.message.contains("NMEA only"), "{r:?}");
    assert!(r.fix.contains("timectl receiver apply") && !r.fix.contains("wait"), "{r:?}");
    h.receiver.framer.ubx = 300;
    let a = assess(&view(h, Ok(c)));
    let r = a.reasons.iter().find(|r| r.code == "leap-unknown").unwrap();
    assert!(r.fix.starts_with("wait ~12.5 min"), "{r:?}");
}

fn in_holdover(state: crate::holdover::HoldoverState, elapsed_s: f64, bound_s: f64) -> Health {
    let (mut h, _) = good();
    h.holdover = crate::holdover::Snapshot {
        state,
        reason: Some("pps-lost".into()),
        since_unix_s: Some(1_800_000_000 - 600),
        elapsed_s: Some(elapsed_s),
        bound_s: Some(bound_s),
        max_error_s: 1e-3,
        temperature_c: Some(55.0),
        model: Some(crate::holdover::Model { tempco_ppm_per_c: -0.042, points: 1440, ..Default::default() }),
        ..Default::default()
    };
    h
}

#[test]
fn holdover_within_the_limit_is_degraded_with_elapsed_and_bound() {
    let (_, c) = good();
    let a = assess(&view(in_holdover(crate::holdover::HoldoverState::Holdover, 600.0, 0.000_125), Ok(c)));
    assert_eq!(a.verdict, Verdict::Degraded, "{a:?}");
    assert_eq!(codes(&a), vec!["holdover"]);
    let m = &a.reasons[0].message;
    assert_eq!(
        m,
        "holdover (pps-lost) for 600 s: error bound 0.125 ms (temperature model -0.042 ppm/°C; limit 1.000 ms)"
    );
}

#[test]
fn holdover_past_the_limit_is_failing() {
    let (_, c) = good();
    let a = assess(&view(in_holdover(crate::holdover::HoldoverState::Exceeded, 9000.0, 0.00131), Ok(c)));
    assert_eq!(a.verdict, Verdict::Failing, "{a:?}");
    assert_eq!(codes(&a), vec!["holdover-exceeded"]);
    assert!(a.reasons[0].message.contains("for 9000 s: error bound 1.310 ms"), "{:?}", a.reasons[0]);
    assert!(a.reasons[0].fix.contains("max_error_ms"), "{:?}", a.reasons[0]);
}

#[test]
fn locked_or_never_locked_says_nothing_about_holdover() {
    for state in [crate::holdover::HoldoverState::Locked, crate::holdover::HoldoverState::Acquiring] {
        let (mut h, c) = good();
        h.holdover.state = state;
        h.holdover.temperature_c = Some(50.0);
        assert_eq!(assess(&view(h, Ok(c))).verdict, Verdict::Ok, "{state:?}");
    }
}
