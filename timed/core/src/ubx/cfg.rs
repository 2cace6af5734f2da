//! Legacy UBX-CFG messages (u-blox 6/7/8, protocol < 27): encoders for the frames timed sends and
//! decoders for the receiver's answers to polls. Layouts from the u-blox 8 / M8 receiver
//! description incl. protocol specification (UBX-13003221), §32.10 "UBX-CFG"; section numbers
//! below refer to it. Also MON-VER's poll (§32.16.14). The survey-in result (NAV-SVIN,
//! TIM-SVIN) is decoded once, in [`crate::ubx::decode`], for the epoch and the set-up alike.
//!
//! Owns: byte layouts only. Must not depend on: the framer's state, the receiver session, I/O.

use crate::framer::ubx_frame;

pub const CLASS_CFG: u8 = 0x06;
pub const CLASS_ACK: u8 = 0x05;
pub const CLASS_MON: u8 = 0x0A;
pub const ID_PRT: u8 = 0x00;
pub const ID_MSG: u8 = 0x01;
pub const ID_CFG: u8 = 0x09;
pub const ID_NAV5: u8 = 0x24;
pub const ID_TP5: u8 = 0x31;
pub const ID_TMODE2: u8 = 0x3D;
pub const ID_VALSET: u8 = 0x8A;
pub const ID_VALGET: u8 = 0x8B;
pub const ID_MON_VER: u8 = 0x04;

/// UART1's port number in CFG-PRT and its index in CFG-MSG's per-port rates (§32.10.25,
/// "Port Number Assignment": 0 I2C/DDC, 1 UART1, 2 UART2, 3 USB, 4 SPI).
pub const PORT_UART1: u8 = 1;

/// MON-VER poll: the message with an empty payload (§32.16.14).
pub fn mon_ver_poll() -> Vec<u8> {
    ubx_frame(CLASS_MON, ID_MON_VER, &[])
}

/// Little-endian field access that never panics (answers from a receiver are untrusted).
fn le<const N: usize>(p: &[u8], off: usize) -> Option<[u8; N]> {
    p.get(off..off + N)?.try_into().ok()
}
fn u2(p: &[u8], off: usize) -> Option<u16> {
    le(p, off).map(u16::from_le_bytes)
}
fn u4(p: &[u8], off: usize) -> Option<u32> {
    le(p, off).map(u32::from_le_bytes)
}
fn i2(p: &[u8], off: usize) -> Option<i16> {
    le(p, off).map(i16::from_le_bytes)
}
fn i4(p: &[u8], off: usize) -> Option<i32> {
    le(p, off).map(i32::from_le_bytes)
}

/// CFG-PRT for a UART (§32.10.25.5, 20 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prt {
    pub port_id: u8,
    pub tx_ready: u16,
    /// Character framing; 0x08D0 = 8 data bits, no parity, 1 stop bit.
    pub mode: u32,
    pub baud: u32,
    /// Bit 0 UBX, bit 1 NMEA, bit 2 RTCM2, bit 5 RTCM3.
    pub in_proto: u16,
    pub out_proto: u16,
    pub flags: u16,
}

/// 8N1 (§32.10.25.5 `mode`: charLen bits 6..7 = 0b11, parity bits 9..11 = 0b100).
pub const PRT_MODE_8N1: u32 = 0x0000_08D0;
pub const PROTO_UBX: u16 = 0x0001;
pub const PROTO_NMEA: u16 = 0x0002;

impl Prt {
    pub fn poll(port_id: u8) -> Vec<u8> {
        ubx_frame(CLASS_CFG, ID_PRT, &[port_id])
    }
    pub fn decode(p: &[u8]) -> Option<Prt> {
        if p.len() < 20 {
            return None;
        }
        Some(Prt {
            port_id: p[0],
            tx_ready: u2(p, 2)?,
            mode: u4(p, 4)?,
            baud: u4(p, 8)?,
            in_proto: u2(p, 12)?,
            out_proto: u2(p, 14)?,
            flags: u2(p, 16)?,
        })
    }
    pub fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(20);
        p.extend_from_slice(&[self.port_id, 0]);
        p.extend_from_slice(&self.tx_ready.to_le_bytes());
        p.extend_from_slice(&self.mode.to_le_bytes());
        p.extend_from_slice(&self.baud.to_le_bytes());
        p.extend_from_slice(&self.in_proto.to_le_bytes());
        p.extend_from_slice(&self.out_proto.to_le_bytes());
        p.extend_from_slice(&self.flags.to_le_bytes());
        p.extend_from_slice(&[0, 0]);
        ubx_frame(CLASS_CFG, ID_PRT, &p)
    }
}

