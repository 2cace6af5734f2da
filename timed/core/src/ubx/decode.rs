//! Payload decoders for the UBX messages timed understands.
//!
//! Layout references (byte offsets within the payload, little-endian throughout):
//! - "M8": u-blox 8 / u-blox M8 receiver description incl. protocol specification,
//!   UBX-13003221 (protocol 15–23.01).
//! - "F9": u-blox ZED-F9P interface description, UBX-18010854 R04 (protocol 27); section
//!   numbers below refer to this document unless marked M8.
//!
//! Every decoder checks the payload length before reading and reads through [`Payload`],
//! whose accessors return `None` instead of indexing out of bounds, so no input can panic.

use super::{
    AntennaPower, AntennaStatus, MonHw, MonRf, MonVer, NavPvt, NavSat, NavSol, NavStatus, NavTimeGps,
    NavTimeLs, NavTimeUtc, RfBlock, SatInfo, TimTp, Ubx, UbxError,
};
use crate::gnss::Constellation;

mod svin;

const CLASS_NAV: u8 = 0x01;
const CLASS_ACK: u8 = 0x05;
const CLASS_MON: u8 = 0x0A;
const CLASS_TIM: u8 = 0x0D;
const CLASS_SEC: u8 = 0x27;

/// Decode one UBX payload (checksum already verified by the framer).
///
/// Unknown class/id pairs come back as [`Ubx::Other`].
///
/// # Errors
///
/// [`UbxError::BadLength`] for a known message whose payload is shorter than its fixed
/// layout, or whose repeated-block part does not match its own count field.
pub fn decode(class: u8, id: u8, payload: &[u8]) -> Result<Ubx, UbxError> {
    let p = Payload(payload);
    let decoded = match (class, id) {
        (CLASS_NAV, 0x07) => nav_pvt(p),
        (CLASS_NAV, 0x21) => nav_timeutc(p),
        (CLASS_NAV, 0x20) => nav_timegps(p),
        (CLASS_NAV, 0x26) => nav_timels(p),
        (CLASS_NAV, 0x03) => nav_status(p),
        (CLASS_NAV, 0x35) => nav_sat(p),
        (CLASS_NAV, 0x30) => nav_svinfo(p),
        (CLASS_NAV, 0x06) => nav_sol(p),
        (CLASS_NAV, 0x61) => nav_eoe(p),
        (CLASS_NAV, 0x3B) => svin::nav_svin(p),
        (CLASS_TIM, 0x04) => svin::tim_svin(p),
        (CLASS_TIM, 0x01) => tim_tp(p),
        (CLASS_MON, 0x09) => mon_hw(p),
        (CLASS_MON, 0x38) => mon_rf(p),
        (CLASS_MON, 0x04) => mon_ver(p),
        (CLASS_SEC, 0x09) => super::sec::sec_sig(payload).map(Ubx::SecSig),
        (CLASS_ACK, 0x01) => ack(p).map(|(class, id)| Ubx::Ack { class, id }),
        (CLASS_ACK, 0x00) => ack(p).map(|(class, id)| Ubx::Nak { class, id }),
        _ => return Ok(Ubx::Other { class, id, len: payload.len() }),
    };
    decoded.ok_or(UbxError::BadLength { class, id, len: payload.len() })
}

/// Bounds-checked little-endian reader over a payload (or one repeated block of it).
#[derive(Clone, Copy)]
struct Payload<'a>(&'a [u8]);

impl<'a> Payload<'a> {
    /// `Some(())` when the payload holds at least `n` bytes.
    fn at_least(self, n: usize) -> Option<()> {
        (self.0.len() >= n).then_some(())
    }

    fn bytes<const N: usize>(self, off: usize) -> Option<[u8; N]> {
        self.0.get(off..off.checked_add(N)?)?.try_into().ok()
    }

    fn u1(self, off: usize) -> Option<u8> {
        self.0.get(off).copied()
    }

    fn i1(self, off: usize) -> Option<i8> {
        self.bytes(off).map(i8::from_le_bytes)
    }

    fn u2(self, off: usize) -> Option<u16> {
        self.bytes(off).map(u16::from_le_bytes)
    }

