//! A tiny deterministic PRNG (SplitMix64) and Gaussian draws (Box–Muller).
//!
//! Every random quantity is drawn from a stream keyed by (seed, purpose, second index), not from
//! one long sequence: switching a fault on for second 7 then cannot shift the edge jitter of
//! second 8, and two runs with the same seed see the same jitter second by second.

/// What a random stream is for; each purpose gets an independent stream per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    EdgeJitter = 1,
    MessageJitter = 2,
    Garbage = 3,
    SkyNoise = 4,
    SkyLayout = 5,
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, full-period, good enough for test jitter.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The stream for `purpose` in second `index` of a run seeded with `seed`.
    pub fn stream(seed: u64, purpose: Purpose, index: i64) -> Rng {
        // Mix the key through the generator itself so that neighbouring seconds and purposes
        // start far apart in the state space.
        let mut r = Rng::new(seed ^ (purpose as u64).wrapping_mul(0xA076_1D64_78BD_642F));
        r.state ^= r.next_u64() ^ (index as u64).wrapping_mul(0xE703_7ED1_A0B4_28DB);
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        // 53 random mantissa bits.
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [-half_width, +half_width).
    pub fn symmetric(&mut self, half_width: f64) -> f64 {
        (self.uniform() * 2.0 - 1.0) * half_width
    }

    /// Normal with mean 0 and the given standard deviation (Box–Muller, one of the pair).
    pub fn gaussian(&mut self, sigma: f64) -> f64 {
        if sigma == 0.0 {
            return 0.0;
        }
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        sigma * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4).map(|i| Rng::stream(7, Purpose::EdgeJitter, i).next_u64()).collect();
        let b: Vec<u64> = (0..4).map(|i| Rng::stream(7, Purpose::EdgeJitter, i).next_u64()).collect();
        assert_eq!(a, b);
        let c: Vec<u64> = (0..4).map(|i| Rng::stream(7, Purpose::MessageJitter, i).next_u64()).collect();
        assert_ne!(a, c);
        let d: Vec<u64> = (0..4).map(|i| Rng::stream(8, Purpose::EdgeJitter, i).next_u64()).collect();
        assert_ne!(a, d);
    }

    #[test]
    fn gaussian_has_the_requested_spread() {
        let mut r = Rng::new(1);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| r.gaussian(1000.0)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!(mean.abs() < 30.0, "mean {mean}");
        assert!((sd - 1000.0).abs() < 30.0, "sd {sd}");
        let u: Vec<f64> = (0..1000).map(|_| r.symmetric(5.0)).collect();
        assert!(u.iter().all(|x| (-5.0..5.0).contains(x)));
    }
}
