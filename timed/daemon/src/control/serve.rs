//! Who the control socket serves, and for how long. The socket's group may be large (everyone
//! who runs `timectl`), so no member must be able to make `timectl status` fail by holding
//! connections open: a busy socket is not a failing time server.
//!
//! The policy, by the three stages a connection goes through:
//!
//! - **Pending** (connected, request line not read yet): at most [`MAX_PENDING`], each with
//!   [`REQUEST_TIMEOUT`] to send its line. When a new connection finds them all taken, the
//!   *oldest* pending one is closed: it has had the longest to speak, and `timectl` writes its
//!   request the instant it connects, so idle or reconnecting connections can delay a real
//!   request by at most one accept, never lock it out.
//! - **One-shot** (`snapshot`): always admitted, never counted against watchers. At most
//!   [`MAX_ONESHOT`] are answered at once; a snapshot waits for a place rather than being
//!   refused, and its whole answer (waiting, chronyd's reading, the write) is bounded by
//!   [`ONESHOT_DEADLINE`]. A snapshot takes milliseconds and ends with its connection, so places
//!   come free at once; only a deadline missed gets the `busy` refusal.
//! - **Watchers** (`watch`): their own, small limit of [`MAX_WATCHERS`]; the next one is refused
//!   with `busy` (one-shot requests are still served). A watcher that hangs up, or does not read
//!   for 5 s, frees its place.
//!
//! Everything runs on the daemon's `LocalSet`: shared state is `Rc`/`RefCell`, and no borrow is
//! held across an await.

use super::{error_message, message, snapshot, write_timed, Message, Refusal, CHRONY_REFRESH};
use crate::chronyctl::Cache;
use crate::health::Health;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::warn;

pub const MAX_WATCHERS: usize = 8;
pub const MAX_PENDING: usize = 16;
pub const MAX_ONESHOT: usize = 32;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const ONESHOT_DEADLINE: Duration = Duration::from_secs(2);
/// Part of a one-shot's deadline that chronyd's reading may take (the rest is for writing).
const CHRONY_SHARE: Duration = Duration::from_secs(1);
/// How long chronyd's whole client log may take for a `clients` request: up to 512 round trips
/// (4096 clients), far more than a reading; within timectl's 5-s wait for the answer, with a
/// second left to write it.
const CLIENTS_SHARE: Duration = Duration::from_secs(4);
const MIN_UPDATE_INTERVAL: Duration = Duration::from_millis(250);

struct Shared {
    health: watch::Receiver<Arc<Health>>,
    chrony: Option<Rc<Cache>>,
    watchers: Arc<Semaphore>,
    oneshots: Arc<Semaphore>,
    /// Connections whose request has not been read, oldest first.
    pending: RefCell<VecDeque<(u64, AbortHandle)>>,
}

pub(super) async fn serve(
    listener: UnixListener,
    health: watch::Receiver<Arc<Health>>,
    chrony: Option<Rc<Cache>>,
) {
    let shared = Rc::new(Shared {
        health,
        chrony,
        watchers: Arc::new(Semaphore::new(MAX_WATCHERS)),
        oneshots: Arc::new(Semaphore::new(MAX_ONESHOT)),
        pending: RefCell::new(VecDeque::new()),
    });
    let mut logged_accept_error = false;
    let mut next_id = 0u64;
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
        // Make room by closing the oldest silent connection. Taken out of the list before it is
        // aborted, so that its own clean-up never meets a borrowed list.
        let oldest = {
            let mut p = shared.pending.borrow_mut();
            if p.len() >= MAX_PENDING {
                p.pop_front()
            } else {
                None
            }
        };
        if let Some((_, task)) = oldest {
            task.abort();
        }
        next_id += 1;
        let task = tokio::task::spawn_local(connection(stream, next_id, shared.clone()));
        shared.pending.borrow_mut().push_back((next_id, task.abort_handle()));
    }
}

/// Takes a connection off the pending list when its request is read or it ends.
struct Listed(u64, Rc<Shared>);

impl Drop for Listed {
    fn drop(&mut self) {
        if let Ok(mut p) = self.1.pending.try_borrow_mut() {
            p.retain(|(id, _)| *id != self.0);
        }
    }
}

