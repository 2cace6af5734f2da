use super::*;
use crate::epoch::Jamming;

const S: i64 = NS;

fn good() -> Epoch {
    let noon = crate::time::TimeOfDay::new(12, 0, 0, 0);
    Epoch {
        time: crate::time::Date::new(2026, 12, 4).zip(noon).map(|(d, t)| crate::time::UtcTime::new(d, t)),
        time_valid: true,
        fix: Fix::ThreeD,
        fix_ok: true,
        fix_reported: true,
        tacc_ns: Some(20),
        antenna: Some(AntennaStatus::Ok),
        jamming: Some(Jamming { state: 1, indicator: 10 }),
        spoofing: Some(1),
        position: Some(Position {
            lat_deg: 47.3769,
            lon_deg: 8.5417,
            alt_hae_m: Some(456.0),
            alt_msl_m: None,
        }),
        ..Epoch::default()
    }
}

/// Feeds `e` at second `t` and returns the gate's state after it.
fn at(g: &mut Gate, e: &Epoch, t: i64) -> GateState {
    g.note_epoch(e, t * S);
    g.update(t * S);
    g.state()
}

#[test]
fn a_cut_antenna_closes_at_once_and_reopens_only_after_the_holdoff() {
    let mut g = Gate::new(Config::default());
    for t in 0..5 {
        assert_eq!(at(&mut g, &good(), t), GateState::Open);
    }
    let cut = Epoch { antenna: Some(AntennaStatus::Open), ..good() };
    assert_eq!(at(&mut g, &cut, 5), GateState::Closed { signal: Signal::AntennaOpen });
    assert_eq!(at(&mut g, &cut, 6), GateState::Closed { signal: Signal::AntennaOpen });
    // Mended at 7: clear from then, holding off until 7 + 10 s.
    let holding = GateState::HoldingOff { signal: Signal::AntennaOpen, until_ns: 17 * S };
    assert_eq!(at(&mut g, &good(), 7), holding);
    assert_eq!(at(&mut g, &good(), 16), holding);
    assert_eq!(at(&mut g, &good(), 17), GateState::Open);
    assert_eq!(g.signal(Signal::AntennaOpen).raised, 1);
}

#[test]
fn each_signal_from_the_epoch() {
    let cases: Vec<(Signal, Epoch)> = vec![
        (Signal::AntennaShort, Epoch { antenna: Some(AntennaStatus::Short), ..good() }),
        (Signal::Jamming, Epoch { jamming: Some(Jamming { state: 3, indicator: 10 }), ..good() }),
        (Signal::Jamming, Epoch { jamming: Some(Jamming { state: 1, indicator: 201 }), ..good() }),
        (Signal::Spoofing, Epoch { spoofing: Some(2), ..good() }),
        (Signal::Spoofing, Epoch { spoofing: Some(3), ..good() }),
        (Signal::NoFix, Epoch { fix_ok: false, ..good() }),
        (Signal::NoFix, Epoch { time_valid: false, ..good() }),
        (Signal::TimeAccuracy, Epoch { tacc_ns: Some(1_001), ..good() }),
    ];
    for (signal, e) in cases {
        let mut g = Gate::new(Config::default());
        at(&mut g, &good(), 0);
        assert_eq!(at(&mut g, &e, 1), GateState::Closed { signal }, "{e:?}");
    }
}

#[test]
fn a_warning_shows_but_keeps_the_gate_open_and_ignore_hides() {
    let mut g = Gate::new(Config::default());
    at(&mut g, &good(), 0);
    let warn = Epoch { jamming: Some(Jamming { state: 2, indicator: 10 }), ..good() };
    assert_eq!(at(&mut g, &warn, 1), GateState::Open);
    assert_eq!(
        g.active().map(|(s, r, _)| (s, r)).collect::<Vec<_>>(),
        [(Signal::JammingWarning, Response::Warn)]
    );
    let mut cfg = Config::default();
    for (s, r) in cfg.responses.iter_mut() {
        if *s == Signal::Spoofing {
            *r = Response::Ignore;
        }
    }
    let mut g = Gate::new(cfg);
    at(&mut g, &good(), 0);
    assert_eq!(at(&mut g, &Epoch { spoofing: Some(2), ..good() }, 1), GateState::Open);
    assert_eq!(g.active().count(), 0);
}

/// An epoch that reports neither fix nor time (a burst cut in two on a loaded host: the part
/// with NAV-SAT and MON-RF only) neither raises nor clears `no-fix`; one that reports either does.
#[test]
fn an_epoch_without_fix_or_time_says_nothing_about_the_fix() {
    let mut g = Gate::new(Config::default());
    assert_eq!(at(&mut g, &good(), 0), GateState::Open);
    let fragment =
        Epoch { time: None, time_valid: false, fix: Fix::None, fix_ok: false, fix_reported: false, ..good() };
    assert_eq!(at(&mut g, &fragment, 1), GateState::Open);
    assert_eq!(g.active().count(), 0);
    let lost = Epoch { fix: Fix::None, fix_ok: false, ..good() };
    assert_eq!(at(&mut g, &lost, 2), GateState::Closed { signal: Signal::NoFix });
    // While closed, a fragment does not clear it either.
    assert_eq!(at(&mut g, &fragment, 30), GateState::Closed { signal: Signal::NoFix });
    // A time without vouching, with no fix message, keeps it raised; vouched time clears it.
    let unvouched = Epoch { time_valid: false, fix_reported: false, ..good() };
    assert_eq!(at(&mut g, &unvouched, 31), GateState::Closed { signal: Signal::NoFix });
    assert!(matches!(at(&mut g, &good(), 32), GateState::HoldingOff { .. }));
}

