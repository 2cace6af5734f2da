//! Events: the transitions an appliance's owner must hear about (receiver lost, antenna fault,
//! integrity gate closed, holdover, chrony no longer serving stratum 1, …), as types.
//!
//! [`Detector`] is fed the states the daemon already owns, one [`Observed`] per loop turn with
//! the time as an argument, and returns each [`Event`] exactly once per transition: a state that
//! persists produces nothing more, however often it is observed. States that flap near a
//! threshold are debounced (a new value must persist for the kind's hold time before it is
//! reported; see [`Detector::new`] for each hold and why), states with hysteresis of their own
//! (the engine's lock and integrity gate, holdover) are reported as they change.
//!
//! Must not depend on: clocks, I/O, the daemon's snapshot types. Naming, counting and shipping
//! events (journald, metrics, webhook) are the daemon's.

use crate::engine::integrity::GateState;
use crate::engine::PpsState;
use crate::ubx::AntennaStatus;

mod types;
pub use types::{AntennaFault, ChronyState, Event, EventKind, HoldoverPhase, JamLevel, Severity};

/// The receiver is silent when no epoch came for this long (it sends one a second).
pub const RECEIVER_SILENT_NS: i64 = 5_000_000_000;
/// PPS is lost when no edge came for this long (one a second; the engine drops its lock at 3 s).
pub const PPS_SILENT_NS: i64 = 2_500_000_000;
/// The leap-seconds list is "expiring" this long before its `#@` date: four weeks leaves time
/// to install the next one (IERS publishes it about five months ahead).
pub const LEAP_LIST_WARN_S: i64 = 28 * 86_400;

/// The states the daemon owns, as they are now. `None` = not known (yet): nothing is reported
/// for an unknown state, and a pending change waits.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// CLOCK_MONOTONIC_RAW, ns: every hold and silence is measured on it.
    pub now_ns: i64,
    /// CLOCK_REALTIME, Unix seconds (the leap list's expiry).
    pub now_unix_s: i64,
    /// The receiver's serial port: open (`true`) or absent/lost (`false`).
    pub serial_open: Option<bool>,
    /// When the last epoch arrived (raw clock, ns).
    pub last_epoch_ns: Option<i64>,
    pub fix_ok: Option<bool>,
    /// When the last PPS edge arrived (raw clock, ns); `None` until the first.
    pub last_edge_ns: Option<i64>,
    pub pps: Option<PpsState>,
    pub antenna: Option<AntennaStatus>,
    /// MON-RF / MON-HW jammingState.
    pub jamming_state: Option<u8>,
    /// NAV-STATUS spoofDetState.
    pub spoofing: Option<u8>,
    pub gate: Option<GateState>,
    pub holdover: Option<HoldoverPhase>,
    /// The receiver's leap announcement (`None` inside: none announced).
    pub leap_change: Option<Option<i8>>,
    pub leap_list_expires_unix_s: Option<i64>,
    pub chrony: Option<ChronyState>,
    /// The first failing chrony sink (`None` inside: all well).
    pub failing_sink: Option<Option<String>>,
    pub receiver_configured: Option<bool>,
}

/// A value that is reported once it has held for `hold_ns` (`release_ns` for a return to the
/// `calm` value, when one is set).
#[derive(Clone, Debug)]
struct Debounced<T> {
    reported: Option<T>,
    pending: Option<(T, i64)>,
    hold_ns: i64,
    calm: Option<(T, i64)>,
}

impl<T: Clone + PartialEq> Debounced<T> {
    fn new(baseline: Option<T>, hold_ns: i64) -> Self {
        Debounced { reported: baseline, pending: None, hold_ns, calm: None }
    }

    /// A return to `calm` must hold `release_ns` instead.
    fn release(mut self, calm: T, release_ns: i64) -> Self {
        self.calm = Some((calm, release_ns));
        self
    }

    /// `(previously reported, now reported)` when `v` has held long enough and differs.
    fn observe(&mut self, v: Option<T>, now_ns: i64) -> Option<(Option<T>, T)> {
        let v = v?;
        if self.reported.as_ref() == Some(&v) {
            self.pending = None;
            return None;
        }
        let since = match &self.pending {
            Some((p, since)) if *p == v => *since,
            _ => {
                self.pending = Some((v.clone(), now_ns));
                now_ns
            }
        };
        let hold = match &self.calm {
            Some((c, release)) if *c == v => *release,
            _ => self.hold_ns,
        };
        if now_ns - since < hold {
            return None;
        }
        self.pending = None;
        let old = self.reported.replace(v.clone());
        Some((old, v))
    }
}

const S: i64 = 1_000_000_000;

