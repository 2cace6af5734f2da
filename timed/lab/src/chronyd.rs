//! A private, sandboxed chronyd for the labs and the end-to-end tests: the one place that starts
//! chronyd, so every instance is `-x` (it never steers this machine's clock) and keeps its
//! command socket, pid, drift and log files in its own directory.

use crate::scratch::Scratch;
use crate::wait_for;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a [`Chronyd`] is started. Defaults: runs as root, in this network and IPC namespace.
#[derive(Clone, Debug, Default)]
pub struct ChronydBuilder {
    user: Option<String>,
    netns: Option<String>,
    unshare_ipc: bool,
    fake_clock: Option<crate::FakeClock>,
}

impl ChronydBuilder {
    /// The user chronyd drops to (`-u`); its directory is handed to that user, as chronyd
    /// requires for the command socket then.
    pub fn user(mut self, user: &str) -> Self {
        self.user = Some(user.to_string());
        self
    }

    /// Run inside this network namespace (`ip netns exec NAME`), when given.
    pub fn netns(mut self, ns: Option<&str>) -> Self {
        self.netns = ns.map(str::to_string);
        self
    }

    /// Run on a faked wall clock (libfaketime; the lab's processes share one offset).
    pub fn fake_clock(mut self, clock: Option<crate::FakeClock>) -> Self {
        self.fake_clock = clock;
        self
    }

    /// Run in a new SysV IPC namespace (`unshare --ipc`): its SHM segments exist only there, so
    /// they never meet another test's or a system daemon's.
    pub fn unshare_ipc(mut self) -> Self {
        self.unshare_ipc = true;
        self
    }

    /// Starts chronyd in `dir` (which must not be world-accessible) on `conf` plus the private
    /// lines, written to `dir/chrony.conf`; returns once the command socket exists.
    pub fn start(self, dir: &Path, conf: &str) -> Result<Chronyd, String> {
        self.start_owned(dir.to_path_buf(), None, conf)
    }

    /// As [`ChronydBuilder::start`], in a fresh 0750 [`Scratch`] directory named from `tag`,
    /// removed when the chronyd is dropped.
    pub fn start_scratch(self, tag: &str, conf: &str) -> Result<Chronyd, String> {
        let scratch = Scratch::with_mode(tag, 0o750)?;
        self.start_owned(scratch.to_path_buf(), Some(scratch), conf)
    }

    fn start_owned(self, dir: PathBuf, scratch: Option<Scratch>, conf: &str) -> Result<Chronyd, String> {
        let user = self.user.clone().unwrap_or_else(|| "root".into());
        if user != "root" {
            let ok =
                Command::new("chown").arg(format!("{user}:")).arg(&dir).status().is_ok_and(|s| s.success());
            if !ok {
                return Err(format!("cannot hand {} to {user}", dir.display()));
            }
        }
        let text = format!("{}{}", with_newline(conf), private_lines(&dir));
        let path = dir.join("chrony.conf");
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut c = Chronyd { builder: self, user, dir, child: None, _scratch: scratch };
        c.spawn()?;
        Ok(c)
    }
}

fn with_newline(s: &str) -> String {
    if s.is_empty() || s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

/// What makes a chronyd private: no command port, and the command socket, pid, drift and log
/// files in its own directory (chronyd's defaults are shared with the system's chronyd).
pub fn private_lines(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "# private files of this sandboxed chronyd\n\
         cmdport 0\nbindcmdaddress {d}/chronyd.sock\npidfile {d}/chronyd.pid\n\
         driftfile {d}/chrony.drift\nlogdir {d}\n"
    )
}

/// A running private chronyd (`-d -x`). Dropping it stops it: SIGCONT (a test may have stopped
/// it), SIGTERM, and SIGKILL after 3 s.
pub struct Chronyd {
    builder: ChronydBuilder,
    user: String,
    dir: PathBuf,
    child: Option<Child>,
    _scratch: Option<Scratch>,
}

impl Chronyd {
    pub fn builder() -> ChronydBuilder {
        ChronydBuilder::default()
    }

    /// [`ChronydBuilder::start`] with the defaults.
    pub fn start(dir: &Path, conf: &str) -> Result<Chronyd, String> {
        Chronyd::builder().start(dir, conf)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let sock = self.socket();
        // Gone before the start, so that waiting for it means this chronyd made it.
        let _ = std::fs::remove_file(&sock);
        let out = self.dir.join("chronyd.out");
        let log = std::fs::File::create(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        // The wrappers exec chronyd in place: the child's pid is chronyd's.
        let mut cmd = match (&self.builder.netns, self.builder.unshare_ipc) {
            (Some(ns), _) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]);
                if self.builder.unshare_ipc {
                    c.args(["unshare", "--ipc"]);
                }
                c.arg("chronyd");
                c
            }
            (None, true) => {
                let mut c = Command::new("unshare");
                c.args(["--ipc", "chronyd"]);
                c
            }
            (None, false) => Command::new("chronyd"),
        };
        cmd.args(["-d", "-x", "-u", &self.user, "-f"]).arg(self.conf());
        if let Some(f) = &self.builder.fake_clock {
            f.apply(&mut cmd);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start chronyd (apt-get install chrony): {e}"))?;
        self.child = Some(child);
        if wait_for(Duration::from_secs(10), || sock.exists()).is_err() {
            self.stop();
            return Err(format!(
                "chronyd did not create {} (see {}): {}",
                sock.display(),
                out.display(),
                self.log()
            ));
        }
        Ok(())
    }

    /// Stops chronyd and starts it again on `chrony.conf` as it is now (a test may have edited
    /// it), with the same options.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.spawn()
    }

    /// Stops chronyd (see [`Chronyd`]); a no-op once it has exited.
    pub fn stop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            stop(c);
        }
    }

    /// The command socket (what `chronyc -h` takes).
    pub fn socket(&self) -> PathBuf {
        self.dir.join("chronyd.sock")
    }

    /// The configuration chronyd runs with (`-f`).
    pub fn conf(&self) -> PathBuf {
        self.dir.join("chrony.conf")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What chronyd wrote to stderr (it logs there with `-d`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("chronyd.out")).unwrap_or_default()
    }

    /// chronyd's process id (the wrappers exec it in place).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Chronyd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SIGCONT (a stopped process does not act on SIGTERM), SIGTERM, then SIGKILL after 3 s.
pub(crate) fn stop(c: &mut Child) {
    if !matches!(c.try_wait(), Ok(None)) {
        return;
    }
    for sig in ["-CONT", "-TERM"] {
        let _ = Command::new("kill").args([sig, &c.id().to_string()]).stderr(Stdio::null()).status();
    }
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        if !matches!(c.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = c.kill();
    let _ = c.wait();
}
