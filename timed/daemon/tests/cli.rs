//! The `timed` binary's command line: configuration checks and exit codes (sysexits 78).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_timed");

#[test]
fn check_config_accepts_the_shipped_example() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/timed.toml");
    let out = Command::new(BIN).args(["--check-config", example]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn check_config_names_every_problem_and_exits_78() {
    let dir = std::env::temp_dir().join(format!("timed-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[receiver]\nbaud = 115000\n\n[pps]\nsource = \"kernel\"\n\n[chrony.sock]\npps = \"x.sock\"\n",
    )
    .unwrap();
    let out = Command::new(BIN).arg("--check-config").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(err.contains(&format!("{}:2:8: baud 115000", bad.display())), "{err}");
    assert!(err.contains(&format!("{}:8:7: x.sock is not an absolute path", bad.display())), "{err}");
    // Running with it refuses to start, with the same messages and code.
    let out = Command::new(BIN).arg("-c").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(78));
    let out = Command::new(BIN).args(["-c", "/nonexistent/timed.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/timed.toml:0:0: cannot read"));
    let _ = std::fs::remove_dir_all(&dir);
}
