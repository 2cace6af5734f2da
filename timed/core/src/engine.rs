//! The engine: pairs each PPS edge with the UTC second it marks and turns epochs and edges into
//! chrony samples, rejecting (and counting) anything ambiguous. One value owns all state; every
//! input returns the actions the daemon must carry out. Time only comes in through arguments.
//!
//! Labelling an edge:
//! - With UBX-TIM-TP the receiver announces the time of its *next* pulse before the pulse
//!   (u-blox 8 protocol spec §32.18.2): an edge arriving within [`Config::tim_tp_max_age_ns`] of
//!   the burst that announced it is that second, and its sample goes out at once.
//! - Otherwise the receiver's known message timing labels it: the epoch for second S starts
//!   arriving a little after pulse S, so an edge followed within
//!   [`Config::epoch_after_edge_ns`] by the first byte of a whole-second epoch is that second.
//!
//! Both use only differences of CLOCK_MONOTONIC_RAW timestamps, so a system clock that is wrong
//! by hours (a Pi without RTC at boot), or stepped meanwhile, labels edges as well as a good one.
//!
//! Trusting a label: the receiver's word is checked against the pulse count (`train`): once a
//! pulse train runs, an edge is the second the count says, whatever the receiver claims; a label
//! whole seconds away is rejected ([`Reject::LabelJump`], state [`Hold::LabelJump`]) and the
//! count goes on, so no length of wrong labels ever moves it. Only a lost count (no pulse for so
//! long that the raw clock's drift could hide a second) starts a new train from the receiver's
//! word, and then only if the receiver's serial time agrees. Serial bursts are checked against
//! the pulse count too, or against their own count while no pulses come. System clock steps
//! change no label; the offsets follow them at the next edge. Times outside the plausible range
//! ([`Config::earliest_unix_s`]) never make samples.

mod check;
pub mod integrity;
mod leap;
pub mod sources;
#[cfg(test)]
mod tests;
mod train;
mod types;

use crate::chrony::Sample;
use crate::epoch::{Epoch, RxStamp};
use crate::pps::PpsEdge;
pub use check::{Reject, RejectCounts};
use integrity::{Gate, Signal};
use leap::LeapWatch;
use std::collections::VecDeque;
use train::{Judgement, Point, Train};
pub use types::{Action, CoarseSample, Config, Hold, LabelSource, PpsSample, PpsState};

const NS: i64 = 1_000_000_000;
/// 1024 GPS weeks: how far a receiver with the 10-bit week-number bug puts its dates back.
const ROLLOVER_S: i64 = 1024 * 604_800;
/// Phase tolerance of the serial bursts' own count (used while no PPS train runs): a burst's
/// first byte moves by milliseconds from second to second, never by this much.
const COARSE_PHASE_TOL_NS: i64 = 150_000_000;
/// A burst's first byte may come this much before the top of its second by the PPS count
/// (stamping jitter) and this much later than the epoch window allows.
const COARSE_MARGIN_NS: i64 = 50_000_000;
/// The largest quantisation error a time pulse can have: one period of the receiver's
/// time-pulse clock (about 21 ns for a 48 MHz u-blox 8, 8 ns for an F9T), with margin. A larger
/// qErr is garbage and is not applied: applied, a qErr of −2^31 ps would move the sample 2.1 ms.
const QERR_MAX_PS: u32 = 100_000;
/// An edge stamped further than this from when timed received it cannot be placed on the raw
/// clock. Kernel edges are read within milliseconds of their stamp, so only a system clock step
/// between capture and read (which makes the edge wrong by the step anyway) or a simulated-edge
/// datagram with an arbitrary timestamp gets here; the bound also keeps the raw-clock arithmetic
/// that follows far from overflow.
pub const MAX_EDGE_AGE_NS: i64 = 3600 * NS;

#[derive(Clone, Copy, Debug)]
struct Announcement {
    /// UTC of the announced pulse, ns since the Unix epoch.
    pulse_ns: i64,
    qerr_ps: Option<i32>,
    /// Raw-clock receive time of the burst that carried it.
    rx_raw_ns: i64,
    trusted: bool,
}

/// An edge with its CLOCK_MONOTONIC_RAW time.
#[derive(Clone, Copy, Debug)]
struct RawEdge {
    edge: PpsEdge,
    raw_ns: i64,
}

