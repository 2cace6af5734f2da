//! `[receiver] configure`: drives timed-core's receiver set-up session (`timed_core::receiver`)
//! over timed's own port, at start and whenever the receiver comes back: the port reopened
//! (USB unplugged), the line back after a silence (a power cycle), or bytes without a single
//! frame for a while (the receiver restarted at its factory speed). `check` reads the set-up
//! back, `apply` sends what differs in RAM and reads it back; both report into the snapshot.
//!
//! The sample path is never held up: the session only ever sees copies of the bytes the
//! stream decoder gets too, its writes and speed changes go to the serial writer thread, and
//! epochs keep flowing while it talks (its polls and ACKs are frames the epoch assembly
//! ignores). Only while it looks for the receiver at other speeds, or switches speed, does the
//! line carry nothing timed can use; the snapshot says `running` then.
//!
//! Owns: when a session runs, what it is asked, and its report in the snapshot. Must not
//! depend on: the plan or the protocol (the core's), the event loop's other state.

use crate::config::{Config, Configure, Profile, TimeModeWanted};
use crate::health::{ItemOutcome, ReceiverSetup, SetupItem, SetupState};
use crate::serial::{Port, PortCommand, SerialStatus};
use timed_core::epoch::{Epoch, RxStamp};
use timed_core::receiver::SurveyResult;
use timed_core::receiver::{Action, Op, Outcome, Report, Session, Settings};
use timed_core::stream::StreamDecoder;
use tracing::{info, warn};

/// Silence after which bytes mean the receiver started again (it sends every second).
const RESTART_SILENCE_NS: i64 = 3_000_000_000;
/// Bytes without one valid frame this long: the receiver talks at another speed.
const GARBLED_NS: i64 = 5_000_000_000;
/// After a run without a result, the next automatic one waits this long, doubling up to
/// [`RETRY_MAX_NS`] (a receiver that is not a u-blox is not asked every few seconds).
const RETRY_NS: i64 = 30_000_000_000;
const RETRY_MAX_NS: i64 = 600_000_000_000;

/// Why a run starts (logged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    Opened,
    Restarted,
    Garbled,
}

impl Why {
    fn name(self) -> &'static str {
        match self {
            Why::Opened => "port opened",
            Why::Restarted => "receiver back after a silence",
            Why::Garbled => "bytes but no frame: receiver at another speed",
        }
    }
}

/// The driver the event loop holds.
pub struct Driver {
    configure: Configure,
    settings: Settings,
    /// Survey-in is what the plan wants: a finished survey's position is kept as the fixed one.
    keeps_survey: bool,
    port: Option<Port>,
    session: Option<(Session, Op)>,
    /// A run is due at this time (monotonic ns).
    due: Option<(i64, Why)>,
    open: bool,
    last_byte_ns: Option<i64>,
    frames: u64,
    frames_at_ns: i64,
    /// Backoff after a run without a result.
    retry_ns: i64,
    not_before_ns: i64,
    /// The speed before the run, restored when it finds nothing.
    baud_before: u32,
    surveyed: Option<SurveyResult>,
    /// A run ended with the set-up as planned: an apply that changes something after that
    /// restores a set-up the receiver lost.
    was_configured: bool,
    logged: Option<(SetupState, usize)>,
}

impl Driver {
    pub fn new(cfg: &Config, port: Option<Port>) -> Driver {
        let r = &cfg.receiver;
        let keeps_survey = r.setup.profile == Profile::Timing
            && matches!(r.setup.time_mode, TimeModeWanted::Auto | TimeModeWanted::SurveyIn);
        Driver {
            configure: r.configure,
            settings: r.setup.to_core(r.baud),
            keeps_survey,
            baud_before: r.baud,
            port,
            session: None,
            due: None,
            open: false,
            last_byte_ns: None,
            frames: 0,
            frames_at_ns: 0,
            retry_ns: RETRY_NS,
            not_before_ns: 0,
            surveyed: None,
            was_configured: false,
            logged: None,
        }
    }

    /// The snapshot part before the first run.
    pub fn initial(cfg: &Config) -> ReceiverSetup {
        let r = &cfg.receiver;
        let state = if r.configure == Configure::Off { SetupState::Off } else { SetupState::Pending };
        ReceiverSetup {
            configure: r.configure,
            state,
            fix_command: crate::config::Setup::apply_command(&cfg.path),
            ..ReceiverSetup::default()
        }
    }

    fn active(&self) -> bool {
        self.configure != Configure::Off && self.port.is_some()
    }

