//! The transmit side of one simulated serial line: whole frames queued, paced at `baud` / 10
//! bytes per second from the moment the line became busy, written to a pty, and the system time
//! each burst's first byte actually went out (the truth a daemon's first-byte stamp is judged
//! against; a host that runs the simulator late moves it, and the truth log says so).

use crate::pty::Pty;
use std::collections::VecDeque;

/// While bytes are due, the line is serviced this often (a UART FIFO-sized trickle).
pub const CHUNK_NS: i64 = 1_000_000;

pub struct Line {
    queue: VecDeque<Vec<u8>>,
    sent_in_front: usize,
    origin_ns: i64,
    sent_since_origin: u64,
    pub ns_per_byte: f64,
    pub dropped: u64,
    pub written: u64,
    /// Queued bursts not yet started: (offset of their first byte since the origin, tag).
    marks: VecDeque<(u64, u64)>,
    /// Bursts whose first byte went out: (tag, system time just before the write that carried
    /// it: a reader cannot have it earlier, whereas a stamp after the write can be taken late by
    /// a preemption the reader does not see).
    started: Vec<(u64, i64)>,
    /// `--host-baud`: a host UART at another speed reads the line (SIMULATED, `uart`).
    pub misread: Option<crate::uart::MisreadUart>,
    /// The receiver's speed now, and the host speed `misread` was made for.
    pub baud: u32,
    host: Option<u32>,
    /// Switch to this speed once the byte at this offset (since the origin) is out: a speed
    /// change takes effect after the acknowledgement that announced it.
    pending_baud: Option<(u64, u32)>,
}

/// The speed of the host UART reading the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostBaud {
    /// Whatever the receiver sends at: no mismatch is possible (no `--model`).
    Matched,
    /// `--host-baud N`: a host UART fixed at N (SIMULATED mismatch).
    Fixed(u32),
    /// The speed the program that opened the pty set on it (`--model`): a host at the wrong
    /// speed reads what a real UART would.
    Tty,
}

impl HostBaud {
    /// The host's speed, reading the pty's termios through `tty` when that is the source.
    pub fn speed(self, tty: impl FnOnce() -> Option<u32>) -> Option<u32> {
        match self {
            HostBaud::Matched => None,
            HostBaud::Fixed(b) => Some(b),
            HostBaud::Tty => tty(),
        }
    }
}

impl Line {
    pub fn new(baud: u32) -> Line {
        Line {
            queue: VecDeque::new(),
            sent_in_front: 0,
            origin_ns: 0,
            sent_since_origin: 0,
            ns_per_byte: 10.0 * 1e9 / f64::from(baud),
            dropped: 0,
            written: 0,
            marks: VecDeque::new(),
            started: Vec::new(),
            misread: None,
            baud,
            host: None,
            pending_baud: None,
        }
    }

    /// The host reads at `host` (None: at the receiver's speed) from now on.
    pub fn set_host(&mut self, host: Option<u32>) {
        let host = host.filter(|h| *h != self.baud);
        if host != self.host {
            self.host = host;
            self.misread = host.and_then(|h| crate::uart::MisreadUart::new(self.baud, h).ok());
        }
    }

    /// Sends at `baud` from the byte now due on (the line's past stays paced at the old speed).
    pub fn set_baud(&mut self, baud: u32) {
        let off = self.sent_since_origin;
        self.origin_ns += (off as f64 * self.ns_per_byte) as i64;
        self.sent_since_origin = 0;
        for m in self.marks.iter_mut() {
            m.0 -= off.min(m.0);
        }
        self.ns_per_byte = 10.0 * 1e9 / f64::from(baud);
        self.baud = baud;
        self.pending_baud = None;
        let host = self.host.take();
        self.misread = None;
        self.set_host(host);
    }

    /// Switches to `baud` once everything up to `offset` (from [`Line::inject`]) is out.
    pub fn switch_baud_at(&mut self, offset: u64, baud: u32) {
        self.pending_baud = Some((offset, baud));
    }

