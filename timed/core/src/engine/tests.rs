use super::integrity::{GateState, Signal};
use super::*;
use crate::chrony::Leap;
use crate::epoch::{Fix, LeapEvent, LeapSource, LeapState, NextPulse, RxStamp};
use crate::pps::EdgeSource;
use crate::time::{Date, UtcTime};

const T0: i64 = 1_750_000_000; // a whole UTC second
const TRUTH_NS: i64 = 250_000; // true − system
const DELAY_NS: i64 = 120_000_000; // first byte of the burst after the second
/// CLOCK_REALTIME − CLOCK_MONOTONIC_RAW while nobody steps the system clock.
const RAW_OFF: i64 = 1_700_000_000 * NS;

/// When timed got an edge: at once, both clocks read together.
fn got(ed: PpsEdge) -> RxStamp {
    RxStamp { realtime_ns: ed.system_ns, monotonic_ns: ed.system_ns - RAW_OFF }
}

fn feed(e: &mut Engine, ed: PpsEdge) -> Vec<Action> {
    e.on_edge(ed, got(ed))
}

fn now(realtime_ns: i64) -> RxStamp {
    RxStamp { realtime_ns, monotonic_ns: realtime_ns - RAW_OFF }
}

fn edge(seq: u64, second: i64, jitter_ns: i64) -> PpsEdge {
    PpsEdge { seq, system_ns: second * NS - TRUTH_NS + jitter_ns, source: EdgeSource::Simulated }
}

/// The epoch for second `s`, its first byte `DELAY_NS` after the true second, optionally
/// announcing pulse `s + 1` with `qerr`.
fn epoch(s: i64, tim_tp: Option<i32>) -> Epoch {
    let rx = s * NS + DELAY_NS - TRUTH_NS;
    Epoch {
        time: Some(UtcTime::from_unix(s, 0)),
        time_valid: true,
        fix: Fix::ThreeD,
        fix_ok: true,
        rx: Some(now(rx)),
        next_pulse: tim_tp.map(|q| NextPulse {
            utc: Some(UtcTime::from_unix(s + 1, 0)),
            week: 0,
            tow_ms: 0,
            tow_sub_ns: 0,
            time_base_utc: true,
            qerr_ps: Some(q),
        }),
        ..Epoch::default()
    }
}

fn pps(actions: &[Action]) -> Vec<PpsSample> {
    actions.iter().filter_map(|a| if let Action::SendPps(s) = a { Some(*s) } else { None }).collect()
}

fn engine() -> Engine {
    Engine::new(Config { serial_delay_ns: DELAY_NS, ..Config::default() })
}

/// Without the integrity gate's hold-off: the pulse count's own decisions, edge by edge (the
/// hold-off is tested in integrity_tests.rs and below).
fn engine_without_holdoff() -> Engine {
    let integrity = integrity::Config { holdoff_ns: 0, ..integrity::Config::default() };
    Engine::new(Config { serial_delay_ns: DELAY_NS, integrity, ..Config::default() })
}

#[test]
fn a_day_of_seconds_with_tim_tp_labels_every_edge() {
    let mut e = engine();
    let mut sent = Vec::new();
    let mut coarse = 0;
    for i in 0..86_400i64 {
        let s = T0 + i;
        // Deterministic pseudo-jitter of ±1 µs and a qErr sawtooth of ±20 ns.
        let jitter = (i * 7919 % 2001) - 1000;
        let qerr = ((i % 9) as i32 - 4) * 5000;
        sent.extend(pps(&feed(&mut e, edge(i as u64, s, jitter))));
        let acts = e.on_epoch(&epoch(s, Some(qerr)));
        coarse += acts.iter().filter(|a| matches!(a, Action::SendCoarse(_))).count();
        sent.extend(pps(&acts));
        e.tick(now(s * NS + 500_000_000));
    }
    assert_eq!(sent.len(), 86_400, "rejects: {:?}", e.rejects());
    assert_eq!(coarse, 86_400);
    assert!(e.rejects().iter().all(|(_, n)| n == 0), "{:?}", e.rejects());
    // The first edge precedes any announcement: labelled from message timing; the rest by TIM-TP.
    assert_eq!(sent[0].label, LabelSource::EpochTiming);
    assert!(sent[1..].iter().all(|p| p.label == LabelSource::TimTp));
    for (i, p) in sent.iter().enumerate() {
        let i = i as i64;
        let jitter = (i * 7919 % 2001) - 1000;
        // TIM-TP of epoch i−1 announced pulse i with qErr of epoch i−1.
        let qerr_ns = if i == 0 { 0 } else { i64::from((((i - 1) % 9) as i32 - 4) * 5000) / 1000 };
        assert_eq!(p.second, T0 + i);
        assert_eq!(p.sample.offset_ns, TRUTH_NS - jitter + qerr_ns, "second {i}");
    }
    assert_eq!(e.state(), PpsState::Locked(LabelSource::TimTp));
}

