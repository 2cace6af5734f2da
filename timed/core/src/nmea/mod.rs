//! NMEA 0183 sentence decoding: turns one framed sentence (checksum already verified by the
//! framer, `$` or `!` first, no `*hh`, no CR/LF) into a typed message. Any talker is accepted
//! (GP, GN, GL, GA, GB, BD, GQ, GI…). Covers what a timing receiver sends: RMC, ZDA, GGA, GNS,
//! GSA, GSV, TXT and u-blox PUBX,04. Field meanings follow NMEA 0183 4.11 as documented in the
//! u-blox interface descriptions (UBX-13003221 §31 "NMEA protocol").

mod decode;
pub use decode::decode;

use crate::gnss::Constellation;
use crate::time::TimeOfDay;

/// A decoded NMEA sentence.
#[derive(Clone, Debug, PartialEq)]
pub enum Nmea {
    Rmc(Rmc),
    Zda(Zda),
    Gga(Gga),
    Gns(Gns),
    Gsa(Gsa),
    Gsv(Gsv),
    Txt(Txt),
    Pubx04(Pubx04),
    /// A well-formed sentence this decoder does not interpret (VTG, GLL, GST, GBS, AIS…), with
    /// its time-of-day field when the sentence type is known to carry one (GLL, GST, GBS), so
    /// epoch assembly can still see which second it belongs to.
    Other {
        talker: Talker,
        kind: [u8; 3],
        time: Option<TimeOfDay>,
    },
}

/// Why a sentence could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmeaError {
    /// Not `$`/`!` + 5 address characters + `,`.
    BadAddress,
    /// A known sentence with a field that cannot be what the standard says (e.g. a time of day
    /// `256161.00`, a month 13). The index is the 1-based field number.
    BadField { kind: [u8; 3], field: u8 },
    /// A known sentence with fewer fields than its shortest standard form.
    TooFewFields { kind: [u8; 3] },
}

/// The two-character talker, kept as sent. `P` proprietary sentences use `talker = *b"P?"`
/// only for PUBX (u-blox), decoded separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Talker(pub [u8; 2]);

impl Talker {
    /// The constellation a talker speaks for (`GN` and others: `None`, i.e. combined/unknown).
    pub fn constellation(self) -> Option<Constellation> {
        match &self.0 {
            b"GP" => Some(Constellation::Gps),
            b"GL" => Some(Constellation::Glonass),
            b"GA" => Some(Constellation::Galileo),
            b"GB" | b"BD" => Some(Constellation::Beidou),
            b"GQ" | b"QZ" => Some(Constellation::Qzss),
            b"GI" => Some(Constellation::Navic),
            _ => None,
        }
    }
}

/// A 2-digit-year NMEA date as sent in RMC (`ddmmyy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortDate {
    pub day: u8,
    pub month: u8,
    pub yy: u8,
}

/// Recommended minimum data.
#[derive(Clone, Debug, PartialEq)]
pub struct Rmc {
    pub talker: Talker,
    pub time: Option<TimeOfDay>,
    /// Status field: `A` (data valid) → true, `V` → false.
    pub status_valid: bool,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    pub speed_knots: Option<f64>,
    pub course_deg: Option<f64>,
    pub date: Option<ShortDate>,
    /// NMEA ≥ 2.3 mode indicator (`A`, `D`, `E`, `N`, `F`, `R`…), if present.
    pub mode: Option<u8>,
    /// NMEA ≥ 4.1 navigational status (`V` etc.), if present.
    pub nav_status: Option<u8>,
}

/// Time and date.
#[derive(Clone, Debug, PartialEq)]
pub struct Zda {
    pub talker: Talker,
    pub time: Option<TimeOfDay>,
    pub day: Option<u8>,
    pub month: Option<u8>,
    /// Four-digit year.
    pub year: Option<i32>,
}

/// Fix data.
#[derive(Clone, Debug, PartialEq)]
pub struct Gga {
    pub talker: Talker,
    pub time: Option<TimeOfDay>,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    /// 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 dead reckoning,
    /// 7 manual, 8 simulator. Empty field → 0.
    pub quality: u8,
    pub sats_used: Option<u8>,
    pub hdop: Option<f64>,
    pub alt_msl_m: Option<f64>,
    pub geoid_sep_m: Option<f64>,
}

/// GNSS fix data (multi-constellation GGA).
#[derive(Clone, Debug, PartialEq)]
pub struct Gns {
    pub talker: Talker,
    pub time: Option<TimeOfDay>,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    /// Mode characters, one per constellation (GPS, GLONASS, Galileo, BeiDou…): `N` no fix,
    /// `A` autonomous, `D` differential, `R`/`F` RTK, `E` estimated.
    pub modes: Vec<u8>,
    pub sats_used: Option<u8>,
    pub hdop: Option<f64>,
    pub alt_msl_m: Option<f64>,
}

/// DOP and active satellites.
#[derive(Clone, Debug, PartialEq)]
pub struct Gsa {
    pub talker: Talker,
    /// 1 no fix, 2 2D, 3 3D (0 if empty).
    pub nav_mode: u8,
    /// Satellite ids used (as sent: NMEA numbering, 1..=32 GPS, 65..=96 GLONASS …).
    pub sv_ids: Vec<u16>,
    pub pdop: Option<f64>,
    pub hdop: Option<f64>,
    pub vdop: Option<f64>,
    /// NMEA 4.1 system id (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou, 5 QZSS, 6 NavIC), if present.
    pub system_id: Option<u8>,
}

/// One satellite in a GSV sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct GsvSat {
    pub sv_id: u16,
    pub elev_deg: Option<i16>,
    pub azim_deg: Option<u16>,
    pub cno_dbhz: Option<u8>,
}

/// Satellites in view (one sentence of a group).
#[derive(Clone, Debug, PartialEq)]
pub struct Gsv {
    pub talker: Talker,
    pub total_msgs: u8,
    pub msg_num: u8,
    pub sats_in_view: u16,
    pub sats: Vec<GsvSat>,
    /// NMEA 4.1 signal id, if present.
    pub signal_id: Option<u8>,
}

/// Text transmission (u-blox sends version strings, antenna status `ANTSTATUS=OK` …).
#[derive(Clone, Debug, PartialEq)]
pub struct Txt {
    pub talker: Talker,
    pub total: u8,
    pub num: u8,
    /// 00 error, 01 warning, 02 notice, 07 user.
    pub kind: u8,
    pub text: String,
}

/// u-blox proprietary `$PUBX,04`: time of day and clock (u-blox 8 protocol §31.3.5).
#[derive(Clone, Debug, PartialEq)]
pub struct Pubx04 {
    pub time: Option<TimeOfDay>,
    pub date: Option<ShortDate>,
    /// UTC time of week, seconds.
    pub utc_tow_s: Option<f64>,
    /// UTC week number.
    pub utc_week: Option<u16>,
    /// Leap seconds; `leap_is_default` is true when the receiver marked it with a trailing `D`
    /// (firmware default, not yet received from the constellation).
    pub leap_s: Option<i8>,
    pub leap_is_default: bool,
    pub clock_bias_ns: Option<i64>,
    pub clock_drift_ns_per_s: Option<f64>,
    pub time_pulse_granularity_ns: Option<u32>,
}
