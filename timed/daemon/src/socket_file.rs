//! The socket files timed binds (the control socket, the simulated-PPS socket). A configured path
//! is cleared for binding only when it holds a stale socket: a path is configuration a user can
//! get wrong, and what sits there (a regular file, a directory, another process's live socket) is
//! not timed's to delete.

use std::fs::FileType;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// Makes `path` free for `bind`: nothing there, or a stale socket (removed). Anything else is an
/// error saying what is there; `key` names the setting to change (e.g. `"[control] socket"`).
pub fn clear_stale(path: &Path, key: &str) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot inspect the path: {e}")),
    };
    if !meta.file_type().is_socket() {
        return Err(format!(
            "the path is {}, not a socket; timed removes only stale sockets: move it away or set {key}",
            describe(meta.file_type())
        ));
    }
    // A datagram probe tells both socket types apart from a stale file without disturbing a
    // stream server's accept queue: the kernel refuses a socket nobody has bound
    // (ECONNREFUSED) and a live one of the other type (EPROTOTYPE).
    let probe = std::os::unix::net::UnixDatagram::unbound()
        .and_then(|s| s.connect(path))
        .map_err(|e| e.raw_os_error());
    match probe {
        Err(Some(libc::ECONNREFUSED)) => {
            std::fs::remove_file(path).map_err(|e| format!("cannot remove the stale socket: {e}"))
        }
        Ok(()) | Err(Some(libc::EPROTOTYPE)) => {
            Err(format!("another timed is serving this socket; stop it or give this one another {key}"))
        }
        Err(e) => Err(format!(
            "cannot tell whether the socket there is in use ({}); remove it or set {key}",
            e.map_or_else(
                || "unknown error".to_string(),
                |n| std::io::Error::from_raw_os_error(n).to_string()
            )
        )),
    }
}

/// Removes the socket timed bound at `path` when it stops, unless something else (not a socket)
/// has been put there since.
pub fn remove_own(path: &Path) {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(path);
    }
}

/// What a non-socket file is, in words for an error message.
fn describe(t: FileType) -> &'static str {
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a socket"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::{UnixDatagram, UnixListener};

    fn dir(name: &str) -> timed_lab::Scratch {
        timed_lab::Scratch::new(&format!("timed-socket-file-{name}")).unwrap()
    }

    #[test]
    fn only_a_stale_socket_is_removed() {
        let d = dir("kinds");
        let file = d.join("file");
        std::fs::write(&file, "keep me").unwrap();
        let e = clear_stale(&file, "[x] y").unwrap_err();
        assert!(e.starts_with("the path is a regular file, not a socket"), "{e}");
        assert!(e.contains("set [x] y"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");

        let sub = d.join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(clear_stale(&sub, "[x] y").unwrap_err().starts_with("the path is a directory"));
        assert!(sub.is_dir());

        let link = d.join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(clear_stale(&link, "[x] y").unwrap_err().starts_with("the path is a symbolic link"));
        assert!(std::fs::symlink_metadata(&link).is_ok());

        assert_eq!(clear_stale(&d.join("absent"), "[x] y"), Ok(()));

        // A socket whose owner is gone (the file outlives the socket) is cleared.
        let stale = d.join("stale.sock");
        drop(UnixDatagram::bind(&stale).unwrap());
        assert_eq!(clear_stale(&stale, "[x] y"), Ok(()));
        assert!(std::fs::symlink_metadata(&stale).is_err());
    }

    #[test]
    fn live_sockets_of_either_type_are_kept() {
        let d = dir("live");
        let dgram = d.join("dgram.sock");
        let _dgram_server = UnixDatagram::bind(&dgram).unwrap();
        let stream = d.join("stream.sock");
        let _stream_server = UnixListener::bind(&stream).unwrap();
        for p in [&dgram, &stream] {
            let e = clear_stale(p, "[x] y").unwrap_err();
            assert!(e.starts_with("another timed is serving this socket"), "{}: {e}", p.display());
            assert!(std::fs::symlink_metadata(p).is_ok());
        }
        remove_own(&dgram);
        assert!(std::fs::symlink_metadata(&dgram).is_err());
        let file = d.join("file");
        std::fs::write(&file, "keep me").unwrap();
        remove_own(&file);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    }
}
