//! One event as every output carries it (snapshot, journald, webhook, `timectl events`): the
//! core's [`Event`] with a sequence number, a wall time, its kind and severity under their
//! stable names, a sentence for people, and its typed fields (absent when the kind has none).

use crate::health::{Antenna, Name, PpsLock};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use timed_core::engine::LabelSource;
use timed_core::events::{AntennaFault, Event, EventKind, JamLevel, Severity};

/// An [`EventKind`] in JSON: its stable name (the core's, the one owner of the names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(pub EventKind);

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        EventKind::ALL
            .iter()
            .find(|k| k.name() == s)
            .map(|k| Kind(*k))
            .ok_or_else(|| serde::de::Error::custom(format!("unknown event kind {s:?}")))
    }
}

/// A [`Severity`] in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Info,
    Warning,
    Critical,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }

    /// syslog priority for journald's PRIORITY= (crit 2, warning 4, info 6).
    pub fn priority(self) -> u8 {
        match self {
            Level::Info => 6,
            Level::Warning => 4,
            Level::Critical => 2,
        }
    }
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Level {
        match s {
            Severity::Info => Level::Info,
            Severity::Warning => Level::Warning,
            Severity::Critical => Level::Critical,
        }
    }
}

/// One event as published.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Counts from 1 since timed started (`timectl events --follow` prints each once).
    pub seq: u64,
    /// Wall time it was detected, Unix milliseconds.
    pub at_unix_ms: i64,
    pub kind: Kind,
    pub severity: Level,
    pub message: String,
    /// `receiver-lost`: the serial port failed (else the receiver went silent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_broken: Option<bool>,
    /// `lock-lost`: the state the engine went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pps_state: Option<PpsLock>,
    /// `lock-regained`: how edges are labelled ("tim-tp", "epoch-timing").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Name>,
    /// `antenna-fault`: "open" or "short".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub antenna: Option<Antenna>,
    /// `jamming`: "warning" or "critical" (MON-RF jammingState 2, 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jamming: Option<Level>,
    /// `spoofing`: NAV-STATUS spoofDetState (2 indicated, 3 multiple).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoof_state: Option<u8>,
    /// `integrity-gate-closed`: the signal that closed it (docs/control.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<Name>,
    /// `holdover-entered`: why ("pps-lost", "integrity-gate").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Name>,
    /// `leap-announced`: +1 (inserted) or −1 (deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leap_change: Option<i8>,
    /// `leap-list-expiring`: the list's expiry, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_unix_s: Option<i64>,
    /// `chrony-not-stratum-1`: chronyd's stratum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<u16>,
    /// `chrony-sink-failing`: "sock-pps", "shm-coarse", …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<String>,
}

