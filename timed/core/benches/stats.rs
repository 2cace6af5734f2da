//! Cost of the offset statistics, single core.
//! `cargo bench -p timed-core --bench stats` prints ns per `OffsetStats::push` over a day of 1 Hz
//! PPS samples (windows, histogram and 24 h ADEV/TDEV together), the time of one full query, and
//! the memory of the 24 h ADEV/TDEV state. Figures, not assertions.
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::Instant;
use timed_core::stats::{Config, OffsetStats, Span};

const DAY: i64 = 86_400;
const NS: i64 = 1_000_000_000;

fn main() {
    // A deterministic wobble of about ±1 µs (a linear congruential sequence) is enough here.
    let mut lcg = 0x2545_F491_4F6C_DD1Du64;
    let offsets: Vec<i64> = (0..DAY)
        .map(|_| {
            lcg = lcg.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (lcg >> 33) as i64 % 2001 - 1000
        })
        .collect();
    let t0 = 1_750_000_000 * NS;
    for round in 0..3 {
        let mut st = OffsetStats::new(&Config::pps());
        let t = Instant::now();
        for (i, &o) in offsets.iter().enumerate() {
            st.push(t0 + i as i64 * NS, black_box(o));
        }
        let push_ns = t.elapsed().as_nanos() as f64 / DAY as f64;
        let now = t0 + DAY * NS;
        let t = Instant::now();
        let q =
            (Span::ALL.map(|s| st.summary(s, now)), st.histogram().buckets().count(), st.adev(), st.tdev());
        let query_us = t.elapsed().as_nanos() as f64 / 1e3;
        black_box(&q);
        println!(
            "round {round}: push {push_ns:.1} ns/sample over {DAY} samples; one full query {query_us:.1} µs; \
             24 h ADEV/TDEV state {} bytes ({:.1} KiB); whole OffsetStats {} bytes",
            st.allan().memory_bytes(),
            st.allan().memory_bytes() as f64 / 1024.0,
            st.memory_bytes()
        );
    }
}
