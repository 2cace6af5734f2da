//! UBX encoders: complete frames (sync, length, checksum via `timed_core::framer::ubx_frame`)
//! with exactly the payload layouts `timed_core::ubx` decodes (u-blox 8 / F9 interface
//! descriptions, offsets noted per field). Each takes a [`Snapshot`] and formats it.

use crate::sky::Snapshot;
use timed_core::framer::ubx_frame;

const NAV: u8 = 0x01;
const MON: u8 = 0x0A;
const TIM: u8 = 0x0D;

/// Little-endian payload writer at fixed offsets.
struct Payload(Vec<u8>);

impl Payload {
    fn zeroed(len: usize) -> Payload {
        Payload(vec![0; len])
    }

    fn put(&mut self, off: usize, bytes: &[u8]) {
        self.0[off..off + bytes.len()].copy_from_slice(bytes);
    }

    fn u1(&mut self, off: usize, v: u8) {
        self.0[off] = v;
    }

    fn u2(&mut self, off: usize, v: u16) {
        self.put(off, &v.to_le_bytes());
    }

    fn i2(&mut self, off: usize, v: i16) {
        self.put(off, &v.to_le_bytes());
    }

    fn u4(&mut self, off: usize, v: u32) {
        self.put(off, &v.to_le_bytes());
    }

    fn i4(&mut self, off: usize, v: i32) {
        self.put(off, &v.to_le_bytes());
    }
}

fn scaled(v: f64, scale: f64) -> i32 {
    (v * scale).round() as i32
}

/// NAV-PVT (01 07), 92 bytes.
pub fn nav_pvt(s: &Snapshot) -> Vec<u8> {
    let t = s.utc();
    let mut p = Payload::zeroed(92);
    p.u4(0, s.itow_ms());
    p.u2(4, t.date.year as u16);
    p.u1(6, t.date.month);
    p.u1(7, t.date.day);
    p.u1(8, t.time.hour);
    p.u1(9, t.time.minute);
    p.u1(10, t.time.second);
    // nano @16 stays 0: the epoch is exactly on the second.
    if s.fix {
        p.u1(11, 0x07); // validDate, validTime, fullyResolved
        p.u4(12, s.tacc_ns);
        p.u1(20, fix_type(s));
        p.u1(21, 0x01); // gnssFixOK
        p.u1(22, 0xE0); // confirmedAvai, confirmedDate, confirmedTime
        p.u1(23, s.used());
        p.i4(24, scaled(s.position.lon_deg, 1e7));
        p.i4(28, scaled(s.position.lat_deg, 1e7));
        p.i4(32, scaled(s.position.height_m, 1e3));
        p.i4(36, scaled(s.position.height_m - s.position.geoid_sep_m, 1e3));
        p.u4(40, 1_200); // hAcc mm
        p.u4(44, 1_900); // vAcc mm
        p.u4(68, 120); // sAcc mm/s
        p.u4(72, 18_000_000); // headAcc 1e-5 deg
        p.u2(76, (s.pdop * 100.0).round() as u16);
    } else {
        // A receiver without a fix still counts time on its RTC but vouches for nothing.
        p.u4(12, u32::MAX);
        p.u4(40, u32::MAX);
        p.u4(44, u32::MAX);
        p.u2(76, 9999);
    }
    ubx_frame(NAV, 0x07, &p.0)
}

/// NAV-TIMEUTC (01 21), 20 bytes.
pub fn nav_timeutc(s: &Snapshot) -> Vec<u8> {
    let t = s.utc();
    let mut p = Payload::zeroed(20);
    p.u4(0, s.itow_ms());
    p.u4(4, if s.fix { s.tacc_ns } else { u32::MAX });
    p.u2(12, t.date.year as u16);
    p.u1(14, t.date.month);
    p.u1(15, t.date.day);
    p.u1(16, t.time.hour);
    p.u1(17, t.time.minute);
    p.u1(18, t.time.second);
    // validTOW, validWKN, validUTC; utcStandard 3 (USNO, what GPS broadcasts) in bits 4..7.
    p.u1(19, if s.fix { 0x37 } else { 0x00 });
    ubx_frame(NAV, 0x21, &p.0)
}