    fn i2(self, off: usize) -> Option<i16> {
        self.bytes(off).map(i16::from_le_bytes)
    }

    fn u4(self, off: usize) -> Option<u32> {
        self.bytes(off).map(u32::from_le_bytes)
    }

    fn i4(self, off: usize) -> Option<i32> {
        self.bytes(off).map(i32::from_le_bytes)
    }

    /// Bit `n` of the byte at `off`.
    fn bit(self, off: usize, n: u32) -> Option<bool> {
        self.u1(off).map(|b| (b >> n) & 1 != 0)
    }

    /// The `count` repeated blocks of `size` bytes starting at `start`; `None` unless the
    /// payload is exactly `start + count * size` bytes long.
    fn blocks(self, start: usize, count: usize, size: usize) -> Option<impl Iterator<Item = Payload<'a>>> {
        let expected = count.checked_mul(size)?.checked_add(start)?;
        if size == 0 || self.0.len() != expected {
            return None;
        }
        Some(self.0.get(start..)?.chunks_exact(size).map(Payload))
    }
}

/// NAV-PVT (0x01 0x07), F9 §5.14.11 / M8 "UBX-NAV-PVT": 92 bytes. Protocol < 15 sent 84
/// bytes; those are rejected rather than guessed at.
fn nav_pvt(p: Payload) -> Option<Ubx> {
    p.at_least(92)?;
    Some(Ubx::NavPvt(NavPvt {
        itow_ms: p.u4(0)?,
        year: p.u2(4)?,
        month: p.u1(6)?,
        day: p.u1(7)?,
        hour: p.u1(8)?,
        min: p.u1(9)?,
        sec: p.u1(10)?,
        valid_date: p.bit(11, 0)?,
        valid_time: p.bit(11, 1)?,
        fully_resolved: p.bit(11, 2)?,
        tacc_ns: p.u4(12)?,
        nano_ns: p.i4(16)?,
        fix_type: p.u1(20)?,
        gnss_fix_ok: p.bit(21, 0)?,
        confirmed_avail: p.bit(22, 5)?,
        confirmed_date: p.bit(22, 6)?,
        confirmed_time: p.bit(22, 7)?,
        num_sv: p.u1(23)?,
        lon_deg: f64::from(p.i4(24)?) * 1e-7,
        lat_deg: f64::from(p.i4(28)?) * 1e-7,
        height_m: f64::from(p.i4(32)?) * 1e-3,
        hmsl_m: f64::from(p.i4(36)?) * 1e-3,
        hacc_m: f64::from(p.u4(40)?) * 1e-3,
        vacc_m: f64::from(p.u4(44)?) * 1e-3,
        pdop: f64::from(p.u2(76)?) * 0.01,
    }))
}

/// NAV-TIMEUTC (0x01 0x21), M8 / F9 "UBX-NAV-TIMEUTC": 20 bytes; `valid` @19 carries
/// validTOW/validWKN/validUTC in bits 0..2 and utcStandard in bits 4..7.
fn nav_timeutc(p: Payload) -> Option<Ubx> {
    p.at_least(20)?;
    Some(Ubx::NavTimeUtc(NavTimeUtc {
        itow_ms: p.u4(0)?,
        tacc_ns: p.u4(4)?,
        nano_ns: p.i4(8)?,
        year: p.u2(12)?,
        month: p.u1(14)?,
        day: p.u1(15)?,
        hour: p.u1(16)?,
        min: p.u1(17)?,
        sec: p.u1(18)?,
        valid_tow: p.bit(19, 0)?,
        valid_wkn: p.bit(19, 1)?,
        valid_utc: p.bit(19, 2)?,
        utc_standard: p.u1(19)? >> 4,
    }))
}

/// NAV-TIMEGPS (0x01 0x20), M8 / F9 "UBX-NAV-TIMEGPS": 16 bytes.
fn nav_timegps(p: Payload) -> Option<Ubx> {
    p.at_least(16)?;
    Some(Ubx::NavTimeGps(NavTimeGps {
        itow_ms: p.u4(0)?,
        ftow_ns: p.i4(4)?,
        week: p.i2(8)?,
        leap_s: p.i1(10)?,
        tow_valid: p.bit(11, 0)?,
        week_valid: p.bit(11, 1)?,
        leap_valid: p.bit(11, 2)?,
        tacc_ns: p.u4(12)?,
    }))
}