/// Turns successive [`Observed`] states into events, once per transition.
#[derive(Clone, Debug)]
pub struct Detector {
    serial_open_since: Option<i64>,
    receiver: Debounced<bool>,
    fix: Debounced<bool>,
    pps: Debounced<bool>,
    lock: Debounced<bool>,
    antenna: Debounced<Option<AntennaFault>>,
    jamming: Debounced<Option<JamLevel>>,
    spoofing: Debounced<bool>,
    gate: Debounced<bool>,
    holdover: Debounced<u8>,
    leap: Debounced<Option<i8>>,
    leap_list: Debounced<bool>,
    chrony: Debounced<u8>,
    sink: Debounced<Option<String>>,
    configured: Debounced<bool>,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    /// Baselines: a fault present at start is reported (antenna, jamming, spoofing, gate,
    /// sinks, a missing receiver, a receiver not configured); a state that is still being
    /// acquired at start (fix, PPS, lock, chrony) is reported only once it had been good.
    pub fn new() -> Detector {
        Detector {
            serial_open_since: None,
            // Silence already waits RECEIVER_SILENT_NS; serial reopening has its own backoff.
            receiver: Debounced::new(None, 0),
            // A fix drops for an epoch or two under trees or at a weak sky: 10 s.
            fix: Debounced::new(None, 10 * S),
            // Silence already waits PPS_SILENT_NS; a flapping pulse (loose cable) must not
            // report every other second: back only after 3 s of edges.
            pps: Debounced::new(None, 0).release(true, 3 * S),
            // The engine's lock has its own hysteresis (3 s without a labelled edge).
            lock: Debounced::new(None, 0),
            // aStatus comes every few seconds or on change; a loose connector flaps: 2 s.
            antenna: Debounced::new(Some(None), 2 * S),
            // The jamming state flips near its threshold: 10 s.
            jamming: Debounced::new(Some(None), 10 * S),
            spoofing: Debounced::new(Some(false), 3 * S),
            // The gate's hold-off is its hysteresis.
            gate: Debounced::new(Some(false), 0),
            holdover: Debounced::new(Some(0), 0),
            // Announced once it is in 2 s of epochs; an epoch without it (NMEA only, a message
            // missed) must not end it: ended only after 10 min without (then a later
            // announcement is news again).
            leap: Debounced::new(Some(None), 2 * S).release(None, 600 * S),
            leap_list: Debounced::new(Some(false), 0),
            // chronyd reselects and reports "unsynchronised" briefly after a step: 30 s
            // (tracking is read every 10 s).
            chrony: Debounced::new(None, 30 * S),
            // One refused datagram (chronyd restarting) is not a failing sink: 5 s.
            sink: Debounced::new(Some(None), 5 * S),
            configured: Debounced::new(None, 0),
        }
    }

    /// The events the transitions up to `o` make, in a fixed order.
    pub fn observe(&mut self, o: &Observed) -> Vec<Event> {
        let now = o.now_ns;
        let mut out = Vec::new();
        self.receiver_events(o, &mut out);
        if let Some((old, new)) = self.fix.observe(o.fix_ok, now) {
            push_pair(&mut out, old, new, Event::FixRegained, Event::FixLost);
        }
        let edges = o.last_edge_ns.map(|t| now - t < PPS_SILENT_NS);
        if let Some((old, new)) = self.pps.observe(edges, now) {
            push_pair(&mut out, old, new, Event::PpsBack, Event::PpsLost);
        }
        let locked = o.pps.map(|s| matches!(s, PpsState::Locked(_)));
        if let Some((old, new)) = self.lock.observe(locked, now) {
            match (old, o.pps) {
                (Some(false), Some(PpsState::Locked(source))) if new => {
                    out.push(Event::LockRegained { source })
                }
                (Some(true), Some(state)) if !new => out.push(Event::LockLost { state }),
                _ => {}
            }
        }
        self.receiver_health(o, &mut out);
        self.reference_events(o, &mut out);
        out
    }

    fn receiver_events(&mut self, o: &Observed, out: &mut Vec<Event>) {
        let now = o.now_ns;
        match o.serial_open {
            Some(true) => {
                self.serial_open_since.get_or_insert(now);
            }
            _ => self.serial_open_since = None,
        }
        let delivering = match (o.serial_open, self.serial_open_since) {
            (Some(false), _) => Some(false),
            (Some(true), Some(open)) => {
                let heard = o.last_epoch_ns.map_or(open, |e| e.max(open));
                Some(now - heard < RECEIVER_SILENT_NS)
            }
            _ => None,
        };
        if let Some((old, new)) = self.receiver.observe(delivering, now) {
            match (old, new) {
                (Some(false), true) => out.push(Event::ReceiverBack),
                // A receiver missing from the start is reported too.
                (_, false) => out.push(Event::ReceiverLost { serial_broken: o.serial_open == Some(false) }),
                _ => {}
            }
        }
        let configured = o.receiver_configured;
        if let Some((old, new)) = self.configured.observe(configured, now) {
            match (old, new) {
                (Some(false), true) => out.push(Event::ReceiverConfigured),
                (_, false) => out.push(Event::ReceiverNotConfigured),
                _ => {}
            }
        }
    }

