//! The overall verdict (OK / DEGRADED / FAILING) and its reasons, from one view of timed and
//! chronyd. Pure: the same view always gives the same verdict, so every reason is unit-tested.
//!
//! FAILING: the LAN is not getting GPS time (timed down, receiver silent, PPS not reaching
//! chrony, chrony unsynchronised or hung, the clock seconds off). DEGRADED: time is served but
//! something a user should fix or know is wrong (coarse only, antenna fault, jamming, few
//! satellites, SIMULATED PPS). BUSY: timed runs but its control socket was too busy to answer
//! (timectl's retries included), so timed's state is unknown: that is not a failing time server,
//! and anyone in the socket's group could cause it.
//!
//! Owned by the daemon's library so that `timectl status --json` and the web page's
//! `/status.json` are one document; no I/O here (the caller brings the view and its time).

use crate::chronyctl::{ChronydState, Report};
use crate::health::{DeviceState, GateName, Health, PpsLock, SinkState};
use crate::status::secs;
use crate::status::{Failure, View};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Ok,
    Degraded,
    /// Unknown: timed's socket was busy. Above DEGRADED (nothing says time is served well),
    /// below FAILING (a failure seen in chronyd's own reading still wins).
    Busy,
    Failing,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Degraded => "DEGRADED",
            Verdict::Busy => "BUSY",
            Verdict::Failing => "FAILING",
        }
    }
}

/// One reason, with what to do about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    pub severity: Verdict,
    /// Stable identifier (documented in docs/control.md).
    pub code: &'static str,
    pub message: String,
    pub fix: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

/// Seconds without an epoch / PPS edge before the receiver / PPS counts as silent.
const STALE_S: f64 = 3.5;
/// A system clock this far from chronyd's reference is not a stratum-1 clock any more, whatever
/// its sources say: applications on the box read it, and chronyd needs minutes to slew it.
const LARGE_OFFSET_S: f64 = 1.0;

pub fn assess(v: &View) -> Assessment {
    let mut r = Vec::new();
    let busy = v.timed.as_ref().err().is_some_and(|e| e.kind.is_busy());
    match &v.timed {
        Ok(m) => match &m.timed {
            Some(h) => timed_reasons(h, m.now_unix_ns, &mut r),
            None => {
                push(&mut r, Verdict::Failing, "timed-empty", "timed sent no state".into(), "restart timed")
            }
        },
        Err(e) if busy => push(
            &mut r,
            Verdict::Busy,
            "timed-busy",
            format!("timed runs, but its control socket was too busy to answer: {}", e.message),
            "try again in a moment; if it stays busy, see which processes hold the socket: ss -xp | grep timed",
        ),
        Err(e) => push(&mut r, Verdict::Failing, "timed-unreachable", e.message.clone(), unreachable_fix(e.kind)),
    }
    let health = v.timed.as_ref().ok().and_then(|m| m.timed.as_ref());
    let pps_locked = health.is_some_and(|h| h.pps.state.is_locked());
    let pps_off = health.is_some_and(|h| h.pps.source == crate::config::PpsSource::Off);
    let denied = v.timed.as_ref().err().is_some_and(|e| e.kind == Failure::PermissionDenied);
    match &v.chrony {
        Ok(c) => chrony_reasons(c, pps_locked, pps_off, &mut r),
        // chronyd's reading comes through timed: a busy timed says nothing about chronyd.
        Err(_) if busy => {}
        // Nor does a socket that refused this user: chronyd's own socket refuses them too.
        Err(e) if denied => push(
            &mut r,
            Verdict::Failing,
            "chrony-unreachable",
            format!("chronyd's state cannot be read: {e}"),
            "timectl reads chronyd through timed: join group timed as above (reading chronyd directly needs root)",
        ),
        Err(e) => push(
            &mut r,
            Verdict::Failing,
            "chrony-unreachable",
            format!("chronyd's state cannot be read: {e}"),
            "start chronyd (systemctl start chrony); `timectl doctor` checks its socket and config",
        ),
    }
    let verdict = r.iter().map(|x| x.severity).max().unwrap_or(Verdict::Ok);
    Assessment { verdict, reasons: r }
}

/// What to do when timed cannot be reached, by why.
fn unreachable_fix(kind: Failure) -> &'static str {
    match kind {
        Failure::PermissionDenied => {
            "permission denied: join the socket's group (sudo usermod -aG timed $USER, then log in again) or \
             run timectl with sudo (docs/privileges.md)"
        }
        Failure::NotListening => "timed stopped uncleanly: restart it (systemctl restart timed)",
        Failure::Hung => "timed accepts but does not answer: restart it (systemctl restart timed)",
        Failure::Protocol => "point --socket at timed's control socket, with the timectl of the same version",
        Failure::Missing | Failure::Other | Failure::Busy | Failure::Closed => {
            "start timed: systemctl start timed (or timectl --socket PATH for another instance)"
        }
    }
}

