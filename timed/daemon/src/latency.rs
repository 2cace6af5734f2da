//! Edge-to-datagram latency: from the moment timed got a PPS edge (FETCH returned, or the
//! simulated edge's datagram arrived) to the sample having been handed to every sink. Kept per
//! label source, bounded (the last hour), and logged at exit for the benchmark.

use std::collections::VecDeque;
use std::time::Duration;
use timed_core::engine::LabelSource;
use tracing::info;

const KEEP: usize = 3600;

#[derive(Default)]
pub struct Latency {
    tim_tp: VecDeque<u64>,
    epoch: VecDeque<u64>,
}

impl Latency {
    pub fn record(&mut self, label: LabelSource, d: Duration) {
        let v = match label {
            LabelSource::TimTp => &mut self.tim_tp,
            LabelSource::EpochTiming => &mut self.epoch,
        };
        if v.len() == KEEP {
            v.pop_front();
        }
        v.push_back(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// (count, p50 ns, p99 ns, max ns) of edges labelled by `label`.
    pub fn summary(&self, label: LabelSource) -> Option<(usize, u64, u64, u64)> {
        let v = match label {
            LabelSource::TimTp => &self.tim_tp,
            LabelSource::EpochTiming => &self.epoch,
        };
        let mut s: Vec<u64> = v.iter().copied().collect();
        s.sort_unstable();
        let q = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize];
        (!s.is_empty()).then(|| (s.len(), q(0.5), q(0.99), q(1.0)))
    }

    pub fn log(&self) {
        for (label, name) in [(LabelSource::TimTp, "tim-tp"), (LabelSource::EpochTiming, "epoch-timing")] {
            if let Some((n, p50, p99, max)) = self.summary(label) {
                info!(
                    label = name,
                    n,
                    p50_us = p50 as f64 / 1e3,
                    p99_us = p99 as f64 / 1e3,
                    max_us = max as f64 / 1e3,
                    "PPS edge-to-datagram latency"
                );
            }
        }
    }
}
