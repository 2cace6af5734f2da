//! chrony `refclock SOCK` output: one `sock_sample` (pulse = 0, offset = true − system) per
//! sample, sent on an unconnected datagram socket to the path chrony created. Sending to the
//! path every time means a restarted chronyd (a new socket at the same path) gets the very next
//! sample without any reconnect logic.
//!
//! The record is in the target's native layout, because chronyd reads it as its own C struct:
//! 40 bytes where `struct timeval` is 16 (LP64: x86_64, aarch64), 32 where it is 8 (ILP32 with a
//! 32-bit `time_t`, such as armv7 gnueabihf). chronyd drops a datagram of any other size, so the
//! assertion below ties timed-core's `Abi` for this target to libc's `timeval`.

use super::{SinkState, SinkStats};
use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use timed_core::chrony::{encode_sock, Abi, Sample};

// The native `struct sock_sample` must be what timed-core encodes for this target.
const _: () = assert!(std::mem::size_of::<libc::timeval>() + 24 == Abi::native().sock_len());

pub struct SockSink {
    path: PathBuf,
    socket: Option<UnixDatagram>,
    pub state: SinkState,
    pub stats: SinkStats,
}

impl SockSink {
    pub fn new(path: &Path) -> SockSink {
        SockSink { path: path.into(), socket: None, state: SinkState::Idle, stats: SinkStats::default() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends one sample. Returns the new state if it changed (for logging).
    pub fn send(&mut self, sample: &Sample) -> Option<SinkState> {
        let bytes = encode_sock(sample, Abi::native());
        let path = self.path.clone();
        let result = self.socket().and_then(|s| s.send_to(&bytes, &path));
        let new = match result {
            Ok(_) => {
                self.stats.sent += 1;
                self.stats.last_sent_ns = Some(sample.system_ns);
                SinkState::Ok
            }
            Err(e) => {
                self.stats.errors += 1;
                SinkState::Failing(explain(&self.path, &e))
            }
        };
        (new != self.state).then(|| {
            self.state = new.clone();
            new
        })
    }

    fn socket(&mut self) -> io::Result<&UnixDatagram> {
        if self.socket.is_none() {
            let s = UnixDatagram::unbound()?;
            s.set_nonblocking(true)?;
            self.socket = Some(s);
        }
        self.socket.as_ref().ok_or_else(|| io::Error::other("socket unavailable"))
    }
}

/// A failure in words a user can act on.
fn explain(path: &Path, e: &io::Error) -> String {
    let p = path.display();
    match e.raw_os_error() {
        Some(libc::ENOENT) => format!("{p} does not exist: is chronyd running with `refclock SOCK {p}`?"),
        // The kernel refuses a send to anything that is not a bound socket the same way: say
        // what is really at the path, since "nobody listens" sends the user after chronyd.
        Some(libc::ECONNREFUSED) => match std::fs::symlink_metadata(path).map(|m| m.file_type()) {
            Ok(t) if t.is_dir() => format!(
                "{p} is a directory, not chronyd's socket: remove it (chronyd creates the socket for \
                 `refclock SOCK {p}` when it starts) or point [chrony.sock] at the socket"
            ),
            Ok(t) if t.is_file() => format!(
                "{p} is a regular file, not chronyd's socket: remove it and restart chronyd (it creates \
                 the socket for `refclock SOCK {p}` when it starts)"
            ),
            Ok(t) if !std::os::unix::fs::FileTypeExt::is_socket(&t) => format!(
                "{p} is not a socket (a {}): remove it and restart chronyd",
                if t.is_symlink() { "symbolic link" } else { "device or pipe" }
            ),
            _ => format!("{p} exists but nobody listens: chronyd stopped or restarting"),
        },
        Some(libc::EACCES) | Some(libc::EPERM) => format!(
            "{p}: permission denied: chronyd creates the socket root-owned 0755; let timed write it \
             (see docs/privileges.md)"
        ),
        Some(libc::EAGAIN) => format!("{p}: chronyd is not reading fast enough (socket buffer full)"),
        _ => format!("{p}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_socket_is_a_state_not_an_error_and_recovers() {
        let dir = timed_lab::Scratch::new("timed-sock").unwrap();
        let path = dir.join("chrony.sock");
        let _ = std::fs::remove_file(&path);
        let mut sink = SockSink::new(&path);
        let s = Sample { system_ns: 1_700_000_000_000_000_000, offset_ns: 250_000, leap: Default::default() };
        let changed = sink.send(&s);
        assert!(
            matches!(changed, Some(SinkState::Failing(ref m)) if m.contains("does not exist")),
            "{changed:?}"
        );
        assert_eq!(sink.send(&s), None, "the same failure is reported once");
        let server = UnixDatagram::bind(&path).unwrap();
        assert_eq!(sink.send(&s), Some(SinkState::Ok));
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &encode_sock(&s, Abi::native())[..]);
        assert_eq!((sink.stats.sent, sink.stats.errors), (1, 2));
        drop(server);
        assert!(matches!(sink.send(&s), Some(SinkState::Failing(ref m)) if m.contains("nobody listens")));
    }

    /// Not a socket at the path: the kernel says "connection refused" as for a dead chronyd, but
    /// the message must name what is there instead of blaming chronyd.
    #[test]
    fn a_file_or_directory_at_the_path_is_named() {
        let dir = timed_lab::Scratch::new("timed-sock-kind").unwrap();
        std::fs::create_dir_all(dir.join("pps.sock")).unwrap();
        std::fs::write(dir.join("coarse.sock"), b"").unwrap();
        let s = Sample { system_ns: 1_700_000_000_000_000_000, offset_ns: 0, leap: Default::default() };
        for (name, says) in
            [("pps.sock", "is a directory, not chronyd's socket"), ("coarse.sock", "is a regular file")]
        {
            let mut sink = SockSink::new(&dir.join(name));
            match sink.send(&s) {
                Some(SinkState::Failing(m)) => {
                    assert!(m.contains(says), "{name}: {m}");
                    assert!(!m.contains("nobody listens"), "{name}: {m}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
