use super::super::{LatencyStats, MAX_KINDS};
use super::assert_rel;

const S: i64 = 1_000_000_000;

#[test]
fn per_kind_windows_over_ten_minutes() {
    let mut l = LatencyStats::new();
    for i in 0..1200i64 {
        // RMC 120 ms ± 1 ms alternating; PVT always 80 ms.
        l.push("RMC", i * S, 120_000_000 + if i % 2 == 0 { 1_000_000 } else { -1_000_000 });
        l.push("UBX-NAV-PVT", i * S, 80_000_000);
    }
    let rmc = l.summary("RMC", 1199 * S).unwrap();
    // 10 min = buckets of 10 s 60..=119: seconds 600..1199.
    assert_eq!(rmc.count, 600);
    assert_rel(rmc.mean_s, 0.120, 1e-15, "mean");
    assert_rel(rmc.stddev_s, 0.001, 1e-12, "stddev");
    assert_eq!((rmc.min_s, rmc.max_s), (0.119, 0.121));
    let kinds: Vec<&str> = l.summaries(1199 * S).map(|(k, _)| k).collect();
    assert_eq!(kinds, ["RMC", "UBX-NAV-PVT"]);
    assert_eq!(l.summary("GGA", 1199 * S), None);
    assert_eq!(l.summaries(2000 * S).count(), 0);
}

#[test]
fn kinds_are_bounded() {
    let mut l = LatencyStats::new();
    for i in 0..100 {
        l.push(&format!("K{i}"), 0, 1);
    }
    assert_eq!(l.summaries(0).count(), MAX_KINDS);
    assert!(l.summary("K99", 0).is_none());
}

#[test]
fn coarse_offset_suggestion_is_robust_to_stalls() {
    let mut l = LatencyStats::new();
    // 100 early garbage values that the 600-sample ring must have dropped.
    for _ in 0..100 {
        l.push_epoch(5 * S);
    }
    // 595 latencies 100 ms + i·10 µs in a scrambled order, and 5 stalls of 900 ms (< 1 %).
    for j in 0..600i64 {
        let i = j * 7 % 600; // 7 is coprime with 600: a permutation
        l.push_epoch(if i < 595 { 100_000_000 + i * 10_000 } else { 900_000_000 });
    }
    // Sorted: grid 0..595 then the stalls. p1 = 6th smallest = grid[5] = 100.05 ms,
    // p99 = 594th = grid[593] = 105.93 ms; kept grid[5..=593], mean grid[299] = 102.99 ms.
    let (offset, delay) = l.suggest_coarse_offset().unwrap();
    assert_rel(offset, 0.10299, 1e-12, "offset");
    assert_rel(delay, 2.0 * 0.00588, 1e-12, "delay");
}

#[test]
fn no_suggestion_without_enough_epochs() {
    let mut l = LatencyStats::new();
    for _ in 0..99 {
        l.push_epoch(100_000_000);
    }
    assert_eq!(l.suggest_coarse_offset(), None);
    l.push_epoch(100_000_000);
    // All equal: the delay floors at chrony's default of 1 ns.
    assert_eq!(l.suggest_coarse_offset(), Some((0.1, 1e-9)));
}
