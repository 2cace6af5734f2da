use super::super::{Config, Histogram, OffsetStats};

fn bounds(h: &Histogram) -> Vec<f64> {
    h.buckets().map(|(le, _)| le).collect()
}

/// Cumulative count at upper bound `le`.
fn at(h: &Histogram, le: f64) -> u64 {
    h.buckets().find(|(b, _)| *b == le).map(|(_, c)| c).unwrap()
}

#[test]
fn pps_default_bounds_are_minus_to_plus_five_microseconds() {
    let s = OffsetStats::new(&Config::pps());
    let b = bounds(s.histogram());
    assert_eq!(b.len(), 42);
    assert_eq!(b[0], -5e-6);
    assert_eq!(b[1], -4.75e-6);
    assert_eq!(b[20], 0.0);
    assert_eq!(b[21], 2.5e-7);
    assert_eq!(b[40], 5e-6);
    assert_eq!(b[41], f64::INFINITY);
}

#[test]
fn serial_default_bounds_are_minus_to_plus_twenty_milliseconds() {
    let s = OffsetStats::new(&Config::serial());
    let b = bounds(s.histogram());
    assert_eq!((b.len(), b[0], b[1], b[40]), (42, -0.02, -0.019, 0.02));
}

#[test]
fn buckets_are_upper_inclusive_and_cumulative() {
    let mut h = Histogram::new(250, 40);
    for v in [-1_000_000_000, -5000, -4999, -4750, 0, 1, 250, 5000, 5001, i64::MAX, i64::MIN] {
        h.push(v);
    }
    assert_eq!(at(&h, -5e-6), 3); // −1 s, −5 µs, i64::MIN
    assert_eq!(at(&h, -4.75e-6), 5); // −4999, −4750
    assert_eq!(at(&h, -2.5e-7), 5);
    assert_eq!(at(&h, 0.0), 6);
    assert_eq!(at(&h, 2.5e-7), 8); // 1, 250
    assert_eq!(at(&h, 4.75e-6), 8);
    assert_eq!(at(&h, 5e-6), 9);
    assert_eq!(at(&h, f64::INFINITY), 11);
    assert_eq!(h.count(), 11);
    // i64::MAX + i64::MIN = −1; the rest sum to −1 000 000 000 + 1503 − 4999 − 4750 − 5000.
    let sum_ns = -1_000_000_000i64 - 5000 - 4999 - 4750 + 1 + 250 + 5000 + 5001 - 1;
    assert_eq!(h.sum_seconds(), sum_ns as f64 / 1e9);
    let counts: Vec<u64> = h.buckets().map(|(_, c)| c).collect();
    assert!(counts.windows(2).all(|p| p[0] <= p[1]));
}

#[test]
fn odd_counts_and_silly_settings_are_tamed() {
    let h = Histogram::new(100, 3);
    assert_eq!(bounds(&h), vec![-1.5e-7, -5e-8, 5e-8, 1.5e-7, f64::INFINITY]);
    let h = Histogram::new(0, 0);
    assert_eq!(bounds(&h), vec![0.0, 1e-9, f64::INFINITY]);
    let h = Histogram::new(1, usize::MAX);
    assert_eq!(h.buckets().count(), super::super::MAX_BUCKETS + 2);
}
