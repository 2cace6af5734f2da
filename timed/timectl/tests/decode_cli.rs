//! `timectl decode` as a user runs it: every real capture decodes to JSON lines with the
//! documented fields; a file that is not a capture gets a clear message and a non-zero exit.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_timectl");

#[test]
fn json_lines_for_every_capture() {
    for name in timed_testdata::capture_names() {
        let cap = timed_testdata::capture_path(&name);
        let out = Command::new(BIN)
            .arg("decode")
            .arg("--json")
            .arg(&cap)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{cap:?}: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut n = 0;
        for line in stdout.lines() {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{cap:?}: {e}: {line}"));
            for key in [
                "time",
                "fix",
                "sats_used",
                "sats_seen",
                "time_source",
                "time_valid",
                "leap_s",
                "tacc_ns",
                "qerr_ps",
            ] {
                assert!(v.get(key).is_some(), "{cap:?}: no {key} in {line}");
            }
            if let Some(t) = v["time"].as_str() {
                // RFC 3339, UTC, milliseconds: 2021-02-23T18:04:29.000Z
                assert_eq!(t.len(), 24, "{t}");
                assert!(t.ends_with('Z') && t.as_bytes()[19] == b'.', "{t}");
            }
            assert!(["none", "2d", "3d", "time"].contains(&v["fix"].as_str().unwrap_or("?")), "{line}");
            n += 1;
        }
        assert!(n > 0, "{cap:?}: no epochs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("epochs: ") && err.contains("garbage bytes: "),
            "{cap:?}: summary missing: {err}"
        );
    }
}

#[test]
fn text_output_names_time_validity() {
    let cap = timed_testdata::capture_path("ublox-lea-5q.log");
    let out = Command::new(BIN).arg("decode").arg(&cap).output().unwrap_or_else(|e| panic!("{e}"));
    let s = String::from_utf8_lossy(&out.stdout);
    // The first epoch (GGA before any date was seen) has no time at all; the rest carry the
    // receiver's RTC time, which it does not vouch for.
    let timed: Vec<&str> = s.lines().filter(|l| !l.starts_with("- no-time")).collect();
    assert!(timed.len() >= 9 && timed.iter().all(|l| l.contains(" INVALID ")), "{s}");
}

/// README: an epoch is one navigation solution, not one second. The NEO-M8N capture navigates at
/// 5 Hz, so one second holds five objects, as gpsd prints five TPVs.
#[test]
fn faster_than_1hz_gives_an_object_per_solution() {
    let cap = timed_testdata::capture_path("ublox-neo-m8n.log");
    let out =
        Command::new(BIN).args(["decode", "--json"]).arg(&cap).output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let in_one_second: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.split("\"time\":\"").nth(1)?.get(..24))
        .filter(|t| t.starts_with("2017-07-19T08:50:01."))
        .collect();
    assert_eq!(
        in_one_second,
        ["000", "200", "400", "600", "800"].map(|ms| format!("2017-07-19T08:50:01.{ms}Z")),
        "{stdout}"
    );
}

#[test]
fn stdin_is_accepted() {
    let data = timed_testdata::capture("ublox-8-time.log");
    let mut child = Command::new(BIN)
        .args(["decode", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&data).unwrap_or_else(|e| panic!("{e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string();
    assert!(first.contains("\"time\":\"2017-12-01T17:22:37.000Z\""), "{first}");
    assert!(first.contains("\"time_source\":\"NAV-TIMEGPS\""), "{first}");
}

#[test]
fn not_a_capture_is_a_clear_error() {
    let scratch = timed_lab::Scratch::new("timectl-decode").unwrap_or_else(|e| panic!("{e}"));
    let dir = scratch.to_path_buf();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "This is a shopping list, not a receiver capture.\n".repeat(50))
        .unwrap_or_else(|e| panic!("{e}"));
    let empty = dir.join("empty.log");
    std::fs::write(&empty, b"").unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.join("missing.log");
    for (path, expect) in [
        (&text, "no NMEA or UBX frames in 2450 bytes: not a receiver capture"),
        (&empty, "empty input"),
        (&missing, "cannot open"),
        (&dir, "is a directory"),
    ] {
        let out = Command::new(BIN).arg("decode").arg(path).output().unwrap_or_else(|e| panic!("{e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{path:?}: {err}");
        assert!(err.contains(&format!("timectl decode: {}: ", path.display())), "names the file: {err}");
        assert!(err.contains(expect), "{path:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
