//! A whole receiver stream: framer, decoders and epoch assembly in one pipeline, with counts of
//! everything that did not decode. Used by the daemon (bytes stamped by the serial adapter) and by
//! `timectl decode` (captures, unstamped).

use crate::epoch::{Assembler, Epoch, Message, RxStamp};
use crate::framer::{Frame, Framer, FramerStats};
use crate::{nmea, ubx};
use std::collections::VecDeque;

/// Decode failures by family (frames that framed correctly but did not parse).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub nmea_errors: u64,
    pub ubx_errors: u64,
    pub epochs: u64,
}

/// Bytes in, epochs out.
#[derive(Clone, Default)]
pub struct StreamDecoder {
    framer: Framer,
    assembler: Assembler,
    stats: DecodeStats,
    /// Stream offsets where recent stamped chunks began, oldest first: a frame gets the stamp of
    /// the chunk that carried its first byte. Bounded: a frame never spans more than this many
    /// reads in practice, and an older start just gets the oldest stamp kept.
    chunks: VecDeque<(u64, RxStamp)>,
    /// Wire time of one byte: a frame starting i bytes into a chunk arrived i byte-times after
    /// the chunk's first byte.
    byte_ns: i64,
}

const CHUNKS_KEPT: usize = 64;

impl StreamDecoder {
    pub fn new(assembler: Assembler) -> StreamDecoder {
        StreamDecoder { assembler, ..StreamDecoder::default() }
    }

    /// Sets the wire time of one byte (10 bits at the serial speed) used to stamp frames that
    /// start inside a chunk.
    pub fn set_byte_ns(&mut self, byte_ns: i64) {
        self.byte_ns = byte_ns;
    }

    pub fn framer_stats(&self) -> FramerStats {
        self.framer.stats()
    }

    pub fn decode_stats(&self) -> DecodeStats {
        self.stats
    }

    pub fn assembler(&self) -> &Assembler {
        &self.assembler
    }

    /// Feeds one chunk, received at `rx` (if known), and hands out completed epochs.
    pub fn feed(&mut self, chunk: &[u8], rx: Option<RxStamp>, mut on_epoch: impl FnMut(Epoch)) {
        if let Some(rx) = rx {
            if self.chunks.len() == CHUNKS_KEPT {
                self.chunks.pop_front();
            }
            self.chunks.push_back((self.framer.stream_offset(), rx));
            self.assembler.touch(rx);
        }
        let Self { framer, assembler, stats, chunks, byte_ns } = self;
        framer.feed(chunk, |f| {
            let rx = rx.and_then(|_| {
                let i = chunks.partition_point(|(start, _)| *start <= f.offset);
                chunks.get(i.saturating_sub(1)).map(|(start, s)| {
                    // Signed: a frame longer than the kept chunks (1-byte reads of a long
                    // sentence) starts before the oldest one, and is stamped back from it.
                    let later = (f.offset as i64).wrapping_sub(*start as i64) * *byte_ns;
                    RxStamp { realtime_ns: s.realtime_ns + later, monotonic_ns: s.monotonic_ns + later }
                })
            });
            if let Some(msg) = decode_frame(f.frame, stats) {
                if let Some(e) = assembler.push(msg, f.offset, rx) {
                    stats.epochs += 1;
                    on_epoch(e);
                }
            }
        });
        // The quiet-line gap counts from the latest byte: a message still arriving keeps the
        // epoch open (touch before the feed is ignored while the epoch has no message yet).
        if let Some(rx) = rx {
            self.assembler.touch(rx);
        }
    }

    /// Closes the current epoch after `gap_ns` of silence (monotonic time passed in).
    pub fn idle(&mut self, now: RxStamp, gap_ns: i64) -> Option<Epoch> {
        let e = self.assembler.idle(now, gap_ns);
        self.stats.epochs += u64::from(e.is_some());
        e
    }

    /// End of stream: drains the framer and closes the last epoch.
    pub fn finish(&mut self, mut on_epoch: impl FnMut(Epoch)) {
        let Self { framer, assembler, stats, .. } = self;
        framer.feed_end(|f| {
            if let Some(msg) = decode_frame(f.frame, stats) {
                if let Some(e) = assembler.push(msg, f.offset, None) {
                    stats.epochs += 1;
                    on_epoch(e);
                }
            }
        });
        if let Some(e) = assembler.flush() {
            stats.epochs += 1;
            on_epoch(e);
        }
    }
}

fn decode_frame(frame: Frame<'_>, stats: &mut DecodeStats) -> Option<Message> {
    match frame {
        Frame::Nmea { sentence, .. } => match nmea::decode(sentence) {
            Ok(m) => Some(Message::Nmea(m)),
            Err(_) => {
                stats.nmea_errors += 1;
                None
            }
        },
        Frame::Ubx { class, id, payload } => match ubx::decode(class, id, payload) {
            Ok(m) => Some(Message::Ubx(m)),
            Err(_) => {
                stats.ubx_errors += 1;
                None
            }
        },
    }
}

#[cfg(test)]
mod tests;
