//! The metrics endpoint of the real `timed` binary against hostile clients (review findings F4
//! and F10): slowloris and idle connections must not keep a well-behaved scraper (or the status
//! page and its `/status.json` polls, served by the same listener under the same rules) out, and input
//! that is not an HTTP request the endpoint can finish reading (bare-LF line endings, a TLS
//! ClientHello, binary junk) must be answered or closed at once instead of holding a slot.
//!
//! Takes about 20 s (the tests run in parallel, each with its own timed): the scraper scrapes
//! 20 times at 0.5–1 s intervals while the attack goes on, because slowloris works on the scale
//! of seconds (one byte per second against the read deadlines) and a shorter run would end
//! before any deadline could have freed a slot; the deadline tests wait out one deadline each.
//! Opens ~210 sockets: the soft `ulimit -n` must allow that (checked, not assumed).
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_timed");
const SLOWLORIS: usize = 8;
const IDLE: usize = 200;
const SCRAPES: usize = 20;
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
    dir: timed_lab::Scratch,
    addr: SocketAddr,
}

impl Drop for Timed {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

impl Timed {
    /// timed without receiver, PPS, chrony or control socket: only the metrics endpoint matters.
    fn start(name: &str) -> Timed {
        let dir = timed_lab::Scratch::new(&format!("timed-metrics-{name}")).unwrap();
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

fn soft_fd_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let soft = line.split_whitespace().nth(3).unwrap();
    soft.parse().unwrap_or(u64::MAX) // "unlimited"
}

/// A persistent attacker: `IDLE` connections that never send anything and `SLOWLORIS` that
/// send one header byte per second and never finish the request. Whatever the server closes is
/// opened again (idle ones within 100 ms, slowloris at its next byte), as a real attacker would.
struct Attack {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Attack {
    fn start(addr: SocketAddr) -> Attack {
        let connect = move || {
            let s = TcpStream::connect(addr).ok()?;
            s.set_nonblocking(true).ok()?;
            Some(s)
        };
        let mut idle: Vec<Option<TcpStream>> = (0..IDLE).map(|_| connect()).collect();
        let opened = idle.iter().filter(|s| s.is_some()).count();
        assert_eq!(opened, IDLE, "the attack could not open its idle connections");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let head = b"GET /metrics HTTP/1.1\r\nHost: timed\r\nX-Slow: ";
            let mut slow: Vec<(Option<TcpStream>, usize)> = (0..SLOWLORIS).map(|_| (connect(), 0)).collect();
            let mut bytes_sent = 0u64;
            let mut next_byte = Instant::now();
            while !stopping.load(Ordering::Relaxed) {
                for s in idle.iter_mut() {
                    if s.as_mut().is_none_or(server_closed) {
                        *s = connect();
                    }
                }
                if Instant::now() >= next_byte {
                    next_byte += Duration::from_secs(1);
                    for (s, pos) in slow.iter_mut() {
                        if s.as_mut().is_none_or(server_closed) {
                            (*s, *pos) = (connect(), 0);
                        }
                        let byte = head.get(*pos).copied().unwrap_or(b'a');
                        if let Some(c) = s.as_mut() {
                            if c.write(&[byte]).is_ok_and(|n| n == 1) {
                                *pos += 1;
                                bytes_sent += 1;
                            }
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            bytes_sent
        });
        Attack { stop, thread: Some(thread) }
    }

    /// Stops the attack; returns how many slowloris bytes it sent.
    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().map(|t| t.join().unwrap()).unwrap_or(0)
    }
}

impl Drop for Attack {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
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

/// User plus system CPU time of timed so far, in clock ticks (/proc/PID/stat fields 14, 15).
fn cpu_ticks(t: &Timed) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", t.child.id())).unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, f)| f.split_whitespace().collect()).unwrap_or_default();
    fields.get(11..13).map(|f| f.iter().filter_map(|x| x.parse::<u64>().ok()).sum()).unwrap_or(0)
}

/// F4: 8 slowloris and 200 idle connections, reopened whenever the server closes them, must
/// not cost a well-behaved scraper a single scrape, nor its 1 s budget.
#[test]
fn scraper_gets_every_scrape_during_slowloris_and_idle_flood() {
    assert!(soft_fd_limit() >= 512, "ulimit -n is below 512: this test needs ~210 sockets");
    let timed = Timed::start("hostile");
    let attack = Attack::start(timed.addr);
    // Let the attack settle in: every slowloris has sent bytes and the idle connections have
    // been accepted, so the slots are taken before the first scrape.
    std::thread::sleep(Duration::from_millis(2500));
    let mut results = Vec::new();
    // The scraper, the status page and its poller take turns: all three paths get the same slots.
    let paths: [(&[u8], &str); 3] = [
        (b"GET /metrics HTTP/1.1\r\nHost: timed\r\n\r\n", "\ntimed_build_info{"),
        (b"GET / HTTP/1.1\r\nHost: timed\r\n\r\n", "<p id=\"verdict\" class=\"verdict v-FAILING\""),
        (b"GET /status.json HTTP/1.1\r\nHost: timed\r\n\r\n", "\"verdict\": \"FAILING\""),
    ];
    for i in 0..SCRAPES {
        let (request, body) = paths[i % paths.len()];
        let r = scrape(timed.addr, request, SCRAPE_BUDGET);
        results.push(r.and_then(|(took, text)| {
            if text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains(body) {
                Ok(took)
            } else {
                Err(format!("not a 200 with {body:?}: {:?}", text.chars().take(200).collect::<String>()))
            }
        }));
        // 0.5, 0.75, 1 s, … between scrapes.
        std::thread::sleep(Duration::from_millis(500 + 250 * (i as u64 % 3)));
    }
    let slow_bytes = attack.stop();
    let cpu = cpu_ticks(&timed);
    let ok: Vec<Duration> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    let worst = ok.iter().max().copied().unwrap_or_default();
    eprintln!(
        "under attack: {}/{SCRAPES} scrapes answered 200, worst {worst:?}; slowloris sent {slow_bytes} bytes; \
         timed used {cpu} CPU ticks in all",
        ok.len()
    );
    let failures: Vec<String> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("#{i}: {e}")))
        .collect();
    let log = timed.log();
    assert!(failures.is_empty(), "failed scrapes:\n{}\ntimed log:\n{log}", failures.join("\n"));
    // The attack really ran: a slowloris byte per second on each of 8 connections.
    assert!(slow_bytes >= (SLOWLORIS * 15) as u64, "slowloris sent only {slow_bytes} bytes");
    // Logged per state change, not per connection: evictions by the hundred, one warning
    // (the endpoint's own lines start "metrics: ").
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" metrics: ")).collect();
    eprintln!("{}", lines.join("\n"));
    assert!(
        !lines.is_empty() && lines.len() <= 2,
        "{} metrics log lines during the attack:\n{log}",
        lines.len()
    );
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
    let (_, text) = scrape(timed.addr, b"GET /status.json\n\n", PROMPT).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"), "{text}");
    // Read-only: the page's paths take GET and nothing else.
    for request in
        [&b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"[..], b"PUT /status.json HTTP/1.1\r\n\r\n"]
    {
        let (_, text) = scrape(timed.addr, request, PROMPT).unwrap();
        assert!(text.starts_with("HTTP/1.1 405 ") && text.contains("\r\nAllow: GET\r\n"), "{text}");
    }
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
    // The status page's path: its deadline is the same as /metrics'.
    let head = b"GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
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
