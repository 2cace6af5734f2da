//! The request scanner (the real binary against hostile clients: tests/metrics_hostile.rs).

use super::request::{route, scan, Route, Scan};

#[test]
fn scan_finds_the_end_of_crlf_bare_lf_and_mixed_heads() {
    let crlf = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(scan(crlf), Scan::Complete(crlf.len() - 3));
    assert_eq!(scan(b"GET /metrics\n\n"), Scan::Complete(12));
    assert_eq!(scan(b"GET / HTTP/1.0\nHost: a\r\n\n"), Scan::Complete(23));
    assert_eq!(scan(b"GET / HTTP/1.0\r\nHost: a\n\r\n"), Scan::Complete(23));
    // Empty lines before the request line are skipped, not taken for the end of the head.
    assert_eq!(scan(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"), Scan::Complete(19));
}

#[test]
fn scan_waits_for_what_could_still_become_a_request() {
    for partial in [
        &b""[..],
        b"\r\n",
        b"G",
        b"GET",
        b"GET /met",
        b"GET /metrics HTTP/1.1\r\n",
        b"GET / HTTP/1.1\r\nA: b\r",
    ] {
        assert_eq!(scan(partial), Scan::Incomplete, "{:?}", String::from_utf8_lossy(partial));
    }
}

#[test]
fn scan_rejects_what_cannot_become_a_request_on_first_sight() {
    let cases: [&[u8]; 7] = [
        &[0x16, 0x03, 0x01, 0x02, 0x00], // TLS handshake record
        b"\x00",
        b" GET / HTTP/1.1\r\n\r\n",       // no method
        b"G\xc3\xa9T / HTTP/1.1",         // non-token method byte
        b"GET\r\n\r\n",                   // no target: CR inside the method
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",    // a method longer than any real one
        b"GET / HTTP/1.1\r\nX: \x01\r\n", // control byte in a header
    ];
    for c in cases {
        assert_eq!(scan(c), Scan::NotHttp, "{:?}", String::from_utf8_lossy(c));
    }
}

#[test]
fn route_serves_get_metrics_only() {
    assert_eq!(route(b"GET /metrics HTTP/1.1"), Route::Metrics);
    assert_eq!(route(b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r"), Route::Metrics);
    assert_eq!(route(b"GET /"), Route::Metrics);
    assert_eq!(route(b"\r\nGET /metrics"), Route::Metrics);
    assert_eq!(route(b"GET /favicon.ico HTTP/1.1"), Route::NotFound);
    assert_eq!(route(b"POST /metrics HTTP/1.1"), Route::MethodNotAllowed);
    assert_eq!(route(b"HEAD /metrics HTTP/1.1"), Route::MethodNotAllowed);
}