impl Record {
    pub fn new(seq: u64, at_unix_ms: i64, e: &Event) -> Record {
        let kind = e.kind();
        let mut r = Record {
            seq,
            at_unix_ms,
            kind: Kind(kind),
            severity: kind.severity().into(),
            message: String::new(),
            serial_broken: None,
            pps_state: None,
            label: None,
            antenna: None,
            jamming: None,
            spoof_state: None,
            signal: None,
            reason: None,
            leap_change: None,
            expires_unix_s: None,
            stratum: None,
            sink: None,
        };
        r.message = match e {
            Event::ReceiverLost { serial_broken } => {
                r.serial_broken = Some(*serial_broken);
                if *serial_broken {
                    "receiver lost: its serial port is gone; reopening".into()
                } else {
                    "receiver lost: no message from it for 5 s".into()
                }
            }
            Event::ReceiverBack => "receiver back: messages arrive again".into(),
            Event::FixLost => "fix lost: the receiver has no valid fix".into(),
            Event::FixRegained => "fix regained".into(),
            Event::PpsLost => "PPS lost: no pulse for 2.5 s".into(),
            Event::PpsBack => "PPS back: pulses arrive again".into(),
            Event::LockLost { state } => {
                let s = PpsLock::from(*state);
                r.pps_state = Some(s);
                format!("lock lost: PPS {s}; no PPS sample reaches chrony")
            }
            Event::LockRegained { source } => {
                let l = match source {
                    LabelSource::TimTp => "tim-tp",
                    LabelSource::EpochTiming => "epoch-timing",
                };
                r.label = Some(Name::Borrowed(l));
                format!("lock regained: pulses labelled by {l}")
            }
            Event::AntennaFault { fault } => {
                let a = match fault {
                    AntennaFault::Open => Antenna::Open,
                    AntennaFault::Short => Antenna::Short,
                };
                r.antenna = Some(a);
                format!("antenna fault: {a} circuit; check the cable and the antenna")
            }
            Event::AntennaOk => "antenna ok again".into(),
            Event::Jamming { level } => {
                let l = match level {
                    JamLevel::Warning => Level::Warning,
                    JamLevel::Critical => Level::Critical,
                };
                r.jamming = Some(l);
                format!("jamming: the receiver reports {} interference", l.name())
            }
            Event::JammingCleared => "jamming cleared".into(),
            Event::Spoofing { state } => {
                r.spoof_state = Some(*state);
                format!("spoofing indicated by the receiver (spoofDetState {state})")
            }
            Event::SpoofingCleared => "spoofing no longer indicated".into(),
            Event::IntegrityGateClosed { signal } => {
                r.signal = Some(Name::Borrowed(signal.name()));
                format!("integrity gate closed by {}: no sample reaches chrony", signal.name())
            }
            Event::IntegrityGateOpened => "integrity gate open: samples reach chrony again".into(),
            Event::HoldoverEntered { reason } => {
                r.reason = Some(Name::Borrowed(reason));
                format!("holdover entered ({reason}): chronyd runs on its last frequency")
            }
            Event::HoldoverLimitPassed => {
                "holdover limit passed: the error bound is over holdover.max_error_ms".into()
            }
            Event::HoldoverLeft => "holdover over: locked again".into(),
            Event::LeapAnnounced { change } => {
                r.leap_change = Some(*change);
                format!("leap second announced ({change:+}) at the end of the month")
            }
            Event::LeapListExpiring { expires_unix_s } => {
                r.expires_unix_s = Some(*expires_unix_s);
                "leap-seconds list expires within 28 days: update tzdata".into()
            }
            Event::ChronyUnsynchronised => "chronyd is not synchronised".into(),
            Event::ChronyNotStratum1 { stratum } => {
                r.stratum = Some(*stratum);
                format!("chronyd serves stratum {stratum}, not 1: it does not follow timed")
            }
            Event::ChronyStratum1 => "chronyd serves stratum 1".into(),
            Event::SinkFailing { sink } => {
                r.sink = Some(sink.clone());
                format!("chrony sink {sink} failing: samples do not reach chronyd")
            }
            Event::SinkRecovered => "chrony sinks take samples again".into(),
            Event::ReceiverNotConfigured => "the receiver's configuration is not what timed needs".into(),
            Event::ReceiverConfigured => "the receiver is configured as timed needs".into(),
        };
        r
    }

    /// The typed fields as (journald name, value) pairs, present ones only.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        let mut add = |k: &'static str, s: Option<String>| {
            if let Some(s) = s {
                v.push((k, s));
            }
        };
        add("SERIAL_BROKEN", self.serial_broken.map(|b| b.to_string()));
        add("PPS_STATE", self.pps_state.map(|s| s.name().into()));
        add("LABEL", self.label.as_ref().map(|s| s.to_string()));
        add("ANTENNA", self.antenna.map(|a| a.name().into()));
        add("JAMMING", self.jamming.map(|l| l.name().into()));
        add("SPOOF_STATE", self.spoof_state.map(|s| s.to_string()));
        add("SIGNAL", self.signal.as_ref().map(|s| s.to_string()));
        add("REASON", self.reason.as_ref().map(|s| s.to_string()));
        add("LEAP_CHANGE", self.leap_change.map(|c| c.to_string()));
        add("EXPIRES_UNIX_S", self.expires_unix_s.map(|c| c.to_string()));
        add("STRATUM", self.stratum.map(|c| c.to_string()));
        add("SINK", self.sink.clone());
        v
    }
}