#[test]
fn without_tim_tp_the_epoch_timing_labels_edges() {
    let mut e = engine();
    let mut sent = Vec::new();
    for i in 0..10 {
        sent.extend(pps(&feed(&mut e, edge(i as u64, T0 + i, 0))));
        let acts = e.on_epoch(&epoch(T0 + i, None));
        let c: Vec<_> =
            acts.iter().filter_map(|a| if let Action::SendCoarse(c) = a { Some(*c) } else { None }).collect();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].sample.offset_ns, TRUTH_NS, "coarse offset with the serial delay removed");
        sent.extend(pps(&acts));
    }
    assert_eq!(
        sent.iter().map(|p| p.second).collect::<Vec<_>>(),
        (0..10).map(|i| T0 + i).collect::<Vec<_>>()
    );
    assert!(sent.iter().all(|p| p.label == LabelSource::EpochTiming && p.sample.offset_ns == TRUTH_NS));
}

#[test]
fn a_clock_wrong_by_hours_still_labels_correctly() {
    // Boot without RTC: the system clock is 5 h behind. Labels depend only on differences.
    let mut e = engine();
    let skew = 5 * 3600 * NS;
    for i in 0..5 {
        let mut ed = edge(i as u64, T0 + i, 0);
        ed.system_ns -= skew;
        let sent = pps(&feed(&mut e, ed));
        let mut ep = epoch(T0 + i, Some(0));
        if let Some(rx) = ep.rx.as_mut() {
            *rx = now(rx.realtime_ns - skew);
        }
        let sent = [sent, pps(&e.on_epoch(&ep))].concat();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].second, T0 + i);
        assert_eq!(sent[0].sample.offset_ns, TRUTH_NS + skew);
    }
}

#[test]
fn missed_duplicate_and_glitch_pulses_are_counted() {
    let mut e = engine();
    feed(&mut e, edge(1, T0, 0));
    e.on_epoch(&epoch(T0, Some(0)));
    // Pulses 2 and 3 lost: the next edge carries sequence 4, two seconds later... still labelled
    // by the announcement? No: it is stale (announced for T0+1, 3 s ago).
    let acts = feed(&mut e, edge(4, T0 + 3, 0));
    assert_eq!(e.rejects().get(Reject::MissedPulse), 2);
    assert_eq!(e.rejects().get(Reject::Stale), 1);
    assert!(pps(&acts).is_empty());
    let sent = pps(&e.on_epoch(&epoch(T0 + 3, Some(0))));
    assert_eq!(sent.iter().map(|p| p.second).collect::<Vec<_>>(), [T0 + 3]);
    // The same sequence again, and a glitch 100 ms after a real edge.
    assert!(pps(&feed(&mut e, edge(4, T0 + 3, 0))).is_empty());
    let mut glitch = edge(5, T0 + 3, 0);
    glitch.system_ns += 100_000_000;
    assert!(pps(&feed(&mut e, glitch)).is_empty());
    assert_eq!(e.rejects().get(Reject::Duplicate), 2);
}

