//! Events as structured journald entries: the native protocol (one datagram of `KEY=value`
//! lines to /run/systemd/journal/socket; systemd's "Native Journal Protocol" document), so
//! `journalctl TIMED_EVENT=antenna-fault` finds them. Without journald (a container, a test
//! host) the events go to the normal log instead, and that is said once.

use super::record::Record;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

pub const SOCKET: &str = "/run/systemd/journal/socket";

/// Where events are written.
pub enum Journal {
    Native { socket: UnixDatagram, path: PathBuf },
    Log,
}

impl Journal {
    /// journald if its socket takes datagrams, else the normal log.
    pub fn open(path: &Path) -> Journal {
        let native = path.exists().then(UnixDatagram::unbound).and_then(Result::ok);
        match native {
            Some(socket) => {
                // Never wait on journald: a full socket buffer loses the entry, not the loop.
                let _ = socket.set_nonblocking(true);
                Journal::Native { socket, path: path.to_path_buf() }
            }
            None => {
                tracing::info!(
                    socket = %path.display(),
                    "no journald here: events go to this log (kind=… severity=… fields)"
                );
                Journal::Log
            }
        }
    }

    /// "journald" or "log": where events go (shown in the snapshot).
    pub fn name(&self) -> &'static str {
        match self {
            Journal::Native { .. } => "journald",
            Journal::Log => "log",
        }
    }

    pub fn write(&mut self, r: &Record) {
        if let Journal::Native { socket, path } = self {
            match socket.send_to(&entry(r), &*path) {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(socket = %path.display(), "journald refused an event ({e}): events go to this log from now on");
                    *self = Journal::Log;
                }
            }
        }
        let fields: Vec<String> =
            r.fields().into_iter().map(|(k, v)| format!("{}={v}", k.to_lowercase())).collect();
        let fields = fields.join(" ");
        match r.severity {
            super::record::Level::Info => {
                tracing::info!(event = r.kind.0.name(), severity = r.severity.name(), %fields, "{}", r.message)
            }
            _ => {
                tracing::warn!(event = r.kind.0.name(), severity = r.severity.name(), %fields, "{}", r.message)
            }
        }
    }
}

/// The native-protocol datagram. Values here never hold a newline (our own sentences and
/// names), but one that did would be cut there rather than break the entry's framing.
pub fn entry(r: &Record) -> Vec<u8> {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| {
        let v = v.split('\n').next().unwrap_or("");
        out.push_str(k);
        out.push('=');
        out.push_str(v);
        out.push('\n');
    };
    line("MESSAGE", &r.message);
    line("PRIORITY", &r.severity.priority().to_string());
    line("SYSLOG_IDENTIFIER", "timed");
    line("TIMED_EVENT", r.kind.0.name());
    line("TIMED_SEVERITY", r.severity.name());
    line("TIMED_SEQ", &r.seq.to_string());
    for (k, v) in r.fields() {
        line(&format!("TIMED_{k}"), &v);
    }
    out.into_bytes()
}
