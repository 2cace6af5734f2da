//! The facts one epoch carries, and receiver knowledge that outlives an epoch.

use super::RxStamp;
use crate::gnss::Constellation;
use crate::time::UtcTime;
use crate::ubx::{AntennaPower, AntennaStatus, MonVer, NavTimeLs, Svin};

/// The kind of fix the receiver reports for an epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fix {
    #[default]
    None,
    TwoD,
    ThreeD,
    /// Time-only fix of a timing receiver in fixed-position mode (UBX fixType 5).
    TimeOnly,
}

impl Fix {
    pub fn name(self) -> &'static str {
        match self {
            Fix::None => "none",
            Fix::TwoD => "2d",
            Fix::ThreeD => "3d",
            Fix::TimeOnly => "time",
        }
    }
}

/// The message an epoch's time was taken from, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeSource {
    NavTimeUtc,
    NavPvt,
    NavTimeGps,
    Pubx04,
    Zda,
    Rmc,
    Gns,
    Gga,
    NavSol,
}

impl TimeSource {
    pub fn name(self) -> &'static str {
        match self {
            TimeSource::NavTimeUtc => "NAV-TIMEUTC",
            TimeSource::NavPvt => "NAV-PVT",
            TimeSource::NavTimeGps => "NAV-TIMEGPS",
            TimeSource::Pubx04 => "PUBX,04",
            TimeSource::Zda => "ZDA",
            TimeSource::Rmc => "RMC",
            TimeSource::Gns => "GNS",
            TimeSource::Gga => "GGA",
            TimeSource::NavSol => "NAV-SOL",
        }
    }
}

/// Where the current leap-second count came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeapSource {
    #[default]
    Unknown,
    /// NAV-TIMELS, with its `srcOfCurrLs` code (2 GPS, 5 Galileo, 0 firmware default…).
    NavTimeLs(u8),
    NavTimeGps,
    Pubx04,
    /// Computed from a message carrying both GPS time of week and UTC (NAV-PVT, NAV-TIMEUTC).
    Derived,
}

impl LeapSource {
    pub fn name(self) -> &'static str {
        match self {
            LeapSource::Unknown => "unknown",
            LeapSource::NavTimeLs(0) => "firmware",
            LeapSource::NavTimeLs(_) => "NAV-TIMELS",
            LeapSource::NavTimeGps => "NAV-TIMEGPS",
            LeapSource::Pubx04 => "PUBX,04",
            LeapSource::Derived => "derived",
        }
    }
}

/// An announced leap second (NAV-TIMELS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeapEvent {
    /// +1 inserts a second, −1 deletes one.
    pub change: i8,
    /// GPS week and day of week (1 = Sunday, u-blox convention) at whose end the change happens.
    pub gps_week: u16,
    pub gps_day: u16,
}

/// Leap-second knowledge: the current GPS−UTC offset and any announced change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeapState {
    pub current_s: Option<i8>,
    pub source: LeapSource,
    /// The receiver vouches for `current_s` (received from the constellation, not a default).
    pub valid: bool,
    pub event: Option<LeapEvent>,
}

impl LeapState {
    /// Folds in a NAV-TIMELS (u-blox 8 protocol spec §32.17.26).
    pub fn apply_timels(&mut self, ls: &NavTimeLs) {
        if ls.valid_curr_ls {
            self.current_s = Some(ls.curr_ls);
            self.source = LeapSource::NavTimeLs(ls.src_of_curr_ls);
            self.valid = ls.src_of_curr_ls != 0 && ls.src_of_curr_ls != 255;
        }
        if ls.valid_time_to_ls_event {
            self.event = (ls.ls_change != 0).then_some(LeapEvent {
                change: ls.ls_change,
                gps_week: ls.date_of_ls_gps_wn,
                gps_day: ls.date_of_ls_gps_dn,
            });
        }
    }
}

/// The receiver's promise about its next time pulse (UBX-TIM-TP).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NextPulse {
    /// UTC of the pulse, when the time base and leap seconds allow converting it.
    pub utc: Option<UtcTime>,
    pub week: u16,
    pub tow_ms: u32,
    /// Sub-millisecond part in nanoseconds.
    pub tow_sub_ns: u32,
    pub time_base_utc: bool,
    /// Quantisation error of that pulse; `None` when the receiver flags it invalid.
    pub qerr_ps: Option<i32>,
}

/// Satellites used and seen for one constellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstellationCount {
    pub constellation: Constellation,
    pub used: u16,
    pub seen: u16,
}

/// One satellite as the receiver sees it this epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Satellite {
    pub constellation: Constellation,
    /// Number within its constellation (u-blox svId for UBX, NMEA number for NMEA).
    pub sv_id: u16,
    pub cno_dbhz: Option<u8>,
    pub elev_deg: Option<i16>,
    pub azim_deg: Option<i16>,
    pub used: bool,
}

