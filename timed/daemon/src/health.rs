//! The daemon's view of itself, published as one immutable snapshot after every change the loop
//! makes (about once a second): the metrics endpoint and the control socket read the latest
//! snapshot and never touch the loop's state. Serializable: it is the `timectl status --json`
//! payload's timed part.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Text that is usually a constant name but must deserialize too (timectl reads the snapshot).
pub type Name = Cow<'static, str>;

mod integrity;
mod setup;
mod states;
pub use integrity::{GateName, Integrity, IntegritySignal};
pub use setup::{ItemOutcome, ReceiverSetup, SetupItem, SetupState, TimeMode};
pub use states::{Antenna, DeviceState, FixKind, LeapSourceKind, PpsLock, SinkState};
use timed_core::engine::{Hold, PpsState, Reject, RejectCounts};
use timed_core::epoch::{Epoch, ReceiverInfo};
use timed_core::framer::FramerStats;
use timed_core::stream::DecodeStats;

/// One satellite as exported.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Sat {
    pub gnss: Name,
    /// u-blox gnssId (0 GPS, 2 Galileo, 3 BeiDou, 5 QZSS, 6 GLONASS …) for gpsd-compatible labels.
    pub gnss_id: u8,
    pub svid: u16,
    pub cno_dbhz: Option<u8>,
    pub elev_deg: Option<i16>,
    pub azim_deg: Option<i16>,
    pub used: bool,
}

/// What the receiver last said.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Receiver {
    pub device: String,
    pub serial_state: DeviceState,
    pub serial_error: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub extensions: Vec<String>,
    /// RFC 3339 time of the last epoch, and whether the receiver vouched for it.
    pub time: Option<String>,
    pub time_valid: bool,
    pub time_source: Option<Name>,
    pub fix: FixKind,
    pub fix_ok: bool,
    pub sats_used: Option<u16>,
    pub sats_seen: Option<u16>,
    /// (constellation, used, seen)
    pub constellations: Vec<(Name, u16, u16)>,
    pub satellites: Vec<Sat>,
    pub tacc_ns: Option<u32>,
    pub leap_s: Option<i8>,
    pub leap_source: LeapSourceKind,
    pub leap_valid: bool,
    /// +1 / −1 when a leap second is announced.
    pub leap_change: Option<i8>,
    pub antenna: Option<Antenna>,
    pub antenna_power: Option<String>,
    pub jamming_state: Option<u8>,
    pub jam_ind: Option<u8>,
    pub spoofing: Option<u8>,
    pub survey_active: Option<bool>,
    pub survey_valid: Option<bool>,
    pub survey_duration_s: Option<u32>,
    pub survey_acc_m: Option<f64>,
    /// Survey-in observations used so far.
    #[serde(default)]
    pub survey_observations: Option<u32>,
    /// The survey's mean position (the position in use once it is valid), ECEF metres.
    #[serde(default)]
    pub survey_ecef_m: Option<[f64; 3]>,
    /// The time mode the receiver's output shows; `None` until it shows one (and never for a
    /// receiver without one).
    #[serde(default)]
    pub time_mode: Option<TimeMode>,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    pub alt_hae_m: Option<f64>,
    pub alt_msl_m: Option<f64>,
    pub hdop: Option<f64>,
    pub pdop: Option<f64>,
    pub epochs: u64,
    /// System time (Unix ns) the last epoch's first byte arrived.
    pub last_epoch_ns: Option<i64>,
    pub framer: FramerCounts,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FramerCounts {
    pub bytes: u64,
    pub nmea: u64,
    pub ubx: u64,
    pub checksum_errors: u64,
    pub garbage_bytes: u64,
    pub decode_errors: u64,
}