#[test]
fn invalid_time_and_no_fix_never_make_samples() {
    let mut e = engine();
    let mut ep = epoch(T0, Some(0));
    ep.time_valid = false;
    feed(&mut e, edge(1, T0, 0));
    let acts = e.on_epoch(&ep);
    assert!(acts.iter().all(|a| !matches!(a, Action::SendPps(_) | Action::SendCoarse(_))));
    // The announcement from an untrusted epoch does not label the next edge either.
    assert!(pps(&feed(&mut e, edge(2, T0 + 1, 0))).is_empty());
    let mut ep = epoch(T0 + 1, None);
    ep.fix_ok = false;
    assert!(pps(&e.on_epoch(&ep)).is_empty());
    assert!(e.rejects().get(Reject::InvalidTime) >= 2);
    assert!(e.rejects().get(Reject::NoFix) >= 1);
}

#[test]
fn a_label_that_jumps_a_second_is_rejected_and_the_count_goes_on() {
    let mut e = engine_without_holdoff();
    for i in 0..3 {
        feed(&mut e, edge(i as u64, T0 + i, 0));
        e.on_epoch(&epoch(T0 + i, Some(0)));
    }
    // The receiver announces the wrong second for the next pulse (T0+4 instead of T0+3).
    let mut bad = epoch(T0 + 2, Some(0));
    if let Some(p) = bad.next_pulse.as_mut() {
        p.utc = Some(UtcTime::from_unix(T0 + 4, 0));
    }
    e.on_epoch(&bad);
    assert!(pps(&feed(&mut e, edge(3, T0 + 3, 0))).is_empty());
    assert_eq!(e.rejects().get(Reject::LabelJump), 1);
    assert_eq!(e.state(), PpsState::Held(Hold::LabelJump { by_s: 1 }));
    // The receiver stays a second ahead, serial time and pulse labels alike, for a minute:
    // nothing is sent, however long it agrees with itself.
    for i in 3..63 {
        let mut ep = epoch(T0 + i + 1, Some(0));
        ep.rx = epoch(T0 + i, None).rx;
        let acts = e.on_epoch(&ep);
        assert!(
            acts.iter().all(|a| !matches!(a, Action::SendPps(_) | Action::SendCoarse(_))),
            "{i}: {acts:?}"
        );
        assert!(pps(&feed(&mut e, edge(i as u64 + 1, T0 + i + 1, 0))).is_empty(), "second {i}");
    }
    // Back to the right second: accepted at once, by the count it never lost.
    e.on_epoch(&epoch(T0 + 63, Some(0)));
    let sent = pps(&feed(&mut e, edge(64, T0 + 64, 0)));
    assert_eq!(
        sent.iter().map(|p| (p.second, p.sample.offset_ns)).collect::<Vec<_>>(),
        [(T0 + 64, TRUTH_NS)]
    );
    assert_eq!(e.state(), PpsState::Locked(LabelSource::TimTp));
}

#[test]
fn implausible_dates_and_garbage_qerr_make_no_samples() {
    let mut e = engine();
    // 1970, 2100 and a date a 1024-week rollover puts in the past: never a sample.
    for (i, s) in [86_400 * 365, 4_102_444_800 + 3600, T0 - 1024 * 604_800].into_iter().enumerate() {
        let mut ep = epoch(s, Some(0));
        ep.rx = epoch(T0 + i as i64, None).rx;
        let acts = e.on_epoch(&ep);
        assert!(acts.iter().all(|a| !matches!(a, Action::SendPps(_) | Action::SendCoarse(_))), "{acts:?}");
        assert!(pps(&feed(&mut e, edge(i as u64 + 1, T0 + i as i64 + 1, 0))).is_empty());
    }
    assert_eq!(e.rejects().get(Reject::ImplausibleTime), 3);
}

#[test]
fn edges_without_an_epoch_are_unlabelled_and_the_lock_is_lost() {
    let mut e = engine();
    feed(&mut e, edge(1, T0, 0));
    e.on_epoch(&epoch(T0, None));
    assert_eq!(e.state(), PpsState::Locked(LabelSource::EpochTiming));
    feed(&mut e, edge(2, T0 + 1, 0));
    let acts = e.tick(now((T0 + 3) * NS));
    assert_eq!(e.rejects().get(Reject::Unlabelled), 1);
    assert!(acts.contains(&Action::PpsStateChanged(PpsState::Acquiring)));
}

