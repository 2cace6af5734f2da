//! systemd's notification protocol (sd_notify(3)) without libsystemd: datagrams of
//! `KEY=value` lines to the socket named by `$NOTIFY_SOCKET`.
//!
//! timed sends `READY=1` once its endpoints are bound and the event loop is about to run,
//! `STATUS=…` when the one-line summary changes, `WATCHDOG=1` from the event loop at half of
//! `$WATCHDOG_USEC` (the interval sd_watchdog_enabled(3) recommends; pinging from the loop
//! itself means a stuck loop, not just a live process, gets restarted) and `STOPPING=1` on exit.
//!
//! Protocol facts (sd_notify(3), systemd's src/libsystemd/sd-daemon/sd-daemon.c): an address
//! starting with `/` is a file-system socket, one starting with `@` an abstract one (the `@`
//! stands for the leading NUL byte); `$WATCHDOG_PID`, when set, names the process that must
//! ping, and no other may. Without `$NOTIFY_SOCKET` (run by hand, or by another supervisor)
//! everything here is a no-op. Sends never block the loop (non-blocking socket); a failed send
//! is logged once and retried at the next opportunity.

use crate::health::Health;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// Talks to the service manager, if there is one.
#[derive(Debug, Default)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr, String)>,
    /// Ping interval: half of `$WATCHDOG_USEC`.
    ping_every: Option<Duration>,
    next_ping: Option<Instant>,
    last_status: String,
    /// A send failed and was logged; stays quiet until one succeeds again.
    failing: bool,
}

impl Notifier {
    /// From this process's environment (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`).
    pub fn from_env() -> Notifier {
        let var = |k: &str| std::env::var_os(k);
        let n = Notifier::from_vars(
            var("NOTIFY_SOCKET").as_deref(),
            var("WATCHDOG_USEC").as_deref(),
            var("WATCHDOG_PID").as_deref(),
            std::process::id(),
        );
        match n {
            Ok(n) => n,
            Err(e) => {
                warn!("{e}; not notifying the service manager");
                Notifier::default()
            }
        }
    }

    /// As [`Notifier::from_env`], from given values (`pid`: this process).
    pub fn from_vars(
        socket: Option<&OsStr>,
        watchdog_usec: Option<&OsStr>,
        watchdog_pid: Option<&OsStr>,
        pid: u32,
    ) -> Result<Notifier, String> {
        let Some(socket) = socket.filter(|s| !s.is_empty()) else { return Ok(Notifier::default()) };
        let shown = socket.to_string_lossy().into_owned();
        let addr = parse_addr(socket).map_err(|e| format!("NOTIFY_SOCKET={shown}: {e}"))?;
        let sock = UnixDatagram::unbound()
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .map_err(|e| format!("cannot create a socket for NOTIFY_SOCKET={shown}: {e}"))?;
        let mut n = Notifier { target: Some((sock, addr, shown)), ..Notifier::default() };
        let for_us = match watchdog_pid.map(|p| p.to_string_lossy().trim().parse::<u32>()) {
            None => true,
            Some(Ok(p)) => p == pid,
            Some(Err(_)) => return Err("WATCHDOG_PID is not a process id".into()),
        };
        if let (Some(usec), true) = (watchdog_usec, for_us) {
            let usec: u64 = usec
                .to_string_lossy()
                .trim()
                .parse()
                .map_err(|_| format!("WATCHDOG_USEC={} is not a number", usec.to_string_lossy()))?;
            if usec > 0 {
                n.ping_every = Some(Duration::from_micros(usec / 2));
            }
        }
        Ok(n)
    }

    /// Whether a service manager listens.
    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// The watchdog ping interval, if the service manager asked for pings.
    pub fn ping_every(&self) -> Option<Duration> {
        self.ping_every
    }

    /// Start-up is complete: `READY=1` with the current status.
    pub fn ready(&mut self, status: &str, now: Instant) {
        self.last_status = status.to_string();
        let mut msg = format!("READY=1\nSTATUS={}", one_line(status));
        // The first ping goes with READY: the watchdog runs from the start of the service.
        if self.ping_every.is_some() {
            msg.push_str("\nWATCHDOG=1");
        }
        if self.send(&msg) {
            self.next_ping = self.ping_every.map(|d| now + d);
        }
    }

