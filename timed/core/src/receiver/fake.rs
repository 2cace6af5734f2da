//! A small fake u-blox for the session tests: keys (F9) or legacy CFG (M8) by model, answers
//! polls with its state, ACKs or NAKs sets, switches speed after the ACK, and sends one NMEA
//! sentence per second while NMEA output is on. Bytes at a speed other than its own arrive as
//! garbage both ways, as on a UART.

use super::super::{Action, Report, Session};
use super::{f9t, m8n, m8t};
use crate::framer::{nmea_sentence, ubx_frame, Frame, Framer};
use crate::ubx::cfg::{self, MsgRates, Prt, Tmode2, Tp5};
use crate::ubx::valset::{self, keys as k, KeyValue};
use crate::ubx::MonVer;
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Model {
    F9t,
    M8t,
    M8n,
}

pub struct Fake {
    pub model: Model,
    pub baud: u32,
    pub keys: BTreeMap<u32, u64>,
    pub prt: Prt,
    pub msgs: BTreeMap<(u8, u8), [u8; 6]>,
    pub tp5: Tp5,
    pub dyn_model: u8,
    pub tmode2: Tmode2,
    /// Keys it NAKs (an F9 without that feature).
    pub nak_keys: Vec<u32>,
    /// Drop every ACK of a set (a broken link).
    pub drop_acks: bool,
    /// Silent: answers nothing at all.
    pub silent: bool,
    pub flash_writes: u32,
    pub sets: u32,
    /// A finished survey-in's mean position (ECEF 0.1 mm), answered to NAV-SVIN / TIM-SVIN polls.
    pub surveyed: Option<[i64; 3]>,
    out: Vec<u8>,
    framer: Framer,
    last_nmea_s: u64,
    /// CFG-GNSS on the legacy models (M8 default: GPS, SBAS, QZSS, GLONASS enabled).
    pub gnss: crate::ubx::cfg_gnss::GnssCfg,
}

impl Fake {
    pub fn factory(model: Model) -> Fake {
        let mut keys = BTreeMap::new();
        if model == Model::F9t {
            // Factory defaults per the F9 interface description §6.9 (the ones the plan touches).
            for (key, v) in [
                (k::UART1_BAUDRATE, 38_400),
                (k::UART1INPROT_UBX, 1),
                (k::UART1OUTPROT_UBX, 1),
                (k::UART1OUTPROT_NMEA, 1),
                (k::TP_TP1_ENA, 1),
                (k::TP_PULSE_DEF, 0),
                (k::TP_PULSE_LENGTH_DEF, 1),
                (k::TP_PERIOD_TP1, 1_000_000),
                (k::TP_PERIOD_LOCK_TP1, 1_000_000),
                (k::TP_LEN_TP1, 0),
                (k::TP_LEN_LOCK_TP1, 100_000),
                (k::TP_SYNC_GNSS_TP1, 1),
                (k::TP_USE_LOCKED_TP1, 1),
                (k::TP_ALIGN_TO_TOW_TP1, 1),
                (k::TP_POL_TP1, 1),
                (k::TP_TIMEGRID_TP1, 1),
                (k::TP_ANT_CABLEDELAY, 50),
                (k::TP_USER_DELAY_TP1, 0),
                (k::NAVSPG_DYNMODEL, 0),
                (k::TMODE_MODE, 0),
                (k::TMODE_POS_TYPE, 0),
                (k::TMODE_ECEF_X, 0),
                (k::TMODE_ECEF_Y, 0),
                (k::TMODE_ECEF_Z, 0),
                (k::TMODE_ECEF_X_HP, 0),
                (k::TMODE_ECEF_Y_HP, 0),
                (k::TMODE_ECEF_Z_HP, 0),
                (k::TMODE_FIXED_POS_ACC, 0),
                (k::TMODE_SVIN_MIN_DUR, 0),
                (k::TMODE_SVIN_ACC_LIMIT, 0),
            ] {
                keys.insert(key, v);
            }
            // CFG-SIGNAL-*_ENA: every system on out of the box (the F9's defaults).
            for key in super::super::constellations::SWITCHABLE.map(super::super::constellations::key) {
                keys.insert(key, 1);
            }
            for m in [0x07u32, 0x5C, 0x16, 0x61, 0x1B, 0x89, 0x17E, 0x35A] {
                keys.insert(0x2091_0000 + m, 0);
            }
        }
        Fake {
            model,
            baud: if model == Model::F9t { 38_400 } else { 9_600 },
            keys,
            prt: Prt {
                port_id: 1,
                tx_ready: 0,
                mode: cfg::PRT_MODE_8N1,
                baud: 9_600,
                in_proto: 0x07,
                out_proto: 0x03,
                flags: 0,
            },
            msgs: BTreeMap::new(),
            tp5: Tp5 { ant_cable_delay_ns: 50, flags: 0x77, ..Tp5::ONE_HZ },
            dyn_model: 0,
            tmode2: Tmode2::default(),
            nak_keys: Vec::new(),
            drop_acks: false,
            silent: false,
            flash_writes: 0,
            sets: 0,
            surveyed: None,
            out: Vec::new(),
            framer: Framer::new(),
            last_nmea_s: 0,
            gnss: {
                use crate::gnss::Constellation as C;
                let mut g = crate::ubx::cfg_gnss::GnssCfg::m8_default();
                for c in [C::Gps, C::Sbas, C::Qzss, C::Glonass] {
                    g.set(c, true);
                }
                g
            },
        }
    }

