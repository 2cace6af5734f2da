//! Engine: any sequence of PPS edges, epochs, ticks and system clock steps never panics, and the
//! PPS samples it sends come out in the order their edges happened (on CLOCK_MONOTONIC_RAW), each
//! at most once, each for an edge it was given.
//!
//! The input is a little program (see `Op`). The harness keeps the clocks physically possible
//! where the daemon's clock reads guarantee it: the raw clock only moves forward. Everything
//! else is the fuzzer's: labels a whole number of seconds off, stepped system clocks, edges
//! stamped before a step, duplicate and missed sequence numbers, TIM-TP announcements with any
//! qErr, leap-second announcements, and edges with any timestamp at all (a simulated-edge
//! datagram carries an arbitrary i64).
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;
use timed_core::engine::{Action, Config, Engine, Reject, MAX_EDGE_AGE_NS};
use timed_core::epoch::{Epoch, Fix, LeapEvent, NextPulse, RxStamp};
use timed_core::pps::{EdgeSource, PpsEdge};
use timed_core::time::UtcTime;

const NS: i64 = 1_000_000_000;
/// The true UTC second at raw time 0 of the harness (2025-06-15, plausible for the engine).
const T0: i64 = 1_750_000_000;

/// The latest time Linux lets CLOCK_REALTIME be set to (the kernel's `TIME_SETTOD_SEC_MAX`: the
/// largest `ktime_t` less 30 years of uptime); it refuses times before 1970.
const SETTOD_MAX_NS: i64 = (i64::MAX / NS - 30 * 365 * 86_400) * NS;

/// Reads the input front to back; past its end every read is 0.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        b
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for x in &mut b {
            *x = self.u8();
        }
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }
    fn i32(&mut self) -> i32 {
        i32::from_le_bytes(self.bytes())
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes())
    }
}

/// The harness's world: true time = raw + `T0` s; system time = true + `sys_err_ns`.
struct World {
    raw_ns: i64,
    sys_err_ns: i64,
    /// The system clock error before the last step (edges may be stamped before it).
    prev_sys_err_ns: i64,
    seq: u64,
}

impl World {
    fn now(&self) -> RxStamp {
        RxStamp { realtime_ns: self.real_at(self.raw_ns, self.sys_err_ns), monotonic_ns: self.raw_ns }
    }
    /// The system clock at raw time `raw_ns`, within what Linux lets it be set to.
    fn real_at(&self, raw_ns: i64, sys_err_ns: i64) -> i64 {
        raw_ns.saturating_add(T0 * NS).saturating_add(sys_err_ns).clamp(0, SETTOD_MAX_NS)
    }
    fn true_second(&self) -> i64 {
        T0 + self.raw_ns.div_euclid(NS)
    }
}

