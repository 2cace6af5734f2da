//! pyubx2 (PyPI; a UBX implementation no one here wrote) reads every frame `timectl receiver
//! apply` writes and finds each item in the intended message, key and value, for both
//! configuration interfaces (tests/receiver/check_frames.py). The receiver is stood in for by a
//! minimal responder on a pty that records what it receives: MON-VER of a ZED-F9T or a NEO-M8T,
//! CFG-VALGET/VALSET with stored keys for the F9T; for the M8T every set is acknowledged and
//! every poll refused, so every legacy item is sent (and read back as unknown: exit 1). The
//! simulator's receiver models are the faithful stand-in (receiver_e2e.rs); this test needs
//! only the bytes timectl writes. The same responder with its ACKs garbled or dropped shows
//! that an apply whose sets were not acknowledged is never reported as done. About 15 s.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serialport::{SerialPort, TTYPort};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timed_core::framer::{ubx_frame, Frame, Framer};

fn mon_ver(f9: bool) -> Vec<u8> {
    let field = |s: &str, n: usize| {
        let mut b = s.as_bytes().to_vec();
        b.resize(n, 0);
        b
    };
    let (sw, hw, ext): (&str, &str, &[&str]) = if f9 {
        ("EXT CORE 1.00", "00190000", &["FWVER=TIM 2.20", "PROTVER=29.00", "MOD=ZED-F9T"])
    } else {
        ("EXT CORE 3.01", "00080000", &["FWVER=TIM 1.10", "PROTVER=22.00", "MOD=NEO-M8T-0"])
    };
    let mut p = field(sw, 30);
    p.extend(field(hw, 10));
    for e in ext {
        p.extend(field(e, 30));
    }
    ubx_frame(0x0A, 0x04, &p)
}

/// Answers on the pty's master until `stop` (or a minute); returns every byte received.
fn respond(mut master: TTYPort, f9: bool, acks: Acks, stop: Arc<AtomicBool>) -> Vec<u8> {
    let end = Instant::now() + Duration::from_secs(60);
    let mut rec = Vec::new();
    let mut framer = Framer::new();
    let mut keys: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut buf = [0u8; 1024];
    let _ = master.set_timeout(Duration::from_millis(20));
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        let n = match master.read(&mut buf) {
            Ok(n) => n,
            Err(_) => continue,
        };
        rec.extend_from_slice(&buf[..n]);
        let mut frames = Vec::new();
        framer.feed(&buf[..n], |f| {
            if let Frame::Ubx { class, id, payload } = f.frame {
                frames.push((class, id, payload.to_vec()));
            }
        });
        for (class, id, p) in frames {
            let size = |k: u32| timed_core::ubx::valset::key_size(k).unwrap_or(1);
            let out = match (class, id) {
                (0x0A, 0x04) => mon_ver(f9),
                (0x06, 0x8B) if f9 => {
                    let mut a = vec![1, 0, 0, 0];
                    for k in p[4..].chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())) {
                        a.extend(k.to_le_bytes());
                        a.extend(keys.get(&k).cloned().unwrap_or(vec![0; size(k)]));
                    }
                    [ubx_frame(0x06, 0x8B, &a), ubx_frame(0x05, 0x01, &[0x06, 0x8B])].concat()
                }
                (0x06, 0x8A) if f9 => {
                    let mut i = 4;
                    while i + 4 <= p.len() {
                        let k = u32::from_le_bytes(p[i..i + 4].try_into().unwrap());
                        keys.insert(k, p[i + 4..i + 4 + size(k)].to_vec());
                        i += 4 + size(k);
                    }
                    ubx_frame(0x05, 0x01, &[0x06, 0x8A])
                }
                // Legacy: a set (longer than its poll) is acknowledged, a poll refused.
                (0x06, _) if !f9 && p.len() > 2 => ubx_frame(0x05, 0x01, &[class, id]),
                (0x06, _) => ubx_frame(0x05, 0x00, &[class, id]),
                _ => Vec::new(),
            };
            let out = match acks {
                Acks::Sent => out,
                // One bit flipped in the ACK's checksum: a frame the framer rejects.
                Acks::Garbled if (class, id) == (0x06, 0x8A) => {
                    let mut o = out;
                    if let Some(b) = o.last_mut() {
                        *b ^= 0x10;
                    }
                    o
                }
                Acks::Missing if (class, id) == (0x06, 0x8A) => Vec::new(),
                _ => out,
            };
            let _ = master.write_all(&out);
        }
    }
    rec
}

