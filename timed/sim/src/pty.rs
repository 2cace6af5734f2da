//! The simulated serial ports: ptys whose slave a daemon opens through a symlink, and a reader
//! per pty that drains what the host writes, records it (`--record-input`), and hands the
//! receiver model the UBX frames it would receive: CFG-* and MON-VER polls, as a UART at the
//! receiver's speed reads them from a host at the speed it set on the port.

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::openpty;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
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

    /// The speed the host set on its end of the port (termios output speed; a pty stores it
    /// and ignores it, so this is what a real UART would be clocked at). None if unreadable.
    pub fn host_baud(&self) -> Option<u32> {
        host_baud(self.master.as_fd())
    }

    /// Starts the thread that drains the pty and reports UBX input as `(pty, class, id,
    /// payload)`.
    pub fn spawn_reader(
        &self,
        index: usize,
        input: Input,
        wake: impl Fn() + Send + 'static,
    ) -> Result<JoinHandle<()>, String> {
        let master = self.master.try_clone().map_err(|e| format!("pty {}: dup: {e}", self.link.display()))?;
        let name = self.link.display().to_string();
        std::thread::Builder::new()
            .name(format!("pty-reader-{index}"))
            .spawn(move || read_loop(master, &name, index, &input, &wake))
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

/// The host's termios speed on a pty (either end: the master's termios calls reach the slave).
fn host_baud(fd: std::os::fd::BorrowedFd<'_>) -> Option<u32> {
    rustix::termios::tcgetattr(fd).ok().map(|t| t.output_speed())
}

/// A UBX frame the host sent: pty index, class, id, payload.
pub type HostFrame = (usize, u8, u8, Vec<u8>);

/// What a reader needs besides its pty.
#[derive(Clone)]
pub struct Input {
    pub frames: Sender<HostFrame>,
    pub stop: Arc<AtomicBool>,
    /// The receiver's UART speed now (changed by CFG-PRT / CFG-UART1-BAUDRATE).
    pub rx_baud: Arc<AtomicU32>,
    /// The host's speed: fixed (`--host-baud`), read from the pty's termios, or none (the
    /// host always matches the receiver).
    pub host: crate::line::HostBaud,
    /// `--record-input`: every byte the host wrote, as written.
    pub record: Option<Arc<Mutex<File>>>,
}

fn read_loop(mut master: File, name: &str, index: usize, input: &Input, wake: &dyn Fn()) {
    let stop = &*input.stop;
    let mut framer = Framer::new();
    let mut record_failed = false;
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
                    if let Some(rec) = &input.record {
                        if let Err(e) = rec
                            .lock()
                            .map_err(|e| e.to_string())
                            .and_then(|mut f| f.write_all(&buf[..n]).map_err(|e| e.to_string()))
                        {
                            if !std::mem::replace(&mut record_failed, true) {
                                eprintln!("timed-sim: recording input: {e}");
                            }
                        }
                    }
                    let rx = input.rx_baud.load(Ordering::Relaxed);
                    let bytes = match input.host.speed(|| host_baud(master.as_fd())) {
                        Some(h) if h != rx => match crate::uart::MisreadUart::new(h, rx) {
                            // The receiver's UART samples the host's bits at its own speed.
                            Ok(mut u) => u.feed(&buf[..n], true),
                            Err(_) => Vec::new(),
                        },
                        _ => buf[..n].to_vec(),
                    };
                    let mut got = Vec::new();
                    framer.feed(&bytes, |f| {
                        if let Frame::Ubx { class, id, payload } = f.frame {
                            // CFG messages, and polls (empty) of MON, NAV and TIM messages.
                            if class == 0x06 || (payload.is_empty() && matches!(class, 0x01 | 0x0A | 0x0D)) {
                                got.push((index, class, id, payload.to_vec()));
                            }
                        }
                    });
                    for frame in got {
                        // The scheduler owns the line and the model; it slots the reply in
                        // between frames.
                        if input.frames.send(frame).is_err() {
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
