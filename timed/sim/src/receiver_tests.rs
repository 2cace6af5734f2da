use super::*;
use crate::keys::Msg;
use timed_core::framer::{ubx_frame, Frame, Framer};

fn rx(part: Part, factory: bool) -> Receiver {
    Receiver::new(part, factory, &Scenario::default(), false, false)
}

/// The frames of a reply as (class, id, payload).
fn frames(r: &Reply) -> Vec<(u8, u8, Vec<u8>)> {
    let mut out = Vec::new();
    Framer::new().feed(&r.frames.concat(), |f| {
        if let Frame::Ubx { class, id, payload } = f.frame {
            out.push((class, id, payload.to_vec()));
        }
    });
    out
}

fn send(rx: &mut Receiver, class: u8, id: u8, p: &[u8]) -> Vec<(u8, u8, Vec<u8>)> {
    frames(&rx.handle(class, id, p, 0))
}

const ACKED: (u8, u8) = (0x05, 0x01);
const NAKED: (u8, u8) = (0x05, 0x00);

fn only(v: &[(u8, u8, Vec<u8>)]) -> (u8, u8, Vec<u8>) {
    assert_eq!(v.len(), 1, "{v:02x?}");
    v[0].clone()
}

fn valset(layers: u8, items: &[(u32, &[u8])]) -> Vec<u8> {
    let mut p = vec![0, layers, 0, 0];
    for (k, v) in items {
        p.extend(k.to_le_bytes());
        p.extend(*v);
    }
    p
}

fn valget(layer: u8, keys: &[u32]) -> Vec<u8> {
    let mut p = vec![0, layer, 0, 0];
    for k in keys {
        p.extend(k.to_le_bytes());
    }
    p
}

#[test]
fn mon_ver_names_the_part_and_its_protocol() {
    for (part, protver) in
        [(Part::M8n, "PROTVER=18.00"), (Part::M8t, "PROTVER=22.00"), (Part::F9t, "PROTVER=29.20")]
    {
        let (class, id, p) = only(&send(&mut rx(part, true), 0x0A, 0x04, &[]));
        assert_eq!((class, id), (0x0A, 0x04));
        assert_eq!((p.len() - 40) % 30, 0);
        let ext: Vec<String> = p[40..]
            .chunks(30)
            .map(|c| String::from_utf8_lossy(c).trim_end_matches('\0').to_string())
            .collect();
        assert!(ext.iter().any(|e| e == protver), "{part:?}: {ext:?}");
    }
}

#[test]
fn legacy_polls_answer_then_ack_and_sets_change_the_output() {
    let mut r = rx(Part::M8t, true);
    let got = send(&mut r, 0x06, 0x00, &[1]);
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0, got[0].1, got[1].0, got[1].1), (0x06, 0x00, 0x05, 0x01));
    let prt = &got[0].2;
    assert_eq!(u32::from_le_bytes(prt[8..12].try_into().unwrap()), 9600);
    assert_eq!((prt[12], prt[14]), (0x23, 0x03), "in UBX+NMEA+RTCM3, out UBX+NMEA");
    // CFG-MSG NAV-PVT on the current port: acked, then in the output.
    assert_eq!(only(&send(&mut r, 0x06, 0x01, &[0x01, 0x07, 1])), (0x05, 0x01, vec![0x06, 0x01]));
    assert_eq!(r.config().rate(Msg::NavPvt), 1);
    let poll = send(&mut r, 0x06, 0x01, &[0x01, 0x07]);
    assert_eq!(poll[0].2, [0x01, 0x07, 0, 1, 0, 0, 0, 0]);
    // MON-RF is not an M8 message: refused.
    assert_eq!(only(&send(&mut r, 0x06, 0x01, &[0x0A, 0x38, 1])).1, 0x00);
    // CFG-RATE poll: 1000 ms, 1 cycle, GPS time.
    assert_eq!(send(&mut r, 0x06, 0x08, &[])[0].2, [0xE8, 0x03, 1, 0, 1, 0]);
}

