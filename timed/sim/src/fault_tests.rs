//! Each fault kind, decoded by timed-core's own pipeline from the bytes the simulator writes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::burst::compose;
use crate::scenario::{Protocol, Scenario};
use crate::sky::{true_label, Sky};
use timed_core::epoch::{Assembler, Epoch, Fix, Jamming, LeapEvent, LeapSource};
use timed_core::framer::{Frame, Framer};
use timed_core::stream::StreamDecoder;
use timed_core::ubx::{AntennaStatus, Ubx};

/// 2025-07-31T19:33:34Z.
const T0: i64 = 1_753_990_414;
/// 2017-01-01T00:00:00Z, right after the leap second 2016-12-31T23:59:60Z.
const M: i64 = 1_483_228_800;

fn scenario(protocol: Protocol, faults: &str) -> Scenario {
    Scenario { protocol, ..Scenario::from_toml(faults).unwrap() }
}

/// The bytes of `n` seconds from true second `first`, faults as the scenario says.
fn bytes(s: &Scenario, first: i64, n: u64) -> Vec<Vec<u8>> {
    let sky = Sky::new(s);
    let mut fill = 0;
    (0..n).map(|i| compose(s, &sky, first + i as i64, i, &s.active(i), &mut fill).frames.concat()).collect()
}

/// One epoch per second (None for a silent second).
fn epochs(s: &Scenario, first: i64, n: u64) -> Vec<Option<Epoch>> {
    let mut d = StreamDecoder::new(Assembler::new());
    let mut out: Vec<Option<Epoch>> = vec![None; n as usize];
    let mut got = Vec::new();
    // (second, its bytes were fed): NMEA has no end-of-epoch marker, so a second's epoch comes
    // out when the next second's first sentence arrives (or at the end of the stream).
    let mut last_sent = None;
    for (i, b) in bytes(s, first, n).iter().enumerate() {
        for chunk in b.chunks(37) {
            d.feed(chunk, None, |e| got.push(e));
        }
        let owner = if s.protocol == Protocol::Nmea { last_sent } else { Some(i) };
        if let (Some(o), Some(e)) = (owner, got.pop()) {
            out[o] = Some(e);
        }
        assert!(got.is_empty(), "one epoch per second: {got:?}");
        if !b.is_empty() {
            last_sent = Some(i);
        }
    }
    d.finish(|e| got.push(e));
    if let (Some(o), Some(e)) = (last_sent, got.pop()) {
        out[o] = Some(e);
    }
    let (f, st) = (d.framer_stats(), d.decode_stats());
    assert_eq!((f.garbage_bytes, f.ubx_checksum_errors, f.nmea_checksum_errors, st.ubx_errors), (0, 0, 0, 0));
    out
}

/// Every UBX message of one second's bytes.
fn ubx(b: &[u8]) -> Vec<Ubx> {
    let mut f = Framer::new();
    let mut v = Vec::new();
    f.feed(b, |fr| {
        if let Frame::Ubx { class, id, payload } = fr.frame {
            v.push(timed_core::ubx::decode(class, id, payload).unwrap());
        }
    });
    v
}

fn label(e: &Option<Epoch>) -> String {
    e.as_ref().and_then(|e| e.time).map(|t| t.rfc3339_millis()).unwrap_or_default()
}

#[test]
fn parameters_are_checked_by_kind_and_name() {
    let s = Scenario::from_toml(
        "[[fault]]\nkind = \"jamming\"\njam_state = 2\njam_ind = 90\n\
         [[fault]]\nkind = \"time_shift\"\nshift_ns = -2000000\nfrom_s = 3\n\
         [[fault]]\nkind = \"leap\"\nsign = -1\n",
    )
    .unwrap();
    assert_eq!(s.active(0).jamming, Some((2, 90)));
    assert_eq!((s.active(2).time_shift_ns, s.active(3).time_shift_ns), (0, -2_000_000));
    assert_eq!(s.leap_fault(), Some((-1, 0, 0)));
    let d = Scenario::from_toml("[[fault]]\nkind = \"jamming\"\n[[fault]]\nkind = \"spoofing\"\n").unwrap();
    assert_eq!((d.active(0).jamming, d.active(0).spoofing), (Some((3, 200)), Some(2)));
    for (toml, key) in [
        ("kind = \"silence\"\nshift_ns = 5", "shift_ns"),
        ("kind = \"jamming\"\nspoof_state = 2", "spoof_state"),
        ("kind = \"tacc_bad\"\ndistance_m = 5.0", "distance_m"),
        ("kind = \"time_shift\"\nshift_ms = 5", "shift_ms"),
        ("kind = \"leap\"\nsign = 2", "sign"),
        ("kind = \"time_shift\"\nshift_ns = 1000000000", "shift_ns"),
        ("kind = \"spoofing\"\nspoof_state = 4", "spoof_state"),
    ] {
        let e = Scenario::from_toml(&format!("[[fault]]\n{toml}\n")).unwrap_err();
        assert!(e.contains(key), "{toml}: {e}");
    }
    let two = "[[fault]]\nkind = \"leap\"\n[[fault]]\nkind = \"leap\"\nfrom_s = 9\n";
    assert!(Scenario::from_toml(two).unwrap_err().contains("leap"));
}