    pub fn on_status(&mut self, s: &SerialStatus, now: RxStamp, h: &mut ReceiverSetup) {
        if !self.active() {
            return;
        }
        self.open = matches!(s, SerialStatus::Open { .. });
        self.session = None;
        if self.open {
            self.due = Some((now.monotonic_ns, Why::Opened));
            self.frames_at_ns = now.monotonic_ns;
        } else {
            self.due = None;
        }
        h.state = SetupState::Pending;
    }

    /// Bytes read (the same the stream decoder gets).
    pub fn on_bytes(&mut self, bytes: &[u8], now: RxStamp) {
        if !self.active() {
            return;
        }
        let t = now.monotonic_ns;
        let quiet = self.last_byte_ns.is_some_and(|l| t - l >= RESTART_SILENCE_NS);
        self.last_byte_ns = Some(t);
        match &mut self.session {
            Some((s, _)) => s.feed(bytes, ms(now)),
            None if quiet && self.open && self.due.is_none() => self.due = Some((t, Why::Restarted)),
            None => {}
        }
    }

    /// A finished survey seen in the stream: its position is the fixed one from then on.
    pub fn on_epoch(&mut self, e: &Epoch) {
        if let Some(s) = e.survey.as_ref().filter(|s| s.valid && !s.active) {
            self.surveyed = Some(SurveyResult::from_svin(s));
        }
    }

    /// Starts what is due and moves the session on. `true` when the snapshot part changed.
    pub fn poll(&mut self, now: RxStamp, decoder: &mut StreamDecoder, h: &mut ReceiverSetup) -> bool {
        if !self.active() {
            return false;
        }
        let t = now.monotonic_ns;
        let f = decoder.framer_stats();
        let frames = f.nmea + f.ubx;
        if frames != self.frames {
            (self.frames, self.frames_at_ns) = (frames, t);
        }
        let talking = self.last_byte_ns.is_some_and(|l| t - l < 1_000_000_000);
        if self.session.is_none()
            && self.due.is_none()
            && self.open
            && talking
            && t - self.frames_at_ns >= GARBLED_NS
        {
            self.due = Some((t, Why::Garbled));
        }
        let mut changed = false;
        if let Some((at, why)) = self.due {
            if self.session.is_none() && t >= at.max(self.not_before_ns) {
                self.due = None;
                changed |= self.start(why, now, h);
            }
        }
        loop {
            let Some((session, _)) = self.session.as_mut() else { return changed };
            match session.poll(ms(now)) {
                Action::Send(bytes) => self.command(PortCommand::Send(bytes)),
                Action::SetBaud(b) => {
                    self.command(PortCommand::SetBaud(b));
                    decoder.set_byte_ns(crate::serial::byte_time_ns(b));
                }
                Action::Wait { .. } => return changed,
                Action::Done(report) => {
                    self.finish(&report, now, decoder, h);
                    return true;
                }
            }
        }
    }

    fn command(&self, c: PortCommand) {
        if let Some(p) = &self.port {
            p.command(c);
        }
    }

    fn start(&mut self, why: Why, now: RxStamp, h: &mut ReceiverSetup) -> bool {
        let op = if self.configure == Configure::Apply { Op::Apply } else { Op::Verify };
        let mut settings = self.settings.clone();
        if let Some(s) = self.surveyed.filter(|_| self.keeps_survey && op == Op::Apply) {
            // RAM only: a receiver that lost its RAM would survey again; give it the position
            // its finished survey found instead (issue 12: no new survey after a power cycle).
            settings = settings.with_surveyed(s);
        }
        let baud = self.port.as_ref().map_or(self.settings.baud, Port::baud);
        self.baud_before = baud;
        tracing::debug!(why = why.name(), baud, "receiver set-up: {} starts", op_name(op));
        self.session = Some((Session::new(op, settings, Some(baud), ms(now)), op));
        h.state = SetupState::Running;
        true
    }

