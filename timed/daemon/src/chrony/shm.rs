//! gpsd-compatible NTP SHM output (`refclock SHM N`): mode 1 with the count/valid protocol, so a
//! reader never takes a half-written sample: valid = 0, count += 1, fields, count += 1, valid = 1,
//! with fences between (as ntpd's and gpsd's writers do). Segment size and field offsets come from
//! `timed_core::chrony::ShmLayout` for this target's ABI.
//!
//! Security: whoever can write the segment sets the time chrony sees. chrony creates units 0/1
//! mode 0600 (root only); keep it that way and run the writer with the least privilege that can
//! write them (docs/privileges.md).

use super::shm_sys::Segment;
use super::{SinkState, SinkStats};
use std::sync::atomic::{fence, Ordering};
use timed_core::chrony::{shm_key, Abi, Sample, ShmLayout, ShmRecord};

const _: () = assert!(std::mem::size_of::<libc::time_t>() == ShmLayout::for_abi(Abi::native()).time_t);

pub struct ShmSink {
    unit: u8,
    mode: u32,
    precision: i32,
    seg: Option<Segment>,
    pub state: SinkState,
    pub stats: SinkStats,
}

impl ShmSink {
    /// `precision`: log2 seconds (−20 for PPS, −10 for serial time).
    pub fn new(unit: u8, mode: u32, precision: i32) -> ShmSink {
        ShmSink { unit, mode, precision, seg: None, state: SinkState::Idle, stats: SinkStats::default() }
    }

    pub fn unit(&self) -> u8 {
        self.unit
    }

    /// Writes one sample; returns the new state if it changed.
    pub fn send(&mut self, sample: &Sample) -> Option<SinkState> {
        let layout = ShmLayout::for_abi(Abi::native());
        if self.seg.is_none() {
            match Segment::attach(shm_key(self.unit), layout.size, self.mode) {
                Ok(s) => self.seg = Some(s),
                Err(e) => {
                    self.stats.errors += 1;
                    let msg = format!(
                        "NTP SHM unit {} (key {:#x}): {e}: is chronyd's `refclock SHM {}` owned by another user?",
                        self.unit,
                        shm_key(self.unit),
                        self.unit
                    );
                    return self.set(SinkState::Failing(msg));
                }
            }
        }
        let seg = self.seg.as_mut()?;
        let rec = ShmRecord::new(sample, self.precision);
        let count = i32::from_ne_bytes(seg.load4(layout.count));
        // Build the complete image, then store it field by field inside the protocol.
        let image = rec.encode(layout, count.wrapping_add(2));
        seg.store(layout.valid, &0i32.to_ne_bytes());
        seg.store(layout.count, &count.wrapping_add(1).to_ne_bytes());
        fence(Ordering::SeqCst);
        for (off, len) in [
            (layout.mode, 4),
            (layout.clock_sec, layout.time_t),
            (layout.clock_usec, 4),
            (layout.receive_sec, layout.time_t),
            (layout.receive_usec, 4),
            (layout.leap, 4),
            (layout.precision, 4),
            (layout.nsamples, 4),
            (layout.clock_nsec, 4),
            (layout.receive_nsec, 4),
        ] {
            seg.store(off, &image[off..off + len]);
        }
        fence(Ordering::SeqCst);
        seg.store(layout.count, &count.wrapping_add(2).to_ne_bytes());
        seg.store(layout.valid, &1i32.to_ne_bytes());
        self.stats.sent += 1;
        self.stats.last_sent_ns = Some(sample.system_ns);
        self.set(SinkState::Ok)
    }

    fn set(&mut self, s: SinkState) -> Option<SinkState> {
        (s != self.state).then(|| {
            self.state = s.clone();
            s
        })
    }
}
