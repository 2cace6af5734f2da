//! The snapshot's states as types: one enum per state from the core (or the device code) to the
//! JSON, with serde names that are the JSON's words. Consumers (metrics, LED, notify, timectl's
//! verdict, doctor, status and watch) match on them; nobody parses a string back.

use serde::{Deserialize, Serialize};
use timed_core::engine::{Hold, LabelSource, PpsState};
use timed_core::epoch::{Fix, LeapSource};
use timed_core::ubx::AntennaStatus;

/// A device timed reads (the receiver's serial port, the PPS device or socket).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceState {
    /// Not opened yet.
    #[default]
    Opening,
    Open,
    /// Could not be opened (missing, permissions): retried.
    Absent,
    /// Was open and failed (unplugged, driver gone): reopening.
    Lost,
}

impl DeviceState {
    pub fn name(self) -> &'static str {
        match self {
            DeviceState::Opening => "opening",
            DeviceState::Open => "open",
            DeviceState::Absent => "absent",
            DeviceState::Lost => "lost",
        }
    }

    /// Absent or lost: something the owner must fix or wait for.
    pub fn is_broken(self) -> bool {
        matches!(self, DeviceState::Absent | DeviceState::Lost)
    }
}

/// Pairing of PPS edges with their seconds (the engine's [`PpsState`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PpsLock {
    #[default]
    Acquiring,
    LockedTimTp,
    LockedEpochTiming,
    /// The receiver's labels are whole seconds off the pulse count: samples withheld.
    HeldLabelJump,
    /// The pulses are off the pulse train's phase: samples withheld.
    HeldPulseMoved,
}

impl PpsLock {
    pub fn name(self) -> &'static str {
        match self {
            PpsLock::Acquiring => "acquiring",
            PpsLock::LockedTimTp => "locked-tim-tp",
            PpsLock::LockedEpochTiming => "locked-epoch-timing",
            PpsLock::HeldLabelJump => "held-label-jump",
            PpsLock::HeldPulseMoved => "held-pulse-moved",
        }
    }

    pub fn is_locked(self) -> bool {
        matches!(self, PpsLock::LockedTimTp | PpsLock::LockedEpochTiming)
    }

    pub fn is_held(self) -> bool {
        matches!(self, PpsLock::HeldLabelJump | PpsLock::HeldPulseMoved)
    }

    /// How edges are labelled while locked (metrics label), `None` otherwise.
    pub fn label(self) -> Option<&'static str> {
        match self {
            PpsLock::LockedTimTp => Some("tim-tp"),
            PpsLock::LockedEpochTiming => Some("epoch-timing"),
            _ => None,
        }
    }
}

impl From<PpsState> for PpsLock {
    fn from(s: PpsState) -> PpsLock {
        match s {
            PpsState::Acquiring => PpsLock::Acquiring,
            PpsState::Locked(LabelSource::TimTp) => PpsLock::LockedTimTp,
            PpsState::Locked(LabelSource::EpochTiming) => PpsLock::LockedEpochTiming,
            PpsState::Held(Hold::LabelJump { .. }) => PpsLock::HeldLabelJump,
            PpsState::Held(Hold::PulseMoved) => PpsLock::HeldPulseMoved,
        }
    }
}

/// The receiver's fix (the core's [`Fix`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FixKind {
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "2d")]
    TwoD,
    #[serde(rename = "3d")]
    ThreeD,
    /// Time-only fix of a timing receiver in fixed-position mode.
    #[serde(rename = "time")]
    Time,
}

impl FixKind {
    pub fn name(self) -> &'static str {
        match self {
            FixKind::None => "none",
            FixKind::TwoD => "2d",
            FixKind::ThreeD => "3d",
            FixKind::Time => "time",
        }
    }
}

impl From<Fix> for FixKind {
    fn from(f: Fix) -> FixKind {
        match f {
            Fix::None => FixKind::None,
            Fix::TwoD => FixKind::TwoD,
            Fix::ThreeD => FixKind::ThreeD,
            Fix::TimeOnly => FixKind::Time,
        }
    }
}