/// CFG-MSG (§32.10.18): a message's output rate on each of the six I/O ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgRates {
    pub class: u8,
    pub id: u8,
    pub rates: [u8; 6],
}

impl MsgRates {
    /// Poll one message's rates (§32.10.18.1, 2-byte payload).
    pub fn poll(class: u8, id: u8) -> Vec<u8> {
        ubx_frame(CLASS_CFG, ID_MSG, &[class, id])
    }
    /// The 8-byte answer (§32.10.18.2).
    pub fn decode(p: &[u8]) -> Option<MsgRates> {
        let rates: [u8; 6] = le(p, 2)?;
        (p.len() == 8).then_some(MsgRates { class: p[0], id: p[1], rates })
    }
    /// Set all six ports' rates (§32.10.18.2): sent with the other ports' rates as read, so only
    /// UART1's changes.
    pub fn encode(&self) -> Vec<u8> {
        let mut p = vec![self.class, self.id];
        p.extend_from_slice(&self.rates);
        ubx_frame(CLASS_CFG, ID_MSG, &p)
    }
}

/// CFG-TP5 version 1 (§32.10.38.3, 32 bytes): time pulse 0 (TIMEPULSE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tp5 {
    pub tp_idx: u8,
    pub ant_cable_delay_ns: i16,
    pub rf_group_delay_ns: i16,
    pub period_us: u32,
    pub period_lock_us: u32,
    pub len_us: u32,
    pub len_lock_us: u32,
    pub user_delay_ns: i32,
    pub flags: u32,
}

/// CFG-TP5 `flags` bits (§32.10.38.3).
pub mod tp5_flags {
    pub const ACTIVE: u32 = 1 << 0;
    pub const LOCK_GNSS_FREQ: u32 = 1 << 1;
    /// Use the `*_lock` period and length once locked to GNSS time, the others before.
    pub const LOCKED_OTHER_SET: u32 = 1 << 2;
    pub const IS_FREQ: u32 = 1 << 3;
    pub const IS_LENGTH: u32 = 1 << 4;
    pub const ALIGN_TO_TOW: u32 = 1 << 5;
    /// Rising edge at the top of the second.
    pub const POLARITY: u32 = 1 << 6;
    /// Bits 7..10: 0 UTC, 1 GPS, 2 GLONASS, 3 BeiDou, 4 Galileo (protocol ≥ 16).
    pub const GRID_SHIFT: u32 = 7;
    pub const GRID_MASK: u32 = 0xF << GRID_SHIFT;
}

impl Tp5 {
    /// A bare 1 Hz time pulse 0: 1 s period, no pulse before lock, 100 ms after, no delays and
    /// no flags set. The base a plan fills in when the receiver's own CFG-TP5 has not been read,
    /// and a test receiver starts from (with the factory's 50 ns cable delay and flags 0x77).
    pub const ONE_HZ: Tp5 = Tp5 {
        tp_idx: 0,
        ant_cable_delay_ns: 0,
        rf_group_delay_ns: 0,
        period_us: 1_000_000,
        period_lock_us: 1_000_000,
        len_us: 0,
        len_lock_us: 100_000,
        user_delay_ns: 0,
        flags: 0,
    };

    pub fn poll(tp_idx: u8) -> Vec<u8> {
        ubx_frame(CLASS_CFG, ID_TP5, &[tp_idx])
    }
    pub fn decode(p: &[u8]) -> Option<Tp5> {
        if p.len() < 32 {
            return None;
        }
        Some(Tp5 {
            tp_idx: p[0],
            ant_cable_delay_ns: i2(p, 4)?,
            rf_group_delay_ns: i2(p, 6)?,
            period_us: u4(p, 8)?,
            period_lock_us: u4(p, 12)?,
            len_us: u4(p, 16)?,
            len_lock_us: u4(p, 20)?,
            user_delay_ns: i4(p, 24)?,
            flags: u4(p, 28)?,
        })
    }
    pub fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(32);
        // version 1 is the one with a `flags` word wide enough for the grid (§32.10.38.3).
        p.extend_from_slice(&[self.tp_idx, 1, 0, 0]);
        p.extend_from_slice(&self.ant_cable_delay_ns.to_le_bytes());
        p.extend_from_slice(&self.rf_group_delay_ns.to_le_bytes());
        for v in [self.period_us, self.period_lock_us, self.len_us, self.len_lock_us] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.extend_from_slice(&self.user_delay_ns.to_le_bytes());
        p.extend_from_slice(&self.flags.to_le_bytes());
        ubx_frame(CLASS_CFG, ID_TP5, &p)
    }
}

