//! The model's constellations: CFG-GNSS on the M8 parts, CFG-SIGNAL keys on the F9T, per
//! layer, and the satellites the burst reports.

use super::*;
use crate::burst::compose_with;
use crate::scenario::Scenario;
use crate::sky::Sky;
use timed_core::framer::{Frame, Framer};

fn rx(part: Part) -> Receiver {
    Receiver::new(part, true, &Scenario::default(), false, false)
}

fn send(r: &mut Receiver, class: u8, id: u8, p: &[u8]) -> Vec<(u8, u8, Vec<u8>)> {
    let mut out = Vec::new();
    Framer::new().feed(&r.handle(class, id, p, 0).frames.concat(), |f| {
        if let Frame::Ubx { class, id, payload } = f.frame {
            out.push((class, id, payload.to_vec()));
        }
    });
    out
}

/// gnssIds enabled in a CFG-GNSS poll's answer.
fn enabled(r: &mut Receiver) -> Vec<u8> {
    let got = send(r, 0x06, 0x3E, &[]);
    assert_eq!((got.len(), got[1].0, got[1].1), (2, 0x05, 0x01), "answer then ACK");
    let p = &got[0].2;
    assert_eq!(p.len(), 4 + 8 * usize::from(p[3]));
    p[4..].chunks(8).filter(|b| b[4] & 1 != 0).map(|b| b[0]).collect()
}

/// A CFG-GNSS set enabling `on` (M8 channel split).
fn set_msg(on: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 32, 32, SYSTEMS.len() as u8];
    for (id, _, res, max) in SYSTEMS {
        p.extend([id, res, max, 0]);
        p.extend((0x0001_0000u32 | u32::from(on.contains(&id))).to_le_bytes());
    }
    p
}

#[test]
fn m8t_cfg_gnss_polls_sets_and_keeps_it_per_layer() {
    let mut r = rx(Part::M8t);
    assert_eq!(enabled(&mut r), [0, 1, 5, 6], "factory: GPS, SBAS, QZSS, GLONASS");
    assert_eq!(send(&mut r, 0x06, 0x3E, &set_msg(&[0, 2]))[0].1, 0x01);
    assert_eq!(enabled(&mut r), [0, 2]);
    assert_eq!(r.config().gnss_mask, 0b101);
    // RAM only: a power cycle without a saved configuration brings the default back.
    r.power_cycle();
    assert_eq!(enabled(&mut r), [0, 1, 5, 6]);
    // Saved (CFG-CFG navConf to flash), it survives.
    send(&mut r, 0x06, 0x3E, &set_msg(&[0, 2]));
    let mut cfg = vec![0u8; 13];
    cfg[4] = 0x08;
    cfg[12] = 0x02;
    assert_eq!(send(&mut r, 0x06, 0x09, &cfg)[0].1, 0x01);
    r.power_cycle();
    assert_eq!(enabled(&mut r), [0, 2]);
}

#[test]
fn m8_refuses_what_its_description_forbids() {
    let mut r = rx(Part::M8n);
    let nak = |r: &mut Receiver, p: &[u8]| send(r, 0x06, 0x3E, p)[0].1 == 0x00;
    assert!(nak(&mut r, &set_msg(&[0, 2, 3, 6])), "four major systems: at most three concurrently");
    assert!(nak(&mut r, &set_msg(&[1, 5])), "no major system");
    let mut short = set_msg(&[0]);
    short.pop();
    assert!(nak(&mut r, &short), "cut short");
    let mut few = set_msg(&[0]);
    few[4 + 2] = 3;
    assert!(nak(&mut r, &few), "an enabled major system with fewer than 4 channels");
    assert_eq!(enabled(&mut r), [0, 1, 5, 6], "nothing applied");
    assert_eq!(send(&mut rx(Part::F9t), 0x06, 0x3E, &[])[0].1, 0x00, "the F9T model takes the keys");
}

#[test]
fn f9t_signal_keys_by_valset_and_valget_per_layer() {
    let mut r = rx(Part::F9t);
    let gal = SYSTEMS[2].1;
    let glo = SYSTEMS[5].1;
    let mut set = vec![0, 0x01, 0, 0];
    for k in [gal, glo] {
        set.extend(k.to_le_bytes());
        set.push(0);
    }
    assert_eq!(send(&mut r, 0x06, 0x8A, &set)[0].1, 0x01);
    let get = |r: &mut Receiver, layer: u8| {
        let mut p = vec![0, layer, 0, 0];
        p.extend(gal.to_le_bytes());
        let got = send(r, 0x06, 0x8B, &p);
        got[0].2[8]
    };
    assert_eq!(get(&mut r, 0), 0, "RAM: Galileo off");
    assert_eq!(get(&mut r, 7), 1, "Default: on");
    assert_eq!(r.config().gnss_mask, 0b0010_1011, "GPS, SBAS, BeiDou, QZSS");
    // Every major system off is refused whole.
    let mut none = vec![0, 0x01, 0, 0];
    for (id, k, _, _) in SYSTEMS {
        if MAJOR.contains(&id) {
            none.extend(k.to_le_bytes());
            none.push(0);
        }
    }
    assert_eq!(send(&mut r, 0x06, 0x8A, &none)[0].1, 0x00);
}

#[test]
fn nav_sat_reports_only_enabled_constellations() {
    let s = Scenario::default();
    let sky = Sky::new(&s);
    let ids = |r: &Receiver| -> Vec<u8> {
        let b = compose_with(&s, &sky, 1_753_990_414, 5, &s.active(5), &mut 0, &r.output());
        let mut ids = Vec::new();
        Framer::new().feed(&b.frames.concat(), |f| {
            if let Frame::Ubx { class: 0x01, id: 0x35, payload } = f.frame {
                ids.extend(payload[8..].chunks(12).map(|c| c[0]));
            }
        });
        ids
    };
    let mut r = Receiver::new(Part::M8t, false, &s, false, false);
    // The default sky has GPS and Galileo; the M8's default tracks no Galileo.
    let before = ids(&r);
    assert!(before.contains(&0) && !before.contains(&2), "{before:?}");
    send(&mut r, 0x06, 0x3E, &set_msg(&[0, 2]));
    let after = ids(&r);
    assert!(after.contains(&0) && after.contains(&2), "{after:?}");
    send(&mut r, 0x06, 0x3E, &set_msg(&[2]));
    assert!(ids(&r).iter().all(|&g| g == 2));
}