#[test]
fn antenna_open_and_short_in_mon_rf_and_txt() {
    for (kind, want, txt) in
        [("antenna_open", AntennaStatus::Open, "OPEN"), ("antenna_short", AntennaStatus::Short, "SHORT")]
    {
        let faults = format!("[[fault]]\nkind = \"{kind}\"\nfrom_s = 2\nto_s = 4\n");
        for protocol in [Protocol::UbxNmea, Protocol::Ubx, Protocol::Nmea] {
            let s = scenario(protocol, &faults);
            assert_eq!(s.active(2).names(), [kind]);
            let es = epochs(&s, T0, 6);
            let ant: Vec<Option<AntennaStatus>> = es.iter().map(|e| e.as_ref().unwrap().antenna).collect();
            let (ok, rf) = (Some(AntennaStatus::Ok), Some(AntennaStatus::Ok));
            // MON-RF every 10 s and at each change; a TXT state persists in the decoder.
            let expect = match protocol {
                Protocol::UbxNmea => [rf, None, Some(want), Some(want), ok, ok],
                Protocol::Ubx => [rf, None, Some(want), None, rf, None],
                Protocol::Nmea => [None, None, Some(want), Some(want), ok, ok],
            };
            assert_eq!(ant, expect, "{kind} {protocol:?}");
            let b = bytes(&s, T0, 6);
            let said =
                |i: usize, what: &str| String::from_utf8_lossy(&b[i]).contains(&format!("ANTSTATUS={what}"));
            let nmea = protocol != Protocol::Ubx;
            assert_eq!(
                (said(2, txt), said(3, txt), said(4, "OK")),
                (nmea, false, nmea),
                "{kind} {protocol:?}"
            );
        }
    }
}

#[test]
fn jamming_and_spoofing() {
    let s = scenario(
        Protocol::UbxNmea,
        "[[fault]]\nkind = \"jamming\"\nfrom_s = 1\nto_s = 2\n\
         [[fault]]\nkind = \"jamming\"\njam_state = 2\njam_ind = 120\nfrom_s = 2\nto_s = 3\n\
         [[fault]]\nkind = \"spoofing\"\nfrom_s = 1\nto_s = 2\n\
         [[fault]]\nkind = \"spoofing\"\nspoof_state = 3\nfrom_s = 2\nto_s = 3\n",
    );
    let es: Vec<Epoch> = epochs(&s, T0, 4).into_iter().map(Option::unwrap).collect();
    let jam: Vec<Option<Jamming>> = es.iter().map(|e| e.jamming).collect();
    let j = |state, indicator| Some(Jamming { state, indicator });
    assert_eq!(jam, [j(1, 8), j(3, 200), j(2, 120), j(1, 8)]);
    assert_eq!(es.iter().map(|e| e.spoofing).collect::<Vec<_>>(), [Some(1), Some(2), Some(3), Some(1)]);
    assert!(es.iter().all(|e| e.time_valid), "neither touches the time the receiver reports");
    assert_eq!(s.active(1).names(), ["jamming", "spoofing"]);
}