/// The engine. See the module documentation.
#[derive(Clone, Debug)]
pub struct Engine {
    cfg: Config,
    announced: Option<Announcement>,
    pending: VecDeque<RawEdge>,
    last_edge: Option<RawEdge>,
    /// The count of PPS pulses: which second each edge is.
    pps: Train,
    /// The count of serial bursts, used for coarse samples while no PPS train runs.
    bursts: Train,
    last_coarse: Option<CoarseSample>,
    /// Raw receive time of the last coarse sample sent.
    last_coarse_raw_ns: Option<i64>,
    /// Raw time of the last edge the engine judged (sent or held).
    last_judged_raw_ns: Option<i64>,
    counts: RejectCounts,
    state: PpsState,
    leap: LeapWatch,
    gate: Gate,
    /// The last epoch's leap count is one the leap-seconds list contradicts (and the gate closes
    /// for that): its labels are a second off, so no new count may start from them.
    labels_contradicted: bool,
    /// The offset (true − system, ns) of the latest judged pulse and its raw time: what
    /// chrony's other sources are held against.
    last_pulse: Option<(i64, i64)>,
    sources: sources::Verdict,
}

impl Engine {
    pub fn new(cfg: Config) -> Engine {
        Engine {
            gate: Gate::new(cfg.integrity.clone()),
            pps: Train::new(cfg.outlier_ns, true),
            bursts: Train::new(COARSE_PHASE_TOL_NS, false),
            cfg,
            announced: None,
            pending: VecDeque::new(),
            last_edge: None,
            last_coarse: None,
            last_coarse_raw_ns: None,
            last_judged_raw_ns: None,
            counts: RejectCounts::default(),
            state: PpsState::Acquiring,
            leap: LeapWatch::default(),
            labels_contradicted: false,
            last_pulse: None,
            sources: sources::Verdict::NoPeers,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn rejects(&self) -> &RejectCounts {
        &self.counts
    }

    pub fn state(&self) -> PpsState {
        self.state
    }

    /// The system's leap-seconds list: leap indications need its agreement, and a receiver whose
    /// leap count it contradicts is held (`leap-mismatch`). With the list expired, the receiver's
    /// announcement counts only when `trust_receiver_when_expired`.
    pub fn set_leap_list(
        &mut self,
        list: Option<crate::leaplist::LeapList>,
        trust_receiver_when_expired: bool,
    ) {
        self.leap.set_list(list, trust_receiver_when_expired);
    }

    /// chrony's other sources (NTP servers, peers) as last measured, held against the latest
    /// pulse (from the last 10 s): a majority that disagrees raises `time-shift`.
    pub fn note_other_sources(&mut self, peers: &[sources::PeerOffset], now: RxStamp) -> Vec<Action> {
        let mut out = Vec::new();
        let recent = self.last_pulse.filter(|(_, raw)| now.monotonic_ns - raw < 10 * NS);
        let limit_s = self.gate.config().sources_limit_ns as f64 / 1e9;
        self.sources = recent
            .map_or(sources::Verdict::NoPeers, |(off, _)| sources::judge(off as f64 / 1e9, peers, limit_s));
        if self.sources.disagrees() {
            self.gate.note(Signal::TimeShift, true, now.monotonic_ns);
            self.update_gate(now.monotonic_ns, &mut out);
        }
        out
    }

    /// What chrony's other sources said at the last [`Engine::note_other_sources`].
    pub fn sources_verdict(&self) -> sources::Verdict {
        self.sources
    }

    /// The integrity gate (its state, signals and counters).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    fn update_gate(&mut self, now_raw_ns: i64, out: &mut Vec<Action>) {
        if let Some(s) = self.gate.update(now_raw_ns) {
            out.push(Action::GateChanged(s));
        }
    }

    /// Withholds a sample while the gate is closed.
    fn gate_closed(&mut self, out: &mut Vec<Action>) -> bool {
        if self.gate.is_open() {
            return false;
        }
        self.gate.withheld += 1;
        self.reject(Reject::GateClosed, out);
        true
    }

    /// A PPS edge was captured; `received` is when timed got it (both clocks read together),
    /// which places the edge on the raw clock: raw = received.raw − (received.real − edge.real).
    pub fn on_edge(&mut self, edge: PpsEdge, received: RxStamp) -> Vec<Action> {
        let mut out = Vec::new();
        let age = received.realtime_ns.checked_sub(edge.system_ns).filter(|a| a.abs() <= MAX_EDGE_AGE_NS);
        let Some(raw_ns) = age.and_then(|a| received.monotonic_ns.checked_sub(a)) else {
            self.reject(Reject::ImplausibleTime, &mut out);
            return out;
        };
        let edge = RawEdge { edge, raw_ns };
        if let Some(prev) = self.last_edge {
            if edge.edge.seq == prev.edge.seq || edge.raw_ns.saturating_sub(prev.raw_ns) < NS / 2 {
                self.reject(Reject::Duplicate, &mut out);
                return out;
            }
            // A sequence that went back (a restarted simulator) is not a gap.
            let missed = edge.edge.seq.saturating_sub(prev.edge.seq).saturating_sub(1);
            if missed > 0 {
                for _ in 0..missed.min(3600) {
                    self.reject(Reject::MissedPulse, &mut out);
                }
            }
        }
        self.last_edge = Some(edge);
        if let Some(a) = self.announced.take() {
            let age = edge.raw_ns - a.rx_raw_ns;
            if age > 0 && age <= self.cfg.tim_tp_max_age_ns {
                self.label_from_announcement(edge, a, &mut out);
                return out;
            }
            if age > self.cfg.tim_tp_max_age_ns {
                self.reject(Reject::Stale, &mut out);
            }
        }
        if self.pending.len() == 4 {
            self.pending.pop_front();
            self.reject(Reject::Unlabelled, &mut out);
        }
        self.pending.push_back(edge);
        out
    }

    /// An epoch was assembled (with its first byte's receive time, if stamped).
    pub fn on_epoch(&mut self, epoch: &Epoch) -> Vec<Action> {
        let mut out = Vec::new();
        self.leap.note(epoch);
        let Some(rx) = epoch.rx else {
            self.announced = None;
            return out;
        };
        self.gate.note_epoch(epoch, rx.monotonic_ns);
        let contradicted = self.leap.count_disagrees(epoch);
        self.gate.note(Signal::LeapMismatch, contradicted, rx.monotonic_ns);
        self.labels_contradicted =
            contradicted && self.gate.config().response(Signal::LeapMismatch) == integrity::Response::Close;
        self.update_gate(rx.monotonic_ns, &mut out);
        let time_ns = epoch.time.and_then(|t| i64::try_from(t.unix_nanos()).ok());
        let plausible = time_ns.is_none_or(|t| self.plausible(t));
        if !plausible {
            self.reject(Reject::ImplausibleTime, &mut out);
        }
        let trusted = epoch.time_valid && epoch.fix_ok && plausible;
        if let Some(true_ns) = time_ns.filter(|_| plausible) {
            self.epoch_samples(epoch, rx, true_ns, &mut out);
        }
        self.take_announcement(epoch, rx.monotonic_ns, trusted, &mut out);
        out
    }

    /// Whether a receiver can honestly report UTC `t_ns` (see [`Config::earliest_unix_s`]).
    fn plausible(&self, t_ns: i64) -> bool {
        let s = t_ns.div_euclid(NS);
        s >= self.cfg.earliest_unix_s && s < self.cfg.earliest_unix_s + ROLLOVER_S
    }

    /// The coarse sample of an epoch, and the pending edges its message timing labels.
    fn epoch_samples(&mut self, epoch: &Epoch, rx: RxStamp, true_ns: i64, out: &mut Vec<Action>) {
        let trusted = epoch.time_valid && epoch.fix_ok;
        if !epoch.time_valid {
            self.reject(Reject::InvalidTime, out);
        } else if !epoch.fix_ok {
            self.reject(Reject::NoFix, out);
        } else if self.last_coarse.is_some_and(|c| c.sample.system_ns + c.sample.offset_ns == true_ns) {
            // A second epoch for a second already sent (a burst split by a pause on the line):
            // its first byte is late, so its sample would be wrong. One sample per second.
            self.reject(Reject::Duplicate, out);
        } else if let Err(r) = self.judge_burst(rx.monotonic_ns, true_ns) {
            self.reject(r, out);
        } else if self.gate_closed(out) {
            // Counted; chrony coasts.
        } else {
            let system_ns = rx.realtime_ns - self.cfg.serial_delay_ns;
            let leap = self.leap.indicator(true_ns);
            let c = CoarseSample {
                sample: Sample { system_ns, offset_ns: true_ns - system_ns, leap },
                rx_ns: rx.realtime_ns,
            };
            self.last_coarse = Some(c);
            self.last_coarse_raw_ns = Some(rx.monotonic_ns);
            out.push(Action::SendCoarse(c));
        }
        // Label pending edges from the receiver's message timing (whole-second epochs only).
        let (lo, hi) = self.cfg.epoch_after_edge_ns;
        while let Some(edge) = self.pending.front().copied() {
            let after = rx.monotonic_ns - edge.raw_ns;
            if after > hi {
                self.pending.pop_front();
                self.reject(Reject::Unlabelled, out);
                continue;
            }
            if after < lo || true_ns.rem_euclid(NS) != 0 {
                break;
            }
            self.pending.pop_front();
            if !trusted {
                self.reject(if epoch.time_valid { Reject::NoFix } else { Reject::InvalidTime }, out);
                continue;
            }
            self.emit_pps(edge, true_ns, LabelSource::EpochTiming, 0, out);
        }
    }

    /// Checks a burst's second against the pulse count, or (without one) against the count of
    /// bursts. A receiver a second off has both its serial time and its pulse labels wrong, so
    /// its serial time alone proves nothing.
    fn judge_burst(&mut self, rx_raw_ns: i64, true_ns: i64) -> Result<(), Reject> {
        let second = true_ns.div_euclid(NS);
        if let Some(pps_ns) = self.pps.utc_at(rx_raw_ns) {
            // The first byte comes after the top of its second, within the epoch window.
            let after = pps_ns - true_ns;
            let (_, hi) = self.cfg.epoch_after_edge_ns;
            if after < -COARSE_MARGIN_NS || after > hi + COARSE_MARGIN_NS {
                return Err(self.leap.excuse(second).unwrap_or(Reject::WrongSecond));
            }
            self.bursts.push(Point { raw_ns: rx_raw_ns, second });
            return self.leap.withhold(second);
        }
        match self.bursts.judge(rx_raw_ns, second) {
            // A count started from labels the list contradicts would call the receiver's
            // corrected labels wrong for as long as it lasts (found by the cold-start replay).
            Judgement::Unanchored if self.labels_contradicted => Err(Reject::WrongSecond),
            Judgement::Unanchored | Judgement::OnTrain { .. } => {
                self.bursts.push(Point { raw_ns: rx_raw_ns, second });
                self.leap.withhold(second)
            }
            Judgement::LabelOff { by_s, second: counted } => {
                if self.leap.explains(counted, by_s) {
                    self.bursts.shift(by_s);
                    self.bursts.push(Point { raw_ns: rx_raw_ns, second });
                    return Err(Reject::LeapSecond);
                }
                // Keep counting through the wrong labels, so they stay wrong however long.
                self.bursts.push(Point { raw_ns: rx_raw_ns, second: counted });
                Err(Reject::LabelJump)
            }
            Judgement::PhaseOff { .. } => Err(Reject::Outlier),
        }
    }

    /// Notes the epoch's TIM-TP announcement of the next pulse. If that pulse's edge already came
    /// (a long burst that ends after the next second began), it labels it now.
    fn take_announcement(&mut self, epoch: &Epoch, rx_raw_ns: i64, trusted: bool, out: &mut Vec<Action>) {
        self.announced = epoch.next_pulse.and_then(|p| {
            let pulse_ns = i64::try_from(p.utc?.unix_nanos()).ok()?;
            Some(Announcement { pulse_ns, qerr_ps: p.qerr_ps, rx_raw_ns, trusted })
        });
        let Some(a) = self.announced else { return };
        let max_age = self.cfg.tim_tp_max_age_ns;
        let Some(i) =
            self.pending.iter().position(|e| e.raw_ns > a.rx_raw_ns && e.raw_ns - a.rx_raw_ns <= max_age)
        else {
            return;
        };
        self.announced = None;
        let Some(edge) = self.pending.remove(i) else { return };
        self.label_from_announcement(edge, a, out);
    }

    fn label_from_announcement(&mut self, edge: RawEdge, a: Announcement, out: &mut Vec<Action>) {
        if !a.trusted || !self.plausible(a.pulse_ns) {
            self.reject(Reject::InvalidTime, out);
            return;
        }
        let qerr = a.qerr_ps.filter(|q| self.cfg.qerr_correction && q.unsigned_abs() <= QERR_MAX_PS);
        if a.qerr_ps.is_some_and(|q| q.unsigned_abs() > QERR_MAX_PS) {
            self.reject(Reject::ImplausibleQerr, out);
        }
        self.emit_pps(edge, a.pulse_ns, LabelSource::TimTp, qerr.unwrap_or(0), out);
    }

    /// Periodic housekeeping with the current time (both clocks): drops edges no epoch will
    /// label and reports a lost lock.
    pub fn tick(&mut self, now: RxStamp) -> Vec<Action> {
        let mut out = Vec::new();
        let hi = self.cfg.epoch_after_edge_ns.1;
        while self.pending.front().is_some_and(|e| now.monotonic_ns - e.raw_ns > hi + NS / 2) {
            self.pending.pop_front();
            self.reject(Reject::Unlabelled, &mut out);
        }
        let stale = self.last_judged_raw_ns.is_none_or(|t| now.monotonic_ns - t > 3 * NS);
        if stale {
            self.set_state(PpsState::Acquiring, &mut out);
        }
        self.update_gate(now.monotonic_ns, &mut out);
        out
    }

    /// Judges a labelled edge against the pulse count and sends it if it passes.
    fn emit_pps(
        &mut self,
        edge: RawEdge,
        second_ns: i64,
        label: LabelSource,
        qerr_ps: i32,
        out: &mut Vec<Action>,
    ) {
        let second = second_ns.div_euclid(NS);
        let offset_ns = second_ns + i64::from(qerr_ps) / 1000 - edge.edge.system_ns;
        self.last_judged_raw_ns = Some(edge.raw_ns);
        let judged = self.pps.judge(edge.raw_ns, second);
        let raw = edge.raw_ns;
        self.gate.note(Signal::WrongSecond, matches!(judged, Judgement::LabelOff { .. }), raw);
        let shifted = match judged {
            Judgement::OnTrain { phase_ns, drift_ns } => {
                phase_ns.abs() > self.gate.config().time_shift_ns.saturating_add(drift_ns)
            }
            Judgement::PhaseOff { .. } => true,
            Judgement::Unanchored | Judgement::LabelOff { .. } => false,
        };
        self.last_pulse = Some((offset_ns, raw));
        self.gate.note(Signal::TimeShift, shifted || self.sources.disagrees(), raw);
        self.update_gate(raw, out);
        match judged {
            Judgement::Unanchored if self.labels_contradicted => {
                // A cold start on a receiver with a stale leap count: no count starts from its
                // labels, or its corrected labels would later look a second off.
                self.reject(Reject::WrongSecond, out);
                return;
            }
            Judgement::Unanchored => {
                // A new train: only the receiver's word, so it must at least agree with its own
                // serial time (a PPS label a second off the burst that labelled it).
                let recent = self.last_coarse_raw_ns.is_some_and(|t| t.abs_diff(edge.raw_ns) < 5 * NS as u64);
                if let Some(c) = self.last_coarse.filter(|_| recent) {
                    if offset_ns.abs_diff(c.sample.offset_ns) > self.cfg.coarse_agreement_ns.unsigned_abs() {
                        self.reject(Reject::WrongSecond, out);
                        return;
                    }
                }
                self.pps.push(Point { raw_ns: edge.raw_ns, second });
            }
            // A pulse that moved is not followed: the train keeps its phase, so a persistent
            // shift stays a shift (until the drift allowance grows past it, see train.rs).
            Judgement::OnTrain { .. } if shifted => {}
            Judgement::OnTrain { .. } => self.pps.push(Point { raw_ns: edge.raw_ns, second }),
            Judgement::LabelOff { by_s, second: counted } => {
                if self.leap.explains(counted, by_s) {
                    self.pps.shift(by_s);
                    self.pps.push(Point { raw_ns: edge.raw_ns, second });
                    self.reject(Reject::LeapSecond, out);
                    return;
                }
                // Only a pulse count that is lost may be replaced; a receiver's label never moves
                // it. The pulse is still counted, so the next right label is known as right.
                self.pps.push(Point { raw_ns: edge.raw_ns, second: counted });
                self.reject(Reject::LabelJump, out);
                self.set_state(PpsState::Held(Hold::LabelJump { by_s }), out);
                return;
            }
            Judgement::PhaseOff { .. } => {
                self.reject(Reject::Outlier, out);
                self.set_state(PpsState::Held(Hold::PulseMoved), out);
                return;
            }
        }
        if self.gate_closed(out) {
            return;
        }
        if let Err(r) = self.leap.withhold(second) {
            self.reject(r, out);
            return;
        }
        let sample =
            Sample { system_ns: edge.edge.system_ns, offset_ns, leap: self.leap.indicator(second_ns) };
        out.push(Action::SendPps(PpsSample { sample, edge: edge.edge, second, label, qerr_ps }));
        self.set_state(PpsState::Locked(label), out);
    }

    fn set_state(&mut self, s: PpsState, out: &mut Vec<Action>) {
        if self.state != s {
            self.state = s;
            out.push(Action::PpsStateChanged(s));
        }
    }

    fn reject(&mut self, r: Reject, out: &mut Vec<Action>) {
        self.counts.add(r);
        out.push(Action::Rejected(r));
    }
}
