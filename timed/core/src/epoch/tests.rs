use super::*;
use crate::framer::{nmea_sentence, ubx_frame};
use crate::gnss::Constellation;
use crate::stream::StreamDecoder;

fn run(bytes: &[u8]) -> Vec<Epoch> {
    run_with(Assembler::new(), bytes)
}

fn run_with(asm: Assembler, bytes: &[u8]) -> Vec<Epoch> {
    let mut d = StreamDecoder::new(asm);
    let mut v = Vec::new();
    d.feed(bytes, None, |e| v.push(e));
    d.finish(|e| v.push(e));
    v
}

fn nmea(lines: &[&str]) -> Vec<u8> {
    lines.iter().flat_map(|l| nmea_sentence(l).into_bytes()).collect()
}

fn times(es: &[Epoch]) -> Vec<String> {
    es.iter().map(|e| e.time.map(|t| t.rfc3339_millis()).unwrap_or_default()).collect()
}

/// NAV-PVT payload (u-blox 8 protocol spec §32.17.14 layout, 92 bytes).
fn pvt(
    itow: u32,
    ymd: (u16, u8, u8),
    hms: (u8, u8, u8),
    valid: u8,
    nano: i32,
    fix: u8,
    flags: u8,
) -> Vec<u8> {
    let mut p = vec![0u8; 92];
    p[0..4].copy_from_slice(&itow.to_le_bytes());
    p[4..6].copy_from_slice(&ymd.0.to_le_bytes());
    (p[6], p[7], p[8], p[9], p[10], p[11]) = (ymd.1, ymd.2, hms.0, hms.1, hms.2, valid);
    p[12..16].copy_from_slice(&25u32.to_le_bytes());
    p[16..20].copy_from_slice(&nano.to_le_bytes());
    (p[20], p[21], p[23]) = (fix, flags, 9);
    p[76..78].copy_from_slice(&150u16.to_le_bytes());
    ubx_frame(0x01, 0x07, &p)
}

fn eoe(itow: u32) -> Vec<u8> {
    ubx_frame(0x01, 0x61, &itow.to_le_bytes())
}

fn tim_tp(tow_ms: u32, sub: u32, qerr: i32, week: u16, flags: u8) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(tow_ms.to_le_bytes());
    p.extend(sub.to_le_bytes());
    p.extend(qerr.to_le_bytes());
    p.extend(week.to_le_bytes());
    p.extend([flags, 0]);
    ubx_frame(0x0D, 0x01, &p)
}

#[test]
fn ublox_nmea_burst_is_one_epoch_per_second() {
    let mut s = Vec::new();
    for sec in ["37", "38"] {
        s.extend(nmea(&[
            &format!("GPRMC,1722{sec}.00,A,4513.1124687,N,00548.4306494,E,0.09,158.9,011217,1.9,E,A"),
            "GPVTG,158.9,T,,M,0.09,N,0.17,K,A",
            &format!("GPGGA,1722{sec}.00,4513.1124687,N,00548.4306494,E,1,06,1.36,230.23,M,48.648,M,,"),
            "GPGSA,A,3,05,13,15,20,21,29,,,,,,,1.7,1.4,1.0",
            "GPGSV,2,1,07,05,40,120,45,13,20,300,38,15,60,050,41,20,10,200,30",
            "GPGSV,2,2,07,21,55,250,44,29,33,100,40,30,05,010,",
            &format!("GPZDA,1722{sec}.00,01,12,2017,00,00"),
        ]));
    }
    let es = run(&s);
    assert_eq!(times(&es), ["2017-12-01T17:22:37.000Z", "2017-12-01T17:22:38.000Z"]);
    let e = &es[0];
    assert_eq!(e.time_source, Some(TimeSource::Zda));
    assert!(e.time_valid);
    assert_eq!(e.fix, Fix::ThreeD);
    assert_eq!((e.sats_used, e.sats_seen), (Some(6), Some(7)));
    assert_eq!(
        e.constellations,
        [ConstellationCount { constellation: Constellation::Gps, used: 6, seen: 7 }]
    );
    assert!(e.satellites.iter().find(|s| s.sv_id == 30).is_some_and(|s| !s.used && s.cno_dbhz.is_none()));
    assert_eq!(e.messages, 7);
}

#[test]
fn a_u_blox_f9_rmc_with_nav_status_v_is_valid() {
    // ublox-zed-f9t-ubx_nmea_l5.log: `,A,V` = autonomous fix, navigational status not provided.
    let es = run(&nmea(&["GNRMC,193334.00,A,4513.1,N,00548.4,E,0.0,,310725,,,A,V"]));
    assert_eq!((es[0].time_valid, es[0].fix_ok), (true, true));
}

