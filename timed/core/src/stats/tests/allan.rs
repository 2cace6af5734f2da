use super::super::allan::{Allan, TAUS};
use super::{assert_rel, SplitMix64};

/// Brute force from the textbook sums over one contiguous series `x`: (Σ d², terms) for ADEV
/// and (Σ S², terms) for TDEV at averaging factor m.
fn naive_terms(x: &[f64], m: usize) -> ((f64, usize), (f64, usize)) {
    let d = |i: usize| x[i + 2 * m] - 2.0 * x[i + m] + x[i];
    let n = x.len();
    let adev_n = n.saturating_sub(2 * m);
    let adev_sum = (0..adev_n).map(|i| d(i) * d(i)).sum();
    let tdev_n = (n + 1).saturating_sub(3 * m);
    let tdev_sum = (0..tdev_n)
        .map(|j| {
            let s: f64 = (j..j + m).map(d).sum();
            s * s
        })
        .sum();
    ((adev_sum, adev_n), (tdev_sum, tdev_n))
}

/// Brute-force ADEV and TDEV pooling the terms of several contiguous runs.
fn naive(runs: &[&[f64]], m: usize) -> (Option<f64>, Option<f64>) {
    let (mut a, mut t) = ((0.0, 0), (0.0, 0));
    for x in runs {
        let (ra, rt) = naive_terms(x, m);
        a = (a.0 + ra.0, a.1 + ra.1);
        t = (t.0 + rt.0, t.1 + rt.1);
    }
    let tau = m as f64;
    let adev = (a.1 > 0).then(|| (a.0 / (2.0 * tau * tau * a.1 as f64)).sqrt());
    let tdev = (t.1 > 0).then(|| (t.0 / (6.0 * tau * tau * t.1 as f64)).sqrt());
    (adev, tdev)
}

fn check_against_naive(a: &Allan, runs: &[&[f64]], rel_adev: f64, rel_tdev: f64) {
    let (adev, tdev) = (a.adev(), a.tdev());
    for k in 0..TAUS {
        let m = 1usize << k;
        let (na, nt) = naive(runs, m);
        assert_eq!(adev[k].0, m as f64);
        assert_eq!(tdev[k].0, m as f64);
        match (adev[k].1, na) {
            (Some(got), Some(want)) => assert_rel(got, want, rel_adev, &format!("adev m={m}")),
            (got, want) => assert_eq!(got, want, "adev m={m}"),
        }
        match (tdev[k].1, nt) {
            (Some(got), Some(want)) => assert_rel(got, want, rel_tdev, &format!("tdev m={m}")),
            (got, want) => assert_eq!(got, want, "tdev m={m}"),
        }
    }
}

fn noise(seed: u64, n: usize) -> Vec<f64> {
    let mut g = SplitMix64::new(seed);
    // White phase plus a random walk, around a 0.3 ms constant offset.
    let mut walk = 0.0;
    (0..n)
        .map(|_| {
            walk += 2e-9 * g.normal();
            3e-4 + 5e-8 * g.normal() + walk
        })
        .collect()
}

#[test]
fn nothing_until_there_are_enough_samples() {
    let x = noise(7, 3072);
    let mut a = Allan::default();
    for (i, &v) in x.iter().enumerate() {
        let n = i + 1;
        a.push_phase(1_000 + i as i64, v);
        if n == 2 || n == 3 || n == 2048 || n == 2049 || n == 3071 || n == 3072 {
            for (k, ((_, adev), (_, tdev))) in a.adev().iter().zip(a.tdev()).enumerate() {
                let m = 1 << k;
                assert_eq!(adev.is_some(), n > 2 * m, "adev m={m} n={n}");
                assert_eq!(tdev.is_some(), n >= 3 * m, "tdev m={m} n={n}");
            }
        }
    }
}