#[test]
fn a_moved_pulse_is_an_outlier_and_a_clock_step_is_followed_at_the_next_edge() {
    let mut e = engine_without_holdoff();
    let mut n = 0;
    for i in 0..5 {
        feed(&mut e, edge(i as u64, T0 + i, 0));
        n += pps(&e.on_epoch(&epoch(T0 + i, None))).len();
    }
    assert_eq!(n, 5);
    // One edge 300 ms late (a glitch the kernel stamped late): off the pulse train.
    let late = edge(5, T0 + 5, 300_000_000);
    feed(&mut e, late);
    let mut ep = epoch(T0 + 5, None);
    if let Some(rx) = ep.rx.as_mut() {
        *rx = now(rx.realtime_ns + 300_000_000);
    }
    assert!(pps(&e.on_epoch(&ep)).is_empty());
    assert_eq!(e.rejects().get(Reject::Outlier), 1);
    assert_eq!(e.state(), PpsState::Held(Hold::PulseMoved));
    // Then the system clock steps by −0.2 s for good (CLOCK_REALTIME only; the raw clock goes
    // on): the very next edge carries the new offset.
    let mut accepted = Vec::new();
    for i in 6..12 {
        let mut ed = edge(i as u64, T0 + i, 0);
        let raw = got(ed).monotonic_ns;
        ed.system_ns -= 200_000_000;
        e.on_edge(ed, RxStamp { realtime_ns: ed.system_ns, monotonic_ns: raw });
        let mut ep = epoch(T0 + i, None);
        if let Some(rx) = ep.rx.as_mut() {
            rx.realtime_ns -= 200_000_000;
        }
        accepted.extend(pps(&e.on_epoch(&ep)));
    }
    assert_eq!(e.rejects().get(Reject::Outlier), 1);
    assert_eq!(accepted.len(), 6);
    assert!(accepted.iter().all(|p| p.sample.offset_ns == TRUTH_NS + 200_000_000));
    assert_eq!(e.state(), PpsState::Locked(LabelSource::EpochTiming));
}

#[test]
fn the_leap_flag_is_set_on_the_day_that_ends_with_the_leap_second() {
    // GPS week 1929 day 7 (Saturday) = 2016-12-31: the leap second at its end.
    let mut e = Engine::new(Config {
        serial_delay_ns: DELAY_NS,
        earliest_unix_s: 1_451_606_400,
        ..Config::default()
    });
    let day = |y, m, d| Date::new(y, m, d).map(|d| d.days_since_unix_epoch() * 86_400).unwrap_or(0);
    let mut ep = epoch(day(2016, 12, 31) + 43_200, None);
    ep.leap = LeapState { event: Some(LeapEvent { change: 1, gps_week: 1929, gps_day: 7 }), ..ep.leap };
    let acts = e.on_epoch(&ep);
    let coarse: Vec<_> =
        acts.iter().filter_map(|a| if let Action::SendCoarse(c) = a { Some(*c) } else { None }).collect();
    assert_eq!(coarse[0].sample.leap, Leap::InsertSecond);
    let mut next = epoch(day(2017, 1, 1) + 10, None);
    next.leap = ep.leap;
    let acts = e.on_epoch(&next);
    assert!(acts.iter().any(|a| matches!(a, Action::SendCoarse(c) if c.sample.leap == Leap::Normal)));
}

