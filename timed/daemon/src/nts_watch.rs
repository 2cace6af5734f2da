//! The NTS certificate's expiry, watched for `timed_nts_cert_expiry_timestamp_seconds`
//! (docs/metrics.md, alert `TimedNtsCertExpiring`): `[nts] cert` read at start and every
//! [`CHECK_EVERY`], reduced to the snapshot's [`NtsCertHealth`]. Only the file read is here; the
//! decoding is the core's [`timed_core::x509`]. A missing or damaged file is a state (an error in
//! the snapshot, `timed_nts_cert_ok 0`), never a panic; it logs when what it finds changes, not on
//! every read. Must not depend on the event loop (the caller's timer drives [`Watch::poll`]).

use crate::health::NtsCertHealth;
use std::path::{Path, PathBuf};
use std::time::Duration;
use timed_core::time::UtcTime;
use timed_core::x509;

/// How often the file is read again: certificates live months, and a rotation (docs/nts.md)
/// then shows within the hour.
pub const CHECK_EVERY: Duration = Duration::from_secs(3600);

/// Reads `path` once ("" = no certificate configured: nothing read, no error).
pub fn check(path: &Path) -> NtsCertHealth {
    let mut h = NtsCertHealth { path: path.display().to_string(), ..NtsCertHealth::default() };
    if path.as_os_str().is_empty() {
        return h;
    }
    let decoded = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))
        .and_then(|text| {
            x509::pem_to_der(&text)
                .and_then(|der| x509::parse(&der))
                .map_err(|e| format!("{}: {e}", path.display()))
        });
    match decoded {
        Ok(c) => h.expires_unix_s = Some(c.not_after_unix),
        Err(e) => h.error = Some(e),
    }
    h
}

/// The last reading, to log changes only.
pub struct Watch {
    path: PathBuf,
    last: NtsCertHealth,
}

impl Watch {
    /// Reads the certificate now (and says so once when one is configured).
    pub fn start(path: &Path) -> (Watch, NtsCertHealth) {
        let h = check(path);
        log(&h);
        (Watch { path: path.to_path_buf(), last: h.clone() }, h)
    }

    /// Reads it again; the new reading when it differs from the last one (logged).
    pub fn poll(&mut self) -> Option<NtsCertHealth> {
        let h = check(&self.path);
        if h == self.last {
            return None;
        }
        log(&h);
        self.last = h.clone();
        Some(h)
    }
}

fn log(h: &NtsCertHealth) {
    match (&h.error, h.expires_unix_s) {
        (Some(error), _) => {
            tracing::warn!(path = %h.path, %error, "NTS certificate not readable: its expiry is not known")
        }
        (None, Some(end)) => tracing::info!(
            path = %h.path,
            not_after = %UtcTime::from_unix(end, 0).rfc3339_seconds(),
            "NTS certificate read"
        ),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests;
