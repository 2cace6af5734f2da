//! CFG-VALSET (06 8A), CFG-VALGET (06 8B) and CFG-VALDEL (06 8C) as an F9 receiver obeys them
//! (ZED-F9P Interface Description UBX-18010854 R04 §5.9.25 VALDEL, §5.9.26 VALGET, §5.9.27
//! VALSET; the ZED-F9T's describes the same messages):
//! - VALSET: version @0 (0, or 1 with transactions), layers @1 (bit 0 RAM, 1 BBR, 2 Flash),
//!   transaction @2 (version 1: 0 none, 1 (re)start, 2 ongoing, 3 apply and end), then key
//!   (U4) / value pairs, at most 64. "returns a UBX-ACK-NAK and no configuration is applied if
//!   any key is unknown to the receiver FW, if the layers bitfield does not specify a layer",
//!   or if the resulting RAM configuration is not valid; any unknown key inside a transaction
//!   cancels it.
//! - VALGET: version 0, layer @1 (0 RAM, 1 BBR, 2 Flash, 7 Default), position U2 @2, keys.
//!   "A UBX-ACK-NAK is returned in case one or more items are unknown to the receiver or when
//!   the number of requested items is greater than 64"; otherwise the answer (version 1,
//!   the layer, position, key/value pairs of the items stored in that layer) and ACK-ACK.
//! - VALDEL: version @0, layers @1 (bit 1 BBR, bit 2 Flash), keys: removes saved items.

use crate::keys::{self, size};
use crate::receiver::{Outcome, Receiver};
use timed_core::framer::ubx_frame;

const MAX_ITEMS: usize = 64;

pub fn handle(rx: &mut Receiver, id: u8, p: &[u8]) -> Outcome {
    match id {
        0x8A => valset(rx, p),
        0x8B => {
            rx.txn = None;
            valget(rx, p)
        }
        _ => {
            rx.txn = None;
            valdel(rx, p)
        }
    }
}

/// Key/value pairs from `data`; None when a key is unknown or a value is cut short.
fn pairs(rx: &Receiver, mut data: &[u8]) -> Option<Vec<(u32, u64)>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let key = u32::from_le_bytes(data.get(..4)?.try_into().ok()?);
        let n = size(key);
        if !keys::known(rx.part, key) || n == 0 {
            return None;
        }
        let raw = data.get(4..4 + n)?;
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(raw);
        out.push((key, u64::from_le_bytes(b)));
        data = &data[4 + n..];
    }
    Some(out)
}

fn valset(rx: &mut Receiver, p: &[u8]) -> Outcome {
    if p.len() < 4 || p[0] > 1 {
        return Outcome::Nak;
    }
    let layers = p[1] & 0x07;
    let action = if p[0] == 1 { p[2] } else { 0 };
    let Some(items) = pairs(rx, &p[4..]).filter(|v| v.len() <= MAX_ITEMS) else {
        rx.txn = None;
        return Outcome::Nak;
    };
    if layers == 0 || action > 3 {
        rx.txn = None;
        return Outcome::Nak;
    }
    let items = match action {
        1 => {
            rx.txn = Some((layers, items));
            return Outcome::Ack;
        }
        2 | 3 => {
            let Some((l, mut pending)) = rx.txn.take() else { return Outcome::Nak };
            if l != layers {
                return Outcome::Nak;
            }
            pending.extend(items);
            if action == 2 {
                rx.txn = Some((l, pending));
                return Outcome::Ack;
            }
            pending
        }
        _ => {
            rx.txn = None;
            items
        }
    };
    if layers & 0x01 != 0 && !rx.set_ram(&items) {
        return Outcome::Nak;
    }
    if layers & 0x02 != 0 {
        rx.bbr.extend(items.iter().copied());
    }
    if layers & 0x04 != 0 {
        rx.flash.extend(items.iter().copied());
        rx.flash_writes += 1;
    }
    Outcome::Ack
}

fn valget(rx: &mut Receiver, p: &[u8]) -> Outcome {
    if p.len() < 4 || p[0] != 0 || (p.len() - 4) % 4 != 0 || (p.len() - 4) / 4 > MAX_ITEMS {
        return Outcome::Nak;
    }
    let layer = p[1];
    let source = match layer {
        0 => &rx.ram,
        1 => &rx.bbr,
        2 => &rx.flash,
        7 => &rx.default,
        _ => return Outcome::Nak,
    };
    let mut requested = Vec::new();
    for c in p[4..].chunks(4) {
        let key = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        if key & 0xFFFF == 0xFFFF {
            // Group wildcard (item ID 0xffff): every known item of that group.
            let group = key >> 16 & 0xFF;
            requested.extend(rx.default.keys().filter(|k| *k >> 16 & 0xFF == group));
        } else if keys::known(rx.part, key) {
            requested.push(key);
        } else {
            return Outcome::Nak;
        }
    }
    let position = usize::from(u16::from_le_bytes([p[2], p[3]]));
    let found: Vec<(u32, u64)> = requested
        .iter()
        .filter_map(|k| source.get(k).map(|v| (*k, *v)))
        .skip(position)
        .take(MAX_ITEMS)
        .collect();
    if found.is_empty() {
        return Outcome::Nak;
    }
    let mut r = vec![1, layer, p[2], p[3]];
    for (key, v) in found {
        r.extend(key.to_le_bytes());
        r.extend(&v.to_le_bytes()[..size(key)]);
    }
    Outcome::Poll(ubx_frame(0x06, 0x8B, &r))
}

fn valdel(rx: &mut Receiver, p: &[u8]) -> Outcome {
    if p.len() < 4 || p[0] > 1 || (p.len() - 4) % 4 != 0 {
        return Outcome::Nak;
    }
    let layers = p[1] & 0x06;
    if layers == 0 {
        return Outcome::Nak;
    }
    let mut del = Vec::new();
    for c in p[4..].chunks(4) {
        let key = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        if !keys::known(rx.part, key) {
            return Outcome::Nak;
        }
        del.push(key);
    }
    for key in del {
        if layers & 0x02 != 0 {
            rx.bbr.remove(&key);
        }
        if layers & 0x04 != 0 {
            rx.flash.remove(&key);
        }
    }
    if layers & 0x04 != 0 {
        rx.flash_writes += 1;
    }
    Outcome::Ack
}
