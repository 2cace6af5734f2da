//! The items on legacy receivers (protocol < 27): which CFG message carries each, the polls that
//! read them, and the messages that set them. One CFG-TP5 carries every time-pulse item and one
//! CFG-TMODE2 every time-mode item, so a NAK there names all of them.

use super::items::{ItemId, Msg};
use crate::ubx::cfg::{
    nav5, tp5_flags as f, MsgRates, Prt, Tmode2, Tp5, CLASS_CFG, ID_MSG, ID_NAV5, ID_PRT, ID_TMODE2, ID_TP5,
    PORT_UART1, PROTO_NMEA, PROTO_UBX, PRT_MODE_8N1,
};
use crate::ubx::cfg_gnss::{GnssCfg, ID_GNSS};

/// The legacy message that carries an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Carrier {
    Prt,
    Msg(u8, u8),
    Tp5,
    Nav5,
    Tmode2,
    /// CFG-GNSS: every constellation's enable flag in one message.
    Gnss,
}

impl Carrier {
    pub fn of(id: ItemId) -> Carrier {
        match id {
            ItemId::UartInUbx | ItemId::UartOutUbx | ItemId::UartOutNmea | ItemId::UartBaud => Carrier::Prt,
            ItemId::Rate(m) => {
                let (c, i) = m.class_id();
                Carrier::Msg(c, i)
            }
            ItemId::NmeaRate(n) => Carrier::Msg(0xF0, n.legacy_id()),
            ItemId::TpEnabled
            | ItemId::TpPulseDef
            | ItemId::TpLengthDef
            | ItemId::TpPeriodUs
            | ItemId::TpPeriodLockUs
            | ItemId::TpLenUs
            | ItemId::TpLenLockUs
            | ItemId::TpSyncGnss
            | ItemId::TpUseLocked
            | ItemId::TpAlignToTow
            | ItemId::TpPolarityRising
            | ItemId::TpTimeGrid
            | ItemId::TpCableDelayNs
            | ItemId::TpUserDelayNs => Carrier::Tp5,
            ItemId::DynModel => Carrier::Nav5,
            ItemId::Gnss(_) => Carrier::Gnss,
            _ => Carrier::Tmode2,
        }
    }
    /// The message name, for reports ("CFG-TP5").
    pub fn name(self) -> String {
        match self {
            Carrier::Prt => "CFG-PRT".into(),
            Carrier::Msg(c, i) => format!("CFG-MSG {c:02X} {i:02X}"),
            Carrier::Tp5 => "CFG-TP5".into(),
            Carrier::Nav5 => "CFG-NAV5".into(),
            Carrier::Tmode2 => "CFG-TMODE2".into(),
            Carrier::Gnss => "CFG-GNSS".into(),
        }
    }
    pub fn class_id(self) -> (u8, u8) {
        let id = match self {
            Carrier::Prt => ID_PRT,
            Carrier::Msg(..) => ID_MSG,
            Carrier::Tp5 => ID_TP5,
            Carrier::Nav5 => ID_NAV5,
            Carrier::Tmode2 => ID_TMODE2,
            Carrier::Gnss => ID_GNSS,
        };
        (CLASS_CFG, id)
    }
    pub fn poll(self) -> Vec<u8> {
        match self {
            Carrier::Prt => Prt::poll(PORT_UART1),
            Carrier::Msg(c, i) => MsgRates::poll(c, i),
            Carrier::Tp5 => Tp5::poll(0),
            Carrier::Nav5 => nav5::poll(),
            Carrier::Tmode2 => Tmode2::poll(),
            Carrier::Gnss => GnssCfg::poll(),
        }
    }
    /// Whether a CFG answer's payload is this carrier's (CFG-MSG answers name their message,
    /// CFG-PRT and CFG-TP5 their port / pulse).
    pub fn answers(self, class: u8, id: u8, p: &[u8]) -> bool {
        (class, id) == self.class_id()
            && match self {
                Carrier::Prt => p.first() == Some(&PORT_UART1),
                Carrier::Msg(c, i) => p.get(..2) == Some(&[c, i][..]),
                Carrier::Tp5 => p.first() == Some(&0),
                Carrier::Nav5 | Carrier::Tmode2 | Carrier::Gnss => true,
            }
    }
}

/// What the legacy polls returned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Readout {
    pub prt: Option<Prt>,
    pub msgs: Vec<MsgRates>,
    pub tp5: Option<Tp5>,
    pub dyn_model: Option<u8>,
    pub tmode2: Option<Tmode2>,
    pub gnss: Option<GnssCfg>,
}

