//! timed-lab: a private time lab for the demo and the end-to-end tests. It wires the receiver
//! simulator (`timed-sim`, standing in for the u-blox receiver and the PPS pin, which do not
//! exist here), the real `timed` daemon and a real, sandboxed `chronyd` (always `-x`: it never
//! touches this machine's clock; private command socket, port, pid, drift and log files).
//!
//! Owns: process start-up, configuration files for the three, chronyc queries and cleanup.
//! Must not depend on timed's crates: it drives the binaries exactly as a user would.
#![forbid(unsafe_code)]

pub mod audit;
mod chronyc;
mod chronyd;
pub mod compare;
#[cfg(test)]
mod config_tests;
mod fakeclock;
pub mod http;
pub mod load;
pub mod netns;
pub mod nts_fleet;
mod scratch;
pub mod side_by_side;
pub use chronyc::{Source, Tracking};
pub use chronyd::{private_lines, Chronyd, ChronydBuilder};
pub use fakeclock::FakeClock;
pub use scratch::Scratch;

use chronyd::stop;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which chrony refclock driver carries timed's samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// `refclock SOCK` (timed's default).
    Sock,
    /// gpsd-compatible `refclock SHM` units 0 (coarse) and 1 (PPS).
    Shm,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// True − system offset the simulator injects, seconds.
    pub truth_offset_s: f64,
    pub ntp_port: u16,
    pub bind_address: String,
    pub allow: String,
    pub edge_jitter_ns: u64,
    /// Simulator: first byte of the burst after the true second.
    pub message_delay_ms: f64,
    /// timed: the serial delay it subtracts from coarse samples.
    pub serial_delay_ms: f64,
    pub output: Output,
    pub scenario: Option<PathBuf>,
    /// Run chronyd inside this network namespace (`ip netns exec NAME`).
    pub netns: Option<String>,
    /// Keep the lab directory after the lab ends (for inspection).
    pub keep_dir: bool,
    /// Extra arguments for timed-sim (e.g. `--fill 0.95`).
    pub sim_args: Vec<String>,
    /// timed's metrics endpoint port on 127.0.0.1 (None: endpoint off).
    pub metrics_port: Option<u16>,
    /// timed's integrity hold-off (`[integrity] holdoff_s`). The lab uses 5 s, not the shipped
    /// 10 s, so scenarios of a couple of minutes show the recovery after their last fault.
    pub holdoff_s: f64,
    /// More timed.toml tables appended to the lab's (e.g. an `[events]` webhook).
    pub timed_extra: String,
    /// One faked wall clock for chronyd, timed and the simulator (another date, e.g. a leap day).
    pub fake_clock: Option<FakeClock>,
    /// timed's `[leap] list` and `expired` policy (None: no list, the lab's default).
    pub leap_list: Option<(PathBuf, String)>,
    /// timed's `[engine] earliest_date` (None: timed's default), for replays of past dates.
    pub earliest_date: Option<String>,
    /// chrony.conf has `leapsectz right/UTC`. Without it chrony takes a leap only from its
    /// sources (timed's samples): reference.c uses the zone's leap only when the source says
    /// Normal, so with it a leap replay could not tell what timed sent.
    pub chrony_leapsectz: bool,
    /// More chrony.conf lines (e.g. an NTP server as a second witness).
    pub chrony_extra: String,
    /// timed's `[receiver] configure`. The lab uses "off" unless a test asks: the default
    /// simulator is a receiver already set up, and its tests time its lock from the start.
    pub configure: String,
    /// Lines for timed's `[receiver.setup]` table (e.g. `time_mode = "survey-in"`).
    pub receiver_setup: String,
    /// timed's `[pps] source = "off"` (no PPS wire): timed sends only coarse samples. The
    /// simulator still emits its edges; nothing reads them.
    pub pps_off: bool,
    /// chrony.conf lines replacing the lab's two refclock lines (e.g. what `timectl board chrony`
    /// renders for a board); `{dir}` stands for the lab directory, where timed's SOCK paths are
    /// (`{dir}/pps.sock`, `{dir}/coarse.sock`). SOCK output only.
    pub chrony_refclocks: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            truth_offset_s: 250e-6,
            ntp_port: 11123,
            bind_address: "127.0.0.1".into(),
            allow: "127.0.0.1".into(),
            edge_jitter_ns: 1000,
            message_delay_ms: 120.0,
            serial_delay_ms: 120.0,
            output: Output::Sock,
            scenario: None,
            netns: None,
            keep_dir: false,
            sim_args: Vec::new(),
            metrics_port: None,
            holdoff_s: 5.0,
            timed_extra: String::new(),
            fake_clock: None,
            leap_list: None,
            earliest_date: None,
            chrony_leapsectz: true,
            chrony_extra: String::new(),
            configure: "off".into(),
            receiver_setup: String::new(),
            pps_off: false,
            chrony_refclocks: None,
        }
    }
}

