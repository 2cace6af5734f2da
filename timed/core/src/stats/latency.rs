//! Serial latency: how long after the true second each message type's first byte arrives, and
//! the chrony `offset`/`delay` that the coarse (serial) refclock should be given.
//!
//! The caller measures each latency as `rx_ns − (PPS-labelled second)`, both on the system clock,
//! so the figures hold however wrong the system clock is.

use super::window::{Summary, Window};
use std::collections::VecDeque;

/// Window bucket width: 10 min = 60 × 10 s.
const BUCKET_NS: i64 = 10_000_000_000;
/// Distinct message kinds tracked; later ones are ignored (a receiver has a handful of types,
/// and a corrupted talker ID must not grow memory without bound).
pub const MAX_KINDS: usize = 32;
/// Epoch latencies kept for the suggestion: ten minutes at 1 Hz.
const EPOCH_SAMPLES: usize = 600;
/// Fewest epoch latencies for a suggestion: below this, p1 and p99 are just min and max.
const MIN_SUGGEST: usize = 100;
/// Smallest delay suggested (chrony's own default delay for a refclock is 1 ns).
const MIN_DELAY_S: f64 = 1e-9;

#[derive(Clone, Debug, Default)]
pub struct LatencyStats {
    kinds: Vec<(String, Window)>,
    /// Latencies of the epochs' first bytes, newest last.
    epoch: VecDeque<i64>,
}

impl LatencyStats {
    pub fn new() -> LatencyStats {
        LatencyStats::default()
    }

    /// The first byte of a `kind` message (e.g. "RMC", "UBX-NAV-PVT") arrived `latency_ns` after
    /// the true second; `time_ns` places it in the 10 min window.
    pub fn push(&mut self, kind: &str, time_ns: i64, latency_ns: i64) {
        if let Some((_, w)) = self.kinds.iter_mut().find(|(k, _)| k == kind) {
            w.push(time_ns, latency_ns);
        } else if self.kinds.len() < MAX_KINDS {
            let mut w = Window::new(BUCKET_NS);
            w.push(time_ns, latency_ns);
            self.kinds.push((kind.to_owned(), w));
        }
    }

    /// The first byte of an epoch (its first message, whatever the type) arrived `latency_ns`
    /// after the true second: the latency a coarse sample carries.
    pub fn push_epoch(&mut self, latency_ns: i64) {
        if self.epoch.len() == EPOCH_SAMPLES {
            self.epoch.pop_front();
        }
        self.epoch.push_back(latency_ns);
    }

    /// The 10 min summary for one message kind at `now_ns`.
    /// Notes when each message kind of epoch `e` first arrived after the true second, placed on
    /// the system clock through the latest PPS offset (true = system + `pps_offset_ns`): only
    /// for a valid whole-second epoch, and only latencies within the second.
    pub fn note_epoch(&mut self, e: &crate::epoch::Epoch, pps_offset_ns: i64) {
        let (Some(t), true) = (e.time, e.time_valid) else { return };
        let Ok(second_ns) = i64::try_from(t.unix_nanos()) else { return };
        if second_ns.rem_euclid(1_000_000_000) != 0 {
            return;
        }
        let mut first: Option<i64> = None;
        for (kind, rx) in &e.message_rx {
            let latency = rx.realtime_ns + pps_offset_ns - second_ns;
            if (0..1_000_000_000).contains(&latency) {
                self.push(kind, rx.realtime_ns, latency);
                first = Some(first.map_or(latency, |f| f.min(latency)));
            }
        }
        if let Some(l) = first {
            self.push_epoch(l);
        }
    }

    pub fn summary(&self, kind: &str, now_ns: i64) -> Option<Summary> {
        self.kinds.iter().find(|(k, _)| k == kind).and_then(|(_, w)| w.summary(now_ns))
    }

    /// 10 min summaries of every kind with samples in the window, in order of first appearance.
    pub fn summaries(&self, now_ns: i64) -> impl Iterator<Item = (&str, Summary)> + '_ {
        self.kinds.iter().filter_map(move |(k, w)| w.summary(now_ns).map(|s| (k.as_str(), s)))
    }

    /// A chrony `refclock … offset X delay Y` for the coarse source from the last 600 epoch
    /// latencies (`None` with fewer than 100), in seconds:
    ///
    /// - offset = the mean latency between the 1st and 99th percentiles (nearest rank): the
    ///   constant lateness to take off, robust to the odd stalled read that a plain mean is not;
    /// - delay = 2 × (p99 − p1). chrony counts delay/2 as a sample's maximum error when it
    ///   selects sources; with the offset anywhere inside [p1, p99], a sample in that range is
    ///   off by at most p99 − p1, however skewed the distribution, so the bound holds for 98 %
    ///   of samples. 4σ would instead be inflated by rare stalls and understate skewed spreads.
    pub fn suggest_coarse_offset(&self) -> Option<(f64, f64)> {
        let n = self.epoch.len();
        if n < MIN_SUGGEST {
            return None;
        }
        let mut sorted: Vec<i64> = self.epoch.iter().copied().collect();
        sorted.sort_unstable();
        // Nearest rank: the p-th percentile is the ceil(p·n/100)-th smallest value.
        let rank = |p: usize| sorted[(p * n).div_ceil(100).max(1) - 1];
        let (p1, p99) = (rank(1), rank(99));
        let kept: Vec<i64> = sorted.iter().copied().filter(|v| (p1..=p99).contains(v)).collect();
        let sum: i128 = kept.iter().map(|&v| i128::from(v)).sum();
        let offset_s = sum as f64 / kept.len() as f64 / 1e9;
        let delay_s = (2.0 * p99.saturating_sub(p1) as f64 / 1e9).max(MIN_DELAY_S);
        Some((offset_s, delay_s))
    }
}
