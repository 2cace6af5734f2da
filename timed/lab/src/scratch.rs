//! Scratch directories for tests and labs: one way to make them, so that parallel tests (and
//! several engineers' test runs on one machine) never share or delete each other's files.

use std::ffi::OsStr;
use std::ops::Deref;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Tells apart the directories one process makes with the same tag (tests run in parallel).
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh directory `<temp dir>/<tag>-<pid>-<n>`, removed with its contents when dropped
/// unless [`Scratch::keep`] was called. Derefs to its [`Path`].
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
    keep: bool,
}

impl Scratch {
    /// A new directory with the process umask's mode.
    pub fn new(tag: &str) -> Result<Scratch, String> {
        Scratch::make(tag, None)
    }

    /// A new directory with `mode`, e.g. 0o750: chronyd refuses a command socket in a
    /// world-accessible directory; 0o755 lets another user reach the files in it.
    pub fn with_mode(tag: &str, mode: u32) -> Result<Scratch, String> {
        Scratch::make(tag, Some(mode))
    }

    fn make(tag: &str, mode: Option<u32>) -> Result<Scratch, String> {
        let base = std::env::temp_dir();
        let pid = std::process::id();
        // A directory left by an earlier process with this pid is someone's evidence: skip it.
        for _ in 0..1000 {
            let path = base.join(format!("{tag}-{pid}-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    let dir = Scratch { path, keep: false };
                    if let Some(m) = mode {
                        std::fs::set_permissions(&dir.path, std::fs::Permissions::from_mode(m))
                            .map_err(|e| format!("{}: {e}", dir.path.display()))?;
                    }
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
        Err(format!("cannot create a {tag} directory in {}", base.display()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leave the directory in place when dropped (for inspection after a run).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for Scratch {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_private_and_removed_unless_kept() {
        let a = Scratch::with_mode("timed-lab-scratch", 0o750).unwrap_or_else(|e| panic!("{e}"));
        let b = Scratch::new("timed-lab-scratch").unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.path(), b.path());
        let name = a.file_name().and_then(OsStr::to_str).unwrap_or_default();
        assert!(name.starts_with(&format!("timed-lab-scratch-{}-", std::process::id())), "{name}");
        let mode = std::fs::metadata(&a).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode, Some(0o750));
        std::fs::write(a.join("f"), "x").unwrap_or_else(|e| panic!("{e}"));
        let (pa, pb) = (a.to_path_buf(), b.to_path_buf());
        let mut b = b;
        b.keep();
        drop((a, b));
        assert!(!pa.exists(), "{} left behind", pa.display());
        assert!(pb.is_dir(), "{} removed though kept", pb.display());
        let _ = std::fs::remove_dir_all(pb);
    }
}
