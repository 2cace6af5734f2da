//! Tests of the statistics. Expected values come from closed forms, brute-force evaluation of
//! the textbook formulas written out here, or allantools (reference.rs), never from the code
//! under test.

mod allan;
mod histogram;
mod latency;
mod offset;
mod reference;
mod window;

/// SplitMix64 (Steele, Lea, Flood 2014): the test PRNG, also implemented in reference.py.
pub(super) struct SplitMix64(u64);

impl SplitMix64 {
    pub(super) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1]: 53 random bits, plus one so the logarithm never sees zero.
    pub(super) fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (-53f64).exp2()
    }

    /// Standard normal by Box–Muller, cosine branch only, same operation order as reference.py.
    pub(super) fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// |a − b| ≤ rel·|b|, with a message naming what was compared.
#[track_caller]
pub(super) fn assert_rel(a: f64, b: f64, rel: f64, what: &str) {
    assert!((a - b).abs() <= rel * b.abs(), "{what}: got {a:e}, expected {b:e} (rel {:e})", (a - b) / b);
}
