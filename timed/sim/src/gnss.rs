//! Which constellations the modelled receiver tracks: the CFG-SIGNAL-*_ENA keys (F9 interface
//! description, configuration reference "CFG-SIGNAL"; ZED-F9T integration manual UBX-19005590
//! §3.1.4.3 "GNSS signal configuration"; set with CFG-VALSET on the F9T) and the legacy UBX-CFG-GNSS
//! (06 3E) that sets the same on the M8 parts (u-blox 8 / M8 receiver description, UBX-CFG-GNSS).
//! Kept as items like every other setting, so the layers, CFG-CFG and a power cycle treat them
//! alike; the burst leaves out the satellites of a disabled system (NAV-SAT, GSV).

use crate::keys::Items;
use crate::model::Part;
use crate::receiver::{Outcome, Receiver};
use timed_core::framer::ubx_frame;

/// (gnssId, CFG-SIGNAL-*_ENA key, M8 reserved channels, M8 maximum channels). The channel split
/// is the M8 default of UBX-CFG-GNSS; it is answered as is and not otherwise modelled.
pub const SYSTEMS: [(u8, u32, u8, u8); 6] = [
    (0, 0x1031_001F, 8, 16), // GPS
    (1, 0x1031_0020, 1, 3),  // SBAS
    (2, 0x1031_0021, 4, 8),  // Galileo
    (3, 0x1031_0022, 8, 16), // BeiDou
    (5, 0x1031_0024, 0, 3),  // QZSS
    (6, 0x1031_0025, 8, 14), // GLONASS
];
/// The systems that navigate alone (UBX-CFG-GNSS: at least one major GNSS must stay enabled).
const MAJOR: [u8; 4] = [0, 2, 3, 6];
/// NEO-M8 data sheet: concurrent reception of up to 3 GNSS (of GPS, Galileo, GLONASS, BeiDou).
const M8_MAX_MAJOR: usize = 3;
const M8_TRK_CH: u8 = 32;

pub fn known(key: u32) -> bool {
    SYSTEMS.iter().any(|s| s.1 == key)
}

/// Out of the box: every system on an F9T (the F9's default configuration); GPS, SBAS, QZSS and GLONASS
/// on an M8 (Galileo and BeiDou off, as UBX-CFG-GNSS's default configuration has them).
pub fn factory(part: Part, k: &mut Items) {
    for (id, key, _, _) in SYSTEMS {
        let on = part == Part::F9t || matches!(id, 0 | 1 | 5 | 6);
        k.insert(key, u64::from(on));
    }
}

/// Bit n set: gnssId n enabled.
pub fn mask(k: &Items) -> u8 {
    SYSTEMS.iter().filter(|s| k.get(&s.1).copied().unwrap_or(0) != 0).fold(0, |m, s| m | 1 << s.0)
}

/// A configuration the part accepts: a major system on, and at most three of them on an M8.
pub fn valid(part: Part, mask: u8) -> bool {
    let majors = MAJOR.iter().filter(|&&id| mask & 1 << id != 0).count();
    majors >= 1 && (part == Part::F9t || majors <= M8_MAX_MAJOR)
}

/// UBX-CFG-GNSS (06 3E): empty poll answers msgVer 0, numTrkChHw, numTrkChUse and one 8-byte
/// block per system (gnssId, resTrkCh, maxTrkCh, reserved, flags: bit 0 enable, bits 16..23
/// sigCfgMask, L1 = 0x01). A set is refused when a block is cut short, its gnssId unknown, an
/// enabled major system has fewer than 4 channels, the reserved channels exceed those in use,
/// or the result breaks [`valid`]; otherwise the enable flags become the RAM items.
pub fn cfg_gnss(rx: &mut Receiver, p: &[u8]) -> Outcome {
    if p.is_empty() {
        let mut r = vec![0, M8_TRK_CH, M8_TRK_CH, SYSTEMS.len() as u8];
        for (id, key, res, max) in SYSTEMS {
            let on = rx.ram.get(&key).copied().unwrap_or(0) != 0;
            r.extend([id, res, max, 0]);
            r.extend((0x0001_0000u32 | u32::from(on)).to_le_bytes());
        }
        return Outcome::Poll(ubx_frame(0x06, 0x3E, &r));
    }
    let n = usize::from(*p.get(3).unwrap_or(&0));
    if p[0] != 0 || p.len() != 4 + 8 * n || p[2] > M8_TRK_CH {
        return Outcome::Nak;
    }
    let mut items = Vec::new();
    let mut reserved = 0u32;
    for b in p[4..].chunks_exact(8) {
        let Some(sys) = SYSTEMS.iter().find(|s| s.0 == b[0]) else {
            // IMES (4) is accepted switched off; anything else is unknown.
            if b[0] == 4 && b[4] & 1 == 0 {
                continue;
            }
            return Outcome::Nak;
        };
        let on = b[4] & 1 != 0;
        if on && MAJOR.contains(&b[0]) && b[2] < 4 {
            return Outcome::Nak;
        }
        reserved += u32::from(b[1]);
        items.push((sys.1, u64::from(on)));
    }
    if reserved > u32::from(p[2]) {
        return Outcome::Nak;
    }
    if rx.set_ram(&items) {
        Outcome::Ack
    } else {
        Outcome::Nak
    }
}

#[cfg(test)]
#[path = "gnss_tests.rs"]
mod tests;
