//! The NTS certificate in `timectl status` and the doctor's `nts-cert` check: reads the file
//! timed.toml's `[nts] cert` names and chronyd's `ntsservercert`, and the clock (the I/O);
//! parsing and judging are the daemon library's `nts_cert` (one owner for the state and its
//! JSON names).

use crate::doctor::chrony_conf::ChronyConf;
use crate::doctor::Check;
use std::fmt::Write;
use std::path::Path;
use timed::nts_cert::{self, ChronyRef, NtsCert, NtsState, Read};

/// The certificate at `cert` judged now against chronyd's configuration; None when `cert` is
/// "" (the owner serves no NTS).
pub fn look(cert: &Path, chrony: Result<&ChronyConf, &String>) -> Option<NtsCert> {
    if cert.as_os_str().is_empty() {
        return None;
    }
    let read = match std::fs::read_to_string(cert) {
        Ok(t) => Read::Text(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Read::Missing,
        Err(e) => Read::Unreadable(e.to_string()),
    };
    // The same file under another name (a symbolic link) counts as the same certificate.
    let same = |p: &Path| {
        p == cert
            || std::fs::canonicalize(p).ok().is_some_and(|a| std::fs::canonicalize(cert).ok() == Some(a))
    };
    let chrony = match chrony {
        Ok(c) => c.nts_cert.as_ref().map_or(ChronyRef::None, |(_, p)| {
            ChronyRef::Cert(if same(p) { cert.to_path_buf() } else { p.clone() })
        }),
        Err(_) => ChronyRef::Unknown,
    };
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    Some(nts_cert::assess(cert, read, chrony, now))
}

/// The `nts` lines of `timectl status`.
pub fn render(o: &mut String, n: &NtsCert) {
    let state = match n.state {
        NtsState::Ok => "ok",
        s => &s.name().to_uppercase(),
    };
    let _ = writeln!(o, "nts       certificate {} {state}", n.path.display());
    if let Some(c) = &n.cert {
        let _ = writeln!(o, "          SHA-256 {}", c.sha256);
        let mut names: Vec<&str> = c.subject_cn.iter().map(|s| s.as_str()).collect();
        names.extend(c.names.iter().map(|s| s.as_str()).filter(|s| Some(*s) != c.subject_cn.as_deref()));
        let _ = writeln!(o, "          names {} · not after {}", names.join(", "), c.not_after);
    }
    if let Some(r) = &n.reason {
        let _ = writeln!(o, "          {r}");
    }
}

/// `nts-cert`: fails when NTS cannot be served with it (missing, expired, not a certificate),
/// warns when it soon will not be or when chronyd serves another one.
pub fn check(n: Option<&NtsCert>) -> Check {
    const ID: &str = "nts-cert";
    let Some(n) = n else { return Check::skip(ID, "no [nts] cert in timed.toml (or it is unreadable)") };
    let p = n.path.display();
    let reason = n.reason.clone().unwrap_or_default();
    match n.state {
        NtsState::Ok => {
            let fp = n.cert.as_ref().map_or("", |c| c.sha256.as_str());
            let until = n.cert.as_ref().map_or("", |c| c.not_after.as_str());
            Check::ok(ID, format!("{p}: SHA-256 {fp}, valid until {until}"))
        }
        NtsState::Expiring => Check::warn(
            ID,
            reason,
            format!("install a new pair at {p} (or remove both files and run timed-nts-cert), then restart chronyd; give clients the new certificate (docs/nts.md)"),
        ),
        NtsState::ChronyElsewhere => Check::warn(
            ID,
            reason,
            format!("set `ntsservercert {p}` in chrony's configuration, or [nts] cert in timed.toml to the file chronyd serves"),
        ),
        NtsState::Unreadable => Check::warn(ID, reason, "run timectl as root or in chrony's group"),
        NtsState::Missing => Check::fail(
            ID,
            reason,
            "run timed-nts-cert (systemctl start timed-nts-cert) or install your own certificate and key there, then restart chronyd",
        ),
        NtsState::Expired | NtsState::Invalid => Check::fail(
            ID,
            reason,
            format!("replace {p} and its key (docs/nts.md, rotation), then restart chronyd"),
        ),
    }
}

#[cfg(test)]
mod tests;
