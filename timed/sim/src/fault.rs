//! Scenario faults: the `[[fault]]` tables (a kind, a window of seconds and the kind's optional
//! parameters) and what is in force in one second ([`Active`]). Every fault is a SIMULATED
//! receiver misbehaviour; the encoders show it the way a u-blox receiver would.

use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// Seconds of cold start (no fix, time invalid) after a `power_cycle` window: a receiver that
/// lost power has to search the sky again before it vouches for anything.
pub const COLD_START_S: u64 = 5;

/// A misbehaviour switched on for a window of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// No edge datagram this second (its sequence number is still used up).
    DropPulse,
    /// No fix: fixType 0, validity flags cleared, RMC `V`, GGA quality 0.
    NoFix,
    /// No serial bytes (the pulse continues).
    Silence,
    /// The burst is replaced by as many random bytes.
    Garbage,
    /// The burst is labelled with the next second.
    WrongSecond,
    /// The edge datagram is sent twice (same sequence number and time).
    DuplicatePulse,
    /// Only the PPS line works: no serial bytes and CFG messages are not acknowledged.
    PulseOnly,
    /// MON-RF antStatus 4 (OPEN) and `ANTSTATUS=OPEN` in NMEA TXT.
    AntennaOpen,
    /// MON-RF antStatus 3 (SHORT) and `ANTSTATUS=SHORT` in NMEA TXT.
    AntennaShort,
    /// MON-RF jammingState `jam_state` and jamInd `jam_ind`.
    Jamming,
    /// NAV-STATUS spoofDetState `spoof_state`.
    Spoofing,
    /// Pulse and burst `shift_ns` late (early when negative), labels unchanged.
    TimeShift,
    /// The reported position `distance_m` north of the true one.
    PositionJump,
    /// NAV-PVT / NAV-TIMEUTC tAcc `tacc_ns`.
    TaccBad,
    /// Nothing at all (no bytes, no pulses), then [`COLD_START_S`] seconds without a fix.
    PowerCycle,
    /// A leap second of `sign` at the end of the UTC day the window starts in.
    Leap,
    /// NAV-TIMELS from the firmware default, one second short, labels computed with it.
    StaleLeap,
}

