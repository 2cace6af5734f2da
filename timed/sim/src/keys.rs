//! The modelled receiver's configuration as key/value items, in the key space of the u-blox F9
//! interface description (ZED-F9P/F9T Interface Description, "Configuration interface":
//! a key ID's bits 28..30 give the value's size, 1 = one bit stored in one byte, 2 = one byte,
//! 3 = two, 4 = four, 5 = eight; values are little-endian). The F9T's CFG-VALSET/VALGET speak
//! these keys directly; the M8's legacy CFG-* messages are translated to and from the same
//! items (`legacy`), so one store backs both interfaces and the output follows one state.
//!
//! Owns: the key table (which keys exist, what each part supports), the factory and the
//! "configured" defaults, and the typed view ([`Config`]) the burst and the pulse follow.

use crate::model::Part;
use std::collections::BTreeMap;

pub const UART1_BAUDRATE: u32 = 0x4052_0001;
pub const UART1INPROT_UBX: u32 = 0x1073_0001;
pub const UART1INPROT_NMEA: u32 = 0x1073_0002;
pub const UART1INPROT_RTCM3X: u32 = 0x1073_0004;
pub const UART1OUTPROT_UBX: u32 = 0x1074_0001;
pub const UART1OUTPROT_NMEA: u32 = 0x1074_0002;
pub const UART1OUTPROT_RTCM3X: u32 = 0x1074_0004;
pub const RATE_MEAS: u32 = 0x3021_0001;
pub const RATE_NAV: u32 = 0x3021_0002;
pub const RATE_TIMEREF: u32 = 0x2021_0003;
pub const NAVSPG_DYNMODEL: u32 = 0x2011_0021;
pub const TP_PULSE_DEF: u32 = 0x2005_0023;
pub const TP_PULSE_LENGTH_DEF: u32 = 0x2005_0030;
pub const TP_ANT_CABLEDELAY: u32 = 0x3005_0001;
pub const TP_PERIOD_TP1: u32 = 0x4005_0002;
pub const TP_PERIOD_LOCK_TP1: u32 = 0x4005_0003;
pub const TP_LEN_TP1: u32 = 0x4005_0004;
pub const TP_LEN_LOCK_TP1: u32 = 0x4005_0005;
pub const TP_USER_DELAY_TP1: u32 = 0x4005_0006;
pub const TP_TP1_ENA: u32 = 0x1005_0007;
pub const TP_SYNC_GNSS_TP1: u32 = 0x1005_0008;
pub const TP_USE_LOCKED_TP1: u32 = 0x1005_0009;
pub const TP_ALIGN_TO_TOW_TP1: u32 = 0x1005_000a;
pub const TP_POL_TP1: u32 = 0x1005_000b;
pub const TP_TIMEGRID_TP1: u32 = 0x2005_000c;
pub const TP_FREQ_TP1: u32 = 0x4005_0024;
pub const TP_FREQ_LOCK_TP1: u32 = 0x4005_0025;
pub const TMODE_MODE: u32 = 0x2003_0001;
pub const TMODE_POS_TYPE: u32 = 0x2003_0002;
pub const TMODE_ECEF_X: u32 = 0x4003_0003;
pub const TMODE_ECEF_Y: u32 = 0x4003_0004;
pub const TMODE_ECEF_Z: u32 = 0x4003_0005;
pub const TMODE_ECEF_X_HP: u32 = 0x2003_0006;
pub const TMODE_ECEF_Y_HP: u32 = 0x2003_0007;
pub const TMODE_ECEF_Z_HP: u32 = 0x2003_0008;
pub const TMODE_LAT: u32 = 0x4003_0009;
pub const TMODE_LON: u32 = 0x4003_000a;
pub const TMODE_HEIGHT: u32 = 0x4003_000b;
pub const TMODE_LAT_HP: u32 = 0x2003_000c;
pub const TMODE_LON_HP: u32 = 0x2003_000d;
pub const TMODE_HEIGHT_HP: u32 = 0x2003_000e;
pub const TMODE_FIXED_POS_ACC: u32 = 0x4003_000f;
pub const TMODE_SVIN_MIN_DUR: u32 = 0x4003_0010;
pub const TMODE_SVIN_ACC_LIMIT: u32 = 0x4003_0011;
/// The CFG-TMODE-* group.
pub const TMODE_KEYS: [u32; 17] = [
    TMODE_MODE,
    TMODE_POS_TYPE,
    TMODE_ECEF_X,
    TMODE_ECEF_Y,
    TMODE_ECEF_Z,
    TMODE_ECEF_X_HP,
    TMODE_ECEF_Y_HP,
    TMODE_ECEF_Z_HP,
    TMODE_LAT,
    TMODE_LON,
    TMODE_HEIGHT,
    TMODE_LAT_HP,
    TMODE_LON_HP,
    TMODE_HEIGHT_HP,
    TMODE_FIXED_POS_ACC,
    TMODE_SVIN_MIN_DUR,
    TMODE_SVIN_ACC_LIMIT,
];

