//! One conversation with chronyd over its Unix command socket: our own datagram socket, requests
//! encoded and replies decoded by `chrony-candm`, a deadline per request.
//!
//! Why not `chrony-candm`'s own clients: 0.1.3 hardcodes both ends (`/var/run/chrony/client-*.sock`
//! bound, `/var/run/chrony/chronyd.sock` connected), so it can reach neither a lab's private
//! chronyd nor a system whose socket lives elsewhere, and it treats a stale reply (a late answer
//! to an earlier request) as a fatal sequence mismatch instead of skipping it.

use chrony_candm::reply::{Reply, ReplyBody};
use chrony_candm::request::{Request, RequestBody};
use std::hash::{BuildHasher, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::net::UnixDatagram;
use tokio::time::Instant;

/// chronyd's command reply header: version, type, 2 reserved, command, reply, status, 3 pads,
/// sequence, 2 pads (candm.h `CMD_Reply`).
const REPLY_HEADER: usize = 28;
const PROTO_VERSION: u8 = 6;
const PKT_REPLY: u8 = 2;
/// Larger than any reply chronyd sends (the biggest, client accesses, is well under 1 KiB).
const MAX_REPLY: usize = 1500;
/// sun_path is 108 bytes on Linux, including the terminating NUL.
const MAX_SUN_PATH: usize = 107;

/// A validated reply: header fields we need and the whole datagram, so that reply types
/// `chrony-candm` does not know (e.g. chrony 4.3's `RPY_SERVER_STATS3`) can still be decoded.
pub(super) struct Raw {
    pub reply_code: u16,
    pub bytes: Vec<u8>,
}

impl Raw {
    /// The body after the header.
    pub fn body(&self) -> &[u8] {
        self.bytes.get(REPLY_HEADER..).unwrap_or_default()
    }

    /// Decodes with `chrony-candm`. A panic inside the decoder (its timestamp conversion
    /// can overflow on hostile input) becomes an error: a scrape must never take timed down.
    pub fn decode(&self) -> Result<ReplyBody, String> {
        let bytes = self.bytes.as_slice();
        let decoded = std::panic::catch_unwind(|| {
            let mut buf = bytes;
            Reply::deserialize(&mut buf)
        });
        match decoded {
            Ok(Ok(reply)) => Ok(reply.body),
            Ok(Err(e)) => Err(format!("undecodable reply type {}: {e}", self.reply_code)),
            Err(_) => Err(format!("decoder panicked on reply type {}", self.reply_code)),
        }
    }
}

/// Our end of the conversation. Dropping it removes the client socket file.
pub(super) struct Client {
    sock: UnixDatagram,
    local: PathBuf,
    seq: u32,
    timeout: Duration,
    /// Set after the first request that got no answer in time: later requests fail at once, so
    /// a chronyd that stops answering costs one timeout per query, not one per request.
    stalled: Option<String>,
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.local);
    }
}

impl Client {
    /// Binds a client socket and connects it to chronyd's `server` socket.
    ///
    /// chronyd answers to the sender's address, so ours must be a named socket that chronyd can
    /// write to. Tried in order: next to chronyd's socket (what chronyc does; works as root or as
    /// chronyd's user), then the temporary directory (for a user who may talk to chronyd but not
    /// create files in its directory). The socket is made 0666 because chronyd usually runs as
    /// another user (`_chrony`) and needs write permission to reply; sequence numbers are random
    /// so that a local user cannot usefully inject replies.
    pub async fn open(server: &Path, timeout: Duration) -> Result<Client, String> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(d) = server.parent().filter(|d| !d.as_os_str().is_empty()) {
            dirs.push(d.to_path_buf());
        }
        dirs.push(std::env::temp_dir());
        let mut why = Vec::new();
        for dir in dirs {
            match bind_in(&dir) {
                Ok((sock, local)) => {
                    let client = Client { sock, local, seq: random_u32(), timeout, stalled: None };
                    // Connecting fails at once (ENOENT, ECONNREFUSED) when no chronyd listens.
                    client.sock.connect(server).map_err(|e| match e.kind() {
                        std::io::ErrorKind::PermissionDenied => format!(
                            "permission denied on chronyd's socket {}: run as root or in chronyd's group \
                             (docs/privileges.md)",
                            server.display()
                        ),
                        _ => format!("cannot reach chronyd at {}: {e}", server.display()),
                    })?;
                    return Ok(client);
                }
                Err(e) => why.push(format!("{}: {e}", dir.display())),
            }
        }
        Err(format!("cannot create a client socket for chronyd ({})", why.join("; ")))
    }

    /// Sends `body` and waits for its reply until the timeout. Replies to other sequence
    /// numbers (late answers to earlier requests) are skipped.
    pub async fn ask(&mut self, body: RequestBody) -> Result<Raw, String> {
        if let Some(why) = &self.stalled {
            return Err(format!("not asked: {why}"));
        }
        self.seq = self.seq.wrapping_add(1);
        let req = Request { sequence: self.seq, attempt: 0, body };
        let cmd = req.cmd();
        // chronyd rejects a request shorter than the reply it would send (amplification guard);
        // `serialize` pads it accordingly.
        let mut out = Vec::with_capacity(req.length());
        req.serialize(&mut out);
        let deadline = Instant::now() + self.timeout;
        // The deadline covers the send too: a chronyd that stopped reading leaves its socket's
        // queue full (earlier readers' requests), and the send would then wait forever.
        match tokio::time::timeout_at(deadline, self.sock.send(&out)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("send to chronyd: {e}")),
            Err(_) => {
                return Err(self.stall(format!(
                    "chronyd did not take command {cmd} within {:?} (its queue is full)",
                    self.timeout
                )))
            }
        }
        let mut buf = vec![0u8; MAX_REPLY];
        loop {
            let n = match tokio::time::timeout_at(deadline, self.sock.recv(&mut buf)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(format!("receive from chronyd: {e}")),
                Err(_) => {
                    return Err(
                        self.stall(format!("chronyd did not answer command {cmd} within {:?}", self.timeout))
                    )
                }
            };
            if let Some(raw) = check_reply(&buf[..n], self.seq, cmd)? {
                return Ok(raw);
            }
        }
    }
}

