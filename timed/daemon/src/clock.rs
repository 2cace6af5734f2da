//! The clock reads behind every timestamp the engine sees: CLOCK_REALTIME (what chrony's samples
//! are about) and CLOCK_MONOTONIC_RAW (for the engine's gaps, timeouts and pulse count), taken
//! together, plus CLOCK_REALTIME alone for the wall-clock fields of the health snapshot.
//!
//! Not the daemon's only clock reads: its timers, deadlines and rate limits (the event loop's tick,
//! the metrics server, the control socket, the LED, the watchdog, log rate limiting, chronyd
//! queries) use std's or tokio's `Instant`, CLOCK_MONOTONIC, where chrony's slewing (below) only
//! stretches a timeout by a few percent at worst. None of those reaches the engine.
//!
//! Why MONOTONIC_RAW and not MONOTONIC: chrony slews the system clock by changing its frequency
//! (up to 83 ms/s by default), and CLOCK_MONOTONIC follows those changes; CLOCK_MONOTONIC_RAW is
//! the bare oscillator, so seconds counted on it cannot be moved by anyone disciplining the clock.

use rustix::time::{clock_gettime, ClockId};
use std::time::{SystemTime, UNIX_EPOCH};
use timed_core::epoch::RxStamp;

#[derive(Clone, Copy, Debug, Default)]
pub struct Clock;

impl Clock {
    /// Both clocks, read back to back.
    pub fn now(&self) -> RxStamp {
        let raw = clock_gettime(ClockId::MonotonicRaw);
        let realtime_ns = realtime_ns();
        let monotonic_ns = raw.tv_sec.saturating_mul(1_000_000_000).saturating_add(raw.tv_nsec);
        RxStamp { realtime_ns, monotonic_ns }
    }
}

/// CLOCK_REALTIME in ns since the Unix epoch (negative before 1970).
pub fn realtime_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}