/// A running lab. Dropping it stops every process and removes what it created.
pub struct Lab {
    pub dir: PathBuf,
    pub opts: Options,
    chronyd: Option<Chronyd>,
    sim: Option<Child>,
    timed: Option<Child>,
    pub started: Instant,
    /// Owns `dir`: dropped (removed, unless kept) after every process has stopped.
    scratch: Scratch,
}

/// Finds a workspace binary: `$ENV` if set, else next to the running executable (or one
/// directory up, for test executables in `target/*/deps`).
pub fn locate_bin(name: &str, env: &str) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    for dir in exe.ancestors().skip(1).take(2) {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!("{name} not found next to {} (build the workspace, or set {env})", exe.display()))
}

impl Lab {
    /// Starts chronyd, the simulator and timed in a fresh private directory.
    pub fn start(opts: Options) -> Result<Lab, String> {
        let timed_bin = locate_bin("timed", "TIMED_BIN")?;
        let sim_bin = locate_bin("timed-sim", "TIMED_SIM_BIN")?;
        // chronyd disables a command socket in a world-accessible directory.
        let scratch = Scratch::with_mode("timed-lab", 0o750)?;
        let dir = scratch.to_path_buf();
        let mut lab =
            Lab { dir, opts, chronyd: None, sim: None, timed: None, started: Instant::now(), scratch };
        write(&lab.dir.join("timed.toml"), &timed_toml(&lab.dir, &lab.opts))?;
        let chronyd = Chronyd::builder()
            .netns(lab.opts.netns.as_deref())
            .fake_clock(lab.opts.fake_clock.clone())
            .start(&lab.dir, &chrony_conf(&lab.dir, &lab.opts))?;
        lab.chronyd = Some(chronyd);
        lab.start_sim(&sim_bin)?;
        lab.start_timed(&timed_bin)?;
        lab.started = Instant::now();
        Ok(lab)
    }

