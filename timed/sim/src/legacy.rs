//! The legacy UBX-CFG messages (u-blox 8 / M8 Receiver Description including Protocol
//! Specification, "UBX-CFG"; the F9 interface description keeps them as deprecated), as the
//! modelled receiver obeys them: a set changes the RAM layer, an empty (or short) payload polls
//! the current state, which comes back as the same message followed by ACK-ACK. Everything is
//! translated to and from the configuration items of [`crate::keys`].

use crate::keys::{self, Msg};
use crate::model::Part;
use crate::receiver::{Outcome, Receiver};
use timed_core::framer::ubx_frame;

fn u2(p: &[u8], o: usize) -> u64 {
    u64::from(u16::from_le_bytes([p[o], p[o + 1]]))
}

fn u4(p: &[u8], o: usize) -> u64 {
    u64::from(u32::from_le_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]]))
}

/// The CFG message `id` with `payload`, applied to or answered from `rx`.
pub fn handle(rx: &mut Receiver, id: u8, p: &[u8]) -> Outcome {
    match id {
        0x00 => prt(rx, p),
        0x01 => msg(rx, p),
        0x04 => rst(rx, p),
        0x08 => rate(rx, p),
        0x09 => cfg(rx, p),
        0x24 => nav5(rx, p),
        0x31 => tp5(rx, p),
        0x3D if rx.part == Part::M8t => tmode2(rx, p),
        0x71 if rx.part == Part::F9t => tmode3(rx, p),
        0x3E if rx.part != Part::F9t => crate::gnss::cfg_gnss(rx, p),
        // Anything else the part does not have (CFG-TMODE2 on an M8N or F9T, CFG-TMODE3 on
        // an M8) is refused.
        _ => Outcome::Nak,
    }
}

fn get(rx: &Receiver, key: u32) -> u64 {
    rx.ram.get(&key).copied().unwrap_or(0)
}

fn set(rx: &mut Receiver, items: &[(u32, u64)]) -> Outcome {
    if rx.set_ram(items) {
        Outcome::Ack
    } else {
        Outcome::Nak
    }
}

/// CFG-PRT (06 00), 20 bytes: portID @0, mode @4, baudRate @8, inProtoMask @12 (bit 0 UBX,
/// 1 NMEA, 5 RTCM3), outProtoMask @14. Polled with no payload (the port the poll came in on)
/// or with the portID. Only UART1 (port 1) is modelled; the others answer with their defaults
/// and accept settings without effect.
fn prt(rx: &mut Receiver, p: &[u8]) -> Outcome {
    let port = p.first().copied().unwrap_or(1);
    if port > 4 {
        return Outcome::Nak;
    }
    if p.len() <= 1 {
        let mut r = vec![0u8; 20];
        r[0] = port;
        let (baud, inm, outm) = if port == 1 {
            let b = |k| get(rx, k) != 0;
            let inm = u16::from(b(keys::UART1INPROT_UBX))
                | u16::from(b(keys::UART1INPROT_NMEA)) << 1
                | u16::from(b(keys::UART1INPROT_RTCM3X)) << 5;
            let outm = u16::from(b(keys::UART1OUTPROT_UBX))
                | u16::from(b(keys::UART1OUTPROT_NMEA)) << 1
                | u16::from(b(keys::UART1OUTPROT_RTCM3X)) << 5;
            (get(rx, keys::UART1_BAUDRATE) as u32, inm, outm)
        } else {
            (0, 0x07, 0x03)
        };
        if port == 1 || port == 2 {
            // 8 data bits, no parity, 1 stop bit.
            r[4..8].copy_from_slice(&0x0000_08C0u32.to_le_bytes());
        }
        r[8..12].copy_from_slice(&baud.to_le_bytes());
        r[12..14].copy_from_slice(&inm.to_le_bytes());
        r[14..16].copy_from_slice(&outm.to_le_bytes());
        return Outcome::Poll(ubx_frame(0x06, 0x00, &r));
    }
    if p.len() != 20 {
        return Outcome::Nak;
    }
    if port != 1 {
        return Outcome::Ack;
    }
    let (inm, outm) = (u2(p, 12), u2(p, 14));
    let mut items = vec![
        (keys::UART1_BAUDRATE, u4(p, 8)),
        (keys::UART1INPROT_UBX, inm & 1),
        (keys::UART1INPROT_NMEA, inm >> 1 & 1),
        (keys::UART1OUTPROT_UBX, outm & 1),
        (keys::UART1OUTPROT_NMEA, outm >> 1 & 1),
    ];
    if rx.part == Part::F9t {
        items.push((keys::UART1INPROT_RTCM3X, inm >> 5 & 1));
        items.push((keys::UART1OUTPROT_RTCM3X, outm >> 5 & 1));
    }
    set(rx, &items)
}

/// CFG-MSG (06 01): poll with class/id (2 bytes) answers the six per-port rates (UART1 is the
/// second); set with class/id/rate (3 bytes, the current port) or with six rates (8 bytes).
fn msg(rx: &mut Receiver, p: &[u8]) -> Outcome {
    if p.len() < 2 {
        return Outcome::Nak;
    }
    let Some(m) = Msg::by_class_id(p[0], p[1]).filter(|m| m.on(rx.part)) else {
        return Outcome::Nak;
    };
    match p.len() {
        2 => {
            let mut r = vec![p[0], p[1], 0, 0, 0, 0, 0, 0];
            r[3] = get(rx, m.key()) as u8;
            Outcome::Poll(ubx_frame(0x06, 0x01, &r))
        }
        3 => set(rx, &[(m.key(), u64::from(p[2]))]),
        8 => set(rx, &[(m.key(), u64::from(p[3]))]),
        _ => Outcome::Nak,
    }
}

