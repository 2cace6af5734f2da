//! The Prometheus endpoint: one scrape renders `timed_*` (this daemon, from the latest health
//! snapshot), `chrony_*` (chronyd through its command socket, SuperQ/chrony_exporter names) and
//! `gpsd_*` (the receiver under gpsd exporter names). Names and units: docs/metrics.md.
//! Must not reach into the event loop: it only reads published snapshots.
//!
//! Every family is encoded by `families` (one encoder, one text format); `chrony`, `gpsd` and
//! `stats` build theirs from a chronyd report or the health snapshot, this module the rest of
//! `timed_*`.

pub mod chrony;
mod events;
pub(crate) mod families;
pub mod gpsd;
mod server;
mod stats;
#[cfg(test)]
mod tests;

use crate::config::Metrics as MetricsConfig;
use crate::health::{Antenna, DeviceState, FixKind, GateName, Health, SetupState, SinkState, TimeMode};
use families::{flag, labels, Reg};
use prometheus_client::registry::Registry;
use server::Page;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use tokio::sync::watch;

/// Starts the endpoint on the current `LocalSet` if enabled. A listen failure is logged and the
/// daemon goes on without metrics. chronyd is read through `chrony` (shared with the control
/// socket), so a scrape never waits on a hung chronyd for more than one short timeout.
pub async fn start(
    cfg: &MetricsConfig,
    chrony: Option<Rc<crate::chronyctl::Cache>>,
    health: watch::Receiver<Arc<Health>>,
) {
    if !cfg.enabled {
        return;
    }
    let listener = match tokio::net::TcpListener::bind(&cfg.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(listen = %cfg.listen, "metrics endpoint cannot listen: {e}; continuing without it");
            return;
        }
    };
    let position = cfg.position;
    let history = Rc::new(RefCell::new(crate::web::History::default()));
    tokio::task::spawn_local(record(health.clone(), history.clone()));
    let render = move |page| {
        let h = health.borrow().clone();
        let chrony = chrony.clone();
        let history = history.clone();
        async move {
            match page {
                Page::Metrics => scrape(&h, position, chrony.as_deref()).await,
                Page::Status => crate::web::status_json(&view(&h, position, chrony.as_deref()).await),
                Page::Html => {
                    crate::web::page(&view(&h, position, chrony.as_deref()).await, &history.borrow())
                }
            }
        }
    };
    tokio::task::spawn_local(server::serve(listener, render));
}

/// The status page's view: the snapshot and chronyd's reading as the control socket hands
/// them to `timectl status`, so `/status.json` is the same document; except that the receiver's
/// position is shown as `[metrics] position` says, as in the `gpsd_*` family (this listener may
/// face the LAN; the control socket is local and group-restricted).
async fn view(
    h: &Health,
    position: gpsd::Position,
    chrony: Option<&crate::chronyctl::Cache>,
) -> crate::status::View {
    crate::status::View::from_message(crate::control::snapshot(&with_position(h, position), chrony).await)
}

/// The snapshot with the receiver's position as much as `position` shows.
fn with_position(h: &Health, position: gpsd::Position) -> Health {
    let mut h = h.clone();
    let rx = &mut h.receiver;
    rx.lat_deg = rx.lat_deg.and_then(|v| position.degrees(v));
    rx.lon_deg = rx.lon_deg.and_then(|v| position.degrees(v));
    rx.alt_hae_m = rx.alt_hae_m.and_then(|v| position.meters(v));
    rx.alt_msl_m = rx.alt_msl_m.and_then(|v| position.meters(v));
    h
}

/// Feeds the page's PPS chart from every snapshot the loop publishes, until it stops.
async fn record(mut health: watch::Receiver<Arc<Health>>, history: Rc<RefCell<crate::web::History>>) {
    while health.changed().await.is_ok() {
        let h = health.borrow_and_update().clone();
        history.borrow_mut().observe(&h);
    }
}

/// One scrape: all three families (`chrony_*` only when a chronyd reader is given).
pub async fn scrape(
    h: &Health,
    position: gpsd::Position,
    chrony: Option<&crate::chronyctl::Cache>,
) -> String {
    let mut registry = Registry::default();
    register_timed(h, &mut registry);
    if let Some(c) = chrony {
        chrony::register(&c.read().await, &mut registry);
    }
    let pps_buckets: Vec<(f64, u64)> = h.stats.pps.as_ref().map(|s| s.histogram.clone()).unwrap_or_default();
    gpsd::register(h, position, &pps_buckets, &mut registry);
    families::render(&registry)
}