    fn finish(&mut self, r: &Report, now: RxStamp, decoder: &mut StreamDecoder, h: &mut ReceiverSetup) {
        let Some((_, op)) = self.session.take() else { return };
        if let Some(s) = r.survey.filter(|s| s.done) {
            self.surveyed = Some(s);
        }
        let (state, items) = judge(r);
        let applied: Vec<String> =
            r.items.iter().filter(|i| i.outcome == Outcome::Applied).map(|i| i.item.id.name()).collect();
        h.runs += 1;
        if self.was_configured && op == Op::Apply && !applied.is_empty() {
            h.restored += 1;
        }
        self.was_configured |= state == SetupState::Configured;
        h.state = state;
        h.error = match &r.failure {
            Some(f) => Some(f.message()),
            None if state == SetupState::Failed => {
                Some("the receiver answered, but no item could be read".into())
            }
            None => None,
        };
        h.found_baud = r.detected.as_ref().map(|d| d.baud);
        h.last_run_unix_s = Some(now.realtime_ns.div_euclid(1_000_000_000));
        self.log(op, h, &items, &applied);
        h.items = items;
        h.applied = applied;
        if state == SetupState::Failed {
            // Found nowhere: back to where the stream was, and ask again later, not at once.
            self.command(PortCommand::SetBaud(self.baud_before));
            decoder.set_byte_ns(crate::serial::byte_time_ns(self.baud_before));
            self.not_before_ns = now.monotonic_ns + self.retry_ns;
            self.retry_ns = (self.retry_ns * 2).min(RETRY_MAX_NS);
        } else {
            self.retry_ns = RETRY_NS;
        }
        // The line may have been quiet or garbled while the session switched speeds.
        self.frames_at_ns = now.monotonic_ns;
        self.last_byte_ns = None;
    }

    /// Logs a result once per change of state and item count (an apply that changed
    /// something always: the log says that timed wrote to the receiver).
    fn log(&mut self, op: Op, h: &ReceiverSetup, items: &[SetupItem], applied: &[String]) {
        let key = (h.state, items.len());
        let news = self.logged != Some(key) || !applied.is_empty();
        self.logged = Some(key);
        if !news {
            return;
        }
        let list = items.iter().map(|i| i.item.as_str()).collect::<Vec<_>>().join(", ");
        match h.state {
            SetupState::Configured if !applied.is_empty() && h.restored > 0 => info!(
                items = applied.len(),
                "receiver set-up restored in RAM (the receiver had lost it: a power cycle?): {}",
                applied.join(", ")
            ),
            SetupState::Configured if !applied.is_empty() => {
                info!(items = applied.len(), "receiver set-up applied in RAM: {}", applied.join(", "))
            }
            SetupState::Configured => {
                info!(op = op_name(op), "receiver set-up as planned ([receiver.setup])")
            }
            SetupState::NotConfigured => warn!(
                items = items.len(),
                "receiver set-up differs from [receiver.setup] (degraded): {list}; fix: {}", h.fix_command
            ),
            SetupState::Incomplete => warn!(items = items.len(), "receiver did not take: {list} (degraded)"),
            SetupState::Failed => warn!(
                "receiver set-up could not be {}: {} (degraded)",
                if op == Op::Apply { "applied" } else { "checked" },
                h.error.as_deref().unwrap_or("?")
            ),
            SetupState::Off | SetupState::Pending | SetupState::Running => {}
        }
    }
}

fn op_name(op: Op) -> &'static str {
    if op == Op::Apply {
        "apply"
    } else {
        "check"
    }
}

fn ms(now: RxStamp) -> u64 {
    u64::try_from(now.monotonic_ns / 1_000_000).unwrap_or(0)
}

/// A session's report as the snapshot states it: the state and the items not as planned.
pub fn judge(r: &Report) -> (SetupState, Vec<SetupItem>) {
    if r.failure.is_some() || r.detected.is_none() {
        return (SetupState::Failed, Vec::new());
    }
    let items: Vec<SetupItem> = r
        .items
        .iter()
        .filter(|i| !i.equal)
        .map(|i| SetupItem {
            item: i.item.id.name(),
            current: i.read_back.or(i.item.current).map(|v| v.to_string()),
            wanted: i.item.wanted.to_string(),
            outcome: match i.outcome {
                Outcome::Unchanged => ItemOutcome::Unchanged,
                Outcome::Applied => ItemOutcome::Applied,
                Outcome::Nak => ItemOutcome::Nak,
                Outcome::NoAck => ItemOutcome::NoAck,
                Outcome::NotSent => ItemOutcome::NotSent,
            },
        })
        .collect();
    let state = if items.is_empty() && !r.items.is_empty() {
        SetupState::Configured
    } else if r.items.is_empty() {
        // Detected, but nothing to read: nothing can be said to match.
        SetupState::Failed
    } else if r.op == Op::Apply {
        SetupState::Incomplete
    } else {
        SetupState::NotConfigured
    };
    (state, items)
}

#[cfg(test)]
mod tests;
