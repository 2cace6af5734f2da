//! Sample qualification: rejection reasons with their counters, and the outlier filter.

use std::collections::VecDeque;

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
    /// The offset is far from the recent ones.
    Outlier,
    /// The label does not continue the previous one, or disagrees with the serial time.
    WrongSecond,
    /// The receiver has no valid fix.
    NoFix,
    /// The receiver does not vouch for its time (validity flags, RMC status V).
    InvalidTime,
    /// The TIM-TP announcement was too old to belong to this edge.
    Stale,
}

impl Reject {
    pub const ALL: [Reject; 8] = [
        Reject::MissedPulse,
        Reject::Duplicate,
        Reject::Unlabelled,
        Reject::Outlier,
        Reject::WrongSecond,
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
            Reject::NoFix => "no_fix",
            Reject::InvalidTime => "invalid_time",
            Reject::Stale => "stale",
        }
    }
}

/// Counters by rejection reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RejectCounts([u64; 8]);

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

const HISTORY: usize = 15;

/// Median filter over recent accepted PPS offsets.
#[derive(Clone, Debug)]
pub(super) struct Checks {
    pub counts: RejectCounts,
    threshold_ns: i64,
    restart_after: usize,
    accepted: VecDeque<i64>,
    /// Consecutive outliers, to recognise a stepped clock.
    outliers: Vec<i64>,
}

impl Checks {
    pub fn new(threshold_ns: i64, restart_after: usize) -> Checks {
        Checks {
            counts: RejectCounts::default(),
            threshold_ns,
            restart_after,
            accepted: VecDeque::with_capacity(HISTORY),
            outliers: Vec::new(),
        }
    }

    /// Accepts `offset_ns` or calls it an outlier.
    pub fn outlier(&mut self, offset_ns: i64) -> Result<(), Reject> {
        if let Some(median) = self.median() {
            if (offset_ns - median).abs() > self.threshold_ns {
                let agrees = self.outliers.iter().all(|o| (o - offset_ns).abs() <= self.threshold_ns);
                if !agrees {
                    self.outliers.clear();
                }
                self.outliers.push(offset_ns);
                if self.outliers.len() <= self.restart_after {
                    return Err(Reject::Outlier);
                }
                // The clock itself moved: the outliers are the new normal.
                self.accepted.clear();
                self.accepted.extend(self.outliers.drain(..));
                return Ok(());
            }
        }
        self.outliers.clear();
        if self.accepted.len() == HISTORY {
            self.accepted.pop_front();
        }
        self.accepted.push_back(offset_ns);
        Ok(())
    }

    fn median(&self) -> Option<i64> {
        if self.accepted.len() < 3 {
            return None;
        }
        let mut v: Vec<i64> = self.accepted.iter().copied().collect();
        v.sort_unstable();
        Some(v[v.len() / 2])
    }
}
