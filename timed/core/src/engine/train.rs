//! The pulse train: which second an edge (or a burst) is, by counting seconds on a clock that
//! nobody steps.
//!
//! Why this exists: a receiver that labels its pulses with the wrong second still sends the
//! pulses exactly one second apart, and its serial time is wrong in the same way, so every check
//! that compares the receiver with itself agrees with the wrong label. What a mislabelling
//! receiver cannot change is how many seconds passed since the last trusted pulse, measured on
//! CLOCK_MONOTONIC_RAW: the kernel never steps it and chrony's slewing and frequency corrections
//! do not reach it. On that clock:
//! - a wrong label is an edge on the train's phase whose label differs from the count by whole
//!   seconds ([`Judgement::LabelOff`]): rejected, and the train keeps its own count;
//! - a pulse that moved (a glitch, a spoofer, a broken receiver) is off the train's phase
//!   ([`Judgement::PhaseOff`]): rejected;
//! - a step of the system clock is invisible: the train goes on, and the offsets the engine
//!   computes from CLOCK_REALTIME stamps follow the step at the very next edge.
//!
//! The count is only as good as the raw clock's rate, so the phase tolerance grows with the time
//! since the last point on the train (500 ppm, any crystal, until the rate has been measured over
//! [`RATE_MIN_SPAN_S`]; then [`DRIFT_KNOWN_PPB`], the temperature wander of a crystal whose rate
//! was measured). When the tolerance reaches [`MAX_TOL_NS`] the count is no longer certain to
//! the second and the train ends: the next edge starts a new one.

use std::collections::VecDeque;

const NS: i64 = 1_000_000_000;
/// Beyond this the phase no longer tells whole seconds apart safely (half a second, less margin).
pub(super) const MAX_TOL_NS: i64 = 400_000_000;
/// Drift bound while the raw clock's rate is unknown: any quartz oscillator is within 500 ppm.
const DRIFT_UNKNOWN_PPB: i64 = 500_000;
/// Drift bound once the rate is measured: what temperature does to a crystal over hours.
pub(super) const DRIFT_KNOWN_PPB: i64 = 5_000;
/// The rate is trusted once measured over at least this many seconds.
pub(super) const RATE_MIN_SPAN_S: i64 = 16;
/// Rate history: a point every `RATE_SPACING_S`, at most `RATE_POINTS` (about an hour).
const RATE_SPACING_S: i64 = 64;
const RATE_POINTS: usize = 64;

/// A point on the train: the raw-clock time of a pulse and the UTC second (Unix) it marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Point {
    pub raw_ns: i64,
    pub second: i64,
}

/// How an edge or burst relates to the train.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Judgement {
    /// No train to compare with (nothing yet, or too long since its last point).
    Unanchored,
    /// The label continues the count; the pulse is `phase_ns` from where the train put it,
    /// which the raw clock's drift alone can explain up to `drift_ns`.
    OnTrain { phase_ns: i64, drift_ns: i64 },
    /// On the train's phase, but the label is `by_s` seconds away from the count; the count
    /// says the edge is `second`.
    LabelOff { by_s: i64, second: i64 },
    /// Not where a pulse of the train can be: `by_ns` from the nearest one.
    PhaseOff { by_ns: i64 },
}

#[derive(Clone, Debug)]
pub(super) struct Train {
    /// Phase tolerance right after a point.
    tol_ns: i64,
    /// Whether to measure the raw clock's rate (PPS edges: yes; serial bursts jitter by
    /// milliseconds and would measure nothing useful).
    measure_rate: bool,
    last: Option<Point>,
    /// Points at least [`RATE_SPACING_S`] apart, oldest first, for the rate.
    history: VecDeque<Point>,
}

impl Train {
    pub fn new(tol_ns: i64, measure_rate: bool) -> Train {
        Train { tol_ns, measure_rate, last: None, history: VecDeque::new() }
    }

    /// Raw-clock nanoseconds per true second over the train so far (from two seconds on: the
    /// pulses' microsecond jitter over two seconds is a ppm, better than assuming a perfect
    /// oscillator), and whether it is measured well enough ([`RATE_MIN_SPAN_S`]) to narrow the
    /// drift allowed.
    fn rate(&self) -> Option<(f64, bool)> {
        let (first, last) = (self.history.front()?, self.last?);
        let span_s = last.second - first.second;
        (span_s >= 2)
            .then(|| ((last.raw_ns - first.raw_ns) as f64 / span_s as f64, span_s >= RATE_MIN_SPAN_S))
    }

    /// What the raw clock's drift can explain `gap_ns` (raw) after the last point.
    fn drift(&self, gap_ns: i64) -> i64 {
        let known = self.rate().is_some_and(|(_, known)| known);
        let ppb = if known { DRIFT_KNOWN_PPB } else { DRIFT_UNKNOWN_PPB };
        let gap_s = (gap_ns.unsigned_abs() / NS as u64).min(1 << 32) as i64 + 1;
        gap_s.saturating_mul(ppb)
    }

    /// The phase tolerance `gap_ns` (raw) after the last point.
    fn tolerance(&self, gap_ns: i64) -> i64 {
        self.tol_ns.saturating_add(self.drift(gap_ns))
    }

    /// Whether the train can still count seconds at raw time `raw_ns`.
    pub fn alive_at(&self, raw_ns: i64) -> bool {
        self.last.is_some_and(|l| self.tolerance(raw_ns - l.raw_ns) <= MAX_TOL_NS)
    }