/// NAV-TIMELS (0x01 0x26), M8 / F9 "UBX-NAV-TIMELS": 24 bytes (version @4, reserved 5..7,
/// reserved 20..22, valid @23).
fn nav_timels(p: Payload) -> Option<Ubx> {
    p.at_least(24)?;
    Some(Ubx::NavTimeLs(NavTimeLs {
        itow_ms: p.u4(0)?,
        src_of_curr_ls: p.u1(8)?,
        curr_ls: p.i1(9)?,
        src_of_ls_change: p.u1(10)?,
        ls_change: p.i1(11)?,
        time_to_ls_event_s: p.i4(12)?,
        date_of_ls_gps_wn: p.u2(16)?,
        date_of_ls_gps_dn: p.u2(18)?,
        valid_curr_ls: p.bit(23, 0)?,
        valid_time_to_ls_event: p.bit(23, 1)?,
    }))
}

/// NAV-STATUS (0x01 0x03), F9 §5.14.16 / M8 "UBX-NAV-STATUS": 16 bytes. flags @5: bit 0
/// gpsFixOk, bit 2 wknSet, bit 3 towSet; flags2 @7 bits 3..4 spoofDetState.
fn nav_status(p: Payload) -> Option<Ubx> {
    p.at_least(16)?;
    Some(Ubx::NavStatus(NavStatus {
        itow_ms: p.u4(0)?,
        gps_fix: p.u1(4)?,
        gps_fix_ok: p.bit(5, 0)?,
        week_valid: p.bit(5, 2)?,
        tow_valid: p.bit(5, 3)?,
        spoof_det_state: (p.u1(7)? >> 3) & 0x03,
        ttff_ms: p.u4(8)?,
        msss_ms: p.u4(12)?,
    }))
}

/// NAV-SAT (0x01 0x35), F9 §5.14.14 / M8 "UBX-NAV-SAT": 8 + 12·numSvs bytes. Per block:
/// gnssId, svId, cno, elev I1 (±90, unknown if out of range), azim I2 @4 (0..360, unknown
/// when elev is), prRes I2 @6, flags X4 @8 (bit 3 svUsed, bits 4..5 health).
fn nav_sat(p: Payload) -> Option<Ubx> {
    p.at_least(8)?;
    let count = usize::from(p.u1(5)?);
    let mut sats = Vec::with_capacity(count);
    for b in p.blocks(8, count, 12)? {
        let gnss_id = b.u1(0)?;
        let elev_deg = valid_elev(b.i1(3)?);
        let flags = b.u4(8)?;
        sats.push(SatInfo {
            constellation: Constellation::from_ubx_gnss_id(gnss_id),
            gnss_id,
            sv_id: b.u1(1)?,
            cno_dbhz: b.u1(2)?,
            elev_deg,
            azim_deg: elev_deg.and(valid_azim(b.i2(4)?)),
            used: flags & 0x08 != 0,
            healthy: match (flags >> 4) & 0x03 {
                1 => Some(true),
                2 => Some(false),
                _ => None,
            },
        });
    }
    Some(Ubx::NavSat(NavSat { itow_ms: p.u4(0)?, sats }))
}

/// NAV-SVINFO (0x01 0x30), M8 "UBX-NAV-SVINFO" (gone from protocol 27): 8 + 12·numCh
/// bytes; numCh @4. Per block: chn, svid (legacy single-number "UBX svId", see
/// [`legacy_svid`]), flags X1 @2 (bit 0 svUsed, bit 2 orbitAvail, bit 4 unhealthy), quality
/// @3, cno @4, elev I1 @5, azim I2 @6, prRes I4 @8. Entries whose svid is outside every
/// numbering range (e.g. 0 on an idle channel) are dropped.
fn nav_svinfo(p: Payload) -> Option<Ubx> {
    p.at_least(8)?;
    let count = usize::from(p.u1(4)?);
    let mut sats = Vec::with_capacity(count);
    for b in p.blocks(8, count, 12)? {
        let Some((gnss_id, sv_id)) = legacy_svid(b.u1(1)?) else {
            continue;
        };
        let flags = b.u1(2)?;
        let elev_deg = valid_elev(b.i1(5)?);
        sats.push(SatInfo {
            constellation: Constellation::from_ubx_gnss_id(gnss_id),
            gnss_id,
            sv_id,
            cno_dbhz: b.u1(4)?,
            elev_deg,
            azim_deg: elev_deg.and(valid_azim(b.i2(6)?)),
            used: flags & 0x01 != 0,
            // Only "unhealthy" is flagged; without orbit data health is simply not known.
            healthy: if flags & 0x10 != 0 {
                Some(false)
            } else if flags & 0x04 != 0 {
                Some(true)
            } else {
                None
            },
        });
    }
    Some(Ubx::NavSat(NavSat { itow_ms: p.u4(0)?, sats }))
}

