//! Talking to a running timed (its control socket, docs/control.md) and, when asked, to chronyd
//! directly. Every failure becomes a sentence that names the socket and says what to do, with a
//! typed kind ([`Failure`]) so that the verdict tells a busy socket from a dead timed without
//! reading the sentence.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use timed::chronyctl::Report;
pub use timed::control::Message;
use timed::control::Refusal;
pub use timed::status::{CtlError, Failure, View};

/// A busy socket is asked again this many times, after these pauses (about 1 s in all):
/// watchers and idle connections come and go, and a one-shot request is admitted as soon as
/// the server has room.
const BUSY_RETRIES: [Duration; 3] =
    [Duration::from_millis(150), Duration::from_millis(300), Duration::from_millis(600)];

/// Where to look, from the command line.
#[derive(Clone, Debug)]
pub struct Target {
    pub socket: PathBuf,
    /// Set by `--chrony-socket`: read chronyd there instead of through timed.
    pub chrony_socket: Option<PathBuf>,
}

impl Target {
    /// One snapshot of timed and chronyd.
    pub fn view(&self) -> View {
        let timed = snapshot(&self.socket);
        match (&self.chrony_socket, timed) {
            (Some(p), timed) => View { timed, chrony: query_chrony(p), chrony_from: p.display().to_string() },
            (None, Ok(m)) => View::from_message(m),
            // timed runs but could not answer: its chronyd reading is not to be had, and asking
            // chronyd directly would only add a permission error for most users.
            (None, Err(e)) if e.kind.is_busy() => View {
                timed: Err(e),
                chrony: Err("not read: timed's control socket is busy".to_string()),
                chrony_from: "via timed".to_string(),
            },
            (None, Err(e)) => {
                let p = Path::new(DEFAULT_CHRONY_SOCKET);
                View { timed: Err(e), chrony: query_chrony(p), chrony_from: p.display().to_string() }
            }
        }
    }
}

pub const DEFAULT_SOCKET: &str = "/run/timed/control.sock";
pub const DEFAULT_CHRONY_SOCKET: &str = "/run/chrony/chronyd.sock";

/// chronyd's client log: from `--chrony-socket` directly, else through timed (`clients`), else,
/// when timed is not there to ask, from chronyd's default socket directly.
pub fn clients(t: &Target) -> Result<(timed::chronyctl::ClientsReport, String), String> {
    if let Some(p) = &t.chrony_socket {
        return Ok((query_clients(p)?, p.display().to_string()));
    }
    match request(&t.socket, "clients").and_then(|mut lines| next_message(&mut lines, &t.socket)) {
        Ok(m) => match m.clients {
            Some(r) => Ok((r.map_err(|e| format!("timed read chronyd: {e}"))?, "via timed".into())),
            None => Err(format!("{}: timed sent no client log (an older timed?)", t.socket.display())),
        },
        Err(e) if e.kind.is_busy() => Err(e.message),
        Err(e) => {
            let p = Path::new(DEFAULT_CHRONY_SOCKET);
            let direct = query_clients(p).map_err(|d| format!("{}; and directly: {d}", e.message))?;
            Ok((direct, p.display().to_string()))
        }
    }
}

/// Reads chronyd's client log directly (root or chronyd's group).
fn query_clients(socket: &Path) -> Result<timed::chronyctl::ClientsReport, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let p = socket.display().to_string();
    rt.block_on(timed::chronyctl::query_clients(socket, timed::chronyctl::LIVE_TIMEOUT))
        .map_err(|e| format!("chronyd at {p}: {e}"))
}

/// Asks timed for one snapshot; a busy socket is asked again a few times before giving up.
pub fn snapshot(socket: &Path) -> Result<Message, CtlError> {
    let mut pauses = BUSY_RETRIES.iter();
    loop {
        let r = request(socket, "snapshot").and_then(|mut lines| next_message(&mut lines, socket));
        match (r, pauses.next()) {
            (Err(e), Some(pause)) if e.kind.is_busy() => std::thread::sleep(*pause),
            (Err(e), None) if e.kind.is_busy() => {
                let tries = BUSY_RETRIES.len() + 1;
                return Err(CtlError::new(e.kind, format!("{} ({tries} attempts in about 1 s)", e.message)));
            }
            (r, _) => return r,
        }
    }
}

/// Opens a change stream: a snapshot, then updates.
pub fn watch(socket: &Path) -> Result<Stream, CtlError> {
    let r = request(socket, "watch")?;
    // Updates come at least every few seconds while timed runs (PPS edges, epochs); a longer
    // silence means timed stopped or hangs, which the caller shows.
    let _ = r.get_ref().set_read_timeout(Some(Duration::from_secs(10)));
    Ok(Stream { r, socket: socket.to_path_buf() })
}

