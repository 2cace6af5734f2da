//! The CI stand-in for the fuzzers: the whole pipeline over corrupted real captures (bit flips,
//! inserted garbage, truncation) and random bytes, in random chunkings: no panic, and the epochs
//! do not depend on how the bytes were chunked.

use super::*;
use proptest::prelude::*;

fn captures() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/receivers");
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
                .map(|e| (e.path().display().to_string(), std::fs::read(e.path()).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    assert!(v.len() >= 12, "captures missing in {dir}");
    v.into_iter().map(|(_, b)| b).collect()
}

fn epochs(chunks: &[&[u8]]) -> (Vec<Epoch>, FramerStats, DecodeStats) {
    let mut d = StreamDecoder::new(Assembler::new().with_week_pivot(1900));
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c, None, |e| out.push(e));
    }
    d.finish(|e| out.push(e));
    (out, d.framer_stats(), d.decode_stats())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn corrupted_captures_decode_the_same_in_any_chunking(
        file in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..60),
        inserts in proptest::collection::vec((any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..40)), 0..8),
        cut in any::<prop::sample::Index>(),
        sizes in proptest::collection::vec(1usize..900, 1..30),
    ) {
        let caps = captures();
        let mut data = caps[file.index(caps.len())].clone();
        for (i, x) in flips {
            let i = i.index(data.len());
            data[i] ^= x;
        }
        for (i, junk) in inserts {
            let i = i.index(data.len() + 1);
            data.splice(i..i, junk);
        }
        data.truncate(cut.index(data.len() + 1).max(data.len() / 2));
        let whole = epochs(&[&data]);
        let mut chunks = Vec::new();
        let mut rest = &data[..];
        for k in 0.. {
            if rest.is_empty() {
                break;
            }
            let n = sizes[k % sizes.len()].min(rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
        }
        let chunked = epochs(&chunks);
        prop_assert_eq!(&chunked.0, &whole.0);
        prop_assert_eq!(chunked.1, whole.1);
        prop_assert_eq!(chunked.2, whole.2);
        prop_assert_eq!(whole.2.epochs, whole.0.len() as u64);
    }

    #[test]
    fn random_bytes_never_panic_the_pipeline(data in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let (e, fs, _) = epochs(&[&data]);
        prop_assert_eq!(fs.bytes, data.len() as u64);
        prop_assert!(e.len() as u64 <= fs.nmea + fs.ubx);
    }

    /// Random frames with valid checksums reach the decoders (random bytes rarely would).
    #[test]
    fn random_valid_frames_never_panic(
        frames in proptest::collection::vec((0u8..4, any::<u8>(), proptest::collection::vec(any::<u8>(), 0..200), any::<bool>()), 1..40)
    ) {
        let mut data = Vec::new();
        for (class, id, payload, as_nmea) in frames {
            if as_nmea {
                let body: String = payload.iter().take(150).map(|b| char::from(b' ' + b % 94)).filter(|c| *c != '*' && *c != '$' && *c != '!').collect();
                let kind = ["GPRMC", "GNGGA", "GPZDA", "GLGSV", "GNGSA", "GPTXT", "GNGNS", "PUBX"][usize::from(id % 8)];
                data.extend(crate::framer::nmea_sentence(&format!("{kind},{body}")).bytes());
            } else {
                let class = [0x01, 0x0D, 0x0A, 0x05][usize::from(class)];
                data.extend(crate::framer::ubx_frame(class, id, &payload));
            }
        }
        let (_, fs, _) = epochs(&[&data]);
        prop_assert_eq!(fs.garbage_bytes, 0);
    }
}
