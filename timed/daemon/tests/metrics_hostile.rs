//! The metrics endpoint of the real `timed` binary against hostile clients (review finding
//! F10): input that is not an HTTP request the endpoint can finish reading (bare-LF line
//! endings, a TLS ClientHello, binary junk) must be answered or closed at once instead of
//! holding a slot, and the request deadlines cover the whole request.
//!
//! Takes about 8 s (the tests run in parallel, each with its own timed): the deadline test
//! waits out the first-byte deadline and then the whole-request deadline of a client sending
//! one byte a second, because that is the scale slowloris works on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_timed");
/// A scrape must be answered within this, attack or not.
const SCRAPE_BUDGET: Duration = Duration::from_secs(1);
/// "Promptly": far below the 5 s the endpoint used to wait on every read.
const PROMPT: Duration = Duration::from_secs(1);
/// What a TLS 1.2/1.3 client sends first: a handshake record (0x16, version 3.1) with a
/// ClientHello (type 1), shortened but byte-for-byte how real ones start.
const CLIENT_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03, 0x5c, 0x1d, 0x7a, 0x44, 0x0e, 0x91,
    0x23, 0x48, 0xa1, 0x6f, 0x02, 0x19, 0x88, 0x3b, 0xc4, 0x55, 0x60, 0x0d, 0xe2, 0x71, 0x3a, 0x9c, 0x84,
    0x10, 0x2e, 0xf5, 0x66, 0x07, 0xb8, 0x4d, 0x21, 0x93, 0xca, 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
];

struct Timed {
    child: Child,
    dir: PathBuf,
    addr: SocketAddr,
}

impl Drop for Timed {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Timed {
    /// timed without receiver, PPS, chrony or control socket: only the metrics endpoint matters.
    fn start(name: &str) -> Timed {
        let dir = std::env::temp_dir().join(format!("timed-metrics-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A port the kernel just handed out and nobody holds: free unless another process
        // takes it in the next few milliseconds.
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let cfg = dir.join("t.toml");
        std::fs::write(
            &cfg,
            format!(
                "[receiver]\ndevice = \"{d}/absent\"\n[pps]\nsource = \"off\"\n[chrony]\ncommand_socket = \"\"\n\
                 [chrony.sock]\npps = \"\"\ncoarse = \"\"\n[metrics]\nlisten = \"{addr}\"\n[control]\nsocket = \"\"\n",
                d = dir.display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("timed.log")).unwrap();
        let child = Command::new(BIN).arg("-c").arg(&cfg).stderr(Stdio::from(log)).spawn().unwrap();
        let t = Timed { child, dir, addr };
        let until = Instant::now() + Duration::from_secs(10);
        while scrape(addr, b"GET /metrics HTTP/1.1\r\n\r\n", SCRAPE_BUDGET).is_err() {
            assert!(Instant::now() < until, "metrics never answered\n{}", t.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        t
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("timed.log")).unwrap_or_default()
    }
}

/// Sends `request` on a fresh connection and reads the whole response (the endpoint closes
/// after one); Err if that does not finish within `budget`.
fn scrape(addr: SocketAddr, request: &[u8], budget: Duration) -> Result<(Duration, String), String> {
    let t0 = Instant::now();
    let mut s = TcpStream::connect_timeout(&addr, budget).map_err(|e| format!("connect: {e}"))?;
    s.set_write_timeout(Some(budget)).map_err(|e| e.to_string())?;
    s.write_all(request).map_err(|e| format!("write: {e}"))?;
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let left = budget.checked_sub(t0.elapsed()).filter(|d| !d.is_zero()).ok_or_else(|| {
            format!("no complete answer within {budget:?}: {:?}", String::from_utf8_lossy(&out))
        })?;
        s.set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => return Err(format!("read: {e} after {:?}", String::from_utf8_lossy(&out))),
        }
    }
    Ok((t0.elapsed(), String::from_utf8_lossy(&out).into_owned()))
}

/// Waits until the server ends the connection (EOF or reset); returns how long that took, or
/// None if it still holds it after `limit`. Whatever it sends first is collected in `got`.
fn closed_within(s: &mut TcpStream, limit: Duration, got: &mut Vec<u8>) -> Option<Duration> {
    let t0 = Instant::now();
    let mut buf = [0u8; 4096];
    while let Some(left) = limit.checked_sub(t0.elapsed()).filter(|d| !d.is_zero()) {
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(t0.elapsed()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(t0.elapsed()),
        }
    }
    None
}

/// True once the server has ended a non-blocking connection (EOF or reset).
fn server_closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

/// F10: an LF-only request is answered at once; a TLS ClientHello and binary junk are answered
/// (400) or closed at once, so none of them holds a slot for seconds.
#[test]
fn bare_lf_is_answered_and_tls_or_junk_is_dropped_promptly() {
    let timed = Timed::start("lf-tls");
    let (took, text) = scrape(timed.addr, b"GET /metrics\n\n", PROMPT).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains("\ntimed_build_info{"), "{text}");
    eprintln!("bare LF answered in {took:?}");
    let (_, text) = scrape(timed.addr, b"GET /nothing HTTP/1.0\nHost: timed\n\n", PROMPT).unwrap();
    assert!(text.starts_with("HTTP/1.1 404 "), "{text}");
    // All slots at once, held open by the clients: the server must be the one ending them.
    for (what, first) in
        [("TLS ClientHello", CLIENT_HELLO), ("binary junk", b"\x00\x01\x02\x03junk" as &[u8])]
    {
        let mut held: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(timed.addr).unwrap()).collect();
        for s in held.iter_mut() {
            s.write_all(first).unwrap();
        }
        for (i, s) in held.iter_mut().enumerate() {
            let mut got = Vec::new();
            let took = closed_within(s, PROMPT, &mut got);
            assert!(took.is_some(), "{what} #{i} still held after {PROMPT:?}");
            assert!(
                got.is_empty() || got.starts_with(b"HTTP/1.1 400 "),
                "{what}: {:?}",
                String::from_utf8_lossy(&got)
            );
        }
        let (_, text) = scrape(timed.addr, b"GET /metrics HTTP/1.1\r\n\r\n", PROMPT).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "after {what}: {text}");
    }
}

/// One deadline for the whole request, and a short one for the first byte: a client that
/// sends nothing is closed within 3 s, and one that sends a byte a second is closed once the
/// request deadline passes instead of being kept alive by each byte.
#[test]
fn deadlines_cover_the_whole_request_and_the_first_byte() {
    let timed = Timed::start("deadlines");
    let mut silent = TcpStream::connect(timed.addr).unwrap();
    let took = closed_within(&mut silent, Duration::from_secs(3), &mut Vec::new());
    assert!(took.is_some(), "a connection that sent nothing was still open after 3 s");
    eprintln!("silent connection closed after {took:?}");
    let t0 = Instant::now();
    let mut slow = TcpStream::connect(timed.addr).unwrap();
    slow.set_nonblocking(true).unwrap();
    let head = b"GET /metrics HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed = None;
    for &b in head {
        if server_closed(&mut slow) {
            closed = Some(t0.elapsed());
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(8), "a byte-a-second request still open after 8 s");
        let _ = slow.write(&[b]);
        std::thread::sleep(Duration::from_secs(1));
    }
    eprintln!("byte-a-second request closed after {closed:?}");
    assert!(closed.is_some(), "a byte-a-second request was never closed");
}