/// Legacy UBX satellite number (NAV-SVINFO `svid`) → (gnssId, svId), per the "Satellite
/// Numbering" table (M8 appendix A; F9 appendix A, column "UBX `svId`"): GPS 1–32, BeiDou
/// B6–B37 = 33–64 and B1–B5 = 159–163, GLONASS 65–96 (255 = slot unknown), SBAS 120–158,
/// IMES 173–182, QZSS 193–197 (extended here to 202 for the newer QZSS PRNs), Galileo
/// 211–246.
fn legacy_svid(svid: u8) -> Option<(u8, u8)> {
    Some(match svid {
        1..=32 => (0, svid),
        33..=64 => (3, svid - 27),
        65..=96 => (6, svid - 64),
        120..=158 => (1, svid),
        159..=163 => (3, svid - 158),
        173..=182 => (4, svid - 172),
        193..=202 => (5, svid - 192),
        211..=246 => (2, svid - 210),
        255 => (6, 255),
        _ => return None,
    })
}

fn valid_elev(elev: i8) -> Option<i8> {
    (-90..=90).contains(&elev).then_some(elev)
}

fn valid_azim(azim: i16) -> Option<i16> {
    (0..=360).contains(&azim).then_some(azim)
}

/// NAV-SOL (0x01 0x06), M8 "UBX-NAV-SOL" (legacy): 52 bytes. gpsFix @10, flags @11 (bit 0
/// gpsFixOK, bit 2 WKNSET, bit 3 TOWSET), pDOP U2 @44, numSV @47.
fn nav_sol(p: Payload) -> Option<Ubx> {
    p.at_least(52)?;
    Some(Ubx::NavSol(NavSol {
        itow_ms: p.u4(0)?,
        ftow_ns: p.i4(4)?,
        week: p.i2(8)?,
        gps_fix: p.u1(10)?,
        gps_fix_ok: p.bit(11, 0)?,
        week_valid: p.bit(11, 2)?,
        tow_valid: p.bit(11, 3)?,
        pdop: f64::from(p.u2(44)?) * 0.01,
        num_sv: p.u1(47)?,
    }))
}

/// NAV-EOE (0x01 0x61), M8 (protocol ≥ 18) / F9 "UBX-NAV-EOE": iTOW only, 4 bytes.
fn nav_eoe(p: Payload) -> Option<Ubx> {
    p.at_least(4)?;
    Some(Ubx::NavEoe { itow_ms: p.u4(0)? })
}

/// TIM-TP (0x0D 0x01), F9 §5.17.2 / M8 "UBX-TIM-TP": 16 bytes. flags @14: bit 0 timeBase
/// (1 = UTC), bit 1 utc available, bits 2..3 RAIM, bit 4 qErrInvalid; refInfo @15 bits 0..3
/// timeRefGnss.
fn tim_tp(p: Payload) -> Option<Ubx> {
    p.at_least(16)?;
    Some(Ubx::TimTp(TimTp {
        tow_ms: p.u4(0)?,
        tow_sub_ms: p.u4(4)?,
        qerr_ps: p.i4(8)?,
        week: p.u2(12)?,
        time_base_utc: p.bit(14, 0)?,
        utc_available: p.bit(14, 1)?,
        qerr_invalid: p.bit(14, 4)?,
        time_ref_gnss: p.u1(15)? & 0x0F,
    }))
}

