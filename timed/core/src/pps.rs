//! PPS edges as the engine sees them, and the datagram the receiver simulator uses to deliver
//! simulated edges (so the demo and tests run without a PPS pin). Pure: no I/O here.

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
