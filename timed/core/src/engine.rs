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
//! Both use only differences of system timestamps taken on the same clock, so a system clock
//! that is wrong by hours (a Pi without RTC at boot) labels edges as well as a good one.

mod check;
#[cfg(test)]
mod tests;

use crate::chrony::{Leap, Sample};
use crate::epoch::Epoch;
use crate::pps::PpsEdge;
use crate::time::{Date, GPS_EPOCH_UNIX};
pub use check::{Reject, RejectCounts};
use std::collections::VecDeque;

const NS: i64 = 1_000_000_000;

/// Engine settings (from timed.toml `[engine]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Apply the TIM-TP quantisation error to the edge (the edge happened at S + qErr).
    pub qerr_correction: bool,
    /// Time from the top of the second to the first byte of the epoch's burst on the wire,
    /// subtracted from the first-byte receive time for coarse samples.
    pub serial_delay_ns: i64,
    /// Window after an edge in which the first byte of its epoch must arrive.
    pub epoch_after_edge_ns: (i64, i64),
    /// A TIM-TP announcement older than this at the edge is stale (not used).
    pub tim_tp_max_age_ns: i64,
    /// A PPS offset further than this from the recent median is an outlier ...
    pub outlier_ns: i64,
    /// ... unless this many consecutive outliers agree with each other (the system clock was
    /// stepped): then they are the new normal.
    pub outlier_restart: usize,
    /// PPS and coarse offsets must agree within this, or the PPS label is the wrong second.
    pub coarse_agreement_ns: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            qerr_correction: true,
            serial_delay_ns: 0,
            epoch_after_edge_ns: (0, 990_000_000),
            tim_tp_max_age_ns: 1_500_000_000,
            outlier_ns: 100_000_000,
            outlier_restart: 3,
            coarse_agreement_ns: 400_000_000,
        }
    }
}

/// How an edge got its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelSource {
    TimTp,
    EpochTiming,
}

/// A PPS sample and what went into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PpsSample {
    pub sample: Sample,
    pub edge: PpsEdge,
    /// The UTC second (Unix) the edge marks.
    pub second: i64,
    pub label: LabelSource,
    /// qErr applied, ps (0 when none or correction off).
    pub qerr_ps: i32,
}

/// A coarse sample from the serial stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoarseSample {
    pub sample: Sample,
    /// Receive time of the epoch's first byte (CLOCK_REALTIME ns).
    pub rx_ns: i64,
}

/// PPS lock state, reported when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PpsState {
    /// No labelled edge yet, or none for a while.
    Acquiring,
    /// Edges are being labelled and sent.
    Locked(LabelSource),
}

/// What the daemon must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SendPps(PpsSample),
    SendCoarse(CoarseSample),
    /// Something was rejected (counted already; log it if the reason is new or has changed).
    Rejected(Reject),
    PpsStateChanged(PpsState),
}

#[derive(Clone, Copy, Debug)]
struct Announcement {
    /// UTC of the announced pulse, ns since the Unix epoch.
    pulse_ns: i64,
    qerr_ps: Option<i32>,
    /// Receive time of the burst that carried it.
    rx_ns: i64,
    trusted: bool,
}

/// The engine. See the module documentation.
#[derive(Clone, Debug)]
pub struct Engine {
    cfg: Config,
    announced: Option<Announcement>,
    pending: VecDeque<PpsEdge>,
    last_edge: Option<PpsEdge>,
    /// Last labelled edge and its second.
    last_labelled: Option<(PpsEdge, i64)>,
    last_coarse: Option<CoarseSample>,
    check: check::Checks,
    state: PpsState,
    leap_event_day: Option<(Date, Leap)>,
}

