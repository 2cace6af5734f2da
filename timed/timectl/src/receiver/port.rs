//! The serial port of `timectl receiver`: who else holds it, opening it exclusively, and the
//! loop that carries the session's actions out on it.

use serialport::{ClearBuffer, SerialPort, TTYPort};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use timed_core::receiver::{Action, Report, Session};

/// What to do instead, in every refusal.
const INSTEAD: &str =
    "set [receiver] configure = \"apply\" in timed.toml and timed sets the receiver up itself \
     at start and on every reconnect (`timectl status` shows the result), or stop timed first \
     (systemctl stop timed) and run this again";

/// Refuses a port that a running timed holds (its control socket names the device, or a
/// process named timed has it open): two programs writing configuration to one receiver, or one
/// reading the other's answers, end in a half-applied set-up. As root, TIOCEXCL does not keep
/// timectl out (the kernel lets CAP_SYS_ADMIN through), so this is checked first.
pub fn check_owner(device: &Path, socket: &Path) -> Result<(), String> {
    let canon = std::fs::canonicalize(device).unwrap_or_else(|_| device.to_path_buf());
    let holders = holders(&canon);
    if let Ok(msg) = crate::client::snapshot(socket) {
        if let Some(h) = msg.timed {
            let theirs = std::fs::canonicalize(&h.receiver.device)
                .unwrap_or_else(|_| PathBuf::from(&h.receiver.device));
            if theirs == canon {
                let pid = holders.iter().find(|(_, c)| c == "timed").map(|(p, _)| *p).or_else(timed_pid);
                let who = pid.map_or("timed".to_string(), |p| format!("timed (pid {p})"));
                return Err(format!(
                    "{} is the receiver port of the running {who} (control socket {}): {INSTEAD}",
                    device.display(),
                    socket.display()
                ));
            }
        }
    }
    if let Some((pid, _)) = holders.iter().find(|(_, c)| c == "timed") {
        return Err(format!("{} is open in timed (pid {pid}): {INSTEAD}", device.display()));
    }
    Ok(())
}

/// Processes (pid, command name) with `dev` open, from /proc/*/fd; unreadable entries (other
/// users' processes when not root) are skipped.
fn holders(dev: &Path) -> Vec<(u32, String)> {
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut out = Vec::new();
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else { continue };
        if fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == dev)) {
            let comm = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
            out.push((pid, comm.trim().to_string()));
        }
    }
    out
}

/// A process named timed, when the snapshot says timed has the device but the device is not
/// open (absent, reconnecting).
fn timed_pid() -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|p| {
        let pid = p.file_name().to_str()?.parse::<u32>().ok()?;
        let comm = std::fs::read_to_string(p.path().join("comm")).ok()?;
        (comm.trim() == "timed").then_some(pid)
    })
}

pub struct Port {
    port: TTYPort,
    device: PathBuf,
}

impl Port {
    /// Opens `device` 8N1 with TIOCEXCL, so that no one opens it while the set-up runs.
    pub fn open(device: &Path, baud: u32) -> Result<Port, String> {
        let path = device.to_string_lossy().to_string();
        match serialport::new(&path, baud).timeout(Duration::from_millis(50)).open_native() {
            Ok(port) => Ok(Port { port, device: device.to_path_buf() }),
            Err(e) if e.to_string().contains("busy") => {
                Err(format!("{path} is held exclusively by another program: {INSTEAD}"))
            }
            Err(e) => Err(format!("cannot open {path}: {e}")),
        }
    }

    /// Runs the session to its end. Time is milliseconds since `start`.
    pub fn drive(&mut self, s: &mut Session, start: Instant) -> Result<Report, String> {
        let dev = self.device.display().to_string();
        let mut buf = [0u8; 4096];
        loop {
            let now = start.elapsed().as_millis() as u64;
            match s.poll(now) {
                Action::Send(bytes) => {
                    self.port
                        .write_all(&bytes)
                        .and_then(|_| self.port.flush())
                        .map_err(|e| format!("writing to {dev}: {e}"))?;
                }
                Action::SetBaud(b) => {
                    // Let what was written leave at the old speed before the line changes.
                    let _ = self.port.flush();
                    self.port.set_baud_rate(b).map_err(|e| format!("setting {dev} to {b} baud: {e}"))?;
                    // Bytes read at the old speed mean nothing at the new one.
                    let _ = self.port.clear(ClearBuffer::Input);
                }
                Action::Wait { until_ms } => {
                    let wait = until_ms.saturating_sub(now).clamp(1, 200);
                    let _ = self.port.set_timeout(Duration::from_millis(wait));
                    match self.port.read(&mut buf) {
                        Ok(n) if n > 0 => s.feed(&buf[..n], start.elapsed().as_millis() as u64),
                        Ok(_) => std::thread::sleep(Duration::from_millis(wait.min(20))),
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(format!("reading {dev}: {e}")),
                    }
                }
                Action::Done(r) => return Ok(r),
            }
        }
    }
}
