//! Events in the daemon: the loop hands the states it owns to the core's detector
//! (`timed_core::events`) every tick, and each event that comes back is numbered, stamped,
//! counted per kind, kept in a bounded recent list (the snapshot's `events`), written to
//! journald (or the log) and offered to the webhook. Must not: decide what is an event (the
//! core's), or wait on any output (journald is written non-blocking, the webhook has its own
//! thread and a bounded queue).

pub mod journal;
pub mod record;
#[cfg(test)]
mod tests;
pub mod webhook;

use crate::config::Events as EventsConfig;
use crate::health::{DeviceState, Health, Name, SetupState, SinkState};
use record::{Kind, Record};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use timed_core::engine::integrity::GateState;
use timed_core::engine::PpsState;
use timed_core::epoch::Epoch;
use timed_core::events::{ChronyState, Detector, EventKind, HoldoverPhase, Observed};
use timed_core::ubx::AntennaStatus;

/// How many recent events the snapshot keeps (oldest dropped first).
pub const RECENT: usize = 50;

/// The snapshot's `events` part.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct EventsHealth {
    /// The last [`RECENT`] events, oldest first.
    pub recent: Vec<Record>,
    /// Every kind with how often it happened since timed started (0 included).
    pub counts: Vec<(Kind, u64)>,
    /// "journald" or "log".
    pub journal: Name,
    pub webhook: Option<WebhookHealth>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct WebhookHealth {
    pub url: String,
    pub sent: u64,
    pub failed: u64,
    pub dropped: u64,
}

/// What the loop owns that the snapshot does not say (engine and holdover states, chronyd).
pub struct Inputs<'a> {
    pub now: timed_core::epoch::RxStamp,
    pub pps: PpsState,
    pub gate: GateState,
    pub holdover: HoldoverPhase,
    pub chrony: Option<ChronyState>,
    pub health: &'a Health,
}

/// The loop's event state.
pub struct Events {
    detector: Detector,
    seq: u64,
    counts: Vec<u64>,
    recent: VecDeque<Record>,
    journal: journal::Journal,
    webhook: Option<webhook::Webhook>,
    /// From the last epoch: what the receiver said (health messages come every few seconds).
    last_epoch_ns: Option<i64>,
    antenna: Option<AntennaStatus>,
    jamming: Option<u8>,
    spoofing: Option<u8>,
    leap_change: Option<Option<i8>>,
    edges: (u64, Option<i64>),
}

/// The webhook's URL (parsed) and how logs and the snapshot show it: its host and port only,
/// since the path often carries a token (chat and push services put it there) and the snapshot
/// reaches everyone who may use the control socket. Only a `webhook` that does not parse is shown
/// whole, so its owner can see what is wrong with it (it is in timed.toml anyway).
fn webhook_url(cfg: &EventsConfig) -> Option<(Result<webhook::Url, String>, String)> {
    let file = &cfg.webhook_file;
    if file.as_os_str().is_empty() {
        return (!cfg.webhook.is_empty()).then(|| {
            let url = webhook::Url::parse(&cfg.webhook);
            let shown = match &url {
                Ok(u) => format!("http://{}:{}/…", u.host, u.port),
                Err(_) => cfg.webhook.clone(),
            };
            (url, shown)
        });
    }
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return Some((Err(format!("cannot read it: {e}")), file.display().to_string())),
    };
    Some(match webhook::Url::parse(text.trim()) {
        Ok(url) => {
            let shown = format!("http://{}:{}/… (from {})", url.host, url.port, file.display());
            (Ok(url), shown)
        }
        // Url's reasons may quote the URL, which is the secret: a fixed sentence instead.
        Err(_) => (
            Err("it holds no valid http://host[:port]/path (https, user@, a space or a bad port?); \
                 the URL itself is not logged"
                .into()),
            file.display().to_string(),
        ),
    })
}

impl Events {
    pub fn new(cfg: &EventsConfig) -> Events {
        Events::with_journal(cfg, std::path::Path::new(journal::SOCKET))
    }

