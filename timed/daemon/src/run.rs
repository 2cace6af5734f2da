//! The event loop: serial bytes and PPS edges in, through `timed-core` (stream decoder and
//! engine), samples out to chrony. Everything I/O-shaped lives in threads and tasks around this
//! loop; the loop moves events into the core, carries out the actions it returns, and publishes
//! a health snapshot for the metrics endpoint and the control socket.

use crate::chrony::Sinks;
use crate::clock::Clock;
use crate::config::{Config, PpsSource};
use crate::health::{DeviceState, FixKind, Health, PpsLock};
use crate::serial::{self, SerialEvent, SerialStatus};
use crate::{log_state::LogState, pps_input};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timed_core::engine::integrity::GateState;
use timed_core::engine::{self, Action, Engine, Hold, LabelSource, PpsState};
use timed_core::epoch::{Assembler, Epoch};
use timed_core::stats::{Config as StatsConfig, EdgeLatency, LatencyStats, OffsetStats};
use timed_core::stream::StreamDecoder;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// The PPS input events the loop receives (kernel thread or simulated socket).
pub use crate::pps::reader::{PpsEvent, PpsStatus};

/// The loop's state.
struct Daemon {
    decoder: StreamDecoder,
    engine: Engine,
    sinks: Sinks,
    health: Health,
    logs: LogState,
    latency: EdgeLatency,
    edge_fetched: Option<(u64, timed_core::epoch::RxStamp)>,
    stats_pps: OffsetStats,
    stats_coarse: OffsetStats,
    serial_latency: LatencyStats,
    holdover: crate::holdover::State,
    events: crate::events::Events,
    /// chronyd's state from the last reading (for events).
    chrony: Option<timed_core::events::ChronyState>,
}

/// Runs the daemon until SIGINT/SIGTERM. Never returns early on device or chrony trouble.
/// Must run inside a `tokio::task::LocalSet` (the metrics endpoint's tasks are local).
pub async fn run(cfg: Config) {
    let (tx, rx) = watch::channel(Arc::new(Health::default()));
    // One reader of chronyd for the metrics endpoint and the control socket: a hung chronyd
    // then costs one short timeout for all of them (chronyctl::Cache).
    let chrony = (!cfg.chrony.command_socket.as_os_str().is_empty()).then(|| {
        std::rc::Rc::new(crate::chronyctl::Cache::new(
            cfg.chrony.command_socket.clone(),
            crate::chronyctl::LIVE_TIMEOUT,
        ))
    });
    crate::metrics::start(&cfg.metrics, chrony.clone(), rx.clone()).await;
    let _led = crate::led::start(&cfg.led, rx.clone());
    let _control = crate::control::start(&cfg, chrony.clone(), rx).await;
    run_with(cfg, tx, chrony).await;
}

