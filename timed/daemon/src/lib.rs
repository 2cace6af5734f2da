//! timed, the daemon: adapters around the sans-IO `timed-core`.
//!
//! Owns: configuration, the serial, PPS and simulated-edge inputs, chrony SOCK/SHM outputs and
//! the event loop that feeds the core engine and carries out its actions.
//! Must not contain: decoding or time logic (that is `timed-core`'s, testable without I/O).
//! `unsafe` lives only in `pps::kernel` (RFC 2783 ioctls) and `chrony::shm_sys` (SysV SHM): the
//! crate denies it and those two module declarations alone expect it (tests/boundaries.sh).
#![deny(unsafe_code)]

pub mod chrony;
pub mod chronyctl;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod events;
pub mod health;
pub mod holdover;
pub mod leap_list;
pub mod led;
pub mod log_state;
pub mod metrics;
pub mod notify;
pub mod nts_cert;
pub mod nts_watch;
pub mod pps;
pub mod pps_input;
pub mod receiver_setup;
pub mod run;
pub mod serial;
pub mod socket_file;
pub mod status;
pub mod verdict;
pub mod web;
