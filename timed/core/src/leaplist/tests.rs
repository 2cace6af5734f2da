use super::*;

/// Unix seconds of a UTC midnight.
fn midnight(y: i32, m: u8, d: u8) -> i64 {
    crate::time::Date::new(y, m, d).map(|d| d.days_since_unix_epoch() * SECONDS_PER_DAY).unwrap()
}

fn day(y: i32, m: u8, d: u8) -> i64 {
    midnight(y, m, d) / SECONDS_PER_DAY
}

fn real() -> LeapList {
    LeapList::parse(&timed_testdata::leap_seconds_list()).unwrap_or_else(|e| panic!("real list: {e}"))
}

/// A small list without a hash: three entries (1 Jan 2009, 1 Jul 2012, 1 Jul 2015), expiring
/// 28 Jun 2026. Lines: 1 comment, 2 `#$`, 3 `#@`, 4 blank, 5-7 data.
const SMALL: &str = "# a list\n#$\t3960835200\n#@\t3991593600\n\n\
    3439756800\t34\t# 1 Jan 2009\n3550089600\t35\t# 1 Jul 2012\n3644697600\t36\t# 1 Jul 2015\n";

fn error(text: &str) -> LeapListError {
    match LeapList::parse(text) {
        Ok(l) => panic!("parsed: {l:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_real_file_parses_and_its_hash_matches() {
    let l = real();
    assert!(l.hash_checked());
    assert_eq!(l.entries().len(), 28);
    assert_eq!(l.entries()[0], LeapEntry { unix_s: midnight(1972, 1, 1), tai_utc: 10 });
    assert_eq!(l.entries()[27], LeapEntry { unix_s: midnight(2017, 1, 1), tai_utc: 37 });
    assert_eq!(l.expires_unix_s(), midnight(2026, 6, 28));
    assert_eq!(l.updated_unix_s(), Some(midnight(2025, 7, 7)));
}

#[test]
fn offsets_at_instants() {
    let l = real();
    assert_eq!(l.tai_utc_at(midnight(1972, 1, 1) - 1), None);
    assert_eq!(l.tai_utc_at(midnight(1972, 1, 1)), Some(10));
    assert_eq!(l.tai_utc_at(midnight(2017, 1, 1) - 1), Some(36));
    assert_eq!(l.tai_utc_at(midnight(2017, 1, 1)), Some(37));
    assert_eq!(l.tai_utc_at(midnight(2030, 1, 1)), Some(37), "past expiry: the last known value");
    assert_eq!(l.gps_utc_at(midnight(1980, 1, 6)), Some(0));
    assert_eq!(l.gps_utc_at(midnight(1980, 1, 6) - 1), None, "before GPS time existed");
    assert_eq!(l.gps_utc_at(midnight(2024, 3, 1)), Some(18));
}

#[test]
fn leaps_at_the_end_of_a_day() {
    let l = real();
    assert_eq!(l.leap_at_end_of_day(day(2016, 12, 31)), Some(1));
    assert_eq!(l.leap_at_end_of_day(day(2015, 6, 30)), Some(1));
    assert_eq!(l.leap_at_end_of_day(day(2017, 1, 1)), Some(0));
    assert_eq!(l.leap_at_end_of_day(day(2026, 6, 27)), Some(0), "ends exactly at the expiry");
    assert_eq!(l.leap_at_end_of_day(day(2026, 6, 28)), None, "ends after the expiry");
    assert_eq!(l.leap_at_end_of_day(day(1971, 12, 31)), None, "the first entry steps from nothing");
    assert_eq!(l.leap_at_end_of_day(i64::MAX), None);
}

#[test]
fn the_synthetic_list_announces_two_negative_leaps_and_its_hash_matches() {
    let path = timed_testdata::synthetic_leap_list_path();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let l = LeapList::parse(&text).unwrap_or_else(|e| panic!("synthetic list: {e}"));
    assert!(l.hash_checked());
    assert_eq!(l.leap_at_end_of_day(day(2016, 12, 31)), Some(1), "the real data is kept");
    assert_eq!(l.leap_at_end_of_day(day(2027, 6, 30)), Some(-1));
    assert_eq!(l.leap_at_end_of_day(day(2027, 12, 31)), Some(-1));
    assert_eq!(l.gps_utc_at(midnight(2027, 7, 1)), Some(17));
    assert_eq!(l.gps_utc_at(midnight(2028, 1, 1)), Some(16));
    assert!(!l.is_expired(midnight(2028, 1, 1)) && l.is_expired(midnight(2028, 6, 28)));
}

#[test]
fn a_negative_leap_is_minus_one() {
    let text = "#@ 3991593600\n3439756800 34\n3550089600 33\n";
    assert_eq!(LeapList::parse(text).unwrap().leap_at_end_of_day(day(2012, 6, 30)), Some(-1));
}

#[test]
fn expiry() {
    let l = LeapList::parse(SMALL).unwrap();
    assert!(!l.hash_checked());
    assert!(!l.is_expired(midnight(2026, 6, 28) - 1));
    assert!(l.is_expired(midnight(2026, 6, 28)));
}

#[test]
fn a_bad_number_names_its_line() {
    let e = error(&SMALL.replace("3550089600\t35", "35500x9600\t35"));
    assert_eq!(e, LeapListError { line: 6, problem: Problem::BadTime("35500x9600".into()) });
    assert_eq!(e.to_string(), "line 6: \"35500x9600\" is not an NTP timestamp (seconds since 1900)");
    let e = error(&SMALL.replace("\t35\t", "\tthirty-five\t"));
    assert_eq!(e, LeapListError { line: 6, problem: Problem::BadOffset("thirty-five".into()) });
    let e = error(&SMALL.replace("#@\t3991593600", "#@\t39915936OO"));
    assert_eq!(e, LeapListError { line: 3, problem: Problem::BadValue("#@", "39915936OO".into()) });
    // Past the NTP era a u32 holds: damage, not a date.
    assert_eq!(error(&SMALL.replace("3644697600", "99999999999")).line, 7);
}

#[test]
fn a_missing_expiry_names_the_last_line() {
    let e = error(&SMALL.replace("#@\t3991593600\n", ""));
    assert_eq!(e, LeapListError { line: 6, problem: Problem::MissingExpiry });
    assert_eq!(e.to_string(), "line 6: no #@ expiry line in the whole list");
}

#[test]
fn unsorted_entries_name_both_lines() {
    let text = SMALL.replace("3644697600\t36", "3439756800\t36");
    let e = error(&text);
    assert_eq!(e, LeapListError { line: 7, problem: Problem::Unsorted { previous_line: 6 } });
}

#[test]
fn garbage_names_its_line() {
    assert_eq!(error(&format!("{SMALL}hello world\n")).line, 8);
    assert_eq!(error(&format!("{SMALL}<html><body>Not Found</body></html>\n")).line, 8);
    assert_eq!(error("").problem, Problem::MissingExpiry);
    assert_eq!(
        error("#@ 3991593600\n# nothing else\n"),
        LeapListError { line: 2, problem: Problem::NoEntries }
    );
    let e = error(&SMALL.replace("\t36\t", "\t36 7\t"));
    assert_eq!(e, LeapListError { line: 7, problem: Problem::FieldCount(3) });
    assert_eq!(error("#@ 3991593600\n3439756800\n").problem, Problem::FieldCount(1));
}

#[test]
fn impossible_data_names_its_line() {
    let e = error(&SMALL.replace("\t36\t", "\t37\t"));
    assert_eq!(e, LeapListError { line: 7, problem: Problem::BadStep(2) });
    let e = error(&SMALL.replace("3644697600", "3644697601"));
    assert_eq!(e, LeapListError { line: 7, problem: Problem::NotMidnight });
    let e = error(&format!("{SMALL}#@ 3991593600\n"));
    assert_eq!(e, LeapListError { line: 8, problem: Problem::Duplicate("#@", 3) });
}

#[test]
fn an_edited_entry_fails_the_hash() {
    // One day later: still sorted, still a midnight, still a one-second step — only the hash
    // can tell.
    let text = timed_testdata::leap_seconds_list().replace("3692217600", "3692304000");
    let e = error(&text);
    let hash_line = text.lines().position(|l| l.starts_with("#h")).unwrap() + 1;
    assert_eq!(e.line, hash_line);
    assert!(matches!(e.problem, Problem::HashMismatch { .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("line {hash_line}: #h hash 49db2447 ")), "{e}");
    let e = error(&timed_testdata::leap_seconds_list().replace("#h\t49db2447", "#h\t49db2447 0"));
    assert_eq!(e.line, hash_line);
    assert!(matches!(e.problem, Problem::BadValue("#h", _)), "{e}");
}

#[test]
fn hash_words_may_have_lost_their_leading_zeros() {
    assert_eq!(parse_hash("9db2447 1 2f002a53 0 39b8e49e"), Some([0x09db2447, 1, 0x2f002a53, 0, 0x39b8e49e]));
    assert_eq!(parse_hash("1 2 3 4"), None);
    assert_eq!(parse_hash("1 2 3 4 5 6"), None);
    assert_eq!(parse_hash("1 2 3 4 123456789"), None);
    assert_eq!(parse_hash("1 2 3 4 g"), None);
}

#[test]
fn a_comment_starting_with_h_is_a_comment() {
    let l = LeapList::parse(&format!("#hello there\n{SMALL}")).unwrap();
    assert_eq!(l.entries().len(), 3);
}
