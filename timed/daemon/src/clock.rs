//! The daemon's clock reads: CLOCK_REALTIME (what chrony's samples are about) and
//! CLOCK_MONOTONIC_RAW (for gaps, timeouts and the engine's pulse count), taken together.
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
