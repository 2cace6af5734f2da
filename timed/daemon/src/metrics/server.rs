//! A small read-only HTTP/1.1 endpoint: `GET /metrics`, the status page `GET /` and its
//! document `GET /status.json` (docs/web.md), nothing else. No keep-alive: one request per
//! connection, as Prometheus scrapes. Every path gets the same slots, deadlines and eviction
//! below: the page and its polling are just more scrapes.
//!
//! The endpoint may face the LAN (`listen = "[::]:9477"`), so it must stay useful to a
//! well-behaved scraper while anyone else holds connections open, and stay bounded doing so:
//!
//! - At most [`MAX_CONNECTIONS`] connections are served at once (one task and one 8 KiB
//!   request buffer each), so memory and tasks do not grow with what clients do.
//! - Deadlines count from accept, for the whole request, not per read: the first byte must
//!   arrive within [`FIRST_BYTE_TIMEOUT`] and the whole head within [`REQUEST_TIMEOUT`]. A
//!   per-read timeout let a client that sends one byte a second hold a slot forever. The
//!   first-byte deadline is 2 s rather than shorter so that a scraper whose first segment is
//!   lost still gets in after one retransmission (Linux's initial RTO is 1 s).
//! - Input that can never become a request (a TLS ClientHello starts 0x16, binary junk, a
//!   method that is not a token) is answered 400 on the read that shows it, and lines may end
//!   in a bare LF, so neither waits out a deadline holding a slot.
//! - Slot policy: when every slot is taken, the new connection gets a slot by evicting the one
//!   that has waited longest without sending a complete request (idle or slowloris); failing
//!   that, one whose response write has been stalled for [`WRITE_STALL`] (a peer that stopped
//!   reading). Connections rendering a scrape are never evicted: that work is already paid for
//!   and bounded by the chrony query timeout. Only when all slots are rendering or writing is
//!   the new connection closed at once.
//!
//! Why evict rather than refuse or keep a reserve: refusing new connections hands the endpoint
//! to whoever opened connections first, and a reserve is just more slots for the same attacker
//! to fill. Evicting the oldest incomplete request means a slot can only be held by winning it
//! again against every newcomer. A scraper sends its whole request right after connecting, so
//! it is the newest connection and leaves the evictable state (reading) within one round trip;
//! an attacker would have to open `MAX_CONNECTIONS` connections inside that round trip to push
//! it out. The accept loop yields after each accept so that a new connection's first read runs
//! before the next accept can evict it. Beyond that (a flood faster than a round trip, or a
//! LAN peer exhausting the daemon's file descriptors), the remedy is a firewall in front.
//!
//! Logging happens on state changes only: one warning when slots first have to be taken from
//! someone, one summary when contention has been quiet for [`QUIET`], the same for accept
//! errors; nothing per connection, so a flood cannot flood the journal.

mod request;
#[cfg(test)]
mod tests;

use request::{Route, Scan};
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, timeout_at, Instant};
use tracing::{info, warn};

/// Connections served at once. Prometheus holds one per scrape; a few spare for curl and a
/// second Prometheus.
const MAX_CONNECTIONS: usize = 8;
/// Largest request head. A scrape request is ~200 bytes.
const MAX_REQUEST: usize = 8192;
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(2);
/// From accept to the end of the request head. A scraper needs one round trip.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);
/// For the whole response, from its first byte.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// A response write blocked this long is waiting on a peer that stopped reading (a real
/// scraper drains a metrics page in milliseconds), so its slot may be taken.
const WRITE_STALL: Duration = Duration::from_secs(1);
/// Contention (or accept errors) this long gone counts as over, and is logged as such.
const QUIET: Duration = Duration::from_secs(30);

/// What a GET may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/metrics`: the Prometheus exposition.
    Metrics,
    /// `/`: the status page (HTML).
    Html,
    /// `/status.json`: the status document.
    Status,
}

impl Page {
    /// Content type, and the headers beyond it.
    fn headers(self) -> (&'static str, &'static str) {
        match self {
            Page::Metrics => ("text/plain; version=0.0.4; charset=utf-8", ""),
            Page::Html => ("text/html; charset=utf-8", crate::web::HTML_HEADERS),
            Page::Status => ("application/json", crate::web::JSON_HEADERS),
        }
    }
}