/// The `timed_*` families.
pub fn register_timed(h: &Health, registry: &mut Registry) {
    let mut r = Reg(registry);
    r.gauges(
        "timed_build_info",
        "timed version (always 1)",
        vec![(labels(&[("version", h.version.as_ref())]), 1.0)],
    );
    r.gauge("timed_start_time_seconds", "Unix time timed started", h.started_unix_s as f64);
    if let Some((cpu, rss)) = process_cost() {
        r.counter_f64("timed_process_cpu_seconds", "User and system CPU time of timed", cpu);
        r.gauge("timed_process_resident_memory_bytes", "Resident memory of timed", rss);
    }
    register_receiver(h, &mut r);
    register_pps(h, &mut r);
    register_integrity(h, &mut r);
    register_holdover(h, &mut r);
    register_leap_list(h, &mut r);
    register_nts_cert(h, &mut r);
    events::register(h, &mut r);
    register_setup(h, &mut r);
    stats::register(&h.stats, &mut r);
}

/// `[receiver] configure` (absent when off).
fn register_setup(h: &Health, r: &mut Reg<'_>) {
    let s = &h.receiver_setup;
    if s.configure == crate::config::Configure::Off {
        return;
    }
    r.gauges(
        "timed_receiver_setup_state",
        "1 for the state of the receiver's set-up as timed last checked or applied it",
        SetupState::ALL.iter().map(|st| (labels(&[("state", st.name())]), flag(*st == s.state))).collect(),
    );
    r.gauge(
        "timed_receiver_setup_differences",
        "Items of [receiver.setup] not as planned after the last check or apply",
        s.items.len() as f64,
    );
    r.counter("timed_receiver_setup_runs", "Set-up checks or applies (start, reconnects, restarts)", s.runs);
    r.counter(
        "timed_receiver_setup_restored",
        "Applies that restored a set-up the receiver had lost",
        s.restored,
    );
}

/// Only when a list is configured (`[leap] list = ""` is a choice, not a fault). The expiry is a
/// timestamp so an alert can compare it with `time()` itself: the snapshot has no "now".
fn register_leap_list(h: &Health, r: &mut Reg<'_>) {
    let l = &h.leap_list;
    if l.path.is_empty() {
        return;
    }
    r.gauge(
        "timed_leap_list_ok",
        "1 if the leap-seconds list was read and checked at start",
        flag(l.expires_unix_s.is_some() && l.error.is_none()),
    );
    if let Some(expires) = l.expires_unix_s {
        r.gauge(
            "timed_leap_list_expiry_timestamp_seconds",
            "Unix time the leap-seconds list expires",
            expires as f64,
        );
    }
}

/// Only when a certificate is configured (`[nts] cert = ""`: no NTS served, nothing to alert
/// on). A timestamp like the leap list's, for the same reason.
fn register_nts_cert(h: &Health, r: &mut Reg<'_>) {
    let c = &h.nts_cert;
    if c.path.is_empty() {
        return;
    }
    r.gauge(
        "timed_nts_cert_ok",
        "1 if the NTS certificate ([nts] cert) was read and decoded at the last hourly check",
        flag(c.expires_unix_s.is_some() && c.error.is_none()),
    );
    if let Some(expires) = c.expires_unix_s {
        r.gauge(
            "timed_nts_cert_expiry_timestamp_seconds",
            "Unix time the NTS certificate expires (its notAfter)",
            expires as f64,
        );
    }
}