#[test]
fn an_announcement_that_arrives_after_its_edge_still_labels_it() {
    // A burst padded to ~95 % of the line: epoch S's TIM-TP (announcing S+1) is decoded only
    // after edge S+1 has arrived.
    let mut e = engine();
    feed(&mut e, edge(0, T0, 0));
    assert_eq!(pps(&e.on_epoch(&epoch(T0, Some(0)))).len(), 1);
    assert_eq!(pps(&feed(&mut e, edge(1, T0 + 1, 0))).len(), 1);
    for i in 2..6 {
        assert!(pps(&feed(&mut e, edge(i as u64, T0 + i, 0))).is_empty(), "nothing announced edge {i} yet");
        let sent = pps(&e.on_epoch(&epoch(T0 + i - 1, Some(2000))));
        assert_eq!(sent.len(), 1, "second {i}: {:?}", e.rejects());
        assert_eq!((sent[0].second, sent[0].label), (T0 + i, LabelSource::TimTp));
        assert_eq!(sent[0].sample.offset_ns, TRUTH_NS + 2);
    }
    assert!(e.rejects().iter().all(|(_, n)| n == 0), "{:?}", e.rejects());
}

#[test]
fn a_second_epoch_for_the_same_second_sends_no_second_coarse_sample() {
    let mut e = engine();
    let coarse = |acts: &[Action]| acts.iter().filter(|a| matches!(a, Action::SendCoarse(_))).count();
    assert_eq!(coarse(&e.on_epoch(&epoch(T0, None))), 1);
    // The rest of the burst after a pause: same second, first byte 74 ms later.
    let mut late = epoch(T0, None);
    late.rx = late.rx.map(|r| RxStamp { realtime_ns: r.realtime_ns + 74_000_000, ..r });
    let acts = e.on_epoch(&late);
    assert_eq!(coarse(&acts), 0, "{acts:?}");
    assert!(acts.contains(&Action::Rejected(Reject::Duplicate)), "{acts:?}");
    assert_eq!(coarse(&e.on_epoch(&epoch(T0 + 1, None))), 1, "the next second is sent");
}

#[test]
fn a_qerr_no_pulse_can_have_is_counted_and_not_applied() {
    // TIM-TP qErr = −2^31 ps moved five samples by 2.15 ms before it was range-checked.
    let mut e = engine();
    feed(&mut e, edge(0, T0, 0));
    e.on_epoch(&epoch(T0, Some(i32::MIN)));
    let sent = pps(&feed(&mut e, edge(1, T0 + 1, 0)));
    assert_eq!(sent.iter().map(|p| (p.sample.offset_ns, p.qerr_ps)).collect::<Vec<_>>(), [(TRUTH_NS, 0)]);
    assert_eq!(e.rejects().get(Reject::ImplausibleQerr), 1);
    // A real one (−20 ns) is applied.
    e.on_epoch(&epoch(T0 + 1, Some(-20_000)));
    let sent = pps(&feed(&mut e, edge(2, T0 + 2, 0)));
    assert_eq!(
        sent.iter().map(|p| (p.sample.offset_ns, p.qerr_ps)).collect::<Vec<_>>(),
        [(TRUTH_NS - 20, -20_000)]
    );
}

#[test]
fn an_edge_stamped_hours_from_its_receipt_is_implausible_and_the_count_goes_on() {
    // Found by the engine fuzz target: a simulated-edge datagram carries any i64 timestamp, and
    // placing it on the raw clock overflowed. Such edges are rejected before any arithmetic.
    let mut e = engine();
    let sent = |e: &mut Engine, i: i64| {
        let mut s = pps(&feed(e, edge(i as u64, T0 + i, 0)));
        s.extend(pps(&e.on_epoch(&epoch(T0 + i, Some(0)))));
        s
    };
    assert_eq!(sent(&mut e, 0).len(), 1);
    let at = now((T0 + 1) * NS);
    for system_ns in [i64::MIN, i64::MAX, at.realtime_ns - 3601 * NS, at.realtime_ns + 3601 * NS] {
        let hostile = PpsEdge { seq: 1, system_ns, source: EdgeSource::Simulated };
        assert_eq!(e.on_edge(hostile, at), vec![Action::Rejected(Reject::ImplausibleTime)]);
    }
    assert_eq!(e.rejects().get(Reject::ImplausibleTime), 4);
    // The hostile edges took no sequence number and moved nothing: the next pulses go out.
    for i in 1..4 {
        let s = sent(&mut e, i);
        assert_eq!(s.iter().map(|p| p.second).collect::<Vec<_>>(), vec![T0 + i]);
    }
    // A sequence number at the top of its range (a gap, counted up to an hour of pulses), then
    // one that went back (a restarted simulator): no overflow, and going back is no gap.
    let at = |i: i64| edge(0, T0 + i, 0);
    feed(&mut e, PpsEdge { seq: u64::MAX, ..at(4) });
    assert_eq!(e.rejects().get(Reject::MissedPulse), 3600);
    feed(&mut e, PpsEdge { seq: 0, ..at(5) });
    assert_eq!(e.rejects().get(Reject::MissedPulse), 3600);
}

