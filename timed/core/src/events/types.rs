//! The event types: kinds with their stable names and severities, and each event's typed fields.

use crate::engine::integrity::Signal;
use crate::engine::{LabelSource, PpsState};

/// How urgent an event is (journald priority: info 6, warning 4, critical 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// An antenna fault (MON-RF / MON-HW `aStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AntennaFault {
    Open,
    Short,
}

/// Jamming state above "ok" (MON-RF `jammingState` 2 and 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum JamLevel {
    Warning,
    Critical,
}

/// Holdover as the daemon's holdover state reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HoldoverPhase {
    /// Not in holdover (locked, or never locked).
    #[default]
    Off,
    /// In holdover, for `reason` ("pps-lost", "integrity-gate").
    On { reason: &'static str },
    /// In holdover with the error bound past `[holdover] max_error_ms`.
    Exceeded { reason: &'static str },
}

/// chronyd's own state as its tracking report says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChronyState {
    /// Synchronised at stratum 1: serving the appliance's time.
    Stratum1,
    /// Synchronised, but to something else than timed's refclock.
    NotStratum1 { stratum: u16 },
    /// Leap status "not synchronised".
    Unsynchronised,
}

/// One event with its typed fields. [`Event::kind`] names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The serial port failed (`serial_broken`) or the receiver went silent.
    ReceiverLost {
        serial_broken: bool,
    },
    ReceiverBack,
    FixLost,
    FixRegained,
    /// No PPS edge for [`super::PPS_SILENT_NS`].
    PpsLost,
    PpsBack,
    /// The engine left `Locked` (to acquiring or held).
    LockLost {
        state: PpsState,
    },
    LockRegained {
        source: LabelSource,
    },
    AntennaFault {
        fault: AntennaFault,
    },
    AntennaOk,
    Jamming {
        level: JamLevel,
    },
    JammingCleared,
    /// NAV-STATUS spoofDetState (2 indicated, 3 multiple indications).
    Spoofing {
        state: u8,
    },
    SpoofingCleared,
    IntegrityGateClosed {
        signal: Signal,
    },
    IntegrityGateOpened,
    HoldoverEntered {
        reason: &'static str,
    },
    HoldoverLimitPassed,
    HoldoverLeft,
    /// The receiver announces a leap second (+1 / −1) at the end of the month.
    LeapAnnounced {
        change: i8,
    },
    /// The leap-seconds list expires within [`super::LEAP_LIST_WARN_S`].
    LeapListExpiring {
        expires_unix_s: i64,
    },
    ChronyUnsynchronised,
    ChronyNotStratum1 {
        stratum: u16,
    },
    ChronyStratum1,
    /// A chrony sink (SOCK or SHM) fails to take samples.
    SinkFailing {
        sink: String,
    },
    SinkRecovered,
    /// The receiver's configuration does not match what timed needs.
    ReceiverNotConfigured,
    ReceiverConfigured,
}

macro_rules! kinds {
    ($($v:ident = $name:literal, $sev:ident;)*) => {
        /// What an event is, without its fields: the `kind` label of `timed_events_total` and
        /// the stable name in every output.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind { $($v,)* }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$v,)*];

            /// The stable kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(EventKind::$v => $name,)* }
            }

            pub fn severity(self) -> Severity {
                match self { $(EventKind::$v => Severity::$sev,)* }
            }
        }
    };
}

kinds! {
    ReceiverLost = "receiver-lost", Critical;
    ReceiverBack = "receiver-back", Info;
    FixLost = "fix-lost", Warning;
    FixRegained = "fix-regained", Info;
    PpsLost = "pps-lost", Critical;
    PpsBack = "pps-back", Info;
    LockLost = "lock-lost", Warning;
    LockRegained = "lock-regained", Info;
    AntennaFault = "antenna-fault", Critical;
    AntennaOk = "antenna-ok", Info;
    Jamming = "jamming", Warning;
    JammingCleared = "jamming-cleared", Info;
    Spoofing = "spoofing", Critical;
    SpoofingCleared = "spoofing-cleared", Info;
    IntegrityGateClosed = "integrity-gate-closed", Critical;
    IntegrityGateOpened = "integrity-gate-opened", Info;
    HoldoverEntered = "holdover-entered", Warning;
    HoldoverLimitPassed = "holdover-limit-passed", Critical;
    HoldoverLeft = "holdover-left", Info;
    LeapAnnounced = "leap-announced", Info;
    LeapListExpiring = "leap-list-expiring", Warning;
    ChronyUnsynchronised = "chrony-unsynchronised", Critical;
    ChronyNotStratum1 = "chrony-not-stratum-1", Warning;
    ChronyStratum1 = "chrony-stratum-1", Info;
    SinkFailing = "chrony-sink-failing", Critical;
    SinkRecovered = "chrony-sink-recovered", Info;
    ReceiverNotConfigured = "receiver-not-configured", Warning;
    ReceiverConfigured = "receiver-configured", Info;
}

impl Event {
    pub fn kind(&self) -> EventKind {
        use EventKind as K;
        match self {
            Event::ReceiverLost { .. } => K::ReceiverLost,
            Event::ReceiverBack => K::ReceiverBack,
            Event::FixLost => K::FixLost,
            Event::FixRegained => K::FixRegained,
            Event::PpsLost => K::PpsLost,
            Event::PpsBack => K::PpsBack,
            Event::LockLost { .. } => K::LockLost,
            Event::LockRegained { .. } => K::LockRegained,
            Event::AntennaFault { .. } => K::AntennaFault,
            Event::AntennaOk => K::AntennaOk,
            Event::Jamming { .. } => K::Jamming,
            Event::JammingCleared => K::JammingCleared,
            Event::Spoofing { .. } => K::Spoofing,
            Event::SpoofingCleared => K::SpoofingCleared,
            Event::IntegrityGateClosed { .. } => K::IntegrityGateClosed,
            Event::IntegrityGateOpened => K::IntegrityGateOpened,
            Event::HoldoverEntered { .. } => K::HoldoverEntered,
            Event::HoldoverLimitPassed => K::HoldoverLimitPassed,
            Event::HoldoverLeft => K::HoldoverLeft,
            Event::LeapAnnounced { .. } => K::LeapAnnounced,
            Event::LeapListExpiring { .. } => K::LeapListExpiring,
            Event::ChronyUnsynchronised => K::ChronyUnsynchronised,
            Event::ChronyNotStratum1 { .. } => K::ChronyNotStratum1,
            Event::ChronyStratum1 => K::ChronyStratum1,
            Event::SinkFailing { .. } => K::SinkFailing,
            Event::SinkRecovered => K::SinkRecovered,
            Event::ReceiverNotConfigured => K::ReceiverNotConfigured,
            Event::ReceiverConfigured => K::ReceiverConfigured,
        }
    }
}
