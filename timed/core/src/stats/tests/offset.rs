use super::super::{Allan, Config, OffsetStats, Span};
use super::SplitMix64;

const S: i64 = 1_000_000_000;

#[test]
fn one_hour_at_one_hertz_fills_each_window() {
    let mut st = OffsetStats::new(&Config::pps());
    let mut g = SplitMix64::new(3);
    let mut exact = Allan::default();
    let mut times = Vec::new();
    for i in 0..3600i64 {
        let offset = (300.0 * g.normal()).round() as i64;
        // The sample time wobbles by up to ±0.45 s around the labelled second.
        let t = 1_750_000_000 * S + i * S + (g.uniform() * 0.9e9 - 0.45e9) as i64;
        st.push(t, offset);
        times.push(t);
        exact.push_phase(1_750_000_000 + i, offset as f64 / 1e9);
    }
    let now = 1_750_000_000 * S + 3599 * S + S / 2;
    // A window is the 60 buckets of its width up to and including the one holding `now`.
    let expected = |width: i64| {
        let start = (now.div_euclid(width) - 59) * width;
        times.iter().filter(|&&t| t >= start && t <= now).count() as u64
    };
    let counts: Vec<u64> = Span::ALL.iter().map(|s| st.summary(*s, now).unwrap().count).collect();
    assert_eq!(counts, [expected(S), expected(10 * S), expected(60 * S)]);
    assert!(counts[2] > 3500 && counts[2] < 3600, "{counts:?}");
    assert_eq!(Span::ALL.map(Span::label), ["1m", "10m", "1h"]);
    assert_eq!(st.histogram().count(), 3600);
    // Rounding the wobbly times gives back the consecutive seconds.
    assert_eq!(st.adev(), exact.adev());
    assert_eq!(st.tdev(), exact.tdev());
    assert!(st.adev().iter().chain(&st.tdev()).all(|(_, v)| v.is_some()));
}

#[test]
fn state_stays_small() {
    let st = OffsetStats::new(&Config::serial());
    // 3 windows × 60 buckets × 64 B, 42 histogram counts, the ADEV state and the structs.
    assert!(st.memory_bytes() < 100 * 1024, "{}", st.memory_bytes());
    assert!(st.memory_bytes() > st.allan().memory_bytes() + 3 * 60 * 64 + 42 * 8);
}
