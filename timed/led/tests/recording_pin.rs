//! The status LED against a recording pin: what reaches the pin, and when, for each lock state.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use std::time::Duration;
use timed_led::recording::RecordingPin;
use timed_led::{LedState, StatusLed};

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// Drives `led` with updates every `step` from `from` to `to`, returning (time, level) for each
/// write that reached the pin.
fn run(led: &mut StatusLed<RecordingPin>, from: u64, to: u64, step: u64) -> Vec<(u64, bool)> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        let before = led.pin().writes().len();
        led.update(ms(t)).unwrap();
        let w = led.pin().writes();
        if w.len() > before {
            assert_eq!(w.len(), before + 1, "one update wrote twice at {t} ms");
            out.push((t, w[before]));
        }
        t += step;
    }
    out
}

#[test]
fn locked_is_solid_with_a_single_write() {
    let mut led = StatusLed::new(RecordingPin::new());
    led.set(LedState::Locked, ms(0)).unwrap();
    let later = run(&mut led, 1, 10_000, 10);
    assert!(later.is_empty(), "solid LED was rewritten: {later:?}");
    assert_eq!(led.into_inner().writes(), vec![true]);
}

#[test]
fn acquiring_blinks_at_1_hz_and_fault_at_5_hz() {
    let mut led = StatusLed::new(RecordingPin::new());
    led.set(LedState::Acquiring, ms(1000)).unwrap();
    let w = run(&mut led, 1000, 4000, 10);
    // On at 1000 (by set), off at 1500, on at 2000, ...: every 500 ms, alternating.
    let want: Vec<(u64, bool)> = (1..6).map(|k| (1000 + 500 * k, k % 2 == 0)).collect();
    assert_eq!(w, want);

    led.set(LedState::Fault, ms(4003)).unwrap();
    let w = run(&mut led, 4004, 5003, 1);
    // The fault pattern restarts lit at the change (4003) and toggles every 100 ms.
    let want: Vec<(u64, bool)> = (1..10).map(|k| (4003 + 100 * k, k % 2 == 0)).collect();
    assert_eq!(w, want);
    // Every write changed the level: nothing redundant reached the pin.
    let all = led.into_inner().writes();
    assert_eq!(all.len(), 1 + 5 + 1 + 9, "{all:?}");
    assert!(all[0] && all.windows(2).all(|p| p[0] != p[1]), "{all:?}");
}

#[test]
fn a_state_change_restarts_the_pattern_lit_and_repeating_a_state_does_not() {
    let mut led = StatusLed::new(RecordingPin::new());
    led.set(LedState::Acquiring, ms(0)).unwrap();
    led.update(ms(600)).unwrap(); // dark half
    assert_eq!(led.pin().writes(), vec![true, false]);
    // Same state again: rhythm kept, nothing written.
    led.set(LedState::Acquiring, ms(700)).unwrap();
    assert_eq!(led.pin().writes(), vec![true, false]);
    // Lock in the dark half: lit at once.
    led.set(LedState::Locked, ms(750)).unwrap();
    assert_eq!(led.pin().writes(), vec![true, false, true]);
    led.set(LedState::Off, ms(800)).unwrap();
    assert_eq!(led.pin().writes(), vec![true, false, true, false]);
}

#[test]
fn next_change_lets_a_driver_sleep_exactly_until_the_next_edge() {
    // A driver that sleeps for next_change() produces the same edges as one polling every 1 ms.
    let mut polled = StatusLed::new(RecordingPin::new());
    polled.set(LedState::Fault, ms(0)).unwrap();
    let expected = run(&mut polled, 1, 2000, 1);

    let mut led = StatusLed::new(RecordingPin::new());
    led.set(LedState::Fault, ms(0)).unwrap();
    let mut t = ms(0);
    let mut got = Vec::new();
    loop {
        let Some(d) = led.next_change(t) else { panic!("a blinking LED must have a next change") };
        t += d;
        if t >= ms(2000) {
            break;
        }
        led.update(t).unwrap();
        got.push((t.as_millis() as u64, *led.pin().writes().last().unwrap()));
    }
    assert_eq!(got, expected);
    assert_eq!(led.next_change(t), Some(ms(100)));
    led.set(LedState::Locked, t).unwrap();
    assert_eq!(led.next_change(t), None);
}

#[test]
fn a_failed_write_is_retried_on_the_next_update() {
    let pin = RecordingPin::new();
    let mut led = StatusLed::new(pin.clone());
    pin.set_failing(true);
    assert!(led.set(LedState::Locked, ms(0)).is_err());
    assert!(pin.writes().is_empty());
    pin.set_failing(false);
    led.update(ms(10)).unwrap();
    assert_eq!(pin.writes(), vec![true]);
}

#[test]
fn a_clock_going_backwards_does_not_panic_and_shows_the_start_of_the_pattern() {
    let mut led = StatusLed::new(RecordingPin::new());
    led.set(LedState::Acquiring, ms(5000)).unwrap();
    led.update(ms(1000)).unwrap();
    assert_eq!(led.pin().writes(), vec![true]);
    assert_eq!(led.next_change(ms(1000)), Some(ms(500)));
}