/// An edge the engine was given, with the raw time the engine puts it at.
#[derive(Clone, Copy)]
struct Fed {
    edge: PpsEdge,
    raw_ns: i128,
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let flags = inp.u8();
    let cfg = Config { qerr_correction: flags & 1 != 0, serial_delay_ns: 100_000_000, ..Config::default() };
    let mut engine = Engine::new(cfg);
    let mut w = World { raw_ns: i64::from(inp.u16()) * NS, sys_err_ns: 0, prev_sys_err_ns: 0, seq: 0 };
    let mut fed: Vec<Fed> = Vec::new();
    let mut last_sent: Option<Fed> = None;
    let mut check = |actions: Vec<Action>, fed: &[Fed]| {
        for a in actions {
            let Action::SendPps(s) = a else { continue };
            let f = fed.iter().rev().find(|f| f.edge == s.edge).copied();
            let Some(f) = f else { panic!("a sample for an edge never given: {s:?}") };
            if let Some(prev) = last_sent {
                assert!(
                    f.raw_ns > prev.raw_ns && f.edge.seq > prev.edge.seq,
                    "sample out of edge order: {:?} at raw {} after {:?} at raw {}",
                    f.edge,
                    f.raw_ns,
                    prev.edge,
                    prev.raw_ns
                );
            }
            assert_eq!(s.sample.system_ns, s.edge.system_ns, "a sample is about its edge");
            last_sent = Some(f);
        }
    };
    while !inp.0.is_empty() {
        match inp.u8() % 6 {
            // Time passes: up to about 2 s (1 s is 125 × 8 ms), only forward on the raw clock.
            0 => w.raw_ns += i64::from(inp.u8()) * 8_000_000 + i64::from(inp.u16()),
            // The system clock is stepped: by up to ±35 min, or set to any time at all.
            1 => {
                w.prev_sys_err_ns = w.sys_err_ns;
                let by = inp.i32();
                w.sys_err_ns =
                    if by & 1 == 0 { w.sys_err_ns.saturating_add(i64::from(by) * 1000) } else { inp.i64() };
            }
            // A pulse at the top of the current true second, as a kernel PPS source stamps it:
            // with jitter, possibly before the last clock step, possibly a repeated or skipped
            // sequence number.
            2 => {
                let b = inp.u8();
                w.seq = w.seq.saturating_add(u64::from(b & 3));
                let jitter = i64::from(inp.i32() >> 12);
                let pulse_raw = (w.true_second() - T0) * NS + jitter;
                let err = if b & 4 != 0 { w.prev_sys_err_ns } else { w.sys_err_ns };
                let edge =
                    PpsEdge { seq: w.seq, system_ns: w.real_at(pulse_raw, err), source: EdgeSource::Kernel };
                feed(&mut engine, &mut fed, &mut check, edge, w.now());
            }
            // An edge with any timestamp (a simulated-edge datagram from anyone).
            3 => {
                w.seq = w.seq.saturating_add(1);
                let edge = PpsEdge { seq: w.seq, system_ns: inp.i64(), source: EdgeSource::Simulated };
                feed(&mut engine, &mut fed, &mut check, edge, w.now());
            }
            // An epoch received now, labelled with the current true second or a few seconds off,
            // maybe announcing the next pulse (TIM-TP) and a leap second.
            4 => {
                let b = inp.u8();
                let off = i64::from(inp.u8() as i8 >> 5);
                let nanos = if b & 1 != 0 { u32::from(inp.u16()) * 15_259 } else { 0 };
                let second = w.true_second() + off;
                let next_pulse = (b & 2 != 0).then(|| NextPulse {
                    utc: Some(UtcTime::from_unix(second + 1 + i64::from(inp.u8() as i8 >> 6), 0)),
                    week: 0,
                    tow_ms: 0,
                    tow_sub_ns: 0,
                    time_base_utc: true,
                    qerr_ps: (b & 4 != 0).then(|| inp.i32()),
                });
                let mut epoch = Epoch {
                    time: Some(UtcTime::from_unix(second, nanos)),
                    time_valid: b & 8 == 0,
                    fix: Fix::TimeOnly,
                    fix_ok: b & 16 == 0,
                    rx: (b & 32 == 0).then(|| w.now()),
                    next_pulse,
                    ..Epoch::default()
                };
                if b & 64 != 0 {
                    let change = if inp.u8() & 1 != 0 { 1 } else { -1 };
                    epoch.leap.event = Some(LeapEvent { change, gps_week: inp.u16(), gps_day: inp.u16() });
                }
                let actions = engine.on_epoch(&epoch);
                check(actions, &fed);
            }
            _ => {
                let actions = engine.tick(w.now());
                check(actions, &fed);
            }
        }
    }
});

/// Gives the engine an edge, remembering where on the raw clock the engine puts it. An edge the
/// engine refuses outright (a duplicate, or one it cannot place: stamped more than
/// `MAX_EDGE_AGE_NS` from its receipt) is not remembered, so that a sample for an identical edge
/// given again (the same sequence number and stamp, received before or after a clock step) is
/// checked at the place of the copy the engine took.
fn feed(
    engine: &mut Engine,
    fed: &mut Vec<Fed>,
    check: &mut impl FnMut(Vec<Action>, &[Fed]),
    edge: PpsEdge,
    rx: RxStamp,
) {
    let age = i128::from(rx.realtime_ns) - i128::from(edge.system_ns);
    let actions = engine.on_edge(edge, rx);
    let refused = |r: Reject| actions.contains(&Action::Rejected(r));
    if age.abs() > i128::from(MAX_EDGE_AGE_NS) {
        assert_eq!(
            actions,
            vec![Action::Rejected(Reject::ImplausibleTime)],
            "an edge {age} ns from its receipt"
        );
    } else if !refused(Reject::Duplicate) {
        fed.push(Fed { edge, raw_ns: i128::from(rx.monotonic_ns) - age });
    }
    check(actions, fed);
}
