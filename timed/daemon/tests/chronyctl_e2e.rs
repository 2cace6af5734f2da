//! `timed::chronyctl` against real chronyd processes (Debian `chrony`, always `-x`, private
//! sockets and ports): the lab's stratum-1 chronyd fed by timed (PPS selected, GPS noselect), a
//! second chronyd that uses the lab as its NTP server and runs as `nobody` (so replies cross a
//! user boundary, as with Debian's `_chrony`), and no chronyd at all. Every figure is checked
//! against chronyc's own output, and the `chrony_*` part of timed's metrics endpoint against
//! `promtool check metrics` (Debian package `prometheus`).
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use timed::chronyctl::{self, Report};
use timed_lab::{wait_for, Chronyd, Lab, Options, Scratch};

/// True − system offset the lab injects.
const TRUTH: f64 = 250e-6;
const TIMEOUT: Duration = Duration::from_secs(1);

fn query(socket: &Path, timeout: Duration) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(chronyctl::query(socket, timeout))
}

fn render(report: &Report) -> String {
    let mut registry = prometheus_client::registry::Registry::default();
    timed::metrics::chrony::register(report, &mut registry);
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
    out
}

/// The `chrony_*` lines exactly as timed's metrics endpoint serves them (Prometheus text format:
/// the endpoint rewrites prometheus-client's OpenMetrics counter names).
fn served_chrony(socket: &Path) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let health = timed::health::Health::default();
    let cache = chronyctl::Cache::new(socket.to_path_buf(), chronyctl::LIVE_TIMEOUT);
    let text =
        rt.block_on(timed::metrics::scrape(&health, timed::metrics::gpsd::Position::Off, Some(&cache)));
    text.lines()
        .filter(|l| l.contains(" chrony_") || l.starts_with("chrony_"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn has(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "missing line {line:?} in\n{text}");
}

/// `promtool check metrics` must accept the exposition.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("promtool not found: install Debian package `prometheus` (tests/run.sh ensure_apt)")
        }
        Err(e) => panic!("promtool: {e}"),
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}\n{}{}\n--- exposition ---\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `chronyc -h SOCKET -n -c ARGS`, first line split on commas.
fn chronyc(socket: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("chronyc").arg("-h").arg(socket).args(["-n", "-c"]).args(args).output().unwrap();
    assert!(out.status.success(), "chronyc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .split(',')
        .map(String::from)
        .collect()
}

fn kill(pid: u32, signal: &str) {
    let _ = Command::new("kill").args([signal, &pid.to_string()]).status();
}

#[test]
fn lab_chronyd_and_its_ntp_client_read_like_chronyc() {
    // Fail before the slow part if the linter is missing.
    promtool_check("# HELP x A gauge.\n# TYPE x gauge\nx 1\n");
    let lab =
        Lab::start(Options { ntp_port: 11221, ..Options::default() }).unwrap_or_else(|e| panic!("lab: {e}"));
    wait_for(Duration::from_secs(90), || lab.selected("PPS"))
        .unwrap_or_else(|_| panic!("PPS not selected: {:?}\n{}", lab.sources(), lab.timed_log()));
    // chronyd (-x) slews its virtual clock towards the injected offset after selecting PPS.
    wait_for(Duration::from_secs(30), || {
        lab.tracking().is_ok_and(|t| (t.system_offset - TRUTH).abs() < 20e-6)
    })
    .unwrap_or_else(|_| panic!("tracking did not settle: {:?}", lab.tracking()));

    let sock = lab.chrony_socket();
    let enough = |r: Report| {
        r.sources.is_ok_and(|l| l.iter().all(|s| s.stats.as_ref().is_ok_and(|st| st.samples >= 4)))
    };
    wait_for(Duration::from_secs(30), || enough(query(&sock, TIMEOUT)))
        .unwrap_or_else(|_| panic!("too few samples: {:?}", query(&sock, TIMEOUT).sources));
    let before = chronyc(&sock, &["serverstats"]);
    let started = Instant::now();
    let r = query(&sock, TIMEOUT);
    let lab_took = started.elapsed();
    let theirs = lab.tracking().unwrap();
    let after = chronyc(&sock, &["serverstats"]);

    // Tracking: same reference, stratum, leap and correction as chronyc, with chronyc's sign
    // (`System time` positive = system clock slow = true − system).
    let t = r.tracking.as_ref().unwrap_or_else(|e| panic!("tracking: {e}"));
    assert_eq!(
        (t.stratum, t.ref_name.as_str(), t.ref_id, t.ref_address.as_deref()),
        (1, "PPS", 0x5050_5300, None)
    );
    assert_eq!(t.leap_status, "normal");
    assert_eq!(theirs.leap_status, "Normal");
    assert!((t.system_offset_s - TRUTH).abs() < 20e-6, "system offset {:+.9} s", t.system_offset_s);
    assert!((t.system_offset_s - theirs.system_offset).abs() < 5e-6, "ours {t:?}\nchronyc {theirs:?}");
    assert!(t.ref_time_s > 1.6e9 && t.update_interval_s >= 0.0 && t.root_dispersion_s > 0.0, "{t:?}");

    // Sources: PPS selected (prefer), GPS not selectable (noselect), both refclocks with stats.
    let list = r.sources.as_ref().unwrap_or_else(|e| panic!("sources: {e}"));
    let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["PPS", "GPS"], "{list:#?}");
    let (pps, gps) = (&list[0], &list[1]);
    assert_eq!(
        (pps.mode.as_str(), pps.state.as_str(), pps.address.as_str()),
        ("refclock", "selected", "PPS")
    );
    assert_eq!(pps.options.as_deref(), Some(&["prefer".to_string()][..]));
    assert_eq!(
        (gps.mode.as_str(), gps.options.as_deref()),
        ("refclock", Some(&["noselect".to_string()][..]))
    );
    assert_ne!(gps.state, "selected");
    let chronyc_sources = lab.sources().unwrap();
    for s in list {
        let c = chronyc_sources.iter().find(|c| c.name == s.name).unwrap();
        assert_eq!((u32::from(s.reach), u32::from(s.stratum)), (c.reach, c.stratum), "{s:?} vs {c:?}");
        // A new sample may have arrived in between (poll 4 s): equal within the sample noise.
        assert!((s.last_offset_s - c.last_offset).abs() < 20e-6, "{s:?} vs {c:?}");
        let st = s.stats.as_ref().unwrap_or_else(|e| panic!("sourcestats {}: {e}", s.name));
        assert!(st.samples >= 4 && st.span_s > 0, "{s:?}");
    }
    // `chronyc -c sourcestats`: name, NP, NR, span, ... (a sample may land in between).
    let np: u32 = chronyc(&sock, &["sourcestats"])[1].parse().unwrap();
    assert!(pps.stats.as_ref().is_ok_and(|s| s.samples.abs_diff(np) <= 1), "{pps:?} vs NP {np}");

    // Serverstats (chrony 4.3 answers with reply v3, which chrony-candm cannot decode).
    let ss = r.serverstats.as_ref().unwrap_or_else(|e| panic!("serverstats: {e}"));
    let cmd_hits = |v: &[String]| v[2].parse::<u64>().unwrap();
    assert!(cmd_hits(&before) < ss.cmd_hits && ss.cmd_hits < cmd_hits(&after), "{before:?} {ss:?} {after:?}");
    assert!(ss.ntp_interleaved_hits.is_some() && ss.ntp_daemon_rx_timestamps.is_none(), "{ss:?}");
    assert!(lab_took < TIMEOUT, "a healthy query took {lab_took:?}");
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains(r#""ref_name":"PPS""#), "{json}");

    let text = render(&r);
    has(&text, "chrony_up 1.0");
    has(
        &text,
        r#"chrony_tracking_info{tracking_address="PPS",tracking_name="PPS",tracking_refid="50505300"} 1.0"#,
    );
    has(&text, "chrony_tracking_stratum 1.0");
    has(
        &text,
        r#"chrony_sources_state_info{source_address="PPS",source_name="PPS",source_state="sync",source_mode="reference clock"} 1.0"#,
    );
    assert!(
        text.contains(r#"chrony_sourcestats_samples{source_address="GPS",source_name="GPS"} "#),
        "{text}"
    );
    assert!(text.contains("\nchrony_serverstats_command_packets_received_total "), "{text}");
    for q in ["tracking", "sources", "sourcestats", "serverstats"] {
        has(&text, &format!(r#"chrony_query_errors{{query="{q}"}} 0.0"#));
    }
    let served = served_chrony(&sock);
    has(&served, "# TYPE chrony_serverstats_ntp_packets_received_total counter");
    has(&served, "chrony_up 1.0");
    promtool_check(&served);

    // A second chronyd, running as `nobody`, that takes its time from the lab over NTP.
    let port = lab.opts.ntp_port;
    let client = Chronyd::builder()
        .user("nobody")
        .start_scratch(
            "chronyctl-e2e-client",
            &format!("server 127.0.0.1 port {port} iburst minpoll 0 maxpoll 0\nport 0"),
        )
        .unwrap_or_else(|e| panic!("client chronyd: {e}"));
    let cs = client.socket();
    wait_for(Duration::from_secs(60), || {
        query(&cs, TIMEOUT).sources.is_ok_and(|l| l.iter().any(|s| s.state == "selected"))
    })
    .unwrap_or_else(|_| {
        panic!("client chronyd never selected the lab: {:?}\n{}", query(&cs, TIMEOUT), client.log())
    });
    let r = query(&cs, TIMEOUT);
    let t = r.tracking.as_ref().unwrap();
    assert_eq!(
        (t.stratum, t.ref_address.as_deref(), t.ref_name.as_str()),
        (2, Some("127.0.0.1"), "127.0.0.1")
    );
    // Its virtual clock follows the lab's time: true − system ≈ the injected offset.
    let client_offset = t.system_offset_s;
    assert!((client_offset - TRUTH).abs() < 100e-6, "client chronyd {t:?}");
    let s = &r.sources.as_ref().unwrap()[0];
    assert_eq!(
        (s.address.as_str(), s.name.as_str(), s.mode.as_str(), s.stratum),
        ("127.0.0.1", "127.0.0.1", "server", 1)
    );
    assert!(s.stats.is_ok() && r.serverstats.is_ok(), "{r:?}");
    let text = render(&r);
    has(
        &text,
        r#"chrony_tracking_info{tracking_address="127.0.0.1",tracking_name="127.0.0.1",tracking_refid="7F000001"} 1.0"#,
    );
    has(&text, "chrony_tracking_remote_reference 1.0");
    has(
        &text,
        r#"chrony_sources_state_info{source_address="127.0.0.1",source_name="127.0.0.1",source_state="sync",source_mode="client"} 1.0"#,
    );
    promtool_check(&served_chrony(&cs));
    // The lab's chronyd now counts NTP requests.
    let ntp_served = query(&sock, TIMEOUT).serverstats.map(|s| s.ntp_hits).unwrap_or(0);
    let counted: u64 = chronyc(&sock, &["serverstats"])[0].parse().unwrap();
    assert!(ntp_served >= 1 && ntp_served <= counted, "ntp_hits {ntp_served}, chronyc then {counted}");

    // Unprivileged: chronyd's own user may query it (the client socket goes next to chronyd's).
    let as_nobody = run_as("65534", "65534", &cs);
    assert!(as_nobody.contains(r#""stratum":2"#), "as nobody: {as_nobody}");
    // Another user whom the admin lets write to the socket, but not create files beside it:
    // the client socket goes to the temporary directory instead.
    assert!(Command::new("chmod").arg("0770").arg(&cs).status().unwrap().success());
    let as_member = run_as("4242", "65534", &cs);
    assert!(as_member.contains(r#""stratum":2"#), "as uid 4242 in group nogroup: {as_member}");

    // A chronyd that stops answering costs one timeout, not one per request.
    let client_pid = client.pid().unwrap();
    kill(client_pid, "-STOP");
    let started = Instant::now();
    let r = query(&cs, Duration::from_millis(300));
    let took = started.elapsed();
    kill(client_pid, "-CONT");
    assert!(r.tracking.as_ref().is_err_and(|e| e.contains("did not answer")), "{r:?}");
    assert!(took < Duration::from_millis(600), "stalled chronyd: query took {took:?}");
    has(&render(&r), "chrony_up 0.0");
    println!(
        "lab query {lab_took:?}; client chronyd via NTP: system offset {:+.3} us, lab served {ntp_served} \
         requests; stalled chronyd: query returned after {took:?}",
        client_offset * 1e6
    );
}

/// Runs [`query_from_env`] in this test binary as another user; returns what it printed.
fn run_as(uid: &str, gid: &str, socket: &Path) -> String {
    // A copy in a world-readable directory: the checkout may live where other users cannot go.
    let dir = Scratch::with_mode(&format!("chronyctl-e2e-exe-{uid}"), 0o755).unwrap();
    let exe = dir.join("chronyctl_e2e");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid", uid, "--regid", gid, "--clear-groups", "--"])
        .arg(&exe)
        .args(["--exact", "query_from_env", "--include-ignored", "--nocapture", "--test-threads", "1"])
        .env("CHRONYCTL_E2E_SOCKET", socket)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Helper for [`run_as`]: prints the report for `$CHRONYCTL_E2E_SOCKET` as JSON.
#[test]
#[ignore = "helper: run by lab_chronyd_and_its_ntp_client_read_like_chronyc as another user"]
fn query_from_env() {
    let sock = PathBuf::from(std::env::var_os("CHRONYCTL_E2E_SOCKET").expect("CHRONYCTL_E2E_SOCKET"));
    println!("{}", serde_json::to_string(&query(&sock, TIMEOUT)).unwrap());
}

#[test]
fn no_chronyd_means_errors_within_the_timeout_and_chrony_up_0() {
    let dir = Scratch::new("chronyctl-e2e-none").unwrap();
    // A socket file nobody listens on (chronyd killed hard), and no file at all.
    let stale = dir.join("chronyd.sock");
    drop(std::os::unix::net::UnixDatagram::bind(&stale).unwrap());
    for sock in [stale.clone(), dir.join("missing.sock")] {
        let started = Instant::now();
        let r = query(&sock, TIMEOUT);
        let took = started.elapsed();
        assert!(took < TIMEOUT, "{took:?}");
        assert!(r.tracking.is_err() && r.sources.is_err() && r.serverstats.is_err(), "{r:?}");
        let text = render(&r);
        has(&text, "chrony_up 0.0");
        has(&text, r#"chrony_query_errors{query="tracking"} 1.0"#);
        assert!(!text.contains("chrony_tracking_"), "{text}");
        promtool_check(&served_chrony(&sock));
    }
    // Our client sockets are cleaned up.
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "{left:?}");
}
