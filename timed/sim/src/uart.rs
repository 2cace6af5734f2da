//! A host UART set to the wrong speed (SIMULATED: a pty has no baud rate, so a mismatch between
//! the receiver and timed's `[receiver] baud` cannot happen on one for real). Given the bytes the
//! receiver puts on the wire as 8N1 frames at `send_baud`, this yields what a UART sampling the
//! same line at `host_baud` hands to the reader: the classic "u-blox at its factory 9600 baud,
//! timed at 115200" failure becomes a stream of mostly zero bytes, the reverse a trickle of
//! junk.
//!
//! Model (16550-style receiver, as documented for the 8250/16550 family): while hunting, a low
//! line level is a start bit; it is confirmed half a host bit later, then the 8 data bits (LSB
//! first) and the stop bit are sampled at the middle of each host bit. A low stop bit is a
//! framing error; the UART resynchronises by treating the low level as the next start bit. The
//! byte is delivered either way, because a tty in raw mode (`cfmakeraw` clears INPCK and
//! PARMRK, as timed's serial port does) passes framing-error and break characters on as plain
//! bytes (Linux `n_tty_receive_char_flagged`: a break becomes `\0`, which is what the 8 zero
//! data bits sampled here give too).

/// One simulated host UART reading one line. Time is kept in integer ticks so that the result
/// does not depend on how the bytes are chunked: a receiver bit is `2 × host_baud` ticks and a
/// host bit `2 × send_baud`, so half a host bit is a whole number of ticks too.
pub struct MisreadUart {
    rx_bit: u64,
    host_bit: u64,
    /// Receiver bytes on the wire whose bits the host has not finished sampling.
    wire: Vec<u8>,
    /// The host's hunting position, in ticks from the start bit of the first byte in `wire`.
    cursor: u64,
}

/// The line level at a moment.
enum Level {
    Low,
    High,
    /// Beyond the bytes sent so far while the line stays busy: wait for more.
    Unknown,
}

impl MisreadUart {
    pub fn new(send_baud: u32, host_baud: u32) -> Result<MisreadUart, String> {
        if send_baud == 0 || host_baud == 0 {
            return Err("baud rates must be positive".into());
        }
        Ok(MisreadUart {
            rx_bit: 2 * u64::from(host_baud),
            host_bit: 2 * u64::from(send_baud),
            wire: Vec::new(),
            cursor: 0,
        })
    }

    /// `sent`: the next bytes on the wire, back to back with the previous call's unless the line
    /// went idle in between; `then_idle`: the line is idle (high) after them. Returns the bytes
    /// the host UART delivers for this stretch of line.
    pub fn feed(&mut self, sent: &[u8], then_idle: bool) -> Vec<u8> {
        self.wire.extend_from_slice(sent);
        let mut out = Vec::new();
        while let Some(frame) = self.next_frame(then_idle) {
            out.extend(frame);
        }
        if then_idle {
            // Everything was sampled (idle fills the rest); the next burst starts afresh.
            self.wire.clear();
            self.cursor = 0;
        } else {
            let byte_ticks = 10 * self.rx_bit;
            let done = usize::try_from(self.cursor / byte_ticks).unwrap_or(usize::MAX).min(self.wire.len());
            self.wire.drain(..done);
            self.cursor -= done as u64 * byte_ticks;
        }
        out
    }

    /// The level at tick `t`; a sample exactly on an edge sees the new level.
    fn level(&self, t: u64, then_idle: bool) -> Level {
        let bit = t / self.rx_bit;
        let Some(&byte) = usize::try_from(bit / 10).ok().and_then(|i| self.wire.get(i)) else {
            return if then_idle { Level::High } else { Level::Unknown };
        };
        let high = match bit % 10 {
            0 => false,
            9 => true,
            j => byte >> (j - 1) & 1 == 1,
        };
        if high {
            Level::High
        } else {
            Level::Low
        }
    }

