//! The read-only control socket `timectl` talks to: a Unix stream socket serving versioned JSON
//! (docs/control.md). A client sends one request line, `snapshot`, `clients` or `watch`;
//! `snapshot` (and `clients`: chronyd's client log, read without resetting it) gets one JSON line
//! and the connection closes, `watch` gets a snapshot and then an update line after
//! every change the event loop publishes (coalesced to at most 4 a second).
//!
//! Read-only by construction: the server holds only a `watch::Receiver` of the loop's health
//! snapshots and a reader of chronyd's command socket (tracking, sources, serverstats, shared
//! with the metrics endpoint). It cannot change timed's or chrony's state. Who is served and for
//! how long (one-shot requests are never starved by watchers) is `serve`'s policy.
//! Failures (path taken by a live timed, directory missing, permissions) are logged once and the
//! daemon goes on without the socket: timectl then says the socket is missing.

mod serve;

pub use serve::{MAX_ONESHOT, MAX_PENDING, MAX_WATCHERS};

use crate::chronyctl::Cache;
use crate::config::{self, Config};
use crate::health::Health;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixListener;
use tokio::sync::watch;
use tracing::{error, info};

/// The schema version in every message; bumped on incompatible changes.
pub const SCHEMA: u32 = 1;
/// A watcher is sent chronyd's view again at most this often (each reading is 5+ requests).
const CHRONY_REFRESH: Duration = Duration::from_secs(4);
/// A client that does not read its output for this long is dropped (the watch channel keeps
/// only the latest snapshot, so a slow reader never grows a queue).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// One line on the socket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Message {
    pub schema: u32,
    /// "snapshot" (complete), "update" (`chrony` only when re-read) or "error".
    pub kind: String,
    /// Why the server refused, in `error` messages: typed, so that clients can tell a busy
    /// socket (try again) from their own mistake without reading `error`'s words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// When the server wrote this line (system clock, Unix ns).
    pub now_unix_ns: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed: Option<Health>,
    /// chronyd's view, when a command socket is configured; its parts carry chronyd's errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chrony: Option<crate::chronyctl::Report>,
    /// Why chronyd's view is missing when it is not configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chrony_note: Option<String>,
    /// chronyd's client log and totals, only in answer to `clients` (kind "clients").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Result<crate::chronyctl::ClientsReport, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// Too many clients of that kind right now; the same request later will be served.
    Busy,
    /// No request line arrived in time.
    NoRequest,
    /// The request is not `snapshot` or `watch`.
    UnknownRequest,
}

/// Removes the socket file when the daemon stops.
pub struct Guard(Option<PathBuf>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            crate::socket_file::remove_own(&p);
        }
    }
}

/// Binds the socket (if configured) and serves it on the current `LocalSet`.
pub async fn start(cfg: &Config, chrony: Option<Rc<Cache>>, health: watch::Receiver<Arc<Health>>) -> Guard {
    let path = cfg.control.socket.clone();
    if path.as_os_str().is_empty() {
        return Guard(None);
    }
    let listener = match bind(&path, cfg.control_mode(), &cfg.control.group) {
        Ok(l) => l,
        Err(e) => {
            error!(socket = %path.display(), "control socket unavailable: {e}; timectl cannot reach timed");
            return Guard(None);
        }
    };
    info!(socket = %path.display(), "control socket ready");
    tokio::task::spawn_local(serve::serve(listener, health, chrony));
    Guard(Some(path))
}