impl Readout {
    /// Store one poll's answer.
    pub fn store(&mut self, carrier: Carrier, p: &[u8]) {
        match carrier {
            Carrier::Prt => self.prt = Prt::decode(p).or(self.prt),
            Carrier::Msg(..) => {
                if let Some(m) = MsgRates::decode(p) {
                    self.msgs.retain(|o| (o.class, o.id) != (m.class, m.id));
                    self.msgs.push(m);
                }
            }
            Carrier::Tp5 => self.tp5 = Tp5::decode(p).or(self.tp5),
            Carrier::Nav5 => self.dyn_model = nav5::decode_dyn_model(p).or(self.dyn_model),
            Carrier::Tmode2 => self.tmode2 = Tmode2::decode(p).or(self.tmode2),
            Carrier::Gnss => self.gnss = GnssCfg::decode(p).or(self.gnss.take()),
        }
    }

    /// The receiver's current value of an item, if its carrier was read.
    pub fn current(&self, id: ItemId) -> Option<i64> {
        let bit = |flags: u32, b: u32| i64::from(flags & b != 0);
        match Carrier::of(id) {
            Carrier::Prt => {
                let p = self.prt?;
                Some(match id {
                    ItemId::UartInUbx => i64::from(p.in_proto & PROTO_UBX != 0),
                    ItemId::UartOutUbx => i64::from(p.out_proto & PROTO_UBX != 0),
                    ItemId::UartOutNmea => i64::from(p.out_proto & PROTO_NMEA != 0),
                    _ => i64::from(p.baud),
                })
            }
            Carrier::Msg(c, i) => {
                let m = self.msgs.iter().find(|m| (m.class, m.id) == (c, i))?;
                Some(i64::from(m.rates[usize::from(PORT_UART1)]))
            }
            Carrier::Tp5 => {
                let t = self.tp5?;
                Some(match id {
                    ItemId::TpEnabled => bit(t.flags, f::ACTIVE),
                    ItemId::TpPulseDef => bit(t.flags, f::IS_FREQ),
                    ItemId::TpLengthDef => bit(t.flags, f::IS_LENGTH),
                    ItemId::TpPeriodUs => i64::from(t.period_us),
                    ItemId::TpPeriodLockUs => i64::from(t.period_lock_us),
                    ItemId::TpLenUs => i64::from(t.len_us),
                    ItemId::TpLenLockUs => i64::from(t.len_lock_us),
                    ItemId::TpSyncGnss => bit(t.flags, f::LOCK_GNSS_FREQ),
                    ItemId::TpUseLocked => bit(t.flags, f::LOCKED_OTHER_SET),
                    ItemId::TpAlignToTow => bit(t.flags, f::ALIGN_TO_TOW),
                    ItemId::TpPolarityRising => bit(t.flags, f::POLARITY),
                    ItemId::TpTimeGrid => i64::from((t.flags & f::GRID_MASK) >> f::GRID_SHIFT),
                    ItemId::TpCableDelayNs => i64::from(t.ant_cable_delay_ns),
                    _ => i64::from(t.user_delay_ns),
                })
            }
            Carrier::Nav5 => self.dyn_model.map(i64::from),
            Carrier::Gnss => match id {
                // A system the answer does not list is one the receiver lacks: off.
                ItemId::Gnss(c) => Some(i64::from(self.gnss.as_ref()?.enabled(c).unwrap_or(false))),
                _ => None,
            },
            Carrier::Tmode2 => {
                let t = self.tmode2?;
                match id {
                    ItemId::TimeMode => Some(i64::from(t.mode)),
                    ItemId::TimePosType => Some(i64::from(t.lla)),
                    ItemId::EcefXCm | ItemId::Lat1e7Deg => Some(i64::from(t.x_or_lat)),
                    ItemId::EcefYCm | ItemId::Lon1e7Deg => Some(i64::from(t.y_or_lon)),
                    ItemId::EcefZCm | ItemId::HeightCm => Some(i64::from(t.z_or_alt)),
                    // TMODE2 keeps millimetres; items are in 0.1 mm.
                    ItemId::FixedPosAcc01mm => Some(i64::from(t.fixed_pos_acc_mm) * 10),
                    ItemId::SvinMinDurS => Some(i64::from(t.svin_min_dur_s)),
                    ItemId::SvinAccLimit01mm => Some(i64::from(t.svin_acc_limit_mm) * 10),
                    _ => None,
                }
            }
        }
    }