fn register_receiver(h: &Health, r: &mut Reg<'_>) {
    let rx = &h.receiver;
    r.gauges(
        "timed_receiver_up",
        "1 while the receiver's serial device is open",
        vec![(labels(&[("device", &rx.device)]), flag(rx.serial_state == DeviceState::Open))],
    );
    r.counter("timed_receiver_bytes", "Bytes read from the receiver", rx.framer.bytes);
    r.counters(
        "timed_receiver_frames",
        "Checksum-valid frames by protocol",
        vec![(labels(&[("kind", "nmea")]), rx.framer.nmea), (labels(&[("kind", "ubx")]), rx.framer.ubx)],
    );
    r.counter("timed_receiver_checksum_errors", "NMEA and UBX checksum failures", rx.framer.checksum_errors);
    r.counter("timed_receiver_garbage_bytes", "Bytes outside any frame", rx.framer.garbage_bytes);
    r.counter("timed_receiver_decode_errors", "Frames that did not decode", rx.framer.decode_errors);
    r.counter("timed_receiver_epochs", "Navigation epochs assembled", rx.epochs);
    let fix_type = match rx.fix {
        FixKind::None => 0.0,
        FixKind::TwoD => 2.0,
        FixKind::ThreeD => 3.0,
        FixKind::Time => 5.0,
    };
    r.gauge("timed_receiver_fix_type", "0 none, 2 2D, 3 3D, 5 time-only", fix_type);
    r.gauge("timed_receiver_fix_ok", "1 if the receiver flags its fix valid", flag(rx.fix_ok));
    r.gauge("timed_receiver_time_valid", "1 if the receiver vouches for its time", flag(rx.time_valid));
    let per_c = |used: bool| -> Vec<_> {
        rx.constellations
            .iter()
            .map(|c| (labels(&[("constellation", c.0.as_ref())]), f64::from(if used { c.1 } else { c.2 })))
            .collect()
    };
    r.gauges("timed_receiver_satellites_used", "Satellites used in the solution", per_c(true));
    r.gauges("timed_receiver_satellites_seen", "Satellites the receiver lists", per_c(false));
    let sat = |f: &dyn Fn(&crate::health::Sat) -> Option<f64>, with_used: bool| -> Vec<_> {
        rx.satellites
            .iter()
            .filter_map(|s| {
                let svid = s.svid.to_string();
                let mut l = labels(&[("constellation", s.gnss.as_ref()), ("svid", &svid)]);
                if with_used {
                    l.push(("used".into(), s.used.to_string()));
                }
                f(s).map(|v| (l, v))
            })
            .collect()
    };
    r.gauges(
        "timed_receiver_satellite_cn0_dbhz",
        "Carrier-to-noise density per satellite, dB-Hz",
        sat(&|s| s.cno_dbhz.map(f64::from), true),
    );
    r.gauges(
        "timed_receiver_satellite_elevation_degrees",
        "Satellite elevation",
        sat(&|s| s.elev_deg.map(f64::from), false),
    );
    r.gauges(
        "timed_receiver_satellite_azimuth_degrees",
        "Satellite azimuth",
        sat(&|s| s.azim_deg.map(f64::from), false),
    );
    r.gauge_opt(
        "timed_receiver_time_accuracy_seconds",
        "Receiver time accuracy estimate (tAcc)",
        rx.tacc_ns.map(|v| f64::from(v) * 1e-9),
    );
    if let Some(a) = &rx.antenna {
        r.gauges(
            "timed_receiver_antenna_ok",
            "1 if the antenna supervisor reports OK",
            vec![(labels(&[("status", a.name())]), flag(*a == Antenna::Ok))],
        );
    }
    if let Some(p) = &rx.antenna_power {
        r.gauge("timed_receiver_antenna_power_on", "1 if antenna power is on", flag(p == "on"));
    }
    r.gauge_opt(
        "timed_receiver_jamming_state",
        "0 unknown, 1 ok, 2 warning, 3 critical",
        rx.jamming_state.map(f64::from),
    );
    r.gauge_opt("timed_receiver_jamming_indicator", "CW jamming indicator 0-255", rx.jam_ind.map(f64::from));
    r.gauge_opt(
        "timed_receiver_spoofing_state",
        "0 unknown, 1 none, 2 indicated, 3 multiple",
        rx.spoofing.map(f64::from),
    );
    r.gauge_opt("timed_receiver_survey_active", "Survey-in running", rx.survey_active.map(flag));
    r.gauge_opt("timed_receiver_survey_valid", "Survey-in position valid", rx.survey_valid.map(flag));
    r.gauge_opt(
        "timed_receiver_survey_duration_seconds",
        "Survey-in duration",
        rx.survey_duration_s.map(f64::from),
    );
    r.gauge_opt("timed_receiver_survey_accuracy_meters", "Survey-in mean accuracy", rx.survey_acc_m);
    if let Some(mode) = rx.time_mode {
        r.gauges(
            "timed_receiver_time_mode",
            "1 for the time mode the receiver's output shows (disabled, survey-in, fixed)",
            TimeMode::ALL.iter().map(|m| (labels(&[("mode", m.name())]), flag(*m == mode))).collect(),
        );
    }
    if let Some(l) = rx.leap_s {
        r.gauges(
            "timed_receiver_leap_seconds",
            "GPS - UTC leap seconds",
            vec![(labels(&[("source", rx.leap_source.name())]), f64::from(l))],
        );
        r.gauge(
            "timed_receiver_leap_valid",
            "1 if the leap second count came from the constellation",
            flag(rx.leap_valid),
        );
        r.gauge(
            "timed_receiver_leap_announced",
            "+1 or -1 when a leap second is announced, else 0",
            f64::from(rx.leap_change.unwrap_or(0)),
        );
    }
}