/// Binds `path`, replacing a stale socket file but never a live one or a non-socket.
fn bind(path: &Path, mode: u32, group: &str) -> Result<UnixListener, String> {
    use std::os::unix::fs::PermissionsExt;
    crate::socket_file::clear_stale(path, "[control] socket")?;
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!("cannot create {}: {e} (systemd: RuntimeDirectory=timed)", dir.display())
            })?;
        }
    }
    // Bound under a temporary name and renamed into place once its mode and group are set, so
    // no client ever sees the socket with the wrong permissions.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.new", std::process::id()));
    let tmp = PathBuf::from(tmp);
    // Left by an earlier process with this pid, if anything; only a stale socket is replaced.
    crate::socket_file::clear_stale(&tmp, "[control] socket")
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    let listener = UnixListener::bind(&tmp).map_err(|e| format!("cannot bind: {e}"))?;
    let ready = (|| {
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot set mode {mode:o}: {e}"))?;
        if !group.is_empty() {
            let gid = config::group_id(group, Path::new(config::GROUP_FILE)).ok_or_else(|| {
                format!("group {group:?} does not exist (/etc/group); check [control] group")
            })?;
            std::os::unix::fs::chown(&tmp, None, Some(gid))
                .map_err(|e| format!("cannot give the socket to group {group}: {e}"))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| format!("cannot move the socket into place: {e}"))
    })();
    if let Err(e) = ready {
        crate::socket_file::remove_own(&tmp);
        return Err(e);
    }
    Ok(listener)
}

/// A complete snapshot message: timed's state and chronyd's reading (also the status page's).
pub(crate) async fn snapshot(h: &Health, chrony: Option<&Cache>) -> Message {
    let mut m = message("snapshot", Some(h.clone()));
    fill_chrony(&mut m, chrony).await;
    m
}

async fn fill_chrony(m: &mut Message, chrony: Option<&Cache>) {
    match chrony {
        Some(c) => m.chrony = Some(c.read().await),
        None => m.chrony_note = Some("[chrony] command_socket is \"\" in timed.toml".into()),
    }
}

fn message(kind: &str, timed: Option<Health>) -> Message {
    Message {
        schema: SCHEMA,
        kind: kind.into(),
        refusal: None,
        now_unix_ns: crate::clock::realtime_ns(),
        timed,
        chrony: None,
        chrony_note: None,
        clients: None,
        error: None,
    }
}

fn error_message(refusal: Refusal, e: String) -> Message {
    Message { error: Some(e), refusal: Some(refusal), ..message("error", None) }
}

async fn write_timed<W: AsyncWriteExt + Unpin>(w: &mut W, m: &Message) -> Result<(), std::io::Error> {
    match tokio::time::timeout(WRITE_TIMEOUT, write_line(w, m)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "client stopped reading")),
    }
}

async fn write_line<W: AsyncWriteExt + Unpin>(w: &mut W, m: &Message) -> Result<(), std::io::Error> {
    let mut bytes = serde_json::to_vec(m).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    w.write_all(&bytes).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_with_infinite_and_undefined_figures_read_back() {
        let mut h = Health::default();
        let w =
            crate::health::Window { window: "1m".into(), count: 1, stddev_s: f64::NAN, ..Default::default() };
        h.stats.pps = Some(crate::health::SourceStats {
            windows: vec![w],
            histogram: vec![(-1e-6, 0), (1e-6, 3), (f64::INFINITY, 4)],
            histogram_count: 4,
            ..Default::default()
        });
        let m = Message { timed: Some(h), ..message("snapshot", None) };
        let text = serde_json::to_string(&m).unwrap();
        let back: Message = serde_json::from_str(&text).unwrap();
        let s = back.timed.unwrap().stats.pps.unwrap();
        assert_eq!(s.histogram[2], (f64::INFINITY, 4));
        assert_eq!(s.histogram[1], (1e-6, 3));
        assert!(s.windows[0].stddev_s.is_nan());
    }

    /// Neither the socket path nor the temporary name it is bound under is taken from a file
    /// that is not a socket.
    #[tokio::test]
    async fn files_at_the_socket_paths_are_kept() {
        let dir = timed_lab::Scratch::new("timed-control-files").unwrap();
        let path = dir.join("control.sock");
        let tmp = dir.join(format!("control.sock.{}.new", std::process::id()));
        for taken in [&path, &tmp] {
            std::fs::write(taken, "keep me").unwrap();
            let e = bind(&path, 0o660, "").err().unwrap_or_default();
            assert!(e.contains("is a regular file, not a socket"), "{}: {e}", taken.display());
            assert_eq!(std::fs::read_to_string(taken).unwrap(), "keep me");
            if taken == &tmp {
                assert!(e.starts_with(&format!("{}: ", tmp.display())), "{e}");
            }
            std::fs::remove_file(taken).unwrap();
        }
        assert!(bind(&path, 0o660, "").is_ok());
    }
}
