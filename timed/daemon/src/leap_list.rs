//! Reads the leap-seconds list named by `[leap] list` (timed-core's `leaplist` parses it) and
//! describes the outcome for the health snapshot. Read at start and again whenever the file
//! changes ([`Watch`]): a tzdata upgrade replaces it (a new inode by rename, or new contents)
//! and restarts nothing, so timed notices by itself and takes the new list, logging once; the
//! expiry in the snapshot and `timectl doctor` still tell an operator when no upgrade came.

use crate::config::Leap;
use crate::health::LeapListHealth;
use std::fmt;
use std::path::{Path, PathBuf};
use timed_core::leaplist::LeapList;

/// Where Debian's (and NixOS's) tzdata keeps the IERS list.
pub const DEFAULT_PATH: &str = "/usr/share/zoneinfo/leap-seconds.list";

/// Why a list could not be used: the file, and the line when the text was at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "{}:{n}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Reads and parses the list at `path`.
pub fn load(path: &Path) -> Result<LeapList, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        path: path.into(),
        line: None,
        message: format!("cannot read the leap-seconds list: {e}"),
    })?;
    LeapList::parse(&text).map_err(|e| {
        // The core's message starts "line N: "; the file and line lead here instead.
        let full = e.to_string();
        let message = full.split_once(": ").map_or(full.as_str(), |(_, m)| m).to_string();
        LoadError { path: path.into(), line: Some(e.line), message }
    })
}

/// Loads the configured list (none when `list` is "") and its snapshot entry.
pub fn start(cfg: &Leap) -> (Option<LeapList>, LeapListHealth) {
    let mut h = LeapListHealth {
        path: cfg.list.display().to_string(),
        expired_policy: cfg.expired.name().into(),
        ..LeapListHealth::default()
    };
    if cfg.list.as_os_str().is_empty() {
        return (None, h);
    }
    match load(&cfg.list) {
        Ok(list) => {
            h.expires_unix_s = Some(list.expires_unix_s());
            h.updated_unix_s = list.updated_unix_s();
            h.hash_checked = list.hash_checked();
            (Some(list), h)
        }
        Err(e) => {
            tracing::warn!("{e}; the receiver's leap indication has no second witness");
            h.error = Some(e.to_string());
            (None, h)
        }
    }
}

/// How often the loop asks [`Watch::changed`]: a `stat(2)`; a list announces a leap months
/// ahead, so a minute late costs nothing.
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// What identifies one version of the file: device, inode, size and modification time. A
/// rename over it changes the inode, an edit in place the time or size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(FileId {
        dev: m.dev(),
        ino: m.ino(),
        len: m.len(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
    })
}

/// Notices when the configured list's file is replaced, edited, removed or appears.
#[derive(Debug)]
pub struct Watch {
    path: PathBuf,
    seen: Option<FileId>,
}

impl Watch {
    /// Watches `cfg.list` as it is now (the version [`start`] just read).
    pub fn new(cfg: &Leap) -> Watch {
        Watch { path: cfg.list.clone(), seen: file_id(&cfg.list) }
    }

    /// Whether the file differs from the last time this was asked (or from [`Watch::new`]).
    /// Never with no list configured.
    pub fn changed(&mut self) -> bool {
        if self.path.as_os_str().is_empty() {
            return false;
        }
        let now = file_id(&self.path);
        if now == self.seen {
            return false;
        }
        self.seen = now;
        true
    }
}

/// Reads the list again after [`Watch::changed`]: as [`start`], and says so once in the log.
pub fn reload(cfg: &Leap) -> (Option<LeapList>, LeapListHealth) {
    let (list, h) = start(cfg);
    if list.is_some() {
        tracing::info!(
            path = %cfg.list.display(),
            expires_unix_s = h.expires_unix_s,
            "leap-seconds list changed: reloaded"
        );
    }
    (list, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LeapExpired;

    fn leap(list: &Path) -> Leap {
        Leap { list: list.into(), expired: LeapExpired::Hold }
    }

    #[test]
    fn the_real_list_loads_with_its_expiry() {
        let (list, h) = start(&leap(timed_testdata::leap_seconds_list_path()));
        assert!(list.is_some());
        assert_eq!(h.expires_unix_s, Some(1_782_604_800), "28 June 2026");
        assert_eq!(h.updated_unix_s, Some(1_751_846_400));
        assert!(h.hash_checked);
        assert_eq!((h.error, h.expired_policy.as_ref()), (None, "hold"));
    }

    #[test]
    fn a_malformed_list_names_the_file_and_line() {
        let path = std::env::temp_dir().join(format!("timed-leap-{}.list", std::process::id()));
        std::fs::write(&path, "#@ 3991593600\n3439756800 34\nnonsense 35\n").unwrap();
        let e = load(&path).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.to_string(),
            format!("{}:3: \"nonsense\" is not an NTP timestamp (seconds since 1900)", path.display())
        );
        let (list, h) = start(&leap(&path));
        assert!(list.is_none());
        assert_eq!(h.error, Some(e.to_string()));
        assert_eq!(h.expires_unix_s, None);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn an_unreadable_list_names_the_file() {
        let e = load(Path::new("/nonexistent/leap-seconds.list")).unwrap_err();
        assert_eq!(e.line, None);
        assert!(e.to_string().starts_with("/nonexistent/leap-seconds.list: cannot read"), "{e}");
    }

    #[test]
    fn a_replaced_or_edited_list_is_noticed_once() {
        let dir = timed_lab::Scratch::new("timed-leap-watch").unwrap();
        let path = dir.join("leap-seconds.list");
        let real = timed_testdata::leap_seconds_list();
        std::fs::write(&path, &real).unwrap();
        let cfg = leap(&path);
        let mut w = Watch::new(&cfg);
        assert!(!w.changed(), "unchanged");
        // tzdata's way: a new file renamed over the old one (same contents: still a new inode).
        let tmp = dir.join("leap-seconds.list.new");
        std::fs::write(&tmp, &real).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert!(w.changed(), "replaced");
        assert!(!w.changed(), "noticed once");
        // Edited in place (a longer file), removed, back again.
        std::fs::write(&path, format!("{real}# a comment\n")).unwrap();
        assert!(w.changed(), "edited");
        std::fs::remove_file(&path).unwrap();
        assert!(w.changed(), "removed");
        let (list, h) = reload(&cfg);
        assert!(list.is_none() && h.error.is_some_and(|e| e.contains("cannot read")));
        std::fs::write(&path, &real).unwrap();
        assert!(w.changed(), "back");
        assert!(reload(&cfg).0.is_some());
        assert!(!Watch::new(&leap(Path::new(""))).changed(), "no list configured");
    }

    #[test]
    fn no_list_is_no_error() {
        let (list, h) = start(&leap(Path::new("")));
        assert!(list.is_none());
        assert_eq!((h.path.as_str(), h.error), ("", None));
    }
}