    pub fn idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Bytes queued and not yet sent.
    fn unsent(&self) -> u64 {
        self.queue.iter().map(|f| f.len() as u64).sum::<u64>() - self.sent_in_front as u64
    }

    /// When the line finishes what is queued (or `now` if idle).
    pub fn busy_until(&self, now: i64) -> i64 {
        if self.idle() {
            return now;
        }
        self.origin_ns + ((self.sent_since_origin + self.unsent()) as f64 * self.ns_per_byte) as i64
    }

    fn start_if_idle(&mut self, at_ns: i64) {
        if self.idle() {
            self.origin_ns = at_ns;
            self.sent_since_origin = 0;
            self.sent_in_front = 0;
        }
    }

    /// Queues a burst; a `tag` comes back from [`Line::take_started`] once its first byte is out.
    pub fn enqueue(&mut self, frames: &[Vec<u8>], at_ns: i64, tag: Option<u64>) {
        self.start_if_idle(at_ns);
        let at = self.sent_since_origin + self.unsent();
        let before = self.queue.len();
        self.queue.extend(frames.iter().filter(|f| !f.is_empty()).cloned());
        if let (Some(tag), true) = (tag, self.queue.len() > before) {
            self.marks.push_back((at, tag));
        }
    }

    /// Slots a reply in after the frame being sent (a receiver never splits a frame); returns
    /// the offset just past it.
    pub fn inject(&mut self, frame: Vec<u8>, now: i64) -> u64 {
        if frame.is_empty() {
            return self.sent_since_origin;
        }
        self.start_if_idle(now);
        let (at, offset) = match self.queue.front() {
            Some(f) if self.sent_in_front > 0 => {
                (1, self.sent_since_origin + (f.len() - self.sent_in_front) as u64)
            }
            _ => (0, self.sent_since_origin),
        };
        // Bursts queued behind the reply now start that much later.
        for m in self.marks.iter_mut().filter(|m| m.0 >= offset) {
            m.0 += frame.len() as u64;
        }
        let end = offset + frame.len() as u64;
        self.queue.insert(at, frame);
        end
    }

    /// When to service the line next: as soon as the first byte of a burst is complete (the
    /// daemon stamps a burst by its first byte), then every [`CHUNK_NS`].
    pub fn next_wake(&self, now: i64) -> i64 {
        self.first_byte_due().map_or(now + CHUNK_NS, |d| d.min(now + CHUNK_NS))
    }

    /// When the first byte of the next burst is complete, if it has not gone out yet: the
    /// instant worth waking for precisely.
    pub fn first_byte_due(&self) -> Option<i64> {
        let (at, _) = self.marks.front()?;
        (*at >= self.sent_since_origin)
            .then(|| self.origin_ns + ((*at + 1) as f64 * self.ns_per_byte).ceil() as i64)
    }

    /// Writes the bytes due by `now` (switching speed on the way if a change is due).
    pub fn pump(&mut self, now: i64, pty: &Pty) -> Result<(), String> {
        let t = crate::scheduler::realtime_ns();
        let mut out = Vec::new();
        let mut consumed = false;
        loop {
            let chunk = self.take_due(now);
            consumed |= !chunk.is_empty();
            let switch = self.pending_baud.filter(|p| p.0 <= self.sent_since_origin);
            let idle = self.queue.is_empty() || switch.is_some();
            match self.misread.as_mut() {
                Some(u) => out.extend(u.feed(&chunk, idle)),
                None => out.extend(chunk),
            }
            let Some((_, baud)) = switch else { break };
            self.note_started(t);
            self.set_baud(baud);
        }
        if !out.is_empty() {
            let n = pty.write(&out).map_err(|e| format!("writing to pty {}: {e}", pty.link.display()))?;
            self.written += n as u64;
            self.dropped += (out.len() - n) as u64;
        }
        if consumed {
            self.note_started(t);
        }
        Ok(())
    }

    /// Bursts whose first byte has gone out since the last call.
    pub fn take_started(&mut self) -> Vec<(u64, i64)> {
        std::mem::take(&mut self.started)
    }