/// Serves one connection; an error only ends it.
async fn connection(s: UnixStream, id: u64, shared: Rc<Shared>) {
    let listed = Listed(id, shared.clone());
    let (rd, mut wr) = s.into_split();
    let mut rd = BufReader::new(rd.take(256));
    let mut line = String::new();
    let got = tokio::time::timeout(REQUEST_TIMEOUT, rd.read_line(&mut line)).await;
    drop(listed);
    match got {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => return,
        Err(_) => {
            let why = "no request within 2 s; send \"snapshot\", \"clients\" or \"watch\"".to_string();
            let _ = write_timed(&mut wr, &error_message(Refusal::NoRequest, why)).await;
            return;
        }
    }
    match line.trim() {
        "snapshot" => oneshot(wr, &shared, false).await,
        "clients" => oneshot(wr, &shared, true).await,
        "watch" => match shared.watchers.clone().try_acquire_owned() {
            Ok(place) => {
                let _ = watcher(rd, wr, &shared, place).await;
            }
            Err(_) => {
                let why = format!(
                    "busy: {MAX_WATCHERS} watchers connected; try again later (snapshots are still served)"
                );
                let _ = write_timed(&mut wr, &error_message(Refusal::Busy, why)).await;
            }
        },
        other => {
            let why = format!("unknown request {other:?}; send \"snapshot\", \"clients\" or \"watch\"");
            let _ = write_timed(&mut wr, &error_message(Refusal::UnknownRequest, why)).await;
        }
    }
}

/// One `snapshot` (or with `clients`, chronyd's client log instead of its reading), start to
/// finish within [`ONESHOT_DEADLINE`].
async fn oneshot(mut wr: OwnedWriteHalf, shared: &Shared, clients: bool) {
    let deadline = Instant::now() + ONESHOT_DEADLINE;
    let busy = || {
        let why = format!("busy: {MAX_ONESHOT} snapshots in progress for 2 s; try again");
        error_message(Refusal::Busy, why)
    };
    let Ok(Ok(_place)) = tokio::time::timeout_at(deadline, shared.oneshots.clone().acquire_owned()).await
    else {
        let _ = tokio::time::timeout(Duration::from_millis(100), super::write_line(&mut wr, &busy())).await;
        return;
    };
    let h = shared.health.borrow().clone();
    if clients {
        let mut m = message("clients", None);
        m.clients = Some(match &shared.chrony {
            None => Err("[chrony] command_socket is \"\" in timed.toml".into()),
            Some(c) => match tokio::time::timeout(CLIENTS_SHARE, c.clients()).await {
                Ok(r) => r,
                Err(_) => {
                    Err(format!("chronyd's client log was not read within {} s", CLIENTS_SHARE.as_secs()))
                }
            },
        });
        let _ = tokio::time::timeout(Duration::from_secs(1), super::write_line(&mut wr, &m)).await;
        return;
    }
    let mut m = message("snapshot", Some(h.as_ref().clone()));
    match &shared.chrony {
        None => super::fill_chrony(&mut m, None).await,
        Some(c) => match tokio::time::timeout(CHRONY_SHARE, c.read()).await {
            Ok(r) => m.chrony = Some(r),
            // The reading is bounded by chronyd's own timeout; this only guards the deadline.
            Err(_) => m.chrony_note = Some("chronyd's reading did not finish within 1 s".into()),
        },
    }
    let _ = tokio::time::timeout_at(deadline, super::write_line(&mut wr, &m)).await;
}

/// A `watch` stream: a snapshot, then an update after each change, until the client leaves.
async fn watcher(
    mut rd: BufReader<tokio::io::Take<OwnedReadHalf>>,
    mut wr: OwnedWriteHalf,
    shared: &Shared,
    _place: OwnedSemaphorePermit,
) -> Result<(), std::io::Error> {
    let mut health = shared.health.clone();
    let chrony = shared.chrony.as_deref();
    let h = health.borrow_and_update().clone();
    write_timed(&mut wr, &snapshot(&h, chrony).await).await?;
    let mut last_chrony = Instant::now();
    let mut scratch = [0u8; 64];
    loop {
        tokio::time::sleep(MIN_UPDATE_INTERVAL).await;
        // Wait for a change, but notice a client that hangs up while nothing changes (a
        // degraded, idle timed may publish nothing for hours): its place is freed.
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
        let mut m: Message = message("update", Some(h.as_ref().clone()));
        if last_chrony.elapsed() >= CHRONY_REFRESH {
            last_chrony = Instant::now();
            super::fill_chrony(&mut m, chrony).await;
        }
        write_timed(&mut wr, &m).await?;
    }
}
