//! The encoders' output, decoded by timed-core's own pipeline: what the daemon will see.

use super::*;
use crate::scenario::{Gnss, Protocol};
use crate::sky::qerr_ps;
use timed_core::epoch::{Assembler, Epoch, Fix, LeapSource, TimeSource};
use timed_core::framer::{Frame, Framer};
use timed_core::stream::StreamDecoder;
use timed_core::ubx::{AntennaPower, AntennaStatus, Ubx};

/// 2025-07-31T19:33:34Z.
const T0: i64 = 1_753_990_414;

fn bytes_for(s: &Scenario, seconds: std::ops::Range<i64>, active: impl Fn(u64) -> Active) -> Vec<u8> {
    let sky = Sky::new(s);
    let mut fill = 0;
    let mut out = Vec::new();
    for (i, t) in seconds.enumerate() {
        out.extend(compose(s, &sky, t, i as u64, &active(i as u64), &mut fill).frames.concat());
    }
    out
}

fn decode(bytes: &[u8]) -> (Vec<Epoch>, StreamDecoder) {
    let mut d = StreamDecoder::new(Assembler::new());
    let mut v = Vec::new();
    // Odd chunk sizes: results must not depend on how the pty delivers the bytes.
    for chunk in bytes.chunks(37) {
        d.feed(chunk, None, |e| v.push(e));
    }
    d.finish(|e| v.push(e));
    (v, d)
}

fn unix(e: &Epoch) -> i64 {
    e.time.expect("epoch time").unix().0
}

fn assert_clean(d: &StreamDecoder) {
    let (f, s) = (d.framer_stats(), d.decode_stats());
    assert_eq!((f.garbage_bytes, f.nmea_checksum_errors, f.ubx_checksum_errors, f.oversize), (0, 0, 0, 0));
    assert_eq!((s.nmea_errors, s.ubx_errors), (0, 0));
}

#[test]
fn ubx_nmea_round_trips_one_valid_epoch_per_second() {
    let s = Scenario::default();
    let (es, d) = decode(&bytes_for(&s, T0..T0 + 3, |_| Active::default()));
    assert_clean(&d);
    assert_eq!(es.iter().map(unix).collect::<Vec<_>>(), [T0, T0 + 1, T0 + 2]);
    let sky = Sky::new(&s);
    for e in &es {
        let t = unix(e);
        assert_eq!(e.time.map(|t| t.time.nanos), Some(0));
        assert!(e.time_valid, "{e:?}");
        assert_eq!(e.time_source, Some(TimeSource::NavTimeUtc));
        assert_eq!((e.fix, e.fix_ok), (Fix::ThreeD, true));
        assert_eq!(e.tacc_ns, Some(20));
        let sats = sky.at(t, true);
        assert_eq!(e.sats_seen, Some(12));
        assert_eq!(e.sats_used, Some(sats.iter().filter(|x| x.used).count() as u16));
        for (got, want) in e.satellites.iter().zip(&sats) {
            assert_eq!(got.sv_id, u16::from(want.sv_id));
            assert_eq!(got.elev_deg, Some(i16::from(want.elev_deg)));
            assert_eq!(got.azim_deg, Some(want.azim_deg));
            assert_eq!((got.cno_dbhz, got.used), (Some(want.cno_dbhz), want.used));
        }
        let gal =
            e.constellations.iter().find(|c| c.constellation == timed_core::gnss::Constellation::Galileo);
        assert_eq!(gal.map(|c| c.seen), Some(6));
        let pulse = e.next_pulse.expect("TIM-TP");
        assert_eq!(pulse.utc.map(|u| u.unix()), Some((t + 1, 0)));
        assert_eq!(pulse.qerr_ps, Some(qerr_ps(&s, t + 1)));
        assert!(!pulse.time_base_utc);
        let pos = e.position.expect("position");
        assert!((pos.lat_deg - 47.3769).abs() < 1e-7 && (pos.lon_deg - 8.5417).abs() < 1e-7);
        assert!((pos.alt_hae_m.unwrap() - 456.0).abs() < 1e-3);
        assert_eq!(e.pdop, Some(1.2));
        // Leap seconds from NAV-TIMELS (sent in second 0, remembered after).
        assert_eq!(e.leap.current_s, Some(18));
        assert!(e.leap.valid);
        assert_eq!(e.leap.source, LeapSource::NavTimeLs(2));
        assert_eq!(e.leap.event, None);
    }
    // MON-RF only in the first second (every 10 s).
    assert_eq!(es[0].antenna, Some(AntennaStatus::Ok));
    assert_eq!(es[0].antenna_power, Some(AntennaPower::On));
    assert_eq!(es[0].jamming.map(|j| (j.state, j.indicator < 50)), Some((1, true)));
    assert_eq!(es[1].antenna, None);
}