    fn start_timed(&mut self, bin: &Path) -> Result<(), String> {
        // Appended: a restarted timed's log follows the first one's.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("timed.log"))
            .map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        if let Some(f) = &self.opts.fake_clock {
            f.apply(&mut cmd);
        }
        let child = cmd
            .arg("-c")
            .arg(self.dir.join("timed.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        self.timed = Some(child);
        Ok(())
    }

    /// Stops timed and starts it again (a new pulse count: it takes the receiver's word afresh).
    pub fn restart_timed(&mut self) -> Result<(), String> {
        self.stop_timed();
        let bin = locate_bin("timed", "TIMED_BIN")?;
        self.start_timed(&bin)
    }

    /// The metrics URL, when the endpoint is on.
    pub fn metrics_url(&self) -> Option<String> {
        self.opts.metrics_port.map(|p| format!("http://127.0.0.1:{p}/metrics"))
    }

    /// timed's control socket (what `timectl --socket` takes).
    pub fn control_socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }

    /// timed's health snapshot, as JSON, read from its control socket as timectl reads it
    /// (docs/control.md): one `snapshot` request, one line back.
    pub fn snapshot(&self) -> Result<serde_json::Value, String> {
        use std::io::Write;
        let path = self.control_socket();
        let mut s = std::os::unix::net::UnixStream::connect(&path)
            .map_err(|e| format!("control socket {}: {e}", path.display()))?;
        s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
        s.write_all(b"snapshot\n").map_err(|e| format!("control socket {}: {e}", path.display()))?;
        let mut line = String::new();
        BufReader::new(s)
            .read_line(&mut line)
            .map_err(|e| format!("control socket {}: {e}", path.display()))?;
        serde_json::from_str(&line)
            .map_err(|e| format!("control socket {}: not a snapshot: {e}", path.display()))
    }

    pub fn chrony_socket(&self) -> PathBuf {
        self.dir.join("chronyd.sock")
    }

    fn start_sim(&mut self, bin: &Path) -> Result<(), String> {
        let d = &self.dir;
        let o = &self.opts;
        let mut cmd = sim_command(bin);
        if let Some(f) = &o.fake_clock {
            f.apply(&mut cmd);
        }
        cmd.arg("--pty")
            .arg(d.join("gps0"))
            .arg("--pps-socket")
            .arg(d.join("sim-pps.sock"))
            .arg("--truth-log")
            .arg(d.join("truth.jsonl"))
            .args(["--truth-offset", &o.truth_offset_s.to_string()])
            .args(["--edge-jitter-ns", &o.edge_jitter_ns.to_string()])
            .args(["--message-delay-ms", &o.message_delay_ms.to_string()])
            .args(["--seed", "1"]);
        if let Some(s) = &o.scenario {
            cmd.arg("--scenario").arg(s);
        }
        cmd.args(&o.sim_args);
        self.sim = Some(spawn_sim(cmd, bin, d)?);
        Ok(())
    }

    /// Stops the simulator: the receiver's pty vanishes (as a USB receiver unplugged).
    pub fn stop_sim(&mut self) {
        if let Some(c) = self.sim.as_mut() {
            stop(c);
        }
        self.sim = None;
    }

    /// Starts the simulator again (the receiver is plugged back in).
    pub fn start_sim_again(&mut self) -> Result<(), String> {
        let bin = locate_bin("timed-sim", "TIMED_SIM_BIN")?;
        self.start_sim(&bin)
    }

    /// Stops chronyd and starts it again on chrony.conf as it is now (timed keeps running).
    pub fn restart_chronyd(&mut self) -> Result<(), String> {
        self.chronyd.as_mut().ok_or("the lab has no chronyd")?.restart()
    }

    /// Process ids of timed, timed-sim and chronyd.
    pub fn pids(&self) -> [Option<u32>; 3] {
        let [timed, sim] = [&self.timed, &self.sim].map(|c| c.as_ref().map(Child::id));
        [timed, sim, self.chronyd.as_ref().and_then(Chronyd::pid)]
    }

    /// Stops timed (SIGTERM, so it logs its exit figures).
    pub fn stop_timed(&mut self) {
        if let Some(c) = self.timed.as_mut() {
            stop(c);
        }
    }

    /// Is timed still running?
    pub fn timed_alive(&mut self) -> bool {
        self.timed.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The simulator's truth log (one JSON line per simulated second).
    pub fn truth_log(&self) -> PathBuf {
        self.dir.join("truth.jsonl")
    }

    /// chrony's `log refclocks` file: every raw sample chrony received.
    pub fn refclocks_log(&self) -> PathBuf {
        self.dir.join("refclocks.log")
    }

    /// What chrony received so far, audited against the simulator's truth.
    pub fn audit(&self, limits: &audit::Limits) -> Result<audit::Report, String> {
        audit::audit_files(&self.truth_log(), &self.refclocks_log(), limits)
    }

    /// Is the simulator still running? A scenario with `seconds` ends it by itself.
    pub fn sim_running(&mut self) -> bool {
        self.sim.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn timed_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("timed.log")).unwrap_or_default()
    }

    /// Raw offsets (reference − system, seconds) chrony logged for `refid`, with their time.
    pub fn refclock_samples(&self, refid: &str) -> Vec<(String, f64)> {
        let text = std::fs::read_to_string(self.dir.join("refclocks.log")).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                if f.len() >= 9 && f[2] == refid {
                    Some((format!("{} {}", f[0], f[1]), f[6].parse().ok()?))
                } else {
                    None
                }
            })
            .collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in [self.timed.as_mut(), self.sim.as_mut()].into_iter().flatten() {
            stop(c);
        }
        if let Some(c) = self.chronyd.as_mut() {
            c.stop();
        }
        if self.opts.output == Output::Shm {
            for key in ["0x4e545030", "0x4e545031"] {
                let _ = Command::new("ipcrm").args(["-M", key]).stderr(Stdio::null()).status();
            }
        }
        // Read now, not at start: a test may decide to keep the directory while it runs.
        if self.opts.keep_dir {
            self.scratch.keep();
        }
    }
}

/// The lab's chrony.conf: both refclocks, its port (the private files are [`Chronyd`]'s).
fn chrony_conf(dir: &Path, o: &Options) -> String {
    let d = dir.display();
    let refclocks = match (o.output, &o.chrony_refclocks) {
        (Output::Sock, Some(lines)) => lines.trim_end().replace("{dir}", &d.to_string()),
        (Output::Sock, None) => format!(
            "refclock SOCK {d}/pps.sock refid PPS poll 2 precision 1e-7 prefer\n\
             refclock SOCK {d}/coarse.sock refid GPS poll 2 noselect"
        ),
        (Output::Shm, _) => "refclock SHM 1 refid PPS poll 2 precision 1e-7 prefer\n\
                             refclock SHM 0 refid GPS poll 2 noselect"
            .to_string(),
    };
    format!(
        "# timed lab: private chronyd, started with -x (never steers this machine's clock)\n\
         {refclocks}\n\
         log refclocks tracking\n\
         makestep 1 3\n\
         {}\
         port {}\nbindaddress {}\nallow {}\n{}",
        if o.chrony_leapsectz { "leapsectz right/UTC\n" } else { "" },
        o.ntp_port,
        o.bind_address,
        o.allow,
        o.chrony_extra
    )
}

