//! The integrity gate: while the receiver says (or the pulses show) that its time cannot be
//! trusted, no sample reaches chrony, and chrony coasts on its own clock. Signals come from each
//! epoch (antenna, jamming, spoofing, fix, time accuracy, position) and from the pulse count
//! (a pulse that moved, a label off by whole seconds). Each signal has an action: close the gate,
//! only warn, or nothing. The gate reopens only after every closing signal has been clear for the
//! hold-off: a receiver that comes back from a jammer or a cut cable reports a fix before its
//! time is good again, and the first seconds after are the likeliest to be wrong.
//!
//! Pure: times are raw-clock nanoseconds passed in by the engine.

use crate::epoch::{Epoch, Fix, Position};
use crate::ubx::AntennaStatus;

const NS: i64 = 1_000_000_000;

/// Why the gate may close. Stable names for metrics, JSON and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// The antenna supervisor reports an open circuit (cable cut or unplugged).
    AntennaOpen,
    /// The antenna supervisor reports a short circuit.
    AntennaShort,
    /// Jamming state critical, or the CW jamming indicator over its limit.
    Jamming,
    /// Jamming state warning.
    JammingWarning,
    /// The receiver indicates spoofing (NAV-STATUS spoofDetState or SEC-SIG spoofingState 2 or 3).
    Spoofing,
    /// No valid fix, or the receiver does not vouch for its time.
    NoFix,
    /// The receiver's time accuracy estimate (tAcc) is over its limit.
    TimeAccuracy,
    /// The reported position moved away from where the appliance has stood.
    PositionJump,
    /// The pulses moved against the pulse train by more than the time-shift limit (a spoofer
    /// pulling the time, a receiver glitch), or off the train altogether.
    TimeShift,
    /// The receiver labels its pulses whole seconds away from the pulse count.
    WrongSecond,
    /// The receiver's GPS−UTC leap count disagrees with the leap-seconds list (a receiver on its
    /// firmware's default count labels every second wrong).
    LeapMismatch,
}

impl Signal {
    pub const ALL: [Signal; 11] = [
        Signal::AntennaOpen,
        Signal::AntennaShort,
        Signal::Jamming,
        Signal::JammingWarning,
        Signal::Spoofing,
        Signal::NoFix,
        Signal::TimeAccuracy,
        Signal::PositionJump,
        Signal::TimeShift,
        Signal::WrongSecond,
        Signal::LeapMismatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Signal::AntennaOpen => "antenna-open",
            Signal::AntennaShort => "antenna-short",
            Signal::Jamming => "jamming",
            Signal::JammingWarning => "jamming-warning",
            Signal::Spoofing => "spoofing",
            Signal::NoFix => "no-fix",
            Signal::TimeAccuracy => "time-accuracy",
            Signal::PositionJump => "position-jump",
            Signal::TimeShift => "time-shift",
            Signal::WrongSecond => "wrong-second",
            Signal::LeapMismatch => "leap-mismatch",
        }
    }
}

/// What a signal does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Closes the gate while active and for the hold-off after.
    Close,
    /// Shown (status, metrics, logs) but samples go on.
    Warn,
    /// Not even shown.
    Ignore,
}

impl Response {
    pub fn name(self) -> &'static str {
        match self {
            Response::Close => "close",
            Response::Warn => "warn",
            Response::Ignore => "ignore",
        }
    }
}

/// Gate settings (timed.toml `[integrity]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub responses: [(Signal, Response); Signal::ALL.len()],
    /// Every closing signal must have been clear this long before the gate reopens.
    pub holdoff_ns: i64,
    /// CW jamming indicator (0–255) above which `jamming` is raised.
    pub jam_ind_limit: u8,
    pub tacc_limit_ns: u32,
    pub position_jump_m: f64,
    /// A pulse further than this from the pulse train raises `time-shift` (the engine's outlier
    /// limit still rejects the edge itself beyond `outlier_ns`).
    pub time_shift_ns: i64,
    /// The receiver further than this (plus a source's own error) from a majority of chrony's
    /// other sources raises `time-shift` too (`sources.rs`).
    pub sources_limit_ns: i64,
}

