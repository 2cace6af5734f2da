//! What the simulated receiver knows in one second: the time it labels the epoch with, its fix,
//! the satellites it sees and the quantisation error of its next pulse. The encoders in
//! [`crate::ubx`] and [`crate::nmea`] only format a [`Snapshot`]; all modelling is here.

use crate::rng::{Purpose, Rng};
use crate::scenario::{Gnss, Position, Scenario};
use timed_core::time::{UtcTime, GPS_EPOCH_UNIX, SECONDS_PER_WEEK};

/// One satellite in view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sat {
    pub gnss: Gnss,
    /// Number within its constellation as UBX numbers it (GLONASS: slot).
    pub sv_id: u8,
    pub elev_deg: i8,
    pub azim_deg: i16,
    pub cno_dbhz: u8,
    pub used: bool,
}

impl Gnss {
    /// u-blox `gnssId`.
    pub fn ubx_id(self) -> u8 {
        match self {
            Gnss::Gps => 0,
            Gnss::Galileo => 2,
            Gnss::Beidou => 3,
            Gnss::Glonass => 6,
        }
    }

    /// NMEA talker of this constellation's GSV sentences.
    pub fn talker(self) -> &'static str {
        match self {
            Gnss::Gps => "GP",
            Gnss::Galileo => "GA",
            Gnss::Beidou => "GB",
            Gnss::Glonass => "GL",
        }
    }

    /// NMEA 4.10 system id (GSA field 18).
    pub fn nmea_system_id(self) -> u8 {
        match self {
            Gnss::Gps => 1,
            Gnss::Glonass => 2,
            Gnss::Galileo => 3,
            Gnss::Beidou => 4,
        }
    }

    /// NMEA 4.10 signal id of the L1/E1/B1 signal a timing receiver tracks (GSV last field).
    pub fn nmea_signal_id(self) -> u8 {
        match self {
            Gnss::Galileo => 7,
            _ => 1,
        }
    }

    /// The NMEA satellite number (u-blox NMEA 4.10 numbering: GLONASS 65–96, others as UBX).
    pub fn nmea_sv(self, sv_id: u8) -> u16 {
        match self {
            Gnss::Glonass => u16::from(sv_id) + 64,
            _ => u16::from(sv_id),
        }
    }

    fn max_sv(self) -> u8 {
        match self {
            Gnss::Gps => 32,
            Gnss::Galileo => 36,
            Gnss::Beidou => 63,
            Gnss::Glonass => 24,
        }
    }
}

/// Elevation mask: satellites below it are tracked but not used.
const MASK_DEG: i8 = 10;
/// GNSS orbits repeat about twice a sidereal day; the sky drifts on that scale.
const ORBIT_S: f64 = 43_082.0;

/// Where each satellite is: a fixed layout from the seed, moved along slowly with time.
#[derive(Clone, Debug)]
pub struct Sky {
    seed: u64,
    /// (constellation, sv id, elevation phase, azimuth at t = 0).
    layout: Vec<(Gnss, u8, f64, f64)>,
}

impl Sky {
    pub fn new(s: &Scenario) -> Sky {
        let mut rng = Rng::stream(s.seed, Purpose::SkyLayout, 0);
        let mut layout: Vec<(Gnss, u8, f64, f64)> = Vec::new();
        for i in 0..usize::from(s.satellites) {
            // Validation guarantees a constellation; GPS keeps an unvalidated scenario working.
            let gnss = s.constellations.get(i % s.constellations.len().max(1)).copied().unwrap_or(Gnss::Gps);
            // A distinct, seed-chosen number within the constellation.
            let mut sv = 1 + (rng.next_u64() % u64::from(gnss.max_sv())) as u8;
            let taken =
                |sv: u8, l: &[(Gnss, u8, f64, f64)]| l.iter().any(|&(g, v, _, _)| g == gnss && v == sv);
            while taken(sv, &layout) {
                sv = sv % gnss.max_sv() + 1;
            }
            let phase = rng.uniform() * std::f64::consts::TAU;
            // Spread azimuths evenly so the sky looks like a sky, then perturb.
            let az0 = (i as f64 * 360.0 / f64::from(s.satellites) + rng.symmetric(15.0)).rem_euclid(360.0);
            layout.push((gnss, sv, phase, az0));
        }
        Sky { seed: s.seed, layout }
    }

    /// The satellites at unix second `t`; `fix` false marks them all unused.
    pub fn at(&self, t: i64, fix: bool) -> Vec<Sat> {
        let mut noise = Rng::stream(self.seed, Purpose::SkyNoise, t);
        let w = std::f64::consts::TAU * (t as f64 / ORBIT_S);
        self.layout
            .iter()
            .map(|&(gnss, sv_id, phase, az0)| {
                // Elevation swings between 5° and 85°; never setting keeps the count stable.
                let elev = 45.0 + 40.0 * (phase + w).sin();
                let azim = (az0 + 360.0 * t as f64 / (2.0 * ORBIT_S)).rem_euclid(360.0);
                let cno = (28.0 + 0.25 * elev + noise.symmetric(1.5)).round().clamp(15.0, 52.0);
                let elev_deg = elev.round() as i8;
                Sat {
                    gnss,
                    sv_id,
                    elev_deg,
                    azim_deg: (azim.round() as i16) % 360,
                    cno_dbhz: cno as u8,
                    used: fix && elev_deg >= MASK_DEG,
                }
            })
            .collect()
    }
}