/// Jamming state: MON-RF / MON-HW `jammingState` (0 unknown, 1 ok, 2 warning, 3 critical)
/// and the CW jamming indicator (0–255).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Jamming {
    pub state: u8,
    pub indicator: u8,
}

/// Position of the fix (for health and the gpsd-compatible view; may be withheld for privacy).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Position {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_hae_m: Option<f64>,
    pub alt_msl_m: Option<f64>,
}

/// One navigation epoch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Epoch {
    /// UTC the receiver labels this epoch with.
    pub time: Option<UtcTime>,
    pub time_source: Option<TimeSource>,
    /// The receiver vouches for `time` (validity flags set, fix status valid). A `time` that is
    /// not valid is the receiver's guess (RTC, default leap seconds) and must not discipline.
    pub time_valid: bool,
    /// NMEA time that was older than the configured week pivot and moved 1024 weeks forward.
    pub rollover_corrected: bool,
    pub fix: Fix,
    /// The receiver vouches for the fix: UBX `gnssFixOK` (within its DOP and accuracy masks),
    /// NMEA status `A` / quality > 0. A fix type without it must not be trusted.
    pub fix_ok: bool,
    /// A message of the epoch reported the fix (NAV-PVT/SOL/STATUS, GGA, GNS, RMC, GSA); when
    /// false, `fix` and `fix_ok` are only defaults and say nothing.
    pub fix_reported: bool,
    pub sats_used: Option<u16>,
    pub sats_seen: Option<u16>,
    pub constellations: Vec<ConstellationCount>,
    pub satellites: Vec<Satellite>,
    pub tacc_ns: Option<u32>,
    pub leap: LeapState,
    pub next_pulse: Option<NextPulse>,
    pub antenna: Option<AntennaStatus>,
    pub antenna_power: Option<AntennaPower>,
    pub jamming: Option<Jamming>,
    /// NAV-STATUS `spoofDetState` (0 unknown, 1 none, 2 indicated, 3 multiple indications)
    /// or SEC-SIG `spoofingState` (same scale, 3 affirmed), whichever is worse; SEC-SIG's
    /// holds until the next one.
    pub spoofing: Option<u8>,
    pub survey: Option<Svin>,
    /// The time mode this epoch shows (`None`: it shows none; see [`super::TimeMode`]).
    pub time_mode: Option<super::TimeMode>,
    pub position: Option<Position>,
    pub hdop: Option<f64>,
    pub pdop: Option<f64>,
    /// GPS time of week of the epoch (UBX), ms.
    pub itow_ms: Option<u32>,
    /// Stream offset of the epoch's first byte and its receive time, if the caller stamped it.
    pub first_offset: u64,
    pub rx: Option<RxStamp>,
    /// Messages that made up the epoch.
    pub messages: u32,
    /// Receive time of the first byte of each message kind's first occurrence (when stamped).
    pub message_rx: Vec<(&'static str, RxStamp)>,
}

/// What the receiver says about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiverInfo {
    pub sw_version: Option<String>,
    pub hw_version: Option<String>,
    /// MON-VER extensions / TXT banner lines (`PROTVER=18.00`, `MOD=NEO-M8T`…).
    pub extensions: Vec<String>,
}

impl ReceiverInfo {
    pub(super) fn apply_monver(&mut self, v: &MonVer) {
        self.sw_version = Some(v.sw_version.clone());
        self.hw_version = Some(v.hw_version.clone());
        self.extensions = v.extensions.clone();
    }

    /// Notes a u-blox TXT banner line; returns an antenna status if the line reports one
    /// (`ANTSTATUS=OK|OPEN|SHORT|INIT|DONTKNOW`, u-blox 8 protocol spec §31.2.15 / §21.6).
    pub(super) fn apply_txt(&mut self, text: &str) -> Option<AntennaStatus> {
        let text = text.trim();
        if let Some(s) = text.strip_prefix("ANTSTATUS=") {
            return Some(match s {
                "OK" => AntennaStatus::Ok,
                "OPEN" => AntennaStatus::Open,
                "SHORT" => AntennaStatus::Short,
                "INIT" => AntennaStatus::Init,
                _ => AntennaStatus::DontKnow,
            });
        }
        if let Some(v) = text.strip_prefix("HW ") {
            self.hw_version = Some(v.trim().to_string());
        } else if let Some(v) = text.strip_prefix("ROM CORE ").or_else(|| text.strip_prefix("FWVER=")) {
            self.sw_version.get_or_insert_with(|| v.trim().to_string());
        } else if text.contains('=')
            && self.extensions.len() < 16
            && !self.extensions.iter().any(|e| e == text)
        {
            self.extensions.push(text.to_string());
        }
        None
    }
}