#[test]
fn position_jump_moves_every_report_north() {
    let (lat0, lon0) = (47.3769f64, 8.5417);
    for protocol in [Protocol::UbxNmea, Protocol::Ubx, Protocol::Nmea] {
        let s = scenario(
            protocol,
            "[[fault]]\nkind = \"position_jump\"\ndistance_m = 500.0\nfrom_s = 1\nto_s = 2\n",
        );
        let es: Vec<Epoch> = epochs(&s, T0, 3).into_iter().map(Option::unwrap).collect();
        let moved: Vec<f64> = es
            .iter()
            .map(|e| {
                let p = e.position.unwrap();
                assert!((p.lon_deg - lon0).abs() < 1e-7, "{protocol:?}: only north");
                (p.lat_deg - lat0).to_radians() * 6_371_008.8
            })
            .collect();
        // NMEA carries 1e-5 arc minutes (~2 cm), UBX 1e-7 degrees.
        assert!(moved[0].abs() < 0.05 && moved[2].abs() < 0.05, "{protocol:?} {moved:?}");
        assert!((moved[1] - 500.0).abs() < 0.05, "{protocol:?} {moved:?}");
    }
    let rmc = String::from_utf8(
        bytes(&scenario(Protocol::Nmea, "[[fault]]\nkind = \"position_jump\"\n"), T0, 1).concat(),
    )
    .unwrap();
    // 500 m (the default) north of 47°22.61400' is 47°22.88380'.
    assert!(rmc.contains("RMC,193334.00,A,4722.88380,N,00832.50200,E"), "{rmc}");
}

#[test]
fn tacc_bad_in_pvt_and_timeutc() {
    let s = scenario(Protocol::Ubx, "[[fault]]\nkind = \"tacc_bad\"\ntacc_ns = 5000\nfrom_s = 1\nto_s = 2\n");
    let b = bytes(&s, T0, 3);
    let tacc = |i: usize| -> Vec<u32> {
        ubx(&b[i])
            .into_iter()
            .filter_map(|m| match m {
                Ubx::NavPvt(p) => Some(p.tacc_ns),
                Ubx::NavTimeUtc(t) => Some(t.tacc_ns),
                _ => None,
            })
            .collect()
    };
    assert_eq!([tacc(0), tacc(1), tacc(2)], [[20, 20], [5000, 5000], [20, 20]]);
    let es = epochs(&s, T0, 3);
    assert_eq!(es[1].as_ref().unwrap().tacc_ns, Some(5000));
    assert!(es[1].as_ref().unwrap().time_valid, "a bad tAcc is still a valid time");
}

#[test]
fn power_cycle_is_nothing_then_a_cold_start() {
    for protocol in [Protocol::UbxNmea, Protocol::Ubx, Protocol::Nmea] {
        let s = scenario(protocol, "[[fault]]\nkind = \"power_cycle\"\nfrom_s = 2\nto_s = 5\n");
        let b = bytes(&s, T0, 12);
        let silent: Vec<usize> = (0..12).filter(|&i| b[i].is_empty()).collect();
        assert_eq!(silent, [2, 3, 4], "{protocol:?}");
        let pulses: Vec<bool> = (0..12).map(|i| s.active(i).pulse()).collect();
        assert_eq!(pulses.iter().filter(|p| !**p).count(), 3);
        assert!(!pulses[2] && !pulses[4] && pulses[5]);
        let es = epochs(&s, T0, 12);
        for (i, e) in es.iter().enumerate() {
            let Some(e) = e else {
                assert!((2..5).contains(&i), "{protocol:?} {i}");
                continue;
            };
            let cold = (5..10).contains(&i);
            assert_eq!(e.time_valid, !cold, "{protocol:?} second {i}");
            assert_eq!(e.fix == Fix::None, cold, "{protocol:?} second {i}");
        }
        assert_eq!(s.active(5).names(), ["cold_start"]);
        assert_eq!(s.active(3).names(), ["power_cycle"]);
        if protocol == Protocol::Ubx {
            // NAV-STATUS msss restarts with the receiver.
            let msss = |i: usize| {
                ubx(&b[i]).into_iter().find_map(|m| {
                    if let Ubx::NavStatus(st) = m {
                        Some(st.msss_ms)
                    } else {
                        None
                    }
                })
            };
            assert_eq!([msss(1), msss(5), msss(6)], [Some(1000), Some(0), Some(1000)]);
        }
    }
}