/// The receiver's view of one second: everything one burst reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The UTC second the burst is labelled with (unix seconds).
    pub unix_s: i64,
    pub leap_s: i8,
    pub fix: bool,
    pub sats: Vec<Sat>,
    pub position: Position,
    pub tacc_ns: u32,
    /// Quantisation error of the pulse at `unix_s + 1` (announced by TIM-TP in this burst).
    pub next_qerr_ps: i32,
    pub pdop: f64,
    pub hdop: f64,
    pub vdop: f64,
}

impl Snapshot {
    pub fn utc(&self) -> UtcTime {
        UtcTime::from_unix(self.unix_s, 0)
    }

    /// GPS seconds since the GPS epoch for unix second `unix_s`.
    fn gps_seconds(&self, unix_s: i64) -> i64 {
        unix_s - GPS_EPOCH_UNIX + i64::from(self.leap_s)
    }

    /// GPS time of week of this epoch, ms.
    pub fn itow_ms(&self) -> u32 {
        (self.gps_seconds(self.unix_s).rem_euclid(SECONDS_PER_WEEK) * 1000) as u32
    }

    /// GPS week and time of week (ms) of the pulse at unix second `unix_s`.
    pub fn gps_week_tow_ms(&self, unix_s: i64) -> (u16, u32) {
        let g = self.gps_seconds(unix_s);
        ((g.div_euclid(SECONDS_PER_WEEK)) as u16, (g.rem_euclid(SECONDS_PER_WEEK) * 1000) as u32)
    }

    pub fn used(&self) -> u8 {
        self.sats.iter().filter(|s| s.used).count() as u8
    }

    /// The constellations present, in scenario order without repeats.
    pub fn constellations(&self) -> Vec<Gnss> {
        let mut v: Vec<Gnss> = Vec::new();
        for s in &self.sats {
            if !v.contains(&s.gnss) {
                v.push(s.gnss);
            }
        }
        v
    }
}

/// The TIM-TP quantisation error of the pulse at unix second `t`: a sawtooth.
pub fn qerr_ps(s: &Scenario, t: i64) -> i32 {
    let phase = (t as f64 / s.qerr_period_s).rem_euclid(1.0);
    (f64::from(s.qerr_amplitude_ps) * (2.0 * phase - 1.0)).round() as i32
}

/// The snapshot for the burst labelled `label_s`.
pub fn snapshot(s: &Scenario, sky: &Sky, label_s: i64, fix: bool) -> Snapshot {
    let sats = sky.at(label_s, fix);
    Snapshot {
        unix_s: label_s,
        leap_s: s.leap_seconds,
        fix,
        sats,
        position: s.position,
        tacc_ns: s.tacc_ns,
        next_qerr_ps: qerr_ps(s, label_s + 1),
        pdop: 1.2,
        hdop: 0.7,
        vdop: 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sky_is_plausible_reproducible_and_slow() {
        let s = Scenario::default();
        let sky = Sky::new(&s);
        let a = sky.at(1_750_000_000, true);
        assert_eq!(a.len(), 12);
        assert_eq!(a, Sky::new(&s).at(1_750_000_000, true));
        let b = sky.at(1_750_000_001, true);
        for (x, y) in a.iter().zip(&b) {
            assert!((5..=85).contains(&x.elev_deg) && (0..360).contains(&x.azim_deg));
            assert!((i16::from(x.elev_deg) - i16::from(y.elev_deg)).abs() <= 1);
            assert!(
                (x.azim_deg - y.azim_deg).rem_euclid(360) <= 1
                    || (y.azim_deg - x.azim_deg).rem_euclid(360) <= 1
            );
            assert!((15..=52).contains(&x.cno_dbhz));
        }
        let mut ids: Vec<(Gnss, u8)> = a.iter().map(|x| (x.gnss, x.sv_id)).collect();
        ids.sort_by_key(|&(g, v)| (g.ubx_id(), v));
        ids.dedup();
        assert_eq!(ids.len(), 12, "satellite numbers are distinct");
        assert!(sky.at(1_750_000_000, false).iter().all(|x| !x.used));
    }

    #[test]
    fn qerr_is_a_bounded_sawtooth() {
        let s = Scenario::default();
        let q: Vec<i32> = (0..40).map(|t| qerr_ps(&s, 1_750_000_000 + t)).collect();
        assert!(q.iter().all(|v| v.abs() <= 10_000));
        let rises = q.windows(2).filter(|w| w[1] > w[0]).count();
        assert!(rises >= 30, "mostly rising ramps: {q:?}");
        assert!(q.windows(2).any(|w| w[1] < w[0] - 15_000), "and a reset: {q:?}");
    }

    #[test]
    fn gps_week_and_tow() {
        // 2025-07-31T19:33:34Z, GPS week 2377, TOW 4 d 19:33:52 with 18 leap seconds.
        let snap = Snapshot {
            unix_s: 1_753_990_414,
            leap_s: 18,
            fix: true,
            sats: Vec::new(),
            position: Position::default(),
            tacc_ns: 20,
            next_qerr_ps: 0,
            pdop: 1.0,
            hdop: 1.0,
            vdop: 1.0,
        };
        let tow = ((4 * 86_400 + 19 * 3600 + 33 * 60 + 52) * 1000) as u32;
        assert_eq!(snap.itow_ms(), tow);
        assert_eq!(snap.gps_week_tow_ms(snap.unix_s), (2377, tow));
        assert_eq!(snap.utc().rfc3339_millis(), "2025-07-31T19:33:34.000Z");
    }
}