/// PPS input and pairing.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Pps {
    pub source: crate::config::PpsSource,
    pub simulated: bool,
    pub device: String,
    pub device_state: DeviceState,
    pub device_error: Option<String>,
    pub edges: u64,
    pub last_edge_ns: Option<i64>,
    pub last_seq: Option<u64>,
    /// Pairing; `held-label-jump`: the receiver's labels are `label_jump_s` away from the pulse
    /// count.
    pub state: PpsLock,
    /// While held for a label jump: how many seconds the receiver's labels are off the count.
    #[serde(default)]
    pub label_jump_s: Option<i64>,
    pub samples: u64,
    pub last_offset_ns: Option<i64>,
    pub last_qerr_ps: Option<i32>,
    /// (reason, count) for every rejection reason.
    pub rejects: Vec<(Name, u64)>,
}

/// One chrony sink.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sink {
    /// "sock-pps", "sock-coarse", "shm-pps", "shm-coarse".
    pub kind: Name,
    pub target: String,
    pub state: SinkState,
    pub error: Option<String>,
    pub sent: u64,
    pub errors: u64,
    pub last_sent_ns: Option<i64>,
}

/// A window summary as exported (seconds).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Window {
    pub window: Name,
    pub count: u64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub mean_s: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub rms_s: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub stddev_s: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub min_s: f64,
    #[serde(deserialize_with = "f64_or_nan")]
    pub max_s: f64,
}

/// JSON has no NaN or infinity: serde_json writes them as `null`. Read `null` back as NaN.
fn f64_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The histogram's last bound is +Inf, written as `null`.
fn histogram_bounds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(f64, u64)>, D::Error> {
    let v = Vec::<(Option<f64>, u64)>::deserialize(d)?;
    Ok(v.into_iter().map(|(b, c)| (b.unwrap_or(f64::INFINITY), c)).collect())
}

/// Offset statistics of one sample stream.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SourceStats {
    pub windows: Vec<Window>,
    /// (upper bound s, cumulative count), ending with +Inf (`null` in JSON).
    #[serde(deserialize_with = "histogram_bounds")]
    pub histogram: Vec<(f64, u64)>,
    #[serde(deserialize_with = "f64_or_nan")]
    pub histogram_sum_s: f64,
    pub histogram_count: u64,
    /// (tau s, deviation) where computable.
    pub adev: Vec<(f64, f64)>,
    pub tdev_s: Vec<(f64, f64)>,
}

/// Statistics the loop keeps (timed-core `stats`), as last published.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    pub pps: Option<SourceStats>,
    pub coarse: Option<SourceStats>,
    /// First byte after the PPS second, per message kind (10 min window).
    pub serial_latency: Vec<(String, Window)>,
    /// Suggested chrony `offset` and `delay` for the coarse refclock, seconds.
    pub suggested_coarse: Option<(f64, f64)>,
    /// PPS edge-to-datagram latency per label source (the last hour of edges).
    #[serde(default)]
    pub edge_latency: Vec<EdgeLatencySummary>,
}

/// From the moment timed got a PPS edge to its sample handed to every sink.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct EdgeLatencySummary {
    /// "tim-tp" or "epoch-timing".
    pub label: Name,
    pub n: u64,
    pub p50_s: f64,
    pub p99_s: f64,
    pub max_s: f64,
    /// Every edge since start: (upper bound s, cumulative count), ending with +Inf (`null` in
    /// JSON). Two readings give the distribution between them (tests/bench/ntp-load.sh).
    #[serde(default, deserialize_with = "histogram_bounds")]
    pub histogram: Vec<(f64, u64)>,
    #[serde(default)]
    pub histogram_sum_s: f64,
    #[serde(default)]
    pub histogram_count: u64,
}

