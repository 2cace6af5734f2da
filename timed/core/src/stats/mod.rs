//! Offset statistics for monitoring: per source (PPS or coarse serial), one [`OffsetStats`] keeps
//! sliding-window summaries over 1 min, 10 min and 1 h ([`Summary`]), a fixed-bucket histogram
//! for Prometheus ([`Histogram`]) and the 24 h overlapping Allan and time deviations ([`Allan`]);
//! [`LatencyStats`] keeps the serial message latencies and suggests the coarse refclock's chrony
//! `offset`/`delay`. Rejection counters are not here: they are the engine's `RejectCounts`.
//!
//! Pure arithmetic like the rest of the core: sample times come in as arguments (any one clock,
//! used consistently, including for `now_ns` in queries), and every structure has a fixed memory
//! size from construction, O(1) amortised work per sample.

mod allan;
mod edge_latency;
mod histogram;
mod latency;
#[cfg(test)]
mod tests;
mod window;

pub use allan::{Allan, DEFAULT_BRIDGE_MAX_S, TAUS};
pub use edge_latency::{EdgeHistogram, EdgeLatency, Quantiles, EDGE_BOUNDS_NS};
pub use histogram::{Histogram, MAX_BUCKETS};
pub use latency::{LatencyStats, MAX_KINDS};
pub use window::Summary;
use window::Window;

const NS: i64 = 1_000_000_000;

/// A sliding window's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Span {
    Minute,
    TenMinutes,
    Hour,
}

impl Span {
    pub const ALL: [Span; 3] = [Span::Minute, Span::TenMinutes, Span::Hour];

    /// Stable label for metrics and JSON: `1m`, `10m`, `1h`.
    pub fn label(self) -> &'static str {
        match self {
            Span::Minute => "1m",
            Span::TenMinutes => "10m",
            Span::Hour => "1h",
        }
    }

    /// Width of one of the window's 60 buckets: 1 s, 10 s, 1 min.
    fn bucket_ns(self) -> i64 {
        match self {
            Span::Minute => NS,
            Span::TenMinutes => 10 * NS,
            Span::Hour => 60 * NS,
        }
    }
}

/// Per-source statistics settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Histogram bucket width, ns.
    pub histogram_bucket_ns: i64,
    /// Histogram buckets, centred on zero.
    pub histogram_buckets: usize,
    /// Longest run of missing seconds that ADEV/TDEV bridge by interpolation; a longer gap
    /// restarts their series.
    pub allan_bridge_max_s: i64,
}

impl Config {
    /// PPS: 250 ns × 40 buckets, ±5 µs.
    pub fn pps() -> Config {
        Config { histogram_bucket_ns: 250, histogram_buckets: 40, allan_bridge_max_s: DEFAULT_BRIDGE_MAX_S }
    }

    /// Coarse serial samples: 1 ms × 40 buckets, ±20 ms.
    pub fn serial() -> Config {
        Config { histogram_bucket_ns: 1_000_000, ..Config::pps() }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::pps()
    }
}

/// All offset statistics of one source. See the module documentation.
#[derive(Clone, Debug)]
pub struct OffsetStats {
    /// In [`Span::ALL`] order.
    windows: [Window; 3],
    histogram: Histogram,
    allan: Allan,
}

impl OffsetStats {
    pub fn new(cfg: &Config) -> OffsetStats {
        OffsetStats {
            windows: Span::ALL.map(|s| Window::new(s.bucket_ns())),
            histogram: Histogram::new(cfg.histogram_bucket_ns, cfg.histogram_buckets),
            allan: Allan::new(cfg.allan_bridge_max_s),
        }
    }

    /// A sample: at `time_ns` the offset (true − system) was `offset_ns`. `time_ns` buckets the
    /// windows, and rounded to the nearest second it is the ADEV/TDEV phase index, so it should be
    /// the sample's labelled second (or a time within half a second of it); a second sample in
    /// the same second counts in the windows and histogram but not in ADEV/TDEV.
    pub fn push(&mut self, time_ns: i64, offset_ns: i64) {
        for w in &mut self.windows {
            w.push(time_ns, offset_ns);
        }
        self.histogram.push(offset_ns);
        let second = time_ns.saturating_add(NS / 2).div_euclid(NS);
        // ADEV/TDEV are the same for the phase and its negation, so the offset serves as phase.
        self.allan.push_phase(second, offset_ns as f64 / 1e9);
    }

    /// Summary of the `span` ending at `now_ns` (same clock as the samples' `time_ns`); `None` if
    /// no sample falls in it.
    pub fn summary(&self, span: Span, now_ns: i64) -> Option<Summary> {
        let i = Span::ALL.iter().position(|s| *s == span).unwrap_or(0);
        self.windows[i].summary(now_ns)
    }

    pub fn histogram(&self) -> &Histogram {
        &self.histogram
    }

    pub fn allan(&self) -> &Allan {
        &self.allan
    }

    /// See [`Allan::adev`].
    pub fn adev(&self) -> Vec<(f64, Option<f64>)> {
        self.allan.adev()
    }

    /// See [`Allan::tdev`].
    pub fn tdev(&self) -> Vec<(f64, Option<f64>)> {
        self.allan.tdev()
    }

    /// Bytes held, inline and on the heap: fixed from construction.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<OffsetStats>()
            + self.windows.iter().map(Window::heap_bytes).sum::<usize>()
            + self.histogram.heap_bytes()
            + self.allan.heap_bytes()
    }
}