    fn note_started(&mut self, t: i64) {
        while self.marks.front().is_some_and(|m| m.0 < self.sent_since_origin) {
            if let Some((_, tag)) = self.marks.pop_front() {
                self.started.push((tag, t));
            }
        }
    }

    /// Takes the bytes due by `now` off the queue.
    pub fn take_due(&mut self, now: i64) -> Vec<u8> {
        let due_total = ((now - self.origin_ns).max(0) as f64 / self.ns_per_byte) as u64;
        let mut due = due_total.saturating_sub(self.sent_since_origin) as usize;
        if let Some((at, _)) = self.pending_baud {
            // Not past a speed change: the bytes behind it go at the new speed.
            due = due.min(at.saturating_sub(self.sent_since_origin) as usize);
        }
        let mut chunk = Vec::new();
        while due > 0 {
            let Some(front) = self.queue.front() else { break };
            let n = due.min(front.len() - self.sent_in_front);
            chunk.extend_from_slice(&front[self.sent_in_front..self.sent_in_front + n]);
            self.sent_in_front += n;
            self.sent_since_origin += n as u64;
            due -= n;
            if self.sent_in_front == front.len() {
                self.queue.pop_front();
                self.sent_in_front = 0;
            }
        }
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_paces_bytes_and_slots_acks_between_frames() {
        let mut l = Line::new(115_200);
        l.enqueue(&[vec![1; 100], vec![2; 100]], 0, None);
        assert_eq!(l.busy_until(0), (200.0 * l.ns_per_byte) as i64);
        // 5 ms in: 57 bytes due, the first frame is half sent; the ACK goes after it.
        assert_eq!(l.take_due(5_000_000), vec![1; 57]);
        l.inject(vec![9; 10], 5_000_000);
        let mut rest = l.take_due(1_000_000_000);
        assert_eq!(rest.len(), 153);
        rest.dedup();
        assert_eq!(rest, [1, 9, 2]);
        assert!(l.idle());
        // An idle line starts over when the next burst comes.
        l.enqueue(&[vec![3; 5]], 2_000_000_000, None);
        assert!(l.take_due(2_000_000_000).is_empty());
        assert_eq!(l.take_due(2_001_000_000), vec![3; 5]);
    }

    #[test]
    fn a_burst_is_marked_started_when_its_first_byte_goes_out() {
        let mut l = Line::new(115_200);
        let byte = l.ns_per_byte;
        l.enqueue(&[vec![1; 100]], 0, Some(7));
        assert_eq!(l.first_byte_due(), Some(byte.ceil() as i64));
        // A second burst queued behind the first starts after its 100 bytes.
        l.enqueue(&[vec![2; 50]], 1_000, Some(8));
        // An ACK slotted in before anything went out goes first and moves both bursts.
        l.inject(vec![9; 10], 2_000);
        assert_eq!(l.first_byte_due(), Some((11.0 * byte).ceil() as i64));
        assert_eq!(l.take_due((10.0 * byte) as i64 + 1).len(), 10);
        l.note_started(111);
        assert!(l.take_started().is_empty(), "only the ACK is out");
        l.take_due((11.0 * byte).ceil() as i64);
        l.note_started(222);
        assert_eq!(l.take_started(), vec![(7, 222)]);
        assert_eq!(l.first_byte_due(), Some((111.0 * byte).ceil() as i64));
        l.take_due((111.0 * byte).ceil() as i64);
        l.note_started(333);
        assert_eq!(l.take_started(), vec![(8, 333)]);
        assert_eq!(l.first_byte_due(), None);
        // An empty burst is never marked.
        l.enqueue(&[Vec::new()], 5_000_000, Some(9));
        assert_eq!(l.first_byte_due(), None);
        // Nor is an untagged one (a line that does not report starts).
        l.enqueue(&[vec![4; 5]], 6_000_000, None);
        assert_eq!(l.first_byte_due(), None);
    }
}
