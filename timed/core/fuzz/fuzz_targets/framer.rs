//! Framer: any bytes, chunked by the first input byte, must frame identically to one whole push
//! and never panic.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;
use timed_core::framer::{Frame, Framer};

fn frames(chunks: &[&[u8]]) -> (Vec<(u64, Vec<u8>)>, timed_core::framer::FramerStats) {
    let mut f = Framer::new();
    let mut out = Vec::new();
    let mut on = |x: timed_core::framer::FrameAt<'_>| {
        let body = match x.frame {
            Frame::Nmea { sentence, .. } => sentence.to_vec(),
            Frame::Ubx { class, id, payload } => [&[class, id][..], payload].concat(),
        };
        out.push((x.offset, body));
    };
    for c in chunks {
        f.feed(c, &mut on);
    }
    f.feed_end(&mut on);
    (out, f.stats())
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else { return };
    let size = usize::from(k % 64) + 1;
    let chunked: Vec<&[u8]> = rest.chunks(size).collect();
    assert_eq!(frames(&chunked), frames(&[rest]));
});