    /// The next frame: `Some(Some(byte))`, `Some(None)` for a false start, `None` when the
    /// line must advance first (or, once idle, when nothing is left).
    fn next_frame(&mut self, then_idle: bool) -> Option<Option<u8>> {
        let end = self.wire.len() as u64 * 10 * self.rx_bit;
        // Hunt: the line is low now, or at the next receiver bit boundary where it goes low.
        let mut start = self.cursor;
        loop {
            match self.level(start, then_idle) {
                Level::Low => break,
                Level::Unknown => return None,
                Level::High if start >= end => {
                    self.cursor = end;
                    return None;
                }
                Level::High => start = (start / self.rx_bit + 1) * self.rx_bit,
            }
        }
        let mut byte = 0u8;
        for i in 0..10u64 {
            let t = start + self.host_bit * i + self.host_bit / 2;
            let low = match self.level(t, then_idle) {
                Level::Unknown => {
                    self.cursor = start;
                    return None;
                }
                Level::Low => true,
                Level::High => false,
            };
            match i {
                0 if !low => {
                    // A glitch shorter than half a host bit: hunt again from here.
                    self.cursor = t;
                    return Some(None);
                }
                1..=8 if !low => byte |= 1 << (i - 1),
                _ => {}
            }
        }
        self.cursor = start + self.host_bit * 9 + self.host_bit / 2;
        Some(Some(byte))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use timed_core::framer::Framer;

    const NMEA: &[u8] = b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n";

    #[test]
    fn the_same_speed_reads_every_byte() {
        let mut u = MisreadUart::new(115_200, 115_200).unwrap();
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(u.feed(&all, true), all);
    }

    #[test]
    fn chunking_does_not_change_what_is_read() {
        for (send, host) in [(9600, 115_200), (115_200, 9600), (9600, 4800), (38_400, 57_600)] {
            let whole = MisreadUart::new(send, host).unwrap().feed(NMEA, true);
            let mut u = MisreadUart::new(send, host).unwrap();
            let mut pieces = Vec::new();
            for (i, c) in NMEA.chunks(7).enumerate() {
                let last = (i + 1) * 7 >= NMEA.len();
                pieces.extend(u.feed(c, last));
            }
            assert_eq!(pieces, whole, "{send} read at {host}");
        }
    }

    #[test]
    fn a_9600_receiver_read_at_115200_gives_mostly_zeros_and_no_sentence() {
        let mut u = MisreadUart::new(9600, 115_200).unwrap();
        let got = u.feed(NMEA, true);
        // Every receiver bit lasts 12 host bits: each low stretch becomes one or more frames.
        assert!(got.len() > NMEA.len(), "{} bytes from {}", got.len(), NMEA.len());
        let zeros = got.iter().filter(|b| **b == 0).count();
        assert!(zeros * 2 > got.len(), "{got:02x?}");
        let mut f = Framer::new();
        let mut frames = 0;
        f.feed(&got, |_| frames += 1);
        f.feed_end(|_| frames += 1);
        assert_eq!(frames, 0);
        assert_eq!(f.stats().garbage_bytes, got.len() as u64);
    }

    #[test]
    fn a_115200_receiver_read_at_9600_gives_few_junk_bytes() {
        let mut u = MisreadUart::new(115_200, 9600).unwrap();
        let got = u.feed(NMEA, true);
        assert!(!got.is_empty() && got.len() < NMEA.len() / 4, "{got:02x?}");
        assert!(!got.windows(3).any(|w| w == b"$GP"));
    }

    #[test]
    fn a_start_bit_is_sampled_at_its_middle() {
        // Host twice as fast: the receiver's 0x00 is 9 low receiver bits = 18 low host bits,
        // read as 0x00 with a framing error at host bit 9.5; resynchronising on the low level
        // there, the next frame's data bits are sampled at host bits 11 … 18, and the last one
        // falls on the receiver's stop bit: 0x80.
        let mut u = MisreadUart::new(1, 2).unwrap();
        assert_eq!(u.feed(&[0x00], true), vec![0x00, 0x80]);
        assert!(MisreadUart::new(0, 9600).is_err());
    }
}
