//! The NTS server certificate chronyd presents (docs/nts.md): the few facts an owner needs to
//! hand it to clients and to keep it valid: its SHA-256 fingerprint (of the DER, colon-hex as
//! `openssl x509 -fingerprint -sha256` prints it), subject names and expiry, and whether
//! chronyd's configuration points at it. `timectl status` and `timectl doctor` show it.
//!
//! The decoding is the core's ([`timed_core::x509`]); this adds the SHA-256 fingerprint (the
//! hash crate is the daemon's) and the judgement. Pure: the caller reads the file and
//! chrony.conf and passes the time in (`timectl` for status and doctor; the daemon's
//! [`crate::nts_watch`] reads only the expiry, for the metric). Must not depend on the event loop or on any I/O.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use timed_core::time::UtcTime;
pub use timed_core::x509::pem_to_der;

/// Where timed-nts-cert makes the pair and the shipped chrony drop-in points.
pub const DEFAULT_CERT: &str = "/var/lib/timed/nts/nts.crt";
/// A certificate closer than this to its end is a warning (time to rotate: docs/nts.md).
pub const WARN_DAYS: i64 = 30;

/// What a certificate says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// SHA-256 of the DER, upper-case hex bytes joined by ':' (openssl's form).
    pub sha256: String,
    /// The subject's commonName, when it has one.
    pub subject_cn: Option<String>,
    /// subjectAltName DNS names and IP addresses (what clients may name the server by).
    pub names: Vec<String>,
    /// notAfter, Unix seconds.
    pub not_after_unix: i64,
    /// notAfter as RFC 3339 UTC.
    pub not_after: String,
}

/// The certificate's state, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NtsState {
    /// Present, valid for more than [`WARN_DAYS`], and chronyd's configuration names it.
    Ok,
    /// Valid, but chronyd's configuration names another certificate (or none): NTS serves
    /// something else, or nothing.
    ChronyElsewhere,
    /// Valid for less than [`WARN_DAYS`] more.
    Expiring,
    /// Past its notAfter: clients refuse it.
    Expired,
    /// No file at the path (first boot not run yet, or the owner's pair not installed).
    Missing,
    /// The file exists but cannot be read by this user (the key directory is chrony's).
    Unreadable,
    /// Not a PEM certificate this can parse.
    Invalid,
}

impl NtsState {
    /// The serde name (kebab-case; a test holds the two equal).
    pub fn name(self) -> &'static str {
        match self {
            NtsState::Ok => "ok",
            NtsState::ChronyElsewhere => "chrony-elsewhere",
            NtsState::Expiring => "expiring",
            NtsState::Expired => "expired",
            NtsState::Missing => "missing",
            NtsState::Unreadable => "unreadable",
            NtsState::Invalid => "invalid",
        }
    }
}

/// How reading the certificate file went (the caller's I/O, reduced).
pub enum Read {
    Text(String),
    Missing,
    Unreadable(String),
}

/// What chronyd's configuration says about `ntsservercert`.
pub enum ChronyRef {
    /// The last `ntsservercert` line's path (chronyd uses the last one given); the caller
    /// passes the certificate's own path when both name the same file (symbolic links).
    Cert(PathBuf),
    /// No `ntsservercert` line.
    None,
    /// chrony.conf could not be read: not judged.
    Unknown,
}

/// The NTS part of `timectl status --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NtsCert {
    pub path: PathBuf,
    pub state: NtsState,
    pub cert: Option<CertInfo>,
    /// chronyd's `ntsservercert`, when its configuration was read and has one.
    pub chrony_cert: Option<PathBuf>,
    /// What is wrong and what to do; None when `state` is ok.
    pub reason: Option<String>,
}

/// Judges the certificate at `path` as read, at `now_unix` seconds.
pub fn assess(path: &Path, read: Read, chrony: ChronyRef, now_unix: i64) -> NtsCert {
    let chrony_cert = match &chrony {
        ChronyRef::Cert(p) => Some(p.clone()),
        _ => None,
    };
    let fail = |state, reason: String| NtsCert {
        path: path.to_path_buf(),
        state,
        cert: None,
        chrony_cert: chrony_cert.clone(),
        reason: Some(reason),
    };
    let text = match read {
        Read::Text(t) => t,
        Read::Missing => {
            return fail(
                NtsState::Missing,
                format!(
                    "no certificate at {}: run timed-nts-cert (made at first boot) or install your own pair",
                    path.display()
                ),
            )
        }
        Read::Unreadable(e) => {
            return fail(NtsState::Unreadable, format!("cannot read {}: {e}", path.display()))
        }
    };
    let info = match pem_to_der(&text).and_then(|der| parse(&der)) {
        Ok(i) => i,
        Err(e) => return fail(NtsState::Invalid, format!("{}: {e}", path.display())),
    };
    let left_days = (info.not_after_unix - now_unix).div_euclid(86_400);
    let (state, reason) = if info.not_after_unix <= now_unix {
        (
            NtsState::Expired,
            Some(format!("expired {}: NTS clients refuse it; rotate it (docs/nts.md)", info.not_after)),
        )
    } else if left_days < WARN_DAYS {
        (
            NtsState::Expiring,
            Some(format!("expires in {left_days} days ({}); rotate it (docs/nts.md)", info.not_after)),
        )
    } else {
        match &chrony {
            ChronyRef::Cert(p) if p == path => (NtsState::Ok, None),
            ChronyRef::Cert(p) => (
                NtsState::ChronyElsewhere,
                Some(format!("chronyd's ntsservercert is {}, not this file", p.display())),
            ),
            ChronyRef::None => (
                NtsState::ChronyElsewhere,
                Some("chronyd's configuration has no ntsservercert: NTS is not served".to_string()),
            ),
            ChronyRef::Unknown => (NtsState::Ok, None),
        }
    };
    NtsCert { path: path.to_path_buf(), state, cert: Some(info), chrony_cert, reason }
}

/// SHA-256 of `der` as openssl prints it ("AB:CD:…").
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Fingerprint, subject names and notAfter of a DER certificate.
pub fn parse(der: &[u8]) -> Result<CertInfo, String> {
    let c = timed_core::x509::parse(der)?;
    Ok(CertInfo {
        sha256: fingerprint(&der[..c.len]),
        subject_cn: c.subject_cn,
        names: c.names,
        not_after_unix: c.not_after_unix,
        not_after: UtcTime::from_unix(c.not_after_unix, 0).rfc3339_seconds(),
    })
}

#[cfg(test)]
mod tests;
