//! Drives the status LED (`timed-led`) from the health snapshots the event loop publishes:
//! solid while PPS edges are labelled and sent, slow blink while acquiring, fast blink while the
//! receiver's serial port or the PPS device is missing or failing.
//!
//! A task of its own reading the snapshot channel, so the loop is never delayed by GPIO
//! writes and the LED needs no code in the loop. A missing or busy GPIO line is logged and the
//! daemon runs on without an LED: it is an indicator, never a reason not to serve time.

use crate::config;
use crate::health::Health;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use timed_led::{LedState, StatusLed};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

/// What the LED shows for a snapshot.
pub fn state_of(h: &Health) -> LedState {
    let pps_used = h.pps.source != crate::config::PpsSource::Off;
    // Held pulses (a receiver off by whole seconds, moved pulses) are a fault the owner must see.
    if h.receiver.serial_state.is_broken()
        || (pps_used && h.pps.device_state.is_broken())
        || h.pps.state.is_held()
    {
        LedState::Fault
    } else if h.pps.state.is_locked() {
        LedState::Locked
    } else {
        LedState::Acquiring
    }
}

type Shared<P> = Rc<RefCell<Option<StatusLed<P>>>>;

/// Keeps the LED task's pin; dropping it (timed exiting) switches the LED off, even though the
/// task itself is never polled again once the event loop has returned.
pub struct LedGuard<P: timed_led::embedded_hal::digital::OutputPin> {
    led: Shared<P>,
}

impl<P: timed_led::embedded_hal::digital::OutputPin> Drop for LedGuard<P> {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.led.try_borrow_mut() {
            if let Some(mut led) = slot.take() {
                let _ = led.set(LedState::Off, Duration::ZERO);
            }
        }
    }
}

/// Requests the configured GPIO line and starts the LED task (`None`: LED off in the
/// configuration, or the line could not be had, which is logged).
/// Must run inside a `tokio::task::LocalSet`.
pub fn start(
    cfg: &config::Led,
    health: watch::Receiver<Arc<Health>>,
) -> Option<LedGuard<timed_led::cdev::CdevPin>> {
    if !cfg.enabled {
        return None;
    }
    let line = timed_led::cdev::Line::parse(&cfg.chip, &cfg.line);
    match timed_led::cdev::CdevPin::request(&line, cfg.active_low, "timed status LED") {
        Ok(pin) => {
            info!(%line, active_low = cfg.active_low, "status LED on");
            Some(start_with(pin, health))
        }
        Err(e) => {
            warn!("status LED unavailable: {e} (see [led] in timed.toml); running without it");
            None
        }
    }
}