#[test]
fn rmc_without_fix_reports_its_time_as_invalid() {
    // ublox-lea-5q.log: status V, a date from the receiver's RTC.
    let es = run(&nmea(&["GPRMC,001902.00,V,,,,,,,020211,,,N", "GPGGA,001902.00,,,,,0,00,99.99,,,,,,"]));
    assert_eq!(times(&es), ["2011-02-02T00:19:02.000Z"]);
    assert!(!es[0].time_valid);
    assert_eq!((es[0].fix, es[0].fix_ok), (Fix::None, false));
}

#[test]
fn gga_only_epochs_take_the_learnt_date_across_midnight() {
    let es = run(&nmea(&[
        "GPRMC,235959.00,A,4513.1,N,00548.4,E,0.0,0.0,311217,,,A",
        "GPGGA,235959.00,4513.1,N,00548.4,E,1,06,1.0,230.0,M,48.6,M,,",
        "GPGGA,000000.00,4513.1,N,00548.4,E,1,06,1.0,230.0,M,48.6,M,,",
        "GPGGA,000001.00,4513.1,N,00548.4,E,0,00,,,M,,M,,",
    ]));
    assert_eq!(
        times(&es),
        ["2017-12-31T23:59:59.000Z", "2018-01-01T00:00:00.000Z", "2018-01-01T00:00:01.000Z"]
    );
    assert_eq!(es[1].time_source, Some(TimeSource::Gga));
    assert!(es[1].time_valid);
    assert!(!es[2].time_valid, "quality 0: the receiver does not vouch for the time");
    // Without any date learnt, GGA alone yields no time at all.
    let es = run(&nmea(&["GPGGA,000000.00,4513.1,N,00548.4,E,1,06,1.0,230.0,M,48.6,M,,"]));
    assert_eq!(es.len(), 1);
    assert_eq!(es[0].time, None);
}

#[test]
fn a_leap_second_is_its_own_epoch() {
    let es = run(&nmea(&[
        "GPZDA,235959.00,31,12,2016,00,00",
        "GPGGA,235959.00,4513.1,N,00548.4,E,1,06,1.0,230.0,M,48.6,M,,",
        "GPZDA,235960.00,31,12,2016,00,00",
        "GPGGA,235960.00,4513.1,N,00548.4,E,1,06,1.0,230.0,M,48.6,M,,",
        "GPZDA,000000.00,01,01,2017,00,00",
    ]));
    assert_eq!(
        times(&es),
        ["2016-12-31T23:59:59.000Z", "2016-12-31T23:59:60.000Z", "2017-01-01T00:00:00.000Z"]
    );
}

#[test]
fn nav_eoe_closes_the_epoch_without_waiting_for_the_next() {
    let mut s = pvt(494_575_000, (2017, 12, 1), (17, 22, 37), 0x07, -112_313, 3, 0x01);
    s.extend(eoe(494_575_000));
    let mut d = StreamDecoder::new(Assembler::new());
    let mut v = Vec::new();
    d.feed(&s, None, |e| v.push(e));
    assert_eq!(times(&v), ["2017-12-01T17:22:37.000Z"]);
    assert_eq!((v[0].time_source, v[0].time_valid, v[0].fix), (Some(TimeSource::NavPvt), true, Fix::ThreeD));
    assert_eq!(v[0].tacc_ns, Some(25));
    // The instant is 17:22:36.999887687 (nano is negative).
    assert_eq!(v[0].time.map(|t| t.unix_nanos() % 1_000_000_000), Some(999_887_687));
}

#[test]
fn pvt_validity_and_fix_flags_are_honoured() {
    let mut s = pvt(1000, (2020, 1, 1), (0, 0, 0), 0x03, 0, 3, 0x01); // not fully resolved
    s.extend(pvt(2000, (2020, 1, 1), (0, 0, 1), 0x07, 0, 3, 0x00)); // gnssFixOK clear
    s.extend(pvt(3000, (2020, 1, 1), (0, 0, 2), 0x07, 0, 5, 0x01)); // time-only
    let es = run(&s);
    assert_eq!(
        es.iter().map(|e| (e.time_valid, e.fix, e.fix_ok)).collect::<Vec<_>>(),
        [(false, Fix::ThreeD, true), (true, Fix::ThreeD, false), (true, Fix::TimeOnly, true)]
    );
}

