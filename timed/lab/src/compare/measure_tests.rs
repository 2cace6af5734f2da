use super::*;

#[test]
fn cost_of_this_process_from_proc() {
    // The real /proc of the test process: CPU grows with work, VmHWM covers what was touched.
    // The work is 300 ms on the CPU by the scheduler's own count (schedstat, ns run by this
    // thread), not 300 ms of wall time, which a busy host may hand mostly to others.
    let on_cpu_ns = || -> u64 {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
        s.split_whitespace().next().unwrap().parse().unwrap()
    };
    let before = cost(std::process::id(), ticks_per_s()).unwrap();
    let (start, wall) = (on_cpu_ns(), std::time::Instant::now());
    let mut x = 0u64;
    while on_cpu_ns() - start < 300_000_000 && wall.elapsed().as_secs() < 30 {
        for _ in 0..10_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(std::hint::black_box(1));
        }
    }
    let big = vec![1u8; 64 << 20];
    std::hint::black_box((&big, x));
    let after = cost(std::process::id(), ticks_per_s()).unwrap();
    assert!(after.cpu_s - before.cpu_s >= 0.2, "{before:?} -> {after:?}");
    assert!(after.peak_rss_kb >= before.peak_rss_kb + 60_000, "{before:?} -> {after:?}");
}

#[test]
fn cost_counts_from_the_last_parenthesis() {
    let stat = "42 (a) b) (c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 1 1 1";
    let c = parse_cost(stat, "Name:\tx\nVmHWM:\t  4712 kB\n", 100.0).unwrap();
    assert_eq!(c, Cost { cpu_s: 3.0, peak_rss_kb: 4712 });
    assert!(parse_cost(stat, "Name:\tx\n", 100.0).is_none(), "no VmHWM: no figure");
}

#[test]
fn utc_times_as_chrony_logs_them() {
    assert_eq!(parse_utc("2009-11-30", "14:33:27.000000"), Some(1_259_591_607_000_000_000));
    assert_eq!(parse_utc("2000-02-29", "00:00:00.5"), Some(951_782_400_500_000_000));
    assert_eq!(parse_utc("1969-12-31", "23:59:59.000001"), Some(-999_999_000));
    assert_eq!(parse_utc("2009-11-30", "14:33:27"), Some(1_259_591_607_000_000_000));
    assert_eq!(parse_utc("2009-11", "14:33:27.0"), None);
    assert_eq!(parse_utc("2009-11-30", "14:33:x.0"), None);
}

#[test]
fn raw_rows_only_for_the_refid() {
    let log = "\
===============================================================================
   Date (UTC) Time         Refclock  DP L P  Raw offset   Cooked offset      Disp.
===============================================================================
2026-11-23 11:50:06.131641 GPS     1 N 0 -1.316418e-01 -1.316418e-01  2.900e-08
2026-11-23 11:50:06.628929 GPS     - N -       -       -1.289292e-01  2.071e-03
2026-11-23 11:50:06.000250 PPS     1 N 1  2.500000e-04  2.500000e-04  1.000e-07
2026-11-23 11:50:07.124179 GPS     2 N 0 -1.241800e-01 -1.241800e-01  2.900e-08
";
    let raw = raw_samples(log, "GPS");
    assert_eq!(raw.len(), 2);
    assert_eq!(raw[0].time_ns, parse_utc("2026-11-23", "11:50:06.131641").unwrap());
    assert_eq!(raw[1].raw_s, -0.12418);
    let t0 = parse_utc("2026-11-23", "11:50:00.0").unwrap() / 1_000_000_000;
    assert_eq!(filtered_in(log, "GPS", 0.00025, t0, t0 + 10), 1);
    assert_eq!(filtered_in(log, "GPS", 0.00025, t0 + 7, t0 + 10), 0);
}

#[test]
fn truth_lines_with_and_without_bursts() {
    let text = r#"{"second":1750000000,"index":0,"seq":1,"edge_system_ns":1749999999999750000,"burst_start_system_ns":1750000000119750000,"burst_written_system_ns":1750000000119900000,"burst_bytes":307,"truth_offset_ns":250000,"faults":[],"stopped":false}
{"second":1750000001,"index":1,"burst_start_system_ns":null,"burst_bytes":0,"truth_offset_ns":250000}
not json
"#;
    let t = truth_lines(text);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].burst_start_ns, Some(1_750_000_000_119_750_000));
    assert_eq!((t[0].burst_written_ns, t[1].burst_written_ns), (Some(1_750_000_000_119_900_000), None));
    assert_eq!((t[0].burst_bytes, t[0].offset_ns), (307, 250_000));
    assert_eq!((t[1].second, t[1].burst_start_ns, t[1].burst_bytes), (1_750_000_001, None, 0));
}

