use super::super::window::{Window, SLOTS};
use super::assert_rel;

const S: i64 = 1_000_000_000;

/// A 1 min window (60 × 1 s) with one sample a second at 0..n s, alternating +3 µs and −1 µs.
fn alternating(n: i64) -> Window {
    let mut w = Window::new(S);
    for i in 0..n {
        w.push(i * S, if i % 2 == 0 { 3000 } else { -1000 });
    }
    w
}

#[test]
fn summary_of_a_known_window() {
    let w = alternating(60);
    let s = w.summary(59 * S + S / 2).unwrap();
    assert_eq!(s.count, 60);
    // Half at 3 µs, half at −1 µs: mean 1 µs, every sample 2 µs from it.
    assert_eq!(s.mean_s, 1e-6);
    assert_eq!(s.stddev_s, 2e-6);
    assert_rel(s.rms_s, 5f64.sqrt() * 1e-6, 1e-15, "rms");
    assert_eq!((s.min_s, s.max_s), (-1e-6, 3e-6));
}

#[test]
fn old_buckets_leave_the_window_as_now_advances() {
    let w = alternating(60);
    // Buckets 30..=89 remain: samples 30..59.
    let s = w.summary(89 * S).unwrap();
    assert_eq!(s.count, 30);
    assert_eq!(s.mean_s, 1e-6);
    assert_eq!(w.summary(118 * S).unwrap().count, 1);
    assert_eq!(w.summary(119 * S), None);
    // Samples after `now` are not counted.
    assert_eq!(w.summary(9 * S).unwrap().count, 10);
}

#[test]
fn the_window_spans_sixty_buckets_including_the_current_one() {
    let mut w = Window::new(60 * S); // the 1 h window
    for i in 0..60 {
        w.push(i * S, 7); // all in bucket 0
    }
    w.push(3_599 * S, 7); // bucket 59
    assert_eq!(w.summary(3_599 * S + S - 1).unwrap().count, 61);
    assert_eq!(w.summary(3_600 * S).unwrap().count, 1);
}

#[test]
fn fast_samples_gaps_and_late_arrivals() {
    let mut w = Window::new(S);
    // Ten samples a second for a minute.
    for i in 0..600 {
        w.push(i * S / 10, i);
    }
    let s = w.summary(60 * S - 1).unwrap();
    assert_eq!(s.count, 600);
    assert_eq!((s.min_s, s.max_s), (0.0, 599e-9));
    // A late sample still inside the window counts; one older than it is dropped.
    w.push(30 * S, -5);
    w.push(-1, -6);
    let s = w.summary(60 * S - 1).unwrap();
    assert_eq!((s.count, s.min_s), (601, -5e-9));
    // After a 10 min gap only the new sample is in the minute.
    w.push(660 * S, 42);
    let s = w.summary(660 * S).unwrap();
    assert_eq!((s.count, s.mean_s, s.stddev_s), (1, 42e-9, 0.0));
    assert_eq!(SLOTS, 60);
}

#[test]
fn variance_is_exact_on_a_large_common_offset() {
    // ±1 ns around 1000 s: Σv²/n − mean² in f64 would lose every digit.
    let mut w = Window::new(S);
    for i in 0..60 {
        w.push(i * S, 1_000_000_000_000 + if i % 2 == 0 { 1 } else { -1 });
    }
    let s = w.summary(59 * S).unwrap();
    assert_eq!(s.stddev_s, 1e-9);
    assert_eq!(s.mean_s, 1000.0);
}

#[test]
fn extreme_values_are_clamped_not_overflowed() {
    let mut w = Window::new(S);
    for i in 0..1000 {
        w.push(i * S / 100, if i % 2 == 0 { i64::MAX } else { i64::MIN });
        w.push(i64::MIN, 0);
        w.push(i64::MAX, 0);
    }
    let s = w.summary(9 * S).unwrap();
    assert_eq!(s.count, 1000);
    assert_eq!(s.max_s, (1i64 << 52) as f64 / 1e9);
    assert_rel(s.stddev_s, (1i64 << 52) as f64 / 1e9, 1e-12, "stddev");
}
