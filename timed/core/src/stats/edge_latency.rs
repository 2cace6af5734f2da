//! Edge-to-datagram latency: from the moment timed got a PPS edge (FETCH returned, or the
//! simulated edge's datagram arrived) to its sample having been handed to every sink. Kept per
//! label source over the last [`KEEP`] samples (an hour at 1 Hz), so memory is bounded; and
//! counted since start in fixed buckets ([`EDGE_BOUNDS_NS`]), so that two readings a minute apart give
//! that minute's distribution (a load test's window; Prometheus rates). The daemon measures, this
//! keeps and summarises (pure: durations come in as numbers).

use crate::engine::LabelSource;
use std::collections::VecDeque;

/// Samples kept per label source.
pub const KEEP: usize = 3600;

/// Upper bounds of the histogram buckets, nanoseconds (a last bucket, +Inf, holds the rest):
/// fine around the 200 us an edge should take at most under load, coarse beyond a millisecond.
pub const EDGE_BOUNDS_NS: [u64; 15] = [
    10_000,
    20_000,
    50_000,
    100_000,
    150_000,
    200_000,
    300_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    50_000_000,
    100_000_000,
    500_000_000,
];

/// Every edge since start, by bucket: `counts[i]` edges took at most `EDGE_BOUNDS_NS[i]` and more
/// than the bound before it; `counts[EDGE_BOUNDS_NS.len()]` took longer than the last bound.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EdgeHistogram {
    pub counts: [u64; EDGE_BOUNDS_NS.len() + 1],
    pub sum_ns: u64,
}

impl EdgeHistogram {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// (upper bound s, cumulative count) per bucket, the last bound +Inf (as Prometheus has it).
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let bounds = EDGE_BOUNDS_NS.iter().map(|b| *b as f64 / 1e9).chain(std::iter::once(f64::INFINITY));
        let mut cumulative = 0;
        bounds.zip(self.counts.iter()).map(move |(le, c)| {
            cumulative += c;
            (le, cumulative)
        })
    }

    fn record(&mut self, ns: u64) {
        let i = EDGE_BOUNDS_NS.iter().position(|b| ns <= *b).unwrap_or(EDGE_BOUNDS_NS.len());
        self.counts[i] += 1;
        self.sum_ns = self.sum_ns.saturating_add(ns);
    }
}

/// Count and quantiles of the kept latencies, nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantiles {
    pub n: usize,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
}

#[derive(Clone, Debug, Default)]
pub struct EdgeLatency {
    tim_tp: VecDeque<u64>,
    epoch: VecDeque<u64>,
    hist: [EdgeHistogram; 2],
}

impl EdgeLatency {
    fn of(&mut self, label: LabelSource) -> &mut VecDeque<u64> {
        match label {
            LabelSource::TimTp => &mut self.tim_tp,
            LabelSource::EpochTiming => &mut self.epoch,
        }
    }

    fn index(label: LabelSource) -> usize {
        match label {
            LabelSource::TimTp => 0,
            LabelSource::EpochTiming => 1,
        }
    }

    /// Every edge of `label` since start (`None` before the first).
    pub fn histogram(&self, label: LabelSource) -> Option<&EdgeHistogram> {
        Some(&self.hist[Self::index(label)]).filter(|h| h.count() > 0)
    }

    pub fn record(&mut self, label: LabelSource, ns: u64) {
        self.hist[Self::index(label)].record(ns);
        let v = self.of(label);
        if v.len() == KEEP {
            v.pop_front();
        }
        v.push_back(ns);
    }

    /// Quantiles of the edges labelled by `label` (nearest rank), `None` before the first.
    pub fn summary(&self, label: LabelSource) -> Option<Quantiles> {
        let v = match label {
            LabelSource::TimTp => &self.tim_tp,
            LabelSource::EpochTiming => &self.epoch,
        };
        let mut s: Vec<u64> = v.iter().copied().collect();
        s.sort_unstable();
        let q = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize];
        (!s.is_empty()).then(|| Quantiles { n: s.len(), p50_ns: q(0.5), p99_ns: q(0.99), max_ns: q(1.0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_per_label_over_a_bounded_window() {
        let mut l = EdgeLatency::default();
        assert_eq!(l.summary(LabelSource::TimTp), None);
        for i in 1..=100 {
            l.record(LabelSource::TimTp, i * 1000);
        }
        l.record(LabelSource::EpochTiming, 7);
        assert_eq!(
            l.summary(LabelSource::TimTp),
            Some(Quantiles { n: 100, p50_ns: 51_000, p99_ns: 99_000, max_ns: 100_000 })
        );
        assert_eq!(l.summary(LabelSource::EpochTiming).map(|q| (q.n, q.max_ns)), Some((1, 7)));
        for _ in 0..KEEP {
            l.record(LabelSource::TimTp, 5);
        }
        assert_eq!(l.summary(LabelSource::TimTp).map(|q| (q.n, q.max_ns)), Some((KEEP, 5)));
    }

    #[test]
    fn the_histogram_counts_every_edge_since_start_by_bucket() {
        let mut l = EdgeLatency::default();
        assert_eq!(l.histogram(LabelSource::TimTp), None);
        // On a bound counts in that bucket; past the last bound, in the overflow bucket.
        for ns in [10_000, 10_001, 200_000, 200_001, 600_000_000] {
            l.record(LabelSource::TimTp, ns);
        }
        for _ in 0..KEEP {
            l.record(LabelSource::TimTp, 1);
        }
        let h = l.histogram(LabelSource::TimTp).cloned().unwrap_or_default();
        assert_eq!(h.count(), KEEP as u64 + 5, "not bounded by the quantiles' window");
        let mut want = [0u64; EDGE_BOUNDS_NS.len() + 1];
        want[0] = KEEP as u64 + 1;
        want[1] = 1;
        want[5] = 1;
        want[6] = 1;
        want[EDGE_BOUNDS_NS.len()] = 1;
        assert_eq!(h.counts, want);
        let b: Vec<(f64, u64)> = h.buckets().collect();
        assert_eq!(b.len(), EDGE_BOUNDS_NS.len() + 1);
        assert_eq!(b[1], (20e-6, KEEP as u64 + 2));
        assert_eq!(b[EDGE_BOUNDS_NS.len()], (f64::INFINITY, KEEP as u64 + 5));
        assert_eq!(h.sum_ns, 10_000 + 10_001 + 200_000 + 200_001 + 600_000_000 + KEEP as u64);
        assert_eq!(l.histogram(LabelSource::EpochTiming), None);
    }
}
