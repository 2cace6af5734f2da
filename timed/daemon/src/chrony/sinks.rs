//! All configured chrony sinks, fanned out per sample kind, with state changes logged once.

use super::{shm::ShmSink, sock::SockSink, SinkState};
use crate::config::Config;
use crate::health;
use timed_core::chrony::Sample;
use tracing::{info, warn};

/// The configured sinks.
pub struct Sinks {
    sock_pps: Option<SockSink>,
    sock_coarse: Option<SockSink>,
    shm_pps: Option<ShmSink>,
    shm_coarse: Option<ShmSink>,
}

impl Sinks {
    pub fn new(cfg: &Config) -> Sinks {
        let sock = |p: &std::path::Path| (!p.as_os_str().is_empty()).then(|| SockSink::new(p));
        let shm = &cfg.chrony.shm;
        let unit = |u: i32, precision| {
            (shm.enabled && u >= 0)
                .then(|| ShmSink::new(u8::try_from(u).unwrap_or(0), cfg.shm_mode(), precision))
        };
        Sinks {
            sock_pps: sock(&cfg.chrony.sock.pps),
            sock_coarse: sock(&cfg.chrony.sock.coarse),
            shm_pps: unit(shm.pps_unit, -20),
            shm_coarse: unit(shm.coarse_unit, -10),
        }
    }

    pub fn send_pps(&mut self, s: &Sample) {
        if let Some(k) = self.sock_pps.as_mut() {
            let path = k.path().display().to_string();
            log_sink("SOCK PPS", &path, k.send(s));
        }
        if let Some(k) = self.shm_pps.as_mut() {
            let unit = format!("NTP{}", k.unit());
            log_sink("SHM PPS", &unit, k.send(s));
        }
    }

    pub fn send_coarse(&mut self, s: &Sample) {
        if let Some(k) = self.sock_coarse.as_mut() {
            let path = k.path().display().to_string();
            log_sink("SOCK coarse", &path, k.send(s));
        }
        if let Some(k) = self.shm_coarse.as_mut() {
            let unit = format!("NTP{}", k.unit());
            log_sink("SHM coarse", &unit, k.send(s));
        }
    }

    /// The sinks as the health snapshot shows them.
    pub fn health(&self) -> Vec<health::Sink> {
        let mut v = Vec::new();
        let one = |kind: &'static str, target: String, state: &SinkState, stats: &super::SinkStats| {
            let (state, error) = match state {
                SinkState::Idle => (health::SinkState::Idle, None),
                SinkState::Ok => (health::SinkState::Ok, None),
                SinkState::Failing(e) => (health::SinkState::Failing, Some(e.clone())),
            };
            health::Sink {
                kind: kind.into(),
                target,
                state,
                error,
                sent: stats.sent,
                errors: stats.errors,
                last_sent_ns: stats.last_sent_ns,
            }
        };
        if let Some(k) = &self.sock_pps {
            v.push(one("sock-pps", k.path().display().to_string(), &k.state, &k.stats));
        }
        if let Some(k) = &self.sock_coarse {
            v.push(one("sock-coarse", k.path().display().to_string(), &k.state, &k.stats));
        }
        if let Some(k) = &self.shm_pps {
            v.push(one("shm-pps", format!("NTP{}", k.unit()), &k.state, &k.stats));
        }
        if let Some(k) = &self.shm_coarse {
            v.push(one("shm-coarse", format!("NTP{}", k.unit()), &k.state, &k.stats));
        }
        v
    }

    pub fn pps_sent(&self) -> u64 {
        self.sock_pps.as_ref().map_or(0, |k| k.stats.sent) + self.shm_pps.as_ref().map_or(0, |k| k.stats.sent)
    }

    pub fn coarse_sent(&self) -> u64 {
        self.sock_coarse.as_ref().map_or(0, |k| k.stats.sent)
            + self.shm_coarse.as_ref().map_or(0, |k| k.stats.sent)
    }
}

fn log_sink(kind: &str, target: &str, changed: Option<SinkState>) {
    match changed {
        Some(SinkState::Ok) => info!(sink = kind, target, "chrony sink delivering"),
        Some(SinkState::Failing(why)) => {
            warn!(sink = kind, target, %why, "chrony sink failing; retrying every sample")
        }
        Some(SinkState::Idle) | None => {}
    }
}
