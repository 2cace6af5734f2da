use super::*;

const NS: i64 = 1_000_000_000;

/// Six simulated seconds, +250 µs truth, from 2026-12-04 13:41:25 UTC (Unix 1796391685): two
/// healthy, two with the receiver a second ahead, one without a fix, one healthy again. Only
/// the fields the audit reads, plus one it must ignore (`label`).
const TRUTH: &str = include_str!("../../tests/fixtures/audit-truth.jsonl");

/// chrony 4.3's refclocks.log for that run, as it writes it: banner, samples, a filter line.
/// The PPS sample of index 3 carries the wrong second (+1 s); the GPS sample of index 4 was
/// sent during no_fix. From index 3 on chrony has corrected its (virtual) clock by 250 µs, so
/// the printed time is 250 µs after the sample's system time and cooked = raw − 250 µs.
const REFCLOCKS: &str = include_str!("../../tests/fixtures/audit-refclocks.log");

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn run(truth: &str, refclocks: &str) -> Report {
    audit(&parse_truth(truth).unwrap(), &parse_refclocks(refclocks).unwrap(), &Limits::default())
}

#[test]
fn refclocks_parser_keeps_samples_and_skips_banner_header_and_filter_lines() {
    let s = parse_refclocks(REFCLOCKS).unwrap();
    assert_eq!(s.len(), 6, "{s:?}");
    assert_eq!(s[0].refid, "PPS");
    assert_eq!(s[0].line, 4);
    assert_eq!(s[0].time, "2026-12-04 13:41:24.999750");
    // 13:41:25 UTC that day is Unix 1796391685; chrony prints microseconds.
    assert_eq!(s[0].system_ns, 1_796_391_684_999_750_000);
    assert_eq!(s[1].raw_offset_s, -7.5e-4);
    assert_eq!(s[3].raw_offset_s, 1.000251);
    // Printed 13:41:28.000000 with chrony's 250 µs correction: the edge was at 27.999750.
    assert_eq!(s[3].system_ns, 1_796_391_687_999_750_000);
}

#[test]
fn samples_are_matched_by_system_time_not_by_chronys_corrected_time() {
    // chrony, fed wrong seconds, has slewed its virtual clock 0.7 s: the printed time is
    // nearer index 4's edge, the sample's system time (printed − (raw − cooked)) is index 3's.
    let text = "2026-12-04 13:41:28.699750 PPS 0 N 0 1.000251e+00 3.002510e-01 1.0e-07\n";
    let r = run(TRUTH, text);
    let f = &r.offending[0];
    assert_eq!((f.index, f.system_ns), (Some(3), 1_796_391_687_999_750_000), "{}", r.text());
    assert_eq!(f.problems, ["wrong_second", "blocked:wrong_second"]);
}

#[test]
fn times_as_chrony_prints_them_agree_with_known_unix_times() {
    assert_eq!(parse_utc("1970-01-01", "00:00:00.000001"), Some(1_000));
    assert_eq!(parse_utc("2024-02-29", "23:59:59.5"), Some(1_709_251_199 * NS + 500_000_000));
    assert!(parse_refclocks("2026-12-04 13:41:xx PPS 0 N 0 2.5e-04 2.5e-04 1.0e-07\n").is_err());
}

#[test]
fn refclocks_parser_rejects_a_malformed_sample_line() {
    let bad = "2026-12-04 13:41:24.999750 PPS 0 N 0 notanumber 2.5e-04 1.0e-07\n";
    let e = parse_refclocks(bad).unwrap_err();
    assert!(e.contains("line 1") && e.contains("raw offset"), "{e}");
    assert!(parse_refclocks("2026-12-04 13:41:24.999750 PPS 0 N\n").is_err());
}

