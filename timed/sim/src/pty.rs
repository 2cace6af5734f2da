//! The simulated serial ports: ptys whose slave a daemon opens through a symlink, and a reader
//! per pty that drains what the daemon writes and spots UBX CFG messages to acknowledge.

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::openpty;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use timed_core::framer::{Frame, Framer};

/// One pty and the symlink naming its slave. Dropping it removes the symlink.
pub struct Pty {
    pub link: PathBuf,
    pub slave_path: PathBuf,
    master: File,
    /// Kept open so the slave side never counts as hung up: the daemon may close and reopen
    /// it, and the reader never sees EIO in between.
    _slave: OwnedFd,
}

impl Pty {
    /// Opens a pty in raw mode without echo and points `link` at its slave, replacing a stale
    /// symlink (but never a file that is not a symlink).
    pub fn create(link: &Path) -> Result<Pty, String> {
        let fail = |what: &str, e: &dyn std::fmt::Display| format!("pty for {}: {what}: {e}", link.display());
        let pair = openpty(None, None).map_err(|e| fail("openpty", &e))?;
        let mut t = tcgetattr(&pair.slave).map_err(|e| fail("tcgetattr", &e))?;
        cfmakeraw(&mut t);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &t).map_err(|e| fail("tcsetattr", &e))?;
        // Writes must never block the scheduler when nobody reads the slave: a full buffer
        // drops bytes as an unread UART would.
        fcntl(&pair.master, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(|e| fail("O_NONBLOCK", &e))?;
        let slave_path = nix::unistd::ttyname(&pair.slave).map_err(|e| fail("ttyname", &e))?;
        match std::fs::symlink_metadata(link) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::remove_file(link).map_err(|e| fail("removing stale symlink", &e))?;
            }
            Ok(_) => return Err(fail("exists and is not a symlink", &"refusing to replace it")),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(fail("stat", &e)),
        }
        std::os::unix::fs::symlink(&slave_path, link).map_err(|e| fail("creating symlink", &e))?;
        Ok(Pty { link: link.to_path_buf(), slave_path, master: File::from(pair.master), _slave: pair.slave })
    }

    /// Writes what the pty takes now; returns how many bytes were taken (the rest is lost,
    /// like bytes nobody reads off a UART).
    pub fn write(&self, bytes: &[u8]) -> std::io::Result<usize> {
        match (&self.master).write(bytes) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Starts the thread that drains the pty and reports CFG messages as `(pty, class, id)`.
    pub fn spawn_reader(
        &self,
        index: usize,
        acks: Sender<(usize, u8, u8)>,
        stop: Arc<AtomicBool>,
        wake: impl Fn() + Send + 'static,
    ) -> Result<JoinHandle<()>, String> {
        let master = self.master.try_clone().map_err(|e| format!("pty {}: dup: {e}", self.link.display()))?;
        let name = self.link.display().to_string();
        std::thread::Builder::new()
            .name(format!("pty-reader-{index}"))
            .spawn(move || read_loop(master, &name, index, &acks, &stop, &wake))
            .map_err(|e| format!("pty {}: reader thread: {e}", self.link.display()))
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // Only remove the link if it is still ours (someone may have re-pointed it).
        if std::fs::read_link(&self.link).is_ok_and(|t| t == self.slave_path) {
            if let Err(e) = std::fs::remove_file(&self.link) {
                eprintln!("timed-sim: removing {}: {e}", self.link.display());
            }
        }
    }
}

fn read_loop(
    mut master: File,
    name: &str,
    index: usize,
    acks: &Sender<(usize, u8, u8)>,
    stop: &AtomicBool,
    wake: &dyn Fn(),
) {
    let mut framer = Framer::new();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        // The master is non-blocking (shared with the writer), so wait with poll; the timeout
        // bounds how long a stop request goes unnoticed.
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        if let Err(e) = poll(&mut fds, PollTimeout::from(200u16)) {
            if e != nix::errno::Errno::EINTR {
                eprintln!("timed-sim: pty {name}: poll: {e}");
                return;
            }
            continue;
        }
        loop {
            match master.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let mut cfg = Vec::new();
                    framer.feed(&buf[..n], |f| {
                        if let Frame::Ubx { class: 0x06, id, .. } = f.frame {
                            cfg.push(id);
                        }
                    });
                    for id in cfg {
                        // The scheduler owns the line; it slots the ACK in between frames.
                        if acks.send((index, 0x06, id)).is_err() {
                            return;
                        }
                        wake();
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => break,
                Err(e) => {
                    // EIO while no slave is open cannot happen (we hold one), but do not spin.
                    eprintln!("timed-sim: pty {name}: read: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    break;
                }
            }
        }
    }
}
