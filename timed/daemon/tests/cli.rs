//! The `timed` binary's command line: configuration checks and exit codes (sysexits 78).
#![forbid(unsafe_code)]

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
    let dir = timed_lab::Scratch::new("timed-cli").unwrap();
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
}

/// What the daemon could not run with is caught before a restart: all of it, in one run, each at
/// its key's position.
#[test]
fn check_config_rejects_what_would_fail_at_run_time() {
    let dir = timed_lab::Scratch::new("timed-cli-runtime").unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        concat!(
            "[receiver]\n",
            "device = \"ttyAMA0\"\n",
            "[pps]\n",
            "device = \"/dev/pps\\u00000\"\n",
            "[engine]\n",
            "outlier_ms = inf\n",
            "[chrony.shm]\n",
            "mode = \"0666\"\n",
            "[control]\n",
            "group = \"timed-test-no-such-group\"\n",
        ),
    )
    .unwrap();
    let out = Command::new(BIN).arg("--check-config").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    let f = bad.display();
    for want in [
        format!("{f}:2:10: receiver.device = \"ttyAMA0\" is not an absolute path"),
        format!("{f}:4:10: pps.device contains a NUL character"),
        format!("{f}:6:14: engine.outlier_ms = inf must be a finite number"),
        format!("{f}:8:8: chrony.shm.mode \"0666\" lets every local user write the SHM segments"),
        format!("{f}:10:9: control.group \"timed-test-no-such-group\" is not a group on this system"),
    ] {
        assert!(err.contains(&want), "missing {want:?} in:\n{err}");
    }
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    // A third number in the window was once dropped without a word.
    std::fs::write(&bad, "[engine]\nepoch_window_ms = [0.0, 500.0, 990.0]\n").unwrap();
    let out = Command::new(BIN).arg("--check-config").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.starts_with(&format!("{f}:2:19: engine.epoch_window_ms: invalid length 3, expected two numbers")),
        "{err}"
    );
}

/// A value of the wrong type no longer ends the check: what follows it is reported in the
/// same run, in file order.
#[test]
fn check_config_goes_on_after_a_wrong_type() {
    let dir = timed_lab::Scratch::new("timed-cli-all").unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[receiver]\nbaud = \"fast\"\nparity = 1\n[chrony.sock]\npps = \"x.sock\"\n")
        .unwrap();
    let out = Command::new(BIN).arg("--check-config").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    let f = bad.display();
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("  hint: ")).collect();
    assert_eq!(
        lines,
        [
            format!("{f}:2:8: receiver.baud: invalid type: string \"fast\", expected u32"),
            format!(
                "{f}:3:1: unknown field `parity`, expected one of `device`, `baud`, `serial_delay_ms`, `epoch_gap_ms`, \
                 `configure`, `setup`"
            ),
            format!("{f}:5:7: x.sock is not an absolute path"),
        ],
        "{err}"
    );
}

/// With `[pps] source = "off"` and no receiver, timed idles: degraded, not busy (a closed PPS
/// channel once made the event loop spin). Measured from /proc after 3 s.
#[test]
fn without_pps_and_receiver_timed_idles() {
    let dir = timed_lab::Scratch::new("timed-cli-idle").unwrap();
    let cfg = dir.join("t.toml");
    std::fs::write(
        &cfg,
        format!(
            "[receiver]\ndevice = \"{}/absent\"\n[pps]\nsource = \"off\"\n[chrony.sock]\npps = \"\"\ncoarse = \"\"\n[metrics]\nenabled = false\n[control]\nsocket = \"{}/control.sock\"\n",
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    let child = Command::new(BIN).arg("-c").arg(&cfg).stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
    let f: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(ticks < 30, "timed used {ticks} ticks of CPU in 3 s while idle\n{log}");
    assert!(out.status.success(), "{log}");
    assert!(log.contains("receiver serial unavailable; retrying (degraded)"), "{log}");
}
