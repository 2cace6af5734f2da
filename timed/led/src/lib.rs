//! timed-led: the appliance's status LED.
//!
//! Owns: the blink pattern for each lock state (solid = locked to PPS, slow blink = acquiring,
//! fast blink = fault) as a pure state machine that is handed the time (it never reads a clock),
//! driving any `embedded_hal::digital::OutputPin` (embedded-hal 1.0); a Linux GPIO character
//! device backend for that trait (feature `cdev`, via the `gpiocdev` crate); a recording pin
//! for tests.
//! Must not depend on: the daemon, tokio, or any clock. Mapping the daemon's health to a
//! [`LedState`] is the daemon's job (`timed/daemon/src/led.rs`).
#![forbid(unsafe_code)]

#[cfg(feature = "cdev")]
pub mod cdev;
pub mod pattern;
pub mod recording;

/// The embedded-hal version the pins implement, for users that name its traits.
pub use embedded_hal;
pub use pattern::{LedState, Pattern, StatusLed};
