//! The event loop: serial bytes and PPS edges in, through `timed-core` (stream decoder and
//! engine), samples out to chrony. Everything I/O-shaped lives in tasks around this loop; the
//! loop itself only moves events into the core and carries out the actions it returns.

use crate::chrony::{shm::ShmSink, sock::SockSink, SinkState};
use crate::clock::Clock;
use crate::config::{Config, PpsSource};
use crate::serial::{self, SerialEvent, SerialStatus};
use crate::{pps_input, status::Status};
use std::time::Duration;
use timed_core::engine::{self, Action, Engine, PpsState};
use timed_core::epoch::{Assembler, Epoch};
use timed_core::stream::StreamDecoder;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// The PPS input events the loop receives (kernel thread or simulated socket).
pub use crate::pps::reader::{PpsEvent, PpsStatus};

/// Runs the daemon until SIGINT/SIGTERM. Never returns early on device or chrony trouble.
pub async fn run(cfg: Config) {
    let clock = Clock::default();
    let (serial_tx, mut serial_rx) = mpsc::channel(256);
    let (pps_tx, mut pps_rx) = mpsc::channel(64);
    let pps_guard = pps_input::start(&cfg.pps, pps_tx);
    if let Err(e) =
        serial::spawn(cfg.receiver.device.clone(), cfg.receiver.baud, clock, serial_tx, pps_guard.stop_flag())
    {
        tracing::error!("cannot start the serial reader thread: {e}");
    }

    let mut decoder = StreamDecoder::new(Assembler::new());
    decoder.set_byte_ns(serial::byte_time_ns(cfg.receiver.baud));
    let mut engine = Engine::new(engine_config(&cfg));
    let mut sinks = Sinks::new(&cfg);
    let mut status = Status::new(cfg.pps.source == PpsSource::Simulated);
    let mut latency = crate::latency::Latency::default();
    let mut edge_fetched: Option<(u64, std::time::Instant)> = None;
    let gap_ns = i64::from(cfg.receiver.epoch_gap_ms) * 1_000_000;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => Some(s),
        Err(e) => {
            warn!("cannot watch SIGTERM: {e}");
            None
        }
    };
    info!(
        receiver = %cfg.receiver.device.display(),
        pps = %pps_description(&cfg),
        "timed started"
    );
    loop {
        let mut epochs: Vec<Epoch> = Vec::new();
        let mut actions: Vec<Action> = Vec::new();
        tokio::select! {
            ev = serial_rx.recv() => match ev {
                Some(SerialEvent::Bytes(bytes, rx)) => {
                    decoder.feed(&bytes, Some(rx), |e| epochs.push(e));
                }
                Some(SerialEvent::Status(s)) => log_serial(&s),
                None => break,
            },
            ev = pps_rx.recv() => match ev {
                Some((PpsEvent::Edge(edge), fetched)) => {
                    status.note_edge(&edge);
                    edge_fetched = Some((edge.seq, fetched));
                    actions.extend(engine.on_edge(edge));
                }
                Some((PpsEvent::Status(s), _)) => log_pps(&s),
                None => {}
            },
            _ = tick.tick() => {
                let now = clock.now();
                epochs.extend(decoder.idle(now, gap_ns));
                actions.extend(engine.tick(now.realtime_ns));
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => break,
        }
        for e in &epochs {
            status.note_epoch(e);
            actions.extend(engine.on_epoch(e));
        }
        for a in actions {
            let sent_edge = if let Action::SendPps(p) = &a { Some((p.edge.seq, p.label)) } else { None };
            carry_out(a, &mut sinks, &mut status, &engine);
            if let (Some((seq, label)), Some((fseq, fetched))) = (sent_edge, edge_fetched) {
                if seq == fseq {
                    latency.record(label, fetched.elapsed());
                }
            }
        }
    }
    latency.log();
    info!(pps_sent = sinks.pps_sent(), coarse_sent = sinks.coarse_sent(), "timed stopping");
}

fn engine_config(cfg: &Config) -> engine::Config {
    let ms = |v: f64| (v * 1e6).round() as i64;
    engine::Config {
        qerr_correction: cfg.engine.qerr_correction,
        serial_delay_ns: ms(cfg.receiver.serial_delay_ms),
        epoch_after_edge_ns: (ms(cfg.engine.epoch_window_ms[0]), ms(cfg.engine.epoch_window_ms[1])),
        outlier_ns: ms(cfg.engine.outlier_ms),
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

fn carry_out(a: Action, sinks: &mut Sinks, status: &mut Status, engine: &Engine) {
    match a {
        Action::SendPps(p) => {
            status.note_pps(&p);
            sinks.send_pps(&p.sample);
        }
        Action::SendCoarse(c) => sinks.send_coarse(&c.sample),
        Action::Rejected(r) => {
            if status.should_log_reject(r) {
                warn!(reason = r.name(), total = engine.rejects().get(r), "sample rejected");
            }
        }
        Action::PpsStateChanged(PpsState::Locked(src)) => {
            info!(label = ?src, "PPS locked: edges labelled and sent")
        }
        Action::PpsStateChanged(PpsState::Acquiring) => {
            warn!("PPS lost: acquiring (no labelled edge for 3 s)")
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

/// The configured sinks.
struct Sinks {
    sock_pps: Option<SockSink>,
    sock_coarse: Option<SockSink>,
    shm_pps: Option<ShmSink>,
    shm_coarse: Option<ShmSink>,
}

impl Sinks {
    fn new(cfg: &Config) -> Sinks {
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

    fn send_pps(&mut self, s: &timed_core::chrony::Sample) {
        if let Some(k) = self.sock_pps.as_mut() {
            let path = k.path().display().to_string();
            log_sink("SOCK PPS", &path, k.send(s));
        }
        if let Some(k) = self.shm_pps.as_mut() {
            let unit = format!("NTP{}", k.unit());
            log_sink("SHM PPS", &unit, k.send(s));
        }
    }

    fn send_coarse(&mut self, s: &timed_core::chrony::Sample) {
        if let Some(k) = self.sock_coarse.as_mut() {
            let path = k.path().display().to_string();
            log_sink("SOCK coarse", &path, k.send(s));
        }
        if let Some(k) = self.shm_coarse.as_mut() {
            let unit = format!("NTP{}", k.unit());
            log_sink("SHM coarse", &unit, k.send(s));
        }
    }

    fn pps_sent(&self) -> u64 {
        self.sock_pps.as_ref().map_or(0, |k| k.stats.sent) + self.shm_pps.as_ref().map_or(0, |k| k.stats.sent)
    }

    fn coarse_sent(&self) -> u64 {
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
