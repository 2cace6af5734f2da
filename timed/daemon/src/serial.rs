//! Serial input: opens the receiver's device (tokio-serial's native port), stamps every read with
//! the system clock, and keeps going when the device is missing or vanishes (USB unplug): the
//! state is reported once per change and the device is reopened with backoff. Never exits.
//!
//! It reads on its own thread with blocking reads, not through the async reactor: the reactor
//! registers the tty edge-triggered, so every few bytes the UART delivers wake the process even
//! while it deliberately waits (measured: ~900 wakeups/s at 95 % of 115200 baud). A thread that
//! sleeps while the line is busy wakes ~50 times a second instead, and backward stamping (below)
//! keeps the receive times exact. After each pause on the line (where an epoch's first byte
//! comes), it reads unbatched for a short window and stamps the first byte from the read that
//! was least delayed (`Attack`).

use crate::clock::Clock;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use timed_core::epoch::RxStamp;
use tokio::sync::mpsc;
use tokio_serial::SerialPort;

mod writer;
pub use writer::{Port, PortCommand};

/// What the serial thread reports.
#[derive(Debug)]
pub enum SerialEvent {
    /// Bytes read, and the estimated receive time of the first of them.
    Bytes(Vec<u8>, RxStamp),
    Status(SerialStatus),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SerialStatus {
    Open {
        device: PathBuf,
        baud: u32,
    },
    /// Could not open (missing device, permissions); retrying.
    Absent {
        device: PathBuf,
        error: String,
    },
    /// Was open, read failed (unplugged); reopening.
    Lost {
        device: PathBuf,
        error: String,
    },
}

/// Pause between reads while the line is busy.
const READ_BATCH: Duration = Duration::from_millis(20);
/// Longest a read blocks, so the thread notices `stop`.
const READ_TIMEOUT: Duration = Duration::from_millis(500);

/// Time one byte takes on the wire (start + 8 data + stop bits).
pub fn byte_time_ns(baud: u32) -> i64 {
    10_000_000_000 / i64::from(baud.max(1))
}

/// Starts the serial thread, and the writer thread behind the returned [`Port`]; they run
/// until `stop` is set or the receiver of `tx` is dropped.
pub fn spawn(
    device: PathBuf,
    baud: u32,
    clock: Clock,
    tx: mpsc::Sender<SerialEvent>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<Port> {
    let shared = Shared { writer: Mutex::new(None), baud: AtomicU32::new(baud) };
    let shared = Arc::new(shared);
    let port = writer::spawn(shared.clone())?;
    std::thread::Builder::new().name("serial".into()).spawn(move || run(device, shared, clock, tx, stop))?;
    Ok(port)
}

/// What the reader shares with the writer: a second handle on the open port (a dup of its
/// descriptor: same tty, same speed) and the speed the line runs at now.
struct Shared {
    writer: Mutex<Option<Box<dyn SerialPort>>>,
    baud: AtomicU32,
}

impl Shared {
    fn set_writer(&self, port: Option<Box<dyn SerialPort>>) {
        if let Ok(mut w) = self.writer.lock() {
            *w = port;
        }
    }
}

fn run(
    device: PathBuf,
    shared: Arc<Shared>,
    clock: Clock,
    tx: mpsc::Sender<SerialEvent>,
    stop: Arc<AtomicBool>,
) {
    let mut backoff = Duration::from_millis(500);
    let mut last_status: Option<SerialStatus> = None;
    let mut report = |s: SerialStatus| {
        if last_status.as_ref() != Some(&s) {
            last_status = Some(s.clone());
            tx.blocking_send(SerialEvent::Status(s)).is_ok()
        } else {
            true
        }
    };
    while !stop.load(Ordering::Relaxed) {
        // The speed last set: after a speed change the receiver talks at the new one.
        let baud = shared.baud.load(Ordering::Relaxed);
        let opened = tokio_serial::new(device.to_string_lossy(), baud)
            .data_bits(tokio_serial::DataBits::Eight)
            .parity(tokio_serial::Parity::None)
            .stop_bits(tokio_serial::StopBits::One)
            .flow_control(tokio_serial::FlowControl::None)
            .timeout(READ_TIMEOUT)
            .open_native();
        let status = match opened {
            Ok(mut port) => {
                backoff = Duration::from_millis(500);
                // Stale bytes from before we opened would carry wrong receive times.
                let _ = port.clear(tokio_serial::ClearBuffer::Input);
                // A writer that cannot be made only costs the set-up (reported by its driver).
                shared.set_writer(port.try_clone().ok());
                if !report(SerialStatus::Open { device: device.clone(), baud }) {
                    return;
                }
                let error = read_loop(&mut port, &shared.baud, &clock, &tx, &stop);
                shared.set_writer(None);
                // Release TIOCEXCL before closing: on a pty it outlives the close and would make
                // our own reopen fail with EBUSY.
                let _ = port.set_exclusive(false);
                match error {
                    Some(error) => SerialStatus::Lost { device: device.clone(), error },
                    None => return,
                }
            }
            Err(e) => SerialStatus::Absent { device: device.clone(), error: e.to_string() },
        };
        if !report(status) {
            return;
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// After a pause on the line, reads go on unbatched for this many byte-times (at least
/// [`ATTACK_MIN`]) while each of them refines when the first byte arrived.
const ATTACK_BYTES: i64 = 32;
const ATTACK_MIN: Duration = Duration::from_millis(4);

/// The bytes that follow a pause on the line, held for a short window while every read narrows
/// down when the first of them arrived.
///
/// Why: a read completes just after its last byte arrived, plus however late this thread woke.
/// Stamping backwards from a read (byte i of n at now − (n − i) byte-times) is exact for bytes
/// sent back to back, so each read of the window gives an estimate of the first byte's arrival
/// that can only be late, never early: a wake-up delay, a pause inside the burst or a lost byte
/// all make it later. The earliest estimate is the one least delayed. Stamping from the first
/// read alone charged its wake-up delay to the sample: on a busy host, occasional ms-late
/// stamps that dominated the coarse source's added jitter. The window is bounded in byte-times
/// so a receiver's baud-rate error (≲ 0.2 %) moves the estimate by a few percent of a byte at
/// most.
#[derive(Debug, Default)]
struct Attack {
    bytes: Vec<u8>,
    /// Best estimate so far of when `bytes[0]` arrived; `None` outside a window.
    first: Option<RxStamp>,
    until_ns: i64,
}

impl Attack {
    fn window_ns(byte_ns: i64) -> i64 {
        (ATTACK_BYTES * byte_ns).max(ATTACK_MIN.as_nanos() as i64)
    }

    fn active(&self) -> bool {
        self.first.is_some()
    }

    fn start(&mut self, now: RxStamp, byte_ns: i64) {
        self.until_ns = now.monotonic_ns + Self::window_ns(byte_ns);
        self.first = Some(now);
    }

    /// Adds a read's bytes, completed at `now`.
    fn add(&mut self, data: &[u8], now: RxStamp, byte_ns: i64) {
        self.bytes.extend_from_slice(data);
        let back = byte_ns * self.bytes.len() as i64;
        let est = RxStamp { realtime_ns: now.realtime_ns - back, monotonic_ns: now.monotonic_ns - back };
        self.first =
            Some(self.first.map_or(est, |f| if est.monotonic_ns < f.monotonic_ns { est } else { f }));
    }

    /// Time left in the window at `now_ns` (monotonic), zero once it is over.
    fn left(&self, now_ns: i64) -> Duration {
        Duration::from_nanos(u64::try_from(self.until_ns - now_ns).unwrap_or(0))
    }

    fn take(&mut self) -> Option<(Vec<u8>, RxStamp)> {
        let first = self.first.take()?;
        Some((std::mem::take(&mut self.bytes), first))
    }
}

/// Reads until an error (returned) or until asked to stop (`None`).
fn read_loop<P: SerialPort>(
    port: &mut P,
    baud: &AtomicU32,
    clock: &Clock,
    tx: &mpsc::Sender<SerialEvent>,
    stop: &AtomicBool,
) -> Option<String> {
    let mut buf = vec![0u8; 8192];
    let mut last_read_ns = clock.now().monotonic_ns;
    let mut attack = Attack::default();
    let send = |bytes: Vec<u8>, stamp: RxStamp| tx.blocking_send(SerialEvent::Bytes(bytes, stamp)).is_ok();
    while !stop.load(Ordering::Relaxed) {
        let byte_ns = byte_time_ns(baud.load(Ordering::Relaxed));
        let timeout = if attack.active() {
            attack.left(clock.now().monotonic_ns).max(Duration::from_micros(100))
        } else {
            READ_TIMEOUT
        };
        let _ = port.set_timeout(timeout);
        let read = port.read(&mut buf);
        let now = clock.now();
        let n = match read {
            Ok(0) => return Some("end of file (device closed)".to_string()),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted) => 0,
            Err(e) => return Some(e.to_string()),
        };
        let span = byte_ns * n as i64;
        // Bytes for at least half the time since the last read: the line is busy.
        let busy = n > 0 && 2 * span >= now.monotonic_ns - last_read_ns;
        if n > 0 {
            last_read_ns = now.monotonic_ns;
            if !attack.active() && !busy {
                attack.start(now, byte_ns);
            }
        }
        if attack.active() {
            attack.add(&buf[..n], now, byte_ns);
            if attack.left(now.monotonic_ns).is_zero() {
                if let Some((bytes, first)) = attack.take() {
                    if !send(bytes, first) {
                        return None;
                    }
                }
            }
            continue;
        }
        if n == 0 {
            continue;
        }
        // The read completes just after the last byte arrived: byte i of n arrived at
        // now − (n − i) byte-times (see [`Attack`]).
        let stamp = RxStamp { realtime_ns: now.realtime_ns - span, monotonic_ns: now.monotonic_ns - span };
        if !send(buf[..n].to_vec(), stamp) {
            return None;
        }
        if busy {
            std::thread::sleep(READ_BATCH);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(us: i64) -> RxStamp {
        RxStamp { realtime_ns: 1_000_000_000_000 + us * 1000, monotonic_ns: us * 1000 }
    }

    /// Every read of the window estimates the first byte's arrival from its own completion; the
    /// least delayed one wins, and a late read (woken late, or after a pause) changes nothing.
    #[test]
    fn the_least_delayed_read_stamps_the_first_byte() {
        let byte_ns = 100_000; // 100 µs a byte
        let mut a = Attack::default();
        assert!(!a.active());
        a.start(at(1_000), byte_ns);
        // One byte read 300 µs after it arrived (woken late): first byte "at" 900 µs.
        a.add(b"$", at(1_000), byte_ns);
        assert_eq!(a.first, Some(at(900)));
        // Five more, read 10 µs after the last arrived: the first came at 1_410 - 600 = 810 µs.
        a.add(b"GPRMC", at(1_410), byte_ns);
        assert_eq!(a.first, Some(at(810)));
        // A read 3 ms late says 4_300 µs: later than what is known, ignored.
        a.add(b",", at(5_000), byte_ns);
        assert_eq!(a.first, Some(at(810)));
        assert!(!a.left(at(4_999).monotonic_ns).is_zero());
        assert!(a.left(at(5_000).monotonic_ns).is_zero());
        assert_eq!(a.take(), Some((b"$GPRMC,".to_vec(), at(810))));
        assert!(!a.active());
        assert_eq!(a.take(), None);
    }

    /// The window is 32 byte-times, and never under 4 ms.
    #[test]
    fn the_window_is_counted_in_bytes() {
        assert_eq!(Attack::window_ns(byte_time_ns(9600)), 32 * 1_041_666);
        assert_eq!(Attack::window_ns(byte_time_ns(115_200)), 4_000_000);
    }
}
