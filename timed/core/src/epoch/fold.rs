//! Collecting one epoch's messages and deciding, at its end, what the epoch says.

use super::types::*;
use super::{Assembler, Epoch, Key, RxStamp};
use crate::gnss::Constellation;
use crate::nmea::{Gga, Gns, Gsa, Nmea, Pubx04, Rmc, Zda};
use crate::time::{expand_two_digit_year, Date, TimeOfDay, UtcTime, SECONDS_PER_WEEK};
use crate::ubx::{MonHw, MonRf, NavPvt, NavSat, NavSol, NavStatus, NavTimeGps, NavTimeUtc, Svin, TimTp, Ubx};

/// The messages of the epoch being assembled, latest of each kind.
#[derive(Clone, Debug, Default)]
pub(super) struct Partial {
    pub messages: u32,
    pub first_offset: u64,
    pub rx: Option<RxStamp>,
    pub last_rx: Option<RxStamp>,
    pub itow: Option<u32>,
    pub tod: Option<u32>,
    /// First receive time of each message kind in the epoch.
    pub kinds: Vec<(&'static str, Option<RxStamp>)>,
    pvt: Option<NavPvt>,
    timeutc: Option<NavTimeUtc>,
    timegps: Option<NavTimeGps>,
    sol: Option<NavSol>,
    status: Option<NavStatus>,
    navsat: Option<NavSat>,
    timtp: Option<TimTp>,
    monhw: Option<MonHw>,
    monrf: Option<MonRf>,
    svin: Option<Svin>,
    zda: Option<Zda>,
    rmc: Option<Rmc>,
    gga: Option<Gga>,
    gns: Option<Gns>,
    pubx: Option<Pubx04>,
    /// Highest GSA navigation mode and the satellites GSA lists as used.
    gsa_mode: u8,
    gsa_used: Vec<(Constellation, u16)>,
    gsa_pdop: Option<f64>,
    gsa_hdop: Option<f64>,
    /// Satellites from GSV, one entry per (constellation, svid) across signals.
    gsv: Vec<Satellite>,
    /// A GSV arrived (possibly listing no satellites at all).
    gsv_seen: bool,
}

impl Partial {
    pub fn begin(&mut self, offset: u64, rx: Option<RxStamp>) {
        self.first_offset = offset;
        self.rx = rx;
        self.last_rx = rx;
    }

    pub fn set_key(&mut self, k: Key) {
        match k {
            Key::Itow(t) => self.itow = self.itow.or(Some(t)),
            Key::Tod(t) => self.tod = self.tod.or(Some(t)),
        }
    }

    pub fn fold_ubx(&mut self, u: Ubx) {
        match u {
            Ubx::NavPvt(m) => self.pvt = Some(m),
            Ubx::NavTimeUtc(m) => self.timeutc = Some(m),
            Ubx::NavTimeGps(m) => self.timegps = Some(m),
            Ubx::NavSol(m) => self.sol = Some(m),
            Ubx::NavStatus(m) => self.status = Some(m),
            Ubx::NavSat(m) => self.navsat = Some(m),
            Ubx::TimTp(m) => self.timtp = Some(m),
            Ubx::MonHw(m) => self.monhw = Some(m),
            Ubx::MonRf(m) => self.monrf = Some(m),
            Ubx::Svin(m) => self.svin = Some(m),
            _ => {}
        }
    }