impl FaultKind {
    /// The kind's name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::DropPulse => "drop_pulse",
            FaultKind::NoFix => "no_fix",
            FaultKind::Silence => "silence",
            FaultKind::Garbage => "garbage",
            FaultKind::WrongSecond => "wrong_second",
            FaultKind::DuplicatePulse => "duplicate_pulse",
            FaultKind::PulseOnly => "pulse_only",
            FaultKind::AntennaOpen => "antenna_open",
            FaultKind::AntennaShort => "antenna_short",
            FaultKind::Jamming => "jamming",
            FaultKind::Spoofing => "spoofing",
            FaultKind::TimeShift => "time_shift",
            FaultKind::PositionJump => "position_jump",
            FaultKind::TaccBad => "tacc_bad",
            FaultKind::PowerCycle => "power_cycle",
            FaultKind::Leap => "leap",
            FaultKind::StaleLeap => "stale_leap",
        }
    }

    /// The optional parameter keys this kind reads.
    fn keys(self) -> &'static [&'static str] {
        match self {
            FaultKind::Jamming => &["jam_state", "jam_ind"],
            FaultKind::Spoofing => &["spoof_state"],
            FaultKind::TimeShift => &["shift_ns"],
            FaultKind::PositionJump => &["distance_m"],
            FaultKind::TaccBad => &["tacc_ns"],
            FaultKind::Leap => &["sign", "days_ahead"],
            _ => &[],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    /// First second (0 = the first simulated second) the fault applies to.
    #[serde(default)]
    pub from_s: u64,
    /// First second it no longer applies to; absent = until the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_s: Option<u64>,
    /// `jamming`: MON-RF jammingState (u-blox 8 spec: 2 warning, 3 critical); default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jam_state: Option<u8>,
    /// `jamming`: MON-RF jamInd, 0..=255 (CW jamming indicator); default 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jam_ind: Option<u8>,
    /// `spoofing`: NAV-STATUS spoofDetState (2 indicated, 3 multiple indications); default 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoof_state: Option<u8>,
    /// `time_shift`: how late the receiver's time and pulse are, ns (|shift| < 1 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_ns: Option<i64>,
    /// `position_jump`: how far north the reported position moves, m; default 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// `tacc_bad`: the tAcc claimed, ns; default 5000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tacc_ns: Option<u32>,
    /// `leap`: +1 (inserted second 23:59:60) or −1 (23:59:59 skipped); default +1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<i8>,
    /// `leap`: the leap is at the end of the UTC day this many days after the one the window
    /// starts in (a receiver announces it ahead, in NAV-TIMELS); default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_ahead: Option<u16>,
}

impl Fault {
    pub fn covers(&self, index: u64) -> bool {
        index >= self.from_s && self.to_s.is_none_or(|to| index < to)
    }

    /// Parameters not read by the kind are an error naming the key, like an unknown key: a
    /// parameter on the wrong fault would otherwise silently do nothing.
    pub fn validate(&self) -> Result<(), String> {
        let kind = self.kind.name();
        if self.to_s.is_some_and(|to| self.from_s >= to) {
            return Err(format!("fault {kind}: from_s must be before to_s"));
        }
        let given = [
            ("jam_state", self.jam_state.is_some()),
            ("jam_ind", self.jam_ind.is_some()),
            ("spoof_state", self.spoof_state.is_some()),
            ("shift_ns", self.shift_ns.is_some()),
            ("distance_m", self.distance_m.is_some()),
            ("tacc_ns", self.tacc_ns.is_some()),
            ("sign", self.sign.is_some()),
            ("days_ahead", self.days_ahead.is_some()),
        ];
        if let Some((key, _)) = given.iter().find(|(k, on)| *on && !self.kind.keys().contains(k)) {
            return Err(format!("fault {kind}: key {key} does not apply to this kind"));
        }
        let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(format!("fault {kind}: {what}")) };
        check(self.jam_state.is_none_or(|v| v <= 3), "jam_state must be in 0..=3")?;
        check(self.spoof_state.is_none_or(|v| v <= 3), "spoof_state must be in 0..=3")?;
        // Within a second, so the shifted pulse still belongs to its own second's plan.
        check(self.shift_ns.is_none_or(|v| v.abs() < 1_000_000_000), "shift_ns must be within ±1 s")?;
        check(
            self.distance_m.is_none_or(|v| v.is_finite() && (0.0..1e7).contains(&v)),
            "distance_m must be in 0..1e7",
        )?;
        check(self.sign.is_none_or(|v| v == 1 || v == -1), "sign must be +1 or -1")
    }
}

/// The faults in force in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Active {
    pub drop_pulse: bool,
    pub no_fix: bool,
    pub silence: bool,
    pub garbage: bool,
    pub wrong_second: bool,
    pub duplicate_pulse: bool,
    pub pulse_only: bool,
    /// MON-RF antStatus replacing 2 (OK): 3 SHORT or 4 OPEN.
    pub antenna: Option<u8>,
    /// MON-RF (jammingState, jamInd).
    pub jamming: Option<(u8, u8)>,
    /// NAV-STATUS spoofDetState replacing 1 (no spoofing).
    pub spoofing: Option<u8>,
    pub time_shift_ns: i64,
    pub position_jump_m: Option<f64>,
    pub tacc_ns: Option<u32>,
    /// Inside a `power_cycle` window: nothing leaves the receiver.
    pub power_off: bool,
    /// The seconds after a `power_cycle` window: output without a fix.
    pub cold_start: bool,
    /// A `leap` window: NAV-TIMELS announces the event.
    pub leap: bool,
    pub stale_leap: bool,
}