impl Default for Config {
    fn default() -> Config {
        use Response::{Close, Warn};
        use Signal as S;
        Config {
            responses: [
                (S::AntennaOpen, Close),
                (S::AntennaShort, Close),
                (S::Jamming, Close),
                (S::JammingWarning, Warn),
                (S::Spoofing, Close),
                (S::NoFix, Close),
                (S::TimeAccuracy, Close),
                (S::PositionJump, Close),
                (S::TimeShift, Close),
                (S::WrongSecond, Close),
                (S::LeapMismatch, Close),
            ],
            // A receiver back from a jammer or a cut cable reports a fix before its time solution has
            // settled; ten seconds of clear signals before trusting it again.
            holdoff_ns: 10 * NS,
            jam_ind_limit: 200,
            // u-blox timing parts report 5–30 ns, navigation parts 20–50 ns with a good sky; a
            // microsecond means the solution is lost or fed by something else.
            tacc_limit_ns: 1_000,
            position_jump_m: 200.0,
            // Kernel PPS jitters by microseconds; a hundred is a pulse that moved.
            time_shift_ns: 100_000,
            // NTP over a LAN is good to a millisecond or so, over the internet to a few; chrony's
            // own error margin for each source is added on top.
            sources_limit_ns: 10_000_000,
        }
    }
}

impl Config {
    pub fn response(&self, s: Signal) -> Response {
        self.responses.iter().find(|(x, _)| *x == s).map_or(Response::Close, |(_, r)| *r)
    }
}

/// One signal's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalState {
    /// Raw time it was last raised, while active.
    pub active_since_ns: Option<i64>,
    /// Raw time it was last seen (for the hold-off).
    pub last_seen_ns: Option<i64>,
    /// How often it became active.
    pub raised: u64,
}

/// The gate's state, reported when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateState {
    Open,
    /// Closed by `signal` (the first closing signal still active, or the last one cleared).
    Closed {
        signal: Signal,
    },
    /// Every closing signal is clear; the gate reopens at raw time `until_ns`.
    HoldingOff {
        signal: Signal,
        until_ns: i64,
    },
}

#[derive(Clone, Debug)]
pub struct Gate {
    cfg: Config,
    signals: [SignalState; Signal::ALL.len()],
    state: GateState,
    /// Where the appliance has stood (mean of positions while no position signal was raised).
    home: Option<(Position, u32)>,
    /// Whether time was ever good: a receiver still acquiring at start-up is no event to hold
    /// off from, a receiver losing good time is.
    was_good: bool,
    /// Samples withheld while closed.
    pub withheld: u64,
}