/// As [`run`], publishing every health snapshot on `health_tx`; chronyd's tracking (for the
/// holdover model) is read through `chrony`.
pub async fn run_with(
    cfg: Config,
    health_tx: watch::Sender<Arc<Health>>,
    chrony: Option<std::rc::Rc<crate::chronyctl::Cache>>,
) {
    let clock = Clock;
    let mut readings = crate::holdover::start(&cfg.holdover, chrony);
    let (serial_tx, mut serial_rx) = mpsc::channel(256);
    let (pps_tx, mut pps_rx) = mpsc::channel(64);
    let pps_guard = pps_input::start(&cfg.pps, pps_tx);
    let port = match serial::spawn(
        cfg.receiver.device.clone(),
        cfg.receiver.baud,
        clock,
        serial_tx,
        pps_guard.stop_flag(),
    ) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::error!("cannot start the serial reader thread: {e}");
            None
        }
    };
    let mut setup = crate::receiver_setup::Driver::new(&cfg, port);
    let mut decoder = StreamDecoder::new(Assembler::new());
    decoder.set_byte_ns(serial::byte_time_ns(cfg.receiver.baud));
    // The leap-seconds list: its agreement sets the leap indication, and a receiver whose leap
    // count it contradicts is held (the engine's leap-mismatch signal). Read again when the
    // file changes (a tzdata upgrade).
    let (leap_list, leap_health) = crate::leap_list::start(&cfg.leap);
    let mut leap_watch = crate::leap_list::Watch::new(&cfg.leap);
    // Both watches read their file at start: their timers' first ticks are one period later.
    let mut leap_tick = every_after(crate::leap_list::CHECK_EVERY);
    leap_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The NTS certificate's expiry, for the metric: read at start, then hourly.
    let (mut nts_watch, nts_health) = crate::nts_watch::Watch::start(&cfg.nts.cert);
    let mut nts_tick = every_after(crate::nts_watch::CHECK_EVERY);
    nts_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let trust_receiver_when_expired = cfg.leap.expired == crate::config::LeapExpired::Receiver;
    let mut engine = Engine::new(engine_config(&cfg));
    engine.set_leap_list(leap_list, trust_receiver_when_expired);
    let mut health = initial_health(&cfg);
    health.leap_list = leap_health;
    health.nts_cert = nts_health;
    health.receiver_setup = crate::receiver_setup::Driver::initial(&cfg);
    let mut d = Daemon {
        decoder,
        engine,
        sinks: Sinks::new(&cfg),
        health,
        logs: LogState::default(),
        latency: EdgeLatency::default(),
        edge_fetched: None,
        stats_pps: OffsetStats::new(&StatsConfig::pps()),
        stats_coarse: OffsetStats::new(&StatsConfig::serial()),
        serial_latency: LatencyStats::new(),
        holdover: crate::holdover::State::new(&cfg.holdover),
        events: crate::events::Events::new(&cfg.events),
        chrony: None,
    };
    let gap_ns = i64::from(cfg.receiver.epoch_gap_ms) * 1_000_000;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Made once: a signal listener per loop turn would re-register ~50 times a second.
    let watch = |kind: tokio::signal::unix::SignalKind, name: &str| match tokio::signal::unix::signal(kind) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!("cannot watch {name}: {e}");
            None
        }
    };
    let mut term = watch(tokio::signal::unix::SignalKind::terminate(), "SIGTERM");
    let mut int = watch(tokio::signal::unix::SignalKind::interrupt(), "SIGINT");
    // With `[pps] source = "off"` (or a PPS thread that ended) the channel is closed: stop
    // polling it, or select! would return None at once, forever.
    let mut pps_open = true;
    info!(receiver = %cfg.receiver.device.display(), pps = %pps_description(&cfg), "timed started");
    let mut notify = crate::notify::Notifier::from_env();
    notify.ready(&crate::notify::status_line(&d.health), Instant::now());
    loop {
        let mut epochs: Vec<Epoch> = Vec::new();
        let mut actions: Vec<Action> = Vec::new();
        let mut changed = false;
        let mut ticked = false;
        tokio::select! {
            ev = serial_rx.recv() => match ev {
                Some(SerialEvent::Bytes(bytes, rx)) => {
                    d.decoder.feed(&bytes, Some(rx), |e| epochs.push(e));
                    setup.on_bytes(&bytes, rx);
                    changed |= setup.poll(clock.now(), &mut d.decoder, &mut d.health.receiver_setup);
                }
                Some(SerialEvent::Status(s)) => {
                    log_serial(&s);
                    note_serial(&mut d.health, &s);
                    setup.on_status(&s, clock.now(), &mut d.health.receiver_setup);
                    changed = true;
                }
                None => break,
            },
            ev = pps_rx.recv(), if pps_open => match ev {
                Some((PpsEvent::Edge(edge), fetched)) => {
                    d.health.pps.edges += 1;
                    d.health.pps.last_edge_ns = Some(edge.system_ns);
                    d.health.pps.last_seq = Some(edge.seq);
                    d.edge_fetched = Some((edge.seq, fetched));
                    // Every edge is news for `timectl pps`, labelled or not.
                    changed = true;
                    actions.extend(d.engine.on_edge(edge, fetched));
                }
                Some((PpsEvent::Status(s), _)) => {
                    log_pps(&s);
                    note_pps(&mut d.health, &s);
                    changed = true;
                }
                None => pps_open = false,
            },
            Some(mut r) = readings.recv() => {
                if let Some(peers) = r.peers.take() {
                    actions.extend(d.engine.note_other_sources(&peers, clock.now()));
                    d.logs.note_sources(d.engine.sources_verdict());
                }
                let locked = matches!(d.engine.state(), PpsState::Locked(_));
                d.chrony = r.chrony;
                d.holdover.on_reading(r, mono_s(clock.now()), locked);
                changed = true;
            }
            _ = leap_tick.tick() => {
                if leap_watch.changed() {
                    let (list, h) = crate::leap_list::reload(&cfg.leap);
                    d.engine.set_leap_list(list, trust_receiver_when_expired);
                    d.health.leap_list = h;
                    changed = true;
                }
            }
            _ = nts_tick.tick() => {
                if let Some(h) = nts_watch.poll() {
                    d.health.nts_cert = h;
                    changed = true;
                }
            }
            _ = tick.tick() => {
                notify.watchdog(Instant::now());
                let now = clock.now();
                epochs.extend(d.decoder.idle(now, gap_ns));
                actions.extend(d.engine.tick(now));
                ticked = true;
                changed |= setup.poll(now, &mut d.decoder, &mut d.health.receiver_setup);
            }
            _ = signalled(&mut int) => break,
            _ = signalled(&mut term) => break,
        }
        for e in &epochs {
            if let Some(offset) = d.health.pps.last_offset_ns {
                d.serial_latency.note_epoch(e, offset);
            }
            d.logs.note_epoch(e);
            d.events.note_epoch(e);
            setup.on_epoch(e);
            d.health.note_epoch(e, d.decoder.assembler().receiver());
            actions.extend(d.engine.on_epoch(e));
        }
        changed |= !epochs.is_empty() || !actions.is_empty();
        for a in actions {
            let sent_edge = if let Action::SendPps(p) = &a { Some((p.edge.seq, p.label)) } else { None };
            carry_out(a, &mut d);
            if let (Some((seq, label)), Some((fseq, fetched))) = (sent_edge, d.edge_fetched) {
                if seq == fseq {
                    let ns = clock.now().monotonic_ns - fetched.monotonic_ns;
                    d.latency.record(label, u64::try_from(ns).unwrap_or(0));
                }
            }
        }
        // Events are looked for after the samples went out (never between an edge and its
        // sample): on every change, so an event is published with the change that made it, and
        // on the tick (20 Hz), for silences.
        if ticked || changed {
            changed |= d.tick_events(clock.now());
        }
        if changed {
            d.health.events = d.events.health();
            d.health.note_framer(d.decoder.framer_stats(), d.decoder.decode_stats());
            d.health.note_engine(d.engine.state(), d.engine.rejects());
            d.health.integrity = crate::health::Integrity::from_gate(d.engine.gate(), clock.now());
            d.health.sinks = d.sinks.health();
            d.health.holdover = d.holdover.snapshot(mono_s(clock.now()));
            if !epochs.is_empty() {
                d.publish_stats(clock.now().realtime_ns);
            }
            health_tx.send_replace(Arc::new(d.health.clone()));
            notify.status(&crate::notify::status_line(&d.health));
        }
    }
    notify.stopping();
    log_latency(&d.latency);
    info!(pps_sent = d.sinks.pps_sent(), coarse_sent = d.sinks.coarse_sent(), "timed stopping");
}

