//! One second's serial output: which messages, in which order, after the scenario's faults.
//!
//! Order follows a ZED-F9T configured for UBX and NMEA (gpsd capture
//! `ublox-zed-f9t-ubx_nmea_l5.log`): NAV-PVT and NAV-TIMEUTC, then the NMEA sentences of the
//! same second, then the remaining NAV/MON/TIM messages and NAV-EOE last. NMEA placed after
//! NAV-EOE would start a second epoch for the same second in a decoder that closes epochs on
//! NAV-EOE (as `timed_core::epoch` does), which no real receiver makes it do.

use crate::keys::{Config, Msg};
use crate::model::Part;
use crate::rng::{Purpose, Rng};
use crate::scenario::{Active, Position, Scenario};
use crate::sky::{snapshot, Sky, Snapshot};
use crate::survey::{self, Survey};
use crate::{nmea, ubx};

/// The frames of one burst (each a complete UBX frame or NMEA sentence, or a garbage chunk)
/// and the second they are labelled with.
#[derive(Clone, Debug, Default)]
pub struct Burst {
    pub frames: Vec<Vec<u8>>,
    pub label_s: i64,
}

impl Burst {
    pub fn len(&self) -> usize {
        self.frames.iter().map(Vec::len).sum()
    }
}

/// An encoder of a UBX message or an NMEA sentence from a snapshot.
type UbxEnc = fn(&Snapshot) -> Vec<u8>;
type NmeaEnc = fn(&Snapshot) -> String;

/// What the receiver model is configured to send: the burst follows it.
#[derive(Clone, Debug)]
pub struct Output {
    pub cfg: Config,
    pub part: Part,
    /// The simulator's own MON-VER, sent beside the RF message (no `--model`).
    pub monver: Option<Vec<u8>>,
    pub survey: Survey,
}

impl Output {
    /// The position a timing receiver in fixed time mode uses, `None` when it is not in it:
    /// time mode 2 (the configured position), or a survey-in that finished (its mean). From
    /// then on it solves for time only (F9 interface description and u-blox 8 protocol spec,
    /// "Time mode": NAV-PVT fixType 5, NAV-STATUS gpsFix 5) and reports that position. The
    /// NMEA "Position fix flags" tables (F9 interface description §4.1.6, u-blox 8 protocol
    /// spec "NMEA Protocol / Position Fix Flags") have no row for a time-only fix: it is a valid
    /// GNSS fix there, so GGA (quality 1) and RMC (status A, mode A) stay as with a 3D fix,
    /// carrying the fixed position.
    pub fn fixed_position(&self) -> Option<Position> {
        if !self.part.has_time_mode() {
            return None;
        }
        let tm = &self.cfg.tmode;
        let ecef_01mm = match tm.mode {
            1 if self.survey.valid && !self.survey.active => self.survey.mean_01mm,
            2 if tm.lla => {
                let deg = |i: usize| f64::from(tm.pos[i]) * 1e-7 + f64::from(tm.pos_hp[i]) * 1e-9;
                let height_m = f64::from(tm.pos[2]) * 1e-2 + f64::from(tm.pos_hp[2]) * 1e-4;
                return Some(Position { lat_deg: deg(0), lon_deg: deg(1), height_m, geoid_sep_m: 0.0 });
            }
            2 => [0, 1, 2].map(|i| i64::from(tm.pos[i]) * 100 + i64::from(tm.pos_hp[i])),
            _ => return None,
        };
        let (lat_deg, lon_deg, height_m) =
            timed_core::epoch::ecef_to_llh(ecef_01mm.map(|v| v as f64 * 1e-4))?;
        Some(Position { lat_deg, lon_deg, height_m, geoid_sep_m: 0.0 })
    }

    /// The simulator as it always was (no `--model`): configured for the scenario.
    #[cfg(test)]
    pub fn configured(s: &Scenario) -> Output {
        crate::receiver::Receiver::new(Part::F9t, false, s, false, true).output()
    }
}

/// Composes the burst for true second `true_s`, the `index`-th second of the run, for the
/// simulator configured as it always was.
#[cfg(test)]
pub fn compose(
    s: &Scenario,
    sky: &Sky,
    true_s: i64,
    index: u64,
    active: &Active,
    fill_seq: &mut u64,
) -> Burst {
    compose_with(s, sky, true_s, index, active, fill_seq, &Output::configured(s))
}