    /// The message that sets `carrier` to the wanted values of `items` (the others of that
    /// message as read, or defaults when the poll was not answered).
    pub fn set_message(&self, carrier: Carrier, items: &[(ItemId, i64)]) -> Vec<u8> {
        let get = |id: ItemId| items.iter().find(|(i, _)| *i == id).map(|&(_, v)| v);
        let set_bit = |flags: &mut u32, b: u32, id: ItemId| {
            if let Some(v) = get(id) {
                *flags = if v != 0 { *flags | b } else { *flags & !b };
            }
        };
        let u32v = |v: i64| u32::try_from(v).unwrap_or(0);
        let i32v = |v: i64| i32::try_from(v).unwrap_or(0);
        match carrier {
            Carrier::Prt => {
                let mut p = self.prt.unwrap_or(Prt {
                    port_id: PORT_UART1,
                    tx_ready: 0,
                    mode: PRT_MODE_8N1,
                    baud: 9600,
                    in_proto: PROTO_UBX | PROTO_NMEA,
                    out_proto: PROTO_UBX | PROTO_NMEA,
                    flags: 0,
                });
                let set16 = |mask: &mut u16, b: u16, id: ItemId| {
                    if let Some(v) = get(id) {
                        *mask = if v != 0 { *mask | b } else { *mask & !b };
                    }
                };
                set16(&mut p.in_proto, PROTO_UBX, ItemId::UartInUbx);
                set16(&mut p.out_proto, PROTO_UBX, ItemId::UartOutUbx);
                set16(&mut p.out_proto, PROTO_NMEA, ItemId::UartOutNmea);
                if let Some(b) = get(ItemId::UartBaud) {
                    p.baud = u32v(b);
                }
                p.encode()
            }
            Carrier::Msg(c, i) => {
                let mut m = self
                    .msgs
                    .iter()
                    .find(|m| (m.class, m.id) == (c, i))
                    .copied()
                    .unwrap_or(MsgRates { class: c, id: i, rates: [0; 6] });
                if let Some((_, v)) = items.first() {
                    m.rates[usize::from(PORT_UART1)] = u8::try_from(*v).unwrap_or(0);
                }
                m.encode()
            }
            Carrier::Tp5 => {
                let mut t = self.tp5.unwrap_or(Tp5::ONE_HZ);
                set_bit(&mut t.flags, f::ACTIVE, ItemId::TpEnabled);
                set_bit(&mut t.flags, f::IS_FREQ, ItemId::TpPulseDef);
                set_bit(&mut t.flags, f::IS_LENGTH, ItemId::TpLengthDef);
                set_bit(&mut t.flags, f::LOCK_GNSS_FREQ, ItemId::TpSyncGnss);
                set_bit(&mut t.flags, f::LOCKED_OTHER_SET, ItemId::TpUseLocked);
                set_bit(&mut t.flags, f::ALIGN_TO_TOW, ItemId::TpAlignToTow);
                set_bit(&mut t.flags, f::POLARITY, ItemId::TpPolarityRising);
                if let Some(g) = get(ItemId::TpTimeGrid) {
                    t.flags = (t.flags & !f::GRID_MASK) | ((u32v(g) << f::GRID_SHIFT) & f::GRID_MASK);
                }
                let or = |id, old: u32| get(id).map(u32v).unwrap_or(old);
                t.period_us = or(ItemId::TpPeriodUs, t.period_us);
                t.period_lock_us = or(ItemId::TpPeriodLockUs, t.period_lock_us);
                t.len_us = or(ItemId::TpLenUs, t.len_us);
                t.len_lock_us = or(ItemId::TpLenLockUs, t.len_lock_us);
                if let Some(d) = get(ItemId::TpCableDelayNs) {
                    t.ant_cable_delay_ns = i16::try_from(d).unwrap_or(0);
                }
                if let Some(d) = get(ItemId::TpUserDelayNs) {
                    t.user_delay_ns = i32v(d);
                }
                t.encode()
            }
            Carrier::Nav5 => {
                nav5::set_dyn_model(get(ItemId::DynModel).and_then(|v| u8::try_from(v).ok()).unwrap_or(0))
            }
            Carrier::Gnss => {
                // The enable flags of the polled configuration, its channel split kept
                // (UBX-CFG-GNSS: reserved and maximum channels are the receiver's).
                let mut g = self.gnss.clone().unwrap_or_else(GnssCfg::m8_default);
                for &(id, v) in items {
                    if let ItemId::Gnss(c) = id {
                        g.set(c, v != 0);
                    }
                }
                g.encode()
            }
            Carrier::Tmode2 => {
                let mut t = self.tmode2.unwrap_or_default();
                for &(id, v) in items {
                    match id {
                        ItemId::TimeMode => t.mode = u8::try_from(v).unwrap_or(0),
                        ItemId::TimePosType => t.lla = v != 0,
                        ItemId::EcefXCm | ItemId::Lat1e7Deg => t.x_or_lat = i32v(v),
                        ItemId::EcefYCm | ItemId::Lon1e7Deg => t.y_or_lon = i32v(v),
                        ItemId::EcefZCm | ItemId::HeightCm => t.z_or_alt = i32v(v),
                        ItemId::FixedPosAcc01mm => t.fixed_pos_acc_mm = u32v(v / 10),
                        ItemId::SvinMinDurS => t.svin_min_dur_s = u32v(v),
                        ItemId::SvinAccLimit01mm => t.svin_acc_limit_mm = u32v(v / 10),
                        _ => {}
                    }
                }
                t.encode()
            }
        }
    }
}

/// The survey-in progress message of a legacy timing part (M8 §32.18.3).
pub const SVIN: Msg = Msg::TimSvin;