/// The cable delay the simulated antenna really has, ns: the factory value of antCableDelay
/// (CFG-TP5 / CFG-TP-ANT_CABLEDELAY default 50 ns). A receiver told another value moves its
/// pulse by the difference; one told this value puts it on the true second.
pub const PHYSICAL_CABLE_DELAY_NS: i64 = 50;

/// A periodic output message the model can send, its UBX class/id (NMEA: the standard
/// message class 0xF0) and its CFG-MSGOUT-…_UART1 key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Msg {
    NavPvt,
    NavTimeutc,
    TimTp,
    NavStatus,
    NavSat,
    NavTimels,
    MonRf,
    MonHw,
    NavSvin,
    TimSvin,
    NavEoe,
    Gga,
    Gll,
    Gsa,
    Gsv,
    Rmc,
    Vtg,
    Zda,
}

/// (message, class, id, CFG-MSGOUT key on UART1), from the F9 interface description's
/// CFG-MSGOUT table and the M8 protocol specification's message list.
pub const MSGS: &[(Msg, u8, u8, u32)] = &[
    (Msg::NavPvt, 0x01, 0x07, 0x2091_0007),
    (Msg::NavTimeutc, 0x01, 0x21, 0x2091_005c),
    (Msg::TimTp, 0x0D, 0x01, 0x2091_017e),
    (Msg::NavStatus, 0x01, 0x03, 0x2091_001b),
    (Msg::NavSat, 0x01, 0x35, 0x2091_0016),
    (Msg::NavTimels, 0x01, 0x26, 0x2091_0061),
    (Msg::MonRf, 0x0A, 0x38, 0x2091_035a),
    (Msg::MonHw, 0x0A, 0x09, 0x2091_01b5),
    (Msg::NavSvin, 0x01, 0x3B, 0x2091_0089),
    (Msg::TimSvin, 0x0D, 0x04, 0x2091_0098),
    (Msg::NavEoe, 0x01, 0x61, 0x2091_0160),
    (Msg::Gga, 0xF0, 0x00, 0x2091_00bb),
    (Msg::Gll, 0xF0, 0x01, 0x2091_00ca),
    (Msg::Gsa, 0xF0, 0x02, 0x2091_00c0),
    (Msg::Gsv, 0xF0, 0x03, 0x2091_00c5),
    (Msg::Rmc, 0xF0, 0x04, 0x2091_00ac),
    (Msg::Vtg, 0xF0, 0x05, 0x2091_00b1),
    (Msg::Zda, 0xF0, 0x08, 0x2091_00d9),
];

impl Msg {
    pub fn key(self) -> u32 {
        MSGS.iter().find(|m| m.0 == self).map_or(0, |m| m.3)
    }

