//! The real-time loop: for every true UTC second, a PPS edge datagram at the system time the
//! second happened, and a message burst paced at the line's baud rate to every pty.
//!
//! Time base: true UTC = CLOCK_REALTIME + truth offset. All deadlines are absolute system
//! times recomputed from the realtime clock on every wake, so sleeping late never accumulates
//! drift; a late wake only makes that one datagram or chunk late.

use crate::burst::{compose_with, Burst};
use crate::line::{HostBaud, Line};

use crate::pty::Pty;
use crate::rng::{Purpose, Rng};
use crate::scenario::{Active, Scenario};
use crate::sky::{qerr_ps, true_label, Sky};
use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::Receiver as Inbox;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use timed_core::pps::encode_sim_edge;
use timed_core::time::{GPS_EPOCH_UNIX, SECONDS_PER_WEEK};

const NS: i64 = 1_000_000_000;
/// A burst's first byte is waited for by spinning this long rather than sleeping to it: a
/// sleeper wakes 0.1–0.4 ms late at rest and several ms late on a busy host, which would be
/// charged to the daemon's first-byte stamp as receiver jitter nobody asked for.
const SPIN_NS: i64 = 2_000_000;
/// Seconds are planned this far ahead of their edge.
const PLAN_AHEAD_NS: i64 = 1_200_000_000;

/// CLOCK_REALTIME in ns since the Unix epoch.
pub fn realtime_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

/// Stop requests and wake-ups shared with the signal and reader threads.
#[derive(Default)]
pub struct Control {
    pub stop: Arc<AtomicBool>,
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Control {
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn wake(&self) {
        if let Ok(mut w) = self.woken.lock() {
            *w = true;
            self.cv.notify_all();
        }
    }

    /// Sleeps until the realtime clock reaches `deadline_ns`, or a wake-up / stop (a wake-up
    /// that came before the call is not lost).
    fn sleep_until(&self, deadline_ns: i64) {
        let Ok(mut w) = self.woken.lock() else { return };
        while !*w && !self.stopped() {
            let left = deadline_ns - realtime_ns();
            if left <= 0 {
                break;
            }
            match self.cv.wait_timeout(w, Duration::from_nanos(left as u64)) {
                Ok((g, _)) => w = g,
                Err(_) => return,
            }
        }
        *w = false;
    }
}

/// One planned second.
struct Planned {
    index: u64,
    true_s: i64,
    seq: u64,
    active: Active,
    /// True UTC's label of this pulse: POSIX second, and whether it is an inserted 23:59:60.
    true_label: (i64, bool),
    offset_ns: i64,
    edge_ns: i64,
    /// The receiver's time pulse settings let this second's pulse out.
    pulse_on: bool,
    qerr_ps: i32,
    burst_ns: i64,
    edge_done: bool,
    burst_done: bool,
    /// The second's messages, composed when it is planned.
    burst: Burst,
    /// The survey-in as this second's messages report it (a poll answers the same).
    survey: crate::survey::Survey,
    /// When the burst's first byte was due on line 0 (later than `burst_ns` on a busy line).
    start_ns: Option<i64>,
    /// Its truth line is written.
    logged: bool,
}

/// Where edges go.
pub struct PpsOut {
    pub path: PathBuf,
    pub socket: UnixDatagram,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub seconds: u64,
    pub edges_sent: u64,
    pub edges_failed: u64,
    pub acks: u64,
    pub bytes_written: u64,
    pub bytes_dropped: u64,
    /// Writes to the receiver model's Flash layer (CFG-CFG save/clear, VALSET/VALDEL Flash).
    pub flash_writes: u64,
}

pub struct Scheduler<'a> {
    pub scenario: &'a Scenario,
    pub ptys: &'a [Pty],
    pub pps: Option<PpsOut>,
    pub truth: Option<Box<dyn Write + 'a>>,
    /// UBX frames the host wrote: (pty, class, id, payload).
    pub input: Inbox<crate::pty::HostFrame>,
    pub control: Arc<Control>,
    /// The host UART's speed (`--host-baud`, the pty's termios, or matched).
    pub host: HostBaud,
    /// The receiver model the output follows and the input configures.
    pub receiver: crate::receiver::Receiver,
    /// Its UART speed, shared with the readers.
    pub rx_baud: Arc<AtomicU32>,
}

