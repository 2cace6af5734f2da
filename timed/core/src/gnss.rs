//! Constellation identities shared by the NMEA and UBX decoders and epoch assembly.

/// A GNSS constellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Constellation {
    Gps,
    Sbas,
    Galileo,
    Beidou,
    Imes,
    Qzss,
    Glonass,
    Navic,
    Unknown,
}

impl Constellation {
    /// All known constellations in u-blox gnssId order (for per-constellation tables).
    pub const ALL: [Constellation; 9] = [
        Constellation::Gps,
        Constellation::Sbas,
        Constellation::Galileo,
        Constellation::Beidou,
        Constellation::Imes,
        Constellation::Qzss,
        Constellation::Glonass,
        Constellation::Navic,
        Constellation::Unknown,
    ];

    /// u-blox `gnssId`s (UBX-13003221 appendix A "GNSS identifiers"), the one table both ways.
    const UBX_GNSS_IDS: [(u8, Constellation); 8] = [
        (0, Constellation::Gps),
        (1, Constellation::Sbas),
        (2, Constellation::Galileo),
        (3, Constellation::Beidou),
        (4, Constellation::Imes),
        (5, Constellation::Qzss),
        (6, Constellation::Glonass),
        (7, Constellation::Navic),
    ];

    /// From a u-blox `gnssId`.
    pub fn from_ubx_gnss_id(id: u8) -> Constellation {
        Self::UBX_GNSS_IDS.iter().find(|(i, _)| *i == id).map_or(Constellation::Unknown, |(_, c)| *c)
    }

    /// The u-blox `gnssId` (255 for unknown: gpsd-compatible labels carry it).
    pub fn ubx_gnss_id(self) -> u8 {
        Self::UBX_GNSS_IDS.iter().find(|(_, c)| *c == self).map_or(255, |(i, _)| *i)
    }

    /// From an NMEA 4.1 GSA/GSV system id.
    pub fn from_nmea_system_id(id: u8) -> Constellation {
        match id {
            1 => Constellation::Gps,
            2 => Constellation::Glonass,
            3 => Constellation::Galileo,
            4 => Constellation::Beidou,
            5 => Constellation::Qzss,
            6 => Constellation::Navic,
            _ => Constellation::Unknown,
        }
    }

    /// From an NMEA (u-blox "extended") satellite number when the talker does not say
    /// (e.g. `GN` GSA): 1–32 GPS, 33–64 SBAS, 65–96 GLONASS, 193–202 QZSS, 201–235/401–437
    /// BeiDou, 301–336 Galileo (UBX-13003221 appendix A).
    pub fn from_nmea_svid(svid: u16) -> Constellation {
        match svid {
            1..=32 => Constellation::Gps,
            33..=64 | 120..=158 => Constellation::Sbas,
            65..=96 => Constellation::Glonass,
            173..=182 => Constellation::Imes,
            193..=200 => Constellation::Qzss,
            201..=237 | 401..=437 => Constellation::Beidou,
            301..=336 => Constellation::Galileo,
            _ => Constellation::Unknown,
        }
    }

    /// Short lowercase name used in JSON and metrics labels.
    pub fn name(self) -> &'static str {
        match self {
            Constellation::Gps => "gps",
            Constellation::Sbas => "sbas",
            Constellation::Galileo => "galileo",
            Constellation::Beidou => "beidou",
            Constellation::Imes => "imes",
            Constellation::Qzss => "qzss",
            Constellation::Glonass => "glonass",
            Constellation::Navic => "navic",
            Constellation::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubx_gnss_ids_both_ways() {
        for id in 0..=7u8 {
            assert_eq!(Constellation::from_ubx_gnss_id(id).ubx_gnss_id(), id);
        }
        assert_eq!(Constellation::from_ubx_gnss_id(9), Constellation::Unknown);
        assert_eq!(Constellation::Unknown.ubx_gnss_id(), 255);
    }
}
