//! The watch against real files: the core's test certificate, a missing file, garbage, a
//! rotation, and "" (no certificate: nothing read, nothing to alert on).

use super::*;

const CRT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/src/x509/testdata/nts.crt");
const FAR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/src/x509/testdata/far.crt");

#[test]
fn reads_the_expiry() {
    let h = check(Path::new(CRT));
    assert_eq!((h.expires_unix_s, h.error), (Some(2_111_774_718), None));
    assert_eq!(h.path, CRT);
}

#[test]
fn no_certificate_configured_is_no_error() {
    assert_eq!(check(Path::new("")), NtsCertHealth::default());
}

#[test]
fn missing_and_damaged_files_are_errors_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("timed-nts-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("absent.crt");
    let h = check(&missing);
    assert_eq!(h.expires_unix_s, None);
    assert!(h.error.unwrap().starts_with(&format!("{}: cannot read", missing.display())));
    let junk = dir.join("junk.crt");
    std::fs::write(&junk, "not a certificate").unwrap();
    let h = check(&junk);
    assert_eq!(h.expires_unix_s, None);
    assert_eq!(h.error.unwrap(), format!("{}: no BEGIN CERTIFICATE line", junk.display()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A poll reports a change (a rotation, the file going away) once, then nothing.
#[test]
fn poll_reports_changes_only() {
    let dir = std::env::temp_dir().join(format!("timed-nts-poll-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("nts.crt");
    std::fs::copy(CRT, &path).unwrap();
    let (mut w, first) = Watch::start(&path);
    assert_eq!(first.expires_unix_s, Some(2_111_774_718));
    assert_eq!(w.poll(), None);
    std::fs::copy(FAR, &path).unwrap();
    assert_eq!(w.poll().and_then(|h| h.expires_unix_s), Some(2_617_214_723));
    assert_eq!(w.poll(), None);
    std::fs::remove_file(&path).unwrap();
    assert!(w.poll().is_some_and(|h| h.error.is_some()));
    assert_eq!(w.poll(), None);
    std::fs::remove_dir_all(&dir).unwrap();
}
