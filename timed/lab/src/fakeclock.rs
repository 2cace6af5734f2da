//! A faked wall clock shared by every process of a lab, for replays on another date (a leap
//! second at the end of 30 June or 31 December): Debian's libfaketime (`faketime` package,
//! LD_PRELOAD) with ONE relative offset (`FAKETIME="+Ns"`), computed once, so chronyd, timed and
//! timed-sim all read the same faked CLOCK_REALTIME while it keeps running at the real rate.
//!
//! What is faked and what is not (checked here with chronyd 4.3 -x, timed and timed-sim):
//! - CLOCK_REALTIME through libc (`clock_gettime`, `gettimeofday`, `time`): faked. That is
//!   chronyd's clock, the simulator's time base and its PPS edge stamps, and timed's
//!   `RxStamp::realtime_ns` (std's `SystemTime`).
//! - CLOCK_MONOTONIC and CLOCK_MONOTONIC_RAW: real (`FAKETIME_DONT_FAKE_MONOTONIC=1`, the name
//!   Debian 12's libfaketime 0.9.10 reads; older releases read `DONT_FAKE_MONOTONIC`): a relative
//!   offset of years applied to them would make them negative. timed reads MONOTONIC_RAW through
//!   the vDSO (rustix), which the preload could not reach anyway; its pulse count needs only the
//!   rate, which is the real one.
//! - Kernel timestamps (socket SO_TIMESTAMP, file times) are not faked. No lab path uses them:
//!   chrony's SOCK refclock takes the time inside timed's datagram.
//!
//! Owns: the environment for a faked clock. A lab with one sets it on all three processes.

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// One offset for every process of a lab: faked = real + `offset_s`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeClock {
    pub offset_s: i64,
    /// libfaketime's preload library (the thread-safe build: timed is multi-threaded).
    pub library: PathBuf,
}

impl FakeClock {
    /// A clock that reads `unix_s` now (whole seconds: the offset is computed once, here).
    pub fn reading_now(unix_s: i64) -> Result<FakeClock, String> {
        let library = library()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
        let now = i64::try_from(now).map_err(|e| e.to_string())?;
        Ok(FakeClock { offset_s: unix_s - now, library })
    }

    /// The faked time now, as the lab's processes read it (seconds since the Unix epoch).
    pub fn now_s(&self) -> f64 {
        let real = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        real + self.offset_s as f64
    }

    /// Sets the environment on a command (and, through exec wrappers such as `chrt` or
    /// `ip netns exec`, on the program they start).
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("LD_PRELOAD", &self.library)
            .env("FAKETIME", format!("{:+}s", self.offset_s))
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            // The offset never changes: no need to re-read FAKETIME.
            .env("FAKETIME_NO_CACHE", "0");
    }
}

/// Where Debian's libfaketime keeps its preload library for this architecture.
fn library() -> Result<PathBuf, String> {
    let arch = std::env::consts::ARCH;
    let candidates = [
        format!("/usr/lib/{arch}-linux-gnu/faketime/libfaketimeMT.so.1"),
        "/usr/lib/faketime/libfaketimeMT.so.1".to_string(),
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| format!("libfaketime not found ({}): apt-get install faketime", candidates.join(", ")))
}