    fn mon_ver(&self) -> MonVer {
        match self.model {
            Model::F9t => f9t(),
            Model::M8t => m8t(),
            Model::M8n => m8n(),
        }
    }

    fn ack(&mut self, class: u8, id: u8, ok: bool) {
        if ok && self.drop_acks && (class, id) != (0x0A, 0x04) {
            return;
        }
        self.out.extend(ubx_frame(0x05, u8::from(ok), &[class, id]));
    }

    /// Bytes the host wrote at `host_baud`.
    pub fn input(&mut self, bytes: &[u8], host_baud: u32) {
        if host_baud != self.baud || self.silent {
            return;
        }
        let mut frames = Vec::new();
        self.framer.feed(bytes, |f| {
            if let Frame::Ubx { class, id, payload } = f.frame {
                frames.push((class, id, payload.to_vec()));
            }
        });
        for (class, id, p) in frames {
            self.handle(class, id, &p);
        }
    }

    fn handle(&mut self, class: u8, id: u8, p: &[u8]) {
        let mut new_baud = None;
        match (class, id, self.model) {
            (0x0A, 0x04, _) => {
                let v = self.mon_ver();
                let mut pl = vec![0u8; 40];
                pl[..v.sw_version.len()].copy_from_slice(v.sw_version.as_bytes());
                pl[30..30 + v.hw_version.len()].copy_from_slice(v.hw_version.as_bytes());
                for e in &v.extensions {
                    let mut b = [0u8; 30];
                    b[..e.len()].copy_from_slice(e.as_bytes());
                    pl.extend_from_slice(&b);
                }
                self.out.extend(ubx_frame(0x0A, 0x04, &pl));
            }
            (0x06, 0x8B, Model::F9t) => {
                let mut ans = vec![1, 0, 0, 0];
                for key in p[4..].chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())) {
                    let Some(&v) = self.keys.get(&key) else { return self.ack(class, id, false) };
                    let size = valset::key_size(key).unwrap();
                    ans.extend_from_slice(&key.to_le_bytes());
                    ans.extend_from_slice(&v.to_le_bytes()[..size]);
                }
                self.out.extend(ubx_frame(0x06, 0x8B, &ans));
                self.ack(class, id, true);
            }
            (0x06, 0x8A, Model::F9t) => {
                let mut full = vec![0u8; 4];
                full.extend_from_slice(&p[4..]);
                let kvs = valset::valget_decode(&full).unwrap();
                if kvs.iter().any(|kv| self.nak_keys.contains(&kv.key) || !self.keys.contains_key(&kv.key)) {
                    return self.ack(class, id, false);
                }
                self.sets += 1;
                if p[1] & 0x04 != 0 {
                    self.flash_writes += 1;
                }
                for KeyValue { key, raw } in kvs {
                    if key == k::UART1_BAUDRATE && raw as u32 != self.baud {
                        new_baud = Some(raw as u32);
                    }
                    self.keys.insert(key, raw);
                }
                self.ack(class, id, true);
            }
            (0x06, cfg::ID_PRT, m) if m != Model::F9t => {
                if p.len() == 1 {
                    let mut f = self.prt;
                    f.baud = self.baud;
                    let b = f.encode();
                    self.out.extend_from_slice(&b);
                } else if let Some(n) = Prt::decode(p) {
                    self.sets += 1;
                    self.prt = n;
                    if n.baud != self.baud {
                        new_baud = Some(n.baud);
                    }
                }
                self.ack(class, id, true);
            }
            (0x06, cfg::ID_MSG, m) if m != Model::F9t => {
                if p.len() == 2 {
                    let rates = self.msgs.get(&(p[0], p[1])).copied().unwrap_or([0; 6]);
                    self.out.extend(MsgRates { class: p[0], id: p[1], rates }.encode());
                } else if let Some(r) = MsgRates::decode(p) {
                    if (r.class, r.id) == (0x0D, 0x04) && m == Model::M8n {
                        return self.ack(class, id, false);
                    }
                    self.sets += 1;
                    self.msgs.insert((r.class, r.id), r.rates);
                }
                self.ack(class, id, true);
            }
            (0x06, cfg::ID_TP5, m) if m != Model::F9t => {
                if p.len() <= 1 {
                    self.out.extend(self.tp5.encode());
                } else if let Some(t) = Tp5::decode(p) {
                    self.sets += 1;
                    self.tp5 = t;
                }
                self.ack(class, id, true);
            }
            (0x06, cfg::ID_NAV5, m) if m != Model::F9t => {
                if p.is_empty() {
                    let mut pl = [0u8; 36];
                    pl[2] = self.dyn_model;
                    self.out.extend(ubx_frame(0x06, 0x24, &pl));
                } else if p[0] & 1 != 0 {
                    self.sets += 1;
                    self.dyn_model = p[2];
                }
                self.ack(class, id, true);
            }
            (0x06, cfg::ID_TMODE2, Model::M8t) => {
                if p.is_empty() {
                    self.out.extend(self.tmode2.encode());
                } else if let Some(t) = Tmode2::decode(p) {
                    self.sets += 1;
                    self.tmode2 = t;
                }
                self.ack(class, id, true);
            }
            (0x06, crate::ubx::cfg_gnss::ID_GNSS, m) if m != Model::F9t => {
                if p.is_empty() {
                    self.out.extend(self.gnss.encode());
                } else if let Some(g) = crate::ubx::cfg_gnss::GnssCfg::decode(p) {
                    self.sets += 1;
                    self.gnss = g;
                }
                self.ack(class, id, true);
            }
            (0x06, cfg::ID_CFG, m) if m != Model::F9t => {
                self.flash_writes += 1;
                self.ack(class, id, true);
            }
            (0x01, 0x3B, Model::F9t) if p.is_empty() => {
                if let Some(e) = self.surveyed {
                    // NAV-SVIN: meanX/Y/Z cm at 12.., HP at 24.., meanAcc at 28, valid, active.
                    let mut pl = [0u8; 40];
                    for (i, v) in e.iter().enumerate() {
                        pl[12 + 4 * i..16 + 4 * i].copy_from_slice(&((v / 100) as i32).to_le_bytes());
                        pl[24 + i] = (v % 100) as i8 as u8;
                    }
                    pl[28..32].copy_from_slice(&15_000u32.to_le_bytes());
                    pl[36] = 1;
                    self.out.extend(ubx_frame(0x01, 0x3B, &pl));
                }
            }
            // Anything else (TMODE2 on an M8N, legacy CFG on the F9 model): NAK.
            (0x06, _, _) => self.ack(class, id, false),
            _ => {}
        }
        if let Some(b) = new_baud {
            self.baud = b;
        }
    }

    fn nmea_on(&self) -> bool {
        match self.model {
            Model::F9t => self.keys.get(&k::UART1OUTPROT_NMEA) == Some(&1),
            _ => self.prt.out_proto & cfg::PROTO_NMEA != 0,
        }
    }

    /// What a reader at `host_baud` receives by `now_ms`.
    pub fn output(&mut self, host_baud: u32, now_ms: u64) -> Vec<u8> {
        if self.silent {
            return Vec::new();
        }
        if now_ms / 1000 > self.last_nmea_s && self.nmea_on() {
            self.last_nmea_s = now_ms / 1000;
            self.out.extend(nmea_sentence("GPZDA,120000.00,04,12,2026,00,00").bytes());
        }
        let out = std::mem::take(&mut self.out);
        if host_baud == self.baud {
            out
        } else {
            out.iter().map(|b| b ^ 0x5A).step_by(3).collect()
        }
    }
}

/// Drive a session against the fake on virtual time; returns the report and the time it took.
pub fn run(session: &mut Session, fake: &mut Fake) -> (Report, u64) {
    let mut now = 0u64;
    let mut host_baud = 9_600;
    for _ in 0..100_000 {
        match session.poll(now) {
            Action::Send(b) => fake.input(&b, host_baud),
            Action::SetBaud(b) => host_baud = b,
            Action::Wait { until_ms } => {
                let out = fake.output(host_baud, now);
                if out.is_empty() {
                    now = until_ms.min(now + 1000).max(now + 1);
                } else {
                    now += 2;
                    session.feed(&out, now);
                }
            }
            Action::Done(r) => return (r, now),
        }
    }
    panic!("session did not finish");
}
