//! Survey-in (time mode 1): the receiver averages its position fixes until a minimum duration
//! has passed and the mean's accuracy is within the limit (u-blox 8 protocol spec, CFG-TMODE2
//! and TIM-SVIN; F9 interface description, CFG-TMODE-* and NAV-SVIN). SIMULATED: each second
//! with a fix is one observation, and the mean's accuracy shrinks as 1/√n from
//! [`FIRST_ACC_01MM`] (a single fix's 25 m), so a 2 m limit is met after 157 observations.
//! The mean lies off the true antenna position by its accuracy, in a fixed direction, so a
//! longer survey gives a better position, as a real one does.

use crate::keys::TimeMode;
use crate::scenario::Position;
use timed_core::framer::ubx_frame;

/// Accuracy of a one-observation mean, 0.1 mm.
pub const FIRST_ACC_01MM: f64 = 250_000.0;

/// The survey-in state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Survey {
    /// The simulated second the survey started in (time mode 1 configured).
    pub start: Option<u64>,
    pub dur_s: u32,
    pub obs: u32,
    pub active: bool,
    pub valid: bool,
    /// The mean position, ECEF 0.1 mm.
    pub mean_01mm: [i64; 3],
    pub acc_01mm: u32,
}

impl Survey {
    /// The configuration now in force: a survey starts when time mode 1 is set (and stops
    /// when it is not).
    pub fn note_config(&mut self, tm: &TimeMode, index: u64) {
        if tm.mode != 1 {
            *self = Survey::default();
        } else if self.start.is_none() {
            *self = Survey { start: Some(index), active: true, ..Survey::default() };
        }
    }

    /// One simulated second: an observation when there is a fix; valid (and finished) once
    /// both the minimum duration and the accuracy limit are met.
    pub fn tick(&mut self, tm: &TimeMode, index: u64, fix: bool, truth: &Position) {
        let Some(start) = self.start.filter(|_| self.active) else { return };
        self.dur_s = u32::try_from(index.saturating_sub(start)).unwrap_or(u32::MAX);
        if fix {
            self.obs += 1;
        }
        if self.obs == 0 {
            return;
        }
        let acc = FIRST_ACC_01MM / f64::from(self.obs).sqrt();
        self.acc_01mm = acc.round() as u32;
        let t = ecef_01mm(truth);
        // A fixed direction (unit vector) for the mean's error.
        let dir = [0.6, -0.48, 0.64];
        self.mean_01mm = [0, 1, 2].map(|i| t[i] + (acc * dir[i]).round() as i64);
        if self.dur_s >= tm.svin_min_dur_s && self.acc_01mm <= tm.svin_acc_limit_01mm {
            self.valid = true;
            self.active = false;
        }
    }
}

/// WGS-84 geodetic to ECEF, in 0.1 mm.
pub fn ecef_01mm(p: &Position) -> [i64; 3] {
    let (a, f) = (6_378_137.0f64, 1.0 / 298.257_223_563);
    let e2 = f * (2.0 - f);
    let (lat, lon) = (p.lat_deg.to_radians(), p.lon_deg.to_radians());
    let n = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    let x = (n + p.height_m) * lat.cos() * lon.cos();
    let y = (n + p.height_m) * lat.cos() * lon.sin();
    let z = (n * (1.0 - e2) + p.height_m) * lat.sin();
    [x, y, z].map(|v| (v * 1e4).round() as i64)
}

/// cm and the 0.1 mm remainder (−99..99), as the SVIN messages split a coordinate.
fn split(v: i64) -> (i32, i8) {
    ((v / 100) as i32, (v % 100) as i8)
}

/// TIM-SVIN (0D 04), 28 bytes: dur @0 (s), meanX/Y/Z I4 @4/8/12 (cm), meanV U4 @16 (mm², the
/// variance), obs @20, valid @24, active @25.
pub fn tim_svin(s: &Survey) -> Vec<u8> {
    let mut p = vec![0u8; 28];
    p[0..4].copy_from_slice(&s.dur_s.to_le_bytes());
    for i in 0..3 {
        p[4 + 4 * i..8 + 4 * i].copy_from_slice(&split(s.mean_01mm[i]).0.to_le_bytes());
    }
    let acc_mm = u64::from(s.acc_01mm) / 10;
    p[16..20].copy_from_slice(&u32::try_from(acc_mm * acc_mm).unwrap_or(u32::MAX).to_le_bytes());
    p[20..24].copy_from_slice(&s.obs.to_le_bytes());
    p[24] = u8::from(s.valid);
    p[25] = u8::from(s.active);
    ubx_frame(0x0D, 0x04, &p)
}

/// NAV-SVIN (01 3B), 40 bytes: version @0, iTOW @4, dur @8, meanX/Y/Z I4 @12/16/20 (cm),
/// meanX/Y/ZHP I1 @24/25/26 (0.1 mm), meanAcc U4 @28 (0.1 mm), obs @32, valid @36, active @37.
pub fn nav_svin(s: &Survey, itow_ms: u32) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    p[4..8].copy_from_slice(&itow_ms.to_le_bytes());
    p[8..12].copy_from_slice(&s.dur_s.to_le_bytes());
    for i in 0..3 {
        let (cm, hp) = split(s.mean_01mm[i]);
        p[12 + 4 * i..16 + 4 * i].copy_from_slice(&cm.to_le_bytes());
        p[24 + i] = hp as u8;
    }
    p[28..32].copy_from_slice(&s.acc_01mm.to_le_bytes());
    p[32..36].copy_from_slice(&s.obs.to_le_bytes());
    p[36] = u8::from(s.valid);
    p[37] = u8::from(s.active);
    ubx_frame(0x01, 0x3B, &p)
}
