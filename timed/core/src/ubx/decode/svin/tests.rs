//! Survey-in frames built by pyubx2, an independent UBX implementation (PyPI), read through
//! timed's own framer (checksums) and decoder. The captures in testdata/receivers hold no
//! NAV-SVIN or TIM-SVIN (none of those receivers was surveying), so the frames come from
//! `reference.py` here; `pyubx2_still_builds_these_frames` reruns it when pyubx2 is installed.
//! pyubx2 places the fields; the scale of each is the u-blox interface description's, stated
//! per assertion.

use crate::framer::{Frame, Framer};
use crate::ubx::{decode, Svin, Ubx};
use std::process::Command;

/// `python3 reference.py` with pyubx2 1.4.0.
const NAV_SVIN: &str =
    "b562013b28000000000048683317f5000000a8282618d706b003074a081d14d12c0010a40000f500000000010000221c";
const TIM_SVIN: &str = "b5620d041c008051010078e1bf0d8efc91e35dbee6ea00f915007651010001000000e4ea";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The one frame in `bytes`, decoded.
fn survey(bytes: &[u8]) -> Svin {
    let mut out = Vec::new();
    let mut framer = Framer::new();
    framer.feed(bytes, |f| match f.frame {
        Frame::Ubx { class, id, payload } => out.push(decode(class, id, payload)),
        Frame::Nmea { .. } => panic!("not UBX"),
    });
    assert_eq!(framer.stats().ubx_checksum_errors, 0);
    match out.as_slice() {
        [Ok(Ubx::Svin(s))] => s.clone(),
        other => panic!("expected one survey message, got {other:?}"),
    }
}

fn assert_near(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{got} != {want} (± {tol})");
}

#[test]
fn nav_svin_from_pyubx2() {
    let s = survey(&hex(NAV_SVIN));
    assert_eq!(s.itow_ms, Some(389_245_000));
    assert_eq!((s.duration_s, s.observations), (245, 245));
    assert!(s.active && !s.valid);
    // meanAcc in 0.1 mm.
    assert_near(s.mean_acc_m, 4.2, 1e-12);
    // meanX/Y/Z in cm plus the signed 0.1 mm high-precision part.
    let want = [4_051_539.60 + 0.0020, 618_677.35 - 0.0047, 4_870_825.03 + 0.0044];
    for (got, want) in s.mean_ecef_m.iter().zip(want) {
        assert_near(*got, want, 1e-7);
    }
}

#[test]
fn tim_svin_from_pyubx2() {
    let s = survey(&hex(TIM_SVIN));
    assert_eq!(s.itow_ms, None);
    assert_eq!((s.duration_s, s.observations), (86_400, 86_390));
    assert!(s.valid && !s.active);
    // meanV is a variance in mm²: √1 440 000 mm² = 1.2 m.
    assert_near(s.mean_acc_m, 1.2, 1e-12);
    // meanX/Y/Z in cm, two of them negative (signedness).
    let want = [2_306_789.04, -4_769_718.90, -3_539_767.39];
    for (got, want) in s.mean_ecef_m.iter().zip(want) {
        assert_near(*got, want, 1e-7);
    }
}

/// The surveyed positions are the places the frames were built for (reference.py): a unit
/// error (cm vs mm) or a field read at the wrong offset would put them elsewhere.
#[test]
fn surveyed_positions_are_where_they_were_taken() {
    for (frame, lat0, lon0, h0) in [(NAV_SVIN, 50.1109, 8.6821, 151.3), (TIM_SVIN, -33.9249, -64.1901, 412.0)]
    {
        let (lat, lon, h) = crate::epoch::ecef_to_llh(survey(&hex(frame)).mean_ecef_m).unwrap();
        // 1e-7 ° is about a centimetre, the resolution of the cm fields.
        assert_near(lat, lat0, 1e-7);
        assert_near(lon, lon0, 1e-7);
        assert_near(h, h0, 0.01);
    }
}

#[test]
fn pyubx2_still_builds_these_frames() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ubx/decode/svin/reference.py");
    let has_pyubx2 = Command::new("python3").args(["-c", "import pyubx2"]).output();
    if !has_pyubx2.is_ok_and(|o| o.status.success()) {
        eprintln!("pyubx2 not installed (pip install pyubx2): the constants stand unchecked");
        return;
    }
    let out = Command::new("python3").arg(script).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, format!("NAV_SVIN {NAV_SVIN}\nTIM_SVIN {TIM_SVIN}\n"));
}
