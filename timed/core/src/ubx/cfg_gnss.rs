//! UBX-CFG-GNSS (06 3E), the legacy GNSS system configuration (u-blox 8 / M8 receiver
//! description UBX-13003221, UBX-CFG-GNSS; deprecated from protocol 27 in favour of the
//! CFG-SIGNAL-* keys): a 4-byte header (msgVer, numTrkChHw, numTrkChUse, numConfigBlocks), then
//! one 8-byte block per GNSS (gnssId, resTrkCh, maxTrkCh, reserved, flags X4: bit 0 enable,
//! bits 16..23 sigCfgMask). The set-up rewrites only the enable bits of a polled configuration:
//! channel reservations are the receiver's and stay as read.
//!
//! Owns: this byte layout and the enable-flag rewrite. Must not depend on: the session, I/O.

use super::cfg::CLASS_CFG;
use crate::framer::ubx_frame;
use crate::gnss::Constellation;

pub const ID_GNSS: u8 = 0x3E;
/// flags bit 0: the system is enabled.
const ENABLE: u32 = 0x01;
/// flags bits 16..23: which signals; "at least one signal must be configured in every enabled
/// system" (UBX-CFG-GNSS), so enabling a block with none sets the first (L1 on an M8).
const SIG_MASK: u32 = 0x00FF_0000;
const SIG_FIRST: u32 = 0x0001_0000;

/// One configuration block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub gnss_id: u8,
    pub res_trk_ch: u8,
    pub max_trk_ch: u8,
    pub flags: u32,
}

impl Block {
    pub fn enabled(&self) -> bool {
        self.flags & ENABLE != 0
    }
}

/// A whole CFG-GNSS payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GnssCfg {
    pub num_trk_ch_hw: u8,
    pub num_trk_ch_use: u8,
    pub blocks: Vec<Block>,
}

/// The M8 defaults of the channel split (UBX-CFG-GNSS's default configuration), used only when
/// the poll went unanswered and the message must be built from nothing.
const M8_DEFAULT: [(Constellation, u8, u8); 7] = [
    (Constellation::Gps, 8, 16),
    (Constellation::Sbas, 1, 3),
    (Constellation::Galileo, 4, 8),
    (Constellation::Beidou, 8, 16),
    (Constellation::Imes, 0, 8),
    (Constellation::Qzss, 0, 3),
    (Constellation::Glonass, 8, 14),
];

impl GnssCfg {
    pub fn poll() -> Vec<u8> {
        ubx_frame(CLASS_CFG, ID_GNSS, &[])
    }

    pub fn decode(p: &[u8]) -> Option<GnssCfg> {
        let n = usize::from(*p.get(3)?);
        if p.first() != Some(&0) || p.len() < 4 + 8 * n {
            return None;
        }
        let blocks = p[4..4 + 8 * n]
            .chunks_exact(8)
            .map(|b| Block {
                gnss_id: b[0],
                res_trk_ch: b[1],
                max_trk_ch: b[2],
                flags: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            })
            .collect();
        Some(GnssCfg { num_trk_ch_hw: p[1], num_trk_ch_use: p[2], blocks })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut p = vec![0, self.num_trk_ch_hw, self.num_trk_ch_use, self.blocks.len() as u8];
        for b in &self.blocks {
            p.extend([b.gnss_id, b.res_trk_ch, b.max_trk_ch, 0]);
            p.extend(b.flags.to_le_bytes());
        }
        ubx_frame(CLASS_CFG, ID_GNSS, &p)
    }

    /// The M8's factory split with nothing enabled (a base when the poll was not answered).
    pub fn m8_default() -> GnssCfg {
        let blocks = M8_DEFAULT
            .iter()
            .map(|&(c, res, max)| Block {
                gnss_id: c.ubx_gnss_id(),
                res_trk_ch: res,
                max_trk_ch: max,
                flags: SIG_FIRST,
            })
            .collect();
        GnssCfg { num_trk_ch_hw: 32, num_trk_ch_use: 32, blocks }
    }

    /// Whether `c` is enabled; `None` when the receiver has no block for it.
    pub fn enabled(&self, c: Constellation) -> Option<bool> {
        self.blocks.iter().find(|b| b.gnss_id == c.ubx_gnss_id()).map(Block::enabled)
    }

    /// Sets `c`'s enable bit, keeping its channel counts; a block is added (with the M8
    /// default split) only when enabling a system the answer did not list.
    pub fn set(&mut self, c: Constellation, on: bool) {
        let id = c.ubx_gnss_id();
        if !self.blocks.iter().any(|b| b.gnss_id == id) {
            if !on {
                return;
            }
            let (res, max) = M8_DEFAULT.iter().find(|d| d.0 == c).map_or((0, 4), |&(_, r, m)| (r, m));
            self.blocks.push(Block { gnss_id: id, res_trk_ch: res, max_trk_ch: max, flags: SIG_FIRST });
        }
        for b in self.blocks.iter_mut().filter(|b| b.gnss_id == id) {
            if on {
                b.flags |= ENABLE;
                if b.flags & SIG_MASK == 0 {
                    b.flags |= SIG_FIRST;
                }
            } else {
                b.flags &= !ENABLE;
            }
        }
    }
}