#[test]
fn alternating_phase_has_closed_form_deviations() {
    // x = a·(−1)^i: d_m = 4a(−1)^i for odd m, 0 for even m; with m = 1 the inner sum is d.
    let amp = 1e-6;
    let mut a = Allan::default();
    for i in 0..5000i64 {
        a.push_phase(i, if i % 2 == 0 { amp } else { -amp });
    }
    let (adev, tdev) = (a.adev(), a.tdev());
    assert_rel(adev[0].1.unwrap(), 8f64.sqrt() * amp, 1e-14, "adev 1");
    assert_rel(tdev[0].1.unwrap(), 4.0 * amp / 6f64.sqrt(), 1e-14, "tdev 1");
    for k in 1..TAUS {
        assert_eq!(adev[k].1, Some(0.0));
        assert_eq!(tdev[k].1, Some(0.0));
    }
}

#[test]
fn quadratic_phase_has_closed_form_deviations() {
    // x = D·i²/2 (a frequency ramp): every d_m = D·m², so ADEV = D·m/√2 and TDEV = D·m²/√6.
    let drift = 1e-12;
    let mut a = Allan::default();
    for i in 0..4000i64 {
        a.push_phase(i, drift * (i * i) as f64 / 2.0);
    }
    for (k, ((_, adev), (_, tdev))) in a.adev().iter().zip(a.tdev()).enumerate() {
        let m = (1 << k) as f64;
        assert_rel(adev.unwrap(), drift * m / 2f64.sqrt(), 1e-6, "adev");
        assert_rel(tdev.unwrap(), drift * m * m / 6f64.sqrt(), 1e-6, "tdev");
    }
}

#[test]
fn random_series_matches_brute_force() {
    let x = noise(11, 9000);
    let mut a = Allan::default();
    for (i, &v) in x.iter().enumerate() {
        a.push_phase(1_700_000_000 + i as i64, v);
    }
    check_against_naive(&a, &[&x], 1e-11, 1e-9);
}

#[test]
fn short_gaps_are_bridged_by_linear_interpolation() {
    let mut x = noise(13, 6000);
    let mut a = Allan::new(10);
    for (i, &v) in x.iter().enumerate() {
        // Seconds 1000..=1009 (10, bridged) and 4000 (1) are missing.
        if !(1000..1010).contains(&i) && i != 4000 {
            a.push_phase(i as i64, v);
        }
    }
    for i in 1000..1010 {
        x[i] = x[999] + (x[1010] - x[999]) * ((i - 999) as f64 / 11.0);
    }
    x[4000] = (x[3999] + x[4001]) / 2.0;
    check_against_naive(&a, &[&x], 1e-11, 1e-9);
}

#[test]
fn a_long_gap_restarts_the_series_and_keeps_earlier_terms() {
    let x = noise(17, 9000);
    let mut a = Allan::new(10);
    // 11 missing seconds: one more than bridged.
    for (i, &v) in x.iter().enumerate().filter(|(i, _)| !(3000..3011).contains(i)) {
        a.push_phase(i as i64, v);
    }
    check_against_naive(&a, &[&x[..3000], &x[3011..]], 1e-11, 1e-9);
    // With bridging off even one missing second restarts.
    let mut a = Allan::new(0);
    for (i, &v) in x.iter().enumerate().filter(|(i, _)| *i != 5000) {
        a.push_phase(i as i64, v);
    }
    check_against_naive(&a, &[&x[..5000], &x[5001..]], 1e-11, 1e-9);
}

#[test]
fn repeated_old_and_non_finite_samples_are_ignored() {
    let x = noise(19, 5000);
    let mut a = Allan::default();
    for (i, &v) in x.iter().enumerate() {
        a.push_phase(i as i64, v);
        a.push_phase(i as i64, 1.0);
        a.push_phase(i as i64 - 5, -1.0);
        a.push_phase(i as i64 + 1, f64::NAN);
        a.push_phase(i as i64 + 1, f64::INFINITY);
    }
    check_against_naive(&a, &[&x], 1e-11, 1e-9);
}

