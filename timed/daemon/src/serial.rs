//! Serial input: opens the receiver's device with tokio-serial, stamps every read with the
//! system clock, and keeps going when the device is missing or vanishes (USB unplug): the state
//! is reported once per change and the device is reopened with backoff. Never exits.

use crate::clock::Clock;
use std::path::PathBuf;
use std::time::Duration;
use timed_core::epoch::RxStamp;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// What the serial task reports.
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

/// Time one byte takes on the wire (start + 8 data + stop bits).
pub fn byte_time_ns(baud: u32) -> i64 {
    10_000_000_000 / i64::from(baud.max(1))
}

/// Runs until the receiving side of `tx` is dropped.
pub async fn run(device: PathBuf, baud: u32, clock: Clock, tx: mpsc::Sender<SerialEvent>) {
    let mut backoff = Duration::from_millis(500);
    let mut last_status: Option<SerialStatus> = None;
    let byte_ns = byte_time_ns(baud);
    loop {
        let builder = tokio_serial::new(device.to_string_lossy(), baud)
            .data_bits(tokio_serial::DataBits::Eight)
            .parity(tokio_serial::Parity::None)
            .stop_bits(tokio_serial::StopBits::One)
            .flow_control(tokio_serial::FlowControl::None);
        let status = match tokio_serial::SerialStream::open(&builder) {
            Ok(mut port) => {
                backoff = Duration::from_millis(500);
                // Stale bytes from before we opened would carry wrong receive times.
                let _ = tokio_serial::SerialPort::clear(&port, tokio_serial::ClearBuffer::Input);
                report(&tx, &mut last_status, SerialStatus::Open { device: device.clone(), baud }).await;
                let mut buf = vec![0u8; 4096];
                let error = loop {
                    match port.read(&mut buf).await {
                        Ok(0) => break "end of file (device closed)".to_string(),
                        Ok(n) => {
                            // The read completes after the last byte arrived; the first arrived
                            // about n byte-times earlier.
                            let mut stamp = clock.now();
                            stamp.realtime_ns -= byte_ns * n as i64;
                            stamp.monotonic_ns -= byte_ns * n as i64;
                            if tx.send(SerialEvent::Bytes(buf[..n].to_vec(), stamp)).await.is_err() {
                                return;
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => break e.to_string(),
                    }
                };
                SerialStatus::Lost { device: device.clone(), error }
            }
            Err(e) => SerialStatus::Absent { device: device.clone(), error: e.to_string() },
        };
        report(&tx, &mut last_status, status).await;
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

async fn report(tx: &mpsc::Sender<SerialEvent>, last: &mut Option<SerialStatus>, s: SerialStatus) {
    if last.as_ref() != Some(&s) {
        *last = Some(s.clone());
        let _ = tx.send(SerialEvent::Status(s)).await;
    }
}
