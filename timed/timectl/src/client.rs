//! Talking to a running timed (its control socket, docs/control.md) and, when asked, to chronyd
//! directly. Every failure becomes a sentence that names the socket and says what to do.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use timed::chronyctl::Report;
pub use timed::control::Message;

/// Where to look, from the command line.
#[derive(Clone, Debug)]
pub struct Target {
    pub socket: PathBuf,
    /// Set by `--chrony-socket`: read chronyd there instead of through timed.
    pub chrony_socket: Option<PathBuf>,
}

/// What timectl knows about the running system.
pub struct View {
    /// timed's message, or why there is none.
    pub timed: Result<Message, String>,
    /// chronyd's view, or why there is none.
    pub chrony: Result<Report, String>,
    /// Where chronyd's view came from ("via timed", or the socket read directly).
    pub chrony_from: String,
}

impl Target {
    /// One snapshot of timed and chronyd.
    pub fn view(&self) -> View {
        let timed = snapshot(&self.socket);
        let (chrony, chrony_from) = match (&self.chrony_socket, &timed) {
            (Some(p), _) => (query_chrony(p), p.display().to_string()),
            (None, Ok(m)) => match (&m.chrony, &m.chrony_note) {
                (Some(r), _) => (Ok(r.clone()), "via timed".to_string()),
                (None, note) => (
                    Err(note.clone().unwrap_or_else(|| "timed sent no chrony part".into())),
                    "via timed".to_string(),
                ),
            },
            (None, Err(_)) => {
                let p = Path::new(DEFAULT_CHRONY_SOCKET);
                (query_chrony(p), p.display().to_string())
            }
        };
        View { timed, chrony, chrony_from }
    }
}

pub const DEFAULT_SOCKET: &str = "/run/timed/control.sock";
pub const DEFAULT_CHRONY_SOCKET: &str = "/run/chrony/chronyd.sock";

/// Asks timed for one snapshot.
pub fn snapshot(socket: &Path) -> Result<Message, String> {
    let mut lines = request(socket, "snapshot")?;
    next_message(&mut lines, socket)
}

/// Opens a change stream: a snapshot, then updates.
pub fn watch(socket: &Path) -> Result<Stream, String> {
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
    pub fn next_message(&mut self) -> Result<Message, String> {
        next_message(&mut self.r, &self.socket)
    }

    pub fn set_timeout(&self, t: Duration) {
        let _ = self.r.get_ref().set_read_timeout(Some(t));
    }
}

fn request(socket: &Path, what: &str) -> Result<BufReader<UnixStream>, String> {
    let mut s = UnixStream::connect(socket).map_err(|e| connect_error(socket, &e))?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    s.write_all(format!("{what}\n").as_bytes())
        .map_err(|e| format!("{}: cannot send the request: {e}", socket.display()))?;
    Ok(BufReader::new(s))
}

fn next_message(r: &mut BufReader<UnixStream>, socket: &Path) -> Result<Message, String> {
    let mut line = String::new();
    match r.read_line(&mut line) {
        Ok(0) => return Err(format!("{}: timed closed the connection (is it stopping?)", socket.display())),
        Ok(_) => {}
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
            return Err(format!("{}: timed did not answer in time (is it hung?)", socket.display()))
        }
        Err(e) => return Err(format!("{}: reading: {e}", socket.display())),
    }
    let m: Message = serde_json::from_str(&line).map_err(|e| {
        format!("{}: not a timed control message ({e}); is this timed's control socket?", socket.display())
    })?;
    if m.schema != timed::control::SCHEMA {
        return Err(format!(
            "{}: timed speaks control schema {}, this timectl {}: use the timectl of the same version",
            socket.display(),
            m.schema,
            timed::control::SCHEMA
        ));
    }
    if let Some(e) = &m.error {
        return Err(format!("{}: timed refused: {e}", socket.display()));
    }
    Ok(m)
}

fn connect_error(socket: &Path, e: &std::io::Error) -> String {
    let p = socket.display();
    match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "no control socket at {p}: timed is not running, or uses another [control] socket \
             (systemctl status timed; or timectl --socket PATH)"
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "permission denied on {p}: add yourself to the socket's group (sudo usermod -aG timed \
             $USER, then log in again) or run timectl with sudo"
        ),
        std::io::ErrorKind::ConnectionRefused => {
            format!("{p} exists but nothing listens: timed stopped uncleanly; restart it (systemctl restart timed)")
        }
        _ => format!("{p}: cannot connect: {e}"),
    }
}

/// Reads chronyd directly (needs root or chrony's user: its socket is 0750/0755).
pub fn query_chrony(socket: &Path) -> Result<Report, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let r = rt.block_on(timed::chronyctl::query(socket, Duration::from_millis(1500)));
    match &r.tracking {
        Ok(_) => Ok(r),
        Err(e) => Err(format!("chronyd at {}: {e}", socket.display())),
    }
}
