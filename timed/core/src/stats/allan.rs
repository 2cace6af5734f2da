//! Overlapping Allan deviation (ADEV) and time deviation (TDEV) of a 1 Hz phase series at
//! τ = m·1 s, m = 1, 2, 4 … 1024, updated incrementally over the last 24 h in fixed memory.
//!
//! Each new phase x[p] completes, for every m, one second difference
//! d_m = x[p] − 2·x[p−m] + x[p−2m] (an ADEV term, squared) and, once m of those exist, one inner
//! sum S = Σ of the last m d_m (a TDEV term, squared). So with N samples there are N − 2m ADEV
//! terms and N − 3m + 1 TDEV terms, and
//!
//! - ADEV²(τ) = Σ d² / (2 τ² · terms) (NIST SP 1065 eq. 11, overlapping),
//! - TDEV²(τ) = τ²/3 · MVAR(τ) = Σ S² / (6 m² · terms) (SP 1065 eqs. 14, 15).
//!
//! Terms are added into ten-minute blocks by the second that completed them; the estimate uses
//! the newest 144 blocks (23 h 50 min to 24 h of terms), and a block is cleared when its slot is
//! reused, so old data expire without per-term history.
//!
//! Gaps: seconds must increase. A gap of up to `bridge_max_s` missing seconds is bridged by
//! linear interpolation between the samples either side (a missed pulse or a rejected outlier
//! loses no terms, and biases τ = 1 s low only by the share of bridged seconds); a longer
//! gap restarts the series, so no term spans it, while the terms already made stay in the 24 h
//! sums (the estimate then averages the terms of several contiguous runs, as a gap-aware
//! analysis would). A non-finite phase or a second not after the newest is ignored.
//!
//! Memory budget (64-bit, constant from construction, see [`Allan::memory_bytes`]):
//! the last 2048 phases 16 384 B, the second-difference rings of Σm = 2047 values 16 376 B,
//! block ids 144 × 8 = 1 152 B, and per kind (ADEV, TDEV) 11 × 144 sums (f64) and counts (u32)
//! 19 008 B each; with the struct itself about 70.5 KiB, far inside the 2 MiB goal.

/// Number of taus: m = 2^k for k in 0..TAUS.
pub const TAUS: usize = 11;
const MAX_M: usize = 1 << (TAUS - 1);
/// Phase history: d_m needs x[p − 2m], up to 2048 seconds back.
const HISTORY: usize = 2 * MAX_M;
/// All second-difference rings together: Σ m = 2^TAUS − 1. Tau k's ring is
/// `diffs[m − 1 .. 2m − 1]`.
const DIFFS: usize = 2 * MAX_M - 1;
/// Seconds per block of sums.
const BLOCK_S: i64 = 600;
/// Blocks kept: 144 × 10 min = 24 h.
const BLOCKS: usize = 144;

/// Default longest gap bridged by interpolation, seconds.
pub const DEFAULT_BRIDGE_MAX_S: i64 = 10;

/// Incremental ADEV/TDEV state. See the module documentation.
#[derive(Clone, Debug)]
pub struct Allan {
    bridge_max_s: i64,
    /// Newest second and its phase.
    last: Option<(i64, f64)>,
    /// Position of the next sample in the current contiguous series (kept bounded, see `append`).
    len: usize,
    phase: Vec<f64>,
    diffs: Vec<f64>,
    /// Per tau, Σ of the last m second differences.
    inner: [f64; TAUS],
    block_id: Vec<i64>,
    /// Per tau and block (`k * BLOCKS + slot`): Σ d² and term count.
    adev_sum: Vec<f64>,
    adev_n: Vec<u32>,
    /// Per tau and block: Σ S² and term count.
    tdev_sum: Vec<f64>,
    tdev_n: Vec<u32>,
}

impl Default for Allan {
    fn default() -> Allan {
        Allan::new(DEFAULT_BRIDGE_MAX_S)
    }
}

impl Allan {
    /// Gaps of up to `bridge_max_s` missing seconds are interpolated (0: every gap restarts).
    pub fn new(bridge_max_s: i64) -> Allan {
        Allan {
            bridge_max_s: bridge_max_s.max(0),
            last: None,
            len: 0,
            phase: vec![0.0; HISTORY],
            diffs: vec![0.0; DIFFS],
            inner: [0.0; TAUS],
            block_id: vec![i64::MIN; BLOCKS],
            adev_sum: vec![0.0; TAUS * BLOCKS],
            adev_n: vec![0; TAUS * BLOCKS],
            tdev_sum: vec![0.0; TAUS * BLOCKS],
            tdev_n: vec![0; TAUS * BLOCKS],
        }
    }

