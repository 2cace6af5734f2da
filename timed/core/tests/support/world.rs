//! A simulated world for the engine: true time, a raw oscillator, a system clock that is stepped
//! and slewed, and a receiver whose pulses and labels a seeded fault schedule corrupts. Pure and
//! deterministic (a seed gives the same hours every time), shared by the fault-storm test and
//! its longer benchmark. Everything here is SIMULATED: it stands in for the receiver, the PPS
//! pin and the kernel's clocks so the engine can be driven through hours in milliseconds.

#![allow(dead_code, reason = "each includer uses a different part")]

use std::collections::HashMap;
use timed_core::engine::{Action, Config, Engine};
use timed_core::epoch::{Epoch, Fix, NextPulse, RxStamp};
use timed_core::pps::{EdgeSource, PpsEdge};
use timed_core::time::UtcTime;

pub const NS: i64 = 1_000_000_000;
/// A whole second in 2026.
pub const T0: i64 = 1_780_000_000;
/// The serial delay the engine is told, and the receiver's real one (± its jitter).
pub const DELAY_NS: i64 = 120_000_000;
pub const DELAY_JITTER_NS: i64 = 5_000_000;
/// A PPS sample from one of the receiver's true pulses further than this from the truth is wrong
/// (stamp jitter is ±1 µs, qErr ±21 ns).
pub const PPS_BOUND_NS: i64 = 10_000;
/// Any PPS sample (a glitch edge that happens to land next to a second, a moved pulse) further
/// than this is wrong: the engine's phase tolerance (`outlier_ns`, 2 ms) plus the drift it
/// allows after a 5-minute outage, rounded up.
pub const PPS_ANY_BOUND_NS: i64 = 5_000_000;
/// A coarse sample further than this from the truth is wrong (the receiver's own burst jitter
/// is ±5 ms; anything below a second would be a worse figure, a second or more is the bug).
pub const COARSE_BOUND_NS: i64 = 50_000_000;
/// The integrity gate's default hold-off, seconds (samples are rightly withheld that long after
/// a fault clears).
const HOLDOFF_S: i64 = 10;

/// splitmix64: small, seedable, good enough to spread faults.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo) as u64 + 1)) as i64
    }
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

/// What a fault does while its window is open.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Serial time and TIM-TP both labelled `by_s` seconds off (a receiver off by whole seconds).
    WrongSecond {
        by_s: i64,
    },
    /// Only the TIM-TP announcement is off.
    TimTpOff {
        by_s: i64,
    },
    /// Only the serial time is off.
    SerialOff {
        by_s: i64,
    },
    /// No edges (the pulse continues in the receiver but never reaches the kernel).
    DropEdges,
    /// Every edge twice.
    DuplicateEdges,
    /// An extra edge `at_ns` after each real one.
    GlitchEdges {
        at_ns: i64,
    },
    /// The pulse moved by `by_ns` (a broken receiver; spoofers that walk slowly are the
    /// integrity gate's business, not the pulse count's).
    PulseShift {
        by_ns: i64,
    },
    /// No serial bytes.
    Silence,
    NoFix,
    InvalidTime,
    /// A date no receiver can honestly report, with every validity flag set.
    AbsurdDate {
        unix_s: i64,
    },
    /// A qErr no pulse can have.
    AbsurdQerr {
        ps: i32,
    },
    /// The system clock is slewed at `ppb` (chrony correcting an offset).
    Slew {
        ppb: i64,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct Fault {
    pub kind: Kind,
    pub from: i64,
    pub to: i64,
}

/// A step of the system clock at second `at` (between that second's edge and its burst when
/// `mid`, else just before the edge).
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub at: i64,
    pub mid: bool,
    pub by_ns: i64,
}

#[derive(Clone, Debug)]
pub struct Schedule {
    pub seed: u64,
    pub seconds: i64,
    pub tim_tp: bool,
    /// Raw oscillator rate error, ppb.
    pub raw_ppb: i64,
    /// True − system at the start.
    pub offset0_ns: i64,
    pub faults: Vec<Fault>,
    pub steps: Vec<Step>,
}