#[test]
fn mixed_ubx_and_nmea_of_one_second_are_one_epoch() {
    // zed-f9t order: NAV-PVT, then NMEA for the same second, then NAV-EOE. GPS−UTC = 18 s.
    let itow = 4 * 86_400_000 + 19 * 3_600_000 + 33 * 60_000 + 34_000 + 18_000;
    let mut s = pvt(itow, (2025, 7, 31), (19, 33, 34), 0x37, 0, 3, 0x01);
    s.extend(nmea(&[
        "GNRMC,193334.00,A,4513.1,N,00548.4,E,0.0,,310725,,,A,V",
        "GNGGA,193334.00,4513.1,N,00548.4,E,1,12,0.6,230.0,M,48.6,M,,",
        "GNZDA,193334.00,31,07,2025,00,00",
    ]));
    s.extend(eoe(itow));
    s.extend(nmea(&["GNRMC,193335.00,A,4513.1,N,00548.4,E,0.0,,310725,,,A,V"]));
    let es = run(&s);
    assert_eq!(times(&es), ["2025-07-31T19:33:34.000Z", "2025-07-31T19:33:35.000Z"]);
    assert_eq!(es[0].messages, 5);
    assert_eq!(es[0].time_source, Some(TimeSource::NavPvt));
    assert_eq!((es[0].leap.current_s, es[0].leap.source), (Some(18), LeapSource::Derived));
}

#[test]
fn an_inserted_leap_second_from_ubx_and_nmea_is_one_epoch() {
    // 2016-12-31T23:59:60 on a UBX+NMEA receiver: NAV-PVT (sec 60, GPS−UTC still 17), then RMC
    // and ZDA at 235960 (86 400 000 ms of day), then NAV-EOE; then 00:00:00 with GPS−UTC 18.
    // GPS week 1930 began at 2016-12-31T23:59:43 UTC, so :60 is iTOW 17 000.
    let mut s = pvt(17_000, (2016, 12, 31), (23, 59, 60), 0x37, 0, 3, 0x01);
    s.extend(nmea(&[
        "GNRMC,235960.00,A,4513.1,N,00548.4,E,0.0,,311216,,,A,V",
        "GNZDA,235960.00,31,12,2016,00,00",
    ]));
    s.extend(eoe(17_000));
    s.extend(pvt(18_000, (2017, 1, 1), (0, 0, 0), 0x37, 0, 3, 0x01));
    s.extend(nmea(&["GNRMC,000000.00,A,4513.1,N,00548.4,E,0.0,,010117,,,A,V"]));
    s.extend(eoe(18_000));
    let es = run(&s);
    assert_eq!(times(&es), ["2016-12-31T23:59:60.000Z", "2017-01-01T00:00:00.000Z"]);
    assert_eq!((es[0].messages, es[1].messages), (4, 3));
}

#[test]
fn tim_tp_gives_the_next_pulse_and_its_qerr() {
    // Pulse at GPS week 2375, TOW 86418 s = UTC 1 day + 0 s after the week start (18 leap s).
    let leap_itow = 86_417_000u32;
    let mut s = pvt(leap_itow, (2025, 7, 13), (23, 59, 59), 0x07, 0, 3, 0x01);
    s.extend(tim_tp(86_418_000, 1 << 31, -1234, 2375, 0x00));
    s.extend(tim_tp(86_418_000, 0, 77, 2375, 0x10)); // qErrInvalid
    s.extend(eoe(leap_itow));
    let es = run(&s);
    assert_eq!(es.len(), 1);
    let p = es[0].next_pulse.unwrap_or_else(|| panic!("no next pulse"));
    assert_eq!(p.qerr_ps, None, "the latest TIM-TP flags qErr invalid");
    let s2: Vec<u8> = [
        pvt(leap_itow, (2025, 7, 13), (23, 59, 59), 0x07, 0, 3, 1),
        tim_tp(86_418_000, 1 << 31, -1234, 2375, 0),
    ]
    .concat();
    let es = run(&s2);
    let p = es[0].next_pulse.unwrap_or_else(|| panic!("no next pulse"));
    assert_eq!(p.qerr_ps, Some(-1234));
    assert_eq!(p.tow_sub_ns, 500_000);
    assert_eq!(p.utc.map(|t| t.rfc3339_millis()).as_deref(), Some("2025-07-14T00:00:00.001Z"));
}

#[test]
fn week_rollover_victims_are_moved_forward_1024_weeks() {
    // A receiver hit by the April 2019 rollover reports 1999-08-22 for 2019-04-07.
    let lines = ["GPRMC,120000.00,A,4513.1,N,00548.4,E,0.0,0.0,220899,,,A"];
    let es = run_with(Assembler::new().with_week_pivot(2040), &nmea(&lines));
    assert_eq!(times(&es), ["2019-04-07T12:00:00.000Z"]);
    assert!(es[0].rollover_corrected);
    let es = run(&nmea(&lines));
    assert_eq!(times(&es), ["1999-08-22T12:00:00.000Z"]);
}