impl Active {
    /// Names of the active faults, for the truth log.
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.drop_pulse, "drop_pulse"),
            (self.no_fix, "no_fix"),
            (self.silence, "silence"),
            (self.garbage, "garbage"),
            (self.wrong_second, "wrong_second"),
            (self.duplicate_pulse, "duplicate_pulse"),
            (self.pulse_only, "pulse_only"),
            (self.antenna == Some(4), "antenna_open"),
            (self.antenna == Some(3), "antenna_short"),
            (self.jamming.is_some(), "jamming"),
            (self.spoofing.is_some(), "spoofing"),
            (self.time_shift_ns != 0, "time_shift"),
            (self.position_jump_m.is_some(), "position_jump"),
            (self.tacc_ns.is_some(), "tacc_bad"),
            (self.power_off, "power_cycle"),
            (self.cold_start, "cold_start"),
            (self.leap, "leap"),
            (self.stale_leap, "stale_leap"),
        ];
        all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect()
    }

    /// Whether the pulse of this second goes out.
    pub fn pulse(&self) -> bool {
        !self.drop_pulse && !self.power_off
    }

    /// Whether the receiver reports a fix.
    pub fn fix(&self) -> bool {
        !self.no_fix && !self.cold_start
    }
}

impl Scenario {
    /// The faults in force in second `index` (0 = first simulated second).
    pub fn active(&self, index: u64) -> Active {
        let mut a = Active::default();
        for f in &self.faults {
            let cold = f.kind == FaultKind::PowerCycle
                && f.to_s.is_some_and(|to| index >= to && index < to + COLD_START_S);
            a.cold_start |= cold;
            if !f.covers(index) {
                continue;
            }
            match f.kind {
                FaultKind::DropPulse => a.drop_pulse = true,
                FaultKind::NoFix => a.no_fix = true,
                FaultKind::Silence => a.silence = true,
                FaultKind::Garbage => a.garbage = true,
                FaultKind::WrongSecond => a.wrong_second = true,
                FaultKind::DuplicatePulse => a.duplicate_pulse = true,
                FaultKind::PulseOnly => a.pulse_only = true,
                FaultKind::AntennaOpen => a.antenna = Some(4),
                FaultKind::AntennaShort => a.antenna = Some(3),
                FaultKind::Jamming => a.jamming = Some((f.jam_state.unwrap_or(3), f.jam_ind.unwrap_or(200))),
                FaultKind::Spoofing => a.spoofing = Some(f.spoof_state.unwrap_or(2)),
                FaultKind::TimeShift => a.time_shift_ns += f.shift_ns.unwrap_or(0),
                FaultKind::PositionJump => a.position_jump_m = Some(f.distance_m.unwrap_or(500.0)),
                FaultKind::TaccBad => a.tacc_ns = Some(f.tacc_ns.unwrap_or(5_000)),
                FaultKind::PowerCycle => a.power_off = true,
                FaultKind::Leap => a.leap = true,
                FaultKind::StaleLeap => a.stale_leap = true,
            }
        }
        a
    }

    /// The second the receiver last started in: 0, or the end of the last `power_cycle`
    /// window before `index` (NAV-STATUS msss counts from there).
    pub fn boot_index(&self, index: u64) -> u64 {
        self.faults
            .iter()
            .filter(|f| f.kind == FaultKind::PowerCycle)
            .filter_map(|f| f.to_s)
            .filter(|&to| to <= index)
            .max()
            .unwrap_or(0)
    }

    /// The scenario's leap second: its sign, the first second (0-based index) of its window and
    /// how many days after that second's day it comes at the end of.
    pub fn leap_fault(&self) -> Option<(i8, u64, u16)> {
        self.faults
            .iter()
            .find(|f| f.kind == FaultKind::Leap)
            .map(|f| (f.sign.unwrap_or(1), f.from_s, f.days_ahead.unwrap_or(0)))
    }
}

#[cfg(test)]
#[path = "fault_tests.rs"]
mod tests;