/// MON-HW (0x0A 0x09), F9 §5.13.5 / M8 "UBX-MON-HW": 60 bytes. noisePerMS U2 @16, agcCnt
/// U2 @18, aStatus @20, aPower @21, flags @22 (bits 2..3 jammingState), usedMask @24,
/// VP U1[17] @28, jamInd @45. The 68-byte u-blox 6 variant has VP U1[25], moving jamInd to
/// @53 (so read by gpsd's `driver_ubx.c` and described by ROS `ublox_msgs` `MonHW6`).
fn mon_hw(p: Payload) -> Option<Ubx> {
    p.at_least(60)?;
    let jam_ind_at = if p.0.len() == 68 { 53 } else { 45 };
    Some(Ubx::MonHw(MonHw {
        noise_per_ms: p.u2(16)?,
        agc_cnt: p.u2(18)?,
        antenna: antenna_status(p.u1(20)?),
        antenna_power: antenna_power(p.u1(21)?),
        jamming_state: (p.u1(22)? >> 2) & 0x03,
        jam_ind: p.u1(jam_ind_at)?,
    }))
}

/// MON-RF (0x0A 0x38), F9 §5.13.9: 4 + 24·nBlocks bytes; nBlocks @1. Per block: blockId,
/// flags X1 @1 (bits 0..1 jammingState), antStatus @2, antPower @3, postStatus @4,
/// reserved @8, noisePerMS U2 @12, agcCnt U2 @14, jamInd @16, ofsI/magI/ofsQ/magQ @17..20.
/// (gpsd also knows a 20-byte block from F9 HPS 1.30 firmware; not verified against a
/// u-blox document, so such payloads are rejected as a length mismatch.)
fn mon_rf(p: Payload) -> Option<Ubx> {
    p.at_least(4)?;
    let count = usize::from(p.u1(1)?);
    let mut blocks = Vec::with_capacity(count);
    for b in p.blocks(4, count, 24)? {
        blocks.push(RfBlock {
            block_id: b.u1(0)?,
            jamming_state: b.u1(1)? & 0x03,
            antenna: antenna_status(b.u1(2)?),
            antenna_power: antenna_power(b.u1(3)?),
            noise_per_ms: b.u2(12)?,
            agc_cnt: b.u2(14)?,
            jam_ind: b.u1(16)?,
        });
    }
    Some(Ubx::MonRf(MonRf { blocks }))
}

fn antenna_status(v: u8) -> AntennaStatus {
    match v {
        0 => AntennaStatus::Init,
        1 => AntennaStatus::DontKnow,
        2 => AntennaStatus::Ok,
        3 => AntennaStatus::Short,
        4 => AntennaStatus::Open,
        other => AntennaStatus::Unknown(other),
    }
}

fn antenna_power(v: u8) -> AntennaPower {
    match v {
        0 => AntennaPower::Off,
        1 => AntennaPower::On,
        2 => AntennaPower::DontKnow,
        other => AntennaPower::Unknown(other),
    }
}

/// MON-VER (0x0A 0x04), M8 / F9 "UBX-MON-VER": swVersion CH[30] @0, hwVersion CH[10] @30,
/// then N × extension CH[30] @40 + 30·N. Strings are NUL-terminated/padded ASCII; empty
/// extension slots are skipped.
fn mon_ver(p: Payload) -> Option<Ubx> {
    p.at_least(40)?;
    let count = (p.0.len() - 40) / 30;
    let extensions = p.blocks(40, count, 30)?.map(|b| text(b.0)).filter(|s| !s.is_empty()).collect();
    Some(Ubx::MonVer(MonVer {
        sw_version: text(p.0.get(0..30)?),
        hw_version: text(p.0.get(30..40)?),
        extensions,
    }))
}

/// A NUL-terminated, NUL-padded fixed-width string field.
fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let s = String::from_utf8_lossy(field.get(..end).unwrap_or_default());
    s.trim_end().to_owned()
}

/// ACK-ACK / ACK-NAK (0x05 0x01 / 0x05 0x00): clsID @0, msgID @1 of the acknowledged
/// message.
fn ack(p: Payload) -> Option<(u8, u8)> {
    p.at_least(2)?;
    Some((p.u1(0)?, p.u1(1)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
