//! The legacy time pulse and time mode messages: CFG-TP5, CFG-TMODE2 (u-blox 8 protocol
//! spec, timing products) and CFG-TMODE3 (F9 interface description).

use super::{get, set, u2, u4};
use crate::keys::{self as k, signed};
use crate::model::Part;
use crate::receiver::{Outcome, Receiver};
use timed_core::framer::ubx_frame;

/// CFG-TP5 (06 31; u-blox 8 protocol spec UBX-CFG-TP5, F9 R04 §5.9.23), 32 bytes: tpIdx @0, version @1, antCableDelay I2 @4 (ns), rfGroupDelay I2
/// @6, freqPeriod @8, freqPeriodLock @12, pulseLenRatio @16, pulseLenRatioLock @20,
/// userConfigDelay I4 @24 (ns), flags @28: bit 0 active, 1 lockGnssFreq, 2 lockedOtherSet,
/// 3 isFreq, 4 isLength, 5 alignToTow, 6 polarity, 7..10 gridUtcGnss (0 UTC, 1 GPS).
/// Polled with no payload (TIMEPULSE) or the tpIdx. TIMEPULSE2 (timing parts) is not
/// modelled: it answers inactive and takes settings without effect. A duty cycle
/// (isLength 0) is kept as the pulse length it gives at the configured period.
pub fn tp5(rx: &mut Receiver, p: &[u8]) -> Outcome {
    let idx = p.first().copied().unwrap_or(0);
    let tp2 = rx.part != Part::M8n;
    if idx > u8::from(tp2) {
        return Outcome::Nak;
    }
    if p.len() <= 1 {
        let mut r = vec![0u8; 32];
        r[0] = idx;
        r[1] = 1;
        if idx == 0 {
            let g = |key| get(rx, key);
            let is_freq = g(k::TP_PULSE_DEF) == 1;
            let is_len = g(k::TP_PULSE_LENGTH_DEF) == 1;
            let per = |p: u32, f: u32| if is_freq { g(f) } else { g(p) };
            let len = |l: u32, period: u64| {
                if is_len {
                    g(l)
                } else {
                    (g(l) << 32) / period.max(1)
                }
            };
            let (period, period_lock) =
                (per(k::TP_PERIOD_TP1, k::TP_FREQ_TP1), per(k::TP_PERIOD_LOCK_TP1, k::TP_FREQ_LOCK_TP1));
            r[4..6].copy_from_slice(&(g(k::TP_ANT_CABLEDELAY) as u16).to_le_bytes());
            r[8..12].copy_from_slice(&(period as u32).to_le_bytes());
            r[12..16].copy_from_slice(&(period_lock as u32).to_le_bytes());
            r[16..20].copy_from_slice(&(len(k::TP_LEN_TP1, period) as u32).to_le_bytes());
            r[20..24].copy_from_slice(&(len(k::TP_LEN_LOCK_TP1, period_lock) as u32).to_le_bytes());
            r[24..28].copy_from_slice(&(g(k::TP_USER_DELAY_TP1) as u32).to_le_bytes());
            let flags = g(k::TP_TP1_ENA)
                | g(k::TP_SYNC_GNSS_TP1) << 1
                | g(k::TP_USE_LOCKED_TP1) << 2
                | u64::from(is_freq) << 3
                | u64::from(is_len) << 4
                | g(k::TP_ALIGN_TO_TOW_TP1) << 5
                | g(k::TP_POL_TP1) << 6
                | (g(k::TP_TIMEGRID_TP1) & 0xF) << 7;
            r[28..32].copy_from_slice(&(flags as u32).to_le_bytes());
        }
        return Outcome::Poll(ubx_frame(0x06, 0x31, &r));
    }
    if p.len() != 32 {
        return Outcome::Nak;
    }
    if idx != 0 {
        return Outcome::Ack;
    }
    let flags = u4(p, 28);
    let bit = |n: u32| flags >> n & 1;
    let (is_freq, is_len) = (bit(3) == 1, bit(4) == 1);
    let period_us = |v: u64| if is_freq { 1_000_000 / v.max(1) } else { v };
    let len_us = |v: u64, per: u64| if is_len { v } else { (v * period_us(per)) >> 32 };
    let (fp, fpl, lr, lrl) = (u4(p, 8), u4(p, 12), u4(p, 16), u4(p, 20));
    let mut items = vec![
        (k::TP_ANT_CABLEDELAY, u2(p, 4)),
        (k::TP_USER_DELAY_TP1, u4(p, 24)),
        (k::TP_TP1_ENA, bit(0)),
        (k::TP_SYNC_GNSS_TP1, bit(1)),
        (k::TP_USE_LOCKED_TP1, bit(2)),
        (k::TP_PULSE_DEF, u64::from(is_freq)),
        (k::TP_PULSE_LENGTH_DEF, 1),
        (k::TP_ALIGN_TO_TOW_TP1, bit(5)),
        (k::TP_POL_TP1, bit(6)),
        (k::TP_TIMEGRID_TP1, flags >> 7 & 0xF),
        (k::TP_LEN_TP1, len_us(lr, fp)),
        (k::TP_LEN_LOCK_TP1, len_us(lrl, fpl)),
    ];
    if is_freq {
        items.extend([(k::TP_FREQ_TP1, fp), (k::TP_FREQ_LOCK_TP1, fpl)]);
    } else {
        items.extend([(k::TP_PERIOD_TP1, fp), (k::TP_PERIOD_LOCK_TP1, fpl)]);
    }
    if flags >> 7 & 0xF > 4 {
        return Outcome::Nak;
    }
    set(rx, &items)
}