#[test]
fn baud_change_is_acked_at_the_old_speed_then_switched() {
    let mut r = rx(Part::M8n, true);
    let mut prt = vec![0u8; 20];
    prt[0] = 1;
    prt[4..8].copy_from_slice(&0x8C0u32.to_le_bytes());
    prt[8..12].copy_from_slice(&115_200u32.to_le_bytes());
    prt[12] = 0x01;
    prt[14] = 0x01;
    let reply = r.handle(0x06, 0x00, &prt, 3);
    assert_eq!(reply.baud_after, Some(115_200));
    assert_eq!(frames(&reply), [(0x05, 0x01, vec![0x06, 0x00])]);
    let c = r.config();
    assert!(c.out_ubx && !c.out_nmea && c.in_ubx);
    prt[8..12].copy_from_slice(&12_345u32.to_le_bytes());
    assert_eq!(only(&send(&mut r, 0x06, 0x00, &prt)).1, 0x00, "no such speed");
    assert_eq!(r.config().baud, 115_200);
}

#[test]
fn time_mode_only_where_the_part_has_it() {
    let mut tmode2 = vec![0u8; 28];
    tmode2[0] = 1;
    tmode2[20..24].copy_from_slice(&60u32.to_le_bytes());
    tmode2[24..28].copy_from_slice(&2000u32.to_le_bytes());
    assert_eq!(only(&send(&mut rx(Part::M8n, true), 0x06, 0x3D, &tmode2)).1, 0x00);
    assert_eq!(only(&send(&mut rx(Part::F9t, true), 0x06, 0x3D, &tmode2)).1, 0x00, "the F9T has TMODE3");
    let mut m8t = rx(Part::M8t, true);
    assert_eq!(only(&send(&mut m8t, 0x06, 0x3D, &tmode2)).1, 0x01);
    let tm = m8t.config().tmode;
    assert_eq!((tm.mode, tm.svin_min_dur_s, tm.svin_acc_limit_01mm), (1, 60, 20_000));
    assert_eq!(send(&mut m8t, 0x06, 0x3D, &[])[0].2, tmode2, "the poll gives back what was set");
    // VALSET time mode on an F9T; the M8N has no VALSET at all.
    let set = valset(1, &[(keys::TMODE_MODE, &[1]), (keys::TMODE_SVIN_MIN_DUR, &30u32.to_le_bytes())]);
    assert_eq!(only(&send(&mut rx(Part::M8n, true), 0x06, 0x8A, &set)).1, 0x00);
    let mut f9 = rx(Part::F9t, true);
    assert_eq!(only(&send(&mut f9, 0x06, 0x8A, &set)).1, 0x01);
    assert_eq!(f9.config().tmode.svin_min_dur_s, 30);
}

#[test]
fn valset_with_an_unknown_key_applies_nothing() {
    let mut r = rx(Part::F9t, true);
    let good = (Msg::TimTp.key(), &[1u8][..]);
    let set = valset(1, &[good, (0x2091_ffee, &[1])]);
    assert_eq!(only(&send(&mut r, 0x06, 0x8A, &set)), (0x05, 0x00, vec![0x06, 0x8A]));
    assert_eq!(r.config().rate(Msg::TimTp), 0, "nothing of that message applied");
    assert_eq!(only(&send(&mut r, 0x06, 0x8A, &valset(0, &[good]))).1, 0x00, "no layer");
    assert_eq!(only(&send(&mut r, 0x06, 0x8A, &valset(1, &[good]))).1, 0x01);
    assert_eq!(r.config().rate(Msg::TimTp), 1);
    // Invalid in RAM: a speed the UART does not have.
    let bad = valset(1, &[(keys::UART1_BAUDRATE, &1234u32.to_le_bytes())]);
    assert_eq!(only(&send(&mut r, 0x06, 0x8A, &bad)).1, 0x00);
}