    pub fn with_journal(cfg: &EventsConfig, journal_socket: &std::path::Path) -> Events {
        let webhook = match webhook_url(cfg) {
            None => None,
            Some((Ok(url), shown)) => match webhook::Webhook::start(url, &shown, cfg.queue) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::error!("cannot start the webhook thread: {e}; events are not POSTed");
                    None
                }
            },
            // --check-config refuses a bad `webhook`; a bad or unreadable `webhook_file` is known
            // only now (a degraded webhook, not a daemon that refuses to start).
            Some((Err(e), shown)) => {
                tracing::error!(webhook = %shown, "events.webhook: {e}; events are not POSTed");
                None
            }
        };
        Events {
            detector: Detector::new(),
            seq: 0,
            counts: vec![0; EventKind::ALL.len()],
            recent: VecDeque::with_capacity(RECENT),
            journal: journal::Journal::open(journal_socket),
            webhook,
            last_epoch_ns: None,
            antenna: None,
            jamming: None,
            spoofing: None,
            leap_change: None,
            edges: (0, None),
        }
    }

    /// Keeps what an epoch says that the detector needs.
    pub fn note_epoch(&mut self, e: &Epoch) {
        self.last_epoch_ns = e.rx.map(|r| r.monotonic_ns).or(self.last_epoch_ns);
        self.antenna = e.antenna.or(self.antenna);
        self.jamming = e.jamming.map(|j| j.state).or(self.jamming);
        self.spoofing = e.spoofing.or(self.spoofing);
        self.leap_change = Some(e.leap.event.map(|ev| ev.change));
    }

    /// Feeds the detector; true when an event was emitted (the snapshot changed).
    pub fn tick(&mut self, i: &Inputs<'_>) -> bool {
        let h = i.health;
        if h.pps.edges != self.edges.0 {
            self.edges = (h.pps.edges, Some(i.now.monotonic_ns));
        }
        let o = Observed {
            now_ns: i.now.monotonic_ns,
            now_unix_s: i.now.realtime_ns.div_euclid(1_000_000_000),
            serial_open: match h.receiver.serial_state {
                DeviceState::Opening => None,
                s => Some(s == DeviceState::Open),
            },
            last_epoch_ns: self.last_epoch_ns,
            fix_ok: (h.receiver.epochs > 0).then_some(h.receiver.fix_ok),
            last_edge_ns: self.edges.1,
            pps: Some(i.pps),
            antenna: self.antenna,
            jamming_state: self.jamming,
            spoofing: self.spoofing,
            gate: Some(i.gate),
            holdover: Some(i.holdover),
            leap_change: self.leap_change,
            leap_list_expires_unix_s: h.leap_list.expires_unix_s.filter(|_| !h.leap_list.path.is_empty()),
            chrony: i.chrony,
            failing_sink: Some(
                h.sinks.iter().find(|s| s.state == SinkState::Failing).map(|s| s.kind.to_string()),
            ),
            // The receiver set-up (`[receiver] configure`): a drift is a set-up that read back
            // different or was refused in part; off, pending, running or failed say nothing
            // about the receiver's configuration (a failed check has its own reason).
            receiver_configured: match h.receiver_setup.state {
                SetupState::Configured => Some(true),
                SetupState::NotConfigured | SetupState::Incomplete => Some(false),
                SetupState::Off | SetupState::Pending | SetupState::Running | SetupState::Failed => None,
            },
        };
        let events = self.detector.observe(&o);
        for e in &events {
            self.seq += 1;
            let r = Record::new(self.seq, i.now.realtime_ns.div_euclid(1_000_000), e);
            if let Some(n) = EventKind::ALL.iter().position(|k| *k == r.kind.0) {
                self.counts[n] += 1;
            }
            self.journal.write(&r);
            if let Some(w) = &self.webhook {
                w.offer(&r);
            }
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent.push_back(r);
        }
        !events.is_empty()
    }

    /// The snapshot's part.
    pub fn health(&self) -> EventsHealth {
        EventsHealth {
            recent: self.recent.iter().cloned().collect(),
            counts: EventKind::ALL.iter().zip(&self.counts).map(|(k, n)| (Kind(*k), *n)).collect(),
            journal: Name::Borrowed(self.journal.name()),
            webhook: self.webhook.as_ref().map(|w| WebhookHealth {
                url: w.url.clone(),
                sent: w.counters.sent.load(Ordering::Relaxed),
                failed: w.counters.failed.load(Ordering::Relaxed),
                dropped: w.counters.dropped.load(Ordering::Relaxed),
            }),
        }
    }
}

/// chronyd's tracking as the detector's state: stratum 1 and synchronised is serving.
pub fn chrony_state(t: &crate::chronyctl::Tracking) -> ChronyState {
    // chrony's LEAP_Unsynchronised = 3 (tracking's leap status).
    if t.leap_code == 3 {
        ChronyState::Unsynchronised
    } else if t.stratum == 1 {
        ChronyState::Stratum1
    } else {
        ChronyState::NotStratum1 { stratum: t.stratum }
    }
}
