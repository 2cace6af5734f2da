//! The send/receive loop: one non-blocking UDP socket per thread, requests paced against the
//! clock (a thread sends what is due, up to a batch, then drains its replies), and replies
//! deduplicated with a bit per request.

use super::{
    parse_reply, request, set_transmit, split_stamp, transmit_stamp, Reply, MAX_DURATION_S, MAX_RATE,
};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// At most this many requests back to back before a thread drains its socket: keeps the
/// receive buffer from overflowing at high rates, so losses are the server's, not ours.
const BATCH: u64 = 64;
/// How long replies are waited for after the last request.
const DRAIN: Duration = Duration::from_millis(500);

#[derive(Clone, Debug)]
pub struct Config {
    pub server: SocketAddr,
    /// Requests per second, all threads together; `None`: as fast as the threads can send.
    /// Either way at most [`MAX_RATE`].
    pub rate: Option<u64>,
    pub duration: Duration,
    pub threads: u8,
}

/// What a run sent and got back.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub sent: u64,
    /// Replies with time (each request counted once).
    pub served: u64,
    /// Of `served`: replies saying the server is unsynchronised (leap indicator 3).
    pub unsynchronised: u64,
    pub kod: u64,
    /// Replies matching no request of this run, or a request already answered.
    pub stray: u64,
    pub send_errors: u64,
    /// From the first request to the last (the drain after it not counted), seconds.
    pub seconds: f64,
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.sent += o.sent;
        self.served += o.served;
        self.unsynchronised += o.unsynchronised;
        self.kod += o.kod;
        self.stray += o.stray;
        self.send_errors += o.send_errors;
        self.seconds = self.seconds.max(o.seconds);
    }

    /// Requests that got no reply, percent of those sent.
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        (self.sent - (self.served + self.kod).min(self.sent)) as f64 * 100.0 / self.sent as f64
    }

    /// The one-line summary: `key=value` pairs (rates per second over [`Summary::seconds`]).
    pub fn line(&self) -> String {
        let per_s = |n: u64| if self.seconds > 0.0 { n as f64 / self.seconds } else { 0.0 };
        format!(
            "ntp-load sent={} served={} kod={} unsynchronised={} stray={} send_errors={} seconds={:.3} \
             rate={:.0} served_rate={:.0} loss={:.3}",
            self.sent,
            self.served,
            self.kod,
            self.unsynchronised,
            self.stray,
            self.send_errors,
            self.seconds,
            per_s(self.sent),
            per_s(self.served),
            self.loss_percent()
        )
    }
}

/// Runs the load and returns what it saw; errors only when no socket could be set up.
pub fn run(cfg: &Config) -> Result<Summary, String> {
    let threads = cfg.threads.max(1);
    let total = cfg.rate.unwrap_or(MAX_RATE).min(MAX_RATE);
    let per_thread = total as f64 / f64::from(threads);
    let duration = cfg.duration.min(Duration::from_secs(MAX_DURATION_S));
    // Tells this run's replies from a previous run's late ones on a reused port.
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let nonce = (std::process::id() as u16) ^ (clock.subsec_nanos() as u16);
    let mut sockets = Vec::new();
    for _ in 0..threads {
        let bind: SocketAddr =
            if cfg.server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().map_err(|e| format!("{e}"))?;
        let s = UdpSocket::bind(bind).map_err(|e| format!("cannot bind a UDP socket: {e}"))?;
        s.connect(cfg.server).map_err(|e| format!("cannot reach {}: {e}", cfg.server))?;
        s.set_nonblocking(true).map_err(|e| format!("non-blocking socket: {e}"))?;
        sockets.push(s);
    }
    let start = Instant::now();
    let mut total_summary = Summary::default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(i, s)| scope.spawn(move || one_thread(&s, nonce, i as u8, per_thread, start, duration)))
            .collect();
        for h in handles {
            // A panicking thread's share is simply missing from the figures.
            if let Ok(s) = h.join() {
                total_summary.add(&s);
            }
        }
    });
    Ok(total_summary)
}

fn one_thread(
    s: &UdpSocket,
    nonce: u16,
    thread: u8,
    rate: f64,
    start: Instant,
    duration: Duration,
) -> Summary {
    let mut sum = Summary::default();
    let capacity = (rate * duration.as_secs_f64()).ceil() as usize + 1;
    let mut answered = vec![0u64; capacity / 64 + 1];
    let mut pkt = request(transmit_stamp(nonce, thread, 0));
    let mut buf = [0u8; 512];
    let end = start + duration;
    let mut last_send = start;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let due = ((rate * (now - start).as_secs_f64()) as u64).min(capacity as u64 - 1);
        let mut n = 0;
        while sum.sent < due && n < BATCH {
            set_transmit(&mut pkt, transmit_stamp(nonce, thread, sum.sent));
            match s.send(&pkt) {
                Ok(_) => sum.sent += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    // ENOBUFS/ECONNREFUSED: counted, the request is not retried.
                    sum.send_errors += 1;
                    sum.sent += 1;
                }
            }
            n += 1;
        }
        if n > 0 {
            last_send = Instant::now();
        }
        let got = drain(s, &mut buf, nonce, thread, &mut answered, &mut sum);
        if n == 0 && got == 0 {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    sum.seconds = (last_send - start).as_secs_f64();
    let until = Instant::now() + DRAIN;
    while Instant::now() < until {
        if drain(s, &mut buf, nonce, thread, &mut answered, &mut sum) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    sum
}

/// Reads every reply waiting on `s`; returns how many datagrams it read.
fn drain(
    s: &UdpSocket,
    buf: &mut [u8],
    nonce: u16,
    thread: u8,
    answered: &mut [u64],
    sum: &mut Summary,
) -> u64 {
    let mut got = 0;
    loop {
        let n = match s.recv(buf) {
            Ok(n) => n,
            // WouldBlock: nothing more; ECONNREFUSED (no server yet) is a lost request too.
            Err(_) => return got,
        };
        got += 1;
        let Some((origin, reply)) = parse_reply(&buf[..n]) else {
            sum.stray += 1;
            continue;
        };
        let (o_nonce, o_thread, seq) = split_stamp(origin);
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        if o_nonce != nonce || o_thread != thread || seq >= sum.sent || answered[word] & bit != 0 {
            sum.stray += 1;
            continue;
        }
        answered[word] |= bit;
        match reply {
            Reply::Kod(_) => sum.kod += 1,
            Reply::Time { leap, .. } => {
                sum.served += 1;
                if leap == 3 {
                    sum.unsynchronised += 1;
                }
            }
        }
    }
}