/// Serves until the task is dropped. `render` produces the body of each page asked for. Must
/// run inside a `tokio::task::LocalSet` (connections are local tasks).
pub async fn serve<F, Fut>(listener: TcpListener, render: F)
where
    F: Fn(Page) -> Fut + Clone + 'static,
    Fut: Future<Output = String> + 'static,
{
    if let Ok(a) = listener.local_addr() {
        info!(listen = %a, "metrics endpoint serving http://{a}/metrics");
    }
    let mut slots: Vec<Slot> = Vec::with_capacity(MAX_CONNECTIONS);
    let mut contention = Episode::default();
    let mut accept_errors = Episode::default();
    loop {
        let quiet = [contention.quiet_at(), accept_errors.quiet_at()].into_iter().flatten().min();
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = sleep_until(quiet.unwrap_or_else(Instant::now)), if quiet.is_some() => {
                let now = Instant::now();
                if let Some((lasted, [evicted, refused])) = contention.end_if_quiet(now) {
                    info!(evicted, refused, seconds = lasted.as_secs(), "metrics: connection slots no longer contended");
                }
                if let Some((lasted, [failed, _])) = accept_errors.end_if_quiet(now) {
                    info!(failed, seconds = lasted.as_secs(), "metrics: accepting connections again");
                }
                continue;
            }
        };
        let now = Instant::now();
        let stream = match accepted {
            Ok((s, _peer)) => s,
            Err(e) => {
                if accept_errors.note(now, 0) {
                    warn!(
                        "metrics: accept failed: {e}; retrying every 100 ms, logging again when it recovers"
                    );
                }
                // Out of file descriptors stays so for a while: do not spin on it.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        slots.retain(|s| !s.task.is_finished());
        if slots.len() >= MAX_CONNECTIONS {
            let Some(i) = victim(slots.iter().map(|s| s.phase.get()), now) else {
                if contention.note(now, 1) {
                    warn_contended();
                }
                drop(stream);
                continue;
            };
            slots.swap_remove(i).task.abort();
            if contention.note(now, 0) {
                warn_contended();
            }
        }
        let phase = Rc::new(Cell::new(Phase::Reading { since: now }));
        let task = tokio::task::spawn_local(connection(stream, render.clone(), phase.clone(), now));
        slots.push(Slot { phase, task });
        // Let the new connection read its request before the next accept may evict it.
        tokio::task::yield_now().await;
    }
}

fn warn_contended() {
    warn!(
        "metrics: all {MAX_CONNECTIONS} connection slots busy; new connections take the slot of the one waiting \
         longest without a complete request (slow or idle clients?)"
    );
}

/// Where a connection is, for the slot policy.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Accepted at `since`, request head not complete yet.
    Reading { since: Instant },
    /// Producing the exposition.
    Rendering,
    /// Sending the response since `since`.
    Writing { since: Instant },
}

struct Slot {
    phase: Rc<Cell<Phase>>,
    task: JoinHandle<()>,
}

/// The slot to free for a newcomer: the connection reading its request the longest, else the
/// one whose response write has been stalled the longest (at least [`WRITE_STALL`]); None if
/// every connection is doing a scraper's work.
fn victim(phases: impl Iterator<Item = Phase>, now: Instant) -> Option<usize> {
    phases
        .enumerate()
        .filter_map(|(i, p)| match p {
            Phase::Reading { since } => Some(((0, since), i)),
            Phase::Writing { since } if now.saturating_duration_since(since) >= WRITE_STALL => {
                Some(((1, since), i))
            }
            _ => None,
        })
        .min_by_key(|&(key, _)| key)
        .map(|(_, i)| i)
}

/// A run of events (evictions, accept errors) logged when it starts and when it has been quiet
/// for [`QUIET`], with counts, instead of once per event.
#[derive(Default)]
struct Episode {
    started: Option<Instant>,
    last: Option<Instant>,
    counts: [u64; 2],
}

