//! A box without a PPS wire (issue 17's coarse-only mode), end to end: the chrony line is the one
//! `timectl board chrony BOARD --pps off` renders (only its socket path is moved into the lab's
//! directory; refid, poll, offset and delay are the board's), timed runs with the
//! `[pps] source = "off"` that `timectl board timed-toml --pps off` renders, and a real chronyd
//! (Debian's 4.3, `-x`: it never steers this machine's clock) must select the GPS source on those
//! coarse samples alone, reach stratum 1 and serve that time over NTP, while `timectl status` says
//! DEGRADED (`pps-off`), not FAILING.
//!
//! Simulated: only the receiver (timed-sim on a pty, the serial stream a HAT's UART carries). Its
//! PPS edges go nowhere: timed has no PPS input. Slow (~30 s): chronyd needs a few 4 s polls of
//! coarse samples before it selects the source, and the NTP client takes 4 exchanges.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use timed_lab::{wait_for, Lab, Options};

const BIN: &str = env!("CARGO_BIN_EXE_timectl");
const NTP_PORT: u16 = 11417;
/// The simulator's true − system offset (the lab's default).
const TRUTH: f64 = 250e-6;
/// Where `timectl board chrony` points the coarse refclock (timed's default `[chrony.sock]`).
const SHIPPED_COARSE_SOCK: &str = "/run/chrony/timed-coarse.sock";

fn board(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boards").join(format!("{name}.toml"))
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "timectl failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Serial time only: chronyd selects the board's coarse refclock and serves stratum 1; timectl
/// calls the box DEGRADED for the missing PPS wire and nothing else.
#[test]
fn chronyd_selects_the_rendered_coarse_only_line_and_serves_stratum_1() {
    // The HAT wiring: the larger coarse delay of the shipped boards (0.2 s; USB wirings say 0.1).
    let file = board("pi4b");
    let file = file.to_str().unwrap();
    let toml = stdout(&run(&["board", "timed-toml", file, "--pps", "off"]));
    assert!(toml.contains("[pps]\nsource = \"off\"\n"), "timed-toml --pps off:\n{toml}");
    let rendered = stdout(&run(&["board", "chrony", file, "--pps", "off"]));
    let first = rendered.lines().next().unwrap_or_default();
    assert!(first.starts_with(&format!("refclock SOCK {SHIPPED_COARSE_SOCK} refid GPS ")), "{rendered}");
    assert!(!rendered.contains("noselect") && !rendered.contains("PPS"), "{rendered}");
    // The refclock and leap source only: the server lines after them (NTS with the appliance's
    // certificate paths, rate limits; board_cli.rs checks them) belong to a real box, not to
    // this private chronyd.
    let sources = rendered.split("\n#").next().unwrap_or_default();
    assert!(sources.contains("leapsectz") && !sources.contains("nts"), "{rendered}");
    let lines = format!("{sources}\n").replace(SHIPPED_COARSE_SOCK, "{dir}/coarse.sock");

    let lab = Lab::start(Options {
        ntp_port: NTP_PORT,
        pps_off: true,
        chrony_refclocks: Some(lines),
        // The rendered lines carry chronyd's leap source.
        chrony_leapsectz: false,
        ..Options::default()
    })
    .unwrap_or_else(|e| panic!("lab: {e}"));
    let conf = std::fs::read_to_string(lab.dir.join("chrony.conf")).unwrap();
    let coarse = format!("{}/coarse.sock", lab.dir.display());
    assert!(conf.contains(&first.replace(SHIPPED_COARSE_SOCK, &coarse)), "chrony.conf:\n{conf}");

    let took = wait_for(Duration::from_secs(120), || lab.selected("GPS")).unwrap_or_else(|_| {
        panic!("chronyd did not select GPS; sources {:?}\n{}", lab.sources(), lab.timed_log())
    });
    let t = lab.tracking().unwrap();
    assert_eq!((t.stratum, t.ref_name.as_str()), (1, "GPS"), "{t:?}");
    // chrony received coarse samples only, and they are near the truth (serial time: ms).
    assert!(lab.refclock_samples("PPS").is_empty(), "a PPS sample reached chrony");
    let samples = lab.refclock_samples("GPS");
    assert!(!samples.is_empty(), "no coarse sample in refclocks.log");
    let worst = samples.iter().map(|(_, o)| (o - TRUTH).abs()).fold(0.0, f64::max);
    assert!(worst < 20e-3, "a coarse sample {worst:.6} s from the truth: {samples:?}");

    // Right after it selects a coarse-only source chronyd's root dispersion is still seconds
    // (measured: 5.3 s six samples in; its frequency is not known yet), and clients ignore a
    // server whose root distance is over 3 s (chrony's `maxdistance`): a LAN client starts
    // using the box once it settles. Wait for that as a client would, then ask.
    let settled = wait_for(Duration::from_secs(120), || {
        lab.tracking().is_ok_and(|t| t.root_delay / 2.0 + t.root_dispersion < 1.0)
    });
    assert!(settled.is_ok(), "chronyd's root distance never came under 1 s: {:?}", lab.tracking());
    println!("root distance under 1 s after {:.1} s more", settled.unwrap_or_default().as_secs_f64());
    // An NTP client of the lab's chronyd: stratum 1 is what it serves; its offset is the truth
    // within serial time's error ("System clock wrong by X seconds" is server − local).
    let out = Command::new("timeout")
        .args(["30", "chronyd", "-Q", "-u", "root", "-t", "15"])
        .arg(format!("server 127.0.0.1 port {NTP_PORT} iburst maxsamples 4"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let served: f64 = text
        .split("wrong by ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let ask = |what: &str| {
                let sock = lab.dir.join("chronyd.sock");
                let o = Command::new("chronyc").arg("-h").arg(&sock).arg(what).output().unwrap();
                String::from_utf8_lossy(&o.stdout).into_owned()
            };
            panic!(
                "chronyd -Q: {text}\nthe lab's chronyd then: {}\n{}\n{}",
                ask("tracking"),
                ask("serverstats"),
                ask("sources")
            )
        });
    assert!((served - TRUTH).abs() < 20e-3, "NTP client offset {served:+.6} s, injected {TRUTH:+.6} s");

    let o = run(&["--socket", lab.control_socket().to_str().unwrap(), "status", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!("status --json: {e}: {}", String::from_utf8_lossy(&o.stderr));
    });
    let codes: Vec<&str> =
        v["reasons"].as_array().unwrap().iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!((v["verdict"].as_str(), codes), (Some("DEGRADED"), vec!["pps-off"]), "{v:#}");
    assert_eq!(o.status.code(), Some(1), "DEGRADED exits 1");
    assert_eq!(v["timed"]["pps"]["source"], "off", "{v:#}");
    println!(
        "coarse only: GPS selected after {:.1} s, stratum {}, {} coarse samples (worst {:.3} ms from truth), \
         NTP client offset {:+.3} ms",
        took.as_secs_f64(),
        t.stratum,
        samples.len(),
        worst * 1e3,
        served * 1e3
    );
}
