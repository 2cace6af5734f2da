//! The request scanner, the slot policy and `serve` itself with a stub render on a loopback
//! listener (the real binary under attack: tests/metrics_hostile.rs).

use super::request::{route, scan, Route, Scan};
use super::*;
use std::net::SocketAddr;
use tokio::task::LocalSet;

#[test]
fn scan_finds_the_end_of_crlf_bare_lf_and_mixed_heads() {
    let crlf = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(scan(crlf), Scan::Complete(crlf.len() - 3));
    assert_eq!(scan(b"GET /metrics\n\n"), Scan::Complete(12));
    assert_eq!(scan(b"GET / HTTP/1.0\nHost: a\r\n\n"), Scan::Complete(23));
    assert_eq!(scan(b"GET / HTTP/1.0\r\nHost: a\n\r\n"), Scan::Complete(23));
    // Empty lines before the request line are skipped, not taken for the end of the head.
    assert_eq!(scan(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"), Scan::Complete(19));
}

#[test]
fn scan_waits_for_what_could_still_become_a_request() {
    for partial in [
        &b""[..],
        b"\r\n",
        b"G",
        b"GET",
        b"GET /met",
        b"GET /metrics HTTP/1.1\r\n",
        b"GET / HTTP/1.1\r\nA: b\r",
    ] {
        assert_eq!(scan(partial), Scan::Incomplete, "{:?}", String::from_utf8_lossy(partial));
    }
}

#[test]
fn scan_rejects_what_cannot_become_a_request_on_first_sight() {
    let cases: [&[u8]; 7] = [
        &[0x16, 0x03, 0x01, 0x02, 0x00], // TLS handshake record
        b"\x00",
        b" GET / HTTP/1.1\r\n\r\n",       // no method
        b"G\xc3\xa9T / HTTP/1.1",         // non-token method byte
        b"GET\r\n\r\n",                   // no target: CR inside the method
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",    // a method longer than any real one
        b"GET / HTTP/1.1\r\nX: \x01\r\n", // control byte in a header
    ];
    for c in cases {
        assert_eq!(scan(c), Scan::NotHttp, "{:?}", String::from_utf8_lossy(c));
    }
}

#[test]
fn route_serves_get_of_the_three_paths_only() {
    assert_eq!(route(b"GET /metrics HTTP/1.1"), Route::Page(Page::Metrics));
    assert_eq!(route(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r"), Route::Page(Page::Metrics));
    assert_eq!(route(b"GET /"), Route::Page(Page::Html));
    assert_eq!(route(b"GET /?refresh=1 HTTP/1.1"), Route::Page(Page::Html));
    assert_eq!(route(b"GET /status.json HTTP/1.1"), Route::Page(Page::Status));
    assert_eq!(route(b"\r\nGET /metrics"), Route::Page(Page::Metrics));
    assert_eq!(route(b"GET /status.json/x HTTP/1.1"), Route::NotFound);
    assert_eq!(route(b"POST /status.json HTTP/1.1"), Route::MethodNotAllowed);
    assert_eq!(route(b"GET /favicon.ico HTTP/1.1"), Route::NotFound);
    assert_eq!(route(b"POST /metrics HTTP/1.1"), Route::MethodNotAllowed);
    assert_eq!(route(b"HEAD /metrics HTTP/1.1"), Route::MethodNotAllowed);
}

#[test]
fn victim_is_the_longest_waiting_reader_then_a_stalled_writer_never_a_renderer() {
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let now = at(10_000);
    let reading = |ms| Phase::Reading { since: at(ms) };
    let writing = |ms| Phase::Writing { since: at(ms) };
    let v = |p: &[Phase]| victim(p.iter().copied(), now);
    assert_eq!(v(&[writing(0), reading(300), Phase::Rendering, reading(200), reading(900)]), Some(3));
    assert_eq!(v(&[writing(5_000), Phase::Rendering, writing(2_000)]), Some(2));
    // A write that started less than WRITE_STALL ago is a scraper reading its response.
    assert_eq!(v(&[Phase::Rendering, writing(9_500)]), None);
    assert_eq!(v(&[Phase::Rendering; MAX_CONNECTIONS]), None);
}

#[test]
fn episode_logs_its_start_once_and_its_end_after_quiet() {
    let t0 = Instant::now();
    let mut e = Episode::default();
    assert_eq!(e.quiet_at(), None);
    assert!(e.note(t0, 0), "the first event starts an episode");
    assert!(!e.note(t0 + Duration::from_secs(5), 0));
    assert!(!e.note(t0 + Duration::from_secs(6), 1));
    assert_eq!(e.end_if_quiet(t0 + Duration::from_secs(6) + QUIET / 2), None);
    let end = e.end_if_quiet(t0 + Duration::from_secs(6) + QUIET);
    assert_eq!(end, Some((Duration::from_secs(6), [2, 1])));
    assert!(e.note(t0 + QUIET * 2, 0), "after the end, the next event starts a new episode");
}

/// Starts `serve` on a loopback port with `render` (call inside a LocalSet).
async fn start<F, Fut>(render: F) -> SocketAddr
where
    F: Fn(Page) -> Fut + Clone + 'static,
    Fut: Future<Output = String> + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::task::spawn_local(serve(listener, render));
    addr
}

/// Sends `request` and reads the response to EOF within 1 s.
async fn get(addr: SocketAddr, request: &[u8]) -> String {
    let exchange = async {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(request).await?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await?;
        std::io::Result::Ok(String::from_utf8_lossy(&out).into_owned())
    };
    match tokio::time::timeout(Duration::from_secs(1), exchange).await {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => panic!("{:?}: {e}", String::from_utf8_lossy(request)),
        Err(_) => panic!("{:?}: no answer within 1 s", String::from_utf8_lossy(request)),
    }
}

/// True if the server ends `s` (EOF or reset) within `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let until = Instant::now() + limit;
    loop {
        match timeout_at(until, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_newcomer_takes_the_slot_of_the_connection_idle_longest() {
    LocalSet::new()
        .run_until(async {
            let addr = start(|_| async { "up 1\n".to_string() }).await;
            let mut idle = Vec::new();
            for _ in 0..MAX_CONNECTIONS {
                idle.push(TcpStream::connect(addr).await.unwrap());
                // Distinct accept times, so "longest" is well defined.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let text = get(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n") && text.ends_with("\r\n\r\nup 1\n"), "{text}");
            assert!(
                closed_within(&mut idle[0], Duration::from_millis(500)).await,
                "the oldest idle kept its slot"
            );
            for (i, s) in idle.iter_mut().enumerate().skip(1) {
                assert!(!closed_within(s, Duration::from_millis(20)).await, "idle #{i} evicted out of turn");
            }
        })
        .await;
}

/// A write blocked on a peer that stopped reading gives its slot up once stalled, while
/// renders in progress keep theirs.
#[tokio::test]
async fn a_stalled_writer_is_evicted_but_renders_in_progress_are_not() {
    LocalSet::new()
        .run_until(async {
            let gate = Rc::new(tokio::sync::Semaphore::new(0));
            let calls = Rc::new(Cell::new(0usize));
            let (g, c) = (gate.clone(), calls.clone());
            let addr = start(move |_| {
                let (gate, call) = (g.clone(), c.get());
                c.set(call + 1);
                async move {
                    match call {
                        // Far more than the socket buffers take: the write stalls.
                        0 => "x".repeat(16 << 20),
                        1..=7 => {
                            let _ = gate.acquire().await;
                            "rendered slowly\n".to_string()
                        }
                        _ => "up 1\n".to_string(),
                    }
                }
            })
            .await;
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.set_recv_buffer_size(4096).unwrap();
            let mut stalled = socket.connect(addr).await.unwrap();
            stalled.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").await.unwrap();
            tokio::time::sleep(WRITE_STALL + Duration::from_millis(300)).await;
            let slow: Vec<_> =
                (1..MAX_CONNECTIONS).map(|_| tokio::task::spawn_local(get_slowly(addr))).collect();
            while calls.get() < MAX_CONNECTIONS {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let text = get(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n") && text.ends_with("\r\n\r\nup 1\n"), "{text}");
            assert!(
                closed_within(&mut stalled, Duration::from_millis(500)).await,
                "the stalled writer kept its slot"
            );
            gate.add_permits(MAX_CONNECTIONS);
            for s in slow {
                let text = s.await.unwrap();
                assert!(
                    text.ends_with("\r\n\r\nrendered slowly\n"),
                    "a render in progress was cut off: {text}"
                );
            }
        })
        .await;
}

/// Like `get` but without a time limit: the render is held back on purpose.
async fn get_slowly(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}