    /// The phase (time offset, seconds) at UTC second `second`.
    pub fn push_phase(&mut self, second: i64, phase_s: f64) {
        if !phase_s.is_finite() {
            return;
        }
        if let Some((prev, prev_phase)) = self.last {
            if second <= prev {
                return;
            }
            let missing = second.saturating_sub(prev).saturating_sub(1);
            if missing > self.bridge_max_s {
                self.len = 0;
                self.inner = [0.0; TAUS];
            } else {
                let steps = (missing + 1) as f64;
                for k in 1..=missing {
                    let x = prev_phase + (phase_s - prev_phase) * (k as f64 / steps);
                    self.append(prev + k, x);
                }
            }
        }
        self.append(second, phase_s);
    }

    fn append(&mut self, second: i64, x: f64) {
        let slot = self.block_slot(second);
        let p = self.len;
        for k in 0..TAUS {
            let m = 1usize << k;
            if p < 2 * m {
                break;
            }
            let d = x - 2.0 * self.phase[(p - m) % HISTORY] + self.phase[(p - 2 * m) % HISTORY];
            let i = k * BLOCKS + slot;
            self.adev_sum[i] += d * d;
            self.adev_n[i] += 1;
            // d is d_m(q): the q-th second difference of this series.
            let q = p - 2 * m;
            let ring = &mut self.diffs[m - 1..2 * m - 1];
            let r = q & (m - 1); // q mod m: m is a power of two
            let old = std::mem::replace(&mut ring[r], d);
            self.inner[k] += if q >= m { d - old } else { d };
            if r == m - 1 {
                // The ring holds exactly the last m differences: resum so the running sum's
                // rounding never accumulates over more than m updates.
                self.inner[k] = ring.iter().sum();
            }
            if q + 1 >= m {
                let s = self.inner[k];
                self.tdev_sum[i] += s * s;
                self.tdev_n[i] += 1;
            }
        }
        self.phase[p % HISTORY] = x;
        // Every index above is taken modulo HISTORY or a divisor of it and only compared with
        // ≤ 3·MAX_M, so stepping back by a multiple of HISTORY changes nothing and keeps `len` bounded.
        self.len = if p + 1 >= 4 * HISTORY { p + 1 - 2 * HISTORY } else { p + 1 };
        self.last = Some((second, x));
    }

    /// The block slot for terms completed at `second`, cleared first if it held an older block.
    fn block_slot(&mut self, second: i64) -> usize {
        let id = second.div_euclid(BLOCK_S);
        // rem_euclid of a positive modulus is in 0..BLOCKS.
        let slot = id.rem_euclid(BLOCKS as i64) as usize;
        if self.block_id[slot] != id {
            self.block_id[slot] = id;
            for k in 0..TAUS {
                let i = k * BLOCKS + slot;
                self.adev_sum[i] = 0.0;
                self.adev_n[i] = 0;
                self.tdev_sum[i] = 0.0;
                self.tdev_n[i] = 0;
            }
        }
        slot
    }

    /// Σ and count of tau k's terms over the blocks in the 24 h window.
    fn totals(&self, k: usize, sums: &[f64], counts: &[u32]) -> (f64, u64) {
        let Some((newest, _)) = self.last else { return (0.0, 0) };
        let oldest = newest.div_euclid(BLOCK_S) - (BLOCKS as i64 - 1);
        let mut total = (0.0, 0u64);
        for slot in (0..BLOCKS).filter(|&s| self.block_id[s] >= oldest) {
            total.0 += sums[k * BLOCKS + slot];
            total.1 += u64::from(counts[k * BLOCKS + slot]);
        }
        total
    }

    /// `(τ seconds, overlapping ADEV)` for τ = 1, 2, 4 … 1024 s; `None` until some contiguous
    /// run within the window had 2m + 1 samples.
    pub fn adev(&self) -> Vec<(f64, Option<f64>)> {
        (0..TAUS)
            .map(|k| {
                let tau = (1u32 << k) as f64;
                let (sum, n) = self.totals(k, &self.adev_sum, &self.adev_n);
                (tau, (n > 0).then(|| (sum / (2.0 * n as f64)).sqrt() / tau))
            })
            .collect()
    }

    /// `(τ seconds, TDEV seconds)` for τ = 1, 2, 4 … 1024 s; `None` until some contiguous run
    /// within the window had 3m samples.
    pub fn tdev(&self) -> Vec<(f64, Option<f64>)> {
        (0..TAUS)
            .map(|k| {
                let m = (1u32 << k) as f64;
                let (sum, n) = self.totals(k, &self.tdev_sum, &self.tdev_n);
                (m, (n > 0).then(|| (sum / (6.0 * m * m * n as f64)).sqrt()))
            })
            .collect()
    }

    /// Bytes this state occupies: the struct plus its buffers, all sized at construction.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Allan>() + self.heap_bytes()
    }

    /// Bytes of the buffers alone.
    pub(crate) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        (self.phase.capacity() + self.diffs.capacity() + self.adev_sum.capacity() + self.tdev_sum.capacity())
            * size_of::<f64>()
            + self.block_id.capacity() * size_of::<i64>()
            + (self.adev_n.capacity() + self.tdev_n.capacity()) * size_of::<u32>()
    }
}