    pub fn by_class_id(class: u8, id: u8) -> Option<Msg> {
        MSGS.iter().find(|m| m.1 == class && m.2 == id).map(|m| m.0)
    }

    pub fn class_id(self) -> (u8, u8) {
        MSGS.iter().find(|m| m.0 == self).map_or((0, 0), |m| (m.1, m.2))
    }

    /// Whether `part` has this message (MON-RF and NAV-SVIN came with the F9; TIM-SVIN is a
    /// timing product's; the M8 reports the antenna and jamming in MON-HW).
    pub fn on(self, part: Part) -> bool {
        match self {
            Msg::MonRf | Msg::NavSvin => part == Part::F9t,
            Msg::TimSvin => part.has_time_mode(),
            _ => true,
        }
    }
}

/// Value size in bytes from a key ID (bits 28..30).
pub fn size(key: u32) -> usize {
    match (key >> 28) & 0x7 {
        1 | 2 => 1,
        3 => 2,
        4 => 4,
        5 => 8,
        _ => 0,
    }
}

/// The keys `part` knows: what CFG-VALSET/VALGET accept on an F9T, and the items the legacy
/// messages map to on an M8.
pub fn known(part: Part, key: u32) -> bool {
    if TMODE_KEYS.contains(&key) {
        return part.has_time_mode();
    }
    if let Some(m) = MSGS.iter().find(|m| m.3 == key) {
        return m.0.on(part);
    }
    if crate::gnss::known(key) {
        return true;
    }
    matches!(
        key,
        UART1_BAUDRATE
            | UART1INPROT_UBX
            | UART1INPROT_NMEA
            | UART1INPROT_RTCM3X
            | UART1OUTPROT_UBX
            | UART1OUTPROT_NMEA
            | UART1OUTPROT_RTCM3X
            | RATE_MEAS
            | RATE_NAV
            | RATE_TIMEREF
            | NAVSPG_DYNMODEL
            | TP_PULSE_DEF
            | TP_PULSE_LENGTH_DEF
            | TP_ANT_CABLEDELAY
            | TP_PERIOD_TP1
            | TP_PERIOD_LOCK_TP1
            | TP_LEN_TP1
            | TP_LEN_LOCK_TP1
            | TP_USER_DELAY_TP1
            | TP_TP1_ENA
            | TP_SYNC_GNSS_TP1
            | TP_USE_LOCKED_TP1
            | TP_ALIGN_TO_TOW_TP1
            | TP_POL_TP1
            | TP_TIMEGRID_TP1
            | TP_FREQ_TP1
            | TP_FREQ_LOCK_TP1
    )
}

/// Key/value items: a whole layer (RAM, Default) or a sparse one (BBR, Flash).
pub type Items = BTreeMap<u32, u64>;

/// Sign-extends a stored value of `key`'s size.
pub fn signed(key: u32, v: u64) -> i64 {
    match size(key) {
        1 => i64::from(v as u8 as i8),
        2 => i64::from(v as u16 as i16),
        4 => i64::from(v as u32 as i32),
        _ => v as i64,
    }
}

