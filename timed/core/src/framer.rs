//! Streaming framer for a receiver byte stream that mixes NMEA 0183 sentences, UBX frames and
//! garbage (line noise, a wrong baud rate, log comments).
//!
//! Bytes go in as chunks of any size; complete, checksum-verified frames come out, each with the
//! stream offset of its first byte (the daemon maps that back to the read that carried it, to
//! timestamp an epoch's first byte). Results do not depend on how the stream was chunked.
//! The buffer is fixed-size: endless garbage or a UBX header with a lying length cannot make it
//! grow. A frame that fails its checksum or its shape costs only its first byte: the scan resumes
//! one byte later, so a real frame hidden behind a corrupt header is still found.

use memchr::memchr3;

/// Longest NMEA sentence accepted, `$` to LF. NMEA 0183 says 82 characters; u-blox and others
/// exceed it (PUBX, long TXT, NMEA 4.11 GSV), so allow about twice that.
pub const MAX_NMEA_LEN: usize = 200;
/// Largest UBX payload accepted. NAV-SAT with 100 satellites is 1208 bytes, RXM-RAWX with 64
/// measurements 2064; anything claiming more is treated as a corrupt header.
pub const MAX_UBX_PAYLOAD: usize = 4096;
const MAX_UBX_FRAME: usize = MAX_UBX_PAYLOAD + 8;
const BUF_CAP: usize = 2 * MAX_UBX_FRAME;

/// Whether an NMEA sentence carried a checksum (those without are delivered but counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmeaChecksum {
    Verified,
    Missing,
}

/// One frame, borrowed from the framer's buffer until the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `sentence` starts with `$` or `!` and stops before `*hh` / CR / LF.
    Nmea {
        sentence: &'a [u8],
        checksum: NmeaChecksum,
    },
    Ubx {
        class: u8,
        id: u8,
        payload: &'a [u8],
    },
}

/// A frame and the stream offset of its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameAt<'a> {
    pub offset: u64,
    pub frame: Frame<'a>,
}

/// Running counts, for `timectl decode` summaries and the daemon's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FramerStats {
    pub bytes: u64,
    pub nmea: u64,
    /// NMEA sentences delivered without a checksum (also counted in `nmea`).
    pub nmea_without_checksum: u64,
    pub ubx: u64,
    pub nmea_checksum_errors: u64,
    pub ubx_checksum_errors: u64,
    /// UBX headers claiming a payload above [`MAX_UBX_PAYLOAD`], NMEA lines above
    /// [`MAX_NMEA_LEN`].
    pub oversize: u64,
    /// Bytes that were not part of any delivered frame.
    pub garbage_bytes: u64,
}

enum Scan {
    /// A frame of this many bytes (total length) is at the start.
    Nmea {
        len: usize,
        body: usize,
        checksum: NmeaChecksum,
    },
    Ubx {
        len: usize,
    },
    NeedMore,
    /// Not a frame here; skip one byte. The counter to bump says why.
    Reject(Why),
}

enum Why {
    Shape,
    NmeaChecksum,
    UbxChecksum,
    Oversize,
}

/// The framer. See the module documentation.
#[derive(Clone)]
pub struct Framer {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    stats: FramerStats,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::new()
    }
}

impl Framer {
    pub fn new() -> Framer {
        Framer {
            buf: vec![0; BUF_CAP].into_boxed_slice(),
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            stats: FramerStats::default(),
        }
    }

    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    /// Bytes accepted so far (the offset the next pushed byte will have).
    pub fn stream_offset(&self) -> u64 {
        self.base + self.end as u64
    }

