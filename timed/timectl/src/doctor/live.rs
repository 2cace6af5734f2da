//! Checks of what timed sees, from two snapshots a window apart: bytes arriving and at a
//! plausible speed, the receiver's fix and time, PPS edges at 1 Hz, each paired with its
//! second, and the serial latency inside the windows that pairing relies on. Counts are
//! differences over the window, so old trouble (garbage at start-up) does not count.

use super::chrony_conf::Refclock;
use super::gather::{Facts, Live};
use super::Check;
use crate::fmt::{secs, unsigned};
use timed::health::{DeviceState, Health};

/// Why the live checks are skipped: timed's state could not be read. Not "timed is not running"
/// when the socket refused the user (a user outside group timed) or was busy: timed runs then.
fn no_live(f: &Facts) -> String {
    use crate::client::Failure;
    match f.live.as_ref().err().map(|e| e.kind) {
        Some(Failure::PermissionDenied) => {
            "timed's control socket refused this user (permission denied; see timed-running)".into()
        }
        Some(k) if k.is_busy() => "timed runs but its control socket is busy (see timed-running)".into(),
        Some(Failure::Hung) => "timed does not answer (see timed-running)".into(),
        _ => "timed is not running (see timed-running)".into(),
    }
}

fn delta(l: &Live, f: impl Fn(&Health) -> u64) -> u64 {
    f(&l.b).saturating_sub(f(&l.a))
}

fn rejects(h: &Health, reason: &str) -> u64 {
    h.pps.rejects.iter().find(|(r, _)| r == reason).map_or(0, |(_, n)| *n)
}

/// serial-data, serial-speed, receiver-fix.
pub fn receiver(f: &Facts) -> Vec<Check> {
    let Ok(l) = &f.live else {
        return ["serial-data", "serial-speed", "receiver-fix"]
            .map(|id| Check::skip(id, no_live(f)))
            .to_vec();
    };
    vec![serial_data(f, l), serial_speed(f, l), receiver_fix(l)]
}

fn serial_data(f: &Facts, l: &Live) -> Check {
    const ID: &str = "serial-data";
    let rx = &l.b.receiver;
    let dev = &rx.device;
    if rx.serial_state != DeviceState::Open {
        return Check::fail(
            ID,
            format!(
                "timed cannot read the receiver at {dev}: {} ({})",
                rx.serial_state,
                rx.serial_error.as_deref().unwrap_or("no error given")
            ),
            "see serial-device; timed reopens the port on its own (every few seconds)",
        );
    }
    let bytes = delta(l, |h| h.receiver.framer.bytes);
    if bytes == 0 {
        return Check::fail(
            ID,
            format!("no bytes from {dev} in {:.1} s ({} since timed started)", l.dt_s, rx.framer.bytes),
            format!(
                "check the receiver's power and its TX wire to the Pi's RXD (GPIO15, pin 10; USB: the cable); a serial \
                 console on that UART (console=serial0 in cmdline.txt) or another reader (gpsd; `fuser -v {dev}`) \
                 takes the bytes"
            ),
        );
    }
    let rate = bytes as f64 / l.dt_s.max(0.1);
    let Some(c) = f.cfg() else { return Check::ok(ID, format!("{rate:.0} bytes/s from {dev}")) };
    let baud = c.receiver.baud;
    let used = rate * 10.0 / f64::from(baud);
    if used > 0.9 {
        return Check::warn(
            ID,
            format!("{rate:.0} bytes/s from {dev} fill {:.0} % of {baud} baud: bursts run into the next second", used * 100.0),
            "raise the speed (receiver and [receiver] baud together) or switch off messages timed does not need \
             (NMEA GSV/GSA, UBX NAV-SAT)",
        );
    }
    Check::ok(ID, format!("{rate:.0} bytes/s from {dev} ({:.0} % of {baud} baud)", used * 100.0))
}

