//! Fixed-bucket offset histogram, cumulative in the Prometheus way.
//!
//! `n` buckets of width `w` centred on zero span `lo = −n·w/2` to `lo + n·w`. The exported upper
//! bounds are the `n + 1` edges `lo, lo + w, …, lo + n·w` and then +Inf: the first bucket
//! (`le = lo`) gathers everything at or below the range, the +Inf one everything above it, so a
//! source that wandered off the scale on either side stays visible. Counts never decrease
//! (Prometheus histograms are counters): this is not windowed.

/// Most buckets a histogram may have; more would only bloat every scrape.
pub const MAX_BUCKETS: usize = 1000;

#[derive(Clone, Debug)]
pub struct Histogram {
    lo_ns: i64,
    width_ns: i64,
    /// `n + 2` counts: `[0]` ≤ lo, `[i]` in (lo + (i−1)·w, lo + i·w], `[n + 1]` > lo + n·w.
    counts: Vec<u64>,
    sum_ns: i128,
    count: u64,
}

impl Histogram {
    /// `buckets` buckets of `width_ns` centred on zero; width is at least 1 ns and the count is
    /// clamped to 1..=[`MAX_BUCKETS`].
    pub fn new(width_ns: i64, buckets: usize) -> Histogram {
        let width_ns = width_ns.clamp(1, i64::MAX / MAX_BUCKETS as i64);
        let n = buckets.clamp(1, MAX_BUCKETS);
        // With n·w odd the lower edge is rounded towards zero by half a nanosecond.
        let lo_ns = -(width_ns * n as i64) / 2;
        Histogram { lo_ns, width_ns, counts: vec![0; n + 2], sum_ns: 0, count: 0 }
    }

    pub fn push(&mut self, offset_ns: i64) {
        let n = self.counts.len() - 2;
        let i = match offset_ns.checked_sub(self.lo_ns) {
            Some(above) if above <= 0 => 0,
            // Prometheus buckets are upper-inclusive: v = lo + k·w belongs to bucket k.
            Some(above) => usize::try_from((above - 1) / self.width_ns + 1).map_or(n + 1, |k| k.min(n + 1)),
            // Only a value near i64::MAX overflows (lo is negative): far above the range.
            None => n + 1,
        };
        self.counts[i] += 1;
        self.sum_ns = self.sum_ns.saturating_add(i128::from(offset_ns));
        self.count += 1;
    }

    /// `(upper bound in seconds, cumulative count)` for each `le` bucket, ending with +Inf whose
    /// count is [`Histogram::count`].
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let n = self.counts.len() - 2;
        let mut cumulative = 0;
        self.counts.iter().enumerate().map(move |(i, c)| {
            cumulative += c;
            let le = if i > n { f64::INFINITY } else { (self.lo_ns + i as i64 * self.width_ns) as f64 / 1e9 };
            (le, cumulative)
        })
    }

    /// Sum of all offsets pushed, seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_ns as f64 / 1e9
    }

    /// Offsets pushed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Bytes of the counts (on the heap; the struct itself is the caller's).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.counts.capacity() * std::mem::size_of::<u64>()
    }
}
