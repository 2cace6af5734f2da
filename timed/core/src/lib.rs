//! timed-core: the sans-IO heart of timed.
//!
//! Owns: framing of mixed NMEA 0183 / UBX byte streams ([`framer`]), message decoders
//! ([`nmea`], [`ubx`]), calendar and GPS-time arithmetic ([`time`]), assembly of one
//! navigation epoch's messages into an [`epoch::Epoch`] (and bytes to epochs in one call,
//! [`stream`]), PPS edges ([`pps`]), the [`engine`] that labels each edge with its second and
//! qualifies samples, the offset statistics ([`stats`]), the transitions worth telling an owner ([`events`]),
//! the holdover error bound ([`holdover`]),
//! chrony's SOCK/SHM records ([`chrony`]), the IERS leap-seconds list ([`leaplist`]), X.509 certificate fields ([`x509`]) and the
//! receiver set-up session ([`receiver`]: plan, apply and verify a u-blox configuration).
//!
//! Must not depend on: tokio or any async runtime, the system clock, files, sockets, or any
//! other I/O. Time always comes in as an argument, so hours of receiver output can be replayed in
//! a test in milliseconds. Adapters in other crates do the I/O and feed bytes in.
#![forbid(unsafe_code)]

pub mod base64;
pub mod chrony;
pub mod engine;
pub mod epoch;
pub mod events;
pub mod framer;
pub mod gnss;
pub mod holdover;
pub mod leaplist;
pub mod nmea;
pub mod pps;
pub mod receiver;
pub mod stats;
pub mod stream;
pub mod time;
pub mod ubx;
pub mod x509;