fn serial_speed(f: &Facts, l: &Live) -> Check {
    const ID: &str = "serial-speed";
    let bytes = delta(l, |h| h.receiver.framer.bytes);
    if bytes == 0 || l.b.receiver.serial_state != DeviceState::Open {
        return Check::skip(ID, "no bytes to judge (see serial-data)");
    }
    let nmea = delta(l, |h| h.receiver.framer.nmea);
    let ubx = delta(l, |h| h.receiver.framer.ubx);
    let garbage = delta(l, |h| h.receiver.framer.garbage_bytes);
    let sums = delta(l, |h| h.receiver.framer.checksum_errors);
    let ratio = garbage as f64 / bytes as f64;
    let dev = &l.b.receiver.device;
    let (baud, at) = f.cfg().map_or((String::from("the configured"), String::new()), |c| {
        (c.receiver.baud.to_string(), format!(" ([receiver] baud, {})", f.key_at("receiver", "baud")))
    });
    if (nmea + ubx == 0 && bytes >= 32) || ratio >= 0.5 {
        return Check::fail(
            ID,
            format!(
                "{bytes} bytes from {dev} in {:.1} s but {} NMEA/UBX frames: {:.0} % garbage, {sums} checksum errors \
                 — the receiver does not send at {baud} baud{at}",
                l.dt_s,
                nmea + ubx,
                ratio * 100.0
            ),
            format!(
                "set [receiver] baud in {} to the receiver's speed (u-blox receivers leave the factory at 9600; \
                 try 9600, 38400, 115200) and restart timed, or set the receiver to {baud} baud (u-center: \
                 CFG-PRT / CFG-UART1-BAUDRATE, then save the configuration)",
                f.config_path.display()
            ),
        );
    }
    if ratio >= 0.05 || sums > 0 {
        return Check::warn(
            ID,
            format!(
                "{:.0} % of the bytes from {dev} are garbage and {sums} frames failed their checksum in {:.1} s",
                ratio * 100.0,
                l.dt_s
            ),
            "a noisy line or a marginal speed: check the wiring and ground, keep the cable short, and make sure only \
             timed reads the port",
        );
    }
    Check::ok(
        ID,
        format!(
            "{} frames ({nmea} NMEA, {ubx} UBX) in {:.1} s, {garbage} garbage bytes at {baud} baud",
            nmea + ubx,
            l.dt_s
        ),
    )
}

fn receiver_fix(l: &Live) -> Check {
    const ID: &str = "receiver-fix";
    let rx = &l.b.receiver;
    if delta(l, |h| h.receiver.epochs) == 0 {
        return Check::skip(
            ID,
            format!("no complete epoch from {} in {:.1} s (see serial-speed)", rx.device, l.dt_s),
        );
    }
    let sats = format!("{} of {} satellites used", rx.sats_used.unwrap_or(0), rx.sats_seen.unwrap_or(0));
    if !rx.time_valid {
        let antenna = rx.antenna.map_or(String::new(), |a| format!(", antenna {a}"));
        return Check::fail(
            ID,
            format!("the receiver on {} reports no valid time: fix {}, {sats}{antenna}", rx.device, rx.fix),
            "give the antenna a clear view of the sky (a window sill is marginal), check the antenna cable and, for \
             an active antenna, its supply; a cold start takes up to 15 minutes",
        );
    }
    let tacc = rx.tacc_ns.map_or(String::new(), |t| format!(", accuracy {t} ns"));
    Check::ok(ID, format!("fix {}, {sats}, time valid{tacc}", rx.fix))
}

/// pps-edges, pps-pairing.
pub fn pps(f: &Facts) -> Vec<Check> {
    let Ok(l) = &f.live else {
        return ["pps-edges", "pps-pairing"].map(|id| Check::skip(id, no_live(f))).to_vec();
    };
    let p = &l.b.pps;
    if p.source == timed::config::PpsSource::Off {
        return ["pps-edges", "pps-pairing"]
            .map(|id| Check::skip(id, "PPS is off (see pps-device)"))
            .to_vec();
    }
    vec![pps_edges(l), pps_pairing(f, l)]
}

