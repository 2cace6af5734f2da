//! The optional webhook sink (`[events] webhook`): each event POSTed as JSON, from a bounded
//! queue, by a thread of its own. The loop only ever `try_send`s: a full queue drops the event
//! and counts it, so a webhook that hangs, refuses or crawls costs the sample path nothing.
//! Plain HTTP/1.1 on std's TcpStream (no TLS: point it at a local relay for https).

use super::record::Record;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// A parsed `http://host[:port][/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Url, String> {
        if s.starts_with("https://") {
            return Err("https is not supported (no TLS in timed): use http:// to a local relay".into());
        }
        let rest = s.strip_prefix("http://").ok_or_else(|| format!("{s:?} does not start with http://"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("the path {path:?} holds a space or control character"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or("an IPv6 address needs its closing ]")?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() || host.contains('@') {
            return Err(format!("{s:?} names no host (user:password@ is not supported)"));
        }
        let port = match port {
            None => 80,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("port {p:?} is not 1..65535"))?,
        };
        Ok(Url { host: host.into(), port, path: path.into() })
    }
}

/// What the webhook did (shared with the loop, which copies it into the snapshot).
#[derive(Debug, Default)]
pub struct Counters {
    pub sent: AtomicU64,
    /// Given up after every retry.
    pub failed: AtomicU64,
    /// Not queued: the queue was full.
    pub dropped: AtomicU64,
}

/// Retries after a failed POST (then the event is given up and counted as failed).
pub const BACKOFF: [Duration; 3] =
    [Duration::from_millis(500), Duration::from_secs(1), Duration::from_secs(2)];
/// Each step of one POST (connect, write, reading the answer) waits at most this.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Webhook {
    tx: SyncSender<Vec<u8>>,
    pub counters: Arc<Counters>,
    pub url: String,
}

impl Webhook {
    /// Starts the sender thread with a queue of `queue` events.
    pub fn start(url: Url, text: &str, queue: usize) -> std::io::Result<Webhook> {
        let (tx, rx) = sync_channel::<Vec<u8>>(queue.max(1));
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let shown = text.to_string();
        std::thread::Builder::new().name("timed-webhook".into()).spawn(move || {
            // Said once when it starts failing and once when it works again.
            let mut failing = false;
            for body in rx {
                let mut result = post(&url, &body);
                for wait in BACKOFF {
                    if result.is_ok() {
                        break;
                    }
                    std::thread::sleep(wait);
                    result = post(&url, &body);
                }
                match (&result, failing) {
                    (Err(e), false) => tracing::warn!(
                        "events.webhook {shown}: {e}; events are counted as failed until it answers"
                    ),
                    (Ok(()), true) => tracing::info!("events.webhook answers again"),
                    _ => {}
                }
                failing = result.is_err();
                let counter = if failing { &c.failed } else { &c.sent };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })?;
        Ok(Webhook { tx, counters, url: text.into() })
    }

    /// Queues the event; never blocks (a full queue drops it and counts the drop).
    pub fn offer(&self, r: &Record) {
        let body = serde_json::to_vec(r).unwrap_or_default();
        match self.tx.try_send(body) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// One POST; `Ok` on a 2xx answer.
pub fn post(url: &Url, body: &[u8]) -> Result<(), String> {
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no address")?;
    let mut s = TcpStream::connect_timeout(&addr, STEP_TIMEOUT).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(STEP_TIMEOUT)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(STEP_TIMEOUT)).map_err(|e| e.to_string())?;
    let host = if url.host.contains(':') { format!("[{}]", url.host) } else { url.host.clone() };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: timed/{}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        url.path,
        url.port,
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(body).map_err(|e| e.to_string())?;
    // The status line is all we need: "HTTP/1.1 204 No Content".
    let mut buf = [0u8; 64];
    let mut n = 0;
    while n < 12 {
        match s.read(&mut buf[n..]).map_err(|e| e.to_string())? {
            0 => break,
            k => n += k,
        }
    }
    let line = String::from_utf8_lossy(&buf[..n]);
    match line.split_whitespace().nth(1) {
        Some(code) if code.starts_with('2') => Ok(()),
        other => Err(format!("answer {:?}", other.unwrap_or("none"))),
    }
}
