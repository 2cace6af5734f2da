//! The engine's public types: its settings, the samples and states it reports, the actions
//! it returns.

use super::integrity::{self, GateState};
use super::Reject;
use crate::chrony::Sample;
use crate::pps::PpsEdge;

/// Engine settings (from timed.toml `[engine]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Apply the TIM-TP quantisation error to the edge (the edge happened at S + qErr).
    pub qerr_correction: bool,
    /// Time from the top of the second to the first byte of the epoch's burst on the wire,
    /// subtracted from the first-byte receive time for coarse samples.
    pub serial_delay_ns: i64,
    /// Window after an edge in which the first byte of its epoch must arrive.
    pub epoch_after_edge_ns: (i64, i64),
    /// A TIM-TP announcement older than this at the edge is stale (not used).
    pub tim_tp_max_age_ns: i64,
    /// An edge further than this from where the pulse train puts the next pulse has moved
    /// (a glitch, or the receiver's pulse shifted): it is rejected as an outlier. Pulses are
    /// stamped to microseconds (kernel PPS) and counted on the raw clock, so milliseconds are
    /// generous; USB-serial DCD pulses jitter by up to 1 ms (the USB frame).
    pub outlier_ns: i64,
    /// PPS and coarse offsets must agree within this when a new pulse train starts, or the PPS
    /// label is the wrong second.
    pub coarse_agreement_ns: i64,
    /// The earliest UTC second (Unix) a receiver can honestly report: the software's release.
    /// Times before it, or more than 1024 GPS weeks after it (a week-rollover bug the other way,
    /// or garbage), are implausible and never reach chrony.
    pub earliest_unix_s: i64,
    /// The integrity gate's signals, responses and limits.
    pub integrity: integrity::Config,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            qerr_correction: true,
            serial_delay_ns: 0,
            epoch_after_edge_ns: (0, 990_000_000),
            tim_tp_max_age_ns: 1_500_000_000,
            outlier_ns: 2_000_000,
            coarse_agreement_ns: 400_000_000,
            // 2025-01-01T00:00:00Z.
            earliest_unix_s: 1_735_689_600,
            integrity: integrity::Config::default(),
        }
    }
}

/// How an edge got its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelSource {
    TimTp,
    EpochTiming,
}

/// A PPS sample and what went into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PpsSample {
    pub sample: Sample,
    pub edge: PpsEdge,
    /// The UTC second (Unix) the edge marks.
    pub second: i64,
    pub label: LabelSource,
    /// qErr applied, ps (0 when none or correction off).
    pub qerr_ps: i32,
}

/// A coarse sample from the serial stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoarseSample {
    pub sample: Sample,
    /// Receive time of the epoch's first byte (CLOCK_REALTIME ns).
    pub rx_ns: i64,
}

/// Why the engine holds PPS samples back although edges keep coming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// The receiver labels its pulses `by_s` seconds away from the pulse count: a receiver off
    /// by whole seconds (or a spoofer). Samples resume when its labels agree with the count.
    LabelJump { by_s: i64 },
    /// The pulses are not where the pulse train puts them (moved by more than `outlier_ns`).
    PulseMoved,
}

/// PPS lock state, reported when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PpsState {
    /// No labelled edge yet, or none for a while.
    Acquiring,
    /// Edges are being labelled and sent.
    Locked(LabelSource),
    /// Edges come but the engine withholds them.
    Held(Hold),
}

/// What the daemon must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SendPps(PpsSample),
    SendCoarse(CoarseSample),
    /// Something was rejected (counted already; log it if the reason is new or has changed).
    Rejected(Reject),
    PpsStateChanged(PpsState),
    /// The integrity gate opened, closed or started its hold-off.
    GateChanged(GateState),
}
