use super::*;

fn svin(active: bool, valid: bool) -> Svin {
    Svin {
        itow_ms: None,
        duration_s: 10,
        mean_acc_m: 3.0,
        mean_ecef_m: [4_000_000.0, 500_000.0, 4_900_000.0],
        observations: 10,
        valid,
        active,
    }
}

#[test]
fn the_time_mode_is_what_the_stream_shows() {
    use Fix::*;
    // Surveying, whatever the fix.
    for fix in [None, TwoD, ThreeD, TimeOnly] {
        assert_eq!(time_mode(Some(&svin(true, false)), fix), Some(TimeMode::SurveyIn));
    }
    // A time-only fix only comes from fixed mode, with or without a survey message.
    assert_eq!(time_mode(Option::None, TimeOnly), Some(TimeMode::Fixed));
    assert_eq!(time_mode(Some(&svin(false, false)), TimeOnly), Some(TimeMode::Fixed));
    // A finished survey switches the receiver to fixed mode, even before its first fix.
    assert_eq!(time_mode(Some(&svin(false, true)), None), Some(TimeMode::Fixed));
    assert_eq!(time_mode(Some(&svin(false, true)), ThreeD), Some(TimeMode::Fixed));
    // Navigating and reporting no survey: disabled.
    assert_eq!(time_mode(Some(&svin(false, false)), ThreeD), Some(TimeMode::Disabled));
    assert_eq!(time_mode(Some(&svin(false, false)), TwoD), Some(TimeMode::Disabled));
    // Says nothing: no survey message from a navigating receiver, or no fix to tell by.
    assert_eq!(time_mode(Option::None, ThreeD), Option::None);
    assert_eq!(time_mode(Some(&svin(false, false)), None), Option::None);
    assert_eq!(time_mode(Option::None, None), Option::None);
}

/// The exact forward conversion (the textbook closed form), to check the inverse against.
fn llh_to_ecef(lat_deg: f64, lon_deg: f64, h: f64) -> [f64; 3] {
    let (sl, cl) = lat_deg.to_radians().sin_cos();
    let (so, co) = lon_deg.to_radians().sin_cos();
    let n = WGS84_A / (1.0 - WGS84_E2 * sl * sl).sqrt();
    [(n + h) * cl * co, (n + h) * cl * so, (n * (1.0 - WGS84_E2) + h) * sl]
}

#[test]
fn ecef_to_llh_at_the_defining_points() {
    // On the equator at the prime meridian: the semi-major axis.
    let (lat, lon, h) = ecef_to_llh([WGS84_A, 0.0, 0.0]).unwrap();
    assert!(lat.abs() < 1e-12 && lon.abs() < 1e-12 && h.abs() < 1e-6, "{lat} {lon} {h}");
    // At the north pole: the semi-minor axis, 6 356 752.314 245 m (NIMA TR8350.2 table 3.1).
    let (lat, _, h) = ecef_to_llh([0.0, 0.0, 6_356_752.314_245]).unwrap();
    assert!((lat - 90.0).abs() < 1e-9 && h.abs() < 1e-4, "{lat} {h}");
    let (lat, _, h) = ecef_to_llh([0.0, 0.0, -6_356_852.314_245]).unwrap();
    assert!((lat + 90.0).abs() < 1e-9 && (h - 100.0).abs() < 1e-4, "{lat} {h}");
    // Nothing to say at the centre, or about NaN.
    assert_eq!(ecef_to_llh([10.0, 20.0, 30.0]), Option::None);
    assert_eq!(ecef_to_llh([f64::NAN, 0.0, 6e6]), Option::None);
}