#[test]
fn a_receiver_still_acquiring_at_start_is_no_event_to_hold_off_from() {
    let mut g = Gate::new(Config::default());
    let cold = Epoch { fix: Fix::None, fix_ok: false, time_valid: false, ..good() };
    assert_eq!(at(&mut g, &cold, 0), GateState::Closed { signal: Signal::NoFix });
    assert_eq!(at(&mut g, &good(), 40), GateState::Open, "no hold-off after the first fix");
    // A fix lost later is: the hold-off applies.
    assert_eq!(at(&mut g, &cold, 50), GateState::Closed { signal: Signal::NoFix });
    assert!(matches!(at(&mut g, &good(), 51), GateState::HoldingOff { .. }));
}

#[test]
fn a_position_jump_against_where_the_appliance_stood() {
    let mut g = Gate::new(Config::default());
    for t in 0..60 {
        at(&mut g, &good(), t);
    }
    let mut moved = good();
    if let Some(p) = moved.position.as_mut() {
        p.lat_deg += 500.0 / 111_195.0; // 500 m north
    }
    assert_eq!(at(&mut g, &moved, 60), GateState::Closed { signal: Signal::PositionJump });
    let mut near = good();
    if let Some(p) = near.position.as_mut() {
        p.lat_deg += 20.0 / 111_195.0; // 20 m: a fix's scatter, not a jump
    }
    assert!(matches!(at(&mut g, &near, 61), GateState::HoldingOff { .. }));
    assert!(
        (distance_m(&good().position.unwrap_or_default(), &moved.position.unwrap_or_default()) - 500.0).abs()
            < 1.0
    );
}

#[test]
fn a_signal_from_a_message_sent_only_on_change_holds_until_cleared_and_holds_off_from_then() {
    // MON-RF announces the jammer once (second 5) and its end once (second 20); the epochs in
    // between carry no MON-RF.
    let mut g = Gate::new(Config::default());
    at(&mut g, &good(), 0);
    let jam = Epoch { jamming: Some(Jamming { state: 3, indicator: 250 }), ..good() };
    let silent = Epoch { jamming: None, ..good() };
    assert_eq!(at(&mut g, &jam, 5), GateState::Closed { signal: Signal::Jamming });
    for t in 6..20 {
        assert_eq!(at(&mut g, &silent, t), GateState::Closed { signal: Signal::Jamming }, "second {t}");
    }
    assert_eq!(at(&mut g, &good(), 20), GateState::HoldingOff { signal: Signal::Jamming, until_ns: 30 * S });
    assert_eq!(at(&mut g, &silent, 29), GateState::HoldingOff { signal: Signal::Jamming, until_ns: 30 * S });
    assert_eq!(at(&mut g, &silent, 30), GateState::Open);
}

/// A timing receiver in fixed time mode reports a time-only fix (NAV-PVT fixType 5 with
/// gnssFixOK): a fix for the gate, neither no-fix nor a jump while its fixed position is the
/// surveyed one (a few metres off the mean of the survey's fixes); a fixed position given
/// wrong by far (the pulse then off by µs) is a position jump.
#[test]
fn a_time_only_fix_is_a_fix_and_its_fixed_position_is_watched() {
    let mut g = Gate::new(Config::default());
    for t in 0..60 {
        assert_eq!(at(&mut g, &good(), t), GateState::Open);
    }
    let mut fixed = Epoch { fix: Fix::TimeOnly, ..good() };
    if let Some(p) = fixed.position.as_mut() {
        p.lat_deg += 3.0 / 111_195.0; // the survey's mean, 3 m off
    }
    for t in 60..120 {
        assert_eq!(at(&mut g, &fixed, t), GateState::Open, "second {t}");
    }
    assert_eq!((g.signal(Signal::NoFix).raised, g.signal(Signal::PositionJump).raised), (0, 0));
    // Not vouched for: no fix, whatever the type.
    let unsure = Epoch { fix_ok: false, ..fixed.clone() };
    assert_eq!(at(&mut g, &unsure, 120), GateState::Closed { signal: Signal::NoFix });
    let mut g = Gate::new(Config::default());
    for t in 0..60 {
        at(&mut g, &good(), t);
    }
    let mut wrong = fixed;
    if let Some(p) = wrong.position.as_mut() {
        p.lat_deg += 1000.0 / 111_195.0;
    }
    assert_eq!(at(&mut g, &wrong, 60), GateState::Closed { signal: Signal::PositionJump });
}
