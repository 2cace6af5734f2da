//! `timectl receiver` on ports where no u-blox answers: a silent port, real non-u-blox and
//! NMEA-only captures replayed on a pty (gpsd's, testdata/receivers), and a line at the wrong
//! speed (bytes that frame as nothing). Each ends with exit 2 and a message naming the device
//! and what was found, never a set-up shown as done. The pty stands in for the UART; the
//! bytes are real receivers'. Slow-ish (about 8 s each): detection listens at eight speeds.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serialport::{SerialPort, TTYPort};
use std::io::Write;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_timectl");

/// A pty whose slave timectl opens; `feed` (repeated) is written to the master until the test
/// ends. The test's slave handle is dropped so that only timectl holds the device.
fn pty_with(feed: Vec<u8>) -> (String, std::thread::JoinHandle<()>) {
    let (mut master, slave) = TTYPort::pair().expect("pty pair");
    let name = slave.name().expect("slave name");
    drop(slave);
    let t = std::thread::spawn(move || {
        if feed.is_empty() {
            std::thread::sleep(Duration::from_secs(60));
            drop(master);
            return;
        }
        let _ = master.set_timeout(Duration::from_millis(100));
        let end = std::time::Instant::now() + Duration::from_secs(60);
        // Until timectl opens the slave, a write fails (EIO): keep going, as a receiver does.
        for chunk in feed.chunks(64).cycle() {
            if std::time::Instant::now() > end {
                return;
            }
            let _ = master.write_all(chunk);
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    (name, t)
}

fn run(device: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("receiver")
        .args(args)
        .args(["--device", device, "--config", "/nonexistent/timed.toml"])
        .output()
        .expect("run timectl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn silent_port() {
    let (dev, _t) = pty_with(Vec::new());
    let (code, out, err) = run(&dev, &["detect"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&dev) && err.contains("silent") && err.contains("9600"), "{err}");
    assert!(out.contains("no u-blox receiver found"), "{out}");
}

#[test]
fn not_a_ublox_and_nmea_only_captures() {
    for cap in ["nmea-fuzzy-cases.log", "ublox-neo-m9n-nmea.log"] {
        let (dev, _t) = pty_with(timed_testdata::capture(cap));
        let (code, out, err) = run(&dev, &["apply", "--json"]);
        assert_eq!(code, 2, "{cap}: {out}{err}");
        assert!(err.contains(&dev) && err.contains("no answer to UBX-MON-VER"), "{cap}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert!(v["detected"].is_null() && v["items"].as_array().is_some_and(|a| a.is_empty()), "{cap}: {v}");
        assert_eq!(v["all_equal"], false);
    }
}

#[test]
fn wrong_speed_is_garbage() {
    // What a UART at the wrong speed delivers: bytes, none of them a frame.
    let noise: Vec<u8> =
        timed_testdata::capture("ublox-neo-m8t.log").iter().map(|b| b ^ 0xA5).step_by(3).collect();
    let (dev, _t) = pty_with(noise);
    let (code, _out, err) = run(&dev, &["plan"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&dev) && err.contains("no valid NMEA or UBX frame"), "{err}");
}

#[test]
fn bad_arguments_are_named() {
    let (dev, _t) = pty_with(Vec::new());
    let (code, _o, err) = run(&dev, &["plan", "--nmea", "RMC,XYZ"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"XYZ\""), "{err}");
    let (code, _o, err) = run(&dev, &["plan", "--time-mode", "fixed"]);
    assert_eq!(code, 2);
    assert!(err.contains("--fixed-llh"), "{err}");
}