impl EdgeLatencySummary {
    pub fn all(l: &timed_core::stats::EdgeLatency) -> Vec<EdgeLatencySummary> {
        use timed_core::engine::LabelSource as L;
        [(L::TimTp, "tim-tp"), (L::EpochTiming, "epoch-timing")]
            .into_iter()
            .filter_map(|(label, name)| {
                let q = l.summary(label)?;
                let h = l.histogram(label);
                Some(EdgeLatencySummary {
                    label: Name::Borrowed(name),
                    n: q.n as u64,
                    p50_s: q.p50_ns as f64 / 1e9,
                    p99_s: q.p99_ns as f64 / 1e9,
                    max_s: q.max_ns as f64 / 1e9,
                    histogram: h.map(|h| h.buckets().collect()).unwrap_or_default(),
                    histogram_sum_s: h.map_or(0.0, |h| h.sum_ns as f64 / 1e9),
                    histogram_count: h.map_or(0, |h| h.count()),
                })
            })
            .collect()
    }
}

impl SourceStats {
    pub fn from_core(s: &timed_core::stats::OffsetStats, now_ns: i64) -> SourceStats {
        SourceStats {
            windows: timed_core::stats::Span::ALL
                .iter()
                .filter_map(|sp| s.summary(*sp, now_ns).map(|w| window(sp.label(), &w)))
                .collect(),
            histogram: s.histogram().buckets().collect(),
            histogram_sum_s: s.histogram().sum_seconds(),
            histogram_count: s.histogram().count(),
            adev: s.adev().into_iter().filter_map(|(t, v)| v.map(|v| (t, v))).collect(),
            tdev_s: s.tdev().into_iter().filter_map(|(t, v)| v.map(|v| (t, v))).collect(),
        }
    }
}

pub fn window(name: &'static str, w: &timed_core::stats::Summary) -> Window {
    Window {
        window: name.into(),
        count: w.count,
        mean_s: w.mean_s,
        rms_s: w.rms_s,
        stddev_s: w.stddev_s,
        min_s: w.min_s,
        max_s: w.max_s,
    }
}

/// The whole snapshot.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Health {
    pub version: Name,
    pub started_unix_s: i64,
    /// The configuration file timed runs with ("" if it was not read from a file).
    #[serde(default)]
    pub config_path: String,
    pub receiver: Receiver,
    pub pps: Pps,
    pub coarse_samples: u64,
    pub sinks: Vec<Sink>,
    pub stats: Stats,
    /// The integrity gate.
    #[serde(default)]
    pub integrity: Integrity,
    /// Holdover state and error bound (absent in snapshots from before holdover existed).
    #[serde(default)]
    pub holdover: crate::holdover::Snapshot,
    /// The leap-seconds list as loaded at start.
    #[serde(default)]
    pub leap_list: LeapListHealth,
    /// Recent events and counts per kind (absent in snapshots from before events existed).
    #[serde(default)]
    pub events: crate::events::EventsHealth,
    /// `[receiver] configure`: the receiver's set-up as last checked or applied.
    #[serde(default)]
    pub receiver_setup: ReceiverSetup,
    /// `[nts] cert`: the NTS certificate's expiry (absent in snapshots from before it was watched).
    #[serde(default)]
    pub nts_cert: NtsCertHealth,
}

/// The NTS certificate (`[nts] cert`) as timed last read it (at start, then hourly: a rotation
/// shows within the hour). `timectl status` judges it in full (`crate::nts_cert`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NtsCertHealth {
    /// The configured file ("" = this box serves no NTS: nothing watched).
    pub path: String,
    /// notAfter, Unix seconds; `None` when not read.
    pub expires_unix_s: Option<i64>,
    /// Why it could not be read or decoded: `FILE: problem`.
    pub error: Option<String>,
}

/// The leap-seconds list (`[leap] list`): where it is, until when it vouches, and why not.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LeapListHealth {
    /// The configured file ("" = none configured).
    pub path: String,
    /// The list's expiry (`#@`), Unix seconds; `None` when not loaded.
    pub expires_unix_s: Option<i64>,
    /// When it was last updated (`#$`), Unix seconds.
    pub updated_unix_s: Option<i64>,
    /// Whether its `#h` hash was present and matched.
    pub hash_checked: bool,
    /// `[leap] expired`: "hold" or "receiver".
    pub expired_policy: Name,
    /// Why the configured file could not be used: `FILE:LINE: problem` or `FILE: cannot read …`.
    pub error: Option<String>,
}