impl Schedule {
    /// A random schedule. Faults begin after a healthy minute (a receiver that is wrong from the
    /// moment timed starts counting is undetectable without another clock), PPS outages and
    /// pulse shifts last at most 5 min (the pulse count survives far longer: see the engine's
    /// train module), everything else up to half an hour, overlapping freely.
    pub fn generate(seed: u64, seconds: i64) -> Schedule {
        let mut r = Rng::new(seed);
        let mut faults = Vec::new();
        let n = r.range(1, 12);
        for _ in 0..n {
            let from = r.range(60, seconds - 1);
            let by_s = r.pick(&[-86_400, -3600, -2, -1, -1, 1, 1, 2, 3600, 1_000_000]);
            let kind = match r.range(0, 13) {
                0 | 1 => Kind::WrongSecond { by_s },
                2 => Kind::TimTpOff { by_s },
                3 => Kind::SerialOff { by_s },
                4 => Kind::DropEdges,
                5 => Kind::DuplicateEdges,
                6 => Kind::GlitchEdges { at_ns: r.range(200_000_000, 800_000_000) },
                7 => Kind::PulseShift { by_ns: r.range(150_000_000, 850_000_000) * r.pick(&[-1, 1]) },
                8 => Kind::Silence,
                9 => r.pick(&[Kind::NoFix, Kind::InvalidTime]),
                10 => Kind::AbsurdDate {
                    unix_s: r.pick(&[0, 86_400 * 365, 4_102_444_800, T0 - 1024 * 604_800]),
                },
                11 => Kind::AbsurdQerr { ps: r.pick(&[i32::MIN, i32::MAX, 5_000_000]) },
                _ => Kind::Slew { ppb: r.range(-500_000, 500_000) },
            };
            let max = match kind {
                Kind::DropEdges | Kind::PulseShift { .. } => 300,
                _ => 1800,
            };
            let to = (from + r.range(1, max)).min(seconds);
            faults.push(Fault { kind, from, to });
        }
        let steps = (0..r.range(0, 4))
            .map(|_| {
                let by_ns = r.range(1_000_000, 2_000 * NS) * r.pick(&[-1, 1]);
                Step { at: r.range(30, seconds - 1), mid: r.chance(500), by_ns }
            })
            .collect();
        Schedule {
            seed,
            seconds,
            tim_tp: r.chance(700),
            raw_ppb: r.range(-100_000, 100_000),
            offset0_ns: r.range(-100_000 * NS, 100_000 * NS),
            faults,
            steps,
        }
    }

    fn active(&self, i: i64) -> impl Iterator<Item = Kind> + '_ {
        self.faults.iter().filter(move |f| f.from <= i && i < f.to).map(|f| f.kind)
    }
}

/// What went wrong, if anything.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub pps_sent: u64,
    pub coarse_sent: u64,
    /// Seconds with no fault within 5 s and no step within 5 s, and how many of them made a
    /// PPS sample: the engine must not pass by sending nothing.
    pub healthy: u64,
    pub healthy_sent: u64,
    pub violations: Vec<String>,
    /// For each step with a healthy receiver around it: seconds from the step to the first PPS
    /// sample made after it.
    pub step_follow_s: Vec<f64>,
}