fn push(r: &mut Vec<Reason>, severity: Verdict, code: &'static str, message: String, fix: &str) {
    r.push(Reason { severity, code, message, fix: fix.to_string() });
}

fn age_s(now_ns: i64, then_ns: Option<i64>) -> Option<f64> {
    then_ns.map(|t| (now_ns - t) as f64 / 1e9)
}

fn timed_reasons(h: &Health, now: i64, r: &mut Vec<Reason>) {
    use Verdict::{Degraded as D, Failing as F};
    let rx = &h.receiver;
    if rx.serial_state != DeviceState::Open {
        let why = rx.serial_error.clone().unwrap_or_default();
        push(
            r,
            F,
            "receiver-unavailable",
            format!("receiver serial {} is {}: {why}", rx.device, rx.serial_state),
            "check the cable/HAT and the device name; `timectl doctor` checks the device node and udev link",
        );
    } else if rx.epochs == 0 || age_s(now, rx.last_epoch_ns).is_none_or(|a| a > STALE_S) {
        push(
            r,
            F,
            "receiver-silent",
            format!("no complete epoch from {} for {}", rx.device, ago(age_s(now, rx.last_epoch_ns))),
            "check [receiver] baud matches the receiver (`timectl doctor` shows the byte rate and garbage)",
        );
    } else if !rx.time_valid {
        push(
            r,
            F,
            "receiver-time-invalid",
            format!("the receiver does not vouch for its time yet (fix {})", rx.fix),
            "wait for a fix with a clear sky view; check the antenna",
        );
    }
    let p = &h.pps;
    if p.source == crate::config::PpsSource::Off {
        push(
            r,
            D,
            "pps-off",
            "PPS is off ([pps] source = \"off\"): chrony gets only coarse serial time (milliseconds)".into(),
            "for microseconds wire the receiver's PPS output to the board's PPS GPIO and set [pps] source = \"kernel\"",
        );
    } else {
        if p.device_state != DeviceState::Open {
            push(
                r,
                F,
                "pps-device",
                format!(
                    "PPS {} is {}: {}",
                    p.device,
                    p.device_state,
                    p.device_error.clone().unwrap_or_default()
                ),
                "load the pps-gpio overlay (dtoverlay=pps-gpio,gpiopin=18) and check /dev/pps0 permissions",
            );
        } else if age_s(now, p.last_edge_ns).is_none_or(|a| a > STALE_S) {
            push(
                r,
                F,
                "pps-no-edges",
                format!("no PPS edge on {} for {}", p.device, ago(age_s(now, p.last_edge_ns))),
                "check the PPS wire (GPIO18) and that the receiver has a fix (PPS is off without one)",
            );
        } else if p.state == PpsLock::HeldLabelJump {
            let by = p.label_jump_s.map_or("whole seconds".to_string(), |s| format!("{s:+} s"));
            push(
                r,
                F,
                "pps-label-jump",
                format!(
                    "the receiver labels its pulses {by} away from the pulse count: timed holds every \
                     sample (a receiver off by whole seconds, or a spoofer)"
                ),
                "check the receiver against another clock (`timectl doctor` compares chronyd's NTP \
                 sources); if the receiver was wrong before and is right now, restart timed",
            );
        } else if p.state == PpsLock::HeldPulseMoved {
            push(
                r,
                F,
                "pps-pulse-moved",
                "the PPS pulses are not where the count of pulses puts them: timed holds them".into(),
                "check the PPS wire and the receiver (a glitching line, a receiver restarting); \
                 `timectl pps` shows the edges",
            );
        } else if !p.state.is_locked() {
            push(
                r,
                F,
                "pps-unpaired",
                "PPS edges arrive but cannot be paired with a second (acquiring)".into(),
                "needs valid receiver time; `timectl pps` shows the edges, `timectl doctor` the pairing",
            );
        }
        if p.simulated {
            push(
                r,
                D,
                "pps-simulated",
                "PPS edges are SIMULATED (timed-sim)".into(),
                "demo/test set-up only",
            );
        }
    }
    for s in &h.sinks {
        if s.state == SinkState::Failing {
            push(
                r,
                F,
                "sink-failing",
                format!("{} {}: {}", s.kind, s.target, s.error.clone().unwrap_or_default()),
                "add the matching refclock line to chrony.conf and restart chronyd (`timectl doctor`)",
            );
        }
    }
    if h.sinks.is_empty() {
        push(r, F, "no-sinks", "no chrony output is configured".into(), "set [chrony.sock] pps/coarse paths");
    }
    if rx.serial_state == DeviceState::Open && rx.epochs > 0 {
        receiver_health(h, r);
    }
    integrity(h, r);
    holdover(h, r);
    setup::reasons(&h.receiver_setup, r);
}

