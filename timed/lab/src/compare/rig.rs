//! The side-by-side rig: one `timed-sim` writing the same bytes at the same instants to two ptys,
//! `timed` on one and `gpsd` on the other, each with its own sandboxed `chronyd -x`.
//!
//! Isolation (nothing here touches the machine's clock, system daemons or other tests):
//! - both chronyds run `-x` with a private command socket (in a mode-750 directory, or chronyd
//!   disables it), port, pidfile, driftfile and logdir;
//! - gpsd and its chronyd share a private SysV IPC namespace (`unshare --ipc` for chronyd,
//!   `nsenter --ipc` for gpsd): gpsd's NTP0 (key 0x4e545030) and its GPSD export segment exist only
//!   there and vanish with the namespace, so they can never clash with another test's or a
//!   system gpsd's segments, and need no `ipcrm`;
//! - timed uses chrony SOCK (SHM off), so the two daemons never share a segment;
//! - gpsd runs `-b` (read-only), `-N` (foreground), `-n` (no wait for clients), `-D 0`, with a
//!   private control socket (`-F`) and port (`-S`), so it never meets a system gpsd's hotplug
//!   socket or port 2947.
//!
//! gpsd classifies a pty (major 136–143) as its test harness and then never writes NTP SHM
//! (gpsd 3.22 serial.c `gpsd_classify`, ntpshm.c `ntpshm_link_activate`; measured here). The
//! LD_PRELOAD shim `tests/bench/gpsd-pty-shim.c` (its header has the details) makes
//! `stat()` of a pty report a ttyS major (4), so gpsd treats it as the UART it stands in for.
//! That is the only thing done to gpsd.

use super::{Load, Settings};
use crate::chronyd::stop;
use crate::{locate_bin, Chronyd, Scratch};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which process a figure belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proc {
    Timed,
    Gpsd,
    Sim,
    ChronydTimed,
    ChronydGpsd,
}

impl Proc {
    pub const ALL: [Proc; 5] = [Proc::Timed, Proc::Gpsd, Proc::Sim, Proc::ChronydTimed, Proc::ChronydGpsd];

    pub fn name(self) -> &'static str {
        match self {
            Proc::Timed => "timed",
            Proc::Gpsd => "gpsd",
            Proc::Sim => "timed-sim",
            Proc::ChronydTimed => "chronyd (timed's)",
            Proc::ChronydGpsd => "chronyd (gpsd's)",
        }
    }

    /// What `/proc/PID/comm` must say (a check that the pid is the program, not a wrapper).
    fn comm(self) -> &'static str {
        match self {
            Proc::Timed => "timed",
            Proc::Gpsd => "gpsd",
            Proc::Sim => "timed-sim",
            Proc::ChronydTimed | Proc::ChronydGpsd => "chronyd",
        }
    }
}

/// A running rig. Dropping it stops every process (SIGTERM, then SIGKILL) and removes its
/// directory unless asked to keep it.
pub struct Rig {
    pub dir: PathBuf,
    /// Owns `dir`: dropped (removed, unless kept) after every process has stopped.
    _scratch: Scratch,
    procs: Vec<(Proc, Child)>,
    chronyds: Vec<(Proc, Chronyd)>,
    logs: Vec<(Proc, PathBuf)>,
    pub metrics_port: u16,
    /// When the simulator said `ready`.
    pub started: Instant,
}

