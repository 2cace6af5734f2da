//! Decode throughput over all real receiver captures concatenated, single core.
//! `cargo bench -p timed-core --bench decode` prints MB/s for the framer alone and for the whole
//! pipeline (framer + NMEA/UBX decoders + epoch assembly). Figures, not assertions.
#![forbid(unsafe_code)]

use std::time::Instant;
use timed_core::epoch::Assembler;
use timed_core::framer::Framer;
use timed_core::stream::StreamDecoder;

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/receivers");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "log")).collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut one = Vec::new();
    for n in &names {
        one.extend(std::fs::read(n).unwrap_or_default());
    }
    if one.is_empty() {
        eprintln!("no captures found in {dir}");
        std::process::exit(1);
    }
    let reps = (64 << 20) / one.len() + 1;
    let data: Vec<u8> = one.iter().copied().cycle().take(one.len() * reps).collect();
    let mb = data.len() as f64 / 1e6;
    println!("input: {} captures, {} bytes, repeated {}x = {:.1} MB", names.len(), one.len(), reps, mb);

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