#[test]
fn a_system_clock_set_centuries_away_between_an_edge_and_its_burst_is_a_wrong_second() {
    // Found by the engine fuzz target: comparing the PPS offset with the coarse one overflowed
    // when the system clock was set from one end of its range to the other in between.
    let mut e = engine();
    let late = (i64::MAX / NS - 10) * NS;
    let ed = PpsEdge { seq: 1, system_ns: late, source: EdgeSource::Kernel };
    let raw = 100 * NS;
    assert!(pps(&e.on_edge(ed, RxStamp { realtime_ns: late, monotonic_ns: raw })).is_empty());
    let mut ep = epoch(T0, None);
    ep.rx = Some(RxStamp { realtime_ns: -(T0 * NS * 4), monotonic_ns: raw + DELAY_NS });
    let acts = e.on_epoch(&ep);
    assert!(pps(&acts).is_empty(), "{acts:?}");
    assert!(acts.contains(&Action::Rejected(Reject::WrongSecond)), "{acts:?}");
}

#[test]
fn after_a_wrong_second_the_gate_holds_off_ten_seconds_then_samples_resume() {
    let mut e = engine();
    let sent = |e: &mut Engine, i: i64, label: i64| {
        let mut ep = epoch(label, Some(0));
        ep.rx = epoch(T0 + i, None).rx;
        let mut s = pps(&feed(e, edge(i as u64, T0 + i, 0)));
        s.extend(pps(&e.on_epoch(&ep)));
        e.tick(now((T0 + i) * NS + 500_000_000));
        s
    };
    for i in 0..5 {
        assert_eq!(sent(&mut e, i, T0 + i).len(), 1, "second {i}");
    }
    // Seconds 5..8 announced a second ahead: their successors' pulses are held.
    for i in 5..8 {
        sent(&mut e, i, T0 + i + 1);
    }
    assert!(matches!(e.gate().state(), GateState::Closed { signal: Signal::WrongSecond }));
    // Right again from 8 on (the first right label clears the signal at second 9's edge):
    // withheld for the 10 s hold-off from then, then sent.
    let resumed: Vec<i64> = (8..25).filter(|&i| !sent(&mut e, i, T0 + i).is_empty()).collect();
    assert_eq!(resumed.first(), Some(&19), "{resumed:?}");
    assert!(e.rejects().get(Reject::GateClosed) >= 9);
}

#[test]
fn a_pulse_that_moved_a_little_and_stays_moved_is_never_sent() {
    // A 2 ms shift of pulse and burst together (a spoofer, a receiver glitch): inside the
    // outlier limit's reach only until the train stops following; the train keeps its phase, so
    // no shifted sample goes out however long it lasts (within the drift allowance's hours).
    let mut e = engine();
    for i in 0..30 {
        feed(&mut e, edge(i as u64, T0 + i, 0));
        e.on_epoch(&epoch(T0 + i, Some(0)));
        e.tick(now((T0 + i) * NS + 500_000_000));
    }
    let mut sent = Vec::new();
    for i in 30..330 {
        sent.extend(pps(&feed(&mut e, edge(i as u64, T0 + i, 2_000_000))));
        let mut ep = epoch(T0 + i, Some(0));
        ep.rx = ep.rx.map(|r| now(r.realtime_ns + 2_000_000));
        sent.extend(pps(&e.on_epoch(&ep)));
        e.tick(now((T0 + i) * NS + 500_000_000));
    }
    assert!(sent.is_empty(), "{} shifted samples sent, first {:?}", sent.len(), sent.first());
    assert!(matches!(e.gate().state(), GateState::Closed { signal: Signal::TimeShift }));
}