fn register_integrity(h: &Health, r: &mut Reg<'_>) {
    let g = &h.integrity;
    r.gauge(
        "timed_integrity_gate_open",
        "1 while samples may reach chrony (no closing signal, hold-off over)",
        flag(g.state == GateName::Open),
    );
    r.gauges(
        "timed_integrity_signal_active",
        "1 while the signal is raised (response: close, warn or ignore)",
        g.signals
            .iter()
            .map(|s| (labels(&[("signal", &s.signal), ("response", &s.response)]), flag(s.active)))
            .collect(),
    );
    r.counters(
        "timed_integrity_signal_raised",
        "Times the signal was raised",
        g.signals.iter().map(|s| (labels(&[("signal", &s.signal)]), s.raised)).collect(),
    );
    r.counter("timed_integrity_withheld_samples", "Samples withheld while the gate was closed", g.withheld);
}

fn register_pps(h: &Health, r: &mut Reg<'_>) {
    let p = &h.pps;
    r.gauges(
        "timed_pps_up",
        "1 while the PPS device is open",
        vec![(labels(&[("source", p.source.name())]), flag(p.device_state == DeviceState::Open))],
    );
    r.gauge("timed_pps_simulated", "1 when PPS edges come from timed-sim", flag(p.simulated));
    r.counter("timed_pps_edges", "PPS assert edges received", p.edges);
    let label = p.state.label().unwrap_or("none");
    r.gauges(
        "timed_pps_locked",
        "1 while edges are labelled and sent",
        vec![(labels(&[("label", label)]), flag(label != "none"))],
    );
    r.counter("timed_pps_samples", "PPS samples handed to chrony", p.samples);
    r.counter("timed_coarse_samples", "Coarse serial samples handed to chrony", h.coarse_samples);
    r.gauge_opt(
        "timed_pps_last_offset_seconds",
        "Last PPS sample offset, true - system",
        p.last_offset_ns.map(|v| v as f64 * 1e-9),
    );
    r.gauge_opt("timed_pps_qerr_seconds", "Last qErr applied", p.last_qerr_ps.map(|v| f64::from(v) * 1e-12));
    r.counters(
        "timed_rejects",
        "Edges, epochs and samples rejected, by reason",
        p.rejects.iter().map(|(k, v)| (labels(&[("reason", k)]), *v)).collect(),
    );
    let sink = |s: &crate::health::Sink| labels(&[("sink", s.kind.as_ref()), ("target", &s.target)]);
    r.gauges(
        "timed_sink_up",
        "1 while a chrony sink delivers",
        h.sinks.iter().map(|s| (sink(s), flag(s.state == SinkState::Ok))).collect(),
    );
    r.counters(
        "timed_sink_sent",
        "Samples delivered per sink",
        h.sinks.iter().map(|s| (sink(s), s.sent)).collect(),
    );
    r.counters(
        "timed_sink_errors",
        "Failed deliveries per sink",
        h.sinks.iter().map(|s| (sink(s), s.errors)).collect(),
    );
    r.gauges(
        "timed_sink_last_sent_timestamp_seconds",
        "Time of the last delivered sample",
        h.sinks.iter().filter_map(|s| s.last_sent_ns.map(|t| (sink(s), t as f64 * 1e-9))).collect(),
    );
}

/// Holdover (docs/holdover.md). Elapsed time and bound exist only in holdover: while locked
/// there is nothing to bound, and a 0 would read as a perfect clock.
fn register_holdover(h: &Health, r: &mut Reg<'_>) {
    let o = &h.holdover;
    r.gauge(
        "timed_holdover_active",
        "1 while the clock runs without its PPS reference",
        flag(o.state.active()),
    );
    r.gauge_opt("timed_holdover_elapsed_seconds", "Time since holdover began", o.elapsed_s);
    r.gauge_opt(
        "timed_holdover_error_bound_seconds",
        "Upper bound on the clock's error accumulated in holdover",
        o.bound_s,
    );
    // The limit itself, so an alert compares the bound with this box's setting, not a copy.
    // (Absent before the holdover part has been built from the configuration.)
    r.gauge_opt(
        "timed_holdover_max_error_seconds",
        "[holdover] max_error_ms: the bound past which timed reports FAILING",
        (o.max_error_s > 0.0).then_some(o.max_error_s),
    );
    r.gauge_opt("timed_soc_temperature_celsius", "SoC temperature (thermal zone)", o.temperature_c);
}

/// (CPU seconds, RSS bytes) of this process from /proc.
fn process_cost() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime in clock ticks (USER_HZ, 100 on Linux).
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // VmRSS in kB: page-size independent (a Pi 5 kernel uses 16 KiB pages).
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 =
        status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((ticks / 100.0, kb * 1024.0))
}
