//! Blink patterns and the state machine that turns (state, time) into pin levels.
//!
//! Time is a `Duration` since any fixed origin (the caller's monotonic clock), passed into every
//! call: the machine is deterministic and testable without sleeping. A pattern restarts (LED on)
//! whenever the state changes, so a change is visible at once. The pin is written only when the
//! level changes: on a GPIO chardev each write is an ioctl.

use embedded_hal::digital::OutputPin;
use std::time::Duration;

/// What the LED shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedState {
    /// Dark: the daemon is stopping, or nothing to show.
    Off,
    /// PPS edges are labelled and sent to chrony: solid on.
    Locked,
    /// Running but not (yet) locked to PPS: slow blink.
    Acquiring,
    /// A device is missing or failing (receiver, PPS): fast blink.
    Fault,
}

/// One state's on/off timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    Dark,
    Solid,
    /// `on` lit, then dark for the rest of `period`, repeating.
    Blink {
        on: Duration,
        period: Duration,
    },
}

/// Slow blink: 1 Hz, half on. Easy to tell from both solid and the fault blink at a glance.
pub const SLOW: Pattern =
    Pattern::Blink { on: Duration::from_millis(500), period: Duration::from_millis(1000) };
/// Fast blink: 5 Hz, half on.
pub const FAST: Pattern =
    Pattern::Blink { on: Duration::from_millis(100), period: Duration::from_millis(200) };

impl LedState {
    pub fn pattern(self) -> Pattern {
        match self {
            LedState::Off => Pattern::Dark,
            LedState::Locked => Pattern::Solid,
            LedState::Acquiring => SLOW,
            LedState::Fault => FAST,
        }
    }
}

impl Pattern {
    /// Whether the LED is lit `elapsed` after the pattern started.
    pub fn lit(self, elapsed: Duration) -> bool {
        match self {
            Pattern::Dark => false,
            Pattern::Solid => true,
            Pattern::Blink { on, period } => {
                let period_ns = period.as_nanos().max(1);
                elapsed.as_nanos() % period_ns < on.as_nanos()
            }
        }
    }

    /// Time after `elapsed` until the level next changes (`None`: never).
    pub fn next_change(self, elapsed: Duration) -> Option<Duration> {
        match self {
            Pattern::Dark | Pattern::Solid => None,
            Pattern::Blink { on, period } => {
                let period_ns = period.as_nanos().max(1);
                let phase = elapsed.as_nanos() % period_ns;
                let on_ns = on.as_nanos();
                let next = if phase < on_ns { on_ns - phase } else { period_ns - phase };
                Some(Duration::from_nanos(u64::try_from(next).unwrap_or(u64::MAX)))
            }
        }
    }
}

/// An LED on `pin` showing a [`LedState`].
#[derive(Debug)]
pub struct StatusLed<P> {
    pin: P,
    state: LedState,
    /// When the current state's pattern started.
    since: Duration,
    /// The level last written; `None` before the first write (or after a failed one), so the
    /// next update writes whatever the pattern says.
    written: Option<bool>,
}

impl<P: OutputPin> StatusLed<P> {
    /// Starts dark; nothing is written until the first [`StatusLed::update`].
    pub fn new(pin: P) -> Self {
        StatusLed { pin, state: LedState::Off, since: Duration::ZERO, written: None }
    }

    pub fn state(&self) -> LedState {
        self.state
    }

    /// Switches to `state` at `now` (restarting its pattern) and writes the pin.
    /// Setting the state it already shows changes nothing: a blink keeps its rhythm.
    pub fn set(&mut self, state: LedState, now: Duration) -> Result<(), P::Error> {
        if state != self.state {
            self.state = state;
            self.since = now;
        }
        self.update(now)
    }

    /// Writes the level the pattern wants at `now`, if it differs from the last one written.
    /// A `now` earlier than the state change (a caller's clock going backwards) counts as the
    /// change itself.
    pub fn update(&mut self, now: Duration) -> Result<(), P::Error> {
        let want = self.state.pattern().lit(now.saturating_sub(self.since));
        if self.written == Some(want) {
            return Ok(());
        }
        self.written = None;
        if want {
            self.pin.set_high()?;
        } else {
            self.pin.set_low()?;
        }
        self.written = Some(want);
        Ok(())
    }

    /// How long after `now` the level next changes: the caller sleeps that long, then calls
    /// [`StatusLed::update`]. `None` while solid or dark.
    pub fn next_change(&self, now: Duration) -> Option<Duration> {
        self.state.pattern().next_change(now.saturating_sub(self.since))
    }

    /// Gives the pin back (e.g. to inspect a recording pin in a test).
    pub fn into_inner(self) -> P {
        self.pin
    }

    pub fn pin(&self) -> &P {
        &self.pin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn blink_levels_and_changes_follow_the_period() {
        assert!(SLOW.lit(ms(0)) && SLOW.lit(ms(499)) && !SLOW.lit(ms(500)) && !SLOW.lit(ms(999)));
        assert!(SLOW.lit(ms(1000)) && SLOW.lit(ms(10_250)));
        assert_eq!(SLOW.next_change(ms(0)), Some(ms(500)));
        assert_eq!(SLOW.next_change(ms(700)), Some(ms(300)));
        assert_eq!(FAST.next_change(ms(150)), Some(ms(50)));
        assert_eq!(Pattern::Solid.next_change(ms(3)), None);
        assert!(!Pattern::Dark.lit(ms(0)) && Pattern::Solid.lit(ms(123_456)));
    }

    #[test]
    fn states_map_to_distinct_patterns() {
        let p: Vec<Pattern> = [LedState::Off, LedState::Locked, LedState::Acquiring, LedState::Fault]
            .map(|s| s.pattern())
            .into();
        for (i, a) in p.iter().enumerate() {
            for b in &p[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