#[test]
fn leap_insert_labels_235960_and_counts_after_it() {
    // UBX+NMEA too: timed-core's assembler keys NMEA by time of day and UBX by iTOW, and
    // 23:59:60 (86 400 000 ms of day) must still be the same epoch as that second's iTOW (it
    // was two, the regression `epochs` catches with its one-epoch-per-second check).
    for protocol in [Protocol::Ubx, Protocol::Nmea, Protocol::UbxNmea] {
        let mut s = scenario(protocol, "[[fault]]\nkind = \"leap\"\nsign = 1\nfrom_s = 1\n");
        s.timels_every_s = 1;
        s.leap_seconds = 17;
        // The run starts at 23:59:56 (count M − 4) and the window in the same day.
        let es = epochs(&s, M - 4, 7);
        let labels: Vec<String> = es.iter().map(label).collect();
        assert_eq!(
            labels,
            [
                "2016-12-31T23:59:56.000Z",
                "2016-12-31T23:59:57.000Z",
                "2016-12-31T23:59:58.000Z",
                "2016-12-31T23:59:59.000Z",
                "2016-12-31T23:59:60.000Z",
                "2017-01-01T00:00:00.000Z",
                "2017-01-01T00:00:01.000Z",
            ],
            "{protocol:?}"
        );
        assert!(es.iter().all(|e| e.as_ref().unwrap().time_valid), "{protocol:?}");
        if protocol == Protocol::Nmea {
            continue;
        }
        let ls: Vec<Option<i8>> = es.iter().map(|e| e.as_ref().unwrap().leap.current_s).collect();
        assert_eq!(ls, [Some(17), Some(17), Some(17), Some(17), Some(17), Some(18), Some(18)]);
        let ev = es[2].as_ref().unwrap().leap;
        // 2016-12-31 is the Saturday (day 7, 1 = Sunday) of GPS week 1929.
        assert_eq!(ev.event, Some(LeapEvent { change: 1, gps_week: 1929, gps_day: 7 }));
        assert_eq!(ev.source, LeapSource::NavTimeLs(2));
        assert_eq!(es[0].as_ref().unwrap().leap.event, None, "announced from the window on");
        let b = bytes(&s, M - 4, 7);
        let ttl: Vec<i32> = (1..7)
            .map(|i| {
                ubx(&b[i])
                    .into_iter()
                    .find_map(|m| if let Ubx::NavTimeLs(l) = m { Some(l.time_to_ls_event_s) } else { None })
                    .unwrap()
            })
            .collect();
        assert_eq!(ttl, [3, 2, 1, 0, -1, -2]);
        // NAV-PVT says :60 too; TIM-TP announces one pulse per true second across the leap.
        let pvt_sec =
            ubx(&b[4]).into_iter().find_map(|m| if let Ubx::NavPvt(p) = m { Some(p.sec) } else { None });
        assert_eq!(pvt_sec, Some(60));
        let next: Vec<i64> =
            es.iter().map(|e| e.as_ref().unwrap().next_pulse.unwrap().tow_ms as i64).collect();
        assert!(next.windows(2).all(|w| w[1] - w[0] == 1000), "{next:?}");
    }
    let s = Scenario::from_toml("[[fault]]\nkind = \"leap\"\nfrom_s = 1\n").unwrap();
    let b = bytes(&s, M - 4, 6);
    let text = |i: usize| String::from_utf8_lossy(&b[i]).into_owned();
    for (i, hms, date) in [(3, "235959.00", "311216"), (4, "235960.00", "311216"), (5, "000000.00", "010117")]
    {
        assert!(
            text(i).contains(&format!("RMC,{hms},A,")) && text(i).contains(&format!(",{date},")),
            "{}",
            text(i)
        );
        assert!(text(i).contains(&format!("ZDA,{hms},")), "{}", text(i));
    }
    let sec = |i: usize| {
        ubx(&b[i]).into_iter().find_map(|m| if let Ubx::NavTimeUtc(u) = m { Some(u.sec) } else { None })
    };
    assert_eq!([sec(3), sec(4), sec(5)], [Some(59), Some(60), Some(0)]);
    let truth: Vec<(i64, bool)> = (M - 1..M + 2).map(|c| true_label(&s, M - 4, c)).collect();
    assert_eq!(truth, [(M - 1, false), (M, true), (M, false)]);
}

#[test]
fn a_leap_days_ahead_is_announced_the_day_before_and_happens_on_its_day() {
    // From 2016-12-30T23:59:57: NAV-TIMELS already names 2016-12-31 (GPS week 1929, day 7),
    // the midnight into the 31st passes without a leap, and the leap's count is the next one.
    let mut s = scenario(Protocol::Ubx, "[[fault]]\nkind = \"leap\"\ndays_ahead = 1\n");
    s.timels_every_s = 1;
    s.leap_seconds = 17;
    let es = epochs(&s, M - 86_400 - 3, 5);
    let labels: Vec<String> = es.iter().map(label).collect();
    assert_eq!(labels[2..4], ["2016-12-30T23:59:59.000Z", "2016-12-31T00:00:00.000Z"]);
    let ev = es[0].as_ref().unwrap().leap.event;
    assert_eq!(ev, Some(LeapEvent { change: 1, gps_week: 1929, gps_day: 7 }));
    assert_eq!(true_label(&s, M - 86_400 - 3, M), (M, true), "23:59:60 at the end of the 31st");
    let bad = Scenario::from_toml("[[fault]]\nkind = \"jamming\"\ndays_ahead = 1\n").unwrap_err();
    assert!(bad.contains("days_ahead"), "{bad}");
}