impl Gate {
    pub fn new(cfg: Config) -> Gate {
        Gate {
            cfg,
            signals: [SignalState::default(); Signal::ALL.len()],
            state: GateState::Open,
            home: None,
            was_good: false,
            withheld: 0,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn state(&self) -> GateState {
        self.state
    }

    pub fn is_open(&self) -> bool {
        self.state == GateState::Open
    }

    pub fn signal(&self, s: Signal) -> SignalState {
        self.signals[s as usize]
    }

    /// Signals raised now (with a response other than ignore).
    pub fn active(&self) -> impl Iterator<Item = (Signal, Response, SignalState)> + '_ {
        Signal::ALL.iter().filter_map(|s| {
            let st = self.signals[*s as usize];
            let r = self.cfg.response(*s);
            (st.active_since_ns.is_some() && r != Response::Ignore).then_some((*s, r, st))
        })
    }

    /// Raises or clears `s` at raw time `now_ns`.
    pub fn note(&mut self, s: Signal, active: bool, now_ns: i64) {
        let st = &mut self.signals[s as usize];
        if active {
            if st.active_since_ns.is_none() {
                st.active_since_ns = Some(now_ns);
                st.raised += 1;
            }
            st.last_seen_ns = Some(now_ns);
        } else if st.active_since_ns.take().is_some() {
            // It held until now: the hold-off counts from here, not from the last message that
            // said so (MON-RF comes only on a change or every few seconds).
            st.last_seen_ns = Some(now_ns);
        }
    }

    /// The signals an epoch carries (received at raw time `now_ns`). A message the epoch lacks
    /// changes nothing: receivers send MON-RF/MON-HW on a change or every few seconds, and an
    /// epoch without it says nothing about the antenna or a jammer.
    pub fn note_epoch(&mut self, e: &Epoch, now_ns: i64) {
        if let Some(a) = e.antenna {
            self.note(Signal::AntennaOpen, a == AntennaStatus::Open, now_ns);
            self.note(Signal::AntennaShort, a == AntennaStatus::Short, now_ns);
        }
        if let Some(j) = e.jamming {
            let critical = j.state == 3 || j.indicator > self.cfg.jam_ind_limit;
            self.note(Signal::Jamming, critical, now_ns);
            self.note(Signal::JammingWarning, !critical && j.state == 2, now_ns);
        }
        if let Some(s) = e.spoofing {
            self.note(Signal::Spoofing, s >= 2, now_ns);
        }
        // No fix, or a time the receiver does not vouch for; an epoch that reports neither a
        // fix nor a time (a burst split in two on a loaded host) says nothing either way.
        if e.fix_reported || e.time.is_some() {
            let no_fix = e.fix_reported && (!e.fix_ok || e.fix == Fix::None);
            self.note(Signal::NoFix, no_fix || (e.time.is_some() && !e.time_valid), now_ns);
        }
        if let Some(t) = e.tacc_ns {
            self.note(Signal::TimeAccuracy, t > self.cfg.tacc_limit_ns, now_ns);
        }
        if let Some(p) = e.position.filter(|_| e.fix_ok) {
            let jumped = self.home.is_some_and(|(h, _)| distance_m(&h, &p) > self.cfg.position_jump_m);
            self.note(Signal::PositionJump, jumped, now_ns);
            if !jumped {
                self.learn_home(p);
            }
        }
    }

    /// A running mean of where the appliance stands; it stands still, so every good fix counts
    /// (capped, so a mean over hours still follows a receiver that was moved on purpose).
    fn learn_home(&mut self, p: Position) {
        let (h, n) = self.home.get_or_insert((p, 0));
        let k = f64::from((*n).min(3599) + 1);
        h.lat_deg += (p.lat_deg - h.lat_deg) / k;
        h.lon_deg += (p.lon_deg - h.lon_deg) / k;
        *n = n.saturating_add(1);
    }

    /// Works out the gate at raw time `now_ns`; returns the new state if it changed.
    pub fn update(&mut self, now_ns: i64) -> Option<GateState> {
        let closing = |s: &Signal| self.cfg.response(*s) == Response::Close;
        let active = Signal::ALL
            .iter()
            .filter(|s| closing(s))
            .find(|s| self.signals[**s as usize].active_since_ns.is_some());
        let next = if let Some(s) = active {
            GateState::Closed { signal: *s }
        } else if !self.was_good {
            self.was_good = true;
            GateState::Open
        } else {
            // The last closing signal seen, and when the hold-off after it ends.
            let last = Signal::ALL
                .iter()
                .filter(|s| closing(s))
                .filter_map(|s| Some((*s, self.signals[*s as usize].last_seen_ns?)))
                .max_by_key(|(_, t)| *t);
            match last {
                Some((signal, t)) if now_ns < t + self.cfg.holdoff_ns => {
                    GateState::HoldingOff { signal, until_ns: t + self.cfg.holdoff_ns }
                }
                _ => GateState::Open,
            }
        };
        (next != self.state).then(|| {
            self.state = next;
            next
        })
    }
}

/// Great-circle distance on a sphere of the Earth's mean radius: enough to tell metres from
/// hundreds of metres.
fn distance_m(a: &Position, b: &Position) -> f64 {
    let (la, lb) = (a.lat_deg.to_radians(), b.lat_deg.to_radians());
    let dlat = lb - la;
    let dlon = (b.lon_deg - a.lon_deg).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
#[path = "integrity_tests.rs"]
mod tests;
