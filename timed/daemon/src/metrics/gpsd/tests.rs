use super::*;
use crate::health::{DeviceState, FixKind, Receiver};

fn sat(gnss_id: u8, svid: u16, cno: Option<u8>, el: Option<i16>, az: Option<i16>, used: bool) -> Sat {
    Sat { gnss: "".into(), gnss_id, svid, cno_dbhz: cno, elev_deg: el, azim_deg: az, used }
}

fn health() -> Health {
    Health {
        version: "0.1.0".into(),
        receiver: Receiver {
            device: "/dev/ttyAMA0".into(),
            serial_state: DeviceState::Open,
            fix: FixKind::Time,
            fix_ok: true,
            epochs: 12,
            satellites: vec![
                sat(0, 5, Some(42), Some(45), Some(180), true),
                sat(1, 136, Some(37), Some(30), Some(160), false),
                sat(2, 11, Some(35), Some(20), Some(300), true),
                // From NMEA: GLONASS 72, BeiDou 401, and SBAS 49 under a GP talker (again).
                sat(6, 72, Some(30), Some(10), Some(20), true),
                sat(3, 401, Some(33), None, None, false),
                sat(0, 49, Some(36), Some(30), Some(160), false),
                // GLONASS with an unknown slot: gpsd cannot number it.
                sat(6, 255, Some(20), None, None, false),
            ],
            sats_used: Some(3),
            tacc_ns: Some(12),
            leap_s: Some(18),
            leap_valid: true,
            lat_deg: Some(52.123456789),
            lon_deg: Some(4.56789),
            alt_hae_m: Some(151.25),
            alt_msl_m: Some(104.75),
            hdop: Some(0.62),
            pdop: Some(1.05),
            model: Some("00190000".into()),
            firmware: Some("EXT CORE 1.00 (61b2dd)".into()),
            extensions: vec!["FWVER=TIM 2.20".into(), "PROTVER=29.00".into()],
            ..Receiver::default()
        },
        ..Health::default()
    }
}