#[test]
fn nmea_only_round_trips() {
    let s = Scenario { protocol: Protocol::Nmea, ..Scenario::default() };
    let (es, d) = decode(&bytes_for(&s, T0..T0 + 3, |_| Active::default()));
    assert_clean(&d);
    assert_eq!(es.iter().map(unix).collect::<Vec<_>>(), [T0, T0 + 1, T0 + 2]);
    let sky = Sky::new(&s);
    for e in &es {
        assert!(e.time_valid);
        assert_eq!(e.time_source, Some(TimeSource::Zda));
        assert_eq!((e.fix, e.fix_ok), (Fix::ThreeD, true));
        let used = sky.at(unix(e), true).iter().filter(|x| x.used).count() as u16;
        assert_eq!((e.sats_seen, e.sats_used), (Some(12), Some(used)));
        assert_eq!(e.satellites.iter().filter(|x| x.used).count() as u16, used);
        let pos = e.position.expect("position");
        assert!((pos.lat_deg - 47.3769).abs() < 1e-7 && (pos.lon_deg - 8.5417).abs() < 1e-7);
        assert!((pos.alt_msl_m.unwrap() - 408.0).abs() < 0.05);
        assert_eq!(e.next_pulse, None);
    }
}

#[test]
fn ubx_only_round_trips_with_other_constellations() {
    let s = Scenario {
        protocol: Protocol::Ubx,
        constellations: vec![Gnss::Glonass, Gnss::Beidou, Gnss::Gps],
        satellites: 20,
        leap_seconds: 17,
        ..Scenario::default()
    };
    let (es, d) = decode(&bytes_for(&s, T0..T0 + 2, |_| Active::default()));
    assert_clean(&d);
    assert_eq!(es.iter().map(unix).collect::<Vec<_>>(), [T0, T0 + 1]);
    assert_eq!(es[0].sats_seen, Some(20));
    assert_eq!(es[0].leap.current_s, Some(17));
    assert_eq!(es[0].next_pulse.and_then(|p| p.utc).map(|u| u.unix().0), Some(T0 + 1));
    assert_eq!(es[0].messages, 9, "PVT, TIMEUTC, TIM-TP, STATUS, SAT, TIMELS, MON-RF, MON-VER, EOE");
    assert_eq!(es[0].spoofing, Some(1), "NAV-STATUS: no spoofing");
}

#[test]
fn no_fix_clears_validity_everywhere() {
    for protocol in [Protocol::UbxNmea, Protocol::Nmea, Protocol::Ubx] {
        let s = Scenario { protocol, ..Scenario::default() };
        let nofix = Active { no_fix: true, ..Active::default() };
        let (es, d) = decode(&bytes_for(&s, T0..T0 + 2, |_| nofix));
        assert_clean(&d);
        assert_eq!(es.iter().map(unix).collect::<Vec<_>>(), [T0, T0 + 1], "{protocol:?}");
        for e in &es {
            assert!(!e.time_valid, "{protocol:?} {e:?}");
            assert_eq!((e.fix, e.fix_ok), (Fix::None, false), "{protocol:?}");
            assert_eq!(e.position, None);
            if protocol != Protocol::Nmea {
                assert_eq!(e.next_pulse.map(|p| p.qerr_ps), Some(None), "qErr flagged invalid");
                assert_eq!(e.sats_used, Some(0));
            }
        }
    }
}

#[test]
fn wrong_second_labels_the_next_second_and_its_pulse() {
    let s = Scenario::default();
    let (es, _) =
        decode(&bytes_for(&s, T0..T0 + 3, |i| Active { wrong_second: i == 1, ..Active::default() }));
    assert_eq!(es.iter().map(unix).collect::<Vec<_>>(), [T0, T0 + 2, T0 + 2]);
    assert_eq!(es[1].next_pulse.and_then(|p| p.utc).map(|u| u.unix().0), Some(T0 + 3));
}

