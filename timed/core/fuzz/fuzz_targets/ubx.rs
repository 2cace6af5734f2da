//! UBX decoder: any class, id and payload decode or fail cleanly.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let [class, id, payload @ ..] = data {
        // Bias towards the classes timed decodes so the fuzzer reaches their layouts.
        let class = [0x01, 0x0D, 0x0A, 0x05, 0x27][usize::from(*class) % 5];
        let _ = timed_core::ubx::decode(class, *id, payload);
    }
});