#[test]
fn idle_gap_closes_an_nmea_epoch_and_keeps_the_first_byte_stamp() {
    let mut d = StreamDecoder::new(Assembler::new());
    let mut v = Vec::new();
    let at = |ms: i64| RxStamp {
        realtime_ns: 1_700_000_000_000_000_000 + ms * 1_000_000,
        monotonic_ns: ms * 1_000_000,
    };
    let rmc = nmea_sentence("GPRMC,172237.00,A,4513.1,N,00548.4,E,0.0,0.0,011217,,,A");
    let (a, b) = rmc.as_bytes().split_at(20);
    d.feed(a, Some(at(120)), |e| v.push(e));
    d.feed(b, Some(at(125)), |e| v.push(e));
    d.feed(nmea_sentence("GPZDA,172237.00,01,12,2017,00,00").as_bytes(), Some(at(140)), |e| v.push(e));
    assert!(v.is_empty());
    assert!(d.idle(at(200), 100_000_000).is_none(), "60 ms of quiet is inside the burst");
    let e = d.idle(at(240), 100_000_000).unwrap_or_else(|| panic!("not closed after 100 ms"));
    assert_eq!(e.rx, Some(at(120)), "stamp of the read that carried the first byte");
    assert_eq!(e.messages, 2);
}

#[test]
fn messages_trailing_nav_eoe_do_not_move_the_next_epochs_first_byte() {
    // ZED-F9T: ... NAV-EOE, MON-RF, (silence), NAV-PVT of the next second.
    let mut d = StreamDecoder::new(Assembler::new());
    let mut v = Vec::new();
    let at = |ms: i64| RxStamp { realtime_ns: ms * 1_000_000, monotonic_ns: ms * 1_000_000 };
    let mut first = pvt(1000, (2025, 7, 31), (0, 0, 0), 0x07, 0, 3, 1);
    first.extend(eoe(1000));
    d.feed(&first, Some(at(120)), |e| v.push(e));
    let monrf = ubx_frame(0x0A, 0x38, &[0, 0, 0, 0]);
    d.feed(&monrf, Some(at(200)), |e| v.push(e));
    d.feed(&pvt(2000, (2025, 7, 31), (0, 0, 1), 0x07, 0, 3, 1), Some(at(1120)), |e| v.push(e));
    d.finish(|e| v.push(e));
    assert_eq!(times(&v), ["2025-07-31T00:00:00.000Z", "2025-07-31T00:00:01.000Z"]);
    assert_eq!(v[1].rx, Some(at(1120)), "the second epoch's burst starts with its NAV-PVT");
}

#[test]
fn a_nano_outside_the_specified_range_is_no_time() {
    // NAV-PVT nano is −1e9..1e9 (u-blox 8 protocol spec §32.17.17): beyond it the message gives
    // no time, whatever its validity flags say (a hostile receiver moved samples by −2.15 s).
    for nano in [i32::MIN, -1_000_000_001, 1_000_000_001, i32::MAX] {
        let mut s = pvt(494_575_000, (2017, 12, 1), (17, 22, 37), 0x07, nano, 3, 0x01);
        s.extend(eoe(494_575_000));
        let mut d = StreamDecoder::new(Assembler::new());
        let mut v = Vec::new();
        d.feed(&s, None, |e| v.push(e));
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].time, v[0].time_valid), (None, false), "nano {nano}");
    }
}

#[test]
fn sec_sig_spoofing_holds_across_epochs_until_it_says_otherwise() {
    // SEC-SIG version 2 (class 0x27, id 0x09): spoofing detection on, state in bits 4..6.
    let sec = |state: u8| ubx_frame(0x27, 0x09, &[2, 0x08 | (state << 4), 0, 0]);
    let itow = |s: u32| 4 * 86_400_000 + 19 * 3_600_000 + 33 * 60_000 + s * 1000 + 18_000;
    let mut b = Vec::new();
    for (s, spoof) in [(34u32, Some(3u8)), (35, None), (36, Some(1))] {
        b.extend(pvt(itow(s), (2025, 7, 31), (19, 33, s as u8), 0x37, 0, 3, 0x01));
        b.extend(spoof.map(sec).unwrap_or_default());
        b.extend(eoe(itow(s)));
    }
    let es = run(&b);
    assert_eq!(es.iter().map(|e| e.spoofing).collect::<Vec<_>>(), [Some(3), Some(3), Some(1)]);
}
