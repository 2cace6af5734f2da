//! Sliding-window summaries from a ring of per-bucket aggregates.
//!
//! A window of `SLOTS` buckets of fixed width keeps, per bucket, the count, sum, sum of squares,
//! minimum and maximum of the samples whose time falls in it. A sample costs O(1); a summary
//! merges at most `SLOTS` buckets, so min/max need no per-sample history. Memory is fixed at
//! `SLOTS` buckets whatever the sample rate.
//!
//! Values are integer nanoseconds and the sums are kept in `i128`, so the variance is computed
//! exactly (n·Σv² − (Σv)²) instead of by the cancellation-prone Σv²/n − mean² in floating point.

/// Buckets per window: 1 min = 60 × 1 s, 10 min = 60 × 10 s, 1 h = 60 × 1 min.
pub(crate) const SLOTS: usize = 60;

/// Sample values are clamped to ±2^52 ns (about 52 days) so squares stay far from `i128`
/// overflow; an offset that large is a broken clock, and its exact size no longer matters.
const MAX_ABS_NS: i64 = 1 << 52;

/// Count, mean, RMS, standard deviation, minimum and maximum of the samples in a window, in
/// seconds. The standard deviation is the population one (divisor n), so rms² = mean² + stddev²:
/// it describes the window's samples rather than estimating a parent distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub mean_s: f64,
    pub rms_s: f64,
    pub stddev_s: f64,
    pub min_s: f64,
    pub max_s: f64,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// `time_ns.div_euclid(width_ns)` of the samples in it; `i64::MIN` when never used.
    id: i64,
    n: u64,
    sum: i128,
    sum_sq: i128,
    min: i64,
    max: i64,
}

impl Bucket {
    const EMPTY: Bucket = Bucket { id: i64::MIN, n: 0, sum: 0, sum_sq: 0, min: i64::MAX, max: i64::MIN };

    fn add(&mut self, v: i64) {
        self.n += 1;
        self.sum = self.sum.saturating_add(i128::from(v));
        self.sum_sq = self.sum_sq.saturating_add(i128::from(v) * i128::from(v));
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn merge(&mut self, o: &Bucket) {
        self.n += o.n;
        self.sum = self.sum.saturating_add(o.sum);
        self.sum_sq = self.sum_sq.saturating_add(o.sum_sq);
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// A window of [`SLOTS`] buckets of `width_ns` each, keyed by sample time.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    width_ns: i64,
    buckets: Vec<Bucket>,
}

impl Window {
    /// A window spanning `SLOTS × width_ns` (width at least 1 ns).
    pub(crate) fn new(width_ns: i64) -> Window {
        Window { width_ns: width_ns.max(1), buckets: vec![Bucket::EMPTY; SLOTS] }
    }

    /// Adds a sample taken at `time_ns`. Samples may come in any order; one older than the
    /// window (its slot already holds a newer bucket) is dropped, since it could never be summarised.
    pub(crate) fn push(&mut self, time_ns: i64, value_ns: i64) {
        let id = time_ns.div_euclid(self.width_ns);
        let b = &mut self.buckets[slot(id)];
        if b.id > id {
            return;
        }
        if b.id < id {
            *b = Bucket { id, ..Bucket::EMPTY };
        }
        b.add(value_ns.clamp(-MAX_ABS_NS, MAX_ABS_NS));
    }

    /// The samples in the `SLOTS` buckets ending with the one holding `now_ns` (so the window
    /// covers between `SLOTS − 1` and `SLOTS` bucket widths of time); `None` if there are none.
    /// Samples time-stamped after `now_ns` are left out.
    pub(crate) fn summary(&self, now_ns: i64) -> Option<Summary> {
        let now = now_ns.div_euclid(self.width_ns);
        let oldest = now.saturating_sub(SLOTS as i64 - 1);
        let mut all = Bucket::EMPTY;
        for b in self.buckets.iter().filter(|b| b.n > 0 && b.id >= oldest && b.id <= now) {
            all.merge(b);
        }
        if all.n == 0 {
            return None;
        }
        let n = all.n as f64;
        // n²·variance exactly in integers; the float fallback only for absurd sums.
        let n_sq_var = i128::from(all.n)
            .checked_mul(all.sum_sq)
            .and_then(|a| all.sum.checked_mul(all.sum).and_then(|b| a.checked_sub(b)));
        let var = match n_sq_var {
            Some(v) => v as f64 / (n * n),
            None => (all.sum_sq as f64 / n - (all.sum as f64 / n).powi(2)).max(0.0),
        };
        Some(Summary {
            count: all.n,
            mean_s: all.sum as f64 / n / 1e9,
            rms_s: (all.sum_sq as f64 / n).sqrt() / 1e9,
            stddev_s: var.sqrt() / 1e9,
            min_s: all.min as f64 / 1e9,
            max_s: all.max as f64 / 1e9,
        })
    }

    /// Bytes of the bucket ring (on the heap; the struct itself is the caller's).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Bucket>()
    }
}

fn slot(id: i64) -> usize {
    // rem_euclid of a positive modulus is in 0..SLOTS.
    id.rem_euclid(SLOTS as i64) as usize
}