impl Scheduler<'_> {
    /// Runs until the scenario's second count is done or a stop is requested.
    pub fn run(mut self) -> Result<Stats, String> {
        let s = self.scenario;
        let sky = Sky::new(s);
        let baud = self.receiver.config().baud;
        self.rx_baud.store(baud, Ordering::Relaxed);
        let mut lines: Vec<Line> = self.ptys.iter().map(|_| Line::new(baud)).collect();
        let mut stats = Stats::default();
        let mut planned: VecDeque<Planned> = VecDeque::new();
        let limit = if s.seconds == 0 { u64::MAX } else { s.seconds };
        // First true second: far enough ahead that "ready" is out before its edge.
        let mut first_s = (realtime_ns() + s.offset_total_ns(0.0) + 300_000_000).div_euclid(NS) + 1;
        let (mut next_index, mut fill_seq) = (0u64, 0u64);
        let mut current = Active::default();
        let mut pps_failing = false;
        while !self.control.stopped() {
            let now = realtime_ns();
            while next_index < limit {
                let mut p = plan(s, first_s, next_index);
                if now - p.edge_ns > 2 * NS {
                    // The system clock jumped forward (or we were stopped): resume at the next
                    // second instead of firing every missed second at once.
                    let behind = (now - p.edge_ns).div_euclid(NS);
                    eprintln!("timed-sim: {behind} s behind the clock (clock step or stall), skipping ahead");
                    first_s += behind;
                    continue;
                }
                if p.edge_ns - now > PLAN_AHEAD_NS {
                    break;
                }
                // Composed ahead so that the second's deadline costs only the write, from the
                // receiver's configuration and survey as they stand then.
                let gps_s = p.true_s - GPS_EPOCH_UNIX + i64::from(s.leap_seconds);
                let itow_ms = (gps_s.rem_euclid(SECONDS_PER_WEEK) * 1000) as u32;
                self.receiver.tick(p.index, p.active.fix(), itow_ms, &s.position);
                let cfg = self.receiver.config();
                match cfg.pulse(p.active.fix(), p.index) {
                    Some(delay) => p.edge_ns += delay,
                    None => p.pulse_on = false,
                }
                let out = self.receiver.output();
                p.burst = compose_with(s, &sky, p.true_s, p.index, &p.active, &mut fill_seq, &out);
                p.survey = out.survey;
                planned.push_back(p);
                next_index += 1;
            }
            for p in planned.iter_mut() {
                if !p.edge_done && p.edge_ns <= now {
                    p.edge_done = true;
                    // Seconds are composed up to PLAN_AHEAD_NS early, the survey advanced with
                    // them: a poll answers what this second's own NAV-SVIN/TIM-SVIN says, not
                    // a second that is still to come, as a receiver's answer and its periodic
                    // output agree.
                    self.receiver.reported_survey = p.survey;
                    if p.active.power_off && !current.power_off {
                        // The power goes: RAM (and BBR without a battery) is lost; it comes
                        // back with what was saved, at the saved speed.
                        self.receiver.power_cycle();
                        let b = self.receiver.config().baud;
                        self.rx_baud.store(b, Ordering::Relaxed);
                        lines.iter_mut().for_each(|l| l.set_baud(b));
                    }
                    current = p.active;
                    if p.active.pulse() && p.pulse_on {
                        let copies = 1 + u32::from(p.active.duplicate_pulse);
                        for _ in 0..copies {
                            self.send_edge(p, &mut stats, &mut pps_failing);
                        }
                    }
                }
                if !p.burst_done && p.burst_ns <= now {
                    p.burst_done = true;
                    p.start_ns = lines.first().map(|l| l.busy_until(p.burst_ns).max(p.burst_ns));
                    // Line 0 reports when the burst's first byte went out (the others carry the
                    // same bytes a few microseconds later).
                    for (i, l) in lines.iter_mut().enumerate() {
                        l.enqueue(&p.burst.frames, p.burst_ns, (i == 0).then_some(p.index));
                    }
                    if p.burst.frames.iter().all(Vec::is_empty) || lines.is_empty() {
                        // No serial bytes this second: nothing to wait for.
                        self.log_truth(p, None, false)?;
                    }
                    stats.seconds += 1;
                }
            }
            while let Ok((i, class, id, payload)) = self.input.try_recv() {
                if current.pulse_only || current.power_off || i >= lines.len() {
                    continue;
                }
                let index = planned.iter().rev().find(|p| p.edge_done).map_or(0, |p| p.index);
                let reply = self.receiver.handle(class, id, &payload, index);
                stats.acks += reply.frames.len() as u64;
                let Some(l) = lines.get_mut(i) else { continue };
                let end = l.inject(reply.frames.concat(), now);
                if let Some(b) = reply.baud_after {
                    // Every line changes speed: they are one UART.
                    self.rx_baud.store(b, Ordering::Relaxed);
                    for (j, l) in lines.iter_mut().enumerate() {
                        if j == i {
                            l.switch_baud_at(end, b);
                        } else {
                            l.set_baud(b);
                        }
                    }
                }
            }
            for (l, pty) in lines.iter_mut().zip(self.ptys) {
                l.set_host(self.host.speed(|| pty.host_baud()));
                l.pump(now, pty)?;
            }
            // The truth line of a second goes out once its burst's first byte has.
            for (tag, t) in lines.first_mut().map(Line::take_started).unwrap_or_default() {
                if let Some(p) = planned.iter_mut().find(|p| p.index == tag && !p.logged) {
                    self.log_truth(p, Some(t), false)?;
                }
            }
            while planned.front().is_some_and(|p| p.edge_done && p.burst_done && p.logged) {
                planned.pop_front();
            }
            if next_index >= limit && planned.is_empty() && lines.iter().all(Line::idle) {
                break;
            }
            let (mut deadline, mut precise) = (now + NS, i64::MAX);
            for p in &planned {
                if !p.edge_done {
                    deadline = deadline.min(p.edge_ns);
                }
                if !p.burst_done {
                    precise = precise.min(p.burst_ns);
                }
            }
            for l in lines.iter().filter(|l| !l.idle()) {
                deadline = deadline.min(l.next_wake(now));
                precise = precise.min(l.first_byte_due().unwrap_or(i64::MAX));
            }
            self.control.sleep_until(deadline.min(precise.saturating_sub(SPIN_NS)));
            // Inside a first byte's spin window: spin to the next deadline instead of sleeping.
            if realtime_ns() >= precise.saturating_sub(SPIN_NS) {
                let until = deadline.min(precise);
                while realtime_ns() < until && !self.control.stopped() {
                    std::hint::spin_loop();
                }
            }
        }
        // Every edge sent gets its truth line, even when stopped before its burst.
        for p in planned.iter_mut().filter(|p| p.edge_done && !p.logged) {
            if !p.burst_done {
                p.burst.frames.clear();
            }
            self.log_truth(p, None, true)?;
        }
        stats.bytes_written = lines.iter().map(|l| l.written).sum();
        stats.bytes_dropped = lines.iter().map(|l| l.dropped).sum();
        stats.flash_writes = self.receiver.flash_writes;
        Ok(stats)
    }

    fn send_edge(&self, p: &Planned, stats: &mut Stats, failing: &mut bool) {
        let Some(out) = &self.pps else { return };
        match out.socket.send_to(&encode_sim_edge(p.seq, p.edge_ns), &out.path) {
            Ok(_) => {
                stats.edges_sent += 1;
                if std::mem::take(failing) {
                    eprintln!("timed-sim: pps socket {}: delivering again", out.path.display());
                }
            }
            Err(e) => {
                // Nobody listening is normal (the daemon is not up yet): say so once.
                stats.edges_failed += 1;
                if !*failing {
                    eprintln!(
                        "timed-sim: pps socket {}: {e} (edges are counted, not queued)",
                        out.path.display()
                    );
                    *failing = true;
                }
            }
        }
    }

    /// One second's truth line; `written` is when its burst's first byte actually went out.
    fn log_truth(&mut self, p: &mut Planned, written: Option<i64>, stopped: bool) -> Result<(), String> {
        p.logged = true;
        let Some(w) = self.truth.as_mut() else { return Ok(()) };
        let burst = &p.burst;
        let serial = !burst.frames.is_empty();
        let line = serde_json::json!({
            "second": p.true_s,
            "index": p.index,
            "seq": p.seq,
            "edge_system_ns": p.edge_ns,
            "dropped": !(p.active.pulse() && p.pulse_on),
            "duplicated": p.active.duplicate_pulse && p.active.pulse(),
            "edge_shift_ns": p.active.time_shift_ns,
            "true_label": p.true_label.0,
            "leap_second": p.true_label.1,
            "burst_start_system_ns": if serial { p.start_ns } else { None },
            "burst_written_system_ns": if serial { written } else { None },
            "burst_bytes": burst.len(),
            "label": burst.label_s,
            "qerr_ps": p.qerr_ps,
            "truth_offset_ns": p.offset_ns,
            "faults": p.active.names(),
            "stopped": stopped,
        });
        writeln!(w, "{line}").and_then(|()| w.flush()).map_err(|e| format!("writing truth log: {e}"))
    }
}