    /// `STATUS=` if the text differs from the last one sent.
    pub fn status(&mut self, status: &str) {
        if status != self.last_status && self.send(&format!("STATUS={}", one_line(status))) {
            self.last_status = status.to_string();
        }
    }

    /// Call often (the event loop's tick): sends `WATCHDOG=1` once it is due.
    pub fn watchdog(&mut self, now: Instant) {
        let (Some(every), Some(due)) = (self.ping_every, self.next_ping) else { return };
        if now >= due && self.send("WATCHDOG=1") {
            self.next_ping = Some(now + every);
        }
    }

    /// The daemon is shutting down.
    pub fn stopping(&mut self) {
        self.send("STOPPING=1\nSTATUS=stopping");
    }

    /// Sends one datagram; true if it went out (or there is no service manager).
    fn send(&mut self, msg: &str) -> bool {
        let Some((sock, addr, shown)) = &self.target else { return true };
        match sock.send_to_addr(msg.as_bytes(), addr) {
            Ok(_) => {
                if self.failing {
                    debug!("notifications to {shown} work again");
                }
                self.failing = false;
                true
            }
            Err(e) => {
                if !self.failing {
                    warn!("cannot notify the service manager at {shown}: {e}");
                }
                self.failing = true;
                false
            }
        }
    }
}

/// `/path` or `@abstract-name`.
fn parse_addr(s: &OsStr) -> Result<SocketAddr, String> {
    let b = s.as_bytes();
    match b.first() {
        Some(b'/') => SocketAddr::from_pathname(s).map_err(|e| e.to_string()),
        Some(b'@') => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(&b[1..]).map_err(|e| e.to_string())
        }
        _ => Err("only file-system (/…) and abstract (@…) unix sockets are supported".into()),
    }
}

/// A status must stay on its line: a newline would start another `KEY=value` assignment.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// The one-line status `systemctl status timed` shows.
pub fn status_line(h: &Health) -> String {
    let lock = if h.pps.state.is_locked() {
        format!("PPS {}", h.pps.state.name())
    } else if h.pps.source == crate::config::PpsSource::Off {
        "PPS off, coarse only".to_string()
    } else {
        "PPS acquiring".to_string()
    };
    let mut parts = vec![lock, format!("receiver {} {}", h.receiver.device, h.receiver.serial_state.name())];
    if h.pps.source != crate::config::PpsSource::Off {
        parts.push(format!("PPS device {} {}", h.pps.device, h.pps.device_state.name()));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> &OsStr {
        OsStr::new(s)
    }

    #[test]
    fn without_notify_socket_nothing_is_sent_and_nothing_fails() {
        let mut n = Notifier::from_vars(None, Some(os("1000000")), None, 1).unwrap();
        assert!(!n.enabled());
        assert_eq!(n.ping_every(), None);
        n.ready("x", Instant::now());
        n.watchdog(Instant::now());
    }

    #[test]
    fn watchdog_interval_is_half_and_only_for_the_named_pid() {
        let n = Notifier::from_vars(Some(os("/run/x")), Some(os("3000000")), None, 7).unwrap();
        assert_eq!(n.ping_every(), Some(Duration::from_millis(1500)));
        let n = Notifier::from_vars(Some(os("/run/x")), Some(os("3000000")), Some(os("7")), 7).unwrap();
        assert_eq!(n.ping_every(), Some(Duration::from_millis(1500)));
        let n = Notifier::from_vars(Some(os("/run/x")), Some(os("3000000")), Some(os("8")), 7).unwrap();
        assert_eq!(n.ping_every(), None);
        let n = Notifier::from_vars(Some(os("/run/x")), None, None, 7).unwrap();
        assert_eq!(n.ping_every(), None);
    }

    #[test]
    fn bad_values_are_named() {
        let e = Notifier::from_vars(Some(os("/run/x")), Some(os("soon")), None, 7).unwrap_err();
        assert!(e.contains("WATCHDOG_USEC=soon"), "{e}");
        let e = Notifier::from_vars(Some(os("vsock:2:1")), None, None, 7).unwrap_err();
        assert!(e.contains("NOTIFY_SOCKET=vsock:2:1"), "{e}");
    }

    #[test]
    fn status_is_one_line() {
        assert_eq!(one_line("a\nREADY=1\r"), "a READY=1 ");
    }
}
