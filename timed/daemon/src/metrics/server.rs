//! A small read-only HTTP/1.1 endpoint: `GET /metrics` (and `/`), nothing else. No keep-alive:
//! one request per connection, as Prometheus scrapes. At most [`MAX_CONNECTIONS`] at a time
//! (others are closed at once).
//!
//! Deadlines count from accept, for the whole request, not per read: the first byte must
//! arrive within [`FIRST_BYTE_TIMEOUT`] and the whole head within [`REQUEST_TIMEOUT`]. A
//! per-read timeout let a client that sends one byte a second hold a slot forever. The
//! first-byte deadline is 2 s rather than shorter so that a scraper whose first segment is lost
//! still gets in after one retransmission (Linux's initial RTO is 1 s).
//!
//! Input that can never become a request (a TLS ClientHello starts 0x16, binary junk, a method
//! that is not a token) is answered 400 on the read that shows it, and lines may end in a bare
//! LF, so neither waits out a deadline holding a slot.

mod request;
#[cfg(test)]
mod tests;

use request::{Route, Scan};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};
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

/// Serves until the task is dropped. `render` produces the exposition for each scrape. Must
/// run inside a `tokio::task::LocalSet` (connections are local tasks).
pub async fn serve<F, Fut>(listener: TcpListener, render: F)
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: Future<Output = String> + 'static,
{
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    if let Ok(a) = listener.local_addr() {
        info!(listen = %a, "metrics endpoint serving http://{a}/metrics");
    }
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                warn!("metrics: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            // Over the limit: close at once rather than queue.
            drop(stream);
            continue;
        };
        let render = render.clone();
        let accepted = Instant::now();
        tokio::task::spawn_local(async move {
            let _permit = permit;
            connection(stream, render, accepted).await;
        });
    }
}

/// One connection. Errors end only this connection; they are the client's doing and not worth
/// a log line each.
async fn connection<F, Fut>(mut stream: TcpStream, render: F, accepted: Instant)
where
    F: Fn() -> Fut,
    Fut: Future<Output = String>,
{
    let _ = exchange(&mut stream, render, accepted).await;
}

/// What the request turned out to be.
enum Request {
    Route(Route),
    TooLarge,
    NotHttp,
}

async fn exchange<F, Fut>(stream: &mut TcpStream, render: F, accepted: Instant) -> std::io::Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = String>,
{
    // Timed out or closed by the client: close without an answer nobody is waiting for.
    let Some(request) = read_request(stream, accepted).await? else {
        return Ok(());
    };
    let plain = "text/plain";
    let (status, ctype, extra, body) = match request {
        Request::Route(Route::Metrics) => {
            let body = render().await;
            ("200 OK", "text/plain; version=0.0.4; charset=utf-8", "", body)
        }
        Request::Route(Route::NotFound) => ("404 Not Found", plain, "", "only /metrics here\n".into()),
        Request::Route(Route::MethodNotAllowed) => {
            ("405 Method Not Allowed", plain, "Allow: GET\r\n", "read-only: GET /metrics\n".into())
        }
        Request::TooLarge => ("431 Request Header Fields Too Large", plain, "", "too large\n".into()),
        Request::NotHttp => {
            ("400 Bad Request", plain, "", "not an HTTP/1.x request; try GET /metrics\n".into())
        }
    };
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