impl Health {
    /// Folds an epoch in.
    pub fn note_epoch(&mut self, e: &Epoch, info: &ReceiverInfo) {
        let r = &mut self.receiver;
        r.epochs += 1;
        r.last_epoch_ns = e.rx.map(|x| x.realtime_ns).or(r.last_epoch_ns);
        r.model = info.hw_version.clone();
        r.firmware = info.sw_version.clone();
        r.extensions = info.extensions.clone();
        r.time = e.time.map(|t| t.rfc3339_millis());
        r.time_valid = e.time_valid;
        r.time_source = e.time_source.map(|s| s.name().into());
        r.fix = e.fix.into();
        r.fix_ok = e.fix_ok;
        r.sats_used = e.sats_used;
        r.sats_seen = e.sats_seen;
        r.constellations =
            e.constellations.iter().map(|c| (c.constellation.name().into(), c.used, c.seen)).collect();
        r.satellites = e
            .satellites
            .iter()
            .map(|s| Sat {
                gnss: s.constellation.name().into(),
                gnss_id: s.constellation.ubx_gnss_id(),
                svid: s.sv_id,
                cno_dbhz: s.cno_dbhz,
                elev_deg: s.elev_deg,
                azim_deg: s.azim_deg,
                used: s.used,
            })
            .collect();
        r.tacc_ns = e.tacc_ns;
        r.leap_s = e.leap.current_s;
        r.leap_source = e.leap.source.into();
        r.leap_valid = e.leap.valid;
        r.leap_change = e.leap.event.map(|ev| ev.change);
        // Health messages come every few seconds: keep the last known value between them.
        if let Some(a) = e.antenna {
            r.antenna = Some(a.into());
        }
        if let Some(p) = e.antenna_power {
            r.antenna_power = Some(format!("{p:?}").to_lowercase());
        }
        if let Some(j) = e.jamming {
            r.jamming_state = Some(j.state);
            r.jam_ind = Some(j.indicator);
        }
        if e.spoofing.is_some() {
            r.spoofing = e.spoofing;
        }
        if let Some(s) = &e.survey {
            r.survey_active = Some(s.active);
            r.survey_valid = Some(s.valid);
            r.survey_duration_s = Some(s.duration_s);
            r.survey_acc_m = Some(s.mean_acc_m);
            r.survey_observations = Some(s.observations);
            r.survey_ecef_m = Some(s.mean_ecef_m);
        }
        if let Some(m) = e.time_mode {
            r.time_mode = Some(m.into());
        }
        if let Some(p) = e.position {
            r.lat_deg = Some(p.lat_deg);
            r.lon_deg = Some(p.lon_deg);
            r.alt_hae_m = p.alt_hae_m;
            r.alt_msl_m = p.alt_msl_m;
        }
        r.hdop = e.hdop.or(r.hdop);
        r.pdop = e.pdop.or(r.pdop);
    }

    pub fn note_framer(&mut self, f: FramerStats, d: DecodeStats) {
        self.receiver.framer = FramerCounts {
            bytes: f.bytes,
            nmea: f.nmea,
            ubx: f.ubx,
            checksum_errors: f.nmea_checksum_errors + f.ubx_checksum_errors,
            garbage_bytes: f.garbage_bytes,
            decode_errors: d.nmea_errors + d.ubx_errors,
        };
    }

    pub fn note_engine(&mut self, state: PpsState, rejects: &RejectCounts) {
        self.pps.state = state.into();
        self.pps.label_jump_s = match state {
            PpsState::Held(Hold::LabelJump { by_s }) => Some(by_s),
            _ => None,
        };
        self.pps.rejects = Reject::ALL.iter().map(|r| (r.name().into(), rejects.get(*r))).collect();
    }
}
