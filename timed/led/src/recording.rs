//! A pin that records what was written to it, for tests of [`crate::StatusLed`] and of code
//! that drives one (the daemon's LED task). It can also be told to fail, like a GPIO line whose
//! chip went away.

use embedded_hal::digital::{Error, ErrorKind, ErrorType, OutputPin};
use std::sync::{Arc, Mutex};

/// Shared log of writes: clone it before handing the pin away, read it afterwards.
pub type Log = Arc<Mutex<Vec<bool>>>;

#[derive(Debug, Default, Clone)]
pub struct RecordingPin {
    log: Log,
    /// While set, writes fail (and are not recorded).
    failing: Arc<Mutex<bool>>,
}

/// The error a failing [`RecordingPin`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinFailed;

impl std::fmt::Display for PinFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("recording pin told to fail")
    }
}

impl Error for PinFailed {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

impl RecordingPin {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every level written so far, in order (true = high = lit).
    pub fn writes(&self) -> Vec<bool> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Makes later writes fail (`true`) or succeed again (`false`).
    pub fn set_failing(&self, failing: bool) {
        if let Ok(mut f) = self.failing.lock() {
            *f = failing;
        }
    }

    fn write(&mut self, level: bool) -> Result<(), PinFailed> {
        if self.failing.lock().map(|f| *f).unwrap_or(false) {
            return Err(PinFailed);
        }
        if let Ok(mut l) = self.log.lock() {
            l.push(level);
        }
        Ok(())
    }
}

impl ErrorType for RecordingPin {
    type Error = PinFailed;
}

impl OutputPin for RecordingPin {
    fn set_low(&mut self) -> Result<(), PinFailed> {
        self.write(false)
    }

    fn set_high(&mut self) -> Result<(), PinFailed> {
        self.write(true)
    }
}