#[test]
fn valget_answers_from_the_requested_layer() {
    let mut r = rx(Part::F9t, true);
    let baud = keys::UART1_BAUDRATE;
    let set = valset(0x01 | 0x04, &[(baud, &115_200u32.to_le_bytes())]);
    let reply = r.handle(0x06, 0x8A, &set, 0);
    assert_eq!(reply.baud_after, Some(115_200));
    assert_eq!(r.flash_writes, 1);
    for (layer, want) in [(0u8, 115_200u32), (2, 115_200), (7, 38_400)] {
        let got = send(&mut r, 0x06, 0x8B, &valget(layer, &[baud]));
        assert_eq!(got.len(), 2, "answer then ACK");
        assert_eq!(got[1], (ACKED.0, ACKED.1, vec![0x06, 0x8B]));
        let mut want_p = vec![1, layer, 0, 0];
        want_p.extend(baud.to_le_bytes());
        want_p.extend(want.to_le_bytes());
        assert_eq!(got[0], (0x06, 0x8B, want_p), "layer {layer}");
    }
    // Nothing in BBR: no answer but a NAK; an unknown key: NAK.
    assert_eq!(only(&send(&mut r, 0x06, 0x8B, &valget(1, &[baud]))).1, NAKED.1);
    assert_eq!(only(&send(&mut r, 0x06, 0x8B, &valget(0, &[baud, 0x4052_0fff]))).1, NAKED.1);
    // VALDEL from flash: the default comes back after a power cycle.
    let mut del = vec![0, 0x04, 0, 0];
    del.extend(baud.to_le_bytes());
    assert_eq!(only(&send(&mut r, 0x06, 0x8C, &del)).1, 0x01);
    r.power_cycle();
    assert_eq!(r.config().baud, 38_400);
}

#[test]
fn a_power_cycle_forgets_ram_and_without_battery_bbr() {
    let tp = (Msg::TimTp.key(), &[1u8][..]);
    let pvt = (Msg::NavPvt.key(), &[1u8][..]);
    for battery in [false, true] {
        let mut r = Receiver::new(Part::F9t, true, &Scenario::default(), battery, false);
        send(&mut r, 0x06, 0x8A, &valset(0x01, &[tp]));
        send(&mut r, 0x06, 0x8A, &valset(0x02, &[pvt]));
        assert_eq!((r.config().rate(Msg::TimTp), r.config().rate(Msg::NavPvt)), (1, 0), "BBR is not RAM");
        r.power_cycle();
        assert_eq!(r.config().rate(Msg::TimTp), 0, "RAM is lost");
        assert_eq!(r.config().rate(Msg::NavPvt), u8::from(battery), "BBR kept only with a battery");
    }
    // The configured (non-factory) state stands in flash: a power cycle keeps it.
    let mut r = rx(Part::F9t, false);
    let before = r.config();
    r.power_cycle();
    assert_eq!(r.config(), before);
    assert_eq!(r.flash_writes, 0);
}

#[test]
fn legacy_cfg_cfg_saves_and_loads_sections() {
    let mut r = rx(Part::M8t, true);
    send(&mut r, 0x06, 0x01, &[0x0D, 0x01, 1]);
    // Save msgConf (bit 1) to flash only.
    let mut cfg = vec![0u8; 13];
    cfg[4] = 0x02;
    cfg[12] = 0x02;
    assert_eq!(only(&send(&mut r, 0x06, 0x09, &cfg)).1, 0x01);
    assert_eq!(r.flash_writes, 1);
    send(&mut r, 0x06, 0x01, &[0x0D, 0x01, 0]);
    // Load msgConf: TIM-TP comes back from flash.
    let mut load = vec![0u8; 13];
    load[8] = 0x02;
    load[12] = 0x02;
    send(&mut r, 0x06, 0x09, &load);
    assert_eq!(r.config().rate(Msg::TimTp), 1);
    // CFG-RST (software reset) is not acknowledged and rebuilds RAM from what was saved.
    send(&mut r, 0x06, 0x01, &[0x01, 0x07, 1]);
    assert!(send(&mut r, 0x06, 0x04, &[0, 0, 1, 0]).is_empty());
    assert_eq!((r.config().rate(Msg::TimTp), r.config().rate(Msg::NavPvt)), (1, 0));
}

