//! Log-worthy changes (fix, time validity) and rate limits for repeated rejections: timed logs
//! on state changes, not every second.

use std::collections::HashMap;
use std::time::{Duration, Instant};
use timed_core::engine::sources::Verdict;
use timed_core::engine::Reject;
use timed_core::epoch::Epoch;
use tracing::{info, warn};

/// What has been logged, so logs say what changed and repeated rejections stay quiet.
#[derive(Default)]
pub struct LogState {
    /// (time valid, fix ok) of the last epoch, to log changes.
    receiver_ok: Option<(bool, bool)>,
    reject_logged: HashMap<Reject, Instant>,
    /// Whether chrony's NTP sources last agreed with the receiver (None: none to judge by).
    sources_agree: Option<bool>,
}

const REJECT_LOG_INTERVAL: Duration = Duration::from_secs(60);

impl LogState {
    pub fn note_epoch(&mut self, e: &Epoch) {
        if e.time.is_none() {
            return;
        }
        let now = (e.time_valid, e.fix_ok);
        if self.receiver_ok != Some(now) {
            let time = e.time.map(|t| t.rfc3339_millis()).unwrap_or_default();
            match now {
                (true, true) => {
                    info!(%time, fix = e.fix.name(), sats = e.sats_used, "receiver has a valid time and fix")
                }
                (valid, fix_ok) => {
                    warn!(%time, time_valid = valid, fix_ok, "receiver does not vouch for its time/fix")
                }
            }
            self.receiver_ok = Some(now);
        }
    }

    /// Logs when chrony's NTP sources start or stop agreeing with the receiver.
    pub fn note_sources(&mut self, v: Verdict) {
        let now = match v {
            Verdict::NoPeers => None,
            Verdict::Agree { .. } => Some(true),
            Verdict::Disagree { .. } => Some(false),
        };
        if now == self.sources_agree {
            return;
        }
        match v {
            Verdict::Disagree { disagreeing, peers, median_s } => warn!(
                disagreeing,
                peers,
                receiver_minus_sources_ms = median_s * 1e3,
                "chrony's NTP sources disagree with the receiver's time: time-shift"
            ),
            Verdict::Agree { peers } => info!(peers, "chrony's NTP sources agree with the receiver's time"),
            Verdict::NoPeers if self.sources_agree.is_some() => {
                info!("no NTP source in chrony to hold the receiver's time against")
            }
            Verdict::NoPeers => {}
        }
        self.sources_agree = now;
    }

    /// True at most once a minute per reason.
    pub fn should_log_reject(&mut self, r: Reject) -> bool {
        let now = Instant::now();
        match self.reject_logged.get(&r) {
            Some(t) if now.duration_since(*t) < REJECT_LOG_INTERVAL => false,
            _ => {
                self.reject_logged.insert(r, now);
                true
            }
        }
    }
}