    fn receiver_health(&mut self, o: &Observed, out: &mut Vec<Event>) {
        let now = o.now_ns;
        let antenna = o.antenna.and_then(|a| match a {
            AntennaStatus::Ok => Some(None),
            AntennaStatus::Open => Some(Some(AntennaFault::Open)),
            AntennaStatus::Short => Some(Some(AntennaFault::Short)),
            // Init, don't know, undefined codes: no news.
            _ => None,
        });
        if let Some((_, new)) = self.antenna.observe(antenna, now) {
            out.push(match new {
                Some(fault) => Event::AntennaFault { fault },
                None => Event::AntennaOk,
            });
        }
        let jam = o.jamming_state.and_then(|s| match s {
            1 => Some(None),
            2 => Some(Some(JamLevel::Warning)),
            3 => Some(Some(JamLevel::Critical)),
            _ => None,
        });
        if let Some((old, new)) = self.jamming.observe(jam, now) {
            match new {
                // Critical → warning is still jamming: said once, when it started or worsened.
                Some(level) if old.flatten().is_none_or(|o| level > o) => out.push(Event::Jamming { level }),
                Some(_) => {}
                None => out.push(Event::JammingCleared),
            }
        }
        let spoof = o.spoofing.and_then(|s| match s {
            1 => Some(false),
            2 | 3 => Some(true),
            _ => None,
        });
        if let Some((_, new)) = self.spoofing.observe(spoof, now) {
            out.push(match new {
                true => Event::Spoofing { state: o.spoofing.unwrap_or(2) },
                false => Event::SpoofingCleared,
            });
        }
        let closed = o.gate.map(|g| !matches!(g, GateState::Open));
        if let Some((_, new)) = self.gate.observe(closed, now) {
            match o.gate {
                Some(GateState::Closed { signal } | GateState::HoldingOff { signal, .. }) if new => {
                    out.push(Event::IntegrityGateClosed { signal })
                }
                _ => out.push(Event::IntegrityGateOpened),
            }
        }
        let leap = o.leap_change;
        if let Some((_, Some(change))) = self.leap.observe(leap, now) {
            out.push(Event::LeapAnnounced { change });
        }
    }

    fn reference_events(&mut self, o: &Observed, out: &mut Vec<Event>) {
        let now = o.now_ns;
        let phase = o.holdover.map(|h| match h {
            HoldoverPhase::Off => 0u8,
            HoldoverPhase::On { .. } => 1,
            HoldoverPhase::Exceeded { .. } => 2,
        });
        if let Some((old, new)) = self.holdover.observe(phase, now) {
            let old = old.unwrap_or(0);
            if old == 0 && new > 0 {
                if let Some(HoldoverPhase::On { reason } | HoldoverPhase::Exceeded { reason }) = o.holdover {
                    out.push(Event::HoldoverEntered { reason });
                }
            }
            if new == 2 {
                out.push(Event::HoldoverLimitPassed);
            }
            if new == 0 {
                out.push(Event::HoldoverLeft);
            }
        }
        let expiring = o.leap_list_expires_unix_s.map(|e| e - o.now_unix_s < LEAP_LIST_WARN_S);
        if let Some((_, true)) = self.leap_list.observe(expiring, now) {
            if let Some(expires_unix_s) = o.leap_list_expires_unix_s {
                out.push(Event::LeapListExpiring { expires_unix_s });
            }
        }
        let chrony = o.chrony.map(|c| match c {
            ChronyState::Stratum1 => 0u8,
            ChronyState::NotStratum1 { .. } => 1,
            ChronyState::Unsynchronised => 2,
        });
        // chronyd's first state is the baseline, not news (it starts unsynchronised); every
        // change after it is.
        if let Some((Some(_), _)) = self.chrony.observe(chrony, now) {
            out.push(match o.chrony {
                Some(ChronyState::NotStratum1 { stratum }) => Event::ChronyNotStratum1 { stratum },
                Some(ChronyState::Unsynchronised) => Event::ChronyUnsynchronised,
                _ => Event::ChronyStratum1,
            });
        }
        let failing = o.failing_sink.clone();
        if let Some((_, new)) = self.sink.observe(failing, now) {
            out.push(match new {
                Some(sink) => Event::SinkFailing { sink },
                None => Event::SinkRecovered,
            });
        }
    }
}

/// A good/bad state acquired after start: "lost" only after it had been good.
fn push_pair(out: &mut Vec<Event>, old: Option<bool>, new: bool, back: Event, lost: Event) {
    match (old, new) {
        (Some(false), true) => out.push(back),
        (Some(true), false) => out.push(lost),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