#[test]
fn tp5_round_trips_and_moves_the_pulse() {
    let mut r = rx(Part::M8t, true);
    let got = send(&mut r, 0x06, 0x31, &[]);
    let mut tp = got[0].2.clone();
    assert_eq!(tp.len(), 32);
    assert_eq!(i16::from_le_bytes([tp[4], tp[5]]), 50);
    assert_eq!(u32::from_le_bytes(tp[16..20].try_into().unwrap()), 0, "no pulse unlocked");
    assert_eq!(u32::from_le_bytes(tp[20..24].try_into().unwrap()), 100_000);
    let flags = u32::from_le_bytes(tp[28..32].try_into().unwrap());
    assert_eq!(flags, 0x77, "active, lockGnssFreq, lockedOtherSet, isLength, alignToTow, rising, UTC");
    // 30 m of cable as 150 ns, 20 ns user delay, GPS grid.
    tp[4..6].copy_from_slice(&150i16.to_le_bytes());
    tp[24..28].copy_from_slice(&20i32.to_le_bytes());
    tp[28..32].copy_from_slice(&(flags | 1 << 7).to_le_bytes());
    assert_eq!(only(&send(&mut r, 0x06, 0x31, &tp)).1, 0x01);
    let c = r.config();
    assert_eq!(c.pulse(true, 0), Some(50 - 150 + 20));
    assert!(c.tp.grid_gps);
    assert_eq!(send(&mut r, 0x06, 0x31, &[0])[0].2, tp);
}

#[test]
fn ubx_input_off_ignores_ubx() {
    let mut r = rx(Part::F9t, true);
    send(&mut r, 0x06, 0x8A, &valset(1, &[(keys::UART1INPROT_UBX, &[0])]));
    assert!(send(&mut r, 0x0A, 0x04, &[]).is_empty());
}

/// The UBX frames of a real capture, re-framed (the framer checked their checksums).
fn capture_frames(name: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    Framer::new().feed(&timed_testdata::capture(name), |f| {
        if let Frame::Ubx { class, id, payload } = f.frame {
            out.push(ubx_frame(class, id, payload));
        }
    });
    out
}

#[test]
fn replies_match_the_configuration_traffic_of_a_real_m8() {
    // gpsd talking to a u-blox 8 (ROM CORE 3.01, protocol 18): MON-VER, a CFG-PRT poll of the
    // USB port, ACK-ACKs for CFG-PRT and CFG-MSG, ACK-NAKs for CFG-MSG of messages it lacks.
    let real = capture_frames("ublox8-uniqid-monhw.log");
    let find = |class: u8, id: u8| real.iter().find(|f| (f[2], f[3]) == (class, id)).cloned().unwrap();
    let mut m8n = rx(Part::M8n, true);
    let ver = m8n.handle(0x0A, 0x04, &[], 0).frames;
    assert_eq!(ver, [find(0x0A, 0x04)], "MON-VER byte for byte");
    let decoded = |f: &[u8]| timed_core::ubx::decode(f[2], f[3], &f[6..f.len() - 2]);
    assert_eq!(decoded(&ver[0]), decoded(&find(0x0A, 0x04)));
    assert_eq!(m8n.handle(0x06, 0x00, &[3], 0).frames[0], find(0x06, 0x00), "CFG-PRT of the USB port");
    let acks: Vec<&Vec<u8>> = real.iter().filter(|f| f[2] == 0x05).collect();
    assert!(acks.contains(&&ack(true, 0x06, 0x00)) && acks.contains(&&ack(true, 0x06, 0x01)));
    let nak = m8n.handle(0x06, 0x01, &[0x0A, 0x38, 1], 0).frames;
    assert_eq!(nak, [find(0x05, 0x00)], "CFG-MSG of a message the part lacks");
    // The timing parts' MON-VER has the capture's layout (30 + 10 + 30·n) and decodes to
    // their identity with the decoder timed uses.
    for (part, module, protver) in
        [(Part::M8t, "MOD=NEO-M8T-0", "PROTVER=22.00"), (Part::F9t, "MOD=ZED-F9T", "PROTVER=29.20")]
    {
        let f = rx(part, true).handle(0x0A, 0x04, &[], 0).frames.remove(0);
        assert_eq!((f.len() - 8 - 40) % 30, 0);
        match decoded(&f) {
            Ok(timed_core::ubx::Ubx::MonVer(v)) => {
                let ext = &v.extensions;
                assert!(ext.iter().any(|e| e == module) && ext.iter().any(|e| e == protver), "{ext:?}")
            }
            other => panic!("{part:?}: {other:?}"),
        }
    }
}