    pub fn fold_nmea(&mut self, n: Nmea) {
        match n {
            Nmea::Rmc(m) => self.rmc = Some(m),
            Nmea::Zda(m) => self.zda = Some(m),
            Nmea::Gga(m) => self.gga = Some(m),
            Nmea::Gns(m) => self.gns = Some(m),
            Nmea::Pubx04(m) => self.pubx = Some(m),
            Nmea::Gsa(m) => self.fold_gsa(m),
            Nmea::Gsv(m) => {
                self.gsv_seen = true;
                let talker = m.talker.constellation();
                for s in m.sats {
                    let c = talker.unwrap_or_else(|| Constellation::from_nmea_svid(s.sv_id));
                    if let Some(known) =
                        self.gsv.iter_mut().find(|k| k.constellation == c && k.sv_id == s.sv_id)
                    {
                        // Another signal of the same satellite: keep the strongest.
                        known.cno_dbhz = known.cno_dbhz.max(s.cno_dbhz);
                        known.elev_deg = known.elev_deg.or(s.elev_deg);
                        known.azim_deg = known.azim_deg.or(s.azim_deg.and_then(|a| i16::try_from(a).ok()));
                    } else if self.gsv.len() < 256 {
                        self.gsv.push(Satellite {
                            constellation: c,
                            sv_id: s.sv_id,
                            cno_dbhz: s.cno_dbhz,
                            elev_deg: s.elev_deg,
                            azim_deg: s.azim_deg.and_then(|a| i16::try_from(a).ok()),
                            used: false,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn fold_gsa(&mut self, m: Gsa) {
        self.gsa_mode = self.gsa_mode.max(m.nav_mode);
        self.gsa_pdop = m.pdop.or(self.gsa_pdop);
        self.gsa_hdop = m.hdop.or(self.gsa_hdop);
        let c = m.system_id.map(Constellation::from_nmea_system_id).or(m.talker.constellation());
        for id in m.sv_ids {
            let c = c.unwrap_or_else(|| Constellation::from_nmea_svid(id));
            if !self.gsa_used.contains(&(c, id)) && self.gsa_used.len() < 256 {
                self.gsa_used.push((c, id));
            }
        }
    }

    /// A date this epoch already carries (NMEA RMC/ZDA), before the epoch is finished.
    pub fn date_hint(&self) -> Option<Date> {
        let zda = self.zda.as_ref().and_then(|z| Date::new(z.year?, z.month?, z.day?));
        zda.or_else(|| {
            let d = self.rmc.as_ref()?.date?;
            Date::new(expand_two_digit_year(d.yy), d.month, d.day)
        })
    }

    /// Evidence from NMEA that the receiver has a fix (and so vouches for its time).
    fn nmea_fix_evidence(&self) -> bool {
        self.rmc.as_ref().is_some_and(rmc_valid)
            || self.gga.as_ref().is_some_and(|g| g.quality > 0 && g.quality != 6)
            || self.gns.as_ref().is_some_and(gns_has_fix)
            || self.gsa_mode >= 2
    }

    /// Whether any message of the epoch says what the fix is. An epoch cut short (the line
    /// went quiet mid-burst on a loaded host, so the rest came as another epoch) may carry only
    /// NAV-SAT or MON-RF: it says nothing about the fix, and must not read as "no fix".
    fn fix_reported(&self) -> bool {
        self.pvt.is_some()
            || self.sol.is_some()
            || self.status.is_some()
            || self.gga.is_some()
            || self.gns.is_some()
            || self.rmc.is_some()
            || self.gsa_mode > 0
    }

    pub fn finish(self, asm: &Assembler) -> Epoch {
        let (time, time_source, time_valid, tacc_ns) = self.pick_time(asm);
        let (fix, fix_ok) = self.pick_fix();
        let (time, rollover_corrected) = match (time, asm.week_pivot) {
            (Some(t), Some(pivot)) if matches!(time_source, Some(s) if s >= TimeSource::Pubx04) => {
                correct_rollover(t, pivot)
            }
            (t, _) => (t, false),
        };
        let mut e = Epoch {
            time,
            time_source,
            time_valid,
            rollover_corrected,
            fix,
            fix_ok,
            fix_reported: self.fix_reported(),
            tacc_ns,
            leap: asm.leap,
            itow_ms: self.itow,
            first_offset: self.first_offset,
            rx: self.rx,
            messages: self.messages,
            message_rx: self.kinds.iter().filter_map(|(k, rx)| rx.map(|r| (*k, r))).collect(),
            ..Epoch::default()
        };
        e.next_pulse = self.timtp.as_ref().map(|tp| next_pulse(tp, asm.gps_utc_s));
        self.fill_sats(&mut e);
        self.fill_health(&mut e, asm);
        self.fill_position(&mut e);
        e
    }

    fn pick_time(&self, asm: &Assembler) -> (Option<UtcTime>, Option<TimeSource>, bool, Option<u32>) {
        if let Some(m) = &self.timeutc {
            if let Some(t) = ubx_utc(m.year, m.month, m.day, m.hour, m.min, m.sec, m.nano_ns) {
                let valid = m.valid_tow && m.valid_wkn && m.valid_utc;
                return (Some(t), Some(TimeSource::NavTimeUtc), valid, Some(m.tacc_ns));
            }
        }
        if let Some(m) = &self.pvt {
            if let Some(t) = ubx_utc(i32::from(m.year), m.month, m.day, m.hour, m.min, m.sec, m.nano_ns) {
                let valid = m.valid_date && m.valid_time && m.fully_resolved;
                return (Some(t), Some(TimeSource::NavPvt), valid, Some(m.tacc_ns));
            }
        }
        if let Some(m) = &self.timegps {
            if let Ok(week) = u32::try_from(m.week) {
                let t = UtcTime::from_gps(week, m.itow_ms, m.ftow_ns, i32::from(m.leap_s));
                let valid = m.tow_valid && m.week_valid && m.leap_valid && week > 0;
                if t.is_some() {
                    return (t, Some(TimeSource::NavTimeGps), valid, Some(m.tacc_ns));
                }
            }
        }
        let tacc = self.pvt.as_ref().map(|m| m.tacc_ns).or(self.timegps.as_ref().map(|m| m.tacc_ns));
        let fix = self.nmea_fix_evidence();
        if let Some(m) = &self.pubx {
            if let (Some(tod), Some(d)) = (m.time, m.date) {
                if let Some(date) = Date::new(expand_two_digit_year(d.yy), d.month, d.day) {
                    let valid = !m.leap_is_default && (fix || self.gsa_mode == 0);
                    return (Some(UtcTime::new(date, tod)), Some(TimeSource::Pubx04), valid, tacc);
                }
            }
        }
        if let Some(m) = &self.zda {
            if let (Some(tod), Some(day), Some(month), Some(year)) = (m.time, m.day, m.month, m.year) {
                if let Some(date) = Date::new(year, month, day) {
                    return (Some(UtcTime::new(date, tod)), Some(TimeSource::Zda), fix, tacc);
                }
            }
        }
        if let Some(m) = &self.rmc {
            if let (Some(tod), Some(d)) = (m.time, m.date) {
                if let Some(date) = Date::new(expand_two_digit_year(d.yy), d.month, d.day) {
                    return (Some(UtcTime::new(date, tod)), Some(TimeSource::Rmc), rmc_valid(m), tacc);
                }
            }
        }
        let learnt = |tod: TimeOfDay| {
            let (date, last_ms) = asm.last_date?;
            // GGA/GNS carry no date: take the last date seen, a day later past midnight.
            let date = if tod.millis_of_day() < last_ms { date.next_day() } else { date };
            Some(UtcTime::new(date, tod))
        };
        if let Some(m) = &self.gns {
            if let Some(t) = m.time.and_then(learnt) {
                return (Some(t), Some(TimeSource::Gns), gns_has_fix(m), tacc);
            }
        }
        if let Some(m) = &self.gga {
            if let Some(t) = m.time.and_then(learnt) {
                return (Some(t), Some(TimeSource::Gga), m.quality > 0 && m.quality != 6, tacc);
            }
        }
        if let (Some(m), Some(leap)) = (&self.sol, asm.leap.current_s) {
            if let Ok(week) = u32::try_from(m.week) {
                let t = UtcTime::from_gps(week, m.itow_ms, m.ftow_ns, i32::from(leap));
                let valid = m.week_valid && m.tow_valid && asm.leap.valid && week > 0;
                if t.is_some() {
                    return (t, Some(TimeSource::NavSol), valid, tacc);
                }
            }
        }
        (None, None, false, tacc)
    }

    /// The fix type the receiver reports, and whether it vouches for it (UBX `gnssFixOK`, NMEA
    /// status/quality).
    fn pick_fix(&self) -> (Fix, bool) {
        if let Some(m) = &self.pvt {
            return (ubx_fix(m.fix_type), m.gnss_fix_ok);
        }
        if let Some(m) = &self.sol {
            return (ubx_fix(m.gps_fix), m.gps_fix_ok);
        }
        if let Some(m) = &self.status {
            return (ubx_fix(m.gps_fix), m.gps_fix_ok);
        }
        let fix = self.nmea_fix();
        (fix, fix != Fix::None && self.nmea_fix_evidence())
    }

    fn nmea_fix(&self) -> Fix {
        if self.gsa_mode > 0 {
            return match self.gsa_mode {
                2 => Fix::TwoD,
                3 => Fix::ThreeD,
                _ => Fix::None,
            };
        }
        let has_alt = self.gga.as_ref().and_then(|g| g.alt_msl_m).is_some()
            || self.gns.as_ref().and_then(|g| g.alt_msl_m).is_some();
        let dim = if has_alt { Fix::ThreeD } else { Fix::TwoD };
        if let Some(g) = &self.gns {
            return if gns_has_fix(g) { dim } else { Fix::None };
        }
        if let Some(g) = &self.gga {
            return if g.quality > 0 && g.quality != 6 { dim } else { Fix::None };
        }
        if self.rmc.as_ref().is_some_and(rmc_valid) {
            return Fix::TwoD;
        }
        Fix::None
    }

    fn fill_sats(&self, e: &mut Epoch) {
        let mut sats: Vec<Satellite> = match &self.navsat {
            Some(ns) => ns
                .sats
                .iter()
                .map(|s| Satellite {
                    constellation: s.constellation,
                    sv_id: u16::from(s.sv_id),
                    cno_dbhz: Some(s.cno_dbhz),
                    elev_deg: s.elev_deg.map(i16::from),
                    azim_deg: s.azim_deg,
                    used: s.used,
                })
                .collect(),
            None => self.gsv.clone(),
        };
        if self.navsat.is_none() {
            for s in &mut sats {
                s.used = self.gsa_used.contains(&(s.constellation, s.sv_id));
            }
        }
        let listed_used = if self.navsat.is_some() {
            Some(sats.iter().filter(|s| s.used).count())
        } else {
            (!self.gsa_used.is_empty() || self.gsa_mode > 0).then_some(self.gsa_used.len())
        };
        e.sats_used = self
            .pvt
            .as_ref()
            .map(|m| u16::from(m.num_sv))
            .or(self.sol.as_ref().map(|m| u16::from(m.num_sv)))
            .or(listed_used.and_then(|n| u16::try_from(n).ok()))
            .or(self.gga.as_ref().and_then(|g| g.sats_used).map(u16::from))
            .or(self.gns.as_ref().and_then(|g| g.sats_used).map(u16::from));
        let listed = self.navsat.is_some() || self.gsv_seen;
        e.sats_seen = listed.then(|| u16::try_from(sats.len()).unwrap_or(u16::MAX));
        for c in Constellation::ALL {
            let seen = sats.iter().filter(|s| s.constellation == c).count();
            let used = if self.navsat.is_some() {
                sats.iter().filter(|s| s.constellation == c && s.used).count()
            } else {
                self.gsa_used.iter().filter(|(k, _)| *k == c).count()
            };
            if seen + used > 0 {
                e.constellations.push(ConstellationCount {
                    constellation: c,
                    used: u16::try_from(used).unwrap_or(u16::MAX),
                    seen: u16::try_from(seen).unwrap_or(u16::MAX),
                });
            }
        }
        e.satellites = sats;
    }

    fn fill_health(&self, e: &mut Epoch, asm: &Assembler) {
        let rf = self.monrf.as_ref().and_then(|m| m.blocks.first());
        e.antenna = rf.map(|b| b.antenna).or(self.monhw.as_ref().map(|m| m.antenna)).or(asm.txt_antenna);
        e.antenna_power = rf.map(|b| b.antenna_power).or(self.monhw.as_ref().map(|m| m.antenna_power));
        e.jamming = rf
            .map(|b| Jamming { state: b.jamming_state, indicator: b.jam_ind })
            .or(self.monhw.as_ref().map(|m| Jamming { state: m.jamming_state, indicator: m.jam_ind }));
        // NAV-STATUS spoofDetState and SEC-SIG spoofingState share a scale (≥ 2 spoofing): the
        // worse of the two, so neither message's "none" hides the other's alarm.
        let nav = self.status.as_ref().map(|s| s.spoof_det_state);
        e.spoofing = nav.max(asm.sec_spoofing);
        e.survey = self.svin.clone();
        e.time_mode = super::survey::time_mode(self.svin.as_ref(), e.fix);
    }

    fn fill_position(&self, e: &mut Epoch) {
        if let Some(m) = self.pvt.as_ref().filter(|m| m.fix_type >= 2 && m.gnss_fix_ok) {
            e.position = Some(Position {
                lat_deg: m.lat_deg,
                lon_deg: m.lon_deg,
                alt_hae_m: (m.fix_type != 2).then_some(m.height_m),
                alt_msl_m: (m.fix_type != 2).then_some(m.hmsl_m),
            });
        } else if let Some(g) = self.gga.as_ref().filter(|g| g.quality > 0) {
            if let (Some(lat_deg), Some(lon_deg)) = (g.lat_deg, g.lon_deg) {
                e.position = Some(Position {
                    lat_deg,
                    lon_deg,
                    alt_msl_m: g.alt_msl_m,
                    alt_hae_m: g.alt_msl_m.zip(g.geoid_sep_m).map(|(a, s)| a + s),
                });
            }
        } else if let Some(r) = self.rmc.as_ref().filter(|r| rmc_valid(r)) {
            if let (Some(lat_deg), Some(lon_deg)) = (r.lat_deg, r.lon_deg) {
                e.position = Some(Position { lat_deg, lon_deg, alt_hae_m: None, alt_msl_m: None });
            }
        }
        e.hdop = self.gga.as_ref().and_then(|g| g.hdop).or(self.gsa_hdop);
        e.pdop = self.pvt.as_ref().map(|m| m.pdop).or(self.sol.as_ref().map(|m| m.pdop)).or(self.gsa_pdop);
    }
}

/// RMC status `A` and a mode other than `N` (no fix). The NMEA 4.1 navigational status is not
/// consulted: u-blox M9/F9 always send `V` there, meaning "not provided" (NMEA 0183 4.11; see
/// the m9n and f9t captures).
fn rmc_valid(m: &Rmc) -> bool {
    m.status_valid && m.mode != Some(b'N')
}

fn gns_has_fix(g: &Gns) -> bool {
    g.modes.iter().any(|&c| c != b'N')
}

/// UBX fix classes (u-blox 8 protocol spec §32.17.14 NAV-PVT `fixType`). Whether the fix is
/// within the receiver's DOP/accuracy masks (`gnssFixOK`) is reported separately.
fn ubx_fix(fix_type: u8) -> Fix {
    match fix_type {
        2 => Fix::TwoD,
        3 | 4 => Fix::ThreeD,
        5 => Fix::TimeOnly,
        _ => Fix::None,
    }
}

/// A UBX UTC date-time whose fraction `nano` may be negative (NAV-PVT, NAV-TIMEUTC: the instant
/// is hh:mm:ss + nano, u-blox 8 protocol spec §32.17.14).
/// A `nano` outside ±1e9, the range the spec gives for both messages, is not a time at all.
fn ubx_utc(year: impl Into<i32>, month: u8, day: u8, h: u8, m: u8, s: u8, nano: i32) -> Option<UtcTime> {
    if !(-1_000_000_000..=1_000_000_000).contains(&nano) {
        return None;
    }
    let date = Date::new(year.into(), month, day)?;
    if (0..1_000_000_000).contains(&nano) {
        return Some(UtcTime::new(date, TimeOfDay::new(h, m, s, nano as u32)?));
    }
    let base = UtcTime::new(date, TimeOfDay::new(h, m, s.min(59), 0)?);
    let total = base.unix_nanos() + i128::from(nano) + i128::from(s.saturating_sub(59)) * 1_000_000_000;
    let secs = i64::try_from(total.div_euclid(1_000_000_000)).ok()?;
    Some(UtcTime::from_unix(secs, total.rem_euclid(1_000_000_000) as u32))
}

fn next_pulse(tp: &TimTp, gps_utc_s: Option<i32>) -> NextPulse {
    // towSubMS is in 2^-32 ms (u-blox 8 protocol spec §32.18.2 TIM-TP).
    let tow_sub_ns = ((u64::from(tp.tow_sub_ms) * 1_000_000) >> 32) as u32;
    let leap = if tp.time_base_utc {
        Some(0)
    } else {
        // GPS and Galileo share the GPS week/second scale; others are not converted here.
        match tp.time_ref_gnss {
            0 | 3 => gps_utc_s,
            _ => None,
        }
    };
    let utc = leap.and_then(|l| UtcTime::from_gps(u32::from(tp.week), tp.tow_ms, tow_sub_ns as i32, l));
    NextPulse {
        utc,
        week: tp.week,
        tow_ms: tp.tow_ms,
        tow_sub_ns,
        time_base_utc: tp.time_base_utc,
        qerr_ps: (!tp.qerr_invalid).then_some(tp.qerr_ps),
    }
}

/// Moves an NMEA time that predates `pivot_week` forward by 1024 GPS weeks (receivers with the
/// 10-bit week rollover bug report dates 19.6 years in the past).
fn correct_rollover(t: UtcTime, pivot_week: u32) -> (Option<UtcTime>, bool) {
    let pivot_unix = crate::time::GPS_EPOCH_UNIX + i64::from(pivot_week) * SECONDS_PER_WEEK;
    let (secs, nanos) = t.unix();
    if secs >= pivot_unix || t.time.second == 60 {
        return (Some(t), false);
    }
    (Some(UtcTime::from_unix(secs + 1024 * SECONDS_PER_WEEK, nanos)), true)
}