#[test]
fn leap_removal_skips_235959() {
    let mut s = scenario(Protocol::UbxNmea, "[[fault]]\nkind = \"leap\"\nsign = -1\n");
    s.timels_every_s = 1;
    let es = epochs(&s, M - 3, 4);
    let labels: Vec<String> = es.iter().map(label).collect();
    let want = [
        "2016-12-31T23:59:57.000Z",
        "2016-12-31T23:59:58.000Z",
        "2017-01-01T00:00:00.000Z",
        "2017-01-01T00:00:01.000Z",
    ];
    assert_eq!(labels, want);
    let ls: Vec<Option<i8>> = es.iter().map(|e| e.as_ref().unwrap().leap.current_s).collect();
    assert_eq!(ls, [Some(18), Some(18), Some(17), Some(17)]);
    assert_eq!(es[0].as_ref().unwrap().leap.event.map(|e| e.change), Some(-1));
    assert_eq!(true_label(&s, M - 3, M - 1), (M, false));
}

#[test]
fn stale_leap_is_one_second_ahead_with_valid_flags() {
    for protocol in [Protocol::UbxNmea, Protocol::Ubx, Protocol::Nmea] {
        let s = scenario(protocol, "[[fault]]\nkind = \"stale_leap\"\n");
        let es: Vec<Epoch> = epochs(&s, T0, 3).into_iter().map(Option::unwrap).collect();
        let t: Vec<i64> = es.iter().map(|e| e.time.unwrap().unix().0).collect();
        assert_eq!(t, [T0 + 1, T0 + 2, T0 + 3], "{protocol:?}: labelled with 17 s instead of 18");
        assert!(es.iter().all(|e| e.time_valid), "{protocol:?}: validity flags still set");
    }
    let mut s = scenario(Protocol::Ubx, "[[fault]]\nkind = \"stale_leap\"\n");
    s.timels_every_s = 1;
    let b = bytes(&s, T0, 1);
    let ls =
        ubx(&b[0]).into_iter().find_map(|m| if let Ubx::NavTimeLs(l) = m { Some(l) } else { None }).unwrap();
    assert_eq!((ls.src_of_curr_ls, ls.curr_ls, ls.valid_curr_ls), (0, 17, true));
    let e = epochs(&s, T0, 1).pop().flatten().unwrap();
    assert_eq!((e.leap.current_s, e.leap.valid, e.leap.source), (Some(17), false, LeapSource::NavTimeLs(0)));
    // GPS time itself is right: TIM-TP's next pulse is the true next second.
    assert_eq!(e.next_pulse.unwrap().tow_ms, ubx_tow_of(T0 + 1));
}

/// GPS time of week (ms) of POSIX second `t` with 18 leap seconds.
fn ubx_tow_of(t: i64) -> u32 {
    ((t - timed_core::time::GPS_EPOCH_UNIX + 18).rem_euclid(604_800) * 1000) as u32
}

#[test]
fn spoofing_shows_in_sec_sig_too_when_the_firmware_sends_it() {
    // SEC-SIG every 10 s and on a change: at second 0, at the spoofing's start (3) and end (5).
    let mut s = scenario(
        Protocol::UbxNmea,
        "[[fault]]\nkind = \"spoofing\"\nspoof_state = 3\nfrom_s = 3\nto_s = 5\n",
    );
    s.secsig_every_s = 10;
    let b = bytes(&s, T0, 7);
    let sec: Vec<Option<u8>> = b
        .iter()
        .map(|x| {
            ubx(x).into_iter().find_map(|m| if let Ubx::SecSig(g) = m { Some(g.spoofing()) } else { None })
        })
        .collect();
    assert_eq!(sec, [Some(1), None, None, Some(3), None, Some(1), None]);
    let es = epochs(&s, T0, 7);
    let spoofing: Vec<Option<u8>> = es.iter().map(|e| e.as_ref().unwrap().spoofing).collect();
    assert_eq!(spoofing, [Some(1), Some(1), Some(1), Some(3), Some(3), Some(1), Some(1)]);
    let plain = scenario(Protocol::UbxNmea, "");
    assert!(bytes(&plain, T0, 1)[0].windows(4).all(|w| w != [0xB5, 0x62, 0x27, 0x09]), "off by default");
}