/// NAV-SAT (01 35), 8 + 12·n bytes.
pub fn nav_sat(s: &Snapshot) -> Vec<u8> {
    let mut p = Payload::zeroed(8 + 12 * s.sats.len());
    p.u4(0, s.itow_ms());
    p.u1(4, 1); // version
    p.u1(5, s.sats.len() as u8);
    for (i, sat) in s.sats.iter().enumerate() {
        let b = 8 + 12 * i;
        p.u1(b, sat.gnss.ubx_id());
        p.u1(b + 1, sat.sv_id);
        p.u1(b + 2, sat.cno_dbhz);
        p.u1(b + 3, sat.elev_deg as u8);
        p.i2(b + 4, sat.azim_deg);
        // flags: qualityInd 7 (code and carrier locked), health 1 (healthy), orbitSource 1
        // (ephemeris), ephAvail; svUsed when used in the solution.
        let mut flags: u32 = 0x07 | (1 << 4) | (1 << 8) | (1 << 11);
        if sat.used {
            flags |= 1 << 3;
        }
        p.u4(b + 8, flags);
    }
    ubx_frame(NAV, 0x35, &p.0)
}

/// NAV-TIMELS (01 26), 24 bytes (u-blox 8 protocol spec §32.17.26): srcOfCurrLs @8, currLs
/// @9, srcOfLsChange @10, lsChange @11, timeToLsEvent I4 @12, dateOfLsGpsWn U2 @16,
/// dateOfLsGpsDn U2 @18, valid @23. lsChange 0 with validTimeToLsEvent says "no event".
pub fn nav_timels(s: &Snapshot) -> Vec<u8> {
    let ls = &s.timels;
    let mut p = Payload::zeroed(24);
    p.u4(0, s.itow_ms());
    p.u1(4, 0); // version
    p.u1(8, ls.src_of_curr_ls);
    p.u1(9, s.leap_s as u8);
    p.u1(10, 2); // srcOfLsChange: GPS
    p.u1(11, ls.ls_change as u8);
    p.i4(12, ls.time_to_event_s);
    p.u2(16, ls.gps_wn);
    p.u2(18, ls.gps_dn);
    p.u1(23, 0x03); // validCurrLs, validTimeToLsEvent
    ubx_frame(NAV, 0x26, &p.0)
}

/// NAV-PVT fixType / NAV-STATUS gpsFix with a fix: 3 (3D), or 5 (time only) in fixed time
/// mode (F9 interface description UBX-NAV-PVT and UBX-NAV-STATUS, u-blox 8 protocol spec
/// UBX-NAV-STATUS: "0x05 = Time only fix"), still with gnssFixOK / gpsFixOk set.
fn fix_type(s: &Snapshot) -> u8 {
    if s.time_only {
        5
    } else {
        3
    }
}

/// NAV-STATUS (01 03), 16 bytes (u-blox 8 protocol spec, UBX-NAV-STATUS): gpsFix @4, flags
/// @5 (gpsFixOk bit 0, wknSet bit 2, towSet bit 3), flags2 @7 (spoofDetState bits 3..4,
/// protocol ≥ 18), ttff U4 @8, msss U4 @12. The one place a u-blox reports spoofing.
pub fn nav_status(s: &Snapshot) -> Vec<u8> {
    let mut p = Payload::zeroed(16);
    p.u4(0, s.itow_ms());
    if s.fix {
        p.u1(4, fix_type(s));
        p.u1(5, 0x0D);
        p.u4(8, 26_000); // ttff: a typical cold start
    }
    p.u1(7, (s.spoof_state & 0x03) << 3);
    p.u4(12, s.uptime_ms);
    ubx_frame(NAV, 0x03, &p.0)
}

/// TIM-TP (0D 01), 16 bytes: the next pulse (one second after this epoch), in the time base
/// of the pulse's grid (F9 interface description, UBX-TIM-TP flags
/// bit 0 timeBase: 0 GNSS, 1 UTC; towMS and week according to that time base).
pub fn tim_tp(s: &Snapshot, utc: bool) -> Vec<u8> {
    let next = s.gps_s + 1 - if utc { i64::from(s.leap_s) } else { 0 };
    let (week, tow_ms) = s.gps_week_tow_ms(next);
    let mut p = Payload::zeroed(16);
    p.u4(0, tow_ms);
    p.u4(4, 0); // towSubMS: pulses are on whole milliseconds
    p.i4(8, s.next_qerr_ps);
    p.u2(12, week);
    // flags: timeBase, utc available; qErrInvalid without a fix.
    p.u1(14, if s.fix { 0x02 | u8::from(utc) } else { 0x10 | u8::from(utc) });
    // refInfo: timeRefGnss 0 (GPS), utcStandard 3 (USNO).
    p.u1(15, 0x30);
    ubx_frame(TIM, 0x01, &p.0)
}

