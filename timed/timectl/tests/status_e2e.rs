//! `timectl status`, `sky`, `pps`, `chrony` and `watch` against a running timed and a real
//! chronyd (Debian `chrony`, `-x`, private sockets and ports). The receiver and PPS pin are
//! simulated by timed-sim (they cannot exist here); the assertions compare timectl's output with
//! what chronyc and the simulator's injected truth say.
#![forbid(unsafe_code)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] fns: a failed unwrap is a failed test"
)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
mod support;

use support::{json, timectl};
use timed_lab::http::get;
use timed_lab::{wait_for, Lab, Options};

const TRUTH: f64 = 250e-6;

fn timectl_at(socket: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timectl"))
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()
        .expect("run timectl")
}

fn codes(v: &Value) -> Vec<String> {
    v["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
}

fn started() -> Lab {
    let lab =
        Lab::start(Options { ntp_port: 11351, ..Options::default() }).unwrap_or_else(|e| panic!("lab: {e}"));
    if wait_for(Duration::from_secs(90), || lab.selected("PPS")).is_err() {
        panic!("chrony did not select PPS; sources {:?}\n{}", lab.sources(), lab.timed_log());
    }
    lab
}

/// The demo set-up, healthy: status is DEGRADED only because the PPS is simulated, and its
/// figures agree with chronyc and the injected truth; sky, pps and chrony agree with it.
#[test]
fn status_sky_pps_chrony_and_watch_on_a_running_box() {
    let mut lab = started();
    let chrony = lab.chrony_socket();
    let chrony = chrony.to_str().unwrap();

    // status --json through timed (chronyd's part read by timed) and with --chrony-socket.
    for extra in [vec![], vec!["--chrony-socket", chrony]] {
        let mut args = extra.clone();
        args.extend(["status", "--json"]);
        let o = timectl(&lab, &args);
        let v = json(&o);
        assert_eq!(v["schema"], 1);
        assert_eq!(v["verdict"], "DEGRADED", "{v:#}");
        assert_eq!(codes(&v), vec!["pps-simulated"], "{v:#}");
        assert_eq!(o.status.code(), Some(1), "DEGRADED exits 1");
        let t = &v["timed"];
        assert!(t["pps"]["state"].as_str().unwrap().starts_with("locked"), "{t:#}");
        assert_eq!(t["pps"]["simulated"], true);
        assert_eq!(t["receiver"]["serial_state"], "open");
        assert_eq!(t["receiver"]["time_valid"], true);
        let offset = t["pps"]["last_offset_ns"].as_f64().unwrap() / 1e9;
        assert!((offset - TRUTH).abs() < 20e-6, "PPS sample offset {offset} vs truth {TRUTH}");
        let sinks = t["sinks"].as_array().unwrap();
        assert!(sinks.iter().all(|s| s["state"] == "ok"), "{sinks:?}");
        // chronyd's part equals what chronyc says right now.
        let tracking = &v["chrony"]["tracking"]["Ok"];
        let c = lab.tracking().unwrap();
        assert_eq!(tracking["stratum"].as_u64(), Some(u64::from(c.stratum)));
        assert_eq!(tracking["ref_name"], "PPS");
        assert!((tracking["system_offset_s"].as_f64().unwrap() - c.system_offset).abs() < 20e-6);
        let sources = v["chrony"]["sources"]["Ok"].as_array().unwrap();
        let pps = sources.iter().find(|s| s["name"] == "PPS").expect("PPS source");
        assert_eq!(pps["state"], "selected");
        let from = v["chrony_from"].as_str().unwrap();
        assert_eq!(from == "via timed", extra.is_empty(), "{from}");
    }

    // The text screen names the verdict, the simulated PPS and chrony's reference.
    let o = timectl(&lab, &["status"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("timed 0.1.0: DEGRADED"), "{text}");
    for want in [
        "PPS edges are SIMULATED",
        "receiver  ",
        "pps       simulated",
        "chrony    stratum 1 · reference PPS",
        "* PPS",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }

    // sky: as many satellites as the receiver lists, and a plot.
    let v = json(&timectl(&lab, &["sky", "--json"]));
    let sats = v["satellites"].as_array().unwrap();
    assert!(!sats.is_empty());
    assert_eq!(v["seen"].as_u64(), Some(sats.len() as u64));
    assert_eq!(v["used"].as_u64(), Some(sats.iter().filter(|s| s["used"] == true).count() as u64));
    let text = String::from_utf8_lossy(&timectl(&lab, &["sky"]).stdout).to_string();
    assert!(text.contains("gnss") && text.contains(" N") && text.contains("used"), "{text}");

    // pps: three consecutive edges, each 250 µs before the system second (system = true − truth).
    let o = timectl(&lab, &["pps", "--count", "3", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let edges: Vec<Value> =
        String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(edges.len(), 3);
    for w in edges.windows(2) {
        assert_eq!(w[1]["seq"].as_u64().unwrap(), w[0]["seq"].as_u64().unwrap() + 1, "{edges:?}");
    }
    for e in &edges {
        let from_second = e["offset_from_second_ns"].as_f64().unwrap() / 1e9;
        assert!((from_second + TRUTH).abs() < 20e-6, "edge {from_second} s from the second: {e}");
        assert_eq!(e["simulated"], true);
    }
    assert!(edges[2]["jitter_ns"].as_f64().unwrap() < 20_000.0, "{edges:?}");

    // chrony, chronyc-style.
    let text = String::from_utf8_lossy(&timectl(&lab, &["chrony"]).stdout).to_string();
    assert!(text.contains("Reference ID    : 50505300 (PPS)"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("#* PPS")), "{text}");

    watch_in_tmux(&lab);

    // doctor pointed only at the demo's control socket checks the configuration that timed runs
    // with and the chronyd it feeds: all good but the simulated PPS (a warning, exit 1).
    let o = timectl(&lab, &["doctor", "--json", "--window", "1.5"]);
    let v = json(&o);
    assert_eq!((o.status.code(), v["result"].as_str()), (Some(1), Some("warn")), "{v:#}");
    let check = |id: &str| v["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
    let toml = lab.dir.join("timed.toml").canonicalize().unwrap();
    assert_eq!(check("timed-config")["message"], format!("{} is valid", toml.display()));
    assert_eq!(check("pps-device")["status"], "warn");
    assert_eq!(check("chronyd-reachable")["status"], "ok");

    // Break it: the receiver vanishes (the simulator's pty is removed) → FAILING, exit 2, and
    // both the device and the missing PPS edges are named.
    lab.stop_sim();
    let failing = wait_for(Duration::from_secs(15), || {
        let v = json(&timectl(&lab, &["status", "--json"]));
        let c = codes(&v);
        v["verdict"] == "FAILING"
            && c.contains(&"receiver-unavailable".to_string())
            && c.contains(&"pps-no-edges".to_string())
    });
    let o = timectl(&lab, &["status", "--json"]);
    assert!(failing.is_ok(), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert!(codes(&v).contains(&"pps-no-edges".to_string()), "{:?}", codes(&v));
    let r = &v["reasons"][0];
    assert!(r["message"].as_str().unwrap().contains(&format!("{}", lab.dir.join("gps0").display())), "{r}");
}

/// `watch` in a real terminal (tmux, headless): the screen shows the verdict, the sparkline and
/// the histogram, and `q` quits.
fn watch_in_tmux(lab: &Lab) {
    let session = format!("timectl-watch-{}", std::process::id());
    let cmd = format!("{} --socket {} watch", env!("CARGO_BIN_EXE_timectl"), lab.control_socket().display());
    let st = Command::new("tmux")
        .args(["new-session", "-d", "-s", &session, "-x", "120", "-y", "36", &cmd])
        .status()
        .expect("tmux (apt install tmux)");
    assert!(st.success());
    let capture = || {
        let o = Command::new("tmux").args(["capture-pane", "-p", "-t", &session]).output().unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let start = Instant::now();
    let mut screen = String::new();
    while start.elapsed() < Duration::from_secs(20) {
        screen = capture();
        if screen.contains("PPS offset, last") && screen.contains("chrony stratum 1") {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let ok = screen.contains("verdict: DEGRADED")
        && screen.contains("PPS edges are SIMULATED")
        && screen.contains("PPS offset, last")
        && screen.contains("PPS offset histogram")
        && screen.contains("chrony stratum 1 · reference PPS")
        && screen.contains("locked");
    if !ok {
        let _ = Command::new("tmux").args(["kill-session", "-t", &session]).status();
        panic!("watch screen:\n{screen}");
    }
    // The sparkline grows: sample counts in the title increase over two seconds.
    let count = |s: &str| -> usize {
        s.split("PPS offset, last ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let before = count(&screen);
    std::thread::sleep(Duration::from_millis(2500));
    let after = count(&capture());
    assert!(after > before, "sparkline did not advance: {before} → {after}");
    Command::new("tmux").args(["send-keys", "-t", &session, "q"]).status().unwrap();
    let gone = wait_for(Duration::from_secs(3), || {
        !Command::new("tmux").args(["has-session", "-t", &session]).status().unwrap().success()
    });
    if gone.is_err() {
        let _ = Command::new("tmux").args(["kill-session", "-t", &session]).status();
        panic!("watch did not quit on q:\n{}", capture());
    }
}

/// No timed: every command names the socket and what to do, exit 2, no panic.
#[test]
fn a_missing_control_socket_is_named() {
    let sock = Path::new("/nonexistent/timed/control.sock");
    for cmd in [&["status"][..], &["sky"], &["pps", "-n", "1"], &["watch"]] {
        let o = timectl_at(sock, cmd);
        let err = String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(err.contains("no control socket at /nonexistent/timed/control.sock"), "{cmd:?}: {err}");
        assert!(err.contains("timed is not running"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A control socket that answers every request `busy` (as timed does for a 9th watcher): status
/// asks again a few times, then says BUSY and exits 3, not FAILING/2; watch says the same.
#[test]
fn a_busy_control_socket_is_busy_not_failing() {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = timed_lab::Scratch::new("timectl-busy").unwrap();
    let sock = dir.join("control.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let mut line = String::new();
            let _ = BufReader::new(&s).read_line(&mut line);
            let _ = s.write_all(
                b"{\"schema\":1,\"kind\":\"error\",\"refusal\":\"busy\",\"now_unix_ns\":0,\
                  \"error\":\"busy: 8 watchers connected; try again later\"}\n",
            );
        }
    });
    let t = Instant::now();
    let o = timectl_at(&sock, &["status", "--json"]);
    let took = t.elapsed();
    let v = json(&o);
    assert_eq!(o.status.code(), Some(3), "{v:#}");
    assert_eq!(v["verdict"], "BUSY", "{v:#}");
    assert_eq!(codes(&v), vec!["timed-busy"], "{v:#}");
    assert_eq!(v["timed_error_kind"], "busy", "{v:#}");
    let msg = v["reasons"][0]["message"].as_str().unwrap();
    assert!(msg.contains("too busy to answer") && msg.contains("busy: 8 watchers"), "{msg}");
    assert_eq!(served.load(Ordering::SeqCst), 4, "one request and three retries");
    assert!(took < Duration::from_secs(3), "retries took {took:?}");
    eprintln!("status against a socket that is always busy: exit 3 after {took:?}");

    let o = timectl_at(&sock, &["status"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("timed ?: BUSY\n"), "{text}");
    assert_eq!(o.status.code(), Some(3));
    let o = timectl_at(&sock, &["watch", "--json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("BUSY (timed runs; its state is unknown)"), "{err}");
}

/// The real timed with every watcher place taken and more silent connections than it waits
/// for: `timectl status` still gets timed's state at once (before, it said FAILING with
/// "busy: 8 clients connected" or "Broken pipe").
#[test]
fn watchers_and_idle_connections_do_not_starve_status() {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;
    let dir = timed_lab::Scratch::new("timectl-starve").unwrap();
    let cfg = dir.join("timed.toml");
    std::fs::write(
        &cfg,
        format!(
            "[receiver]\ndevice = \"{d}/absent\"\n[pps]\nsource = \"off\"\n[chrony]\ncommand_socket = \"\"\n\
             [chrony.sock]\npps = \"{d}/pps.sock\"\ncoarse = \"\"\n[metrics]\nenabled = false\n\
             [control]\nsocket = \"{d}/control.sock\"\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let bin = timed_lab::locate_bin("timed", "TIMED_BIN").unwrap();
    let child = Command::new(bin).arg("-c").arg(&cfg).stderr(std::process::Stdio::null()).spawn().unwrap();
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _timed = Stop(child);
    let sock = dir.join("control.sock");
    wait_for(Duration::from_secs(10), || UnixStream::connect(&sock).is_ok()).unwrap();
    let mut watchers = Vec::new();
    for _ in 0..8 {
        let mut s = UnixStream::connect(&sock).unwrap();
        s.write_all(b"watch\n").unwrap();
        let mut r = BufReader::new(s);
        let mut first = String::new();
        r.read_line(&mut first).unwrap();
        assert!(first.contains("\"kind\":\"snapshot\""), "{first}");
        watchers.push(r);
    }
    let mut idle: Vec<UnixStream> = (0..40).map(|_| UnixStream::connect(&sock).unwrap()).collect();
    let mut worst = Duration::ZERO;
    for round in 0..5 {
        let t = Instant::now();
        let o = timectl_at(&sock, &["status", "--json"]);
        worst = worst.max(t.elapsed());
        let v = json(&o);
        let c = codes(&v);
        assert!(!c.iter().any(|c| c == "timed-busy" || c == "timed-unreachable"), "round {round}: {v:#}");
        assert_eq!(v["timed"]["receiver"]["serial_state"], "absent", "round {round}: {v:#}");
        // This timed has no receiver: FAILING for that, and only that kind of reason.
        assert_eq!((o.status.code(), c[0].as_str()), (Some(2), "receiver-unavailable"), "{v:#}");
        idle.drain(..10);
        idle.extend((0..10).map(|_| UnixStream::connect(&sock).unwrap()));
    }
    assert!(worst < Duration::from_secs(1), "slowest status with 8 watchers and 40 idle: {worst:?}");
    eprintln!("status with 8 watchers and 40 idle connections: slowest of 5 took {worst:?}");
    drop(watchers);
}

/// chronyd stopped (SIGSTOP, as a hung chronyd): status names it within seconds, a scrape does
/// not wait on it for long, and after SIGCONT the reason goes away.
#[test]
fn a_stopped_chronyd_is_named_quickly_and_does_not_stall_scrapes() {
    const METRICS_PORT: u16 = 19353;
    let lab = Lab::start(Options { ntp_port: 11353, metrics_port: Some(METRICS_PORT), ..Options::default() })
        .unwrap_or_else(|e| panic!("lab: {e}"));
    if wait_for(Duration::from_secs(90), || lab.selected("PPS")).is_err() {
        panic!("chrony did not select PPS; sources {:?}\n{}", lab.sources(), lab.timed_log());
    }
    let ok = wait_for(Duration::from_secs(20), || {
        codes(&json(&timectl(&lab, &["status", "--json"]))) == ["pps-simulated"]
    });
    assert!(ok.is_ok(), "{}", String::from_utf8_lossy(&timectl(&lab, &["status", "--json"]).stdout));
    // The status page's /status.json is the same document as `status --json` (docs/web.md): the
    // same fields all the way down and, on this steady box, the same verdict and reasons.
    let cli = json(&timectl(&lab, &["status", "--json"]));
    let web: Value =
        serde_json::from_str(get(METRICS_PORT, "/status.json").unwrap().split_once("\r\n\r\n").unwrap().1)
            .unwrap();
    assert_eq!(shape(&web), shape(&cli), "/status.json and status --json differ in shape");
    for k in ["schema", "verdict", "reasons", "chrony_from", "timed_error"] {
        assert_eq!(web[k], cli[k], "{k}");
    }
    let pid = lab.pids()[2].unwrap().to_string();
    struct Resume(String);
    impl Drop for Resume {
        fn drop(&mut self) {
            let _ = Command::new("kill").args(["-CONT", &self.0]).status();
        }
    }
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let resume = Resume(pid);
    let stopped = Instant::now();

    // Within 3 s of the stop (the SOCK sinks notice only after ~7 s, when chronyd's queue is full).
    let mut seen = None;
    while stopped.elapsed() < Duration::from_secs(3) && seen.is_none() {
        let t = Instant::now();
        let o = timectl(&lab, &["status", "--json"]);
        let took = t.elapsed();
        let v = json(&o);
        if codes(&v).contains(&"chronyd-unresponsive".to_string()) {
            seen = Some((o.status.code(), v, took));
        }
    }
    let (code, v, took) = seen.unwrap_or_else(|| {
        panic!(
            "no chronyd-unresponsive: {}",
            String::from_utf8_lossy(&timectl(&lab, &["status", "--json"]).stdout)
        )
    });
    assert_eq!((code, v["verdict"].as_str()), (Some(2), Some("FAILING")), "{v:#}");
    assert_eq!(v["chrony"]["state"], "unresponsive", "{v:#}");
    assert!(took < Duration::from_millis(1500), "status took {took:?} with chronyd stopped");
    eprintln!("chronyd-unresponsive {:?} after SIGSTOP; that status took {took:?}", stopped.elapsed());
    // Read directly, too.
    let chrony = lab.chrony_socket();
    let v = json(&timectl(&lab, &["--chrony-socket", chrony.to_str().unwrap(), "status", "--json"]));
    assert!(codes(&v).contains(&"chronyd-unresponsive".to_string()), "{v:#}");

    // Scrapes: each bounded by one short chronyd timeout, most served from the held reading.
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let body = get(METRICS_PORT, "/metrics").unwrap();
        times.push(t.elapsed());
        assert!(body.lines().any(|l| l == "chrony_up 0.0" || l == "chrony_up 0"), "{body}");
        assert!(body.contains("timed_receiver_epochs"), "{body}");
    }
    let total: Duration = times.iter().sum();
    eprintln!("5 scrapes with chronyd stopped: {times:?}");
    assert!(times.iter().all(|t| *t < Duration::from_millis(700)), "{times:?}");
    assert!(total < Duration::from_millis(1500), "{times:?}");
    // Once the held reading is 3 s old chronyd is asked again: one short wait, no more.
    std::thread::sleep(Duration::from_millis(3200));
    let t = Instant::now();
    assert!(get(METRICS_PORT, "/metrics").unwrap().contains("chrony_up 0"));
    let asking = t.elapsed();
    eprintln!("a scrape that asks the stopped chronyd again: {asking:?}");
    assert!(asking < Duration::from_millis(700), "{asking:?}");

    drop(resume);
    let back = wait_for(Duration::from_secs(15), || {
        !codes(&json(&timectl(&lab, &["status", "--json"]))).contains(&"chronyd-unresponsive".to_string())
    });
    assert!(back.is_ok(), "{}", String::from_utf8_lossy(&timectl(&lab, &["status", "--json"]).stdout));
}

/// A document's structure: its keys all the way down, every value replaced by its type (an
/// array by the shape of its first element, so lists of different lengths compare equal).
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
    }
}