fn pps_edges(l: &Live) -> Check {
    const ID: &str = "pps-edges";
    let p = &l.b.pps;
    let dev = &p.device;
    if p.device_state != DeviceState::Open {
        return Check::fail(
            ID,
            format!(
                "timed cannot use PPS {dev}: {} ({})",
                p.device_state,
                p.device_error.as_deref().unwrap_or("no error given")
            ),
            "see pps-device",
        );
    }
    let edges = delta(l, |h| h.pps.edges);
    let last =
        p.last_edge_ns.map_or("never".to_string(), |t| format!("{:.1} s ago", (l.now_ns - t) as f64 / 1e9));
    if edges == 0 {
        let fix = if p.simulated {
            format!("timed-sim sends no edges to {dev}: is it running with --pps-socket {dev} (and no drop_pulse fault)?")
        } else {
            format!(
                "check the time-pulse wire (receiver TIMEPULSE → GPIO18, pin 12) and that the pps-gpio overlay names \
                 that pin; u-blox receivers pulse only with a fix by default (CFG-TP5); `ppstest {dev}` shows edges"
            )
        };
        return Check::fail(
            ID,
            format!(
                "no PPS edge on {dev} in {:.1} s (last edge {last}; {} since timed started)",
                l.dt_s, p.edges
            ),
            fix,
        );
    }
    let hz = edges as f64 / l.dt_s.max(0.1);
    if edges as f64 > l.dt_s * 1.5 + 1.0 {
        return Check::fail(
            ID,
            format!("{edges} edges on {dev} in {:.1} s ({hz:.1} Hz): not a 1 Hz pulse", l.dt_s),
            "set the receiver's time pulse to 1 Hz (CFG-TP5 / CFG-TP-FREQ_TP1 = 1); extra edges on a 1 Hz pulse come \
             from a long unshielded wire or a second source on the GPIO",
        );
    }
    let missed = delta(l, |h| rejects(h, "missed_pulse"));
    let doubled = delta(l, |h| rejects(h, "duplicate"));
    if missed + doubled > 0 {
        return Check::warn(
            ID,
            format!("{edges} edges on {dev} in {:.1} s, but {missed} missed and {doubled} doubled", l.dt_s),
            "a flaky PPS line: check the connector and the ground wire",
        );
    }
    Check::ok(ID, format!("{edges} edges on {dev} in {:.1} s (1 Hz), last {last}", l.dt_s))
}