/// Runs a schedule through a fresh engine.
pub fn run(s: &Schedule) -> Outcome {
    let cfg = Config { serial_delay_ns: DELAY_NS, ..Config::default() };
    let mut e = Engine::new(cfg);
    let mut r = Rng::new(s.seed.wrapping_mul(31).wrapping_add(7));
    let mut out = Outcome::default();
    // True − system, as a function of the stepping/slewing history up to now.
    let mut offset = s.offset0_ns;
    let raw =
        |t: i64| 42 * NS + (t - T0 * NS) + ((t - T0 * NS) as i128 * s.raw_ppb as i128 / NS as i128) as i64;
    let mut seq = 0u64;
    // Truth per edge sequence (true − system when it was stamped, and whether it is one of the
    // receiver's true pulses) and per burst receive time (true second, true − system at the
    // stamp, the burst's real delay).
    let mut edges: HashMap<u64, (i64, bool)> = HashMap::new();
    let mut bursts: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    // A step not yet followed: when it happened (true ns), the offset after it, and whether the
    // receiver was healthy around it (only those count for the follow time).
    let mut pending_step: Option<(i64, i64, bool)> = None;
    for i in 0..s.seconds {
        let sec = T0 + i;
        let kinds: Vec<Kind> = s.active(i).collect();
        let has = |f: &dyn Fn(&Kind) -> bool| kinds.iter().any(f);
        for k in &kinds {
            if let Kind::Slew { ppb } = k {
                offset += ppb;
            }
        }
        let step_here: Vec<Step> = s.steps.iter().filter(|st| st.at == i).copied().collect();
        let quiet = s.faults.iter().all(|f| i + 5 < f.from || i >= f.to + 5 + HOLDOFF_S);
        for st in step_here.iter().filter(|st| !st.mid) {
            offset += st.by_ns;
            pending_step = Some((sec * NS - 100_000_000, offset, quiet));
        }
        // The edge: physically at sec + q (the receiver's quantisation error, which TIM-TP of
        // the previous second announced), stamped with ±1 µs jitter, received 50–500 µs later.
        let q_ps = |s: i64| ((s * 7919) % 43 - 21) as i32 * 1000;
        let q_ns = i64::from(q_ps(sec)) / 1000;
        let shift =
            kinds.iter().find_map(|k| if let Kind::PulseShift { by_ns } = k { Some(*by_ns) } else { None });
        let t_edge = sec * NS + q_ns + shift.unwrap_or(0);
        let jitter = r.range(-1000, 1000);
        let mut deliver = |e: &mut Engine, t: i64, seq: u64, acts: &mut Vec<Action>| {
            let stamp = t - offset + jitter;
            let lat = r.range(50_000, 500_000);
            let edge = PpsEdge { seq, system_ns: stamp, source: EdgeSource::Simulated };
            acts.extend(
                e.on_edge(edge, RxStamp { realtime_ns: t + lat - offset, monotonic_ns: raw(t + lat) }),
            );
        };
        let mut acts = Vec::new();
        if !has(&|k| *k == Kind::DropEdges) {
            seq += 1;
            edges.insert(seq, (offset, shift.is_none()));
            deliver(&mut e, t_edge, seq, &mut acts);
            if has(&|k| *k == Kind::DuplicateEdges) {
                // The same edge again (same sequence number and stamp): a driver repeating itself.
                deliver(&mut e, t_edge, seq, &mut acts);
            }
            if let Some(at) =
                kinds
                    .iter()
                    .find_map(|k| if let Kind::GlitchEdges { at_ns } = k { Some(*at_ns) } else { None })
            {
                seq += 1;
                edges.insert(seq, (offset, false));
                deliver(&mut e, t_edge + at, seq, &mut acts);
            }
        } else {
            // Lost on the way (as the simulator drops it): the kernel's count shows the gap.
            seq += 1;
        }
        for st in step_here.iter().filter(|st| st.mid) {
            offset += st.by_ns;
            pending_step = Some((sec * NS + 50_000_000, offset, quiet));
        }
        // The burst.
        if !has(&|k| *k == Kind::Silence) {
            let delay = DELAY_NS + r.range(-DELAY_JITTER_NS, DELAY_JITTER_NS);
            let t_rx = sec * NS + delay;
            let off_of = |k: &Kind, serial: bool| match *k {
                Kind::WrongSecond { by_s } => by_s,
                Kind::SerialOff { by_s } if serial => by_s,
                Kind::TimTpOff { by_s } if !serial => by_s,
                _ => 0,
            };
            let serial_by: i64 = kinds.iter().map(|k| off_of(k, true)).sum();
            let tp_by: i64 = kinds.iter().map(|k| off_of(k, false)).sum();
            let absurd =
                kinds
                    .iter()
                    .find_map(|k| if let Kind::AbsurdDate { unix_s } = k { Some(*unix_s) } else { None });
            let label = absurd.unwrap_or(sec + serial_by);
            let qerr = kinds
                .iter()
                .find_map(|k| if let Kind::AbsurdQerr { ps } = k { Some(*ps) } else { None })
                .unwrap_or(q_ps(sec + 1));
            let rx = RxStamp { realtime_ns: t_rx - offset, monotonic_ns: raw(t_rx) };
            let ep = Epoch {
                time: Some(UtcTime::from_unix(label, 0)),
                time_valid: !has(&|k| *k == Kind::InvalidTime),
                fix: Fix::ThreeD,
                fix_ok: !has(&|k| *k == Kind::NoFix),
                rx: Some(rx),
                next_pulse: s.tim_tp.then(|| NextPulse {
                    utc: Some(UtcTime::from_unix(absurd.unwrap_or(sec + 1 + tp_by), 0)),
                    week: 0,
                    tow_ms: 0,
                    tow_sub_ns: 0,
                    time_base_utc: true,
                    qerr_ps: Some(qerr),
                }),
                ..Epoch::default()
            };
            bursts.insert(rx.realtime_ns, (sec, offset, delay));
            acts.extend(e.on_epoch(&ep));
        }
        let tick = sec * NS + 500_000_000;
        acts.extend(e.tick(RxStamp { realtime_ns: tick - offset, monotonic_ns: raw(tick) }));
        // Healthy: no fault within 5 s, nor within the integrity gate's hold-off after one.
        let healthy = s.faults.iter().all(|f| i + 5 < f.from || i >= f.to + 5 + HOLDOFF_S)
            && s.steps.iter().all(|st| (st.at - i).abs() > 5);
        let mut sent_pps = false;
        for a in acts {
            match a {
                Action::SendPps(p) => {
                    out.pps_sent += 1;
                    sent_pps = true;
                    match edges.get(&p.edge.seq).copied() {
                        Some((off, real)) => {
                            let err = p.sample.offset_ns - off;
                            let bound = if real { PPS_BOUND_NS } else { PPS_ANY_BOUND_NS };
                            if err.abs() > bound {
                                let what = if real { "true pulse" } else { "moved or glitch edge" };
                                out.violations.push(format!(
                                    "second {i}: PPS sample from a {what} {:.6} s off the truth (labelled {})",
                                    err as f64 / 1e9,
                                    p.second
                                ));
                            }
                        }
                        None => out.violations.push(format!("second {i}: PPS sample from no edge")),
                    }
                    if let Some((at, off, quiet)) = pending_step {
                        if (p.sample.offset_ns - off).abs() <= PPS_BOUND_NS {
                            if quiet {
                                let true_ns = p.sample.system_ns + p.sample.offset_ns;
                                out.step_follow_s.push((true_ns - at) as f64 / 1e9);
                            }
                            pending_step = None;
                        }
                    }
                }
                Action::SendCoarse(c) => {
                    out.coarse_sent += 1;
                    match bursts.get(&c.rx_ns) {
                        Some(&(true_s, off, delay)) => {
                            // The sample's offset against the truth at its stamp, less the
                            // receiver's own jitter (what timed cannot know).
                            let err = c.sample.offset_ns - off + (delay - DELAY_NS);
                            if err.abs() > COARSE_BOUND_NS {
                                out.violations.push(format!(
                                    "second {i}: coarse sample for {true_s} is {:.3} s off the truth",
                                    err as f64 / 1e9
                                ));
                            }
                        }
                        None => out.violations.push(format!("second {i}: coarse sample from no burst")),
                    }
                }
                _ => {}
            }
        }
        if healthy && i >= 5 {
            out.healthy += 1;
            out.healthy_sent += u64::from(sent_pps);
        }
    }
    out
}