/// Composes the burst of second `index` with exactly the messages `out` enables (UART1
/// message rates and output protocols: u-blox 8 protocol spec CFG-MSG/CFG-PRT, F9
/// CFG-MSGOUT-*/CFG-UART1OUTPROT-*), in the order this module's comment gives.
pub fn compose_with(
    s: &Scenario,
    sky: &Sky,
    true_s: i64,
    index: u64,
    active: &Active,
    fill_seq: &mut u64,
    out: &Output,
) -> Burst {
    let mut snap = snapshot(s, sky, true_s, index, active);
    // Satellites of a disabled constellation are not tracked: absent from NAV-SAT and GSV.
    snap.sats.retain(|sat| out.cfg.gnss_mask & 1 << sat.gnss.ubx_id() != 0);
    if let Some(p) = out.fixed_position().filter(|_| snap.fix) {
        (snap.time_only, snap.position) = (true, Position { geoid_sep_m: snap.position.geoid_sep_m, ..p });
    }
    let label_s = snap.unix_s;
    if active.silence || active.pulse_only || active.power_off {
        return Burst { frames: Vec::new(), label_s };
    }
    let cfg = &out.cfg;
    // A rate n sends the message with every n-th navigation solution (CFG-MSG, CFG-RATE).
    let every = cfg.solution_every_s;
    let on = |m: Msg| {
        let rate = u64::from(cfg.rate(m));
        let proto = if m.class_id().0 == 0xF0 { cfg.out_nmea } else { cfg.out_ubx };
        proto && m.on(out.part) && rate > 0 && index % every == 0 && (index / every) % rate == 0
    };
    let mut frames = Vec::new();
    let head: [(Msg, UbxEnc); 2] = [(Msg::NavPvt, ubx::nav_pvt), (Msg::NavTimeutc, ubx::nav_timeutc)];
    frames.extend(head.iter().filter(|(m, _)| on(*m)).map(|(_, f)| f(&snap)));
    // TIM-TP right behind the solution: a receiver reports the next pulse as soon as it
    // knows it, so a long (padded) burst does not delay it.
    if on(Msg::TimTp) {
        frames.push(ubx::tim_tp(&snap, !cfg.tp.grid_gps));
    }
    frames.extend(nmea_frames(&snap, &on));
    // An RF state change is reported at once, as a receiver polled or configured for MON-RF
    // on change would; the periodic rate alone could hide a short fault.
    let rf = out.part.rf_msg();
    let prev_rf = (index > 0).then(|| snapshot_rf(s, index - 1));
    let rf_changed = prev_rf.is_some_and(|r| r != snapshot_rf(s, index));
    let rf_on = on(rf) || (rf_changed && cfg.out_ubx && cfg.rate(rf) > 0);
    for (m, f) in [
        (Msg::NavStatus, ubx::nav_status as UbxEnc),
        (Msg::NavSat, ubx::nav_sat),
        (Msg::NavTimels, ubx::nav_timels),
    ] {
        if on(m) {
            frames.push(f(&snap));
        }
    }
    if rf_on {
        frames.push(if rf == Msg::MonRf { ubx::mon_rf(&snap) } else { ubx::mon_hw(&snap) });
        frames.extend(out.monver.iter().cloned());
    }
    // SEC-SIG (F9 firmware with it; off unless the scenario sets `secsig_every_s`): every
    // n seconds and at once when the spoofing state changes, as MON-RF is on a change.
    let spoof = |i: u64| s.active(i).spoofing;
    let spoof_changed = index > 0 && spoof(index - 1) != spoof(index);
    if s.secsig_every_s > 0 && cfg.out_ubx && (index % u64::from(s.secsig_every_s) == 0 || spoof_changed) {
        frames.push(ubx::sec_sig(&snap));
    }
    if on(Msg::TimSvin) {
        frames.push(survey::tim_svin(&out.survey));
    }
    if on(Msg::NavSvin) {
        frames.push(survey::nav_svin(&out.survey, snap.itow_ms()));
    }
    let eoe = on(Msg::NavEoe);
    if eoe {
        frames.push(ubx::nav_eoe(&snap));
    }
    pad(s, &mut frames, fill_seq, eoe);
    if active.garbage {
        // Same length as the real burst: a wrong baud rate or line noise, not a silence.
        let mut junk = vec![0u8; frames.iter().map(Vec::len).sum::<usize>().max(64)];
        Rng::stream(s.seed, Purpose::Garbage, index as i64).fill(&mut junk);
        frames = junk.chunks(64).map(<[u8]>::to_vec).collect();
    }
    Burst { frames, label_s }
}

/// The RF faults of second `index` (what MON-RF shows).
fn snapshot_rf(s: &Scenario, index: u64) -> (Option<u8>, Option<(u8, u8)>) {
    let a = s.active(index);
    (a.antenna, a.jamming)
}

/// The NMEA sentences enabled, in a u-blox's order (RMC, VTG, GGA, GSA, GSV, GLL, ZDA), and
/// the antenna TXT when the port sends NMEA at all.
fn nmea_frames(snap: &Snapshot, on: &dyn Fn(Msg) -> bool) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let one: [(Msg, NmeaEnc); 3] = [(Msg::Rmc, nmea::rmc), (Msg::Vtg, nmea::vtg), (Msg::Gga, nmea::gga)];
    v.extend(one.iter().filter(|(m, _)| on(*m)).map(|(_, f)| f(snap)));
    if on(Msg::Gsa) {
        v.extend(nmea::gsa(snap));
    }
    if on(Msg::Gsv) {
        v.extend(nmea::gsv(snap));
    }
    for (m, f) in [(Msg::Gll, nmea::gll as NmeaEnc), (Msg::Zda, nmea::zda)] {
        if on(m) {
            v.push(f(snap));
        }
    }
    // After the second's own sentences: NMEA has no epoch end, so a TXT before RMC would be
    // credited to the previous second by a decoder that closes epochs on a new time.
    if !v.is_empty() {
        v.extend(snap.antenna_txt.map(nmea::txt_antenna));
    }
    v.into_iter().map(String::into_bytes).collect()
}

/// Pads with TXT sentences up to `fill` of the line's capacity, inside the epoch (before
/// NAV-EOE when there is one), so the padding never opens an epoch of its own.
fn pad(s: &Scenario, frames: &mut Vec<Vec<u8>>, fill_seq: &mut u64, eoe: bool) {
    if s.fill <= 0.0 {
        return;
    }
    let target = (f64::from(s.baud) / 10.0 * s.fill) as usize;
    let have: usize = frames.iter().map(Vec::len).sum();
    if target <= have {
        return;
    }
    let txt: Vec<Vec<u8>> =
        nmea::filler(target - have, fill_seq).into_iter().map(String::into_bytes).collect();
    let at = if eoe { frames.len().saturating_sub(1) } else { frames.len() };
    frames.splice(at..at, txt);
}

#[cfg(test)]
#[path = "burst_tests.rs"]
mod tests;
