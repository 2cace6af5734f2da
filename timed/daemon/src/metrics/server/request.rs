//! Reading an HTTP/1.x request head as it arrives: is it complete, could it still become a
//! request, and where does it go. Pure functions over the bytes received so far, so the server
//! can decide after every read and the rules are testable without sockets.

/// What the bytes received so far are.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Scan {
    /// Could still become a request: keep reading (within the deadline).
    Incomplete,
    /// Cannot become an HTTP request whatever follows (a TLS ClientHello, binary junk): waiting
    /// for more would only hold the slot, so the server answers 400 at once.
    NotHttp,
    /// The head ends at this byte offset (the request line is the first line).
    Complete(usize),
}

/// Longest method accepted while scanning. Real methods are at most 7 bytes ("OPTIONS"); a
/// longer run of token bytes without a space is not a request line.
const MAX_METHOD: usize = 16;

/// Where the head of `buf` ends, or that it never will. A line may end in CRLF or in a bare LF
/// (RFC 9112 §2.2 lets a server accept LF alone, and some clients and hand-typed requests send
/// it); the head ends at the first empty line. Empty lines before the request line are skipped,
/// as RFC 9112 §2.2 asks of servers.
pub(super) fn scan(buf: &[u8]) -> Scan {
    let start = buf.iter().position(|b| !matches!(b, b'\r' | b'\n')).unwrap_or(buf.len());
    let rest = &buf[start..];
    // The method is one token followed by a space. Checking it byte by byte rejects TLS (0x16)
    // and other binary input on its first byte, not after the request deadline.
    let method_len = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    if method_len > MAX_METHOD || !rest[..method_len].iter().all(|&b| is_tchar(b)) {
        return Scan::NotHttp;
    }
    if method_len == 0 && !rest.is_empty() {
        return Scan::NotHttp;
    }
    // Control bytes other than CR, LF and TAB never occur in a request head.
    if rest.iter().any(|&b| (b < 0x20 && !matches!(b, b'\r' | b'\n' | b'\t')) || b == 0x7f) {
        return Scan::NotHttp;
    }
    let mut i = 0;
    while let Some(nl) = rest[i..].iter().position(|&b| b == b'\n') {
        let after = &rest[i + nl + 1..];
        if after.starts_with(b"\n") || after.starts_with(b"\r\n") {
            return Scan::Complete(start + i + nl);
        }
        i += nl + 1;
    }
    Scan::Incomplete
}

/// RFC 9110 §5.6.2 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What a complete head asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Route {
    Page(super::Page),
    NotFound,
    MethodNotAllowed,
}

/// Routes a complete head (`buf[..end]` from [`Scan::Complete`]). Only the method and path
/// matter; the version is not checked, so `GET /metrics` alone (no version) is answered too.
pub(super) fn route(head: &[u8]) -> Route {
    let start = head.iter().position(|b| !matches!(b, b'\r' | b'\n')).unwrap_or(head.len());
    let line = head[start..].split(|&b| b == b'\n').next().unwrap_or_default();
    let mut parts = line.split(|b| b.is_ascii_whitespace()).filter(|p| !p.is_empty());
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    match (method, path) {
        (b"GET", b"/metrics") => Route::Page(super::Page::Metrics),
        (b"GET", b"/") => Route::Page(super::Page::Html),
        (b"GET", b"/status.json") => Route::Page(super::Page::Status),
        (b"GET", _) => Route::NotFound,
        _ => Route::MethodNotAllowed,
    }
}