impl Daemon {
    /// The one way into holdover: the reference is no longer trusted (`reason`: "pps-lost" when
    /// the engine leaves `Locked`; an integrity gate passes its own). Idempotent: the bound
    /// counts from the first loss.
    pub fn enter_holdover(&mut self, reason: &'static str) {
        let now = Clock.now();
        self.holdover.enter_holdover(reason, mono_s(now), now.realtime_ns.div_euclid(1_000_000_000));
    }

    /// Hands the states the loop owns to the event detector; true when an event came out.
    fn tick_events(&mut self, now: timed_core::epoch::RxStamp) -> bool {
        let inputs = crate::events::Inputs {
            now,
            pps: self.engine.state(),
            gate: self.engine.gate().state(),
            holdover: self.holdover.phase(mono_s(now)),
            chrony: self.chrony,
            health: &self.health,
        };
        self.events.tick(&inputs)
    }

    fn publish_stats(&mut self, now_ns: i64) {
        let s = &mut self.health.stats;
        s.pps = (self.stats_pps.histogram().count() > 0)
            .then(|| crate::health::SourceStats::from_core(&self.stats_pps, now_ns));
        s.coarse = (self.stats_coarse.histogram().count() > 0)
            .then(|| crate::health::SourceStats::from_core(&self.stats_coarse, now_ns));
        s.serial_latency = self
            .serial_latency
            .summaries(now_ns)
            .map(|(k, w)| (k.to_string(), crate::health::window("10m", &w)))
            .collect();
        s.suggested_coarse = self.serial_latency.suggest_coarse_offset();
        s.edge_latency = crate::health::EdgeLatencySummary::all(&self.latency);
    }
}