#[test]
fn terms_older_than_the_last_144_blocks_expire() {
    // Day one: amplitude 1 µs alternating phase on seconds 0..86 400 (blocks 0..=143). Then a
    // restart at second 120 000 (block 200) with amplitude 1 ns. Only m = 1 has non-zero terms.
    let (big, small) = (1e-6, 1e-9);
    let alt = |i: i64, amp: f64| if i % 2 == 0 { amp } else { -amp };
    let adev1 = |a: &Allan| a.adev()[0].1.unwrap();
    let tdev1 = |a: &Allan| a.tdev()[0].1.unwrap();
    let mut a = Allan::default();
    for i in 0..86_400 {
        a.push_phase(i, alt(i, big));
    }
    a.push_phase(120_000, alt(0, small));
    // Window = blocks 57..=200: day one's terms completed at seconds 34 200..86 399, all 16a².
    assert_rel(adev1(&a), 8f64.sqrt() * big, 1e-12, "old terms only");
    for i in 120_001..120_600 {
        a.push_phase(i, alt(i, small));
    }
    // 52 200 old terms of 16·big² and 598 new of 16·small²: ADEV² = 16·mean / 2, TDEV² = 16·mean / 6.
    let mean_sq = (52_200.0 * big * big + 598.0 * small * small) / 52_798.0;
    assert_rel(adev1(&a), (8.0 * mean_sq).sqrt(), 1e-12, "mixed adev");
    assert_rel(tdev1(&a), (16.0 * mean_sq / 6.0).sqrt(), 1e-12, "mixed tdev");
    for i in 120_600..206_400 {
        a.push_phase(i, alt(i, small));
    }
    // Newest block 343: window 200..=343 holds the new run only.
    assert_rel(adev1(&a), 8f64.sqrt() * small, 1e-12, "new terms only");
    assert_rel(tdev1(&a), 4.0 * small / 6f64.sqrt(), 1e-12, "new tdev only");
}

#[test]
fn memory_is_fixed_and_within_budget() {
    let mut a = Allan::default();
    let before = a.memory_bytes();
    for (i, v) in noise(23, 20_000).into_iter().enumerate() {
        a.push_phase(i as i64 * 2, v); // gaps of one second, all bridged
    }
    assert_eq!(a.memory_bytes(), before);
    let f64s = 2048 + 2047 + 2 * 11 * 144;
    let expected = std::mem::size_of::<Allan>() + f64s * 8 + 144 * 8 + 2 * 11 * 144 * 4;
    assert_eq!(a.memory_bytes(), expected);
    assert_eq!(expected - std::mem::size_of::<Allan>(), 71_928);
    assert!(a.memory_bytes() <= 2 << 20, "{} bytes", a.memory_bytes());
}

#[test]
fn running_sums_forget_the_rounding_of_large_past_values() {
    // 5000 s of 1 s phase noise (a receiver gone mad), then a day of 1 ps noise. Once the loud
    // terms have left the 24 h window, TDEV must be that of the quiet part alone: a running
    // inner sum that only ever adds and subtracts would keep ~1e-16 s of rounding from the loud
    // part, a large error against 1 ps.
    let mut g = SplitMix64::new(29);
    let x: Vec<f64> = (0..95_000).map(|i| if i < 5000 { 1.0 } else { 1e-12 } * g.normal()).collect();
    let mut a = Allan::default();
    for (i, &v) in x.iter().enumerate() {
        a.push_phase(i as i64, v);
    }
    // Newest second 94 999 is in block 158: the window holds terms completed at 9000 s and later.
    for (k, (_, got)) in a.tdev().into_iter().enumerate() {
        let m = 1usize << k;
        // Each inner sum added up afresh from the second differences.
        let d: Vec<f64> = (0..x.len() - 2 * m).map(|i| x[i + 2 * m] - 2.0 * x[i + m] + x[i]).collect();
        let (mut sum, mut n) = (0.0, 0usize);
        for p in 9000..x.len() {
            let j = p + 1 - 3 * m;
            let s: f64 = d[j..j + m].iter().sum();
            sum += s * s;
            n += 1;
        }
        let want = (sum / (6.0 * (m * m) as f64 * n as f64)).sqrt();
        assert_rel(got.unwrap(), want, 1e-9, &format!("tdev m={m}"));
    }
}