/// What the part's Default layer holds: its state out of the box (u-blox 8 protocol spec,
/// CFG-PRT/CFG-MSG/CFG-TP5/CFG-NAV5 defaults; F9 interface description, configuration
/// defaults). The M8 talks at 9600 baud, the F9 family at 38400 (ZED-F9 integration manuals,
/// "UART": "The default baud rate is 38400 baud"). Only the standard NMEA set is output. The
/// time pulse is 1 Hz, 100 ms long once locked to GNSS time and 0 µs (no pulse) before, aligned
/// to UTC, with a 50 ns antenna cable delay. No time mode.
pub fn factory(part: Part) -> Items {
    let mut k = Items::new();
    let baud = if part == Part::F9t { 38_400 } else { 9_600 };
    for (key, v) in [
        (UART1_BAUDRATE, baud),
        (UART1INPROT_UBX, 1),
        (UART1INPROT_NMEA, 1),
        (UART1INPROT_RTCM3X, 1),
        (UART1OUTPROT_UBX, 1),
        (UART1OUTPROT_NMEA, 1),
        (UART1OUTPROT_RTCM3X, 0),
        (RATE_MEAS, 1000),
        (RATE_NAV, 1),
        (RATE_TIMEREF, 1),
        (NAVSPG_DYNMODEL, 0),
        (TP_PULSE_DEF, 0),
        (TP_PULSE_LENGTH_DEF, 1),
        (TP_ANT_CABLEDELAY, 50),
        (TP_PERIOD_TP1, 1_000_000),
        (TP_PERIOD_LOCK_TP1, 1_000_000),
        (TP_LEN_TP1, 0),
        (TP_LEN_LOCK_TP1, 100_000),
        (TP_USER_DELAY_TP1, 0),
        (TP_TP1_ENA, 1),
        (TP_SYNC_GNSS_TP1, 1),
        (TP_USE_LOCKED_TP1, 1),
        (TP_ALIGN_TO_TOW_TP1, 1),
        (TP_POL_TP1, 1),
        (TP_TIMEGRID_TP1, 0),
        (TP_FREQ_TP1, 1),
        (TP_FREQ_LOCK_TP1, 1),
    ] {
        k.insert(key, v);
    }
    for &(m, _, _, key) in MSGS {
        let nmea_default = matches!(m, Msg::Gga | Msg::Gll | Msg::Gsa | Msg::Gsv | Msg::Rmc | Msg::Vtg);
        if m.on(part) {
            k.insert(key, u64::from(nmea_default));
        }
    }
    crate::gnss::factory(part, &mut k);
    if part.has_time_mode() {
        for key in TMODE_KEYS {
            k.insert(key, 0);
        }
    }
    k.retain(|key, _| known(part, *key));
    k
}

/// The typed view of a layer that the output follows.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub baud: u32,
    pub in_ubx: bool,
    pub out_ubx: bool,
    pub out_nmea: bool,
    /// Output rate per message (0 = off; n = every n-th navigation solution).
    pub rates: BTreeMap<Msg, u8>,
    pub tp: TimePulse,
    pub dyn_model: u8,
    pub tmode: TimeMode,
    /// Seconds between navigation solutions (CFG-RATE measRate × navRate), when whole.
    pub solution_every_s: u64,
    /// Enabled constellations, bit n for gnssId n (CFG-SIGNAL-*_ENA / CFG-GNSS).
    pub gnss_mask: u8,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimePulse {
    pub enabled: bool,
    pub use_locked: bool,
    /// Period and pulse length (µs) before and after locking to GNSS time.
    pub period_us: u32,
    pub period_lock_us: u32,
    pub len_us: u32,
    pub len_lock_us: u32,
    /// Aligned to GPS time (TIMEGRID 1) rather than UTC (0): TIM-TP's time base follows.
    pub grid_gps: bool,
    pub cable_ns: i64,
    pub user_ns: i64,
}

/// CFG-TMODE-*: mode 0 disabled, 1 survey-in, 2 fixed; positions in F9 units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeMode {
    pub mode: u8,
    pub lla: bool,
    /// ECEF cm + 0.1 mm, or lat/lon 1e-7° + 1e-9° and height cm + 0.1 mm.
    pub pos: [i32; 3],
    pub pos_hp: [i8; 3],
    pub fixed_acc_01mm: u32,
    pub svin_min_dur_s: u32,
    pub svin_acc_limit_01mm: u32,
}

