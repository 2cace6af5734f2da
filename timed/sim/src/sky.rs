//! What the simulated receiver knows in one second: the time it labels the epoch with, its fix,
//! the satellites it sees and the quantisation error of its next pulse. The encoders in
//! [`crate::ubx`] and [`crate::nmea`] only format a [`Snapshot`]; all modelling is here.

use crate::rng::{Purpose, Rng};
use crate::scenario::{Active, Gnss, Position, Scenario};
use crate::utc::{utc_label, LeapSchedule};
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
    /// The POSIX second of the UTC label the burst carries (for 23:59:60: the next midnight's).
    pub unix_s: i64,
    /// The label is an inserted leap second, 23:59:60.
    pub inserted_leap: bool,
    /// GPS seconds since the GPS epoch of this epoch (continuous: GPS has no leap seconds).
    pub gps_s: i64,
    /// GPS − UTC as the receiver reports it (NAV-TIMELS currLs) and labels UTC with.
    pub leap_s: i8,
    pub timels: TimeLs,
    pub fix: bool,
    /// A time-only fix: a timing receiver in fixed time mode (given, or a survey-in that
    /// finished) solves for time alone and reports its fixed position (see `burst::Output`).
    pub time_only: bool,
    pub sats: Vec<Sat>,
    pub position: Position,
    pub tacc_ns: u32,
    /// Quantisation error of the next pulse (announced by TIM-TP in this burst).
    pub next_qerr_ps: i32,
    pub pdop: f64,
    pub hdop: f64,
    pub vdop: f64,
    pub rf: Rf,
    /// NAV-STATUS spoofDetState: 1 no spoofing, 2 indicated, 3 multiple indications.
    pub spoof_state: u8,
    /// NAV-STATUS msss: ms since the receiver (re)started.
    pub uptime_ms: u32,
    /// `ANTSTATUS=` value for an NMEA TXT: u-blox prints it when the state changes and at
    /// start-up only.
    pub antenna_txt: Option<&'static str>,
}

/// What NAV-TIMELS says besides currLs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeLs {
    /// srcOfCurrLs: 2 GPS, 0 firmware default.
    pub src_of_curr_ls: u8,
    /// lsChange: 0 none announced, +1 / −1.
    pub ls_change: i8,
    pub time_to_event_s: i32,
    pub gps_wn: u16,
    pub gps_dn: u16,
}

/// MON-RF's one RF block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rf {
    /// antStatus: 2 OK, 3 SHORT, 4 OPEN.
    pub ant_status: u8,
    /// jammingState: 1 ok, 2 warning, 3 critical.
    pub jam_state: u8,
    pub jam_ind: u8,
}

impl Snapshot {
    pub fn utc(&self) -> UtcTime {
        utc_label(self.unix_s, self.inserted_leap)
    }

    /// GPS time of week of this epoch, ms.
    pub fn itow_ms(&self) -> u32 {
        self.gps_week_tow_ms(self.gps_s).1
    }

    /// GPS week and time of week (ms) of GPS second `gps_s`.
    pub fn gps_week_tow_ms(&self, gps_s: i64) -> (u16, u32) {
        ((gps_s.div_euclid(SECONDS_PER_WEEK)) as u16, (gps_s.rem_euclid(SECONDS_PER_WEEK) * 1000) as u32)
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

/// The scenario's leap second, placed for a run whose first second is count `first_s`.
pub fn leap_schedule(s: &Scenario, first_s: i64) -> Option<LeapSchedule> {
    s.leap_fault().map(|(sign, from, days)| {
        LeapSchedule::end_of_day_of(first_s + from as i64 + i64::from(days) * 86_400, sign)
    })
}

/// True UTC's label of count `count` (POSIX second, inserted leap second).
pub fn true_label(s: &Scenario, first_s: i64, count: i64) -> (i64, bool) {
    leap_schedule(s, first_s).map_or((count, false), |l| l.label(count))
}

/// `p` moved `d` metres north (south past the pole), on a sphere of the mean Earth radius:
/// plenty for a jump whose size a test checks to a percent.
fn moved_north(p: Position, d: f64) -> Position {
    let dlat = (d / 6_371_008.8).to_degrees();
    let lat_deg = if p.lat_deg + dlat <= 90.0 { p.lat_deg + dlat } else { p.lat_deg - dlat };
    Position { lat_deg, ..p }
}

/// The snapshot of true second `true_s`, the `index`-th of the run, under the faults `a`.
pub fn snapshot(s: &Scenario, sky: &Sky, true_s: i64, index: u64, a: &Active) -> Snapshot {
    // The count the receiver believes it is: off by one under wrong_second.
    let count = true_s + i64::from(a.wrong_second);
    let leap = leap_schedule(s, true_s - index as i64);
    let (mut unix_s, inserted_leap) = leap.map_or((count, false), |l| l.label(count));
    let mut leap_s = leap.map_or(s.leap_seconds, |l| l.leap_s(s.leap_seconds, count));
    let mut timels = TimeLs { src_of_curr_ls: 2, ..TimeLs::default() };
    if let (Some(l), true) = (leap, a.leap) {
        let (gps_wn, gps_dn) = l.gps_wn_dn();
        timels =
            TimeLs { ls_change: l.sign, time_to_event_s: l.time_to_event(count), gps_wn, gps_dn, ..timels };
    }
    if a.stale_leap {
        // The firmware's built-in count, one short: UTC = GPS − currLs comes out a second ahead.
        leap_s = leap_s.saturating_sub(1);
        unix_s += 1;
        timels.src_of_curr_ls = 0;
    }
    let prev = if index == 0 { Active::default() } else { s.active(index - 1) };
    let antenna_txt = (prev.antenna != a.antenna || prev.power_off).then_some(match a.antenna {
        Some(4) => "OPEN",
        Some(3) => "SHORT",
        _ => "OK",
    });
    let fix = a.fix();
    let position = a.position_jump_m.map_or(s.position, |d| moved_north(s.position, d));
    let (jam_state, jam_ind) = a.jamming.unwrap_or((1, 8));
    let uptime_s = index - s.boot_index(index);
    Snapshot {
        unix_s,
        inserted_leap,
        gps_s: count - GPS_EPOCH_UNIX + i64::from(s.leap_seconds),
        leap_s,
        timels,
        fix,
        time_only: false,
        sats: sky.at(count, fix),
        position,
        tacc_ns: a.tacc_ns.unwrap_or(s.tacc_ns),
        next_qerr_ps: qerr_ps(s, count + 1),
        pdop: 1.2,
        hdop: 0.7,
        vdop: 1.0,
        rf: Rf { ant_status: a.antenna.unwrap_or(2), jam_state, jam_ind },
        spoof_state: a.spoofing.unwrap_or(1),
        uptime_ms: u32::try_from(uptime_s.saturating_mul(1000)).unwrap_or(u32::MAX),
        antenna_txt,
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
        let s = Scenario::default();
        let snap = snapshot(&s, &Sky::new(&s), 1_753_990_414, 0, &Active::default());
        assert_eq!((snap.leap_s, snap.inserted_leap), (18, false));
        let tow = ((4 * 86_400 + 19 * 3600 + 33 * 60 + 52) * 1000) as u32;
        assert_eq!(snap.itow_ms(), tow);
        assert_eq!(snap.gps_week_tow_ms(snap.gps_s), (2377, tow));
        assert_eq!(snap.utc().rfc3339_millis(), "2025-07-31T19:33:34.000Z");
    }
}