/// CFG-RST (06 04): navBbrMask @0, resetMode @2. Never acknowledged (u-blox 8 protocol spec:
/// "The host will not receive an acknowledge"). A hardware or software reset (modes 0, 1, 4)
/// restarts the receiver: the RAM configuration is rebuilt from BBR and Flash. A GNSS-only
/// reset (2, 8, 9) keeps it.
fn rst(rx: &mut Receiver, p: &[u8]) -> Outcome {
    if p.len() == 4 && matches!(p[2], 0 | 1 | 4) {
        let bbr = std::mem::take(&mut rx.bbr);
        // A reset is not a power cut: the BBR keeps its content even without a battery.
        let battery = rx.battery;
        rx.battery = true;
        rx.bbr = bbr;
        rx.power_cycle();
        rx.battery = battery;
    }
    Outcome::Silent
}

/// CFG-RATE (06 08), 6 bytes: measRate ms @0, navRate @2, timeRef @4.
fn rate(rx: &mut Receiver, p: &[u8]) -> Outcome {
    match p.len() {
        0 => {
            let mut r = Vec::new();
            r.extend((get(rx, keys::RATE_MEAS) as u16).to_le_bytes());
            r.extend((get(rx, keys::RATE_NAV) as u16).to_le_bytes());
            r.extend((get(rx, keys::RATE_TIMEREF) as u16).to_le_bytes());
            Outcome::Poll(ubx_frame(0x06, 0x08, &r))
        }
        6 if u2(p, 0) >= 25 && u2(p, 2) >= 1 && u2(p, 4) <= 5 => set(
            rx,
            &[(keys::RATE_MEAS, u2(p, 0)), (keys::RATE_NAV, u2(p, 2)), (keys::RATE_TIMEREF, u2(p, 4))],
        ),
        _ => Outcome::Nak,
    }
}

/// The configuration sections of CFG-CFG's masks (u-blox 8 protocol spec, CFG-CFG: bit 0
/// ioPort, 1 msgConf, 3 navConf; the time pulse and time mode are navigation settings here).
fn section(key: u32) -> u32 {
    match key >> 16 & 0xff {
        0x52 | 0x73 | 0x74 => 1 << 0,
        0x91 => 1 << 1,
        _ => 1 << 3,
    }
}

/// CFG-CFG (06 09): clearMask @0, saveMask @4, loadMask @8, optional deviceMask @12 (bit 0
/// BBR, 1 Flash; absent: both). Clear, then save, then load, as the spec orders them.
fn cfg(rx: &mut Receiver, p: &[u8]) -> Outcome {
    if p.len() != 12 && p.len() != 13 {
        return Outcome::Nak;
    }
    let (clear, save, load) = (u4(p, 0) as u32, u4(p, 4) as u32, u4(p, 8) as u32);
    let dev = p.get(12).copied().unwrap_or(0x03);
    let (to_bbr, to_flash) = (dev & 0x01 != 0, dev & 0x16 != 0);
    let keys: Vec<u32> = rx.default.keys().copied().collect();
    for &k in &keys {
        let sec = section(k);
        if clear & sec != 0 {
            if to_bbr {
                rx.bbr.remove(&k);
            }
            if to_flash {
                rx.flash.remove(&k);
            }
        }
        if save & sec != 0 {
            let v = get(rx, k);
            if to_bbr {
                rx.bbr.insert(k, v);
            }
            if to_flash {
                rx.flash.insert(k, v);
            }
        }
    }
    if to_flash && (clear | save) & 0x1f1f != 0 {
        rx.flash_writes += 1;
    }
    let loaded: Vec<(u32, u64)> = keys
        .iter()
        .filter(|&&k| load & section(k) != 0)
        .filter_map(|&k| rx.saved(k).map(|v| (k, v)))
        .collect();
    rx.ram.extend(loaded);
    Outcome::Ack
}

/// CFG-NAV5 (06 24), 36 bytes: mask @0 (bit 0 dyn), dynModel @2, fixMode @3, then the
/// navigation limits (answered with the spec's defaults: fixedAltVar 1 m², minElev 5°,
/// pDop/tDop 25.0, pAcc 100 m, tAcc 300 m, dgnssTimeout 60 s, cnoThreshNumSVs 0). Only the
/// dynamic model is modelled.
fn nav5(rx: &mut Receiver, p: &[u8]) -> Outcome {
    match p.len() {
        0 => {
            let mut r = vec![0u8; 36];
            r[0..2].copy_from_slice(&0xFFFFu16.to_le_bytes());
            r[2] = get(rx, keys::NAVSPG_DYNMODEL) as u8;
            r[3] = 3; // fixMode: auto 2D/3D
            r[8..12].copy_from_slice(&10_000u32.to_le_bytes());
            r[12] = 5;
            r[14..16].copy_from_slice(&250u16.to_le_bytes());
            r[16..18].copy_from_slice(&250u16.to_le_bytes());
            r[18..20].copy_from_slice(&100u16.to_le_bytes());
            r[20..22].copy_from_slice(&300u16.to_le_bytes());
            r[23] = 60;
            Outcome::Poll(ubx_frame(0x06, 0x24, &r))
        }
        36 if u2(p, 0) & 1 == 0 => Outcome::Ack,
        36 => set(rx, &[(keys::NAVSPG_DYNMODEL, u64::from(p[2]))]),
        _ => Outcome::Nak,
    }
}

#[path = "legacy_tp.rs"]
mod tp;
use tp::{tmode2, tmode3, tp5};