impl Config {
    pub fn from_items(k: &Items) -> Config {
        let u = |key: u32| k.get(&key).copied().unwrap_or(0);
        let s = |key: u32| signed(key, u(key));
        let period = |per: u32, freq: u32| {
            if u(TP_PULSE_DEF) == 1 {
                u32::try_from(1_000_000 / u(freq).max(1)).unwrap_or(0)
            } else {
                u(per) as u32
            }
        };
        Config {
            baud: u(UART1_BAUDRATE) as u32,
            in_ubx: u(UART1INPROT_UBX) != 0,
            out_ubx: u(UART1OUTPROT_UBX) != 0,
            out_nmea: u(UART1OUTPROT_NMEA) != 0,
            rates: MSGS.iter().map(|m| (m.0, u(m.3) as u8)).collect(),
            tp: TimePulse {
                enabled: u(TP_TP1_ENA) != 0,
                use_locked: u(TP_USE_LOCKED_TP1) != 0,
                period_us: period(TP_PERIOD_TP1, TP_FREQ_TP1),
                period_lock_us: period(TP_PERIOD_LOCK_TP1, TP_FREQ_LOCK_TP1),
                len_us: u(TP_LEN_TP1) as u32,
                len_lock_us: u(TP_LEN_LOCK_TP1) as u32,
                grid_gps: u(TP_TIMEGRID_TP1) == 1,
                cable_ns: s(TP_ANT_CABLEDELAY),
                user_ns: s(TP_USER_DELAY_TP1),
            },
            dyn_model: u(NAVSPG_DYNMODEL) as u8,
            gnss_mask: crate::gnss::mask(k),
            // Solutions faster than 1 Hz are not modelled (one burst a second).
            solution_every_s: match u(RATE_MEAS) * u(RATE_NAV).max(1) {
                ms if ms >= 1000 && ms % 1000 == 0 => ms / 1000,
                _ => 1,
            },
            tmode: TimeMode {
                mode: u(TMODE_MODE) as u8,
                lla: u(TMODE_POS_TYPE) == 1,
                pos: if u(TMODE_POS_TYPE) == 1 {
                    [s(TMODE_LAT) as i32, s(TMODE_LON) as i32, s(TMODE_HEIGHT) as i32]
                } else {
                    [s(TMODE_ECEF_X) as i32, s(TMODE_ECEF_Y) as i32, s(TMODE_ECEF_Z) as i32]
                },
                pos_hp: if u(TMODE_POS_TYPE) == 1 {
                    [s(TMODE_LAT_HP) as i8, s(TMODE_LON_HP) as i8, s(TMODE_HEIGHT_HP) as i8]
                } else {
                    [s(TMODE_ECEF_X_HP) as i8, s(TMODE_ECEF_Y_HP) as i8, s(TMODE_ECEF_Z_HP) as i8]
                },
                fixed_acc_01mm: u(TMODE_FIXED_POS_ACC) as u32,
                svin_min_dur_s: u(TMODE_SVIN_MIN_DUR) as u32,
                svin_acc_limit_01mm: u(TMODE_SVIN_ACC_LIMIT) as u32,
            },
        }
    }

    pub fn rate(&self, m: Msg) -> u8 {
        self.rates.get(&m).copied().unwrap_or(0)
    }

    /// Whether the pulse of a second goes out and how far it is moved from the true second
    /// (ns): the configured cable delay is compensated against the physical one, the user
    /// delay added (F9 integration manual, "Time pulse": antenna cable delay and user delay).
    pub fn pulse(&self, locked: bool, index: u64) -> Option<i64> {
        let tp = &self.tp;
        let locked = locked && tp.use_locked;
        let (period, len) =
            if locked { (tp.period_lock_us, tp.len_lock_us) } else { (tp.period_us, tp.len_us) };
        if !tp.enabled || len == 0 || period == 0 {
            return None;
        }
        // Periods of whole seconds pulse every n-th second; faster pulses are not modelled
        // (one edge per second is sent, the top-of-second one).
        let every = u64::from((period / 1_000_000).max(1));
        (index % every == 0).then_some(PHYSICAL_CABLE_DELAY_NS - tp.cable_ns + tp.user_ns)
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