/// The real tzdata list (testdata/leap): the last leap at the end of 2016-12-31, expiring
/// 2026-06-28.
fn real_list() -> crate::leaplist::LeapList {
    crate::leaplist::LeapList::parse(&timed_testdata::leap_seconds_list()).unwrap_or_else(|e| panic!("{e}"))
}

/// The leap flag on the coarse sample of an epoch at Unix second `s` announcing `change` for
/// GPS week/day (`week`, `dn`), with the list and policy given.
fn leap_flag(
    list: Option<crate::leaplist::LeapList>,
    trust: bool,
    s: i64,
    change: i8,
    week: u16,
    dn: u16,
) -> Leap {
    let mut e = Engine::new(Config {
        serial_delay_ns: DELAY_NS,
        earliest_unix_s: 1_451_606_400,
        ..Config::default()
    });
    e.set_leap_list(list, trust);
    let mut ep = epoch(s, None);
    ep.leap = LeapState { event: Some(LeapEvent { change, gps_week: week, gps_day: dn }), ..ep.leap };
    let acts = e.on_epoch(&ep);
    acts.iter()
        .find_map(|a| if let Action::SendCoarse(c) = a { Some(c.sample.leap) } else { None })
        .unwrap_or_else(|| panic!("no coarse sample: {acts:?}"))
}

#[test]
fn the_leap_flag_needs_june_or_december_and_the_lists_agreement() {
    let day = |y, m, d| Date::new(y, m, d).map(|d| d.days_since_unix_epoch() * 86_400).unwrap_or(0);
    // 2016-12-31 (GPS week 1929, day 7): the list agrees.
    let dec31 = day(2016, 12, 31) + 43_200;
    assert_eq!(leap_flag(Some(real_list()), false, dec31, 1, 1929, 7), Leap::InsertSecond);
    // The receiver announces a deletion the list does not have: no flag.
    assert_eq!(leap_flag(Some(real_list()), false, dec31, -1, 1929, 7), Leap::Normal);
    // 2017-06-30 (week 1955, day 6): the list says no leap that day.
    assert_eq!(leap_flag(Some(real_list()), false, day(2017, 6, 30) + 10, 1, 1955, 6), Leap::Normal);
    // A day that is neither 30 June nor 31 December (2016-12-30, week 1929, day 6): never.
    assert_eq!(leap_flag(None, false, day(2016, 12, 30) + 10, 1, 1929, 6), Leap::Normal);
    // 2026-12-31 (week 2451, day 5), after the list expired: held, or the receiver's word.
    let late = day(2026, 12, 31) + 10;
    assert_eq!(leap_flag(Some(real_list()), false, late, 1, 2451, 5), Leap::Normal);
    assert_eq!(leap_flag(Some(real_list()), true, late, 1, 2451, 5), Leap::InsertSecond);
}

#[test]
fn a_receiver_on_its_firmwares_leap_count_is_held_when_the_list_disagrees() {
    // A cold receiver with the default count 17 (the list says 18 since 2017): every label is a
    // second off, and it vouches for them. Held from the first epoch, never sent.
    let mut e = engine();
    e.set_leap_list(Some(real_list()), false);
    let s0 = 1_780_000_000; // 2026-05-28, before the list's expiry
    let mut sent = 0;
    for i in 0..20 {
        let mut ep = epoch(s0 + i, Some(0));
        ep.rx = epoch(T0 + i, None).rx;
        ep.leap = LeapState { current_s: Some(17), source: LeapSource::NavTimeLs(0), ..ep.leap };
        let mut ed = edge(i as u64, T0 + i, 0);
        ed.system_ns += (s0 - T0) * NS;
        let acts = [feed(&mut e, ed), e.on_epoch(&ep)].concat();
        sent += acts.iter().filter(|a| matches!(a, Action::SendPps(_) | Action::SendCoarse(_))).count();
    }
    assert_eq!(sent, 0);
    assert!(matches!(e.gate().state(), GateState::Closed { signal: Signal::LeapMismatch }));
}

