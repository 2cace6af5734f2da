//! The read-only control socket `timectl` talks to: a Unix stream socket serving versioned JSON
//! (docs/control.md). A client sends one request line, `snapshot` or `watch`; `snapshot` gets
//! one JSON line and the connection closes, `watch` gets a snapshot and then an update line after
//! every change the event loop publishes (coalesced to at most 4 a second).
//!
//! Read-only by construction: the server holds only a `watch::Receiver` of the loop's health
//! snapshots and a chronyd command-socket path it queries (tracking, sources, serverstats). It
//! cannot change timed's or chrony's state. Bounded: at most [`MAX_CLIENTS`] connections, a
//! request must arrive within 2 s, and a client that does not read its output for 5 s is dropped
//! (the watch channel keeps only the latest snapshot, so a slow reader never grows a queue).
//! Failures (path taken by a live timed, directory missing, permissions) are logged once and the
//! daemon goes on without the socket: timectl then says the socket is missing.

use crate::config::{self, Config};
use crate::health::Health;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tracing::{error, info, warn};

/// The schema version in every message; bumped on incompatible changes.
pub const SCHEMA: u32 = 1;
pub const MAX_CLIENTS: usize = 8;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
const MIN_UPDATE_INTERVAL: Duration = Duration::from_millis(250);
/// chronyd's view is re-read for watchers at most this often (each read is 5+ requests).
const CHRONY_REFRESH: Duration = Duration::from_secs(4);
const CHRONY_TIMEOUT: Duration = Duration::from_millis(800);

/// One line on the socket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Message {
    pub schema: u32,
    /// "snapshot" (complete), "update" (`chrony` only when re-read) or "error".
    pub kind: String,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
pub async fn start(cfg: &Config, health: watch::Receiver<Arc<Health>>) -> Guard {
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
    let chrony = Rc::new(cfg.chrony.command_socket.clone());
    tokio::task::spawn_local(serve(listener, health, chrony));
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

async fn serve(listener: UnixListener, health: watch::Receiver<Arc<Health>>, chrony: Rc<PathBuf>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CLIENTS));
    let mut logged_accept_error = false;
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                if !logged_accept_error {
                    warn!("control socket accept failed: {e}");
                    logged_accept_error = true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::task::spawn_local(refuse(stream));
            continue;
        };
        let health = health.clone();
        let chrony = chrony.clone();
        tokio::task::spawn_local(async move {
            let _permit = permit;
            let _ = client(stream, health, &chrony).await;
        });
    }
}

async fn refuse(mut s: UnixStream) {
    let m = error_message(format!("busy: {MAX_CLIENTS} clients connected; try again"));
    let _ = tokio::time::timeout(WRITE_TIMEOUT, write_line(&mut s, &m)).await;
}

/// Serves one connection; `Err` only ends it.
async fn client(
    s: UnixStream,
    mut health: watch::Receiver<Arc<Health>>,
    chrony: &Path,
) -> Result<(), std::io::Error> {
    let (rd, mut wr) = s.into_split();
    let mut line = String::new();
    let mut rd = BufReader::new(rd.take(256));
    match tokio::time::timeout(REQUEST_TIMEOUT, rd.read_line(&mut line)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            let m = error_message("no request within 2 s; send \"snapshot\" or \"watch\"".into());
            return write_timed(&mut wr, &m).await;
        }
    }
    match line.trim() {
        "snapshot" => {
            let h = health.borrow_and_update().clone();
            let m = snapshot(&h, chrony).await;
            write_timed(&mut wr, &m).await
        }
        "watch" => {
            let h = health.borrow_and_update().clone();
            write_timed(&mut wr, &snapshot(&h, chrony).await).await?;
            let mut last_chrony = tokio::time::Instant::now();
            let mut scratch = [0u8; 64];
            loop {
                tokio::time::sleep(MIN_UPDATE_INTERVAL).await;
                // Wait for a change, but notice a client that hangs up while nothing changes
                // (a degraded, idle timed may publish nothing for hours): its place is freed.
                tokio::select! {
                    changed = health.changed() => if changed.is_err() {
                        return Ok(()); // the daemon is stopping
                    },
                    n = rd.read(&mut scratch) => match n {
                        Ok(0) | Err(_) => return Ok(()),
                        Ok(_) => continue, // nothing more is expected from a watcher; ignore
                    },
                }
                let h = health.borrow_and_update().clone();
                let mut m = message("update", Some(h.as_ref().clone()));
                if last_chrony.elapsed() >= CHRONY_REFRESH {
                    last_chrony = tokio::time::Instant::now();
                    fill_chrony(&mut m, chrony).await;
                }
                write_timed(&mut wr, &m).await?;
            }
        }
        other => {
            let m = error_message(format!("unknown request {other:?}; send \"snapshot\" or \"watch\""));
            write_timed(&mut wr, &m).await
        }
    }
}

async fn snapshot(h: &Health, chrony: &Path) -> Message {
    let mut m = message("snapshot", Some(h.clone()));
    fill_chrony(&mut m, chrony).await;
    m
}

async fn fill_chrony(m: &mut Message, chrony: &Path) {
    if chrony.as_os_str().is_empty() {
        m.chrony_note = Some("[chrony] command_socket is \"\" in timed.toml".into());
    } else {
        m.chrony = Some(crate::chronyctl::query(chrony, CHRONY_TIMEOUT).await);
    }
}

fn message(kind: &str, timed: Option<Health>) -> Message {
    Message {
        schema: SCHEMA,
        kind: kind.into(),
        now_unix_ns: crate::clock::realtime_ns(),
        timed,
        chrony: None,
        chrony_note: None,
        error: None,
    }
}

fn error_message(e: String) -> Message {
    Message { error: Some(e), ..message("error", None) }
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
        let dir = std::env::temp_dir().join(format!("timed-control-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
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
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