impl Engine {
    pub fn new(cfg: Config) -> Engine {
        Engine {
            check: check::Checks::new(cfg.outlier_ns, cfg.outlier_restart),
            cfg,
            announced: None,
            pending: VecDeque::new(),
            last_edge: None,
            last_labelled: None,
            last_coarse: None,
            state: PpsState::Acquiring,
            leap_event_day: None,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn rejects(&self) -> &RejectCounts {
        &self.check.counts
    }

    pub fn state(&self) -> PpsState {
        self.state
    }

    /// A PPS edge was captured.
    pub fn on_edge(&mut self, edge: PpsEdge) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(prev) = self.last_edge {
            if edge.seq == prev.seq || edge.system_ns - prev.system_ns < NS / 2 {
                self.reject(Reject::Duplicate, &mut out);
                return out;
            }
            if edge.seq > prev.seq + 1 {
                for _ in 0..(edge.seq - prev.seq - 1).min(3600) {
                    self.reject(Reject::MissedPulse, &mut out);
                }
            }
        }
        self.last_edge = Some(edge);
        if let Some(a) = self.announced.take() {
            let age = edge.system_ns - a.rx_ns;
            if age > 0 && age <= self.cfg.tim_tp_max_age_ns {
                if !a.trusted {
                    self.reject(Reject::InvalidTime, &mut out);
                    return out;
                }
                let qerr = if self.cfg.qerr_correction { a.qerr_ps.unwrap_or(0) } else { 0 };
                self.emit_pps(edge, a.pulse_ns, LabelSource::TimTp, qerr, &mut out);
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
        self.note_leap(epoch);
        let trusted = epoch.time_valid && epoch.fix_ok;
        let Some(rx) = epoch.rx else {
            self.announced = None;
            return out;
        };
        let rx_ns = rx.realtime_ns;
        if let Some(true_ns) = epoch.time.and_then(|t| i64::try_from(t.unix_nanos()).ok()) {
            self.epoch_samples(epoch, rx_ns, true_ns, &mut out);
        }
        self.take_announcement(epoch, rx_ns, trusted, &mut out);
        out
    }

    /// The coarse sample of an epoch, and the pending edges its message timing labels.
    fn epoch_samples(&mut self, epoch: &Epoch, rx_ns: i64, true_ns: i64, out: &mut Vec<Action>) {
        let trusted = epoch.time_valid && epoch.fix_ok;
        if !epoch.time_valid {
            self.reject(Reject::InvalidTime, out);
        } else if !epoch.fix_ok {
            self.reject(Reject::NoFix, out);
        } else if self.last_coarse.is_some_and(|c| c.sample.system_ns + c.sample.offset_ns == true_ns) {
            // A second epoch for a second already sent (a burst split by a pause on the line):
            // its first byte is late, so its sample would be wrong. One sample per second.
            self.reject(Reject::Duplicate, out);
        } else {
            let system_ns = rx_ns - self.cfg.serial_delay_ns;
            let leap = self.leap_for(true_ns);
            let c =
                CoarseSample { sample: Sample { system_ns, offset_ns: true_ns - system_ns, leap }, rx_ns };
            self.last_coarse = Some(c);
            out.push(Action::SendCoarse(c));
        }
        // Label pending edges from the receiver's message timing (whole-second epochs only).
        let (lo, hi) = self.cfg.epoch_after_edge_ns;
        while let Some(edge) = self.pending.front().copied() {
            let after = rx_ns - edge.system_ns;
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

    /// Notes the epoch's TIM-TP announcement of the next pulse. If that pulse's edge already came
    /// (a long burst that ends after the next second began), it labels it now.
    fn take_announcement(&mut self, epoch: &Epoch, rx_ns: i64, trusted: bool, out: &mut Vec<Action>) {
        self.announced = epoch.next_pulse.and_then(|p| {
            let pulse_ns = i64::try_from(p.utc?.unix_nanos()).ok()?;
            Some(Announcement { pulse_ns, qerr_ps: p.qerr_ps, rx_ns, trusted })
        });
        let Some(a) = self.announced else { return };
        let max_age = self.cfg.tim_tp_max_age_ns;
        let Some(i) =
            self.pending.iter().position(|e| e.system_ns > a.rx_ns && e.system_ns - a.rx_ns <= max_age)
        else {
            return;
        };
        self.announced = None;
        let Some(edge) = self.pending.remove(i) else { return };
        if !a.trusted {
            self.reject(Reject::InvalidTime, out);
            return;
        }
        let qerr = if self.cfg.qerr_correction { a.qerr_ps.unwrap_or(0) } else { 0 };
        self.emit_pps(edge, a.pulse_ns, LabelSource::TimTp, qerr, out);
    }

    /// Periodic housekeeping with the current system time: drops edges no epoch will label and
    /// reports a lost lock.
    pub fn tick(&mut self, now_ns: i64) -> Vec<Action> {
        let mut out = Vec::new();
        let hi = self.cfg.epoch_after_edge_ns.1;
        while self.pending.front().is_some_and(|e| now_ns - e.system_ns > hi + NS / 2) {
            self.pending.pop_front();
            self.reject(Reject::Unlabelled, &mut out);
        }
        let stale = self.last_labelled.is_none_or(|(e, _)| now_ns - e.system_ns > 3 * NS);
        if stale && self.state != PpsState::Acquiring {
            self.state = PpsState::Acquiring;
            out.push(Action::PpsStateChanged(self.state));
        }
        out
    }

    fn emit_pps(
        &mut self,
        edge: PpsEdge,
        second_ns: i64,
        label: LabelSource,
        qerr_ps: i32,
        out: &mut Vec<Action>,
    ) {
        let second = second_ns.div_euclid(NS);
        // The label must continue the previous one: k seconds later, k seconds on.
        if let Some((prev, prev_second)) = self.last_labelled {
            let elapsed = ((edge.system_ns - prev.system_ns) as f64 / NS as f64).round() as i64;
            if elapsed <= 3600 && second != prev_second + elapsed {
                self.last_labelled = None;
                self.reject(Reject::WrongSecond, out);
                return;
            }
        }
        let offset_ns = second_ns + i64::from(qerr_ps) / 1000 - edge.system_ns;
        if let Some(c) = self.last_coarse.filter(|c| (edge.system_ns - c.rx_ns).abs() < 5 * NS) {
            if (offset_ns - c.sample.offset_ns).abs() > self.cfg.coarse_agreement_ns {
                self.reject(Reject::WrongSecond, out);
                return;
            }
        }
        self.last_labelled = Some((edge, second));
        if let Err(r) = self.check.outlier(offset_ns) {
            self.reject(r, out);
            return;
        }
        let sample = Sample { system_ns: edge.system_ns, offset_ns, leap: self.leap_for(second_ns) };
        out.push(Action::SendPps(PpsSample { sample, edge, second, label, qerr_ps }));
        if self.state != PpsState::Locked(label) {
            self.state = PpsState::Locked(label);
            out.push(Action::PpsStateChanged(self.state));
        }
    }

    fn reject(&mut self, r: Reject, out: &mut Vec<Action>) {
        self.check.counts.add(r);
        out.push(Action::Rejected(r));
    }

    /// Remembers the UTC day at whose end an announced leap second happens.
    fn note_leap(&mut self, epoch: &Epoch) {
        self.leap_event_day = epoch.leap.event.map(|ev| {
            // dateOfLsGpsDn: 1 = Sunday (u-blox 8 protocol spec §32.17.26); GPS weeks start Sunday.
            let days = i64::from(ev.gps_week) * 7 + i64::from(ev.gps_day.saturating_sub(1));
            let day = Date::from_days_since_unix_epoch(GPS_EPOCH_UNIX / 86_400 + days);
            (day, if ev.change > 0 { Leap::InsertSecond } else { Leap::DeleteSecond })
        });
    }

    /// The leap indicator for a sample at UTC `true_ns`: set during the UTC day that ends with the
    /// announced leap second, as chrony expects it.
    fn leap_for(&self, true_ns: i64) -> Leap {
        let today = Date::from_days_since_unix_epoch(true_ns.div_euclid(NS).div_euclid(86_400));
        match self.leap_event_day {
            Some((day, leap)) if day == today => leap,
            _ => Leap::Normal,
        }
    }
}