#[test]
fn silence_pulse_only_and_garbage() {
    let s = Scenario::default();
    let sky = Sky::new(&s);
    let mut n = 0;
    for a in [Active { silence: true, ..Active::default() }, Active { pulse_only: true, ..Active::default() }]
    {
        assert_eq!(compose(&s, &sky, T0, 0, &a, &mut n).len(), 0);
    }
    let normal = compose(&s, &sky, T0, 0, &Active::default(), &mut n).len();
    let junk = compose(&s, &sky, T0, 0, &Active { garbage: true, ..Active::default() }, &mut n);
    assert_eq!(junk.len(), normal);
    let again = compose(&s, &sky, T0, 0, &Active { garbage: true, ..Active::default() }, &mut n);
    assert_eq!(junk.frames, again.frames, "garbage is reproducible from the seed");
    let (es, d) = decode(&junk.frames.concat());
    assert!(es.iter().all(|e| e.time.is_none() || !e.time_valid), "{es:?}");
    assert!(d.framer_stats().garbage_bytes > normal as u64 / 2);
}

#[test]
fn fill_pads_to_the_target_inside_the_epoch() {
    for protocol in [Protocol::UbxNmea, Protocol::Nmea, Protocol::Ubx] {
        let s = Scenario { protocol, fill: 0.95, ..Scenario::default() };
        let sky = Sky::new(&s);
        let len = compose(&s, &sky, T0, 0, &Active::default(), &mut 0).len();
        let target = 11_520.0 * 0.95;
        assert!((len as f64) >= target && (len as f64) < target + 100.0, "{protocol:?}: {len}");
        let (es, d) = decode(&bytes_for(&s, T0..T0 + 3, |_| Active::default()));
        assert_clean(&d);
        assert_eq!(es.iter().map(unix).collect::<Vec<_>>(), [T0, T0 + 1, T0 + 2], "{protocol:?}");
        assert!(es.iter().all(|e| e.time_valid));
        // Receiver info comes from MON-VER (UBX protocols) and never from the TXT padding.
        let ext = &d.assembler().receiver().extensions;
        let want: &[&str] = match protocol {
            Protocol::Nmea => &[],
            _ => &["FWVER=TIM 1.10", "PROTVER=22.00", "MOD=TIMED-SIM (simulated)"],
        };
        assert_eq!(ext, want, "{protocol:?}: padding is not receiver info");
    }
    // Without fill the default burst is far below capacity (~1 kB of 11.5 kB).
    let len =
        compose(&Scenario::default(), &Sky::new(&Scenario::default()), T0, 0, &Active::default(), &mut 0);
    assert!((600..1600).contains(&len.len()), "{}", len.len());
}

#[test]
fn ack_frame_decodes() {
    let mut f = Framer::new();
    let mut got = Vec::new();
    f.feed(&crate::receiver::ack(true, 0x06, 0x8A), |fr| {
        if let Frame::Ubx { class, id, payload } = fr.frame {
            got.push(timed_core::ubx::decode(class, id, payload));
        }
    });
    assert_eq!(got, [Ok(Ubx::Ack { class: 0x06, id: 0x8A })]);
}

/// The UBX (class, id) and NMEA sentence ids of a burst, in order.
fn kinds(b: &Burst) -> Vec<String> {
    let mut v = Vec::new();
    Framer::new().feed(&b.frames.concat(), |f| match f.frame {
        Frame::Ubx { class, id, .. } => v.push(format!("{class:02x}{id:02x}")),
        Frame::Nmea { sentence, .. } => v.push(String::from_utf8_lossy(&sentence[3..6]).into_owned()),
    });
    v
}

