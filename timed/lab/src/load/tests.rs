//! Tests of the load generator's packets: requests built, replies matched to them, KoD and
//! unsynchronised answers told apart, loss counted.

use super::*;

fn reply_to(req: &[u8; PACKET_LEN], first: u8, stratum: u8, refid: &[u8; 4]) -> [u8; PACKET_LEN] {
    let mut r = [0u8; PACKET_LEN];
    r[0] = first;
    r[1] = stratum;
    r[12..16].copy_from_slice(refid);
    // The server copies the request's transmit timestamp into the origin field.
    r[24..32].copy_from_slice(&req[40..48]);
    r
}

#[test]
fn a_request_is_a_48_byte_v4_client_packet_carrying_its_stamp() {
    let stamp = transmit_stamp(0xbeef, 3, 123_456);
    let p = request(stamp);
    assert_eq!(p.len(), 48);
    assert_eq!(p[0], 0x23, "LI 0, VN 4, mode 3");
    assert!(p[1..40].iter().all(|b| *b == 0), "{p:?}");
    assert_eq!(u64::from_be_bytes(p[40..48].try_into().unwrap_or_default()), stamp);
    assert_eq!(split_stamp(stamp), (0xbeef, 3, 123_456));
    let mut q = p;
    set_transmit(&mut q, transmit_stamp(0xbeef, 3, 9));
    assert_eq!(split_stamp(u64::from_be_bytes(q[40..48].try_into().unwrap_or_default())), (0xbeef, 3, 9));
}

#[test]
fn replies_are_matched_by_origin_and_kisses_told_apart() {
    let req = request(transmit_stamp(7, 1, 42));
    // LI 0, VN 4, mode 4, stratum 1, refid PPS.
    let r = reply_to(&req, 0x24, 1, b"PPS\0");
    assert_eq!(parse_reply(&r), Some((transmit_stamp(7, 1, 42), Reply::Time { leap: 0, stratum: 1 })));
    // LI 3, mode 4, stratum 0 and the RATE kiss code: rate limited.
    let k = reply_to(&req, 0xe4, 0, b"RATE");
    assert_eq!(parse_reply(&k).map(|(_, r)| r), Some(Reply::Kod(*b"RATE")));
    // Stratum 0 without a kiss code: an unsynchronised server's time, not a kiss.
    let u = reply_to(&req, 0xe4, 0, &[0, 0, 0, 0]);
    assert_eq!(parse_reply(&u).map(|(_, r)| r), Some(Reply::Time { leap: 3, stratum: 0 }));
    // Our own request echoed (mode 3) and a short packet are not replies.
    assert_eq!(parse_reply(&req), None);
    assert_eq!(parse_reply(&r[..47]), None);
}

#[test]
fn loss_counts_requests_without_any_reply() {
    let s = Summary { sent: 200, served: 150, kod: 10, seconds: 2.0, ..Summary::default() };
    assert!((s.loss_percent() - 20.0).abs() < 1e-9);
    let line = s.line();
    assert!(line.contains("rate=100 served_rate=75 loss=20.000"), "{line}");
    assert_eq!(Summary::default().loss_percent(), 0.0);
}