    /// The UTC time (Unix ns) the train puts at raw time `raw_ns`, while it is alive.
    pub fn utc_at(&self, raw_ns: i64) -> Option<i64> {
        let last = self.last.filter(|_| self.alive_at(raw_ns))?;
        let per_s = self.rate().map_or(NS as f64, |(r, _)| r);
        let elapsed = ((raw_ns - last.raw_ns) as f64 / per_s * NS as f64).round() as i64;
        Some(last.second * NS + elapsed)
    }

    /// Judges an edge at raw time `raw_ns` labelled `label` (Unix second).
    pub fn judge(&self, raw_ns: i64, label: i64) -> Judgement {
        let Some(last) = self.last.filter(|_| self.alive_at(raw_ns)) else {
            return Judgement::Unanchored;
        };
        let per_s = self.rate().map_or(NS as f64, |(r, _)| r);
        let elapsed_s = (raw_ns - last.raw_ns) as f64 / per_s;
        let count = elapsed_s.round() as i64;
        let phase_ns = ((elapsed_s - count as f64) * NS as f64).round() as i64;
        if count <= 0 || phase_ns.abs() > self.tolerance(raw_ns - last.raw_ns) {
            // Not a later pulse of this train: at or before its last point, or between pulses.
            let by_ns = if count <= 0 { raw_ns - last.raw_ns } else { phase_ns };
            return Judgement::PhaseOff { by_ns };
        }
        let second = last.second + count;
        if label == second {
            Judgement::OnTrain { phase_ns, drift_ns: self.drift(raw_ns - last.raw_ns) }
        } else {
            Judgement::LabelOff { by_s: label - second, second }
        }
    }

    /// Adds a point (a trusted edge, or an edge the count has labelled). Starts a new train when
    /// the old one can no longer count to here.
    pub fn push(&mut self, p: Point) {
        if !self.alive_at(p.raw_ns) {
            self.history.clear();
        }
        self.last = Some(p);
        if !self.measure_rate {
            return;
        }
        if self.history.back().is_none_or(|b| p.second - b.second >= RATE_SPACING_S) {
            if self.history.len() == RATE_POINTS {
                self.history.pop_front();
            }
            self.history.push_back(p);
        }
    }

    /// Moves the count by `by_s` seconds from here on (an announced leap second: the Unix
    /// labels repeat or skip one at its end).
    pub fn shift(&mut self, by_s: i64) {
        if let Some(l) = self.last.as_mut() {
            l.second += by_s;
        }
        for p in &mut self.history {
            p.second += by_s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_750_000_000;

    fn train_with(n: i64, per_s: i64) -> Train {
        let mut t = Train::new(100_000_000, true);
        for i in 0..n {
            t.push(Point { raw_ns: 5 * NS + i * per_s, second: T0 + i });
        }
        t
    }

    #[test]
    fn counts_seconds_and_tells_label_errors_from_moved_pulses() {
        let t = train_with(3, NS);
        let raw = 5 * NS + 3 * NS;
        assert!(matches!(t.judge(raw, T0 + 3), Judgement::OnTrain { phase_ns: 0, .. }));
        assert_eq!(t.judge(raw, T0 + 4), Judgement::LabelOff { by_s: 1, second: T0 + 3 });
        assert_eq!(t.judge(raw, T0 + 1), Judgement::LabelOff { by_s: -2, second: T0 + 3 });
        assert_eq!(t.judge(raw + 300_000_000, T0 + 3), Judgement::PhaseOff { by_ns: 300_000_000 });
        // At or before the last point: not a new pulse.
        assert!(matches!(t.judge(5 * NS + 2 * NS, T0 + 2), Judgement::PhaseOff { .. }));
    }

    #[test]
    fn a_fast_raw_clock_is_measured_and_counted_through_a_long_gap() {
        // Raw clock 300 ppm fast: after an hour's gap that is 1.08 s, more than the rounding can
        // take without the measured rate.
        let per_s = NS + 300_000;
        let t = train_with(20, per_s);
        assert!(t.rate().is_some());
        let raw = 5 * NS + (19 + 3600) * per_s;
        assert!(matches!(t.judge(raw, T0 + 19 + 3600), Judgement::OnTrain { .. }));
        assert_eq!(t.utc_at(raw), Some((T0 + 19 + 3600) * NS));
    }

    #[test]
    fn the_train_ends_when_the_count_is_no_longer_certain() {
        // Rate unknown (2 points): 100 ms + 500 ppm × gap passes 400 ms after about 600 s.
        let t = train_with(2, NS);
        assert!(t.alive_at(5 * NS + 500 * NS));
        assert!(!t.alive_at(5 * NS + 700 * NS));
        assert_eq!(t.judge(5 * NS + 700 * NS, T0 + 699), Judgement::Unanchored);
        // Rate known: 100 ms + 5 ppm × gap reaches 400 ms after about 60 000 s.
        let t = train_with(20, NS);
        assert!(t.alive_at(5 * NS + 50_000 * NS));
        assert!(!t.alive_at(5 * NS + 70_000 * NS));
    }

    #[test]
    fn a_shift_moves_the_count() {
        let mut t = train_with(3, NS);
        t.shift(-1);
        assert!(matches!(t.judge(5 * NS + 3 * NS, T0 + 2), Judgement::OnTrain { .. }));
    }
}
