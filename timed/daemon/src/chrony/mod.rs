//! Outputs to chrony: SOCK datagrams and gpsd-compatible NTP SHM segments. Each sink counts what
//! it sent and what failed, and reports its state only when it changes (chrony not running, a
//! wrong path, permissions), retrying with every sample.

pub mod shm;
mod sinks;
pub use sinks::Sinks;
#[expect(
    unsafe_code,
    reason = "SysV shmget/shmat/shmdt and volatile stores into the segment have no safe std API; \
              kept to this module so the rest of the daemon stays safe (docs/architecture.md)"
)]
mod shm_sys;
pub mod sock;

/// A sink's health, for logs and status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SinkState {
    /// Nothing sent yet.
    Idle,
    Ok,
    Failing(String),
}

/// Counters every sink keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SinkStats {
    pub sent: u64,
    pub errors: u64,
    /// CLOCK_REALTIME of the last successful send.
    pub last_sent_ns: Option<i64>,
}