/// Where the receiver's leap-second count came from (the core's [`LeapSource`]; the NAV-TIMELS
/// `srcOfCurrLs` code 0, the firmware's built-in default, is its own state: the integrity gate
/// and `timectl doctor` treat it differently from a count the receiver decoded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeapSourceKind {
    #[default]
    #[serde(rename = "unknown")]
    Unknown,
    #[serde(rename = "firmware")]
    Firmware,
    #[serde(rename = "NAV-TIMELS")]
    NavTimeLs,
    #[serde(rename = "NAV-TIMEGPS")]
    NavTimeGps,
    #[serde(rename = "PUBX,04")]
    Pubx04,
    #[serde(rename = "derived")]
    Derived,
}

impl LeapSourceKind {
    pub fn name(self) -> &'static str {
        match self {
            LeapSourceKind::Unknown => "unknown",
            LeapSourceKind::Firmware => "firmware",
            LeapSourceKind::NavTimeLs => "NAV-TIMELS",
            LeapSourceKind::NavTimeGps => "NAV-TIMEGPS",
            LeapSourceKind::Pubx04 => "PUBX,04",
            LeapSourceKind::Derived => "derived",
        }
    }
}

impl From<LeapSource> for LeapSourceKind {
    fn from(s: LeapSource) -> LeapSourceKind {
        match s {
            LeapSource::Unknown => LeapSourceKind::Unknown,
            LeapSource::NavTimeLs(0) => LeapSourceKind::Firmware,
            LeapSource::NavTimeLs(_) => LeapSourceKind::NavTimeLs,
            LeapSource::NavTimeGps => LeapSourceKind::NavTimeGps,
            LeapSource::Pubx04 => LeapSourceKind::Pubx04,
            LeapSource::Derived => LeapSourceKind::Derived,
        }
    }
}

/// Antenna supervisor state (MON-RF / MON-HW `aStatus`, TXT `ANTSTATUS=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Antenna {
    Init,
    DontKnow,
    Ok,
    Short,
    Open,
    /// A code the receiver's documentation does not define.
    Unknown,
}

impl Antenna {
    pub fn name(self) -> &'static str {
        match self {
            Antenna::Init => "init",
            Antenna::DontKnow => "dontknow",
            Antenna::Ok => "ok",
            Antenna::Short => "short",
            Antenna::Open => "open",
            Antenna::Unknown => "unknown",
        }
    }

    /// Open or short: the antenna or its cable is broken.
    pub fn is_fault(self) -> bool {
        matches!(self, Antenna::Short | Antenna::Open)
    }
}

impl From<AntennaStatus> for Antenna {
    fn from(a: AntennaStatus) -> Antenna {
        match a {
            AntennaStatus::Init => Antenna::Init,
            AntennaStatus::DontKnow => Antenna::DontKnow,
            AntennaStatus::Ok => Antenna::Ok,
            AntennaStatus::Short => Antenna::Short,
            AntennaStatus::Open => Antenna::Open,
            AntennaStatus::Unknown(_) => Antenna::Unknown,
        }
    }
}

/// A chrony sink's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SinkState {
    /// Nothing sent yet.
    #[default]
    Idle,
    Ok,
    Failing,
}

impl SinkState {
    pub fn name(self) -> &'static str {
        match self {
            SinkState::Idle => "idle",
            SinkState::Ok => "ok",
            SinkState::Failing => "failing",
        }
    }
}

/// Shown as its JSON word.
macro_rules! display_as_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}
display_as_name!(DeviceState, PpsLock, FixKind, Antenna, SinkState);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_words_are_the_names() {
        let j = |v: &dyn erased::Json| v.json();
        for (v, n) in [
            (j(&DeviceState::Absent), DeviceState::Absent.name()),
            (j(&PpsLock::HeldLabelJump), PpsLock::HeldLabelJump.name()),
            (j(&PpsLock::LockedTimTp), PpsLock::LockedTimTp.name()),
            (j(&FixKind::TwoD), FixKind::TwoD.name()),
            (j(&FixKind::Time), FixKind::Time.name()),
            (j(&Antenna::DontKnow), Antenna::DontKnow.name()),
            (j(&SinkState::Failing), SinkState::Failing.name()),
        ] {
            assert_eq!(v, format!("\"{n}\""));
        }
        let back: PpsLock = serde_json::from_str("\"locked-epoch-timing\"").unwrap_or_default();
        assert_eq!(back, PpsLock::LockedEpochTiming);
    }

    mod erased {
        pub trait Json {
            fn json(&self) -> String;
        }
        impl<T: serde::Serialize> Json for T {
            fn json(&self) -> String {
                serde_json::to_string(self).unwrap_or_default()
            }
        }
    }
}
