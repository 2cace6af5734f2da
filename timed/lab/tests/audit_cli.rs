//! `timed-lab audit` on the hand-written fixtures (tests/fixtures/audit-*): exit status, the
//! text report's offending line and the JSON form. Fast (no lab is started).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_timed-lab");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn audit(extra: &[&str], refclocks: &std::path::Path) -> Output {
    let out = Command::new(BIN)
        .arg("audit")
        .arg("--truth")
        .arg(fixture("audit-truth.jsonl"))
        .arg("--refclocks")
        .arg(refclocks)
        .args(extra)
        .output();
    out.unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

#[test]
fn audit_lists_the_wrong_second_sample_and_exits_1() {
    let out = audit(&[], &fixture("audit-refclocks.log"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let wrong: Vec<&str> = text.lines().filter(|l| l.contains(" wrong_second")).collect();
    assert_eq!(wrong.len(), 1, "{text}");
    assert!(wrong[0].contains("2026-12-04 13:41:28.000000 PPS") && wrong[0].contains("(index 3)"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("audit: PPS ") && l.contains("wrong-second 1 ")), "{text}");
}

#[test]
fn audit_json_names_each_offending_sample() {
    let out = audit(&["--json"], &fixture("audit-refclocks.log"));
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let problems: Vec<String> = v["offending"]
        .as_array()
        .map(|a| a.iter().map(|f| format!("{} {}", f["refid"], f["problems"])).collect())
        .unwrap_or_default();
    assert_eq!(problems, [r#""PPS" ["wrong_second","blocked:wrong_second"]"#, r#""GPS" ["blocked:no_fix"]"#]);
}

#[test]
fn audit_of_the_healthy_samples_exits_0() {
    let all = std::fs::read_to_string(fixture("audit-refclocks.log")).unwrap_or_else(|e| panic!("{e}"));
    // The same log without its two offending samples (the +1 s PPS one, the no_fix GPS one).
    let healthy: String = all
        .lines()
        .filter(|l| !l.contains("1.000251e+00") && !l.contains("5.000000e-05"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = timed_lab::Scratch::new("timed-lab-audit-cli").unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("refclocks.log");
    std::fs::write(&path, healthy).unwrap_or_else(|e| panic!("{e}"));
    let out = audit(&[], &path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.ends_with("audit: OK\n"), "{text}");
}

#[test]
fn audit_without_its_files_is_a_usage_error() {
    let out = Command::new(BIN).arg("audit").output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(64));
}