fn render(h: &Health, position: Position, pps: &[(f64, u64)]) -> String {
    let mut registry = Registry::default();
    register(h, position, pps, &mut registry);
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
    out
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

fn assert_has(text: &str, expected: &[&str]) {
    for line in expected {
        assert!(lines(text).contains(line), "missing line {line:?} in:\n{text}");
    }
}

fn assert_no_family(text: &str, names: &[&str]) {
    for name in names {
        let hit = text.lines().find(|l| l.split(['{', ' ']).next() == Some(*name));
        assert!(hit.is_none(), "{name} should not be rendered, found {hit:?}");
    }
}

#[test]
fn fix_position_and_sky_summary() {
    let text = render(&health(), Position::Full, &[]);
    assert_has(
        &text,
        &[
            "# TYPE gpsd_mode gauge",
            "gpsd_mode 3.0",
            "gpsd_status 7.0",
            "gpsd_leapseconds 18.0",
            "gpsd_ept 1.2e-8",
            "gpsd_lat 52.123456789",
            "gpsd_long 4.56789",
            "gpsd_altHAE 151.25",
            "gpsd_altMSL 104.75",
            "gpsd_geoidSep 46.5",
            "gpsd_hdop 0.62",
            "gpsd_pdop 1.05",
            "gpsd_nSat 5.0",
            "gpsd_uSat 3.0",
            "gpsd_sat_seen 5.0",
            "gpsd_sat_used 3.0",
            r#"gpsd_version_info{release="timed 0.1.0",rev="0.1.0",proto_major="0",proto_minor="0"} 1.0"#,
        ],
    );
    let devices = text.lines().find(|l| l.starts_with("gpsd_devices_info{")).unwrap();
    assert!(devices.starts_with(r#"gpsd_devices_info{device="/dev/ttyAMA0",driver="Unknown","#), "{devices}");
    assert!(devices.contains(
        r#"subtype="SW EXT CORE 1.00 (61b2dd),HW 00190000",subtype1="FWVER=TIM 2.20,PROTVER=29.00""#
    ));
    assert!(devices.ends_with(r#"cycle="Unknown",mincycle="Unknown"} 1.0"#), "{devices}");
    assert!(!text.contains("{}"), "unlabelled samples must not carry empty braces");
    assert_no_family(&text, &["gpsd_pps_histogram_bucket"]);
}

#[test]
fn satellites_carry_gpsd_numbering() {
    let text = render(&health(), Position::Full, &[]);
    assert_has(
        &text,
        &[
            r#"gpsd_sat_ss{PRN="5",svid="5",gnssid="0",used="True"} 42.0"#,
            r#"gpsd_sat_ss{PRN="49",svid="136",gnssid="1",used="False"} 37.0"#,
            r#"gpsd_sat_ss{PRN="311",svid="11",gnssid="2",used="True"} 35.0"#,
            r#"gpsd_sat_ss{PRN="72",svid="8",gnssid="6",used="True"} 30.0"#,
            r#"gpsd_sat_ss{PRN="401",svid="1",gnssid="3",used="False"} 33.0"#,
            r#"gpsd_sat_el{PRN="5",svid="5",gnssid="0",used="True"} 45.0"#,
            r#"gpsd_sat_az{PRN="311",svid="11",gnssid="2",used="True"} 300.0"#,
            r#"gpsd_used{PRN="72",svid="8",gnssid="6",used="True"} 1.0"#,
            r#"gpsd_used{PRN="49",svid="136",gnssid="1",used="False"} 0.0"#,
        ],
    );
    // SBAS 136 listed twice (UBX and a GP-talker NMEA 49) is one series; slot 255 has none;
    // BeiDou 1 has no azimuth, so no gpsd_sat_az sample.
    assert_eq!(text.lines().filter(|l| l.starts_with("gpsd_sat_ss{PRN=\"49\"")).count(), 1);
    assert!(!text.contains("svid=\"255\""));
    assert_eq!(text.lines().filter(|l| l.starts_with("gpsd_sat_az{")).count(), 4);
}

#[test]
fn gpsd_ids_follow_gpsd() {
    let cases = [
        ((0, 1), Some((1, 0, 1))),
        ((0, 32), Some((32, 0, 32))),
        ((1, 120), Some((33, 1, 120))),
        ((1, 151), Some((64, 1, 151))),
        ((1, 152), Some((152, 1, 152))),
        ((0, 33), Some((33, 1, 120))),
        ((0, 193), Some((193, 5, 1))),
        ((5, 2), Some((194, 5, 2))),
        ((2, 36), Some((336, 2, 36))),
        ((2, 301), Some((301, 2, 1))),
        ((3, 37), Some((437, 3, 37))),
        ((3, 212), Some((412, 3, 12))),
        ((4, 1), Some((173, 4, 1))),
        ((6, 1), Some((65, 6, 1))),
        ((6, 96), Some((96, 6, 32))),
        ((7, 3), Some((503, 7, 3))),
        ((6, 255), None),
        ((0, 0), None),
        ((255, 7), None),
    ];
    for ((g, n), want) in cases {
        assert_eq!(gpsd_ids(g, n), want, "gnssId {g}, number {n}");
    }
}

#[test]
fn coarse_rounds_and_off_withholds_position() {
    let coarse = render(&health(), Position::Coarse, &[]);
    assert_has(&coarse, &["gpsd_lat 52.1", "gpsd_long 4.6", "gpsd_altHAE 200.0", "gpsd_altMSL 100.0"]);
    assert_no_family(&coarse, &["gpsd_geoidSep"]);
    let off = render(&health(), Position::Off, &[]);
    assert_no_family(&off, &["gpsd_lat", "gpsd_long", "gpsd_altHAE", "gpsd_altMSL", "gpsd_geoidSep"]);
    assert_has(&off, &["gpsd_mode 3.0", "gpsd_nSat 5.0"]);
    let p: Vec<Position> = serde_json::from_str(r#"["full","coarse","off"]"#).unwrap();
    assert_eq!(p, [Position::Full, Position::Coarse, Position::Off]);
    assert!(serde_json::from_str::<Position>(r#""Full""#).is_err());
}

#[test]
fn mode_and_status_follow_the_fix() {
    let cases = [
        (DeviceState::Open, 12, FixKind::Time, true, 3.0, Some(7.0)),
        (DeviceState::Open, 12, FixKind::ThreeD, true, 3.0, Some(1.0)),
        (DeviceState::Open, 12, FixKind::TwoD, true, 2.0, Some(1.0)),
        (DeviceState::Open, 12, FixKind::ThreeD, false, 1.0, Some(0.0)),
        (DeviceState::Open, 12, FixKind::None, false, 1.0, Some(0.0)),
        (DeviceState::Open, 0, FixKind::None, false, 0.0, Some(0.0)),
        (DeviceState::Lost, 12, FixKind::ThreeD, true, 0.0, None),
    ];
    for (state, epochs, fix, fix_ok, mode, status) in cases {
        let mut h = health();
        h.receiver.serial_state = state;
        (h.receiver.epochs, h.receiver.fix, h.receiver.fix_ok) = (epochs, fix, fix_ok);
        let text = render(&h, Position::Full, &[]);
        let value = |name: &str| {
            text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
        };
        assert_eq!(value("gpsd_mode"), Some(mode), "{state:?} {epochs} {fix:?} {fix_ok}");
        assert_eq!(value("gpsd_status"), status, "{state:?} {epochs} {fix:?} {fix_ok}");
    }
}

#[test]
fn lost_receiver_keeps_only_mode_and_info() {
    let mut h = health();
    h.receiver.serial_state = DeviceState::Lost;
    let text = render(&h, Position::Full, &[]);
    let families: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
    assert_eq!(families, ["gpsd_version_info gauge", "gpsd_devices_info gauge", "gpsd_mode gauge"], "{text}");
}

#[test]
fn nmea_only_sky_still_counts_used() {
    let mut h = health();
    h.receiver.satellites.clear();
    let text = render(&h, Position::Full, &[]);
    assert_has(&text, &["gpsd_uSat 3.0"]);
    assert_no_family(&text, &["gpsd_nSat", "gpsd_sat_seen", "gpsd_sat_ss", "gpsd_used"]);
}

#[test]
fn pps_histogram_is_mirrored_into_nanoseconds() {
    let mut h = health();
    h.pps.device = "/dev/pps0".into();
    // timed: PPS − system in s. Two samples above +500 ns, one at or below −500 ns.
    let pps = [(-5e-7, 1), (-2.5e-7, 3), (0.0, 6), (2.5e-7, 9), (5e-7, 10), (f64::INFINITY, 12)];
    let text = render(&h, Position::Full, &pps);
    assert_has(
        &text,
        &[
            "# TYPE gpsd_pps_histogram histogram",
            r#"gpsd_pps_histogram_sum{device="/dev/pps0"} NaN"#,
            r#"gpsd_pps_histogram_count{device="/dev/pps0"} 12"#,
            r#"gpsd_pps_histogram_bucket{le="-500.0",device="/dev/pps0"} 2"#,
            r#"gpsd_pps_histogram_bucket{le="-250.0",device="/dev/pps0"} 3"#,
            r#"gpsd_pps_histogram_bucket{le="0.0",device="/dev/pps0"} 6"#,
            r#"gpsd_pps_histogram_bucket{le="250.0",device="/dev/pps0"} 9"#,
            r#"gpsd_pps_histogram_bucket{le="500.0",device="/dev/pps0"} 11"#,
            r#"gpsd_pps_histogram_bucket{le="+Inf",device="/dev/pps0"} 12"#,
        ],
    );
    // With timed's own histogram alongside, its sum (PPS − system, s) becomes gpsd's.
    h.stats.pps = Some(crate::health::SourceStats {
        histogram: pps.to_vec(),
        histogram_sum_s: 1.5e-6,
        histogram_count: 12,
        ..Default::default()
    });
    let text = render(&h, Position::Full, &pps);
    assert_has(&text, &[r#"gpsd_pps_histogram_sum{device="/dev/pps0"} -1500.0"#]);
    // timed's 250 ns × 40 layout lands exactly on the exporter's default bucket bounds.
    let layout: Vec<(f64, u64)> =
        (-20..=20).map(|i| (f64::from(i) * 2.5e-7, 0)).chain([(f64::INFINITY, 0)]).collect();
    let (count, buckets) = mirror_to_ns(&layout);
    let bounds: Vec<f64> = buckets.iter().map(|b| b.0).collect();
    let exporter: Vec<f64> = (-20..=20).map(|i| f64::from(i * 250)).chain([f64::INFINITY]).collect();
    assert_eq!((count, bounds), (0, exporter));
    assert!(buckets.iter().all(|b| !(b.0 == 0.0 && b.0.is_sign_negative())));
}

/// `promtool check metrics` must accept the exposition. Its only complaints may be the lint
/// on names the gpsd exporter defines and timed must reproduce verbatim.
#[test]
fn promtool_accepts_the_exposition() {
    use std::io::Write;
    let mut h = health();
    h.pps.device = "/dev/pps0".into();
    let pps: Vec<(f64, u64)> = (-20..=20).map(|i| (f64::from(i) * 2.5e-7, 7)).collect();
    let text = render(&h, Position::Full, &pps);
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!(
            "promtool is needed for this test and could not be run ({e}): install the \
             Debian package `prometheus` (tests/run.sh installs it)"
        ),
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let expected = |l: &str| {
        let camel = ["gpsd_nSat", "gpsd_uSat", "gpsd_altHAE", "gpsd_altMSL", "gpsd_geoidSep"]
            .iter()
            .any(|n| l == format!("{n} metric names should be written in 'snake_case' not 'camelCase'"));
        camel || l == "gpsd_pps_histogram metric name should not include type 'histogram'"
    };
    let unexpected: Vec<&str> = report.lines().filter(|l| !l.trim().is_empty() && !expected(l)).collect();
    assert!(
        matches!(out.status.code(), Some(0 | 3)) && unexpected.is_empty(),
        "promtool check metrics rejected the exposition ({:?}):\n{report}\n{text}",
        out.status
    );
}
