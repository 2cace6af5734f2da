//! The integrity gate as the snapshot shows it: open, closed by a signal, or holding off after
//! one; every signal with its response, whether it is raised, for how long and how often.

use super::Name;
use serde::{Deserialize, Serialize};
use timed_core::engine::integrity::{Gate, GateState, Response, Signal};
use timed_core::epoch::RxStamp;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateName {
    #[default]
    Open,
    Closed,
    /// Every closing signal is clear; samples resume when the hold-off ends.
    HoldingOff,
}

impl GateName {
    pub fn name(self) -> &'static str {
        match self {
            GateName::Open => "open",
            GateName::Closed => "closed",
            GateName::HoldingOff => "holding-off",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Integrity {
    pub state: GateName,
    /// The signal that closed the gate (or whose hold-off runs).
    pub signal: Option<Name>,
    /// Seconds until the gate reopens, while holding off.
    pub reopens_in_s: Option<f64>,
    pub signals: Vec<IntegritySignal>,
    /// Samples withheld while the gate was closed.
    pub withheld: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct IntegritySignal {
    /// `antenna-open`, `jamming`, `spoofing`, `time-shift`, … (docs/control.md).
    pub signal: Name,
    /// `close`, `warn` or `ignore` (timed.toml `[integrity.response]`).
    pub response: Name,
    pub active: bool,
    /// How long it has been raised, seconds.
    pub active_for_s: Option<f64>,
    /// How often it was raised since timed started.
    pub raised: u64,
}

impl Integrity {
    /// The gate at `now` (its times are on the raw clock, as the engine's).
    pub fn from_gate(g: &Gate, now: RxStamp) -> Integrity {
        let secs = |raw_ns: i64| (now.monotonic_ns - raw_ns) as f64 / 1e9;
        let (state, signal, reopens_in_s) = match g.state() {
            GateState::Open => (GateName::Open, None, None),
            GateState::Closed { signal } => (GateName::Closed, Some(signal), None),
            GateState::HoldingOff { signal, until_ns } => {
                (GateName::HoldingOff, Some(signal), Some(-secs(until_ns)))
            }
        };
        let cfg = g.config();
        Integrity {
            state,
            signal: signal.map(|s| Name::Borrowed(s.name())),
            reopens_in_s,
            signals: Signal::ALL
                .iter()
                .map(|s| {
                    let st = g.signal(*s);
                    IntegritySignal {
                        signal: Name::Borrowed(s.name()),
                        response: Name::Borrowed(cfg.response(*s).name()),
                        active: st.active_since_ns.is_some() && cfg.response(*s) != Response::Ignore,
                        active_for_s: st.active_since_ns.map(secs),
                        raised: st.raised,
                    }
                })
                .collect(),
            withheld: g.withheld,
        }
    }
}