#[test]
fn truth_parser_skips_only_an_unfinished_last_line() {
    let cut = &TRUTH[..TRUTH.len() - 40];
    assert_eq!(parse_truth(cut).unwrap().len(), 5);
    let broken = TRUTH.replacen("\"index\":1,", "\"index\":,", 1);
    let e = parse_truth(&broken).unwrap_err();
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn audit_catches_the_wrong_second_pps_sample_and_the_no_fix_coarse_sample() {
    let r = run(TRUTH, REFCLOCKS);
    let pps = r.refclock("PPS").unwrap();
    let gps = r.refclock("GPS").unwrap();
    assert_eq!(
        (pps.samples, pps.wrong_second, pps.beyond_limit, pps.blocked, pps.unmatched),
        (4, 1, 0, 1, 0)
    );
    assert_eq!(
        (gps.samples, gps.wrong_second, gps.beyond_limit, gps.blocked, gps.unmatched),
        (2, 0, 0, 1, 0)
    );
    assert_eq!(r.offending.len(), 2, "{}", r.text());
    let wrong = &r.with_problem("wrong_second");
    assert_eq!(wrong.len(), 1);
    let w = wrong[0];
    assert_eq!(w.line, line_of(REFCLOCKS, "1.000251e+00"));
    assert_eq!((w.refid.as_str(), w.index, w.second), ("PPS", Some(3), Some(1_796_391_688)));
    assert!((w.error_s.unwrap() - 1.000001).abs() < 1e-9, "{w:?}");
    assert_eq!(w.problems, ["wrong_second", "blocked:wrong_second"]);
    let blocked = r.with_problem("blocked");
    assert_eq!(blocked.len(), 2);
    assert_eq!(blocked[1].line, line_of(REFCLOCKS, "5.000000e-05"));
    assert_eq!(blocked[1].problems, ["blocked:no_fix"]);
    assert!(!r.is_clean());
    let text = r.text();
    assert!(text.contains("2026-12-04 13:41:28.000000 PPS"), "{text}");
    assert!(text.contains("FAIL: 2 offending samples"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
    assert_eq!(json["offending"][0]["problems"][0], "wrong_second");
    assert_eq!(json["refclocks"][0]["wrong_second"], 1);
}

#[test]
fn audit_of_correct_samples_is_clean_and_counts_healthy_seconds() {
    let clean: String = REFCLOCKS
        .lines()
        .filter(|l| !l.contains("1.000251e+00") && !l.contains("5.000000e-05"))
        .map(|l| format!("{l}\n"))
        .collect();
    let r = run(TRUTH, &clean);
    assert!(r.is_clean(), "{}", r.text());
    assert!(r.text().ends_with("audit: OK\n"));
    let pps = r.refclock("PPS").unwrap();
    // Healthy: index 0 and 1 (index 5 follows a no_fix second).
    assert_eq!((pps.healthy_seconds, pps.healthy_with_sample, pps.first_index), (2, 2, Some(0)));
    // The PPS sample at index 5 is after the last fault (no_fix at index 4).
    assert_eq!((pps.last_index, r.last_fault_index), (Some(5), Some(4)));
    assert!((pps.max_abs_error_s - 1e-6).abs() < 1e-12, "{}", pps.max_abs_error_s);
}

#[test]
fn a_pps_sample_beyond_the_limit_is_offending_and_the_limit_is_settable() {
    let text = "2026-12-04 13:41:25.999750 PPS 0 N 0 3.100000e-04 3.100000e-04 1.0e-07\n";
    let r = run(TRUTH, text);
    assert_eq!(r.with_problem("beyond_limit").len(), 1, "{}", r.text());
    let loose = Limits { pps_s: 100e-6, ..Limits::default() };
    let r = audit(&parse_truth(TRUTH).unwrap(), &parse_refclocks(text).unwrap(), &loose);
    assert!(r.is_clean(), "{}", r.text());
}

#[test]
fn no_fix_blocks_a_pulse_only_when_neither_burst_that_could_label_it_had_a_fix() {
    let truth = TRUTH.replacen(
        "\"faults\":[],\"label\":1796391690",
        "\"faults\":[\"no_fix\"],\"label\":1796391690",
        1,
    );
    // Index 4 is the first no_fix second (index 3's burst had a fix), index 5 the second one.
    let text = "\
2026-12-04 13:41:28.999750 PPS 0 N 0 2.500000e-04 2.500000e-04 1.0e-07
2026-12-04 13:41:29.999750 PPS 0 N 0 2.500000e-04 2.500000e-04 1.0e-07
";
    let r = run(&truth, text);
    let blocked = r.with_problem("blocked");
    assert_eq!(blocked.len(), 1, "{}", r.text());
    assert_eq!(
        (blocked[0].index, blocked[0].problems.as_slice()),
        (Some(5), &["blocked:no_fix".to_string()][..])
    );
}

#[test]
fn a_pulse_at_a_dropped_edge_and_a_coarse_sample_in_silence_are_blocked() {
    let truth = TRUTH
        .replacen(
            "\"dropped\":false,\"faults\":[],\"label\":1796391686",
            "\"dropped\":true,\"faults\":[\"drop_pulse\"],\"label\":1796391686",
            1,
        )
        .replacen("\"faults\":[],\"label\":1796391685", "\"faults\":[\"silence\"],\"label\":1796391685", 1);
    let text = "\
2026-12-04 13:41:25.001000 GPS 0 N 0 -7.500000e-04 -7.500000e-04 2.0e-08
2026-12-04 13:41:25.999750 PPS 0 N 0 2.500000e-04 2.500000e-04 1.0e-07
";
    let r = run(&truth, text);
    let problems: Vec<_> = r.offending.iter().map(|f| (f.refid.as_str(), f.problems.join(" "))).collect();
    assert_eq!(problems, [("GPS", "blocked:silence".to_string()), ("PPS", "blocked:drop_pulse".to_string())]);
}

#[test]
fn a_sample_far_from_every_truth_edge_is_unmatched() {
    let text = "2026-12-04 13:41:40.999750 PPS 0 N 0 2.500000e-04 2.500000e-04 1.0e-07\n";
    let r = run(TRUTH, text);
    assert_eq!(r.refclock("PPS").unwrap().unmatched, 1);
    assert_eq!(r.with_problem("unmatched").len(), 1, "{}", r.text());
}

#[test]
fn truth_offset_is_interpolated_between_edges_for_a_drifting_clock() {
    // 1 ms/s drift: the offset falls from 250 µs to 249 µs... per second, by 1 µs here.
    let truth = "\
{\"second\":10,\"index\":0,\"edge_system_ns\":9999750000,\"truth_offset_ns\":250000}
{\"second\":11,\"index\":1,\"edge_system_ns\":10999751000,\"truth_offset_ns\":249000}
";
    let t = parse_truth(truth).unwrap();
    let (i, off) = truth_at(&t, 10_499_750_500).unwrap();
    assert_eq!(i, 0);
    assert!((off - 249.5e-6).abs() < 1e-12, "{off}");
    // Outside the span: the nearest second's offset.
    assert_eq!(truth_at(&t, 11_200_000_000), Some((1, 249e-6)));
    assert_eq!(truth_at(&t, 12_000_000_000), None);
}

#[test]
fn an_integrity_fault_blocks_from_its_second_second_until_the_holdoff_has_passed() {
    let sec = |index: u64, faults: &[&str]| TruthSecond {
        second: 1_796_391_685 + index as i64,
        index,
        edge_system_ns: (1_796_391_685 + index as i64) * NS,
        truth_offset_ns: 250_000,
        dropped: false,
        faults: faults.iter().map(|f| f.to_string()).collect(),
        stopped: false,
        true_label: None,
    };
    let truth: Vec<TruthSecond> =
        (0..20).map(|i| if (5..8).contains(&i) { sec(i, &["antenna_open"]) } else { sec(i, &[]) }).collect();
    let g = gate_closed(&truth, 5);
    let closed: Vec<usize> = (0..20).filter(|&i| g[i].is_some()).collect();
    // Fault in 5..8: its first second may pass, then closed until 8 + 5 − 1.
    assert_eq!(closed, (6..12).collect::<Vec<_>>());
    assert_eq!(g[6], Some("antenna_open"));
}

#[test]
fn after_a_leap_second_the_truth_is_the_utc_label_not_the_count() {
    // +1 at count 12 (23:59:60): counts 12 and 13 are both labelled POSIX 12, so true − system
    // is a second less from count 13 on. A sample that still says +250 µs there is a wrong
    // second; one that says −1 s + 250 µs is right, and chrony's leap column is kept.
    let truth = "\
{\"second\":11,\"index\":0,\"edge_system_ns\":10999750000,\"truth_offset_ns\":250000,\"true_label\":11}
{\"second\":12,\"index\":1,\"edge_system_ns\":11999750000,\"truth_offset_ns\":250000,\"true_label\":12,\"faults\":[\"leap\"]}
{\"second\":13,\"index\":2,\"edge_system_ns\":12999750000,\"truth_offset_ns\":250000,\"true_label\":12,\"faults\":[\"leap\"]}
";
    let t = parse_truth(truth).unwrap();
    assert_eq!(truth_at(&t, 12_999_750_000).map(|(i, o)| (i, (o * 1e9).round())), Some((2, -999_750_000.0)));
    let right = "1970-01-01 00:00:12.999750 PPS 0 N 0 -9.997500e-01 -9.997500e-01 1.0e-07\n";
    let wrong = "1970-01-01 00:00:12.999750 PPS 0 + 0 2.500000e-04 2.5e-04 1.0e-07\n";
    assert!(run(truth, right).is_clean(), "{}", run(truth, right).text());
    assert_eq!(run(truth, wrong).with_problem("wrong_second").len(), 1);
    assert_eq!(parse_refclocks(wrong).unwrap()[0].leap, "+");
    // An announced leap is no fault: those seconds count as healthy.
    assert_eq!(run(truth, right).refclock("PPS").map(|r| r.healthy_seconds), Some(3));
}
