//! `timectl doctor` against real failures: every check's failing condition is created for real
//! (chronyd stopped or started twice, chrony.conf edited, sockets moved, device nodes made with
//! mknod, SHM segments made by chronyd) with a real chronyd (Debian `chrony`, always `-x`,
//! private files and ports) and the real timed. What cannot exist here is simulated by timed-sim
//! and says so: the receiver and its PPS pin, and a UART at the wrong speed (`--host-baud`
//! re-samples the receiver's bit stream as a UART at 115200 would read a 9600 baud receiver).
#![forbid(unsafe_code)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] fns: a failed unwrap is a failed test"
)]

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use timed_lab::{locate_bin, wait_for, Chronyd, Lab, Options, Scratch};

/// One doctor run: exit code and the JSON report.
struct Run {
    code: i32,
    json: Value,
}

impl Run {
    fn check(&self, id: &str) -> (String, String, String) {
        let c = self.json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no check {id}: {:#}", self.json));
        let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
        (s("status"), s("message"), s("fix"))
    }

    fn with(&self, status: &str) -> Vec<String> {
        let checks = self.json["checks"].as_array().unwrap();
        checks
            .iter()
            .filter(|c| c["status"] == status)
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Asserts check `id` has `status` and its message contains every piece of `says`.
    fn expect(&self, id: &str, status: &str, says: &[&str]) -> (String, String) {
        let (st, msg, fix) = self.check(id);
        assert_eq!(st, status, "{id}: {msg}\n{:#}", self.json);
        for s in says {
            assert!(msg.contains(s), "{id}: {s:?} not in {msg:?}");
        }
        (msg, fix)
    }
}

fn doctor(socket: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_timectl"))
        .arg("--socket")
        .arg(socket)
        .args(["--json", "doctor"])
        .args(if args.contains(&"--window") { &[][..] } else { &["--window", "2"][..] })
        .args(args)
        .output()
        .expect("run timectl");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run { code: out.status.code().unwrap_or(-1), json }
}

/// The doctor on a lab: its timed.toml, its chrony.conf (found through the running chronyd).
fn doctor_lab(lab: &Lab, extra: &[&str]) -> Run {
    let cfg = lab.dir.join("timed.toml");
    let mut args = vec!["--config", cfg.to_str().unwrap()];
    args.extend(extra);
    doctor(&lab.control_socket(), &args)
}

fn status(lab: &Lab) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_timectl"))
        .arg("--socket")
        .arg(lab.control_socket())
        .args(["status", "--json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// Waits until timed's state satisfies `pred`.
fn wait_timed(lab: &Lab, what: &str, pred: impl Fn(&Value) -> bool) {
    if wait_for(Duration::from_secs(40), || pred(&status(lab)["timed"])).is_err() {
        panic!("timed never got {what}: {:#}\n{}", status(lab), lab.timed_log());
    }
}

fn locked_with_latency(t: &Value) -> bool {
    t["pps"]["state"].as_str().is_some_and(|s| s.starts_with("locked"))
        && t["stats"]["serial_latency"].as_array().is_some_and(|a| !a.is_empty())
        && t["sinks"].as_array().is_some_and(|s| s.iter().all(|s| s["state"] == "ok"))
}

fn lab(port: u16, opts: Options) -> Lab {
    Lab::start(Options { ntp_port: port, ..opts }).unwrap_or_else(|e| panic!("lab: {e}"))
}

/// The lab's chrony.conf as written (it carries `makestep 1 3`, as a box without RTC needs).
fn lab_conf(lab: &Lab) -> String {
    let conf = std::fs::read_to_string(lab.dir.join("chrony.conf")).unwrap();
    assert!(conf.contains("\nmakestep 1 3\n"), "{conf}");
    conf
}

/// A second chronyd (-x, private files, no NTP port) on `conf`, stopped and removed on drop.
fn chronyd(tag: &str, conf: &str) -> Chronyd {
    Chronyd::builder()
        .start_scratch(&format!("timectl-doctor-{tag}"), conf)
        .unwrap_or_else(|e| panic!("chronyd (apt-get install chrony): {e}"))
}

/// The demo set-up is healthy but for its SIMULATED PPS (a warning, as `timectl status` calls it
/// DEGRADED); then chrony.conf loses its refclocks, chronyd runs a stale configuration,
/// chronyd stops, and a second chronyd takes timed's PPS socket.
#[test]
fn healthy_demo_then_chrony_broken_four_ways() {
    let mut lab = lab(11371, Options::default());
    let conf = lab_conf(&lab);
    wait_timed(&lab, "PPS lock", locked_with_latency);
    let d = lab.dir.display().to_string();

    let r = doctor_lab(&lab, &[]);
    assert_eq!((r.code, r.json["result"].as_str()), (1, Some("warn")), "{:#}", r.json);
    assert_eq!(r.with("warn"), ["pps-device"]);
    assert_eq!(r.with("fail"), Vec::<String>::new());
    assert_eq!(
        r.with("skip"),
        ["receiver-config", "shm", "nts-cert"],
        "the lab's timed does not check the set-up (configure = \"off\"); SOCK output: SHM is not used; \
         its chronyd serves no NTS ([nts] cert = \"\")"
    );
    r.expect("nts-cert", "skip", &["no [nts] cert"]);
    r.expect("pps-device", "warn", &["SIMULATED", &format!("{d}/sim-pps.sock")]);
    r.expect("chrony-conf", "ok", &[&format!("{d}/chrony.conf (the -f of chronyd pid")]);
    r.expect("chrony-refclock-pps", "ok", &[&format!("{d}/chrony.conf:2"), "loaded by chronyd"]);
    r.expect("pps-edges", "ok", &["(1 Hz)"]);
    r.expect("makestep", "ok", &["makestep 1 3"]);
    r.expect("leap-list", "ok", &["no leap-seconds list", "chronyd reads leaps from leapsectz right/UTC"]);
    // The text form: one line per check, the fix indented under it.
    let out = Command::new(env!("CARGO_BIN_EXE_timectl"))
        .arg("--socket")
        .arg(lab.control_socket())
        .args(["doctor", "--window", "1", "--config", &format!("{d}/timed.toml")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("timectl doctor: 1 warning (22 checks, 3 skipped)\n"), "{text}");
    assert!(
        text.contains("\nWARN  pps-device  ") && text.contains("fix: on the appliance set [pps] source"),
        "{text}"
    );

    // 1. chrony.conf without timed's refclocks, chronyd restarted on it.
    let without: String =
        conf.lines().filter(|l| !l.starts_with("refclock")).map(|l| format!("{l}\n")).collect();
    std::fs::write(lab.dir.join("chrony.conf"), &without).unwrap();
    lab.restart_chronyd().unwrap();
    let r = doctor_lab(&lab, &[]);
    assert_eq!(r.code, 2);
    let (_, fix) = r.expect(
        "chrony-refclock-pps",
        "fail",
        &[&format!("{d}/chrony.conf has no `refclock SOCK {d}/pps.sock`")],
    );
    assert!(fix
        .starts_with(&format!("add `refclock SOCK {d}/pps.sock refid PPS poll 2 precision 1e-7 prefer` to")));
    r.expect("chrony-refclock-coarse", "fail", &[&format!("no `refclock SOCK {d}/coarse.sock`")]);
    r.expect(
        "socket-paths",
        "fail",
        &[&format!("pps socket {d}/pps.sock ([chrony.sock] pps, {d}/timed.toml:"), "does not exist"],
    );

    // 2. The refclocks back in chrony.conf, but chronyd not restarted.
    std::fs::write(lab.dir.join("chrony.conf"), &conf).unwrap();
    let r = doctor_lab(&lab, &[]);
    let (_, fix) = r.expect("chrony-refclock-pps", "fail", &["the running chronyd has no refclock PPS"]);
    assert!(fix.contains("systemctl restart chrony"));
    lab.restart_chronyd().unwrap();

    // 3. chronyd stopped.
    let pid = lab.pids()[2].unwrap();
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    wait_for(Duration::from_secs(5), || {
        !Path::new(&format!("/proc/{pid}/cmdline")).exists()
            || std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default().is_empty()
    })
    .unwrap();
    let r = doctor_lab(&lab, &["--chrony-conf", &format!("{d}/chrony.conf")]);
    assert_eq!(r.code, 2);
    let (_, fix) =
        r.expect("chronyd-running", "fail", &[&format!("chronyd is not running with {d}/chrony.conf")]);
    assert!(fix.starts_with("start it: systemctl start chrony"));
    r.expect("chronyd-reachable", "fail", &[&format!("{d}/chronyd.sock")]);
    lab.restart_chronyd().unwrap();
    wait_timed(&lab, "its sinks back", locked_with_latency);

    // 4. A second chronyd (-x, its own command socket) with a refclock on timed's PPS socket:
    // it unlinks and rebinds the path, so the lab's chronyd silently loses the samples.
    let second = chronyd("second", &format!("refclock SOCK {d}/pps.sock refid PPS\nport 0\n"));
    let dir2 = second.dir();
    let r = doctor_lab(&lab, &[]);
    assert_eq!(r.code, 2);
    let (msg, fix) = r.expect("chronyd-second", "fail", &["2 chronyd processes use timed's set-up"]);
    let pid2 = second.pid().unwrap().to_string();
    assert!(
        msg.contains(&format!(
            "pid {pid2} (-f {}/chrony.conf, -x) sharing refclock SOCK {d}/pps.sock",
            dir2.display()
        )),
        "{msg}"
    );
    assert!(fix.contains(&format!("(kill {pid2})")), "{fix}");
}

/// A one-fault scenario for timed-sim: `kind` from the first second on.
fn fault(lab: &Lab, kind: &str) -> PathBuf {
    let p = lab.dir.join(format!("{kind}.toml"));
    std::fs::write(&p, format!("[[fault]]\nkind = \"{kind}\"\nfrom_s = 0\n")).unwrap();
    p
}

/// The receiver replaced: timed loses the port, timed-sim restarts with other options, timed
/// reads it again.
fn swap_receiver(lab: &mut Lab, scenario: Option<PathBuf>, args: &[&str]) {
    lab.stop_sim();
    wait_timed(lab, "the receiver gone", |t| t["receiver"]["serial_state"] != "open");
    lab.opts.scenario = scenario;
    lab.opts.sim_args = args.iter().map(|s| s.to_string()).collect();
    lab.start_sim_again().unwrap();
    wait_timed(lab, "the receiver back", |t| t["receiver"]["serial_state"] == "open");
}

/// The receiver and its pulse broken one way at a time (timed-sim faults, SIMULATED), then
/// unplugged: no PPS edges, no fix, pulses labelled with the wrong second (caught against an
/// NTP server: a second, private chronyd serving this machine's clock), the wrong serial speed,
/// no receiver at all.
#[test]
fn receiver_and_pps_faults() {
    let mut lab = lab(11372, Options::default());
    let d = lab.dir.display().to_string();
    let _ntp = chronyd("ntp", "local stratum 1\nallow 127.0.0.1\nport 11373\nbindaddress 127.0.0.1\n");
    let conf = std::fs::read_to_string(lab.dir.join("chrony.conf")).unwrap();
    std::fs::write(
        lab.dir.join("chrony.conf"),
        conf + "server 127.0.0.1 port 11373 iburst minpoll 0 maxpoll 0\n",
    )
    .unwrap();
    lab.restart_chronyd().unwrap();

    // No PPS edges: the pulse is dropped every second.
    let s = fault(&lab, "drop_pulse");
    swap_receiver(&mut lab, Some(s), &[]);
    wait_timed(&lab, "epochs", |t| t["receiver"]["time_valid"] == true);
    let r = doctor_lab(&lab, &[]);
    assert_eq!(r.code, 2);
    let (_, fix) = r.expect("pps-edges", "fail", &[&format!("no PPS edge on {d}/sim-pps.sock in 2.0 s")]);
    assert!(fix.starts_with(&format!("timed-sim sends no edges to {d}/sim-pps.sock")), "{fix}");
    r.expect("pps-pairing", "skip", &["no edges to pair"]);
    r.expect("serial-data", "ok", &["bytes/s"]);

    // No fix: the receiver sends, but vouches for no time.
    let s = fault(&lab, "no_fix");
    swap_receiver(&mut lab, Some(s), &[]);
    wait_timed(&lab, "an epoch without a fix", |t| {
        t["receiver"]["epochs"].as_u64() > Some(0) && t["receiver"]["fix"] == "none"
    });
    let r = doctor_lab(&lab, &[]);
    r.expect(
        "receiver-fix",
        "fail",
        &[&format!("the receiver on {d}/gps0 reports no valid time: fix none, 0 of")],
    );
    let (_, fix) = r.expect("pps-pairing", "fail", &["none was paired with a second"]);
    assert!(fix.contains("see receiver-fix"), "{fix}");

    // A receiver one second off: messages and TIM-TP agree with each other. A running timed
    // counted the pulses before and holds every sample (the receiver's labels jump against the
    // count). A timed started with the receiver already wrong has nothing to count against and
    // pairs every pulse: only chronyd's NTP source shows the PPS refclock a second ahead.
    let s = fault(&lab, "wrong_second");
    swap_receiver(&mut lab, Some(s), &[]);
    wait_timed(&lab, "timed holding the mislabelled pulses", |t| {
        t["pps"]["state"] == "held-label-jump" && t["pps"]["label_jump_s"] == 1
    });
    let st = status(&lab);
    let codes: Vec<&str> =
        st["reasons"].as_array().into_iter().flatten().filter_map(|r| r["code"].as_str()).collect();
    assert!(codes.contains(&"pps-label-jump") && st["verdict"] == "FAILING", "{st:#}");
    lab.restart_timed().unwrap();
    let a_second_off = || {
        let src = lab.sources().unwrap_or_default();
        let off = |n: &str| src.iter().find(|s| s.name == n && s.reach > 0).map(|s| s.last_offset);
        matches!((off("PPS"), off("127.0.0.1")), (Some(p), Some(n)) if (p - n).abs() > 0.5)
    };
    if wait_for(Duration::from_secs(40), a_second_off).is_err() {
        panic!("chronyd never saw PPS a second off: {:?}\n{}", lab.sources(), lab.timed_log());
    }
    let r = doctor_lab(&lab, &[]);
    assert_eq!(r.code, 2);
    let (_, fix) = r.expect(
        "pps-pairing",
        "fail",
        &["chronyd's PPS refclock PPS runs 1.00", "s ahead of its NTP source 127.0.0.1", "wrong second"],
    );
    assert!(fix.contains("CFG-TP5"), "{fix}");

    // The wrong speed (SIMULATED: a pty has none): a receiver at its factory 9600 baud read by
    // a UART set to timed's 115200.
    swap_receiver(&mut lab, None, &["--baud", "9600", "--host-baud", "115200", "--protocol", "nmea"]);
    let garbage = status(&lab)["timed"]["receiver"]["framer"]["garbage_bytes"].as_u64().unwrap_or(0);
    wait_timed(&lab, "garbage", |t| t["receiver"]["framer"]["garbage_bytes"].as_u64() > Some(garbage + 1000));
    let r = doctor_lab(&lab, &[]);
    assert_eq!(r.code, 2);
    let (msg, fix) = r.expect(
        "serial-speed",
        "fail",
        &[
            &format!("bytes from {d}/gps0 in 2.0 s but 0 NMEA/UBX frames: 100 % garbage"),
            &format!("the receiver does not send at 115200 baud ([receiver] baud, {d}/timed.toml:4)"),
        ],
    );
    assert!(fix.contains("9600"), "{msg}: {fix}");
    r.expect("receiver-fix", "skip", &["no complete epoch"]);

    // No receiver: its device node is gone.
    lab.stop_sim();
    wait_timed(&lab, "the receiver gone", |t| t["receiver"]["serial_state"] != "open");
    let r = doctor_lab(&lab, &[]);
    r.expect(
        "serial-device",
        "fail",
        &[&format!("receiver device {d}/gps0 ([receiver] device, {d}/timed.toml:3) does not exist")],
    );
    r.expect("serial-data", "fail", &[&format!("timed cannot read the receiver at {d}/gps0")]);
}

/// Serial bursts 450 ms after the second (timed compensates 120 ms) under a PPS refclock locked
/// to the coarse one: outside chrony's lock window. Then timed sends to a SOCK path chrony.conf
/// does not have.
#[test]
fn latency_outside_the_lock_window_and_a_wrong_socket_path() {
    let mut lab = lab(11374, Options { message_delay_ms: 450.0, ..Options::default() });
    let d = lab.dir.display().to_string();
    let conf = std::fs::read_to_string(lab.dir.join("chrony.conf")).unwrap();
    let locked = conf.replace("precision 1e-7 prefer", "precision 1e-7 prefer lock GPS");
    assert_ne!(locked, conf);
    std::fs::write(lab.dir.join("chrony.conf"), locked).unwrap();
    lab.restart_chronyd().unwrap();
    wait_timed(&lab, "PPS lock and latency figures", locked_with_latency);
    let r = doctor_lab(&lab, &[]);
    assert_eq!(r.code, 2);
    let (msg, fix) = r.expect(
        "serial-latency",
        "fail",
        &[
            &format!("with serial_delay_ms = 120 ({d}/timed.toml:5)"),
            &format!("outside chrony's lock window of 0.2 s ({d}/chrony.conf:2 locks to GPS)"),
        ],
    );
    let suggested: f64 = fix
        .strip_prefix("set serial_delay_ms = ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{msg}: {fix}"));
    assert!((440.0..=460.0).contains(&suggested), "{fix}");

    // timed sends PPS samples to another path than chrony.conf's refclock.
    lab.stop_timed();
    let toml = std::fs::read_to_string(lab.dir.join("timed.toml")).unwrap();
    let wrong = toml.replace(&format!("{d}/pps.sock"), &format!("{d}/wrong-pps.sock"));
    assert_ne!(wrong, toml);
    let wrong_path = lab.dir.join("wrong.toml");
    std::fs::write(&wrong_path, wrong).unwrap();
    let mut timed = Command::new(locate_bin("timed", "TIMED_BIN").unwrap())
        .arg("-c")
        .arg(&wrong_path)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(lab.dir.join("timed-wrong.log")).unwrap())
        .spawn()
        .unwrap();
    wait_timed(&lab, "the PPS sink failing", |t| {
        t["sinks"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["kind"] == "sock-pps" && s["state"] == "failing"))
    });
    let r = doctor(&lab.control_socket(), &["--config", wrong_path.to_str().unwrap()]);
    let _ = timed.kill();
    let _ = timed.wait();
    assert_eq!(r.code, 2);
    let (_, fix) = r.expect(
        "chrony-refclock-pps",
        "fail",
        &[
            &format!(
                "timed sends PPS samples to SOCK {d}/wrong-pps.sock ([chrony.sock] pps, {d}/wrong.toml:"
            ),
            &format!("but chrony.conf reads {d}/chrony.conf:2: `refclock SOCK {d}/pps.sock refid PPS"),
        ],
    );
    assert!(
        fix.starts_with(&format!(
            "make them the same: set [chrony.sock] pps = \"{d}/pps.sock\" in {d}/wrong.toml"
        )),
        "{fix}"
    );
    r.expect("socket-paths", "fail", &[&format!("pps socket {d}/wrong-pps.sock"), "does not exist"]);
    r.expect("chrony-refclock-coarse", "ok", &["loaded by chronyd"]);
}

/// No timed, no chronyd, files only: a missing control socket, missing device nodes, nodes
/// timed's user may not open (made with mknod), a SOCK socket it may not write, chrony.conf
/// without makestep, a broken timed.toml, a missing chrony.conf and one chronyd would refuse.
#[test]
fn devices_permissions_makestep_and_timed_toml_without_daemons() {
    // World-accessible: the checks as user nobody must reach the nodes to judge them.
    let t = Scratch::with_mode("timectl-doctor-files", 0o755).unwrap();
    let td = t.display().to_string();
    let toml = format!(
        "[receiver]\ndevice = \"{td}/gps0\"\n\n[pps]\nsource = \"kernel\"\ndevice = \"{td}/pps0\"\n\n\
         [chrony]\ncommand_socket = \"{td}/chronyd.sock\"\n\n[chrony.sock]\npps = \"{td}/pps.sock\"\ncoarse = \"\"\n\n\
         [control]\nsocket = \"{td}/control.sock\"\n"
    );
    std::fs::write(t.join("timed.toml"), toml).unwrap();
    std::fs::write(t.join("chrony.conf"), format!("refclock SOCK {td}/pps.sock refid PPS\n")).unwrap();
    let cfg = format!("{td}/timed.toml");
    let conf = format!("{td}/chrony.conf");
    let files = ["--config", &cfg, "--chrony-conf", &conf, "--window", "0.5"];
    let sock = t.join("control.sock");

    let r = doctor(&sock, &files);
    assert_eq!(r.code, 2);
    let (_, fix) = r.expect("timed-running", "fail", &[&format!("no control socket at {td}/control.sock")]);
    assert!(fix.starts_with("start timed"), "{fix}");
    r.expect(
        "serial-device",
        "fail",
        &[&format!("receiver device {td}/gps0 ([receiver] device, {td}/timed.toml:2) does not exist")],
    );
    let (_, fix) = r.expect(
        "pps-device",
        "fail",
        &[&format!("PPS device {td}/pps0 ([pps] device, {td}/timed.toml:6) does not exist")],
    );
    assert!(fix.contains("dtoverlay=pps-gpio"), "{fix}");
    let rtc = Path::new("/sys/class/rtc/rtc0").exists();
    let (_, fix) = r.expect(
        "makestep",
        if rtc { "warn" } else { "fail" },
        &[&format!("no makestep in {td}/chrony.conf")],
    );
    assert!(fix.starts_with(&format!("add `makestep 1 3` to {td}/chrony.conf")), "{fix}");
    r.expect("chronyd-running", "fail", &[&format!("chronyd is not running with {td}/chrony.conf")]);
    r.expect("socket-paths", "fail", &[&format!("pps socket {td}/pps.sock"), "does not exist"]);
    for id in ["serial-data", "serial-speed", "receiver-fix", "pps-edges", "pps-pairing", "serial-latency"] {
        r.expect(id, "skip", &["timed"]);
    }

    // Device nodes and a socket that only root may use (ttyS0's and null's numbers, 0600).
    for (name, dev) in [("gps0", "4 64"), ("pps0", "1 3")] {
        let st =
            Command::new("sh").arg("-c").arg(format!("mknod -m 0600 {td}/{name} c {dev}")).status().unwrap();
        assert!(st.success(), "mknod {name} (needs root)");
    }
    let _bound = std::os::unix::net::UnixDatagram::bind(t.join("pps.sock")).unwrap();
    std::fs::set_permissions(t.join("pps.sock"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut as_nobody = files.to_vec();
    as_nobody.extend(["--user", "nobody"]);
    let r = doctor(&sock, &as_nobody);
    let (_, fix) = r.expect(
        "serial-device",
        "fail",
        &["user nobody (uid 65534", &format!("cannot open {td}/gps0 (root:root 0600)")],
    );
    assert!(fix.contains("usermod -aG root nobody"), "{fix}");
    r.expect("pps-device", "fail", &[&format!("cannot read {td}/pps0 (root:root 0600)")]);
    let (_, fix) =
        r.expect("socket-paths", "fail", &[&format!("cannot write {td}/pps.sock (root:root 0755)")]);
    assert!(fix.contains("chrony.service.d/timed.conf"), "{fix}");
    // The same nodes are fine for root.
    let mut as_root = files.to_vec();
    as_root.extend(["--user", "root"]);
    let r = doctor(&sock, &as_root);
    r.expect("serial-device", "ok", &[&format!("{td}/gps0: character device 4:64, root:root 0600")]);
    r.expect("pps-device", "ok", &["readable by root"]);
    r.expect("socket-paths", "ok", &["writable by root"]);

    // A broken timed.toml: FILE:LINE:COL, and nothing judged on guesses.
    std::fs::write(t.join("bad.toml"), "[receiver]\nbaud = 1234\n").unwrap();
    let bad = format!("{td}/bad.toml");
    let r = doctor(&sock, &["--config", &bad, "--chrony-conf", &conf, "--window", "0.5"]);
    assert_eq!(r.code, 2);
    r.expect(
        "timed-config",
        "fail",
        &[&format!("{td}/bad.toml:2:8: baud 1234 is not a rate u-blox receivers use")],
    );
    r.expect("serial-device", "skip", &["timed.toml did not load"]);

    // chrony.conf missing, and one whose include matches nothing (chronyd refuses to start).
    let missing = format!("{td}/nochrony.conf");
    let r = doctor(&sock, &["--config", &cfg, "--chrony-conf", &missing, "--window", "0.5"]);
    let (_, fix) = r.expect("chrony-conf", "fail", &[&format!("cannot read {td}/nochrony.conf")]);
    assert!(fix.contains("--chrony-conf FILE"), "{fix}");
    r.expect("makestep", "skip", &["chrony.conf unreadable"]);
    std::fs::write(t.join("inc.conf"), format!("makestep 1 3\ninclude {td}/conf.d/*.conf\n")).unwrap();
    let inc = format!("{td}/inc.conf");
    let r = doctor(&sock, &["--config", &cfg, "--chrony-conf", &inc, "--window", "0.5"]);
    r.expect(
        "chrony-conf",
        "fail",
        &[&format!("{td}/inc.conf:2: `include {td}/conf.d/*.conf` matches no file")],
    );
}

/// A world-writable SHM segment, made for real by chronyd from `refclock SHM 5:perm=0666`
/// (unit 5: no lab uses it); chrony.conf found through the running chronyd's -f.
#[test]
fn a_world_writable_shm_segment() {
    const KEY: &str = "0x4e545035";
    let _ = Command::new("ipcrm").args(["-M", KEY]).stderr(Stdio::null()).status();
    let chronyd = chronyd("shm", "refclock SHM 5:perm=0666 refid PPS poll 2\nport 0\n");
    let dir = chronyd.dir();
    let dd = dir.display().to_string();
    std::fs::write(
        dir.join("timed.toml"),
        format!(
            "[chrony]\ncommand_socket = \"{dd}/chronyd.sock\"\n[chrony.sock]\npps = \"\"\ncoarse = \"\"\n\
             [chrony.shm]\nenabled = true\ncoarse_unit = -1\npps_unit = 5\n[control]\nsocket = \"{dd}/control.sock\"\n"
        ),
    )
    .unwrap();
    let cfg = format!("{dd}/timed.toml");
    let r = doctor(&dir.join("control.sock"), &["--config", &cfg, "--window", "0.5"]);
    let _ = Command::new("ipcrm").args(["-M", KEY]).status();
    assert_eq!(r.code, 2);
    let (_, fix) = r.expect(
        "shm",
        "fail",
        &[
            "SHM segment NTP5 (key 0x4e545035) is world-writable (0666, owner root)",
            &format!("(perm=0666 at {dd}/chrony.conf:1)"),
        ],
    );
    assert!(fix.contains("never 0666") && fix.contains("ipcrm -M 0x4e545035"), "{fix}");
    r.expect(
        "chrony-conf",
        "ok",
        &[&format!("{dd}/chrony.conf (the -f of chronyd pid {})", chronyd.pid().unwrap())],
    );
    r.expect(
        "chrony-refclock-pps",
        "ok",
        &[&format!("{dd}/chrony.conf:1: `refclock SHM 5:perm=0666"), "loaded by chronyd"],
    );
    r.expect("chronyd-running", "ok", &["SHM unit 5"]);
}

/// No chronyd for this set-up and no --chrony-conf: the doctor can only guess Debian's default
/// chrony.conf. It must say that chronyd is not running (or not with these files) and which file
/// it could not confirm, instead of advising refclock or makestep lines for that file.
#[test]
fn chronyd_down_without_chrony_conf_names_the_unconfirmed_default() {
    let t = Scratch::new("timectl-doctor-guess").unwrap();
    let td = t.display().to_string();
    std::fs::write(
        t.join("timed.toml"),
        format!(
            "[receiver]\ndevice = \"{td}/gps0\"\n\n[pps]\nsource = \"off\"\n\n\
             [chrony]\ncommand_socket = \"{td}/chronyd.sock\"\n\n[chrony.sock]\npps = \"{td}/pps.sock\"\ncoarse = \"\"\n\n\
             [control]\nsocket = \"{td}/control.sock\"\n"
        ),
    )
    .unwrap();
    let cfg = format!("{td}/timed.toml");
    let r = doctor(&t.join("control.sock"), &["--config", &cfg, "--window", "0.5"]);
    let default = if Path::new("/etc/chrony/chrony.conf").exists() {
        "/etc/chrony/chrony.conf"
    } else {
        "/etc/chrony.conf"
    };
    // Another engineer's or test's chronyd may run with its own files: then it says so.
    let why = [
        "chronyd is not running".to_string(),
        format!("no running chronyd uses {default} or {td}/chronyd.sock"),
    ];
    // timed's PPS socket is in no chrony.conf on this machine: unconfirmed, not "add it there".
    let (status, msg, fix) = r.check("chrony-refclock-pps");
    assert_eq!(status, "skip", "{msg} / {fix}");
    assert!(why.iter().any(|w| msg.starts_with(&format!("{w}, so which configuration it reads"))), "{msg}");
    assert!(msg.contains(&format!("{default} is only the default")), "{msg}");
    assert!(fix.is_empty(), "no advice about a file chronyd may not read: {fix}");
    // makestep: Debian's default has `makestep 1 3`, reported as found but unconfirmed; a file
    // without it is unconfirmed as above.
    let (status, msg, fix) = r.check("makestep");
    match status.as_str() {
        "ok" => assert!(why.iter().any(|w| msg.ends_with(&format!("(unconfirmed: {w})"))), "{msg}"),
        "skip" => assert!(msg.contains(&format!("{default} is only the default")) && fix.is_empty(), "{msg}"),
        _ => panic!("makestep: {status}: {msg} / {fix}"),
    }
}
