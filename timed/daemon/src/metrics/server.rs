//! A small read-only HTTP/1.1 endpoint: `GET /metrics` (and `/`), nothing else. Bounded: at most
//! `MAX_CONNECTIONS` at a time (others are closed at once), a request must arrive within
//! `REQUEST_TIMEOUT` and fit in `MAX_REQUEST` bytes, and the response must be written within
//! `WRITE_TIMEOUT`. No keep-alive: one request per connection, as Prometheus scrapes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tracing::{info, warn};

const MAX_CONNECTIONS: usize = 8;
const MAX_REQUEST: usize = 8192;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves until the task is dropped. `render` produces the exposition for each scrape.
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
        tokio::task::spawn_local(async move {
            let _permit = permit;
            let _ = handle(stream, render).await;
        });
    }
}

async fn handle<F, Fut>(mut stream: TcpStream, render: F) -> std::io::Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = String>,
{
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut len = 0;
    let head_end = loop {
        let n = match tokio::time::timeout(REQUEST_TIMEOUT, stream.read(&mut buf[len..])).await {
            Ok(Ok(0)) | Err(_) => return Ok(()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e),
        };
        len += n;
        if let Some(i) = buf[..len].windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if len == buf.len() {
            return respond(&mut stream, "431 Request Header Fields Too Large", "text/plain", "too large\n")
                .await;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut parts = head.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") | ("GET", "/") => {
            let body = render().await;
            respond(&mut stream, "200 OK", "text/plain; version=0.0.4; charset=utf-8", &body).await
        }
        ("GET", _) => respond(&mut stream, "404 Not Found", "text/plain", "only /metrics here\n").await,
        _ => respond(&mut stream, "405 Method Not Allowed", "text/plain", "read-only: GET /metrics\n").await,
    }
}

async fn respond(stream: &mut TcpStream, status: &str, ctype: &str, body: &str) -> std::io::Result<()> {
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    match tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(msg.as_bytes())).await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}