/// CFG-NAV5 (§32.10.19, 36 bytes). Only the dynamic model is read or written: a set carries
/// `mask` = 1 (apply dynamic model only), so the receiver ignores every other field.
pub mod nav5 {
    use super::{ubx_frame, CLASS_CFG, ID_NAV5};
    pub const DYN_PORTABLE: u8 = 0;
    pub const DYN_STATIONARY: u8 = 2;
    pub fn poll() -> Vec<u8> {
        ubx_frame(CLASS_CFG, ID_NAV5, &[])
    }
    /// `dynModel` of a poll's answer.
    pub fn decode_dyn_model(p: &[u8]) -> Option<u8> {
        (p.len() >= 36).then(|| p[2])
    }
    pub fn set_dyn_model(model: u8) -> Vec<u8> {
        let mut p = [0u8; 36];
        p[0] = 0x01; // mask: dyn
        p[2] = model;
        ubx_frame(CLASS_CFG, ID_NAV5, &p)
    }
}

/// CFG-TMODE2 (§32.10.36, 28 bytes): time mode of u-blox 8 timing receivers (NEO/LEA-M8T).
/// The M8 protocol gives CFG-TMODE3 only to high-precision (M8P) products; a non-timing part
/// answers CFG-TMODE2 with ACK-NAK.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tmode2 {
    /// 0 disabled, 1 survey-in, 2 fixed.
    pub mode: u8,
    /// `flags` bit 0: position is latitude/longitude/altitude (1e-7 deg, cm) instead of ECEF (cm).
    pub lla: bool,
    pub x_or_lat: i32,
    pub y_or_lon: i32,
    pub z_or_alt: i32,
    /// Fixed position 3D accuracy, millimetres (TMODE2 uses mm; the F9 keys use 0.1 mm).
    pub fixed_pos_acc_mm: u32,
    pub svin_min_dur_s: u32,
    pub svin_acc_limit_mm: u32,
}

impl Tmode2 {
    pub fn poll() -> Vec<u8> {
        ubx_frame(CLASS_CFG, ID_TMODE2, &[])
    }
    pub fn decode(p: &[u8]) -> Option<Tmode2> {
        if p.len() < 28 {
            return None;
        }
        Some(Tmode2 {
            mode: p[0],
            lla: u2(p, 2)? & 1 != 0,
            x_or_lat: i4(p, 4)?,
            y_or_lon: i4(p, 8)?,
            z_or_alt: i4(p, 12)?,
            fixed_pos_acc_mm: u4(p, 16)?,
            svin_min_dur_s: u4(p, 20)?,
            svin_acc_limit_mm: u4(p, 24)?,
        })
    }
    pub fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(28);
        p.extend_from_slice(&[self.mode, 0]);
        p.extend_from_slice(&u16::from(self.lla).to_le_bytes());
        for v in [self.x_or_lat, self.y_or_lon, self.z_or_alt] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        for v in [self.fixed_pos_acc_mm, self.svin_min_dur_s, self.svin_acc_limit_mm] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        ubx_frame(CLASS_CFG, ID_TMODE2, &p)
    }
}

/// CFG-CFG save (§32.10.5, 13-byte form): copy the current configuration of every section
/// (saveMask 0x1F1F) to battery-backed RAM and flash (deviceMask bits 0 and 1).
pub fn cfg_save_bbr_flash() -> Vec<u8> {
    let mut p = Vec::with_capacity(13);
    p.extend_from_slice(&0u32.to_le_bytes());
    p.extend_from_slice(&0x0000_1F1Fu32.to_le_bytes());
    p.extend_from_slice(&0u32.to_le_bytes());
    p.push(0x03);
    ubx_frame(CLASS_CFG, ID_CFG, &p)
}
