//! The kernel PPS reader: a blocking loop for a dedicated thread that turns `/dev/ppsN` into
//! assert edges and a few status changes.
//!
//! PPS_FETCH wakes on every captured event, assert *or* clear (Documentation/driver-api/pps.rst),
//! and reports the latest of each with its own sequence number; an edge is reported only when
//! the assert sequence number moves. The loop never gives up: a missing device is retried with
//! backoff (1 s doubling to 30 s), a device that goes away is closed and reopened the same way.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use timed_core::pps::{EdgeSource, PpsEdge, SeqTracker};

use super::kernel::{KernelEdge, PpsDevice, PpsError};

/// How long one PPS_FETCH waits: bounds how long a stop request can go unnoticed.
const FETCH_TIMEOUT: Duration = Duration::from_secs(2);
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Slice in which backoff sleeps check the stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// What the reader reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PpsEvent {
    Edge(PpsEdge),
    Status(PpsStatus),
}

/// The device's state, reported only when it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PpsStatus {
    /// The device is open and capturing assert edges; `caps` are its PPS_GETCAP mode bits.
    Opened { path: PathBuf, caps: i32 },
    /// The device could not be opened or set up (the error names the device and a remedy).
    Absent { error: String },
    /// The open device failed (unplugged, driver unloaded); the reader is reopening it.
    Lost { error: String },
}

impl std::fmt::Display for PpsStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PpsStatus::Opened { path, caps } => {
                write!(f, "{}: opened (capabilities {caps:#x})", path.display())
            }
            PpsStatus::Absent { error } => write!(f, "PPS device unavailable: {error}"),
            PpsStatus::Lost { error } => write!(f, "PPS device lost, reopening: {error}"),
        }
    }
}

/// Retry delays: 1 s, doubling, at most 30 s; back to 1 s after a successful open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: BACKOFF_MIN }
    }
}

impl Backoff {
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (d * 2).min(BACKOFF_MAX);
        d
    }

    pub fn reset(&mut self) {
        self.next = BACKOFF_MIN;
    }
}

/// Passes a status on only when it differs from the previous one, so a device that stays
/// absent is reported once, not at every retry.
#[derive(Debug, Default)]
struct StatusGate {
    last: Option<PpsStatus>,
}

impl StatusGate {
    fn changed(&mut self, s: PpsStatus) -> Option<PpsStatus> {
        if self.last.as_ref() == Some(&s) {
            return None;
        }
        self.last = Some(s.clone());
        Some(s)
    }
}

/// The device operations the loop needs; the kernel device in production, a script in tests.
trait EdgeDevice {
    fn capabilities(&self) -> Result<i32, PpsError>;
    fn ensure_assert_capture(&self) -> Result<(), PpsError>;
    fn fetch(&self, timeout: Duration) -> Result<Option<KernelEdge>, PpsError>;
    fn check_present(&self) -> Result<(), PpsError>;
}

impl EdgeDevice for PpsDevice {
    fn capabilities(&self) -> Result<i32, PpsError> {
        PpsDevice::capabilities(self)
    }
    fn ensure_assert_capture(&self) -> Result<(), PpsError> {
        PpsDevice::ensure_assert_capture(self)
    }
    fn fetch(&self, timeout: Duration) -> Result<Option<KernelEdge>, PpsError> {
        PpsDevice::fetch(self, timeout)
    }
    fn check_present(&self) -> Result<(), PpsError> {
        PpsDevice::check_present(self)
    }
}

/// Reads assert edges from the PPS device at `path` until `stop` is set, emitting edges and
/// status changes. Blocks: run it on its own thread. It never returns because of an error.
pub fn run(path: PathBuf, stop: Arc<AtomicBool>, emit: impl FnMut(PpsEvent) + Send) {
    let sleep = |d: Duration| {
        let mut left = d;
        while !left.is_zero() && !stop.load(Ordering::Relaxed) {
            let step = left.min(STOP_POLL);
            std::thread::sleep(step);
            left -= step;
        }
    };
    run_with(&path, &stop, emit, PpsDevice::open, sleep);
}

/// Opens the device and readies it: assert capture on, capabilities read, and the current
/// assert sequence number learnt with a zero-timeout FETCH (which returns at once).
fn open_ready<D: EdgeDevice>(
    open: &mut impl FnMut(&Path) -> Result<D, PpsError>,
    path: &Path,
) -> Result<(D, i32, u32), PpsError> {
    let dev = open(path)?;
    dev.ensure_assert_capture()?;
    let caps = dev.capabilities()?;
    let now = dev.fetch(Duration::ZERO)?;
    Ok((dev, caps, now.map_or(0, |k| k.assert_seq)))
}

