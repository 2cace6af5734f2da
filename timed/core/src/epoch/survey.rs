//! The time mode of a timing receiver as its own output shows it, and the WGS-84 conversion
//! that turns a surveyed ECEF position into latitude, longitude and height for people.
//!
//! The stream never names the time mode (only a CFG-TMODE poll or CFG-VALGET of CFG-TMODE-MODE
//! does, which is configuration traffic, not the navigation stream), but it shows it: a
//! receiver surveying says so in NAV-SVIN/TIM-SVIN `active`; one in fixed mode reports a
//! time-only fix (NAV-PVT `fixType` 5, u-blox 8 protocol §32.17.14; F9 TIM interface
//! description "UBX-NAV-PVT") and, after a survey it finished itself, keeps `valid` set with
//! `active` clear (ZED-F9T integration manual §3.6.1: "when the survey-in completes the
//! receiver enters fixed mode"). A receiver that navigates (2D/3D fix) while reporting no
//! survey is in neither: disabled. Anything else says nothing, and nothing is guessed.

use super::Fix;
use crate::ubx::Svin;

/// CFG-TMODE3 / CFG-TMODE-MODE of a timing receiver, as its output shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeMode {
    /// Navigating: position solved every epoch (the factory setting).
    Disabled,
    /// Surveying its own position.
    SurveyIn,
    /// Position fixed (surveyed or given): time-only solutions from then on.
    Fixed,
}

impl TimeMode {
    pub fn name(self) -> &'static str {
        match self {
            TimeMode::Disabled => "disabled",
            TimeMode::SurveyIn => "survey-in",
            TimeMode::Fixed => "fixed",
        }
    }
}

/// The time mode an epoch shows (see the module documentation), `None` when it shows none:
/// no survey message and no time-only fix (a navigation receiver, or a timing receiver not
/// asked for survey messages), or a survey message and no fix at all (a fixed receiver that
/// lost the sky reports `valid` clear when its position was given, not surveyed).
pub fn time_mode(survey: Option<&Svin>, fix: Fix) -> Option<TimeMode> {
    match (survey, fix) {
        (Some(s), _) if s.active => Some(TimeMode::SurveyIn),
        (_, Fix::TimeOnly) => Some(TimeMode::Fixed),
        (Some(s), _) if s.valid => Some(TimeMode::Fixed),
        (Some(_), Fix::TwoD | Fix::ThreeD) => Some(TimeMode::Disabled),
        _ => None,
    }
}

/// WGS-84 semi-major axis (m) and first eccentricity squared (NIMA TR8350.2 §3).
const WGS84_A: f64 = 6_378_137.0;
const WGS84_E2: f64 = 6.694_379_990_141_317e-3;

/// ECEF metres → (latitude °, longitude °, height above the ellipsoid m), WGS-84. Bowring's
/// parametric-latitude step, repeated once from its own result: well under a millimetre
/// anywhere from the Earth's centre region outwards to orbit heights. `None` within 1 km of
/// the centre, where latitude means nothing, and for non-finite input.
pub fn ecef_to_llh(ecef: [f64; 3]) -> Option<(f64, f64, f64)> {
    let [x, y, z] = ecef;
    let p = x.hypot(y);
    if !(p.is_finite() && z.is_finite()) || p.hypot(z) < 1000.0 {
        return None;
    }
    let b = WGS84_A * (1.0 - WGS84_E2).sqrt();
    let ep2 = WGS84_E2 / (1.0 - WGS84_E2);
    // θ, the parametric latitude: first from the point itself, then from the latitude found.
    let mut theta = (z * WGS84_A).atan2(p * b);
    let mut lat = 0.0;
    for _ in 0..2 {
        let (st, ct) = theta.sin_cos();
        lat = (z + ep2 * b * st.powi(3)).atan2(p - WGS84_E2 * WGS84_A * ct.powi(3));
        let (sl, cl) = lat.sin_cos();
        theta = (b * sl).atan2(WGS84_A * cl);
    }
    let (s, c) = lat.sin_cos();
    let n = WGS84_A / (1.0 - WGS84_E2 * s * s).sqrt();
    // Near a pole cos(lat) vanishes: take the height along z there.
    let h = if c.abs() > 0.1 { p / c - n } else { z / s - n * (1.0 - WGS84_E2) };
    Some((lat.to_degrees(), y.atan2(x).to_degrees(), h))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