impl Episode {
    /// Counts an event of kind `kind` (0 or 1); true if it starts an episode (log it).
    fn note(&mut self, now: Instant, kind: usize) -> bool {
        let starts = self.started.is_none();
        if starts {
            self.started = Some(now);
        }
        self.last = Some(now);
        if let Some(c) = self.counts.get_mut(kind) {
            *c += 1;
        }
        starts
    }

    fn quiet_at(&self) -> Option<Instant> {
        self.last.map(|l| l + QUIET)
    }

    /// If the episode has been quiet long enough: ends it and returns its length and counts.
    fn end_if_quiet(&mut self, now: Instant) -> Option<(Duration, [u64; 2])> {
        let (started, quiet) = (self.started?, self.quiet_at()?);
        if now < quiet {
            return None;
        }
        let ended = std::mem::take(self);
        Some((ended.last.unwrap_or(started).saturating_duration_since(started), ended.counts))
    }
}

/// One connection. Errors end only this connection; they are the client's doing and not worth
/// a log line each.
async fn connection<F, Fut>(mut stream: TcpStream, render: F, phase: Rc<Cell<Phase>>, accepted: Instant)
where
    F: Fn(Page) -> Fut,
    Fut: Future<Output = String>,
{
    let _ = exchange(&mut stream, render, &phase, accepted).await;
}

/// What the request turned out to be.
enum Request {
    Route(Route),
    TooLarge,
    NotHttp,
}

async fn exchange<F, Fut>(
    stream: &mut TcpStream,
    render: F,
    phase: &Cell<Phase>,
    accepted: Instant,
) -> std::io::Result<()>
where
    F: Fn(Page) -> Fut,
    Fut: Future<Output = String>,
{
    // Timed out or closed by the client: close without an answer nobody is waiting for.
    let Some(request) = read_request(stream, accepted).await? else {
        return Ok(());
    };
    let plain = "text/plain";
    let (status, ctype, extra, body) = match request {
        Request::Route(Route::Page(page)) => {
            phase.set(Phase::Rendering);
            let body = render(page).await;
            let (ctype, extra) = page.headers();
            ("200 OK", ctype, extra, body)
        }
        Request::Route(Route::NotFound) => {
            ("404 Not Found", plain, "", "only /metrics, / and /status.json here\n".into())
        }
        Request::Route(Route::MethodNotAllowed) => (
            "405 Method Not Allowed",
            plain,
            "Allow: GET\r\n",
            "read-only: GET /metrics, / or /status.json\n".into(),
        ),
        Request::TooLarge => ("431 Request Header Fields Too Large", plain, "", "too large\n".into()),
        Request::NotHttp => {
            ("400 Bad Request", plain, "", "not an HTTP/1.x request; try GET /metrics\n".into())
        }
    };
    phase.set(Phase::Writing { since: Instant::now() });
    respond(stream, status, ctype, extra, &body).await
}

/// Reads the request head under the first-byte and whole-request deadlines (both counted from
/// `accepted`); None if the client closed or a deadline passed.
async fn read_request(stream: &mut TcpStream, accepted: Instant) -> std::io::Result<Option<Request>> {
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut len = 0;
    loop {
        let deadline = accepted + if len == 0 { FIRST_BYTE_TIMEOUT } else { REQUEST_TIMEOUT };
        let n = match timeout_at(deadline, stream.read(&mut buf[len..])).await {
            Ok(Ok(0)) | Err(_) => return Ok(None),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e),
        };
        len += n;
        match request::scan(&buf[..len]) {
            Scan::Complete(end) => return Ok(Some(Request::Route(request::route(&buf[..end])))),
            Scan::NotHttp => return Ok(Some(Request::NotHttp)),
            Scan::Incomplete if len == buf.len() => return Ok(Some(Request::TooLarge)),
            Scan::Incomplete => {}
        }
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    extra: &str,
    body: &str,
) -> std::io::Result<()> {
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let write = async {
        stream.write_all(msg.as_bytes()).await?;
        // FIN after the response, so the client reads it to the end rather than a reset.
        stream.shutdown().await
    };
    timeout_at(Instant::now() + WRITE_TIMEOUT, write).await.unwrap_or(Ok(()))
}