fn run_with<D: EdgeDevice>(
    path: &Path,
    stop: &AtomicBool,
    mut emit: impl FnMut(PpsEvent),
    mut open: impl FnMut(&Path) -> Result<D, PpsError>,
    mut sleep: impl FnMut(Duration),
) {
    let mut seq = SeqTracker::default();
    let mut gate = StatusGate::default();
    let mut backoff = Backoff::default();
    let mut status = |emit: &mut dyn FnMut(PpsEvent), s: PpsStatus| {
        if let Some(s) = gate.changed(s) {
            emit(PpsEvent::Status(s));
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let (dev, caps, current) = match open_ready(&mut open, path) {
            Ok(ready) => ready,
            Err(e) => {
                status(&mut emit, PpsStatus::Absent { error: e.to_string() });
                sleep(backoff.next_delay());
                continue;
            }
        };
        seq.prime(current);
        backoff.reset();
        status(&mut emit, PpsStatus::Opened { path: path.to_path_buf(), caps });
        while !stop.load(Ordering::Relaxed) {
            let fetched = dev.fetch(FETCH_TIMEOUT).and_then(|k| match k {
                // A source removed while open makes FETCH time out rather than fail: only a
                // look at the device node tells (see PpsDevice::check_present).
                None => dev.check_present().map(|()| None),
                Some(k) => Ok(Some(k)),
            });
            match fetched {
                Ok(None) => {}
                Ok(Some(k)) => {
                    if let Some(n) = seq.observe(k.assert_seq) {
                        let edge = PpsEdge { seq: n, system_ns: k.assert_ns, source: EdgeSource::Kernel };
                        emit(PpsEvent::Edge(edge));
                    }
                }
                Err(e) => {
                    status(&mut emit, PpsStatus::Lost { error: e.to_string() });
                    break;
                }
            }
        }
        drop(dev);
        if !stop.load(Ordering::Relaxed) {
            sleep(backoff.next_delay());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        let mut b = Backoff::default();
        let secs: Vec<u64> = (0..8).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }

    type Fetch = Result<Option<KernelEdge>, PpsError>;

    /// Replays scripted FETCH results; sets `stop` when the script runs out.
    struct Fake<'a> {
        script: &'a RefCell<VecDeque<Fetch>>,
        /// Results of `check_present` (after a timeout); `Ok` when empty.
        checks: &'a RefCell<VecDeque<Result<(), PpsError>>>,
        stop: &'a AtomicBool,
    }

    impl EdgeDevice for Fake<'_> {
        fn capabilities(&self) -> Result<i32, PpsError> {
            Ok(0x1133)
        }
        fn ensure_assert_capture(&self) -> Result<(), PpsError> {
            Ok(())
        }
        fn check_present(&self) -> Result<(), PpsError> {
            self.checks.borrow_mut().pop_front().unwrap_or(Ok(()))
        }
        fn fetch(&self, _: Duration) -> Fetch {
            self.script.borrow_mut().pop_front().unwrap_or_else(|| {
                self.stop.store(true, Ordering::Relaxed);
                Ok(None)
            })
        }
    }

    fn edge(assert_seq: u32, clear_seq: u32) -> Fetch {
        let assert_ns = i64::from(assert_seq) * 1_000_000_000;
        Ok(Some(KernelEdge { assert_seq, assert_ns, clear_seq, clear_ns: assert_ns + 100_000_000 }))
    }

    #[test]
    fn loop_reports_edges_and_status_changes_once() {
        let path = Path::new("/dev/pps0");
        let missing = || PpsError::from_errno(path, "open", libc::ENOENT);
        let gone = || PpsError::from_errno(path, "PPS_FETCH", libc::ENODEV);
        let removed = || PpsError::from_errno(path, "device node check", libc::ENOENT);
        let stop = AtomicBool::new(false);
        // Per open: the priming fetch, then the loop's fetches.
        let script = RefCell::new(VecDeque::from([
            edge(10, 10), // prime: the last assert before we listened
            edge(10, 10), // nothing new
            edge(11, 10), // assert
            edge(11, 11), // its clear: no edge
            Ok(None),     // timeout, device node still there
            edge(12, 11),
            Err(gone()),
            edge(0, 0), // recreated device, prime
            edge(1, 0),
            Ok(None),   // timeout, and the node is gone (driver unloaded)
            edge(5, 0), // same device back (prime): 4 asserts happened meanwhile
            edge(6, 0),
        ]));
        let checks = RefCell::new(VecDeque::from([Ok(()), Err(removed())]));
        let mut opens: VecDeque<Result<(), PpsError>> =
            VecDeque::from([Err(missing()), Err(missing()), Ok(()), Err(missing()), Ok(()), Ok(())]);
        let mut events = Vec::new();
        let mut sleeps = Vec::new();
        run_with(
            path,
            &stop,
            |e| events.push(e),
            |_| {
                let fake = Fake { script: &script, checks: &checks, stop: &stop };
                opens.pop_front().unwrap_or_else(|| Err(missing())).map(|()| fake)
            },
            |d| sleeps.push(d.as_secs()),
        );
        let text = |e: PpsError| e.to_string();
        let absent = PpsStatus::Absent { error: text(missing()) };
        let opened = PpsStatus::Opened { path: path.to_path_buf(), caps: 0x1133 };
        let e = |seq: u64, at: i64| {
            PpsEvent::Edge(PpsEdge { seq, system_ns: at * 1_000_000_000, source: EdgeSource::Kernel })
        };
        let expected = vec![
            PpsEvent::Status(absent.clone()),
            PpsEvent::Status(opened.clone()),
            e(11, 11),
            e(12, 12),
            PpsEvent::Status(PpsStatus::Lost { error: text(gone()) }),
            PpsEvent::Status(absent),
            PpsEvent::Status(opened.clone()),
            // The recreated device restarted at 0; the extended number carries on from 12.
            e(13, 1),
            PpsEvent::Status(PpsStatus::Lost { error: text(removed()) }),
            PpsEvent::Status(opened),
            // Primed at 5 after 1: the gap of 4 is kept, so this edge is 13 + 4 + 1.
            e(18, 6),
        ];
        assert_eq!(events, expected);
        // Backoff 1, 2 while absent; reset by the open; 1 after the loss, 2 for the failed
        // reopen; reset, 1 after the second loss.
        assert_eq!(sleeps, [1, 2, 1, 2, 1]);
    }

    #[test]
    fn status_display() {
        let s = PpsStatus::Opened { path: PathBuf::from("/dev/pps0"), caps: 0x11f3 };
        assert_eq!(s.to_string(), "/dev/pps0: opened (capabilities 0x11f3)");
    }
}