/// The integrity gate: closed (or holding off) is FAILING, a warning signal DEGRADED.
fn integrity(h: &Health, r: &mut Vec<Reason>) {
    let g = &h.integrity;
    let signal = g.signal.as_deref().unwrap_or("?");
    let fix = |s: &str| match s {
        "antenna-open" | "antenna-short" => "check the antenna, its cable and connectors",
        "jamming" | "jamming-warning" => "look for a jammer or interference near the antenna (`timectl sky`)",
        "spoofing" => "the receiver reports spoofing: check the sky view and for transmitters nearby",
        "no-fix" => "the receiver has no valid fix: check the antenna's view of the sky",
        "time-accuracy" => "the receiver's time accuracy is poor: check the antenna's view of the sky",
        "position-jump" => {
            "the reported position jumped: a spoofer or a moved antenna (restart timed if moved)"
        }
        "time-shift" => "the pulses moved against their own train: a spoofer or a receiver glitch",
        "wrong-second" => "the receiver labels its pulses with the wrong second (see pps-label-jump)",
        _ => "`timectl status --json` lists the signals",
    };
    match g.state {
        GateName::Open => {}
        GateName::Closed => push(
            r,
            Verdict::Failing,
            "integrity-gate",
            format!("integrity gate closed by {signal}: no sample reaches chrony, chrony coasts"),
            fix(signal),
        ),
        GateName::HoldingOff => push(
            r,
            Verdict::Failing,
            "integrity-gate",
            format!(
                "integrity gate holding off after {signal}: samples resume in {:.0} s if it stays clear",
                g.reopens_in_s.unwrap_or(0.0).max(0.0)
            ),
            fix(signal),
        ),
    }
    for s in g.signals.iter().filter(|s| s.active && s.response == "warn") {
        push(
            r,
            Verdict::Degraded,
            "integrity-warning",
            format!("integrity signal {} raised", s.signal),
            fix(&s.signal),
        );
    }
}

/// Holdover: chronyd runs the clock on its last frequency; timed's bound says how far off it may
/// be by now. Within `[holdover] max_error_ms` time is still served usefully (DEGRADED); past
/// it nothing vouches for the time any more (FAILING). The PPS reasons above say why.
fn holdover(h: &Health, r: &mut Vec<Reason>) {
    let o = &h.holdover;
    let (Some(elapsed), Some(bound)) = (o.elapsed_s, o.bound_s) else { return };
    let why = o.reason.as_deref().unwrap_or("reference lost");
    let temp = match (&o.model, o.temperature_c) {
        (Some(m), Some(_)) => format!("temperature model {:+.3} ppm/°C", m.tempco_ppm_per_c),
        (None, Some(_)) => "no temperature model yet".to_string(),
        _ => "no temperature: chrony's figures only".to_string(),
    };
    let what = format!(
        "holdover ({why}) for {elapsed:.0} s: error bound {:.3} ms ({temp}; limit {:.3} ms)",
        bound * 1e3,
        o.max_error_s * 1e3
    );
    if o.state == crate::holdover::HoldoverState::Exceeded {
        push(
            r,
            Verdict::Failing,
            "holdover-exceeded",
            what,
            "restore the PPS reference (antenna, sky view, PPS wire); until then the clock may be off by more than [holdover] max_error_ms",
        );
    } else {
        push(
            r,
            Verdict::Degraded,
            "holdover",
            what,
            "restore the PPS reference; the bound grows with time and temperature (docs/holdover.md)",
        );
    }
}

