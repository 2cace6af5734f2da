//! Serial input: opens the receiver's device (tokio-serial's native port), stamps every read with
//! the system clock, and keeps going when the device is missing or vanishes (USB unplug): the
//! state is reported once per change and the device is reopened with backoff. Never exits.
//!
//! It reads on its own thread with blocking reads, not through the async reactor: the reactor
//! registers the tty edge-triggered, so every few bytes the UART delivers wake the process even
//! while it deliberately waits (measured: ~900 wakeups/s at 95 % of 115200 baud). A thread that
//! sleeps while the line is busy wakes ~50 times a second instead, and backward stamping (below)
//! keeps the receive times exact.

use crate::clock::Clock;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use timed_core::epoch::RxStamp;
use tokio::sync::mpsc;
use tokio_serial::SerialPort;

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

/// Starts the serial thread; it runs until `stop` is set or the receiver of `tx` is dropped.
pub fn spawn(
    device: PathBuf,
    baud: u32,
    clock: Clock,
    tx: mpsc::Sender<SerialEvent>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    std::thread::Builder::new().name("serial".into()).spawn(move || run(device, baud, clock, tx, stop))?;
    Ok(())
}

fn run(device: PathBuf, baud: u32, clock: Clock, tx: mpsc::Sender<SerialEvent>, stop: Arc<AtomicBool>) {
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
    let byte_ns = byte_time_ns(baud);
    while !stop.load(Ordering::Relaxed) {
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
                if !report(SerialStatus::Open { device: device.clone(), baud }) {
                    return;
                }
                let error = read_loop(&mut port, byte_ns, &clock, &tx, &stop);
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

/// Reads until an error (returned) or until asked to stop (`None`).
fn read_loop<P: SerialPort>(
    port: &mut P,
    byte_ns: i64,
    clock: &Clock,
    tx: &mpsc::Sender<SerialEvent>,
    stop: &AtomicBool,
) -> Option<String> {
    let mut buf = vec![0u8; 8192];
    let mut last_read_ns = clock.now().monotonic_ns;
    while !stop.load(Ordering::Relaxed) {
        match port.read(&mut buf) {
            Ok(0) => return Some("end of file (device closed)".to_string()),
            Ok(n) => {
                // The read completes just after the last byte arrived. Stamping backwards from it
                // (byte i of n at now − (n − i) byte-times) is exact for every byte after the last
                // pause on the line, which includes an epoch's first byte: a receiver sends its
                // burst back to back at line rate.
                let mut stamp = clock.now();
                let span = byte_ns * n as i64;
                let busy = 2 * span >= stamp.monotonic_ns - last_read_ns;
                last_read_ns = stamp.monotonic_ns;
                stamp.realtime_ns -= span;
                stamp.monotonic_ns -= span;
                if tx.blocking_send(SerialEvent::Bytes(buf[..n].to_vec(), stamp)).is_err() {
                    return None;
                }
                if busy {
                    std::thread::sleep(READ_BATCH);
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted) => {}
            Err(e) => return Some(e.to_string()),
        }
    }
    None
}
