//! UBX message decoding: turns one checksum-verified UBX frame (class, id, payload) into a typed
//! message. Field layouts follow the u-blox interface descriptions (u-blox 8 / M8 protocol
//! 15–23.01, UBX-13003221; u-blox F9 HPG/TIM 1.32 interface description, UBX-22008968).
//! Framing and checksums are the framer's job, not this module's.

pub mod cfg;
pub mod cfg_gnss;
mod decode;
mod sec;
pub mod valset;
pub use decode::decode;
pub use sec::SecSig;

use crate::gnss::Constellation;

/// A decoded UBX message. Unknown or unsupported messages come back as [`Ubx::Other`];
/// a known message with a payload too short for its layout is an error, not a guess.
#[derive(Clone, Debug, PartialEq)]
pub enum Ubx {
    NavPvt(NavPvt),
    NavTimeUtc(NavTimeUtc),
    NavTimeGps(NavTimeGps),
    NavTimeLs(NavTimeLs),
    NavStatus(NavStatus),
    /// NAV-SAT, and legacy NAV-SVINFO (M8 and older) converted to the same shape.
    NavSat(NavSat),
    NavSol(NavSol),
    /// NAV-EOE: the receiver's own end-of-epoch marker (protocol ≥ 18).
    NavEoe {
        itow_ms: u32,
    },
    /// NAV-SVIN and TIM-SVIN: survey-in progress of a timing receiver.
    Svin(Svin),
    TimTp(TimTp),
    MonHw(MonHw),
    MonRf(MonRf),
    MonVer(MonVer),
    /// SEC-SIG: signal security (jamming and spoofing), F9 firmware with the SEC class.
    SecSig(SecSig),
    Ack {
        class: u8,
        id: u8,
    },
    Nak {
        class: u8,
        id: u8,
    },
    Other {
        class: u8,
        id: u8,
        len: usize,
    },
}

/// Why a UBX frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UbxError {
    /// Payload shorter than the message layout requires (or not a whole number of blocks).
    BadLength { class: u8, id: u8, len: usize },
}

/// UBX-NAV-PVT (0x01 0x07).
#[derive(Clone, Debug, PartialEq)]
pub struct NavPvt {
    pub itow_ms: u32,
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub min: u8,
    pub sec: u8,
    /// `valid` bit 0.
    pub valid_date: bool,
    /// `valid` bit 1.
    pub valid_time: bool,
    /// `valid` bit 2: no UTC time-of-day ambiguity.
    pub fully_resolved: bool,
    /// `flags2` bits 6/7 (`confirmedAvai` must be set for these to mean anything).
    pub confirmed_date: bool,
    pub confirmed_time: bool,
    pub confirmed_avail: bool,
    pub tacc_ns: u32,
    /// Fraction of second, may be negative.
    pub nano_ns: i32,
    /// 0 no fix, 1 dead reckoning, 2 2D, 3 3D, 4 GNSS+DR, 5 time only.
    pub fix_type: u8,
    /// `flags` bit 0: fix within DOP and accuracy masks.
    pub gnss_fix_ok: bool,
    pub num_sv: u8,
    pub lon_deg: f64,
    pub lat_deg: f64,
    pub height_m: f64,
    pub hmsl_m: f64,
    pub hacc_m: f64,
    pub vacc_m: f64,
    /// Position DOP (scaled 0.01 in the message).
    pub pdop: f64,
}

/// UBX-NAV-TIMEUTC (0x01 0x21).
#[derive(Clone, Debug, PartialEq)]
pub struct NavTimeUtc {
    pub itow_ms: u32,
    pub tacc_ns: u32,
    pub nano_ns: i32,
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub min: u8,
    pub sec: u8,
    /// `valid` bit 0.
    pub valid_tow: bool,
    /// `valid` bit 1.
    pub valid_wkn: bool,
    /// `valid` bit 2: UTC (leap seconds) known.
    pub valid_utc: bool,
    /// `valid` bits 4..7: UTC standard (0 unknown, 3 USNO, 6 SU…).
    pub utc_standard: u8,
}

/// UBX-NAV-TIMEGPS (0x01 0x20).
#[derive(Clone, Debug, PartialEq)]
pub struct NavTimeGps {
    pub itow_ms: u32,
    pub ftow_ns: i32,
    pub week: i16,
    pub leap_s: i8,
    pub tow_valid: bool,
    pub week_valid: bool,
    pub leap_valid: bool,
    pub tacc_ns: u32,
}

/// UBX-NAV-TIMELS (0x01 0x26): leap second state and any announced event.
#[derive(Clone, Debug, PartialEq)]
pub struct NavTimeLs {
    pub itow_ms: u32,
    /// 0 default (firmware), 1 derived GPS−GLONASS, 2 GPS, 3 SBAS, 4 BeiDou, 5 Galileo,
    /// 6 aided, 7 configured, 255 unknown.
    pub src_of_curr_ls: u8,
    pub curr_ls: i8,
    pub src_of_ls_change: u8,
    /// +1 / −1 / 0 at the next event.
    pub ls_change: i8,
    /// Seconds until the event (negative: it happened that long ago).
    pub time_to_ls_event_s: i32,
    pub date_of_ls_gps_wn: u16,
    pub date_of_ls_gps_dn: u16,
    /// `valid` bit 0.
    pub valid_curr_ls: bool,
    /// `valid` bit 1.
    pub valid_time_to_ls_event: bool,
}

