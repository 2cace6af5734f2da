//! Edge-to-datagram latency: from the moment timed got a PPS edge (FETCH returned, or the
//! simulated edge's datagram arrived) to its sample having been handed to every sink. Kept per
//! label source over the last [`KEEP`] samples (an hour at 1 Hz), so memory is bounded; the
//! daemon measures, this keeps and summarises (pure: durations come in as numbers).

use crate::engine::LabelSource;
use std::collections::VecDeque;

/// Samples kept per label source.
pub const KEEP: usize = 3600;

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
}

impl EdgeLatency {
    fn of(&mut self, label: LabelSource) -> &mut VecDeque<u64> {
        match label {
            LabelSource::TimTp => &mut self.tim_tp,
            LabelSource::EpochTiming => &mut self.epoch,
        }
    }

    pub fn record(&mut self, label: LabelSource, ns: u64) {
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
}