/// Starts the LED task on any pin (tests use a recording pin).
pub fn start_with<P>(pin: P, mut health: watch::Receiver<Arc<Health>>) -> LedGuard<P>
where
    P: timed_led::embedded_hal::digital::OutputPin + 'static,
    P::Error: std::fmt::Display,
{
    let shared: Shared<P> = Rc::new(RefCell::new(Some(StatusLed::new(pin))));
    let led = Rc::clone(&shared);
    tokio::task::spawn_local(async move {
        let t0 = Instant::now();
        let mut failing = false;
        let mut state = state_of(&health.borrow_and_update());
        loop {
            let now = t0.elapsed();
            // Borrowed only between awaits; the guard takes the LED out when timed exits.
            let next = {
                let Ok(mut slot) = led.try_borrow_mut() else { return };
                let Some(l) = slot.as_mut() else { return };
                match l.set(state, now) {
                    Ok(()) => failing = false,
                    Err(e) if !failing => {
                        warn!("status LED: {e}");
                        failing = true;
                    }
                    Err(_) => {}
                }
                // A failed write is retried within a second even while solid.
                let retry = failing.then_some(Duration::from_secs(1));
                l.next_change(now).or(retry)
            };
            let sleep = async {
                match next {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = health.changed() => {
                    if changed.is_err() {
                        return; // the loop ended; the guard darkens the LED
                    }
                    state = state_of(&health.borrow_and_update());
                }
                _ = sleep => {}
            }
        }
    });
    LedGuard { led: shared }
}

#[cfg(test)]
mod tests {
    use super::*;
    use timed_led::recording::RecordingPin;

    use crate::health::{DeviceState as D, PpsLock as L};

    fn health(serial: D, pps_device: D, pps_state: L, source: crate::config::PpsSource) -> Health {
        let mut h = Health::default();
        h.receiver.serial_state = serial;
        h.pps.device_state = pps_device;
        h.pps.state = pps_state;
        h.pps.source = source;
        h
    }

    #[test]
    fn health_maps_to_lock_states() {
        assert_eq!(
            state_of(&health(D::Open, D::Open, L::LockedTimTp, crate::config::PpsSource::Kernel)),
            LedState::Locked
        );
        assert_eq!(
            state_of(&health(D::Open, D::Open, L::Acquiring, crate::config::PpsSource::Kernel)),
            LedState::Acquiring
        );
        assert_eq!(
            state_of(&health(D::Opening, D::Opening, L::Acquiring, crate::config::PpsSource::Kernel)),
            LedState::Acquiring
        );
        assert_eq!(
            state_of(&health(D::Absent, D::Open, L::Acquiring, crate::config::PpsSource::Kernel)),
            LedState::Fault
        );
        assert_eq!(
            state_of(&health(D::Open, D::Lost, L::LockedTimTp, crate::config::PpsSource::Kernel)),
            LedState::Fault
        );
        assert_eq!(
            state_of(&health(D::Open, D::Open, L::HeldLabelJump, crate::config::PpsSource::Kernel)),
            LedState::Fault
        );
        // With PPS off, the PPS device's state does not matter.
        assert_eq!(
            state_of(&health(D::Open, D::Absent, L::Acquiring, crate::config::PpsSource::Off)),
            LedState::Acquiring
        );
    }

    #[test]
    fn led_config_problems_are_named() {
        let bad = config::parse(std::path::Path::new("t.toml"), "[led]\nenabled = true\nline = \"17\"\n")
            .unwrap_err();
        assert!(bad[0].to_string().starts_with("t.toml:3:8: line 17 is an offset"), "{}", bad[0]);
        let ok = config::parse(
            std::path::Path::new("t.toml"),
            "[led]\nenabled = true\nchip = \"/dev/gpiochip0\"\nline = \"17\"\nactive_low = true\n",
        )
        .unwrap();
        assert_eq!(
            timed_led::cdev::Line::parse(&ok.led.chip, &ok.led.line),
            timed_led::cdev::Line::Offset("/dev/gpiochip0".into(), 17)
        );
    }

    /// The task against a recording pin, on tokio's paused clock: lock-state changes reach the
    /// pin at once, blinking keeps its rhythm, and dropping the guard darkens the LED.
    #[tokio::test(start_paused = true)]
    async fn the_task_follows_health_snapshots() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let (tx, rx) = watch::channel(Arc::new(health(
                    D::Open,
                    D::Open,
                    L::Acquiring,
                    crate::config::PpsSource::Kernel,
                )));
                let pin = RecordingPin::new();
                let guard = start_with(pin.clone(), rx);
                let step = |ms| tokio::time::sleep(Duration::from_millis(ms));
                step(1).await;
                assert_eq!(pin.writes(), vec![true]);
                step(1000).await; // 1 Hz: off at 500, on at 1000
                assert_eq!(pin.writes(), vec![true, false, true]);
                tx.send_replace(Arc::new(health(
                    D::Open,
                    D::Open,
                    L::LockedTimTp,
                    crate::config::PpsSource::Kernel,
                )));
                step(5000).await; // solid: nothing more (it was lit)
                assert_eq!(pin.writes(), vec![true, false, true]);
                tx.send_replace(Arc::new(health(
                    D::Lost,
                    D::Open,
                    L::Acquiring,
                    crate::config::PpsSource::Kernel,
                )));
                step(450).await; // 5 Hz from the change: on, off 100, on 200, off 300, on 400
                assert_eq!(pin.writes(), vec![true, false, true, false, true, false, true]);
                drop(guard);
                assert_eq!(pin.writes().last(), Some(&false));
                drop(tx);
                step(10).await;
            })
            .await;
    }
}