#[test]
fn ecef_to_llh_inverts_the_forward_conversion_to_a_tenth_of_a_millimetre() {
    let mut worst: (f64, f64) = (0.0, 0.0);
    for lat in (-90i32..=90).step_by(5) {
        for lon in (-180..180).step_by(15) {
            for h in [-400.0, 0.0, 123.456, 8_848.0, 20_200_000.0] {
                let (la, lo, hh) = ecef_to_llh(llh_to_ecef(f64::from(lat), f64::from(lon), h)).unwrap();
                // A degree of latitude is 111 km: 1e-9 ° is 0.1 mm.
                worst.0 = worst.0.max((la - f64::from(lat)).abs());
                worst.1 = worst.1.max((hh - h).abs());
                if lat.abs() != 90 {
                    let dlon = (lo - f64::from(lon) + 540.0).rem_euclid(360.0) - 180.0;
                    assert!(dlon.abs() < 1e-9, "lon {lat} {lon} {h}: {lo}");
                }
            }
        }
    }
    assert!(worst.0 < 1e-9 && worst.1 < 1e-4, "worst latitude {} °, height {} m", worst.0, worst.1);
}

/// NAV-PVT payload: iTOW, a valid 2026-12-04 12:00:05 UTC, the given fix type, gnssFixOK.
fn nav_pvt(itow_ms: u32, fix_type: u8) -> Vec<u8> {
    let mut p = vec![0u8; 92];
    p[0..4].copy_from_slice(&itow_ms.to_le_bytes());
    p[4..6].copy_from_slice(&2026u16.to_le_bytes());
    p[6..11].copy_from_slice(&[12, 4, 12, 0, 5]);
    p[11] = 0x07;
    p[20] = fix_type;
    p[21] = 0x01;
    p[23] = 9;
    p
}

/// NAV-SVIN payload (F9 layout, see ubx/decode/svin.rs).
fn nav_svin(itow_ms: u32, dur: u32, acc_01mm: u32, valid: bool, active: bool) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    p[4..8].copy_from_slice(&itow_ms.to_le_bytes());
    p[8..12].copy_from_slice(&dur.to_le_bytes());
    p[12..16].copy_from_slice(&405_153_960i32.to_le_bytes());
    p[28..32].copy_from_slice(&acc_01mm.to_le_bytes());
    p[32..36].copy_from_slice(&dur.to_le_bytes());
    p[36] = u8::from(valid);
    p[37] = u8::from(active);
    p
}

/// Through the whole pipeline: each epoch carries its survey message and the time mode the
/// fold reads from it and the fix, as a receiver goes from surveying to fixed.
#[test]
fn epochs_carry_the_survey_and_the_time_mode() {
    use crate::framer::ubx_frame;
    let mut d = crate::stream::StreamDecoder::new(super::super::Assembler::new());
    let mut epochs = Vec::new();
    let steps = [(3, 120, 52_000, false, true), (3, 300, 19_000, true, false), (5, 301, 19_000, true, false)];
    for (i, (fix, dur, acc, valid, active)) in steps.into_iter().enumerate() {
        let itow = 389_245_000 + 1000 * i as u32;
        let mut bytes = ubx_frame(0x01, 0x07, &nav_pvt(itow, fix));
        bytes.extend(ubx_frame(0x01, 0x3B, &nav_svin(itow, dur, acc, valid, active)));
        bytes.extend(ubx_frame(0x01, 0x61, &itow.to_le_bytes()));
        d.feed(&bytes, None, |e| epochs.push(e));
    }
    let got: Vec<_> = epochs
        .iter()
        .map(|e| {
            let s = e.survey.as_ref().unwrap();
            (e.time_mode, s.active, s.valid, s.duration_s, (s.mean_acc_m * 10.0).round())
        })
        .collect();
    assert_eq!(
        got,
        [
            (Some(TimeMode::SurveyIn), true, false, 120, 52.0),
            (Some(TimeMode::Fixed), false, true, 300, 19.0),
            (Some(TimeMode::Fixed), false, true, 301, 19.0),
        ]
    );
    assert!((epochs[0].survey.as_ref().unwrap().mean_ecef_m[0] - 4_051_539.60).abs() < 1e-6);
}