/// What the responder does with the ACKs of VALSET.
#[derive(Clone, Copy, PartialEq)]
enum Acks {
    Sent,
    Garbled,
    Missing,
}

/// Runs `timectl receiver apply ARGS` against the responder: its output and what it sent.
fn apply(f9: bool, acks: Acks, args: &[&str]) -> (std::process::Output, Vec<u8>, String) {
    let (master, slave) = TTYPort::pair().expect("pty pair");
    let dev = slave.name().expect("slave name");
    drop(slave);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let responder = std::thread::spawn(move || respond(master, f9, acks, flag));
    let out = Command::new(env!("CARGO_BIN_EXE_timectl"))
        .args(["receiver", "apply", "--device", &dev, "--config", "/nonexistent/timed.toml"])
        .args(args)
        .output()
        .expect("run timectl");
    stop.store(true, Ordering::Relaxed);
    (out, responder.join().expect("responder"), dev)
}

fn check(f9: bool, args: &[&str]) {
    let (out, rec, _) = apply(f9, Acks::Sent, &[&["--json"], args].concat());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let expected_exit = if f9 { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected_exit), "{report}\n{}", String::from_utf8_lossy(&out.stderr));
    let dir = std::env::temp_dir().join(format!("timed-pyubx2-{}-{}", std::process::id(), f9));
    std::fs::create_dir_all(&dir).unwrap();
    let (rec_path, json_path): (PathBuf, PathBuf) = (dir.join("input.bin"), dir.join("apply.json"));
    std::fs::write(&rec_path, rec).unwrap();
    std::fs::write(&json_path, report.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/receiver/check_frames.py");
    let o = Command::new("python3").arg(script).arg(&rec_path).arg(&json_path).output().expect("python3");
    let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{text}");
    let sent = report["items"].as_array().unwrap().iter().filter(|i| i["outcome"] == "applied").count();
    assert!(text.contains(&format!("{sent} sent items found")), "{sent} applied, but: {text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn f9t_keys_as_pyubx2_reads_them() {
    check(
        true,
        &[
            // The cable delay is 0..32767 ns (as in timed.toml); the user delay carries the
            // negative value through a signed key.
            "--cable-delay-ns",
            "12",
            "--user-delay-ns",
            "-12",
            "--nmea",
            "ZDA",
            "--time-mode",
            "fixed",
            "--fixed-ecef",
            "-2001723.79,-3925089.94,4596569.54",
        ],
    );
    check(true, &["--save", "--grid", "gps", "--survey-accuracy-m", "2", "--constellations", "gps,galileo"]);
}

#[test]
fn m8t_legacy_messages_as_pyubx2_reads_them() {
    check(
        false,
        &[
            "--user-delay-ns",
            "25",
            "--nmea",
            "RMC,ZDA",
            "--time-mode",
            "fixed",
            "--fixed-llh",
            "46.4046,-117.0207,270.5",
        ],
    );
    check(false, &["--save", "--profile", "navigation", "--constellations", "gps,qzss,galileo"]);
}

#[test]
fn garbled_or_missing_acks_are_named_and_not_done() {
    for acks in [Acks::Garbled, Acks::Missing] {
        let (out, _, dev) = apply(true, acks, &[]);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
        // The sets arrived (only their ACKs were lost), so everything reads back as planned:
        // still not done, and the unacknowledged items are named, with the device.
        assert!(stderr.contains(&dev) && stderr.contains("no acknowledgement"), "{stderr}");
        assert!(stderr.contains("time-mode") && stderr.contains("rate TIM-TP"), "{stderr}");
        assert!(stdout.contains("NOT DONE") && !stdout.contains("\nDONE"), "{stdout}");
    }
}
