//! `[integrity]`: the integrity gate's limits and what each signal does (timed-core's
//! `engine::integrity`). Defaults are the core's; the keys are the signals' names with `_` for
//! `-`, as every timed.toml key.

use serde::Deserialize;
use timed_core::engine::integrity::{self, Response, Signal};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Integrity {
    /// Every closing signal must have been clear this long before samples resume, seconds.
    pub holdoff_s: f64,
    /// Time accuracy (tAcc) above which `time-accuracy` is raised, nanoseconds.
    pub tacc_limit_ns: u32,
    /// CW jamming indicator (0–255) above which `jamming` is raised.
    pub jam_ind_limit: u8,
    /// Distance from where the appliance has stood that raises `position-jump`, metres.
    pub position_jump_m: f64,
    /// A pulse this far from the pulse train raises `time-shift`, microseconds.
    pub time_shift_us: f64,
    /// The receiver this far (plus a source's own error) from most of chrony's NTP sources
    /// raises `time-shift`, milliseconds.
    pub time_shift_sources_ms: f64,
    pub response: Responses,
}

/// What each signal does: `close` the gate, only `warn`, or `ignore` it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Responses {
    pub antenna_open: Resp,
    pub antenna_short: Resp,
    pub jamming: Resp,
    pub jamming_warning: Resp,
    pub spoofing: Resp,
    pub no_fix: Resp,
    pub time_accuracy: Resp,
    pub position_jump: Resp,
    pub time_shift: Resp,
    pub wrong_second: Resp,
    pub leap_mismatch: Resp,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Resp {
    Close,
    Warn,
    Ignore,
}

impl From<Response> for Resp {
    fn from(r: Response) -> Resp {
        match r {
            Response::Close => Resp::Close,
            Response::Warn => Resp::Warn,
            Response::Ignore => Resp::Ignore,
        }
    }
}

impl From<Resp> for Response {
    fn from(r: Resp) -> Response {
        match r {
            Resp::Close => Response::Close,
            Resp::Warn => Response::Warn,
            Resp::Ignore => Response::Ignore,
        }
    }
}

impl Default for Responses {
    fn default() -> Responses {
        let d = integrity::Config::default();
        let r = |s| Resp::from(d.response(s));
        Responses {
            antenna_open: r(Signal::AntennaOpen),
            antenna_short: r(Signal::AntennaShort),
            jamming: r(Signal::Jamming),
            jamming_warning: r(Signal::JammingWarning),
            spoofing: r(Signal::Spoofing),
            no_fix: r(Signal::NoFix),
            time_accuracy: r(Signal::TimeAccuracy),
            position_jump: r(Signal::PositionJump),
            time_shift: r(Signal::TimeShift),
            wrong_second: r(Signal::WrongSecond),
            leap_mismatch: r(Signal::LeapMismatch),
        }
    }
}

impl Default for Integrity {
    fn default() -> Integrity {
        let d = integrity::Config::default();
        Integrity {
            holdoff_s: d.holdoff_ns as f64 / 1e9,
            tacc_limit_ns: d.tacc_limit_ns,
            jam_ind_limit: d.jam_ind_limit,
            position_jump_m: d.position_jump_m,
            time_shift_us: d.time_shift_ns as f64 / 1e3,
            time_shift_sources_ms: d.sources_limit_ns as f64 / 1e6,
            response: Responses::default(),
        }
    }
}

impl Integrity {
    /// The core's gate settings.
    pub fn to_core(&self) -> integrity::Config {
        let r = &self.response;
        let mut c = integrity::Config {
            holdoff_ns: (self.holdoff_s * 1e9).round() as i64,
            jam_ind_limit: self.jam_ind_limit,
            tacc_limit_ns: self.tacc_limit_ns,
            position_jump_m: self.position_jump_m,
            time_shift_ns: (self.time_shift_us * 1e3).round() as i64,
            sources_limit_ns: (self.time_shift_sources_ms * 1e6).round() as i64,
            ..integrity::Config::default()
        };
        for (s, resp) in c.responses.iter_mut() {
            *resp = Response::from(match s {
                Signal::AntennaOpen => r.antenna_open,
                Signal::AntennaShort => r.antenna_short,
                Signal::Jamming => r.jamming,
                Signal::JammingWarning => r.jamming_warning,
                Signal::Spoofing => r.spoofing,
                Signal::NoFix => r.no_fix,
                Signal::TimeAccuracy => r.time_accuracy,
                Signal::PositionJump => r.position_jump,
                Signal::TimeShift => r.time_shift,
                Signal::WrongSecond => r.wrong_second,
                Signal::LeapMismatch => r.leap_mismatch,
            });
        }
        c
    }

    /// Values timed cannot run with: (dotted key, message).
    pub(super) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if !(self.holdoff_s.is_finite() && (0.0..=3600.0).contains(&self.holdoff_s)) {
            v.push((
                "integrity.holdoff_s",
                format!("integrity.holdoff_s = {} is outside 0..3600 seconds", self.holdoff_s),
            ));
        }
        if self.tacc_limit_ns == 0 {
            v.push((
                "integrity.tacc_limit_ns",
                "integrity.tacc_limit_ns = 0 would close the gate on every epoch".into(),
            ));
        }
        if !(self.position_jump_m.is_finite() && self.position_jump_m >= 10.0) {
            v.push((
                "integrity.position_jump_m",
                format!(
                    "integrity.position_jump_m = {} is below 10 m (a fix scatters by metres) or not a number",
                    self.position_jump_m
                ),
            ));
        }
        if !(self.time_shift_us.is_finite() && (1.0..=1_000_000.0).contains(&self.time_shift_us)) {
            v.push((
                "integrity.time_shift_us",
                format!(
                    "integrity.time_shift_us = {} is outside 1..1000000 µs (kernel PPS jitters by microseconds)",
                    self.time_shift_us
                ),
            ));
        }
        let ms = self.time_shift_sources_ms;
        if !(ms.is_finite() && (0.1..=10_000.0).contains(&ms)) {
            v.push((
                "integrity.time_shift_sources_ms",
                format!("integrity.time_shift_sources_ms = {ms} is outside 0.1..10000 ms (NTP is good to about a millisecond)"),
            ));
        }
        v
    }
}