#[test]
fn a_factory_part_sends_the_standard_nmea_set_and_only_what_it_is_told() {
    use crate::model::Part;
    use crate::receiver::Receiver;
    let s = Scenario::default();
    let sky = Sky::new(&s);
    for part in [Part::M8n, Part::M8t, Part::F9t] {
        let mut rx = Receiver::new(part, true, &s, false, false);
        let b = compose_with(&s, &sky, T0, 0, &Active::default(), &mut 0, &rx.output());
        let k = kinds(&b);
        let mut names: Vec<&str> = k.iter().map(String::as_str).collect();
        names.dedup();
        assert_eq!(names, ["RMC", "VTG", "GGA", "GSA", "GSV", "GLL"], "{part:?}");
        // CFG-MSG TIM-TP and the RF message on; NMEA off (CFG-PRT out UBX only).
        let rf = part.rf_msg().class_id();
        for (c, i) in [(0x0D, 0x01), rf] {
            rx.handle(0x06, 0x01, &[c, i, 1], 0);
        }
        let mut prt = vec![0u8; 20];
        prt[0] = 1;
        prt[8..12].copy_from_slice(&rx.config().baud.to_le_bytes());
        prt[12] = 0x01;
        prt[14] = 0x01;
        rx.handle(0x06, 0x00, &prt, 0);
        let b = compose_with(&s, &sky, T0, 0, &Active::default(), &mut 0, &rx.output());
        assert_eq!(kinds(&b), ["0d01".to_string(), format!("{:02x}{:02x}", rf.0, rf.1)], "{part:?}");
        let mut f = Framer::new();
        let mut got = Vec::new();
        f.feed(&b.frames.concat(), |fr| {
            if let Frame::Ubx { class, id, payload } = fr.frame {
                got.push(timed_core::ubx::decode(class, id, payload));
            }
        });
        // TIM-TP on the factory UTC grid: the next pulse in UTC weeks and ms.
        match &got[0] {
            Ok(Ubx::TimTp(tp)) => {
                assert!(tp.time_base_utc);
                let utc = timed_core::time::UtcTime::from_gps(u32::from(tp.week), tp.tow_ms, 0, 0);
                assert_eq!(utc.map(|u| u.unix().0), Some(T0 + 1), "{part:?}");
            }
            other => panic!("{part:?}: {other:?}"),
        }
        // The M8's antenna report is MON-HW, the F9's MON-RF; both say the antenna is fine.
        match &got[1] {
            Ok(Ubx::MonHw(hw)) => assert_eq!(hw.antenna, AntennaStatus::Ok),
            Ok(Ubx::MonRf(rf)) => assert_eq!(rf.blocks[0].antenna, AntennaStatus::Ok),
            other => panic!("{part:?}: {other:?}"),
        }
    }
}

#[test]
fn a_two_second_solution_rate_sends_every_other_second() {
    let s = Scenario::default();
    let sky = Sky::new(&s);
    let mut rx = crate::receiver::Receiver::new(crate::model::Part::M8n, true, &s, false, false);
    rx.handle(0x06, 0x08, &[0xE8, 0x03, 2, 0, 1, 0], 0);
    let lens: Vec<usize> = (0..4)
        .map(|i| compose_with(&s, &sky, T0 + i, i as u64, &Active::default(), &mut 0, &rx.output()).len())
        .collect();
    assert!(lens[0] > 0 && lens[1] == 0 && lens[2] > 0 && lens[3] == 0, "{lens:?}");
}

/// The UBX messages and NMEA sentences of one burst of `rx` at second `index`.
fn ubx_and_gga(s: &Scenario, rx: &crate::receiver::Receiver, index: u64) -> (Vec<Ubx>, Vec<String>) {
    let sky = Sky::new(s);
    let b = compose_with(s, &sky, T0 + index as i64, index, &Active::default(), &mut 0, &rx.output());
    let (mut ubx, mut gga) = (Vec::new(), Vec::new());
    Framer::new().feed(&b.frames.concat(), |fr| match fr.frame {
        Frame::Ubx { class, id, payload } => ubx.extend(timed_core::ubx::decode(class, id, payload).ok()),
        Frame::Nmea { sentence, .. } if sentence.windows(4).any(|w| w == b"GGA,") => {
            gga.push(String::from_utf8_lossy(sentence).into_owned())
        }
        _ => {}
    });
    (ubx, gga)
}

/// (NAV-PVT fixType, gnssFixOK, latitude), (NAV-STATUS gpsFix, gpsFixOk), GGA quality field.
fn fix_report(ubx: &[Ubx], gga: &[String]) -> ((u8, bool, f64), (u8, bool), String) {
    let pvt = ubx.iter().find_map(|m| if let Ubx::NavPvt(p) = m { Some(p) } else { None }).expect("NAV-PVT");
    let st =
        ubx.iter().find_map(|m| if let Ubx::NavStatus(s) = m { Some(s) } else { None }).expect("NAV-STATUS");
    let quality = gga.first().expect("GGA").split(',').nth(6).unwrap_or_default().to_string();
    ((pvt.fix_type, pvt.gnss_fix_ok, pvt.lat_deg), (st.gps_fix, st.gps_fix_ok), quality)
}