fn pps_pairing(f: &Facts, l: &Live) -> Check {
    const ID: &str = "pps-pairing";
    let p = &l.b.pps;
    if p.device_state != DeviceState::Open || delta(l, |h| h.pps.edges) == 0 {
        return Check::skip(ID, "no edges to pair (see pps-edges)");
    }
    let mut counts: Vec<(String, u64)> = p
        .rejects
        .iter()
        .map(|(r, _)| (r.to_string(), delta(l, |h| rejects(h, r))))
        .filter(|(_, n)| *n > 0)
        .collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let listed: Vec<String> = counts.iter().map(|(r, n)| format!("{r} {n}")).collect();
    // Paired means samples went out in the window; the state name can lag behind (it changes on
    // the next labelled edge or timeout).
    if delta(l, |h| h.pps.samples) == 0 {
        let window = f.cfg().map_or([0.0, 990.0], |c| c.engine.epoch_window_ms);
        let epochs = delta(l, |h| h.receiver.epochs);
        let fix = match counts.first().map(|(r, _)| r.as_str()) {
            _ if epochs == 0 => {
                "no complete epoch from the receiver to pair the edges with: see serial-data and serial-speed"
                    .to_string()
            }
            Some("wrong_second") => "the receiver's messages name a different second than its pulse marks: check its \
                 time-pulse alignment (CFG-TP5: align to UTC, top of second) and the serial latency (see \
                 serial-latency)"
                .to_string(),
            Some("no_fix" | "invalid_time") => "the receiver has no valid time yet (see receiver-fix)".to_string(),
            Some("unlabelled") => format!(
                "no UBX-TIM-TP and no epoch within [{}, {}] ms after the edges ([engine] epoch_window_ms): enable \
                 UBX-TIM-TP on the receiver, or see serial-latency",
                window[0], window[1]
            ),
            Some("stale") => "TIM-TP arrives too long before its pulse: send it once per second".to_string(),
            Some("outlier") => "PPS offsets jump by more than [engine] outlier_ms: a second pulse source or a \
                 noisy line"
                .to_string(),
            _ => "no edge could be labelled yet: needs valid receiver time (see serial-speed, receiver-fix)".to_string(),
        };
        let why = if listed.is_empty() {
            "none rejected".to_string()
        } else {
            format!("rejected: {}", listed.join(", "))
        };
        return Check::fail(
            ID,
            format!(
                "PPS edges arrive but none was paired with a second in {:.1} s (state {}; {why})",
                l.dt_s, p.state
            ),
            fix,
        );
    }
    if let Some((refid, server, ahead)) = ntp_disagreement(f) {
        return Check::fail(
            ID,
            format!(
                "chronyd's PPS refclock {refid} runs {:.3} s {} its NTP source {server}: the pulses are \
                 paired with the wrong second",
                ahead.abs(),
                if ahead > 0.0 { "ahead of" } else { "behind" }
            ),
            "the receiver labels its pulse with another second than it marks (time-pulse settings: CFG-TP5 \
             aligned to UTC, not GPS; a firmware bug), or its leap second count is wrong (NAV-TIMELS)",
        );
    }
    let wrong = delta(l, |h| rejects(h, "wrong_second"));
    let offset =
        p.last_offset_ns.map_or(String::new(), |o| format!("; last sample offset {}", secs(o as f64 / 1e9)));
    if wrong > 0 {
        return Check::warn(
            ID,
            format!(
                "paired ({}), but {wrong} edges were labelled with the wrong second in {:.1} s",
                p.state, l.dt_s
            ),
            "check the receiver's time-pulse alignment and the serial latency (see serial-latency)",
        );
    }
    Check::ok(ID, format!("edges paired with their second ({}){offset}", p.state))
}

/// The chrony refclock reading timed's PPS (`pps`) or coarse samples.
fn refclock_for(f: &Facts, pps: bool) -> Option<&Refclock> {
    let c = f.cfg()?;
    let (sock, unit) = if pps {
        (&c.chrony.sock.pps, c.chrony.shm.pps_unit)
    } else {
        (&c.chrony.sock.coarse, c.chrony.shm.coarse_unit)
    };
    f.chrony_conf.as_ref().ok()?.refclocks.iter().filter(|r| !r.in_sourcedir).find(|r| {
        (!sock.as_os_str().is_empty() && r.sock_path() == Some(sock.as_path()))
            || (c.chrony.shm.enabled && unit >= 0 && r.shm_unit() == Some(unit))
    })
}

/// chronyd's PPS refclock against its NTP sources: the receiver's messages and TIM-TP agree
/// with each other even when both name the wrong second, so only an independent clock shows
/// it. `(refid, source, how far PPS time is ahead of the source)` when the median NTP source
/// disagrees by half a second or more (offsets are system − source).
fn ntp_disagreement(f: &Facts) -> Option<(String, String, f64)> {
    let refid = &refclock_for(f, true)?.refid;
    let sources = f.chrony.as_ref().ok()?.sources.as_ref().ok()?;
    let fresh = |s: &&timed::chronyctl::Source| s.reach != 0 && s.last_rx_ago_s.is_some_and(|a| a < 600);
    let pps = sources.iter().filter(fresh).find(|s| s.mode == "refclock" && s.name == *refid)?;
    let mut diffs: Vec<(f64, &str)> = sources
        .iter()
        .filter(fresh)
        .filter(|s| s.mode != "refclock")
        .map(|s| (s.last_offset_s - pps.last_offset_s, s.name.as_str()))
        .collect();
    diffs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (d, name) = *diffs.get(diffs.len() / 2)?;
    (d.abs() >= 0.5).then(|| (refid.clone(), name.to_string(), d))
}