/// UBX-NAV-STATUS (0x01 0x03).
#[derive(Clone, Debug, PartialEq)]
pub struct NavStatus {
    pub itow_ms: u32,
    pub gps_fix: u8,
    pub gps_fix_ok: bool,
    pub week_valid: bool,
    pub tow_valid: bool,
    /// `flags2` bits 3..4 (protocol ≥ 18): 0 unknown, 1 no spoofing, 2 spoofing indicated,
    /// 3 multiple spoofing indications.
    pub spoof_det_state: u8,
    pub ttff_ms: u32,
    pub msss_ms: u32,
}

/// One satellite of NAV-SAT / NAV-SVINFO.
#[derive(Clone, Debug, PartialEq)]
pub struct SatInfo {
    pub constellation: Constellation,
    /// u-blox gnssId as sent (NAV-SVINFO: derived from the NMEA-style svid ranges).
    pub gnss_id: u8,
    pub sv_id: u8,
    pub cno_dbhz: u8,
    /// Degrees; `None` when unknown (NAV-SAT sends −91..90; ±91 or beyond means unknown).
    pub elev_deg: Option<i8>,
    pub azim_deg: Option<i16>,
    pub used: bool,
    pub healthy: Option<bool>,
}

/// UBX-NAV-SAT (0x01 0x35) or legacy UBX-NAV-SVINFO (0x01 0x30).
#[derive(Clone, Debug, PartialEq)]
pub struct NavSat {
    pub itow_ms: u32,
    pub sats: Vec<SatInfo>,
}

/// UBX-NAV-SOL (0x01 0x06), legacy M8-era solution.
#[derive(Clone, Debug, PartialEq)]
pub struct NavSol {
    pub itow_ms: u32,
    pub ftow_ns: i32,
    pub week: i16,
    pub gps_fix: u8,
    pub gps_fix_ok: bool,
    pub week_valid: bool,
    pub tow_valid: bool,
    pub num_sv: u8,
    pub pdop: f64,
}

/// UBX-NAV-SVIN (0x01 0x3B) or UBX-TIM-SVIN (0x0D 0x04).
#[derive(Clone, Debug, PartialEq)]
pub struct Svin {
    pub itow_ms: Option<u32>,
    pub duration_s: u32,
    pub mean_acc_m: f64,
    /// Mean position so far (the surveyed position once `valid`), ECEF metres.
    pub mean_ecef_m: [f64; 3],
    pub observations: u32,
    pub valid: bool,
    pub active: bool,
}

/// UBX-TIM-TP (0x0D 0x01): the time of the *next* time pulse and its quantisation error.
#[derive(Clone, Debug, PartialEq)]
pub struct TimTp {
    /// Time-pulse time of week, whole milliseconds, and the sub-millisecond part.
    pub tow_ms: u32,
    pub tow_sub_ms: u32,
    /// Quantisation error of the pulse in picoseconds (add to the pulse edge, manual §TIM-TP).
    pub qerr_ps: i32,
    pub week: u16,
    /// `flags` bit 0: 0 = GNSS time base, 1 = UTC.
    pub time_base_utc: bool,
    /// `flags` bit 1: UTC available.
    pub utc_available: bool,
    /// `flags` bits 2..3 RAIM; `flags` bit 4 `qErrInvalid` (protocol ≥ 27).
    pub qerr_invalid: bool,
    /// `refInfo` bits 0..3 when time base is GNSS: 0 GPS, 1 GLONASS, 2 BeiDou, 3 Galileo.
    pub time_ref_gnss: u8,
}

/// Antenna supervisor state (MON-HW `aStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AntennaStatus {
    Init,
    DontKnow,
    Ok,
    Short,
    Open,
    Unknown(u8),
}

/// Antenna power state (MON-HW `aPower`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AntennaPower {
    Off,
    On,
    DontKnow,
    Unknown(u8),
}

/// UBX-MON-HW (0x0A 0x09), legacy hardware status (still sent by M8/F9).
#[derive(Clone, Debug, PartialEq)]
pub struct MonHw {
    pub noise_per_ms: u16,
    pub agc_cnt: u16,
    pub antenna: AntennaStatus,
    pub antenna_power: AntennaPower,
    /// `flags` bits 2..3: 0 unknown/disabled, 1 ok, 2 warning, 3 critical.
    pub jamming_state: u8,
    /// CW jamming indicator 0 (none) .. 255 (strong).
    pub jam_ind: u8,
}

/// One RF block of MON-RF.
#[derive(Clone, Debug, PartialEq)]
pub struct RfBlock {
    pub block_id: u8,
    pub jamming_state: u8,
    pub antenna: AntennaStatus,
    pub antenna_power: AntennaPower,
    pub noise_per_ms: u16,
    pub agc_cnt: u16,
    pub jam_ind: u8,
}

/// UBX-MON-RF (0x0A 0x38), protocol ≥ 27.
#[derive(Clone, Debug, PartialEq)]
pub struct MonRf {
    pub blocks: Vec<RfBlock>,
}

/// UBX-MON-VER (0x0A 0x04): software, hardware and extension strings (NUL-trimmed).
#[derive(Clone, Debug, PartialEq)]
pub struct MonVer {
    pub sw_version: String,
    pub hw_version: String,
    pub extensions: Vec<String>,
}
