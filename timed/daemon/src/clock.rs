//! The daemon's only clock reads: CLOCK_REALTIME (what chrony's samples are about) and a
//! monotonic clock (for gaps and timeouts), taken together.

use std::time::{Instant, SystemTime, UNIX_EPOCH};
use timed_core::epoch::RxStamp;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { start: Instant::now() }
    }
}

impl Clock {
    pub fn now(&self) -> RxStamp {
        let monotonic_ns = i64::try_from(self.start.elapsed().as_nanos()).unwrap_or(i64::MAX);
        RxStamp { realtime_ns: realtime_ns(), monotonic_ns }
    }
}

/// CLOCK_REALTIME in ns since the Unix epoch (negative before 1970).
pub fn realtime_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}