/// CLOCK_MONOTONIC_RAW in seconds: the holdover's time scale.
fn mono_s(now: timed_core::epoch::RxStamp) -> f64 {
    now.monotonic_ns as f64 * 1e-9
}

/// Resolves when the signal arrives; never, if it could not be watched.
async fn signalled(s: &mut Option<tokio::signal::unix::Signal>) {
    match s.as_mut() {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// A timer whose first tick is one `period` from now (tokio's `interval` ticks at once).
fn every_after(period: std::time::Duration) -> tokio::time::Interval {
    tokio::time::interval_at(tokio::time::Instant::now() + period, period)
}

fn initial_health(cfg: &Config) -> Health {
    let mut h = Health {
        version: env!("CARGO_PKG_VERSION").into(),
        started_unix_s: crate::clock::realtime_ns().div_euclid(1_000_000_000),
        config_path: cfg.path.display().to_string(),
        ..Health::default()
    };
    h.receiver.device = cfg.receiver.device.display().to_string();
    h.receiver.serial_state = DeviceState::Opening;
    h.receiver.fix = FixKind::None;
    h.pps.source = cfg.pps.source;
    h.pps.simulated = cfg.pps.source == PpsSource::Simulated;
    h.pps.device = match cfg.pps.source {
        PpsSource::Simulated => cfg.pps.sim_socket.display().to_string(),
        _ => cfg.pps.device.display().to_string(),
    };
    h.pps.device_state = DeviceState::Opening;
    h.pps.state = PpsLock::Acquiring;
    h
}

fn note_serial(h: &mut Health, s: &SerialStatus) {
    let (state, error) = match s {
        SerialStatus::Open { .. } => (DeviceState::Open, None),
        SerialStatus::Absent { error, .. } => (DeviceState::Absent, Some(error.clone())),
        SerialStatus::Lost { error, .. } => (DeviceState::Lost, Some(error.clone())),
    };
    h.receiver.serial_state = state;
    h.receiver.serial_error = error;
}

fn note_pps(h: &mut Health, s: &PpsStatus) {
    let (state, error) = match s {
        PpsStatus::Opened { .. } => (DeviceState::Open, None),
        PpsStatus::Absent { error } => (DeviceState::Absent, Some(error.clone())),
        PpsStatus::Lost { error } => (DeviceState::Lost, Some(error.clone())),
    };
    h.pps.device_state = state;
    h.pps.device_error = error;
}

fn engine_config(cfg: &Config) -> engine::Config {
    let ms = |v: f64| (v * 1e6).round() as i64;
    engine::Config {
        qerr_correction: cfg.engine.qerr_correction,
        serial_delay_ns: ms(cfg.receiver.serial_delay_ms),
        epoch_after_edge_ns: (ms(cfg.engine.epoch_window_ms[0]), ms(cfg.engine.epoch_window_ms[1])),
        outlier_ns: ms(cfg.engine.outlier_ms),
        integrity: cfg.integrity.to_core(),
        earliest_unix_s: cfg.engine.earliest_unix_s().unwrap_or(engine::Config::default().earliest_unix_s),
        ..engine::Config::default()
    }
}

fn pps_description(cfg: &Config) -> String {
    match cfg.pps.source {
        PpsSource::Kernel => format!("kernel {}", cfg.pps.device.display()),
        PpsSource::Simulated => format!("SIMULATED edges on {}", cfg.pps.sim_socket.display()),
        PpsSource::Off => "off".into(),
    }
}

fn carry_out(a: Action, d: &mut Daemon) {
    match a {
        Action::SendPps(p) => {
            d.stats_pps.push(p.sample.system_ns, p.sample.offset_ns);
            d.health.pps.samples += 1;
            d.health.pps.last_offset_ns = Some(p.sample.offset_ns);
            d.health.pps.last_qerr_ps = Some(p.qerr_ps);
            d.sinks.send_pps(&p.sample);
        }
        Action::SendCoarse(c) => {
            d.stats_coarse.push(c.sample.system_ns, c.sample.offset_ns);
            d.health.coarse_samples += 1;
            d.sinks.send_coarse(&c.sample);
        }
        Action::Rejected(r) => {
            if d.logs.should_log_reject(r) {
                warn!(reason = r.name(), total = d.engine.rejects().get(r), "sample rejected");
            }
        }
        Action::PpsStateChanged(PpsState::Locked(src)) => {
            info!(label = ?src, "PPS locked: edges labelled and sent");
            if d.engine.gate().is_open() {
                d.holdover.leave_holdover(mono_s(Clock.now()));
            }
        }
        Action::PpsStateChanged(PpsState::Acquiring) => {
            warn!("PPS lost: acquiring (no labelled edge for 3 s)");
            d.enter_holdover("pps-lost");
        }
        Action::PpsStateChanged(PpsState::Held(Hold::LabelJump { by_s })) => {
            d.enter_holdover("pps-lost");
            warn!(
                by_s,
                "PPS held: the receiver labels its pulses {by_s:+} s away from the pulse count; \
                 no sample is sent until its labels agree again (a receiver off by whole seconds, \
                 or a spoofer; a system clock step never looks like this)"
            )
        }
        Action::GateChanged(GateState::Closed { signal }) => {
            warn!(
                signal = signal.name(),
                "integrity gate closed: no sample reaches chrony while the receiver's time cannot \
                 be trusted; chrony coasts"
            );
            d.enter_holdover("integrity-gate");
        }
        Action::GateChanged(GateState::HoldingOff { signal, until_ns }) => {
            let in_s = (until_ns - crate::clock::Clock.now().monotonic_ns) as f64 / 1e9;
            info!(signal = signal.name(), reopens_in_s = in_s, "integrity signals clear: holding off")
        }
        Action::GateChanged(GateState::Open) => {
            info!("integrity gate open: samples reach chrony");
            if matches!(d.engine.state(), PpsState::Locked(_)) {
                d.holdover.leave_holdover(mono_s(Clock.now()));
            }
        }
        Action::PpsStateChanged(PpsState::Held(Hold::PulseMoved)) => {
            warn!("PPS held: the pulses are not where the pulse train puts them (moved or glitching)");
            d.enter_holdover("pps-lost");
        }
    }
}

fn log_serial(s: &SerialStatus) {
    match s {
        SerialStatus::Open { device, baud } => {
            info!(device = %device.display(), baud, "receiver serial open")
        }
        SerialStatus::Absent { device, error } => {
            warn!(device = %device.display(), %error, "receiver serial unavailable; retrying (degraded)")
        }
        SerialStatus::Lost { device, error } => {
            warn!(device = %device.display(), %error, "receiver serial lost; reopening (degraded)")
        }
    }
}

fn log_pps(s: &PpsStatus) {
    match s {
        PpsStatus::Opened { path, caps } => {
            info!(device = %path.display(), caps = format!("{caps:#x}"), "PPS device open")
        }
        PpsStatus::Absent { error } => warn!(%error, "PPS device unavailable; retrying (degraded)"),
        PpsStatus::Lost { error } => warn!(%error, "PPS device lost; reopening (degraded)"),
    }
}

/// The edge-to-datagram figures at exit (the snapshot carries them while timed runs).
fn log_latency(l: &EdgeLatency) {
    for (label, name) in [(LabelSource::TimTp, "tim-tp"), (LabelSource::EpochTiming, "epoch-timing")] {
        if let Some(q) = l.summary(label) {
            info!(
                label = name,
                n = q.n,
                p50_us = q.p50_ns as f64 / 1e3,
                p99_us = q.p99_ns as f64 / 1e3,
                max_us = q.max_ns as f64 / 1e3,
                "PPS edge-to-datagram latency"
            );
        }
    }
}
