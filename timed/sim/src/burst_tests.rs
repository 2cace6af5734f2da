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
