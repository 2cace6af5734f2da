//! A bounded NTP load generator (issue 16): plain NTPv4 client-mode requests (RFC 5905, mode 3,
//! 48 bytes, no extension fields, no authentication) sent at a controlled rate to one server,
//! with every reply matched to its request by the transmit timestamp the server echoes as the
//! origin timestamp, and Kiss-o'-Death replies (stratum 0 with a kiss code, RFC 5905 7.4)
//! counted apart. It stops by itself after its duration and never exceeds [`MAX_RATE`].
//!
//! Owns: the request bytes, the reply classification and the send/receive loop ([`run`]).
//! Must not depend on timed's crates (it is a client like any other) and holds no unsafe code:
//! plain `std::net::UdpSocket`s in non-blocking loops, one per thread, instead of sendmmsg.
//!
//! No NTS requests: ntpd-rs's published `ntp-proto` would bring rustls 0.21 with ring, aes-siv
//! and rand into the workspace for one benchmark, and its NTS-KE client is a connection state
//! machine rather than something a bulk sender drives; NTS serving is for real chrony clients
//! (`server … nts`) to measure.

mod run;
#[cfg(test)]
mod tests;

pub use run::{run, Config, Summary};

/// Hard cap on the request rate, whatever is asked (requests per second, all threads together):
/// a load generator must not become a flood tool by a typo.
pub const MAX_RATE: u64 = 500_000;
/// Hard cap on a run's duration, seconds (also bounds the reply bitmap: 600 s at the top rate
/// is 3e8 bits, 37.5 MB).
pub const MAX_DURATION_S: u64 = 600;
/// Size of a plain NTP packet without extension fields.
pub const PACKET_LEN: usize = 48;

/// LI 0 (no warning), VN 4, mode 3 (client): RFC 5905 figure 8.
const CLIENT_FIRST_BYTE: u8 = (4 << 3) | 3;
const MODE_SERVER: u8 = 4;

/// Transmit timestamps carry `nonce << 48 | thread << 40 | sequence`: not a time, but the
/// server copies them back untouched (origin timestamp), which is all the matching needs.
pub fn transmit_stamp(nonce: u16, thread: u8, seq: u64) -> u64 {
    (u64::from(nonce) << 48) | (u64::from(thread) << 40) | (seq & ((1 << 40) - 1))
}

/// The (nonce, thread, sequence) of a transmit stamp made by [`transmit_stamp`].
pub fn split_stamp(stamp: u64) -> (u16, u8, u64) {
    ((stamp >> 48) as u16, (stamp >> 40) as u8, stamp & ((1 << 40) - 1))
}

/// A client request carrying `stamp` as its transmit timestamp (bytes 40..48).
pub fn request(stamp: u64) -> [u8; PACKET_LEN] {
    let mut p = [0u8; PACKET_LEN];
    p[0] = CLIENT_FIRST_BYTE;
    set_transmit(&mut p, stamp);
    p
}

/// Rewrites the transmit timestamp of a request in place (the send loop's only per-packet work).
pub fn set_transmit(p: &mut [u8; PACKET_LEN], stamp: u64) {
    p[40..48].copy_from_slice(&stamp.to_be_bytes());
}

/// What a server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Time: the server's leap indicator (3 = unsynchronised) and stratum.
    Time { leap: u8, stratum: u8 },
    /// Kiss-o'-Death: stratum 0 and a four-letter ASCII kiss code (e.g. `RATE`, `DENY`).
    Kod([u8; 4]),
}

/// A server reply's origin timestamp and kind; `None` for anything that is not a mode 4 packet
/// of at least 48 bytes.
pub fn parse_reply(b: &[u8]) -> Option<(u64, Reply)> {
    if b.len() < PACKET_LEN || b[0] & 7 != MODE_SERVER {
        return None;
    }
    let origin = u64::from_be_bytes(b[24..32].try_into().ok()?);
    let (leap, stratum) = (b[0] >> 6, b[1]);
    let refid: [u8; 4] = b[12..16].try_into().ok()?;
    // A stratum-0 reply is a kiss only with a kiss code; an unsynchronised server that says
    // stratum 0 with another reference id still sent time (RFC 5905 7.4, 7.3 "stratum").
    let kiss = stratum == 0 && refid.iter().all(u8::is_ascii_uppercase);
    Some((origin, if kiss { Reply::Kod(refid) } else { Reply::Time { leap, stratum } }))
}