    /// Appends as much of `data` as fits and returns how many bytes were taken. After
    /// [`Framer::next_frame`] has returned `None`, at least one byte always fits.
    pub fn push(&mut self, data: &[u8]) -> usize {
        if self.start == self.end {
            self.base += self.start as u64;
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 && self.end + data.len() > self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        let n = data.len().min(self.buf.len() - self.end);
        self.buf[self.end..self.end + n].copy_from_slice(&data[..n]);
        self.end += n;
        self.stats.bytes += n as u64;
        n
    }

    /// Marks the end of the stream: a frame still incomplete is given up (its bytes count as
    /// garbage) and scanning continues behind it. Call [`Framer::next_frame`] until `None`.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Pushes a whole chunk and hands every frame it completes to `on_frame`.
    pub fn feed(&mut self, mut data: &[u8], mut on_frame: impl FnMut(FrameAt<'_>)) {
        while !data.is_empty() {
            let n = self.push(data);
            data = &data[n..];
            while let Some(f) = self.next_frame() {
                on_frame(f);
            }
        }
    }

    /// Ends the stream (see [`Framer::finish`]) and hands out what remains.
    pub fn feed_end(&mut self, mut on_frame: impl FnMut(FrameAt<'_>)) {
        self.finish();
        while let Some(f) = self.next_frame() {
            on_frame(f);
        }
    }

    /// The next complete frame, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<FrameAt<'_>> {
        loop {
            let avail = &self.buf[self.start..self.end];
            let first = *avail.first()?;
            let scan = match first {
                b'$' | b'!' => scan_nmea(avail),
                0xB5 => scan_ubx(avail),
                _ => {
                    let skip = memchr3(b'$', b'!', 0xB5, avail).unwrap_or(avail.len());
                    self.stats.garbage_bytes += skip as u64;
                    self.start += skip;
                    continue;
                }
            };
            let at = self.start;
            let offset = self.base + at as u64;
            match scan {
                Scan::NeedMore if !self.eof => return None,
                Scan::NeedMore | Scan::Reject(Why::Shape) => self.skip_one(),
                Scan::Reject(why) => {
                    match why {
                        Why::NmeaChecksum => self.stats.nmea_checksum_errors += 1,
                        Why::UbxChecksum => self.stats.ubx_checksum_errors += 1,
                        Why::Oversize | Why::Shape => self.stats.oversize += 1,
                    }
                    self.skip_one();
                }
                Scan::Nmea { len, body, checksum } => {
                    self.start += len;
                    self.stats.nmea += 1;
                    if checksum == NmeaChecksum::Missing {
                        self.stats.nmea_without_checksum += 1;
                    }
                    let sentence = &self.buf[at..at + body];
                    return Some(FrameAt { offset, frame: Frame::Nmea { sentence, checksum } });
                }
                Scan::Ubx { len } => {
                    self.start += len;
                    self.stats.ubx += 1;
                    let f = &self.buf[at..at + len];
                    return Some(FrameAt {
                        offset,
                        frame: Frame::Ubx { class: f[2], id: f[3], payload: &f[6..len - 2] },
                    });
                }
            }
        }
    }

    fn skip_one(&mut self) {
        self.start += 1;
        self.stats.garbage_bytes += 1;
    }
}

fn scan_nmea(avail: &[u8]) -> Scan {
    let limit = avail.len().min(MAX_NMEA_LEN);
    let mut lf = None;
    for (i, &b) in avail[..limit].iter().enumerate().skip(1) {
        match b {
            b'\n' => {
                lf = Some(i);
                break;
            }
            // A new start inside a sentence means the old one was cut short.
            b'$' | b'!' => return Scan::Reject(Why::Shape),
            b'\r' | 0x20..=0x7e => {}
            _ => return Scan::Reject(Why::Shape),
        }
    }
    let Some(lf) = lf else {
        return if avail.len() >= MAX_NMEA_LEN { Scan::Reject(Why::Oversize) } else { Scan::NeedMore };
    };
    let mut line = &avail[..lf];
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    // A CR anywhere else is not a sentence.
    if line.contains(&b'\r') {
        return Scan::Reject(Why::Shape);
    }
    let addr_len = line[1..].iter().take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit()).count();
    // Talker + sentence type is 5 characters; a proprietary address is `P` + 3-letter maker
    // (`$PUBX,04,...`, u-blox 8 protocol spec §31.3), so 4 is enough there.
    let min_addr = if line.get(1) == Some(&b'P') { 4 } else { 5 };
    if addr_len < min_addr || !matches!(line.get(1 + addr_len), None | Some(b',') | Some(b'*')) {
        return Scan::Reject(Why::Shape);
    }
    match line.iter().position(|&b| b == b'*') {
        None => Scan::Nmea { len: lf + 1, body: line.len(), checksum: NmeaChecksum::Missing },
        Some(star) if star + 3 == line.len() => {
            let (Some(hi), Some(lo)) = (hex(line[star + 1]), hex(line[star + 2])) else {
                return Scan::Reject(Why::Shape);
            };
            let sum = line[1..star].iter().fold(0u8, |acc, b| acc ^ b);
            if sum == (hi << 4 | lo) {
                Scan::Nmea { len: lf + 1, body: star, checksum: NmeaChecksum::Verified }
            } else {
                Scan::Reject(Why::NmeaChecksum)
            }
        }
        Some(_) => Scan::Reject(Why::Shape),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn scan_ubx(avail: &[u8]) -> Scan {
    // u-blox 8 protocol spec §32.2 "UBX frame structure": sync 0xB5 0x62, class, id,
    // little-endian u16 length, payload, 8-bit Fletcher checksum over class..payload.
    match avail.get(1) {
        None => return Scan::NeedMore,
        Some(0x62) => {}
        Some(_) => return Scan::Reject(Why::Shape),
    }
    let [_, _, _, _, l0, l1, ..] = *avail else {
        return Scan::NeedMore;
    };
    let len = usize::from(u16::from_le_bytes([l0, l1]));
    if len > MAX_UBX_PAYLOAD {
        return Scan::Reject(Why::Oversize);
    }
    let total = len + 8;
    if avail.len() < total {
        return Scan::NeedMore;
    }
    let (a, b) = ubx_checksum(&avail[2..6 + len]);
    if a == avail[6 + len] && b == avail[7 + len] {
        Scan::Ubx { len: total }
    } else {
        Scan::Reject(Why::UbxChecksum)
    }
}

/// The UBX 8-bit Fletcher checksum (RFC 1145) over class, id, length and payload.
pub fn ubx_checksum(data: &[u8]) -> (u8, u8) {
    data.iter().fold((0u8, 0u8), |(a, b), &x| {
        let a = a.wrapping_add(x);
        (a, b.wrapping_add(a))
    })
}

/// Builds a complete UBX frame (for simulators, polls and tests).
pub fn ubx_frame(class: u8, id: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    let mut f = Vec::with_capacity(payload.len() + 8);
    f.extend_from_slice(&[0xB5, 0x62, class, id]);
    f.extend_from_slice(&len.to_le_bytes());
    f.extend_from_slice(&payload[..usize::from(len)]);
    let (a, b) = ubx_checksum(&f[2..]);
    f.extend_from_slice(&[a, b]);
    f
}

/// Builds a complete NMEA sentence with checksum and CR LF from its body (`GPZDA,...`).
pub fn nmea_sentence(body: &str) -> String {
    let sum = body.bytes().fold(0u8, |acc, b| acc ^ b);
    format!("${body}*{sum:02X}\r\n")
}

#[cfg(test)]
mod tests;