impl Rig {
    pub fn start(s: &Settings, load: Load) -> Result<Rig, String> {
        let timed_bin = locate_bin("timed", "TIMED_BIN")?;
        let sim_bin = locate_bin("timed-sim", "TIMED_SIM_BIN")?;
        if !s.shim.is_file() {
            return Err(format!(
                "gpsd pty shim {} not found (tests/bench/compare.sh builds it)",
                s.shim.display()
            ));
        }
        let mut scratch = Scratch::with_mode(&format!("timed-compare-{}", load.name()), 0o750)?;
        if s.keep {
            scratch.keep();
        }
        let mut rig = Rig {
            dir: scratch.to_path_buf(),
            _scratch: scratch,
            procs: Vec::new(),
            chronyds: Vec::new(),
            logs: Vec::new(),
            metrics_port: s.port_base + 2,
            started: Instant::now(),
        };
        let d = rig.dir.clone();
        let ct = make_sub(&d, "chrony-timed")?;
        let cg = make_sub(&d, "chrony-gpsd")?;
        let baud = load.baud();
        let delay = s.message_delay_ms;
        let conf_timed = chrony_conf(
            s.port_base,
            &format!(
                "refclock SOCK {0}/pps.sock refid PPS poll 2 precision 1e-7 prefer\n\
                 refclock SOCK {0}/coarse.sock refid GPS poll 2 noselect\n",
                ct.display()
            ),
        );
        // gpsd writes its serial time to NTP0 (root, unit 0 for the first device).
        let conf_gpsd = chrony_conf(s.port_base + 1, "refclock SHM 0 refid GPS poll 2 noselect\n");
        write(
            &d.join("timed.toml"),
            &format!(
                "# timed-compare: timed on the simulator's first pty (PPS edges SIMULATED by timed-sim)\n\
                 [receiver]\ndevice = \"{d}/gps-timed\"\nbaud = {baud}\nserial_delay_ms = {delay}\n\n\
                 [pps]\nsource = \"simulated\"\nsim_socket = \"{d}/sim-pps.sock\"\n\n\
                 [chrony]\ncommand_socket = \"{c}/chronyd.sock\"\n\n\
                 [chrony.sock]\npps = \"{c}/pps.sock\"\ncoarse = \"{c}/coarse.sock\"\n\n\
                 [chrony.shm]\nenabled = false\n\n\
                 [metrics]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n\n\
                 [control]\nsocket = \"{d}/control.sock\"\n",
                d = d.display(),
                c = ct.display(),
                port = rig.metrics_port,
            ),
        )?;
        if load == Load::Basic {
            // A plain GPS-only receiver with few satellites: RMC, GGA, GSA, GSV ×1, ZDA.
            write(&d.join("basic.toml"), "constellations = [\"gps\"]\nsatellites = 4\n")?;
        }

        let chronyd = Chronyd::start(&ct, &conf_timed)?;
        rig.chronyds.push((Proc::ChronydTimed, chronyd));
        rig.logs.push((Proc::ChronydTimed, ct.join("chronyd.out")));
        let chronyd = Chronyd::builder().unshare_ipc().start(&cg, &conf_gpsd)?;
        rig.chronyds.push((Proc::ChronydGpsd, chronyd));
        rig.logs.push((Proc::ChronydGpsd, cg.join("chronyd.out")));

        rig.start_sim(&sim_bin, s, load)?;

        let mut c = Command::new(&timed_bin);
        c.arg("-c").arg(d.join("timed.toml"));
        rig.spawn(Proc::Timed, c, &d.join("timed.log"))?;

        let chronyd_gpsd = rig.pid(Proc::ChronydGpsd).ok_or("gpsd's chronyd is not running")?;
        let mut c = Command::new("nsenter");
        c.env("LD_PRELOAD", &s.shim)
            .arg(format!("--target={chronyd_gpsd}"))
            .args(["--ipc", "--", "gpsd", "-b", "-N", "-n", "-D", "0", "-s", &baud.to_string(), "-F"])
            .arg(d.join("gpsd.sock"))
            .args(["-S", &(s.port_base + 3).to_string(), "-P"])
            .arg(d.join("gpsd.pid"))
            .arg(d.join("gps-gpsd"));
        rig.spawn(Proc::Gpsd, c, &d.join("gpsd.log"))?;

        // nsenter and unshare exec their command in place: the pids must now be the programs.
        std::thread::sleep(Duration::from_millis(500));
        rig.check_alive()?;
        for p in Proc::ALL {
            let pid = rig.pid(p).ok_or_else(|| format!("{} has no pid", p.name()))?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() != p.comm() {
                return Err(format!("pid {pid} is {:?}, expected {}", comm.trim(), p.comm()));
            }
        }
        Ok(rig)
    }

