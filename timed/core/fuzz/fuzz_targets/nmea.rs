//! NMEA decoder: any sentence bytes decode or fail cleanly.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = timed_core::nmea::decode(data);
    // Also as the framer would hand it over: with a `$` in front.
    let mut s = Vec::with_capacity(data.len() + 1);
    s.push(b'$');
    s.extend_from_slice(data);
    let _ = timed_core::nmea::decode(&s);
});