pub struct Stream {
    r: BufReader<UnixStream>,
    socket: PathBuf,
}

impl Stream {
    pub fn next_message(&mut self) -> Result<Message, CtlError> {
        next_message(&mut self.r, &self.socket)
    }

    pub fn set_timeout(&self, t: Duration) {
        let _ = self.r.get_ref().set_read_timeout(Some(t));
    }
}

fn request(socket: &Path, what: &str) -> Result<BufReader<UnixStream>, CtlError> {
    let mut s = UnixStream::connect(socket).map_err(|e| connect_error(socket, &e))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    // A server that refuses may have written its answer and closed before reading the request:
    // the write then fails (EPIPE, ECONNRESET) but the answer is there to read, so a failed
    // write is judged by what can still be read.
    if let Err(e) = s.write_all(format!("{what}\n").as_bytes()) {
        if !matches!(e.kind(), std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset) {
            return Err(CtlError::new(
                Failure::Other,
                format!("{}: cannot send the request: {e}", socket.display()),
            ));
        }
    }
    Ok(BufReader::new(s))
}

fn next_message(r: &mut BufReader<UnixStream>, socket: &Path) -> Result<Message, CtlError> {
    let p = socket.display();
    let mut line = String::new();
    match r.read_line(&mut line) {
        Ok(0) => {
            return Err(CtlError::new(
                Failure::Closed,
                format!(
                "{p}: timed closed the connection before answering (socket overloaded, or timed stopping)"
            ),
            ))
        }
        Ok(_) => {}
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
            return Err(CtlError::new(
                Failure::Hung,
                format!("{p}: timed did not answer in time (is it hung?)"),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            return Err(CtlError::new(
                Failure::Closed,
                format!(
                    "{p}: timed reset the connection before answering (socket overloaded, or timed stopping)"
                ),
            ))
        }
        Err(e) => return Err(CtlError::new(Failure::Other, format!("{p}: reading: {e}"))),
    }
    let m: Message = serde_json::from_str(&line).map_err(|e| {
        CtlError::new(
            Failure::Protocol,
            format!("{p}: not a timed control message ({e}); is this timed's control socket?"),
        )
    })?;
    if m.schema != timed::control::SCHEMA {
        return Err(CtlError::new(
            Failure::Protocol,
            format!(
                "{p}: timed speaks control schema {}, this timectl {}: use the timectl of the same version",
                m.schema,
                timed::control::SCHEMA
            ),
        ));
    }
    if let Some(e) = &m.error {
        let kind = if m.refusal == Some(Refusal::Busy) { Failure::Busy } else { Failure::Protocol };
        return Err(CtlError::new(kind, format!("{p}: timed refused: {e}")));
    }
    Ok(m)
}

fn connect_error(socket: &Path, e: &std::io::Error) -> CtlError {
    let p = socket.display();
    match e.kind() {
        std::io::ErrorKind::NotFound => CtlError::new(
            Failure::Missing,
            format!(
                "no control socket at {p}: timed is not running, or uses another [control] socket \
                 (systemctl status timed; or timectl --socket PATH)"
            ),
        ),
        std::io::ErrorKind::PermissionDenied => CtlError::new(
            Failure::PermissionDenied,
            format!(
                "permission denied on {p}: add yourself to the socket's group (sudo usermod -aG timed \
                 $USER, then log in again) or run timectl with sudo"
            ),
        ),
        std::io::ErrorKind::ConnectionRefused => CtlError::new(
            Failure::NotListening,
            format!("{p} exists but nothing listens: timed stopped uncleanly; restart it (systemctl restart timed)"),
        ),
        _ => CtlError::new(Failure::Other, format!("{p}: cannot connect: {e}")),
    }
}

/// Reads chronyd directly (needs root or chrony's user: its socket is 0750/0755).
pub fn query_chrony(socket: &Path) -> Result<Report, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let r = rt.block_on(timed::chronyctl::query(socket, timed::chronyctl::LIVE_TIMEOUT));
    match (&r.tracking, r.state) {
        (Ok(_), _) => Ok(r),
        // A hung chronyd is a finding of its own (chronyd-unresponsive), not a missing reading.
        (Err(_), timed::chronyctl::ChronydState::Unresponsive) => Ok(r),
        (Err(e), _) => Err(format!("chronyd at {}: {e}", socket.display())),
    }
}
