//! One second's serial output: which messages, in which order, after the scenario's faults.
//!
//! Order follows a ZED-F9T configured for UBX and NMEA (gpsd capture
//! `ublox-zed-f9t-ubx_nmea_l5.log`): NAV-PVT and NAV-TIMEUTC, then the NMEA sentences of the
//! same second, then the remaining NAV/MON/TIM messages and NAV-EOE last. NMEA placed after
//! NAV-EOE would start a second epoch for the same second in a decoder that closes epochs on
//! NAV-EOE (as `timed_core::epoch` does), which no real receiver makes it do.

use crate::nmea;
use crate::rng::{Purpose, Rng};
use crate::scenario::{Active, Protocol, Scenario};
use crate::sky::{snapshot, Sky, Snapshot};
use crate::ubx;

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

/// Composes the burst for true second `true_s`, the `index`-th second of the run.
pub fn compose(
    s: &Scenario,
    sky: &Sky,
    true_s: i64,
    index: u64,
    active: &Active,
    fill_seq: &mut u64,
) -> Burst {
    let snap = snapshot(s, sky, true_s, index, active);
    let label_s = snap.unix_s;
    if active.silence || active.pulse_only || active.power_off {
        return Burst { frames: Vec::new(), label_s };
    }
    let every = |n: u32| n > 0 && index % u64::from(n) == 0;
    // An RF state change is reported at once, as a receiver polled or configured for MON-RF
    // on change would; the periodic rate alone could hide a short fault.
    let prev_rf = (index > 0).then(|| snapshot_rf(s, index - 1));
    let monrf = every(s.monrf_every_s) || prev_rf.is_some_and(|r| r != snapshot_rf(s, index));
    let spoof = |i: u64| s.active(i).spoofing;
    let secsig =
        s.secsig_every_s > 0 && (every(s.secsig_every_s) || (index > 0 && spoof(index - 1) != spoof(index)));
    let mut frames = match s.protocol {
        Protocol::UbxNmea => {
            // TIM-TP right behind the solution: a receiver reports the next pulse as soon as it
            // knows it, so a long (padded) burst does not delay it.
            let mut f = vec![ubx::nav_pvt(&snap), ubx::nav_timeutc(&snap), ubx::tim_tp(&snap)];
            f.extend(nmea_frames(&snap));
            f.extend(ubx_tail(&snap, every(s.timels_every_s), monrf, secsig));
            f
        }
        Protocol::Ubx => {
            let mut f = vec![ubx::nav_pvt(&snap), ubx::nav_timeutc(&snap), ubx::tim_tp(&snap)];
            f.extend(ubx_tail(&snap, every(s.timels_every_s), monrf, secsig));
            f
        }
        Protocol::Nmea => nmea_frames(&snap),
    };
    pad(s, &mut frames, fill_seq);
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

fn nmea_frames(snap: &Snapshot) -> Vec<Vec<u8>> {
    let mut v = vec![nmea::rmc(snap), nmea::gga(snap)];
    v.extend(nmea::gsa(snap));
    v.extend(nmea::gsv(snap));
    v.push(nmea::zda(snap));
    // After the second's own sentences: NMEA has no epoch end, so a TXT before RMC would be
    // credited to the previous second by a decoder that closes epochs on a new time.
    v.extend(snap.antenna_txt.map(nmea::txt_antenna));
    v.into_iter().map(String::into_bytes).collect()
}

/// NAV-STATUS, NAV-SAT, NAV-TIMELS, MON-RF, SEC-SIG, then NAV-EOE (any padding goes in before
/// NAV-EOE).
fn ubx_tail(snap: &Snapshot, timels: bool, monrf: bool, secsig: bool) -> Vec<Vec<u8>> {
    let mut v = vec![ubx::nav_status(snap), ubx::nav_sat(snap)];
    if timels {
        v.push(ubx::nav_timels(snap));
    }
    if monrf {
        v.push(ubx::mon_rf(snap));
        v.push(ubx::mon_ver());
    }
    if secsig {
        v.push(ubx::sec_sig(snap));
    }
    v.push(ubx::nav_eoe(snap));
    v
}

/// Pads with TXT sentences up to `fill` of the line's capacity, inside the epoch (before
/// NAV-EOE when there is one), so the padding never opens an epoch of its own.
fn pad(s: &Scenario, frames: &mut Vec<Vec<u8>>, fill_seq: &mut u64) {
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
    let at = if s.protocol == Protocol::Nmea { frames.len() } else { frames.len().saturating_sub(1) };
    frames.splice(at..at, txt);
}

#[cfg(test)]
#[path = "burst_tests.rs"]
mod tests;
