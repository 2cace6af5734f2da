//! The CI stand-in for the fuzzers: the whole pipeline over corrupted real captures (bit flips,
//! inserted garbage, truncation) and random bytes, in random chunkings: no panic, and the epochs
//! do not depend on how the bytes were chunked.

use super::*;
use proptest::prelude::*;

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
        let caps = timed_testdata::all_captures();
        let mut data = caps[file.index(caps.len())].1.clone();
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

/// An NMEA sentence with its checksum.
fn sentence(body: &str) -> Vec<u8> {
    let sum = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("${body}*{sum:02X}\r\n").into_bytes()
}

/// A 1 Hz NMEA burst at 9600 baud, read in chunks of 1 to 24 bytes (a pty or FIFO-less UART
/// gives single bytes; timed's serial thread batches ~20 ms when the line is busy), with the
/// 50 ms idle tick at every phase. RMC alone takes ~74 ms, most of the 100 ms quiet gap: the gap
/// must count from the latest byte, not from the first message's first byte, or a tick just
/// before the next chunk closes the epoch after RMC and GGA opens a second one for the same
/// second (found by the gpsd side-by-side benchmark: a duplicate coarse sample in ~12 % of
/// seconds). Single-byte reads of a sentence longer than the kept chunks also once underflowed
/// the stamp arithmetic.
#[test]
fn slow_lines_in_any_chunking_give_one_epoch_per_second() {
    const BYTE_NS: i64 = 1_041_667; // 10 bits at 9600 baud
    const GAP_NS: i64 = 100_000_000;
    for chunk in [1usize, 8, 20, 24] {
        for phase_ms in (0..50).step_by(3) {
            let mut d = StreamDecoder::new(Assembler::new());
            d.set_byte_ns(BYTE_NS);
            let mut epochs = Vec::new();
            let mut next_tick = i64::from(phase_ms) * 1_000_000;
            let mut tick_until = |d: &mut StreamDecoder, t: i64, epochs: &mut Vec<Epoch>| {
                while next_tick <= t {
                    let now = RxStamp { realtime_ns: next_tick, monotonic_ns: next_tick };
                    epochs.extend(d.idle(now, GAP_NS));
                    next_tick += 50_000_000;
                }
            };
            for s in 0..6i64 {
                let hms = format!("1200{s:02}.00");
                let mut burst = sentence(&format!("GPRMC,{hms},A,4807.038,N,01131.000,E,0.0,0.0,231126,,,A"));
                burst.extend(sentence(&format!(
                    "GPGGA,{hms},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"
                )));
                burst.extend(sentence("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"));
                burst.extend(sentence(&format!("GPZDA,{hms},23,11,2026,00,00")));
                let start = s * 1_000_000_000 + 120_000_000;
                for (k, c) in burst.chunks(chunk).enumerate() {
                    // Stamped with its first byte's wire time; handed over when its last byte is in.
                    let first = start + (k * chunk) as i64 * BYTE_NS;
                    let delivered = first + c.len() as i64 * BYTE_NS;
                    tick_until(&mut d, delivered, &mut epochs);
                    let rx = RxStamp { realtime_ns: first, monotonic_ns: first };
                    d.feed(c, Some(rx), |e| epochs.push(e));
                }
                tick_until(&mut d, (s + 1) * 1_000_000_000 - 1, &mut epochs);
            }
            let sizes: Vec<u32> = epochs.iter().map(|e| e.messages).collect();
            assert_eq!(sizes, [4; 6], "chunks of {chunk} B, tick phase {phase_ms} ms");
            for e in &epochs {
                let first = e.rx.map(|r| r.realtime_ns.rem_euclid(1_000_000_000));
                assert_eq!(first, Some(120_000_000), "stamped with the burst's first byte");
            }
        }
    }
}