/// A timing part in fixed time mode reports a time-only fix (NAV-PVT fixType 5, NAV-STATUS
/// gpsFix 5, the fix still OK) at its fixed position, with GGA quality 1 (the NMEA fix-flag
/// tables have no time-only row); before, and on the M8N, a 3D fix. The M8T is given its
/// position (CFG-TMODE2 mode 2); the F9T surveys (CFG-TMODE3 mode 1) until the survey ends.
#[test]
fn a_timing_part_in_fixed_mode_reports_a_time_only_fix_at_its_fixed_position() {
    use crate::model::Part;
    use crate::receiver::Receiver;
    let s = Scenario::default();
    let rates = |rx: &mut Receiver| {
        for id in [0x07, 0x03] {
            rx.handle(0x06, 0x01, &[0x01, id, 1], 0);
        }
    };
    // M8T, given a position 0.001° (111 m) north of the antenna.
    let mut m8t = Receiver::new(Part::M8t, true, &s, false, false);
    rates(&mut m8t);
    let (ubx, gga) = ubx_and_gga(&s, &m8t, 0);
    let ((ft, ok, lat), (gf, gok), q) = fix_report(&ubx, &gga);
    assert_eq!((ft, ok, gf, gok, q.as_str()), (3, true, 3, true, "1"), "before time mode: 3D");
    assert!((lat - s.position.lat_deg).abs() < 1e-6);
    let given = crate::scenario::Position { lat_deg: s.position.lat_deg + 0.001, ..s.position };
    let ecef = crate::survey::ecef_01mm(&given).map(|v| (v / 100) as i32);
    let mut tm2 = vec![0u8; 28];
    tm2[0] = 2;
    for (i, v) in ecef.iter().enumerate() {
        tm2[4 + 4 * i..8 + 4 * i].copy_from_slice(&v.to_le_bytes());
    }
    tm2[16..20].copy_from_slice(&1000u32.to_le_bytes());
    m8t.handle(0x06, 0x3D, &tm2, 0);
    let (ubx, gga) = ubx_and_gga(&s, &m8t, 1);
    let ((ft, ok, lat), (gf, gok), q) = fix_report(&ubx, &gga);
    assert_eq!((ft, ok, gf, gok, q.as_str()), (5, true, 5, true, "1"), "fixed: time only, still a fix");
    assert!((lat - given.lat_deg).abs() < 1e-6, "the fixed position is reported: {lat}");
    // The same burst through timed-core's pipeline: a time-only fix the receiver vouches for.
    let sky = Sky::new(&s);
    let b = compose_with(&s, &sky, T0 + 1, 1, &Active::default(), &mut 0, &m8t.output());
    let (epochs, d) = decode(&b.frames.concat());
    assert_clean(&d);
    assert_eq!(epochs.iter().map(|e| (e.fix, e.fix_ok)).collect::<Vec<_>>(), [(Fix::TimeOnly, true)]);

    // F9T surveying: a 3D fix while the survey runs, time only once it has ended.
    let mut f9t = Receiver::new(Part::F9t, true, &s, false, false);
    rates(&mut f9t);
    let mut tm3 = vec![0u8; 40];
    tm3[2] = 1;
    tm3[24..28].copy_from_slice(&3u32.to_le_bytes());
    tm3[28..32].copy_from_slice(&10_000_000u32.to_le_bytes());
    f9t.handle(0x06, 0x71, &tm3, 0);
    f9t.tick(0, true, 0, &s.position);
    assert!(f9t.survey.active);
    assert_eq!(fix_report(&ubx_and_gga(&s, &f9t, 1).0, &ubx_and_gga(&s, &f9t, 1).1).0 .0, 3);
    for i in 1..=3 {
        f9t.tick(i, true, 0, &s.position);
    }
    assert!(f9t.survey.valid && !f9t.survey.active);
    let (ubx, gga) = ubx_and_gga(&s, &f9t, 4);
    let ((ft, ok, _), (gf, gok), q) = fix_report(&ubx, &gga);
    assert_eq!((ft, ok, gf, gok, q.as_str()), (5, true, 5, true, "1"));
    // An M8N has no time mode: always 3D.
    let mut m8n = Receiver::new(Part::M8n, true, &s, false, false);
    rates(&mut m8n);
    assert_eq!(m8n.handle(0x06, 0x3D, &tm2, 0).frames.len(), 1, "NAK");
    assert_eq!(fix_report(&ubx_and_gga(&s, &m8n, 1).0, &ubx_and_gga(&s, &m8n, 1).1).0 .0, 3);
}
