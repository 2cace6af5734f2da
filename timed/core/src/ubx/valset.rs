//! The configuration-key interface of protocol 27 and later (F9, M9, M10, X20): CFG-VALSET and
//! CFG-VALGET frames and the key IDs timed uses. References: u-blox ZED-F9T interface
//! description (UBX-19005590 for TIM 2.x; same keys in the F9 HPG/TIM 1.32 description
//! UBX-22008968): §3.10.27 UBX-CFG-VALGET, §3.10.28 UBX-CFG-VALSET, §6.2 "Configuration
//! layers", §6.3 "Configuration interface" (key ID bits 28..30 give the value's storage size),
//! §6.9 "Configuration reference" for each key below.
//!
//! Owns: byte layouts and key IDs. Must not depend on: the receiver session, I/O.

use super::cfg::{CLASS_CFG, ID_VALGET, ID_VALSET};
use crate::framer::ubx_frame;

/// Where a VALSET writes (§6.2, VALSET `layers` bits: 0 RAM, 1 BBR, 2 flash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layers {
    /// The running configuration only: lost at a power cycle without backup battery.
    Ram,
    /// RAM, battery-backed RAM and flash: kept across power cycles.
    RamBbrFlash,
}

impl Layers {
    fn bits(self) -> u8 {
        match self {
            Layers::Ram => 0x01,
            Layers::RamBbrFlash => 0x07,
        }
    }
}

/// The value's storage size in bytes from key ID bits 28..30 (§6.3: 1 = one bit stored in a
/// byte, 2 = one byte, 3 = two, 4 = four, 5 = eight); `None` for a size this code cannot hold.
pub fn key_size(key: u32) -> Option<usize> {
    match (key >> 28) & 0x7 {
        1 | 2 => Some(1),
        3 => Some(2),
        4 => Some(4),
        5 => Some(8),
        _ => None,
    }
}

/// One key and its raw value (the low `key_size` bytes, little-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: u32,
    pub raw: u64,
}

impl KeyValue {
    /// The value sign-extended from its storage size (for I1/I2/I4 keys).
    pub fn signed(self) -> i64 {
        let bits = 8 * key_size(self.key).unwrap_or(8) as u32;
        if bits >= 64 {
            return self.raw as i64;
        }
        let shift = 64 - bits;
        ((self.raw << shift) as i64) >> shift
    }
}

/// VALSET (§3.10.28) version 0 (no transaction) with the given key/values. At most 64 pairs per
/// message (§3.10.28); callers send a few at a time.
pub fn valset(layers: Layers, items: &[KeyValue]) -> Vec<u8> {
    let mut p = vec![0x00, layers.bits(), 0, 0];
    for kv in items {
        let size = key_size(kv.key).unwrap_or(8);
        p.extend_from_slice(&kv.key.to_le_bytes());
        p.extend_from_slice(&kv.raw.to_le_bytes()[..size]);
    }
    ubx_frame(CLASS_CFG, ID_VALSET, &p)
}

/// VALGET poll (§3.10.27.1) version 0 from the RAM layer (layer 0: what the receiver runs
/// with), position 0.
pub fn valget_poll(keys: &[u32]) -> Vec<u8> {
    let mut p = vec![0x00, 0x00, 0, 0];
    for k in keys {
        p.extend_from_slice(&k.to_le_bytes());
    }
    ubx_frame(CLASS_CFG, ID_VALGET, &p)
}

/// Why a VALGET answer could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValgetError {
    /// Shorter than its header, or a key/value cut off.
    Truncated,
    /// A key whose size bits name no size.
    BadKeySize(u32),
}

/// The key/values of a VALGET answer (§3.10.27.2: version 1, layer, position, then
/// key/value pairs packed without padding).
pub fn valget_decode(p: &[u8]) -> Result<Vec<KeyValue>, ValgetError> {
    let mut rest = p.get(4..).ok_or(ValgetError::Truncated)?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let key = u32::from_le_bytes(
            rest.get(..4).ok_or(ValgetError::Truncated)?.try_into().map_err(|_| ValgetError::Truncated)?,
        );
        let size = key_size(key).ok_or(ValgetError::BadKeySize(key))?;
        let val = rest.get(4..4 + size).ok_or(ValgetError::Truncated)?;
        let mut raw = [0u8; 8];
        raw[..size].copy_from_slice(val);
        out.push(KeyValue { key, raw: u64::from_le_bytes(raw) });
        rest = &rest[4 + size..];
    }
    Ok(out)
}

