//! Sample qualification: rejection reasons and their counters.

/// Why an edge, epoch or sample did not become a sample for chrony.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reject {
    /// The kernel's assert sequence skipped: pulses were lost (cable, receiver, interrupt).
    MissedPulse,
    /// The same edge twice, or a second edge within half a second (a glitch); or a second
    /// epoch for a second whose coarse sample was already sent.
    Duplicate,
    /// No epoch arrived to say which second the edge marks.
    Unlabelled,
    /// The edge is not where the pulse train puts the next pulse (a glitch or a moved pulse),
    /// or a burst's first byte is not where the count of bursts puts it.
    Outlier,
    /// The PPS label disagrees with the serial time when a pulse train starts, or a burst's
    /// second disagrees with the pulse count.
    WrongSecond,
    /// The receiver's label is whole seconds away from the count of pulses (or bursts) since the
    /// last trusted one: the receiver is off, not the clock.
    LabelJump,
    /// A date no receiver can honestly report (before the software's release, or more than
    /// 1024 GPS weeks after it); or an edge stamped more than an hour away from when timed
    /// received it, which cannot be placed on the raw clock.
    ImplausibleTime,
    /// Within a second of an announced leap second, where Unix labels repeat or skip.
    LeapSecond,
    /// A TIM-TP qErr larger than any time pulse can have: not applied (the sample goes out
    /// uncorrected, a few nanoseconds worse). Counted, not a lost sample.
    ImplausibleQerr,
    /// The integrity gate is closed (a signal says the receiver's time cannot be trusted, or
    /// the hold-off after one has not passed): chrony coasts.
    GateClosed,
    /// The receiver has no valid fix.
    NoFix,
    /// The receiver does not vouch for its time (validity flags, RMC status V).
    InvalidTime,
    /// The TIM-TP announcement was too old to belong to this edge.
    Stale,
}

impl Reject {
    pub const ALL: [Reject; 13] = [
        Reject::MissedPulse,
        Reject::Duplicate,
        Reject::Unlabelled,
        Reject::Outlier,
        Reject::WrongSecond,
        Reject::LabelJump,
        Reject::ImplausibleTime,
        Reject::LeapSecond,
        Reject::ImplausibleQerr,
        Reject::GateClosed,
        Reject::NoFix,
        Reject::InvalidTime,
        Reject::Stale,
    ];

    /// Stable snake_case name for metrics labels, JSON and logs.
    pub fn name(self) -> &'static str {
        match self {
            Reject::MissedPulse => "missed_pulse",
            Reject::Duplicate => "duplicate",
            Reject::Unlabelled => "unlabelled",
            Reject::Outlier => "outlier",
            Reject::WrongSecond => "wrong_second",
            Reject::LabelJump => "label_jump",
            Reject::ImplausibleTime => "implausible_time",
            Reject::LeapSecond => "leap_second",
            Reject::ImplausibleQerr => "implausible_qerr",
            Reject::GateClosed => "gate_closed",
            Reject::NoFix => "no_fix",
            Reject::InvalidTime => "invalid_time",
            Reject::Stale => "stale",
        }
    }
}

/// Counters by rejection reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RejectCounts([u64; Reject::ALL.len()]);

impl RejectCounts {
    pub fn add(&mut self, r: Reject) {
        self.0[r as usize] += 1;
    }

    pub fn get(&self, r: Reject) -> u64 {
        self.0[r as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (Reject, u64)> + '_ {
        Reject::ALL.iter().map(|r| (*r, self.get(*r)))
    }
}