#[test]
fn after_a_cold_start_on_a_stale_leap_count_the_corrected_labels_are_taken() {
    // Cold start: the receiver's count is 17 (srcOfCurrLs 0), so it labels true second t as
    // t + 1, and the list says 18. Nothing may be sent, and no pulse count may start from those
    // labels: when the receiver learns 18 from the sky, its right labels would look a second
    // off the count and be held for good (found by the lab's cold-start replay).
    let mut e = engine();
    e.set_leap_list(Some(real_list()), false);
    let s0 = 1_780_000_000; // 2026-05-28, before the list's expiry
    let mut sent: Vec<(i64, i64)> = Vec::new();
    for i in 0..50 {
        let stale = i < 20;
        let label = s0 + i + i64::from(stale);
        let mut ep = epoch(label, Some(0));
        ep.rx = epoch(s0 + i, None).rx;
        let (count, source) = if stale { (17, 0) } else { (18, 2) };
        ep.leap = LeapState { current_s: Some(count), source: LeapSource::NavTimeLs(source), ..ep.leap };
        let ed = edge(i as u64 + 1, s0 + i, 0);
        let acts = [feed(&mut e, ed), e.on_epoch(&ep)].concat();
        sent.extend(pps(&acts).iter().map(|p| (i, p.second)));
        if stale {
            assert!(acts.iter().all(|a| !matches!(a, Action::SendCoarse(_))), "coarse sample at {i}");
        }
    }
    assert!(sent.iter().all(|&(i, second)| i >= 20 && second == s0 + i), "{sent:?}");
    // Hold-off 10 s after the last contradicted epoch (i = 19), then every second.
    assert!(
        sent.len() >= 18,
        "only {} PPS samples once the count was right: {sent:?} {:?}",
        sent.len(),
        e.rejects()
    );
    assert_eq!(e.gate().state(), GateState::Open);
}

#[test]
fn chronys_other_sources_disagreeing_with_the_receiver_close_the_gate() {
    use super::sources::{PeerOffset, Verdict};
    let integrity = integrity::Config { holdoff_ns: 3 * NS, ..integrity::Config::default() };
    let mut e = Engine::new(Config { serial_delay_ns: DELAY_NS, integrity, ..Config::default() });
    let peers = |true_minus_system_s: f64| [PeerOffset { true_minus_system_s, error_s: 0.002 }; 3];
    let mut sent = Vec::new();
    for i in 0..30 {
        let acts =
            [feed(&mut e, edge(i as u64 + 1, T0 + i, 0)), e.on_epoch(&epoch(T0 + i, Some(0)))].concat();
        sent.push(!pps(&acts).is_empty());
        let at = now((T0 + i) * NS + 500_000_000);
        // Seconds 10..20: the servers put the receiver (250 µs ahead of the system clock) 50 ms
        // off; before and after, within a millisecond.
        let off = if (10..20).contains(&i) { -0.050 } else { 0.000_7 };
        e.note_other_sources(&peers(off), at);
        if i == 12 {
            assert!(matches!(e.sources_verdict(), Verdict::Disagree { disagreeing: 3, peers: 3, .. }));
            assert!(matches!(e.gate().state(), GateState::Closed { signal: Signal::TimeShift }));
        }
    }
    assert!(sent[2..10].iter().all(|s| *s), "{sent:?}");
    assert!(sent[11..22].iter().all(|s| !*s), "samples while the servers disagreed: {sent:?}");
    assert!(sent[24..].iter().all(|s| *s), "no recovery after the hold-off: {sent:?}");
    assert_eq!(e.sources_verdict(), Verdict::Agree { peers: 3 });
    assert_eq!(e.gate().state(), GateState::Open);
}
