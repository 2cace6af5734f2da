//! The one place that knows where the real test data lives: the receiver captures in
//! `testdata/receivers/` and the leap-seconds list in `testdata/leap/`, both at the
//! top of the repository (gpsd's BSD-2-Clause captures and the public-domain IERS list: see the
//! README in each). Unit tests, integration tests, benches and the `timectl` tests all read them
//! through this crate, so the location is written once and a clone of the repository needs
//! nothing beside it.
//!
//! The path is derived from this crate's `CARGO_MANIFEST_DIR` at compile time, so it holds for
//! any checkout location and any working directory the test runner picks. Everything here panics
//! with the path on failure: the captures are part of the repository, so a missing or unreadable
//! one is a broken checkout, never a reason to skip.
//!
//! Owns: the captures' location and reading them. Must not depend on: any timed crate (every
//! crate's tests depend on it) or anything outside the repository.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

/// Fewer `.log` captures than this means the directory is not the full set.
const MIN_CAPTURES: usize = 12;

/// The directory holding the captures (`NAME.log`) and gpsd's decoding of each (`NAME.log.chk`).
pub fn captures_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/receivers"))
}

/// The path of one file in [`captures_dir`], e.g. `ublox-8.log` or `ublox-8.log.chk`.
/// Panics if it does not exist, so a typo fails where it is made rather than in the program
/// the path is handed to.
pub fn capture_path(name: &str) -> PathBuf {
    let path = captures_dir().join(name);
    assert!(path.is_file(), "capture missing: {}", path.display());
    path
}

/// The bytes of one file in [`captures_dir`] (a capture or its `.chk`).
pub fn capture(name: &str) -> Vec<u8> {
    let path = captures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("capture {}: {e}", path.display()))
}

/// The names of every capture (`*.log`, not the `.chk` files), sorted, so property tests that
/// pick a capture by index pick the same one on every machine.
pub fn capture_names() -> Vec<String> {
    let dir = captures_dir();
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("captures directory {}: {e}", dir.display()));
    let mut names: Vec<String> = rd
        .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).file_name())
        .filter_map(|n| n.into_string().ok())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    assert!(names.len() >= MIN_CAPTURES, "only {} captures in {}", names.len(), dir.display());
    names
}

/// The IERS/NIST `leap-seconds.list` as tzdata ships it (`testdata/leap/`, public domain, see the
/// README there): the real file, so the leap-list parser is tested against what it will read.
pub fn leap_seconds_list_path() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/leap/leap-seconds.list"))
}

/// The text of [`leap_seconds_list_path`].
pub fn leap_seconds_list() -> String {
    let path = leap_seconds_list_path();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("leap list {}: {e}", path.display()))
}

/// A SYNTHETIC list in the IERS format (`testdata/leap/synthetic-2027.list`, see the README):
/// the real data plus negative leap seconds at the end of 2027-06-30 and of 2027-12-31, with a
/// correct `#h` hash, for replays of leaps that no real list announces.
pub fn synthetic_leap_list_path() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/leap/synthetic-2027.list"))
}

/// Every capture as (name, bytes), in [`capture_names`] order.
pub fn all_captures() -> Vec<(String, Vec<u8>)> {
    capture_names()
        .into_iter()
        .map(|n| {
            let bytes = capture(&n);
            (n, bytes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_captures_are_inside_the_repository() {
        // The repository root is two levels above this crate; the captures must be under it.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let root = root.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        let dir =
            captures_dir().canonicalize().unwrap_or_else(|e| panic!("{}: {e}", captures_dir().display()));
        assert!(dir.starts_with(&root), "{} is outside {}", dir.display(), root.display());
    }

    #[test]
    fn every_capture_has_gpsds_decoding_beside_it() {
        for (name, bytes) in all_captures() {
            assert!(!bytes.is_empty(), "{name} is empty");
            assert!(!capture(&format!("{name}.chk")).is_empty(), "{name}.chk is empty");
        }
        assert!(capture_path("COPYING.gpsd").is_file());
    }

    #[test]
    fn the_leap_list_is_the_real_file_with_its_public_domain_note() {
        let text = leap_seconds_list();
        assert!(text.contains("This file is in the public domain."));
        assert!(text.lines().any(|l| l.starts_with("#@")), "no expiry line");
    }
}
