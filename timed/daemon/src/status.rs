//! What the daemon knows about its own health, kept up to date by the event loop: log-worthy
//! changes (fix, time validity) and rate limits for repeated rejections.

use std::collections::HashMap;
use std::time::{Duration, Instant};
use timed_core::engine::{PpsSample, Reject};
use timed_core::epoch::Epoch;
use timed_core::pps::PpsEdge;
use tracing::{info, warn};

pub struct Status {
    pub simulated_pps: bool,
    pub last_edge: Option<PpsEdge>,
    pub last_pps: Option<PpsSample>,
    /// (time valid, fix ok) of the last epoch, to log changes.
    receiver_ok: Option<(bool, bool)>,
    reject_logged: HashMap<Reject, Instant>,
}

const REJECT_LOG_INTERVAL: Duration = Duration::from_secs(60);

impl Status {
    pub fn new(simulated_pps: bool) -> Status {
        Status {
            simulated_pps,
            last_edge: None,
            last_pps: None,
            receiver_ok: None,
            reject_logged: HashMap::new(),
        }
    }

    pub fn note_edge(&mut self, e: &PpsEdge) {
        self.last_edge = Some(*e);
    }

    pub fn note_pps(&mut self, p: &PpsSample) {
        self.last_pps = Some(*p);
    }

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
