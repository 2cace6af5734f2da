//! Constellations, only when asked: which GNSS the set-up can switch on or off, their names in
//! timed.toml and on timectl's command line, the key (protocol ≥ 27) that switches each, and
//! the plan's items for a wanted set. Without a wanted set the plan has no such item: the
//! receiver keeps what it runs with (switching a system changes what the receiver tracks while
//! it re-acquires, so it is never done unasked). Key semantics: ZED-F9T
//! integration manual UBX-19005590 §3.1.4.3 "GNSS signal configuration".
//!
//! Owns: the set-up's constellation list and its key table. Must not depend on: the session,
//! I/O. The identities themselves are [`crate::gnss::Constellation`]'s.

use super::items::ItemId;
use crate::gnss::Constellation;
use crate::ubx::valset::signal_keys as k;

/// The systems the set-up switches, in u-blox gnssId order. IMES and NavIC are left out: no
/// timing receiver timed supports uses them.
pub const SWITCHABLE: [Constellation; 6] = [
    Constellation::Gps,
    Constellation::Sbas,
    Constellation::Galileo,
    Constellation::Beidou,
    Constellation::Qzss,
    Constellation::Glonass,
];

/// The systems that navigate alone (UBX-CFG-GNSS: "at least one major GNSS" must stay enabled;
/// SBAS and QZSS only augment).
pub const MAJOR: [Constellation; 4] =
    [Constellation::Gps, Constellation::Galileo, Constellation::Beidou, Constellation::Glonass];

/// A name as timed.toml and timectl spell it (`gps`, `sbas`, `galileo`, `beidou`, `qzss`,
/// `glonass`).
pub fn parse(s: &str) -> Option<Constellation> {
    SWITCHABLE.into_iter().find(|c| c.name().eq_ignore_ascii_case(s.trim()))
}

/// Why a wanted set cannot be planned: no major system, or QZSS without GPS (UBX-CFG-GNSS
/// recommends GPS and QZSS both enabled or both disabled, against cross-correlation; QZSS
/// alone is refused, GPS without QZSS is allowed as a deliberate choice). `None`: fine.
pub fn problem(set: &[Constellation]) -> Option<String> {
    if !set.iter().any(|c| MAJOR.contains(c)) {
        return Some("at least one of gps, galileo, beidou, glonass must be enabled".into());
    }
    if set.contains(&Constellation::Qzss) && !set.contains(&Constellation::Gps) {
        return Some("qzss needs gps (u-blox: both enabled or both disabled)".into());
    }
    None
}

/// The CFG-SIGNAL-*_ENA key of a switchable system.
pub fn key(c: Constellation) -> u32 {
    match c {
        Constellation::Gps => k::GPS_ENA,
        Constellation::Sbas => k::SBAS_ENA,
        Constellation::Galileo => k::GAL_ENA,
        Constellation::Beidou => k::BDS_ENA,
        Constellation::Qzss => k::QZSS_ENA,
        _ => k::GLO_ENA,
    }
}

/// One item per switchable system: 1 when in the wanted set, 0 otherwise.
pub fn wanted(set: &[Constellation]) -> Vec<(ItemId, i64)> {
    SWITCHABLE.into_iter().map(|c| (ItemId::Gnss(c), i64::from(set.contains(&c)))).collect()
}