/// The time mode items from mode, lla, three coordinates, their HP parts, and accuracies in
/// 0.1 mm.
fn tmode_items(mode: u64, lla: bool, pos: [u64; 3], hp: [u64; 3], acc: [u64; 3]) -> Vec<(u32, u64)> {
    let (p, h) = pos_keys(lla);
    let mut items = vec![(k::TMODE_MODE, mode), (k::TMODE_POS_TYPE, u64::from(lla))];
    for i in 0..3 {
        items.push((p[i], pos[i]));
        items.push((h[i], hp[i]));
    }
    items.extend([
        (k::TMODE_FIXED_POS_ACC, acc[0]),
        (k::TMODE_SVIN_MIN_DUR, acc[1]),
        (k::TMODE_SVIN_ACC_LIMIT, acc[2]),
    ]);
    items
}

/// The position keys in use (ECEF or LLA) and their values.
fn tmode_pos(rx: &Receiver) -> (bool, [u32; 3], [i8; 3]) {
    let lla = get(rx, k::TMODE_POS_TYPE) == 1;
    let (p, h) = pos_keys(lla);
    let pos = p.map(|key| get(rx, key) as u32);
    let hp = h.map(|key| signed(key, get(rx, key)) as i8);
    (lla, pos, hp)
}

/// CFG-TMODE2 (06 3D, M8T), 28 bytes: timeMode @0 (0 disabled, 1 survey-in, 2 fixed), flags
/// @2 (bit 0 lla), ecefXOrLat I4 @4 (cm or 1e-7°), ecefYOrLon @8, ecefZOrAlt @12 (cm),
/// fixedPosAcc U4 @16 (mm), svinMinDur @20 (s), svinAccLimit @24 (mm).
pub fn tmode2(rx: &mut Receiver, p: &[u8]) -> Outcome {
    match p.len() {
        0 => {
            let (lla, pos, _) = tmode_pos(rx);
            let mut r = vec![0u8; 28];
            r[0] = get(rx, k::TMODE_MODE) as u8;
            r[2] = u8::from(lla);
            for (i, v) in pos.iter().enumerate() {
                r[4 + 4 * i..8 + 4 * i].copy_from_slice(&v.to_le_bytes());
            }
            r[16..20].copy_from_slice(&((get(rx, k::TMODE_FIXED_POS_ACC) / 10) as u32).to_le_bytes());
            r[20..24].copy_from_slice(&(get(rx, k::TMODE_SVIN_MIN_DUR) as u32).to_le_bytes());
            r[24..28].copy_from_slice(&((get(rx, k::TMODE_SVIN_ACC_LIMIT) / 10) as u32).to_le_bytes());
            Outcome::Poll(ubx_frame(0x06, 0x3D, &r))
        }
        28 if p[0] <= 2 => {
            let pos = [u4(p, 4), u4(p, 8), u4(p, 12)];
            let acc = [u4(p, 16) * 10, u4(p, 20), u4(p, 24) * 10];
            set(rx, &tmode_items(u64::from(p[0]), p[2] & 1 == 1, pos, [0; 3], acc))
        }
        _ => Outcome::Nak,
    }
}

/// CFG-TMODE3 (06 71, F9T), 40 bytes: version @0, flags X2 @2 (bits 0..7 mode, bit 8 lla),
/// ecefXOrLat @4, ecefYOrLon @8, ecefZOrAlt @12, their HP parts I1 @16..19 (0.1 mm or
/// 1e-9°), fixedPosAcc @20 (0.1 mm), svinMinDur @24 (s), svinAccLimit @28 (0.1 mm).
pub fn tmode3(rx: &mut Receiver, p: &[u8]) -> Outcome {
    match p.len() {
        0 => {
            let (lla, pos, hp) = tmode_pos(rx);
            let mut r = vec![0u8; 40];
            let flags = get(rx, k::TMODE_MODE) as u16 | u16::from(lla) << 8;
            r[2..4].copy_from_slice(&flags.to_le_bytes());
            for i in 0..3 {
                r[4 + 4 * i..8 + 4 * i].copy_from_slice(&pos[i].to_le_bytes());
                r[16 + i] = hp[i] as u8;
            }
            r[20..24].copy_from_slice(&(get(rx, k::TMODE_FIXED_POS_ACC) as u32).to_le_bytes());
            r[24..28].copy_from_slice(&(get(rx, k::TMODE_SVIN_MIN_DUR) as u32).to_le_bytes());
            r[28..32].copy_from_slice(&(get(rx, k::TMODE_SVIN_ACC_LIMIT) as u32).to_le_bytes());
            Outcome::Poll(ubx_frame(0x06, 0x71, &r))
        }
        40 if p[2] <= 2 => {
            let pos = [u4(p, 4), u4(p, 8), u4(p, 12)];
            let hp = [u64::from(p[16]), u64::from(p[17]), u64::from(p[18])];
            let acc = [u4(p, 20), u4(p, 24), u4(p, 28)];
            set(rx, &tmode_items(u64::from(p[2]), p[3] & 1 == 1, pos, hp, acc))
        }
        _ => Outcome::Nak,
    }
}

/// The three position keys and their high-precision parts: latitude, longitude and height when
/// `lla`, else ECEF X, Y and Z.
fn pos_keys(lla: bool) -> ([u32; 3], [u32; 3]) {
    if lla {
        (
            [k::TMODE_LAT, k::TMODE_LON, k::TMODE_HEIGHT],
            [k::TMODE_LAT_HP, k::TMODE_LON_HP, k::TMODE_HEIGHT_HP],
        )
    } else {
        (
            [k::TMODE_ECEF_X, k::TMODE_ECEF_Y, k::TMODE_ECEF_Z],
            [k::TMODE_ECEF_X_HP, k::TMODE_ECEF_Y_HP, k::TMODE_ECEF_Z_HP],
        )
    }
}