/// The lab's timed.toml, pointing timed at the simulator and the lab's chronyd.
fn timed_toml(dir: &Path, o: &Options) -> String {
    let d = dir.display();
    let (list, expired) =
        o.leap_list.as_ref().map_or((String::new(), "hold"), |(p, e)| (p.display().to_string(), e));
    let earliest = o.earliest_date.as_ref().map_or(String::new(), |d| format!("earliest_date = \"{d}\"\n"));
    let (sock_pps, sock_coarse, shm) = match o.output {
        Output::Sock => (format!("{d}/pps.sock"), format!("{d}/coarse.sock"), false),
        Output::Shm => (String::new(), String::new(), true),
    };
    format!(
        "# timed lab configuration (PPS edges are SIMULATED by timed-sim)\n\
         [receiver]\ndevice = \"{d}/gps0\"\nbaud = 115200\nserial_delay_ms = {}\nconfigure = {:?}\n\n\
         [receiver.setup]\n{}\n\n\
         [pps]\nsource = \"{}\"\nsim_socket = \"{d}/sim-pps.sock\"\n\n\
         [engine]\n{earliest}\n\
         [chrony]\ncommand_socket = \"{d}/chronyd.sock\"\n\n\
         [chrony.sock]\npps = \"{sock_pps}\"\ncoarse = \"{sock_coarse}\"\n\n\
         [chrony.shm]\nenabled = {shm}\ncoarse_unit = 0\npps_unit = 1\n\n\
         [metrics]\nenabled = {}\nlisten = \"127.0.0.1:{}\"\n\n\
         [control]\nsocket = \"{d}/control.sock\"\n\n\
         [integrity]\nholdoff_s = {:?}\n\n\
         # The simulated receiver's leap data is not the real list's, and whether the host's copy\n\
         # of that list has expired depends on the day the lab runs: the lab uses none unless a\n\
         # test names one.\n\
         [leap]\nlist = \"{list}\"\nexpired = \"{expired}\"\n\n\
         # The lab's chronyd serves no NTS: no certificate to show (and none of the host's looked at).\n\
         [nts]\ncert = \"\"\n{}",
        o.serial_delay_ms,
        o.configure,
        o.receiver_setup.trim_end(),
        if o.pps_off { "off" } else { "simulated" },
        o.metrics_port.is_some(),
        o.metrics_port.unwrap_or(9477),
        o.holdoff_s,
        o.timed_extra
    )
}

/// The simulator stands in for a receiver, which emits on its own hardware clock, not on a
/// shared CPU: where allowed (root) it runs SCHED_FIFO, so a busy host (a 2-core CI machine
/// running several labs) does not start its bursts late. Measured without it under load: first
/// bytes up to 9 ms late, all of it charged to the daemon's coarse samples. The daemon under
/// test keeps the normal policy.
pub fn sim_command(bin: &Path) -> Command {
    if !realtime_allowed() {
        return Command::new(bin);
    }
    let mut c = Command::new("chrt");
    c.args(SIM_FIFO).arg(bin);
    c
}

const SIM_FIFO: [&str; 2] = ["--fifo", "10"];

/// Starts the simulator command (from [`sim_command`]) with its stderr in `dir/sim.log` and
/// returns once it says `ready` (its ptys and sockets exist then); stops it if it never does.
pub fn spawn_sim(mut cmd: Command, bin: &Path, dir: &Path) -> Result<Child, String> {
    let path = dir.join("sim.log");
    let log = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let Some(out) = child.stdout.take() else {
        stop(&mut child);
        return Err("timed-sim has no stdout".into());
    };
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads to the end, not only to `ready`: a full pipe would block the simulator.
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.trim() == "ready" {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(15)).is_err() {
        stop(&mut child);
        return Err(format!("timed-sim did not become ready (see {})", path.display()));
    }
    Ok(child)
}

/// Whether this process may start a SCHED_FIFO program (`chrt` present and permitted).
pub fn realtime_allowed() -> bool {
    Command::new("chrt")
        .args(SIM_FIFO)
        .arg("true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn write(p: &Path, s: &str) -> Result<(), String> {
    std::fs::write(p, s).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// Polls `f` every 50 ms until it holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> Result<Duration, Duration> {
    let t = Instant::now();
    while t.elapsed() < timeout {
        if f() {
            return Ok(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(t.elapsed())
}
