//! Whole pipeline: framer, decoders and epoch assembly over arbitrary bytes never panic.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;
use timed_core::epoch::Assembler;
use timed_core::stream::StreamDecoder;

fuzz_target!(|data: &[u8]| {
    let mut d = StreamDecoder::new(Assembler::new().with_week_pivot(2000));
    let mut n = 0u32;
    d.feed(data, None, |e| {
        n += 1;
        let _ = e.time.map(|t| t.rfc3339_millis());
    });
    d.finish(|_| n += 1);
});