/// MON-RF (0A 38), one RF block (F9 interface description UBX-MON-RF): flags @1 bits 0..1
/// jammingState (1 ok, 2 warning, 3 critical), antStatus @2 (as u-blox 8 MON-HW aStatus:
/// 0 INIT, 1 DONTKNOW, 2 OK, 3 SHORT, 4 OPEN), antPower @3, jamInd @16 (0..255 CW level).
pub fn mon_rf(s: &Snapshot) -> Vec<u8> {
    let mut p = Payload::zeroed(4 + 24);
    p.u1(0, 0); // version
    p.u1(1, 1); // nBlocks
    let b = 4;
    p.u1(b, 0); // blockId
    p.u1(b + 1, s.rf.jam_state & 0x03);
    p.u1(b + 2, s.rf.ant_status);
    // antPower: a shorted antenna supply is switched off by the short-circuit protection.
    p.u1(b + 3, if s.rf.ant_status == 3 { 0 } else { 1 });
    p.u2(b + 12, 88); // noisePerMS
    p.u2(b + 14, 5_400); // agcCnt
    p.u1(b + 16, s.rf.jam_ind);
    ubx_frame(MON, 0x38, &p.0)
}

/// SEC-SIG (27 09) version 2, 4 bytes and no per-frequency blocks: `sigSecFlags` bit 0
/// jamDetEnabled, bits 1..2 jammingState, bit 3 spfDetEnabled, bits 4..6 spoofingState (u-blox
/// F9 interface description, UBX-SEC-SIG; the layout pyubx2 has too).
pub fn sec_sig(s: &Snapshot) -> Vec<u8> {
    let flags = 0x01 | ((s.rf.jam_state & 0x03) << 1) | 0x08 | ((s.spoof_state & 0x07) << 4);
    ubx_frame(0x27, 0x09, &[2, flags, 0, 0])
}

/// The simulator's own MON-VER strings (no `--model`): MOD= names the simulator so no screen
/// mistakes it for a receiver.
pub const SIM_IDENTITY: (&str, &str, &[&str]) =
    ("ROM CORE 3.01 (107888)", "00080000", &["FWVER=TIM 1.10", "PROTVER=22.00", "MOD=TIMED-SIM (simulated)"]);

/// MON-VER (0A 04) from (swVersion, hwVersion, extensions), NUL-padded to the fields' sizes
/// (u-blox M8 interface description, UBX-MON-VER: `char[30] swVersion`, `char[10]
/// hwVersion`, then `char[30]` extensions).
pub fn mon_ver_of((sw, hw, ext): (&str, &str, &[&str])) -> Vec<u8> {
    let field = |s: &str, n: usize| {
        let mut b = s.as_bytes().to_vec();
        b.resize(n, 0);
        b
    };
    let mut p = field(sw, 30);
    p.extend(field(hw, 10));
    for e in ext {
        p.extend(field(e, 30));
    }
    ubx_frame(MON, 0x04, &p)
}

/// MON-HW (0A 09), 60 bytes (u-blox 8 protocol spec, UBX-MON-HW): noisePerMS U2 @16, agcCnt
/// U2 @18, aStatus @20 (0 INIT, 1 DONTKNOW, 2 OK, 3 SHORT, 4 OPEN), aPower @21, flags @22
/// (bit 0 rtcCalib, bits 2..3 jammingState), jamInd @45. The M8's antenna and jamming report.
pub fn mon_hw(s: &Snapshot) -> Vec<u8> {
    let mut p = Payload::zeroed(60);
    p.u2(16, 88);
    p.u2(18, 5_400);
    p.u1(20, s.rf.ant_status);
    p.u1(21, if s.rf.ant_status == 3 { 0 } else { 1 });
    p.u1(22, 0x01 | (s.rf.jam_state & 0x03) << 2);
    p.u1(45, s.rf.jam_ind);
    ubx_frame(MON, 0x09, &p.0)
}

/// NAV-EOE (01 61): end of this epoch.
pub fn nav_eoe(s: &Snapshot) -> Vec<u8> {
    ubx_frame(NAV, 0x61, &s.itow_ms().to_le_bytes())
}