#[test]
fn valset_transactions_apply_at_the_end_or_not_at_all() {
    let mut r = rx(Part::F9t, true);
    let txn = |action: u8, key: u32| {
        let mut p = vec![1, 0x01, action, 0];
        p.extend(key.to_le_bytes());
        p.push(1);
        p
    };
    let (pvt, tp) = (Msg::NavPvt.key(), Msg::TimTp.key());
    assert_eq!(only(&send(&mut r, 0x06, 0x8A, &txn(1, pvt))).1, 0x01);
    assert_eq!(r.config().rate(Msg::NavPvt), 0, "a started transaction applies nothing yet");
    assert_eq!(only(&send(&mut r, 0x06, 0x8A, &txn(3, tp))).1, 0x01);
    assert_eq!((r.config().rate(Msg::NavPvt), r.config().rate(Msg::TimTp)), (1, 1), "both at the end");
    // Another CFG message cancels a started transaction; applying it then is refused.
    let mut r = rx(Part::F9t, true);
    send(&mut r, 0x06, 0x8A, &txn(1, pvt));
    send(&mut r, 0x06, 0x08, &[]);
    assert_eq!(only(&send(&mut r, 0x06, 0x8A, &txn(3, tp))).1, 0x00);
    assert_eq!((r.config().rate(Msg::NavPvt), r.config().rate(Msg::TimTp)), (0, 0));
}

#[test]
fn survey_status_is_polled_without_an_ack() {
    let mut r = rx(Part::F9t, true);
    let mut tm = vec![0u8; 40];
    tm[2] = 1;
    tm[24..28].copy_from_slice(&3u32.to_le_bytes());
    tm[28..32].copy_from_slice(&1_000_000u32.to_le_bytes());
    assert_eq!(only(&send(&mut r, 0x06, 0x71, &tm)).1, 0x01);
    let pos = Scenario::default().position;
    for i in 0..5 {
        r.tick(i, true, 1000 * i as u32, &pos);
    }
    // Not yet sent: a poll answers the survey of the second on the line (the scheduler sets it
    // at each edge), not one composed ahead.
    let (_, _, p) = only(&send(&mut r, 0x01, 0x3B, &[]));
    assert_eq!((p[36], p[37]), (0, 0), "nothing reported yet");
    r.reported_survey = r.survey;
    let (class, id, p) = only(&send(&mut r, 0x01, 0x3B, &[]));
    assert_eq!((class, id, p.len()), (0x01, 0x3B, 40));
    assert_eq!(u32::from_le_bytes(p[4..8].try_into().unwrap()), 4000, "iTOW of the last epoch");
    assert_eq!((p[36], p[37]), (1, 0), "3 s and 100 m: valid, finished");
    let (_, _, t) = only(&send(&mut r, 0x0D, 0x04, &[]));
    assert_eq!((t[24], t[25]), (1, 0));
    // An M8N has neither.
    assert!(send(&mut rx(Part::M8n, true), 0x0D, 0x04, &[]).is_empty());
}
