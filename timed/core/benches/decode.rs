//! Decode throughput over all real receiver captures concatenated, single core.
//! `cargo bench -p timed-core --bench decode` prints MB/s for the framer alone and for the whole
//! pipeline (framer + NMEA/UBX decoders + epoch assembly). Figures, not assertions.
#![forbid(unsafe_code)]

use std::time::Instant;
use timed_core::epoch::Assembler;
use timed_core::framer::Framer;
use timed_core::stream::StreamDecoder;

fn main() {
    let captures = timed_testdata::all_captures();
    let one: Vec<u8> = captures.iter().flat_map(|(_, bytes)| bytes.iter().copied()).collect();
    let reps = (64 << 20) / one.len() + 1;
    let data: Vec<u8> = one.iter().copied().cycle().take(one.len() * reps).collect();
    let mb = data.len() as f64 / 1e6;
    println!("input: {} captures, {} bytes, repeated {}x = {:.1} MB", captures.len(), one.len(), reps, mb);

    for round in 0..3 {
        let t = Instant::now();
        let mut f = Framer::new();
        let mut frames = 0u64;
        for c in data.chunks(4096) {
            f.feed(c, |_| frames += 1);
        }
        let framer_s = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let mut d = StreamDecoder::new(Assembler::new());
        let mut epochs = 0u64;
        for c in data.chunks(4096) {
            d.feed(c, None, |_| epochs += 1);
        }
        d.finish(|_| epochs += 1);
        let full_s = t.elapsed().as_secs_f64();
        println!(
            "round {round}: framer {:.0} MB/s ({frames} frames); framer+decoders+epochs {:.0} MB/s ({epochs} epochs)",
            mb / framer_s,
            mb / full_s
        );
    }
}