impl Client {
    /// Whether a request went unanswered within the timeout (chronyd hung, not absent).
    pub fn stalled(&self) -> bool {
        self.stalled.is_some()
    }

    fn stall(&mut self, why: String) -> String {
        self.stalled = Some(why.clone());
        why
    }
}

/// Validates a reply header. `Ok(None)`: not the reply we wait for (skip it).
fn check_reply(d: &[u8], seq: u32, cmd: u16) -> Result<Option<Raw>, String> {
    if d.len() < REPLY_HEADER || d[1] != PKT_REPLY {
        return Ok(None);
    }
    let be16 = |i: usize| u16::from_be_bytes([d[i], d[i + 1]]);
    let sequence = u32::from_be_bytes([d[16], d[17], d[18], d[19]]);
    if sequence != seq || be16(4) != cmd {
        return Ok(None);
    }
    if d[0] != PROTO_VERSION {
        return Err(format!("chronyd speaks command protocol version {}, we speak {PROTO_VERSION}", d[0]));
    }
    let status = be16(8);
    if status != 0 {
        return Err(format!("chronyd refused command {cmd}: {}", status_text(status)));
    }
    Ok(Some(Raw { reply_code: be16(6), bytes: d.to_vec() }))
}

/// chronyd's reply status codes (candm.h `STT_*`) that a monitoring client can meet.
pub(super) fn status_text(status: u16) -> String {
    match status {
        1 => "failed".into(),
        2 => "not authorised (serverstats and some others need the Unix socket)".into(),
        3 => "invalid command".into(),
        4 => "no such source".into(),
        6 => "not enabled".into(),
        15 => "inactive (chronyd keeps no client log: `noclientlog` in chrony.conf)".into(),
        18 => "bad packet version".into(),
        19 => "bad packet length".into(),
        s => format!("status {s}"),
    }
}

/// Binds `DIR/timed-chronyctl.PID.N.sock` (N unique within the process) and makes it 0666.
fn bind_in(dir: &Path) -> std::io::Result<(UnixDatagram, PathBuf)> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let pid = std::process::id();
    let mut last = std::io::Error::other("no attempt");
    for _ in 0..4 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("timed-chronyctl.{pid}.{n}.sock"));
        if path.as_os_str().len() > MAX_SUN_PATH {
            return Err(std::io::Error::other("path too long for a Unix socket"));
        }
        match UnixDatagram::bind(&path) {
            Ok(sock) => {
                if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)) {
                    let _ = std::fs::remove_file(&path);
                    return Err(e);
                }
                return Ok((sock, path));
            }
            // A file left by an earlier process with the same pid: try another name.
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Unpredictable starting sequence number, from the OS-seeded keys of std's hasher.
fn random_u32() -> u32 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
    );
    h.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(seq: u32, cmd: u16, reply: u16, status: u16) -> Vec<u8> {
        let mut d = vec![6, 2, 0, 0];
        d.extend(cmd.to_be_bytes());
        d.extend(reply.to_be_bytes());
        d.extend(status.to_be_bytes());
        d.extend([0u8; 6]);
        d.extend(seq.to_be_bytes());
        d.extend([0u8; 8]);
        d
    }

    #[test]
    fn replies_are_matched_by_sequence_and_command() {
        assert!(check_reply(&header(7, 33, 5, 0), 7, 33).unwrap().is_some());
        assert!(check_reply(&header(6, 33, 5, 0), 7, 33).unwrap().is_none(), "stale reply skipped");
        assert!(check_reply(&header(7, 14, 2, 0), 7, 33).unwrap().is_none());
        assert!(check_reply(&[6, 2, 0], 7, 33).unwrap().is_none(), "runt skipped");
        let e = check_reply(&header(7, 54, 0, 2), 7, 54).err().unwrap();
        assert!(e.contains("not authorised"), "{e}");
    }

    #[test]
    fn garbage_bodies_are_errors_not_panics() {
        // Tracking reply (5) with a truncated body, and one with an absurd timestamp.
        let mut d = header(1, 33, 5, 0);
        d.extend([0xffu8; 10]);
        assert!(Raw { reply_code: 5, bytes: d }.decode().is_err());
        let mut d = header(1, 33, 5, 0);
        d.extend([0u8; 24]); // ref_id + address
        d.extend([0u8; 4]); // stratum, leap
        d.extend([0xffu8; 12]); // ref_time: seconds −1·2³² + (2³²−1), 4.29e9 ns
        d.extend([0u8; 40]);
        // chrony-candm's Duration arithmetic underflows on this timestamp and panics: caught.
        let e = Raw { reply_code: 5, bytes: d }.decode().err().unwrap();
        assert!(e.contains("panicked"), "{e}");
    }

    #[test]
    fn sequence_numbers_differ_between_clients() {
        let a: Vec<u32> = (0..8).map(|_| random_u32()).collect();
        assert!(a.windows(2).any(|w| w[0] != w[1]), "{a:?}");
    }
}
