//! PPS edges as the engine sees them, the kernel's assert sequence numbers made monotonic
//! ([`SeqTracker`]), and the datagram the receiver simulator uses to deliver simulated edges
//! (so the demo and tests run without a PPS pin). Pure: no I/O here.

/// Where an edge came from. Simulated edges are labelled as such everywhere they show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeSource {
    /// The kernel PPS API (`/dev/ppsN`, RFC 2783 assert timestamp).
    Kernel,
    /// `timed-sim` over its edge socket.
    Simulated,
}

impl EdgeSource {
    pub fn name(self) -> &'static str {
        match self {
            EdgeSource::Kernel => "kernel",
            EdgeSource::Simulated => "simulated",
        }
    }
}

/// One assert edge: its sequence number and the system (CLOCK_REALTIME) time it was captured at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PpsEdge {
    /// Kernel assert sequence number (increments by one per edge; a gap means missed edges).
    pub seq: u64,
    /// CLOCK_REALTIME of the edge, nanoseconds since the Unix epoch.
    pub system_ns: i64,
    pub source: EdgeSource,
}

/// Turns the kernel's u32 assert sequence numbers into a monotonic u64 that survives wrap and
/// reopening, and tells new asserts from repeats (a FETCH woken by a clear edge).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqTracker {
    /// The last kernel assert sequence number seen (`None` before the first device).
    last: Option<u32>,
    /// Its extended value.
    extended: u64,
}

/// Wrapping differences at or above this are the counter going backwards, not forwards.
const HALF: u32 = 1 << 31;

impl SeqTracker {
    /// Takes `seq` as the current assert sequence of a (re)opened device without reporting an
    /// edge: the assert it describes happened before we were listening.
    ///
    /// If `seq` is ahead of the last number seen, the device kept counting while we were away
    /// and the difference is kept as a gap (missed edges); if it is behind, the device was
    /// recreated and restarted its counter, and the extended number simply carries on. The
    /// first device's number is taken as is, so extended and kernel numbers agree until a wrap
    /// or a recreated device.
    pub fn prime(&mut self, seq: u32) {
        match self.last {
            None => self.extended = u64::from(seq),
            Some(last) => {
                let delta = seq.wrapping_sub(last);
                if delta < HALF {
                    self.extended += u64::from(delta);
                }
            }
        }
        self.last = Some(seq);
    }

    /// Returns the extended sequence number if `seq` is a new assert, `None` for a repeat.
    /// A jump of more than one is kept as a gap so consumers see the missed edges.
    pub fn observe(&mut self, seq: u32) -> Option<u64> {
        let last = match self.last {
            Some(last) => last,
            // Never primed: a fresh device counts from 0.
            None => {
                self.prime(0);
                0
            }
        };
        let delta = seq.wrapping_sub(last);
        if delta == 0 {
            return None;
        }
        // Backwards cannot happen on one open device; if it does, count it as one new edge
        // rather than inventing a huge gap.
        self.extended += if delta < HALF { u64::from(delta) } else { 1 };
        self.last = Some(seq);
        Some(self.extended)
    }
}

/// Size of a simulated-edge datagram.
pub const SIM_EDGE_LEN: usize = 24;
const SIM_EDGE_MAGIC: [u8; 4] = *b"TSPE";

/// Encodes a simulated edge: magic `TSPE`, u32 version 1, u64 sequence, i64 realtime ns
/// (all little-endian).
pub fn encode_sim_edge(seq: u64, system_ns: i64) -> [u8; SIM_EDGE_LEN] {
    let mut b = [0u8; SIM_EDGE_LEN];
    b[0..4].copy_from_slice(&SIM_EDGE_MAGIC);
    b[4..8].copy_from_slice(&1u32.to_le_bytes());
    b[8..16].copy_from_slice(&seq.to_le_bytes());
    b[16..24].copy_from_slice(&system_ns.to_le_bytes());
    b
}

/// Decodes a simulated-edge datagram; `None` for anything else.
pub fn decode_sim_edge(b: &[u8]) -> Option<PpsEdge> {
    let b: &[u8; SIM_EDGE_LEN] = b.try_into().ok()?;
    if b[0..4] != SIM_EDGE_MAGIC || b[4..8] != 1u32.to_le_bytes() {
        return None;
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&b[8..16]);
    let mut ns = [0u8; 8];
    ns.copy_from_slice(&b[16..24]);
    Some(PpsEdge {
        seq: u64::from_le_bytes(seq),
        system_ns: i64::from_le_bytes(ns),
        source: EdgeSource::Simulated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_repeats_are_not_edges() {
        let mut t = SeqTracker::default();
        t.prime(7);
        assert_eq!(t.observe(7), None, "a clear edge wakes FETCH with the old assert");
        assert_eq!(t.observe(8), Some(8));
        assert_eq!(t.observe(8), None);
        assert_eq!(t.observe(9), Some(9));
    }

    #[test]
    fn seq_wraps_into_u64() {
        let mut t = SeqTracker::default();
        t.prime(u32::MAX - 1);
        assert_eq!(t.observe(u32::MAX), Some(u64::from(u32::MAX)));
        assert_eq!(t.observe(0), Some(u64::from(u32::MAX) + 1));
        assert_eq!(t.observe(1), Some(u64::from(u32::MAX) + 2));
    }

    #[test]
    fn seq_gaps_are_kept() {
        let mut t = SeqTracker::default();
        t.prime(0);
        assert_eq!(t.observe(1), Some(1));
        assert_eq!(t.observe(4), Some(4), "two edges missed");
        // Across the wrap too.
        let mut t = SeqTracker::default();
        t.prime(u32::MAX);
        assert_eq!(t.observe(2), Some(u64::from(u32::MAX) + 3));
    }

    #[test]
    fn seq_across_reopen() {
        let mut t = SeqTracker::default();
        t.prime(0);
        assert_eq!(t.observe(5), Some(5));
        // Same device, it kept counting while we were away: the missed asserts are a gap.
        t.prime(8);
        assert_eq!(t.observe(9), Some(9));
        // A recreated device restarts at 0: the extended number stays monotonic.
        t.prime(0);
        assert_eq!(t.observe(1), Some(10));
        // Backwards on one device (should not happen): one edge, no huge jump.
        assert_eq!(t.observe(0), Some(11));
    }

    #[test]
    fn seq_without_prime_counts_from_zero() {
        let mut t = SeqTracker::default();
        assert_eq!(t.observe(0), None);
        assert_eq!(t.observe(1), Some(1));
    }

    #[test]
    fn sim_edge_round_trip_and_rejects() {
        let b = encode_sim_edge(42, 1_700_000_000_123_456_789);
        assert_eq!(
            decode_sim_edge(&b),
            Some(PpsEdge { seq: 42, system_ns: 1_700_000_000_123_456_789, source: EdgeSource::Simulated })
        );
        assert_eq!(decode_sim_edge(&b[..23]), None);
        let mut bad = b;
        bad[0] = b'X';
        assert_eq!(decode_sim_edge(&bad), None);
    }
}