/// Truth with bursts at 120 ms ± (−2, 0, +2, 0) ms, offset +250 µs.
fn truth(n: i64) -> Vec<Truth> {
    (0..n)
        .map(|i| {
            let s = 1_750_000_000 + i;
            let jitter = [-2_000_000, 0, 2_000_000, 0][(i % 4) as usize];
            Truth {
                second: s,
                offset_ns: 250_000,
                burst_start_ns: Some(s * 1_000_000_000 - 250_000 + 120_000_000 + jitter),
                burst_written_ns: None,
                burst_bytes: 300,
            }
        })
        .collect()
}

#[test]
fn a_burst_the_host_wrote_late_is_the_receivers_lateness_not_the_daemons() {
    // Planned on time every second; the host wrote every third burst 3 ms late (and each first
    // byte takes 87 us on the wire). A first-byte stamper follows the bytes as written.
    let truth: Vec<Truth> = (0..100)
        .map(|i| {
            let s = 1_750_000_000 + i;
            let start = s * 1_000_000_000 - 250_000 + 120_000_000;
            let host = if i % 3 == 0 { 3_000_000 } else { 0 };
            Truth {
                second: s,
                offset_ns: 250_000,
                burst_start_ns: Some(start),
                burst_written_ns: Some(start + 87_000 + host),
                burst_bytes: 300,
            }
        })
        .collect();
    let raw: Vec<RawSample> = truth
        .iter()
        .map(|t| {
            let sys = t.burst_written_ns.unwrap() - 120_087_000;
            RawSample { time_ns: sys, raw_s: (t.second * 1_000_000_000 - sys) as f64 / 1e9 }
        })
        .collect();
    let c = coarse(&raw, 0, &truth, 1_750_000_010, 1_750_000_090);
    assert!(c.sd_s > 0.001, "the total error has the host's 3 ms in it: {c:?}");
    assert!(c.sd_daemon_s < 1e-9, "none of it is the daemon's: {c:?}");
    // Without the written instants the same samples would be charged to the daemon.
    let planned_only: Vec<Truth> = truth.iter().map(|t| Truth { burst_written_ns: None, ..*t }).collect();
    assert!(coarse(&raw, 0, &planned_only, 1_750_000_010, 1_750_000_090).sd_daemon_s > 0.001);
}

#[test]
fn coarse_error_against_truth_and_what_the_daemon_adds() {
    let truth = truth(100);
    // A first-byte stamper with a perfect calibration: offset = truth − burst lateness.
    let first_byte: Vec<RawSample> = truth
        .iter()
        .map(|t| {
            let late = t.burst_start_ns.unwrap() - (t.second * 1_000_000_000 - 250_000 + 120_000_000);
            let sys = t.second * 1_000_000_000 - 250_000 + late;
            RawSample { time_ns: sys, raw_s: (t.second * 1_000_000_000 - sys) as f64 / 1e9 }
        })
        .collect();
    let c = coarse(&first_byte, 20, &truth, 1_750_000_010, 1_750_000_090);
    assert_eq!((c.samples, c.epochs, c.filtered, c.polls), (80, 80, 20, 20));
    assert!((c.accepted() - 1.0).abs() < 1e-12);
    assert!(c.mean_s.abs() < 1e-9, "{c:?}");
    // The errors are the burst lateness negated: +2, 0, −2, 0 ms.
    let e: Vec<f64> = (10..90).map(|i| -[-0.002, 0.0, 0.002, 0.0][i % 4]).collect();
    assert!((c.sd_s - sd(&e)).abs() < 1e-9, "{c:?}");
    assert!((c.p99_s - 0.002).abs() < 1e-9);
    assert!(c.sd_daemon_s < 1e-9, "the receiver's own jitter is all there is: {c:?}");

    // A daemon that stamps 131 ms ± 1 ms after the second whatever the burst did, and misses
    // two seconds in ten (one of each wobble sign, so the mean stays 131 ms).
    let late: Vec<RawSample> = truth
        .iter()
        .filter(|t| !matches!((t.second - 1_750_000_000) % 10, 3 | 4))
        .map(|t| {
            let wobble = if t.second % 2 == 0 { 1_000_000 } else { -1_000_000 };
            let sys = t.second * 1_000_000_000 - 250_000 + 131_000_000 + wobble;
            RawSample { time_ns: sys, raw_s: (t.second * 1_000_000_000 - sys) as f64 / 1e9 }
        })
        .collect();
    let c = coarse(&late, 0, &truth, 1_750_000_010, 1_750_000_090);
    assert_eq!((c.samples, c.epochs), (64, 80));
    assert!((c.accepted() - 0.8).abs() < 1e-12);
    assert!((c.mean_s + 0.131).abs() < 1e-9, "{c:?}");
    assert!((c.p99_s - 0.001).abs() < 1e-9, "{c:?}");
    assert!(c.sd_daemon_s > 0.001, "the burst jitter it ignored shows as its own: {c:?}");
}

#[test]
fn percentile_is_nearest_rank() {
    let v: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&v, 0.99), 99.0);
    assert_eq!(percentile(&v, 0.5), 50.0);
    assert_eq!(percentile(&v[..1], 0.99), 1.0);
    assert!(percentile(&[], 0.5).is_nan());
}