/// Key IDs (§6.9, configuration reference), named as the interface description names them.
pub mod keys {
    // §6.9.x CFG-UART1: UART1 configuration.
    pub const UART1_BAUDRATE: u32 = 0x4052_0001;
    // CFG-UART1INPROT / CFG-UART1OUTPROT: protocols accepted / sent on UART1.
    pub const UART1INPROT_UBX: u32 = 0x1073_0001;
    pub const UART1INPROT_NMEA: u32 = 0x1073_0002;
    pub const UART1OUTPROT_UBX: u32 = 0x1074_0001;
    pub const UART1OUTPROT_NMEA: u32 = 0x1074_0002;
    // CFG-MSGOUT: output rate per message on UART1 (per navigation epoch).
    pub const MSGOUT_UBX_NAV_PVT_UART1: u32 = 0x2091_0007;
    pub const MSGOUT_UBX_NAV_TIMEUTC_UART1: u32 = 0x2091_005C;
    pub const MSGOUT_UBX_NAV_SAT_UART1: u32 = 0x2091_0016;
    pub const MSGOUT_UBX_NAV_TIMELS_UART1: u32 = 0x2091_0061;
    pub const MSGOUT_UBX_NAV_STATUS_UART1: u32 = 0x2091_001B;
    pub const MSGOUT_UBX_NAV_SVIN_UART1: u32 = 0x2091_0089;
    pub const MSGOUT_UBX_TIM_SVIN_UART1: u32 = 0x2091_0098;
    pub const MSGOUT_UBX_TIM_TP_UART1: u32 = 0x2091_017E;
    pub const MSGOUT_UBX_MON_RF_UART1: u32 = 0x2091_035A;
    pub const MSGOUT_UBX_MON_HW_UART1: u32 = 0x2091_01B5;
    pub const MSGOUT_NMEA_ID_GGA_UART1: u32 = 0x2091_00BB;
    pub const MSGOUT_NMEA_ID_GLL_UART1: u32 = 0x2091_00CA;
    pub const MSGOUT_NMEA_ID_GSA_UART1: u32 = 0x2091_00C0;
    pub const MSGOUT_NMEA_ID_GSV_UART1: u32 = 0x2091_00C5;
    pub const MSGOUT_NMEA_ID_RMC_UART1: u32 = 0x2091_00AC;
    pub const MSGOUT_NMEA_ID_VTG_UART1: u32 = 0x2091_00B1;
    pub const MSGOUT_NMEA_ID_ZDA_UART1: u32 = 0x2091_00D9;
    // CFG-TP: time pulse 1.
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
    pub const TP_ALIGN_TO_TOW_TP1: u32 = 0x1005_000A;
    pub const TP_POL_TP1: u32 = 0x1005_000B;
    pub const TP_TIMEGRID_TP1: u32 = 0x2005_000C;
    // CFG-NAVSPG: navigation engine.
    pub const NAVSPG_DYNMODEL: u32 = 0x2011_0021;
    // CFG-TMODE: time mode (timing and base-station receivers).
    pub const TMODE_MODE: u32 = 0x2003_0001;
    pub const TMODE_POS_TYPE: u32 = 0x2003_0002;
    pub const TMODE_ECEF_X: u32 = 0x4003_0003;
    pub const TMODE_ECEF_Y: u32 = 0x4003_0004;
    pub const TMODE_ECEF_Z: u32 = 0x4003_0005;
    pub const TMODE_ECEF_X_HP: u32 = 0x2003_0006;
    pub const TMODE_ECEF_Y_HP: u32 = 0x2003_0007;
    pub const TMODE_ECEF_Z_HP: u32 = 0x2003_0008;
    pub const TMODE_LAT: u32 = 0x4003_0009;
    pub const TMODE_LON: u32 = 0x4003_000A;
    pub const TMODE_HEIGHT: u32 = 0x4003_000B;
    pub const TMODE_FIXED_POS_ACC: u32 = 0x4003_000F;
    pub const TMODE_SVIN_MIN_DUR: u32 = 0x4003_0010;
    pub const TMODE_SVIN_ACC_LIMIT: u32 = 0x4003_0011;
}

/// CFG-SIGNAL-*_ENA: a whole constellation on or off (F9 interface description, configuration
/// reference "CFG-SIGNAL"; ZED-F9T integration manual UBX-19005590 §3.1.4.3 "GNSS signal
/// configuration": a constellation is enabled when its enable key and one of its band keys are
/// set, so with the factory band keys (all on) the enable key alone switches it, and an
/// unsupported combination is refused with ACK-NAK). A signal change restarts the receiver's
/// GNSS tracking, so the set-up sends these only when they differ, never unasked.
pub mod signal_keys {
    pub const GPS_ENA: u32 = 0x1031_001F;
    pub const SBAS_ENA: u32 = 0x1031_0020;
    pub const GAL_ENA: u32 = 0x1031_0021;
    pub const BDS_ENA: u32 = 0x1031_0022;
    pub const QZSS_ENA: u32 = 0x1031_0024;
    pub const GLO_ENA: u32 = 0x1031_0025;
}