/// chrony pairs a `lock`ed pulse with the other refclock's sample only when they agree within
/// 0.2 s at 1 Hz (refclock.c: `fabs(ref_offset - offset) + dispersions >= 0.2 / rate`).
const CHRONY_LOCK_WINDOW_S: f64 = 0.2;
/// timed drops a PPS label whose offset disagrees with the coarse sample by more than this
/// (timed-core engine `coarse_agreement_ns`).
const TIMED_AGREEMENT_S: f64 = 0.4;

pub fn serial_latency(f: &Facts) -> Check {
    const ID: &str = "serial-latency";
    let (Ok(l), Some(c)) = (&f.live, f.cfg()) else {
        return Check::skip(ID, "needs a running timed and its timed.toml (see timed-running, timed-config)");
    };
    let st = &l.b.stats;
    let latency = st.suggested_coarse.map(|(o, _)| o).or_else(|| {
        st.serial_latency
            .iter()
            .filter(|(_, w)| w.count > 0 && w.mean_s.is_finite())
            .map(|(_, w)| w.mean_s)
            .reduce(f64::min)
    });
    let Some(lat) = latency else {
        return Check::skip(
            ID,
            "the serial latency is measured against paired PPS edges: none yet (see pps-pairing)",
        );
    };
    let delay = c.receiver.serial_delay_ms / 1e3;
    let delay_at = f.key_at("receiver", "serial_delay_ms");
    let conf = f.chrony_conf.as_ref().ok();
    let coarse = refclock_for(f, false);
    let offset = coarse.map_or(0.0, |r| r.offset_s());
    let residual = lat - delay - offset;
    let offset_text = coarse
        .filter(|_| offset != 0.0)
        .map_or(String::new(), |r| format!(" and chrony's offset {offset:+.3} s ({})", r.at));
    let what = format!(
        "bursts start {} after the second; with serial_delay_ms = {} ({delay_at}){offset_text} coarse samples are {} off",
        unsigned(lat),
        c.receiver.serial_delay_ms,
        secs(-residual)
    );
    let fix = format!(
        "set serial_delay_ms = {:.0} in [receiver] ({delay_at}) and restart timed{}",
        (lat - offset) * 1e3,
        if offset != 0.0 { " (or adjust the refclock's offset instead)" } else { "" }
    );
    let [lo, hi] = c.engine.epoch_window_ms;
    if !(lo..=hi).contains(&(lat * 1e3)) {
        return Check::fail(
            ID,
            format!(
                "bursts start {} after the second, outside [engine] epoch_window_ms [{lo}, {hi}]",
                unsigned(lat)
            ),
            "widen epoch_window_ms, or make the receiver send less so its burst starts sooner",
        );
    }
    if residual.abs() >= TIMED_AGREEMENT_S {
        return Check::fail(
            ID,
            format!("{what}: beyond the {TIMED_AGREEMENT_S} s within which timed checks PPS labels"),
            fix,
        );
    }
    let locks: Vec<String> = match (conf, coarse) {
        (Some(cc), Some(r)) => cc
            .refclocks
            .iter()
            .filter(|x| x.opt("lock") == Some(r.refid.as_str()))
            .map(|x| x.at.to_string())
            .collect(),
        _ => Vec::new(),
    };
    if !locks.is_empty() && residual.abs() >= CHRONY_LOCK_WINDOW_S {
        return Check::fail(
            ID,
            format!(
                "{what}: outside chrony's lock window of {CHRONY_LOCK_WINDOW_S} s ({} locks to {}), so chrony drops \
                 every pulse",
                locks.join(", "),
                coarse.map_or("", |r| r.refid.as_str())
            ),
            fix,
        );
    }
    if residual.abs() > 0.05 {
        return Check::warn(ID, what, fix);
    }
    Check::ok(ID, what)
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
