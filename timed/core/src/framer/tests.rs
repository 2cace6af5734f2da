use super::*;
use proptest::prelude::*;

fn collect(framer: &mut Framer, chunks: &[&[u8]]) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut on = |f: FrameAt<'_>| out.push((f.offset, describe(f.frame)));
    for c in chunks {
        framer.feed(c, &mut on);
    }
    framer.feed_end(&mut on);
    out
}

fn describe(f: Frame<'_>) -> String {
    match f {
        Frame::Nmea { sentence, checksum } => {
            format!("N{:?}:{}", checksum, String::from_utf8_lossy(sentence))
        }
        Frame::Ubx { class, id, payload } => format!("U{class:02x}{id:02x}:{payload:02x?}"),
    }
}

fn whole(data: &[u8]) -> (Vec<(u64, String)>, FramerStats) {
    let mut f = Framer::new();
    let out = collect(&mut f, &[data]);
    (out, f.stats())
}

#[test]
fn mixed_stream_with_garbage() {
    let mut s = b"noise\x00\xff".to_vec();
    s.extend(nmea_sentence("GPZDA,172237.00,01,12,2017,00,00").bytes());
    s.extend(ubx_frame(0x01, 0x61, &[1, 2, 3, 4]));
    s.extend(b"$GPTXT,01,01,02,no checksum\r\n");
    let (out, st) = whole(&s);
    assert_eq!(
        out,
        vec![
            (7, "NVerified:$GPZDA,172237.00,01,12,2017,00,00".to_string()),
            (45, "U0161:[01, 02, 03, 04]".to_string()),
            (57, "NMissing:$GPTXT,01,01,02,no checksum".to_string()),
        ]
    );
    assert_eq!(st.garbage_bytes, 7);
    assert_eq!((st.nmea, st.ubx, st.nmea_without_checksum), (2, 1, 1));
    assert_eq!(st.bytes, s.len() as u64);
}

#[test]
fn proprietary_pubx_sentences_frame() {
    let (out, _) =
        whole(nmea_sentence("PUBX,04,073731.00,091202,113851.00,1196,15D,1930035,-2660.664,43,").as_bytes());
    assert_eq!(out.len(), 1);
    let (out, st) = whole(b"$PUB,1*00\r\n$GPRM,1\r\n");
    assert!(out.is_empty(), "3- and 4-character non-proprietary addresses are not sentences");
    assert_eq!(st.oversize + st.nmea_checksum_errors, 0);
}

#[test]
fn the_gpsd_reference_checksum_is_accepted() {
    // A sentence from ublox-8-time.log.chk, checksum as gpsd printed it.
    let (out, st) = whole(b"$GPZDA,172237.00,01,12,2017,00,00*62\r\n");
    assert_eq!(out.len(), 1);
    assert_eq!(st.nmea_checksum_errors, 0);
}

#[test]
fn checksum_failures_are_counted_and_dropped() {
    let mut s = b"$GPZDA,172237.00,01,12,2017,00,00*63\r\n".to_vec();
    let mut bad = ubx_frame(0x01, 0x07, &[9; 10]);
    bad[10] ^= 0x40;
    s.extend(&bad);
    let (out, st) = whole(&s);
    assert!(out.is_empty());
    assert_eq!((st.nmea_checksum_errors, st.ubx_checksum_errors), (1, 1));
    assert_eq!(st.garbage_bytes, s.len() as u64);
}

#[test]
fn a_lying_ubx_length_costs_one_byte_not_the_frames_behind_it() {
    // A header claiming 4000 bytes, then real frames: they surface once the claimed length is
    // disproved by its checksum, and at end of stream at the latest.
    let mut s = vec![0xB5, 0x62, 0x01, 0x07, 0xA0, 0x0F];
    let good = ubx_frame(0x0D, 0x01, &[7; 16]);
    for _ in 0..10 {
        s.extend(&good);
    }
    let (out, st) = whole(&s);
    assert_eq!(out.len(), 10);
    assert_eq!(out[0].0, 6);
    assert_eq!(st.garbage_bytes, 6);
    // And with more than the claimed length behind it, without end of stream.
    for _ in 0..300 {
        s.extend(&good);
    }
    let mut f = Framer::new();
    let mut n = 0;
    f.feed(&s, |_| n += 1);
    assert!(n >= 300 - 2, "only {n} frames before end of stream");
}

#[test]
fn oversize_claims_are_rejected_at_once() {
    let mut s = vec![0xB5, 0x62, 0x01, 0x07, 0xFF, 0xFF];
    s.extend(ubx_frame(0x05, 0x01, &[0x06, 0x01]));
    let mut f = Framer::new();
    let mut n = 0;
    f.feed(&s, |_| n += 1);
    assert_eq!(n, 1, "frame behind an impossible length must come out without waiting");
    assert_eq!(f.stats().oversize, 1);
    let long = format!("$GPTXT,{}\r\n", "x".repeat(MAX_NMEA_LEN));
    let (out, st) = whole(long.as_bytes());
    assert!(out.is_empty());
    assert_eq!(st.oversize, 1);
}

#[test]
fn truncated_sentence_followed_by_a_new_one() {
    let s = b"$GPGGA,1234$GPZDA,172237.00,01,12,2017,00,00*62\r\n";
    let (out, st) = whole(s);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, 11);
    assert_eq!(st.garbage_bytes, 11);
}

#[test]
fn endless_garbage_keeps_memory_bounded() {
    let mut f = Framer::new();
    let junk: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut frames = 0;
    for _ in 0..10 {
        f.feed(&junk, |_| frames += 1);
    }
    f.feed_end(|_| frames += 1);
    assert_eq!(frames, 0);
    assert_eq!(f.stats().garbage_bytes, 10_000_000);
    assert_eq!(f.buf.len(), BUF_CAP);
}

#[test]
fn real_captures_frame_without_checksum_errors() {
    for (name, data) in timed_testdata::all_captures() {
        let (out, st) = whole(&data);
        assert!(!out.is_empty(), "{name}");
        assert_eq!(st.nmea_checksum_errors + st.ubx_checksum_errors, 0, "{name}: {st:?}");
        let one_by_one = {
            let mut f = Framer::new();
            let chunks: Vec<&[u8]> = data.chunks(1).collect();
            (collect(&mut f, &chunks), f.stats())
        };
        assert_eq!(one_by_one, (out, st), "{name}: byte-at-a-time differs");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any chunking of a corrupted real capture gives identical frames and counts.
    #[test]
    fn chunking_never_changes_the_result(
        file in 0usize..12,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..40),
        cut in any::<prop::sample::Index>(),
        sizes in proptest::collection::vec(1usize..700, 1..50),
    ) {
        let caps = timed_testdata::all_captures();
        let (_, data) = &caps[file % caps.len()];
        let mut data = data.clone();
        for (i, x) in flips {
            let i = i.index(data.len());
            data[i] ^= x;
        }
        data.truncate(cut.index(data.len() + 1));
        let (expect, st) = whole(&data);
        let mut chunks = Vec::new();
        let mut rest = &data[..];
        let mut k = 0;
        while !rest.is_empty() {
            let n = sizes[k % sizes.len()].min(rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
            k += 1;
        }
        let mut f = Framer::new();
        let got = collect(&mut f, &chunks);
        prop_assert_eq!(got, expect);
        prop_assert_eq!(f.stats(), st);
        let delivered: u64 = f.stats().bytes - f.stats().garbage_bytes;
        prop_assert!(delivered <= data.len() as u64);
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..5000)) {
        let (_, st) = whole(&data);
        prop_assert_eq!(st.bytes, data.len() as u64);
    }
}