fn receiver_health(h: &Health, r: &mut Vec<Reason>) {
    use Verdict::Degraded as D;
    let rx = &h.receiver;
    if let Some(a) = rx.antenna.filter(|a| a.is_fault()) {
        push(r, D, "antenna", format!("antenna {a}"), "check the antenna cable and connector");
    }
    match rx.jamming_state {
        Some(2) => push(
            r,
            D,
            "jamming",
            "receiver reports jamming: warning".into(),
            "move the antenna away from interferers",
        ),
        Some(3) => push(
            r,
            D,
            "jamming",
            "receiver reports jamming: critical".into(),
            "move the antenna away from interferers",
        ),
        _ => {}
    }
    if rx.spoofing.is_some_and(|s| s >= 2) {
        push(
            r,
            D,
            "spoofing",
            "receiver indicates spoofing".into(),
            "check for GNSS repeaters/simulators nearby",
        );
    }
    if rx.time_valid && rx.sats_used.is_some_and(|n| n < 4) && rx.survey_valid != Some(true) {
        push(
            r,
            D,
            "few-satellites",
            format!("{} satellites used", rx.sats_used.unwrap_or(0)),
            "give the antenna a clearer sky view",
        );
    }
    if rx.time_valid && !rx.leap_valid && rx.framer.ubx == 0 && rx.framer.nmea > 0 {
        // NMEA carries UTC but no leap-second count or announcement: waiting never helps.
        push(
            r,
            D,
            "leap-unknown",
            "the receiver sends NMEA only, which carries no leap second count or announcement".into(),
            "a u-blox receiver: switch its UBX output on (`timectl receiver apply`, docs/install-raspberry-pi-os.md \
             step 5); an NMEA-only receiver (e.g. MTK) cannot announce a leap second: chronyd's leapsectz \
             right/UTC does",
        );
    } else if rx.time_valid && !rx.leap_valid {
        push(
            r,
            D,
            "leap-unknown",
            "leap second count not yet from the constellation".into(),
            "wait ~12.5 min (GPS broadcasts the count once per 12.5 min almanac cycle)",
        );
    }
}

fn chrony_reasons(c: &Report, pps_locked: bool, pps_off: bool, r: &mut Vec<Reason>) {
    use Verdict::{Degraded as D, Failing as F};
    let t = match (&c.tracking, c.state) {
        (Ok(t), _) => t,
        (Err(e), ChronydState::Unresponsive) => {
            return push(
                r,
                F,
                "chronyd-unresponsive",
                format!("chronyd is hung: {e}; it reads no samples and answers no NTP client"),
                "see whether it is stopped (`ps -o pid,stat,args -C chronyd`: state T): resume it (kill -CONT PID) or \
                 restart it (systemctl restart chrony)",
            );
        }
        (Err(e), _) => {
            return push(
                r,
                F,
                "chrony-unreachable",
                format!("chronyd's state cannot be read: {e}"),
                "start chronyd (systemctl start chrony); `timectl doctor` checks its socket and config",
            );
        }
    };
    if t.leap_code == 3 || t.stratum == 0 || t.ref_time_s == 0.0 {
        push(
            r,
            F,
            "chrony-unsynchronised",
            "chronyd is not synchronised".into(),
            if pps_off {
                "without PPS chronyd must select the coarse refclock: no `noselect` on it (`timectl board chrony \
                 BOARD --pps off` prints the line; `timectl doctor` checks it), then wait ~15 s"
            } else {
                "wait for PPS samples (~15 s); `timectl chrony` shows why sources are not selected"
            },
        );
        return;
    }
    let off =
        if t.system_offset_s.abs() >= t.last_offset_s.abs() { t.system_offset_s } else { t.last_offset_s };
    if off.abs() >= LARGE_OFFSET_S {
        push(
            r,
            F,
            "system-offset-large",
            format!(
                "the system clock is {} off (chronyd: system time {}, last offset {})",
                secs(off.abs()).trim_start_matches('+'),
                secs(t.system_offset_s),
                secs(t.last_offset_s)
            ),
            "chronyd slews at most 83 ms per second, so seconds take minutes: step now (chronyc makestep) and \
             add `makestep 1 3` to chrony.conf so it steps at boot (`timectl doctor` checks makestep)",
        );
    }
    let sources = c.sources.as_ref().map(|s| s.as_slice()).unwrap_or_default();
    let selected = sources.iter().find(|s| s.state == "selected");
    let on_refclock = selected.is_some_and(|s| s.mode == "refclock");
    if !on_refclock {
        let by = selected.map_or_else(|| t.ref_name.clone(), |s| s.name.clone());
        push(
            r,
            if pps_locked { D } else { F },
            "chrony-not-on-gps",
            format!("chronyd follows {by} (stratum {}), not the GPS/PPS refclock", t.stratum),
            "see `timectl chrony`: the PPS refclock's state says why (falseticker: wrong offset/lock)",
        );
    }
    for s in sources.iter().filter(|s| s.mode == "refclock" && s.state == "falseticker") {
        push(
            r,
            D,
            "refclock-falseticker",
            format!("chronyd marks refclock {} a falseticker", s.name),
            "its offset disagrees with the others: check `offset`/`delay` of the coarse refclock",
        );
    }
}

fn ago(s: Option<f64>) -> String {
    match s {
        Some(s) => format!("{s:.1} s"),
        None => "ever (none yet)".into(),
    }
}

pub mod setup;
#[cfg(test)]
mod tests;