    fn start_sim(&mut self, bin: &Path, s: &Settings, load: Load) -> Result<(), String> {
        let d = self.dir.clone();
        // SCHED_FIFO where allowed, as in the lab (`crate::sim_command`): bursts start on time.
        let mut c = crate::sim_command(bin);
        // timed's pty first: the simulator writes each chunk to its ptys in this order, a few
        // microseconds apart (negligible against the millisecond figures compared here).
        c.arg("--pty")
            .arg(d.join("gps-timed"))
            .arg("--pty")
            .arg(d.join("gps-gpsd"))
            .arg("--pps-socket")
            .arg(d.join("sim-pps.sock"))
            .arg("--truth-log")
            .arg(d.join("truth.jsonl"))
            .args(["--seed", "1", "--baud", &load.baud().to_string()])
            .args(["--message-delay-ms", &s.message_delay_ms.to_string()]);
        if let Some(j) = s.message_jitter_ms {
            c.args(["--message-jitter-ms", &j.to_string()]);
        }
        match load {
            Load::Basic => {
                c.arg("--scenario").arg(d.join("basic.toml")).args(["--protocol", "nmea"]);
            }
            Load::Saturated => {
                c.args(["--protocol", "ubx+nmea", "--fill", "0.95"]);
            }
        }
        let child = crate::spawn_sim(c, bin, &d)?;
        self.procs.push((Proc::Sim, child));
        self.logs.push((Proc::Sim, d.join("sim.log")));
        self.started = Instant::now();
        Ok(())
    }

    fn spawn(&mut self, p: Proc, mut c: Command, log: &Path) -> Result<(), String> {
        let f = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = c
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(f)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", p.name()))?;
        self.procs.push((p, child));
        self.logs.push((p, log.to_path_buf()));
        Ok(())
    }

    pub fn pid(&self, p: Proc) -> Option<u32> {
        let child = self.procs.iter().find(|(q, _)| *q == p).map(|(_, c)| c.id());
        child.or_else(|| self.chronyds.iter().find(|(q, _)| *q == p).and_then(|(_, c)| c.pid()))
    }

    /// Is every process still running? Names the first that is not.
    pub fn check_alive(&mut self) -> Result<(), String> {
        let procs = self.procs.iter_mut().map(|(p, c)| (*p, matches!(c.try_wait(), Ok(None))));
        let chronyds = self.chronyds.iter_mut().map(|(p, c)| (*p, c.running()));
        let dead = procs.chain(chronyds).find(|(_, running)| !running).map(|(p, _)| p);
        let Some(p) = dead else { return Ok(()) };
        let log = self.logs.iter().find(|(q, _)| *q == p).map(|(_, l)| l.clone());
        let tail = log.as_ref().map(|l| std::fs::read_to_string(l).unwrap_or_default()).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(3).collect();
        Err(format!(
            "{} exited (see {}): {}",
            p.name(),
            log.map_or_else(|| self.dir.display().to_string(), |l| l.display().to_string()),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ))
    }

    /// Stops one process (SIGTERM; timed then logs its exit figures).
    pub fn stop(&mut self, p: Proc) {
        if let Some((_, c)) = self.procs.iter_mut().find(|(q, _)| *q == p) {
            stop(c);
        }
        if let Some((_, c)) = self.chronyds.iter_mut().find(|(q, _)| *q == p) {
            c.stop();
        }
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap_or_default()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        // Daemons before the simulator (their ptys vanish with it), chronyds last.
        for p in [Proc::Timed, Proc::Gpsd, Proc::Sim, Proc::ChronydTimed, Proc::ChronydGpsd] {
            self.stop(p);
        }
    }
}

/// A chronyd's configuration but for its private files ([`Chronyd`] adds those).
fn chrony_conf(port: u16, refclocks: &str) -> String {
    format!(
        "# timed-compare: private chronyd, started with -x (never steers this machine's clock)\n\
         {refclocks}log refclocks\n\
         port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\n"
    )
}

/// A mode-750 subdirectory: chronyd disables a command socket in a world-accessible directory.
fn make_sub(d: &Path, name: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let p = d.join(name);
    std::fs::create_dir(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o750))
        .map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(p)
}

fn write(p: &Path, s: &str) -> Result<(), String> {
    std::fs::write(p, s).map_err(|e| format!("cannot write {}: {e}", p.display()))
}