/// The edge and burst times of the `index`-th second.
fn plan(s: &Scenario, first_s: i64, index: u64) -> Planned {
    let true_s = first_s + index as i64;
    let offset_ns = s.offset_total_ns(index as f64);
    let active = s.active(index);
    // The system time at which true second `true_s` happened.
    let ideal = true_s * NS - offset_ns;
    // A time_shift moves the receiver's whole time base: its pulse and its bursts alike.
    let shifted = ideal + active.time_shift_ns;
    let qerr = qerr_ps(s, true_s);
    let mut jitter = Rng::stream(s.seed, Purpose::EdgeJitter, index as i64);
    // A real pulse is off its ideal time by the quantisation error TIM-TP announced for it
    // (the daemon adds qErr to the edge to correct it), plus the stamping jitter.
    let edge_ns = shifted - i64::from(qerr / 1000) + jitter.gaussian(s.edge_jitter_ns).round() as i64;
    let mut mj = Rng::stream(s.seed, Purpose::MessageJitter, index as i64);
    let delay_ms = s.message_delay_ms + mj.symmetric(s.message_jitter_ms);
    Planned {
        index,
        true_s,
        // One sequence number per generated pulse, dropped ones included (the daemon sees
        // the gap), starting at 1 like a kernel PPS source.
        seq: index + 1,
        active,
        true_label: true_label(s, first_s, true_s),
        offset_ns,
        edge_ns,
        pulse_on: true,
        qerr_ps: qerr,
        burst_ns: shifted + (delay_ms * 1e6).round() as i64,
        edge_done: false,
        burst_done: false,
        burst: Burst { frames: Vec::new(), label_s: true_s },
        survey: crate::survey::Survey::default(),
        start_ns: None,
        logged: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_places_edges_at_true_seconds_in_system_time() {
        let s = Scenario { edge_jitter_ns: 0.0, message_jitter_ms: 0.0, ..Scenario::default() };
        let p = plan(&s, 1_750_000_000, 3);
        assert_eq!((p.true_s, p.seq), (1_750_000_003, 4));
        let q = i64::from(qerr_ps(&s, p.true_s) / 1000);
        assert_eq!(p.edge_ns, 1_750_000_003 * NS - 250_000 - q);
        assert_eq!(p.burst_ns, 1_750_000_003 * NS - 250_000 + 120_000_000);
    }

    #[test]
    fn time_shift_moves_pulse_and_burst_but_not_labels() {
        let base = Scenario { edge_jitter_ns: 0.0, message_jitter_ms: 0.0, ..Scenario::default() };
        let s = Scenario {
            faults: Scenario::from_toml("[[fault]]\nkind = \"time_shift\"\nshift_ns = 2000000\nfrom_s = 3\n")
                .map(|x| x.faults)
                .unwrap_or_default(),
            ..base.clone()
        };
        for i in [2, 3, 4] {
            let (p, q) = (plan(&s, 1_750_000_000, i), plan(&base, 1_750_000_000, i));
            let shift = if i >= 3 { 2_000_000 } else { 0 };
            assert_eq!((p.edge_ns - q.edge_ns, p.burst_ns - q.burst_ns), (shift, shift), "second {i}");
            assert_eq!((p.true_s, p.seq, p.true_label), (q.true_s, q.seq, (q.true_s, false)));
        }
        let sky = Sky::new(&s);
        let shifted = crate::burst::compose(&s, &sky, 1_750_000_003, 3, &s.active(3), &mut 0);
        let plain = crate::burst::compose(&base, &sky, 1_750_000_003, 3, &base.active(3), &mut 0);
        assert_eq!((shifted.frames, shifted.label_s), (plain.frames, plain.label_s), "labels unchanged");
    }

    #[test]
    fn start_offsets_whole_seconds_exactly() {
        let mut s = Scenario {
            edge_jitter_ns: 0.0,
            start: Some("2016-12-31T23:55:00Z".into()),
            ..Scenario::default()
        };
        s.launch(1_750_000_000_123_456_789).unwrap();
        let first = (1_750_000_000_123_456_789 + s.offset_total_ns(0.0)).div_euclid(NS) + 1;
        assert_eq!(first, 1_483_228_501);
        let p = plan(&s, first, 0);
        let q = i64::from(qerr_ps(&s, first) / 1000);
        // Its edge is the system time at which that second of 2016 happens: whole seconds
        // from launch, less the 250 µs truth offset.
        assert_eq!(p.edge_ns + q, 1_750_000_001_000_000_000 - 250_000);
    }
}
