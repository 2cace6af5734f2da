//! The NTS server certificate chronyd presents (docs/nts.md): the few facts an owner needs to
//! hand it to clients and to keep it valid: its SHA-256 fingerprint (of the DER, colon-hex as
//! `openssl x509 -fingerprint -sha256` prints it), subject names and expiry, and whether
//! chronyd's configuration points at it. `timectl status` and `timectl doctor` show it.
//!
//! Pure: the caller reads the file and chrony.conf and passes the time in. Parses only the DER
//! it needs (RFC 5280 §4.1: the TBSCertificate's validity, subject and subjectAltName); no
//! signature is checked (this is the appliance's own certificate, shown, not trusted). Must not
//! depend on the event loop or on any I/O.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use timed_core::time::{Date, TimeOfDay, UtcTime};

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

/// The first `CERTIFICATE` block of a PEM file (RFC 7468), decoded.
pub fn pem_to_der(text: &str) -> Result<Vec<u8>, String> {
    let start = text.find("-----BEGIN CERTIFICATE-----").ok_or("no BEGIN CERTIFICATE line")?;
    let body = &text[start + "-----BEGIN CERTIFICATE-----".len()..];
    let end = body.find("-----END CERTIFICATE-----").ok_or("no END CERTIFICATE line")?;
    timed_core::base64::decode(&body[..end])
}

/// SHA-256 of `der` as openssl prints it ("AB:CD:…").
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// One DER element: tag and contents; `rest` follows it.
struct Tlv<'a> {
    tag: u8,
    body: &'a [u8],
    rest: &'a [u8],
}

fn tlv(d: &[u8]) -> Result<Tlv<'_>, String> {
    let (&tag, d) = d.split_first().ok_or("truncated DER (tag)")?;
    let (&l0, d) = d.split_first().ok_or("truncated DER (length)")?;
    let (len, d) = if l0 < 0x80 {
        (usize::from(l0), d)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 || d.len() < n {
            return Err("bad DER length".into());
        }
        (d[..n].iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)), &d[n..])
    };
    if d.len() < len {
        return Err("truncated DER (contents)".into());
    }
    Ok(Tlv { tag, body: &d[..len], rest: &d[len..] })
}

fn expect<'a>(d: &'a [u8], tag: u8, what: &str) -> Result<Tlv<'a>, String> {
    let t = tlv(d)?;
    if t.tag == tag {
        Ok(t)
    } else {
        Err(format!("{what}: DER tag {:#04x}, expected {tag:#04x}", t.tag))
    }
}

const SEQ: u8 = 0x30;
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// Fingerprint, subject CN, subjectAltName and notAfter of a DER certificate.
pub fn parse(der: &[u8]) -> Result<CertInfo, String> {
    let cert = expect(der, SEQ, "Certificate")?;
    let tbs = expect(cert.body, SEQ, "TBSCertificate")?;
    let mut d = tbs.body;
    if tlv(d)?.tag == 0xa0 {
        d = tlv(d)?.rest; // version [0]
    }
    d = expect(d, 0x02, "serialNumber")?.rest;
    d = expect(d, SEQ, "signature")?.rest;
    d = expect(d, SEQ, "issuer")?.rest;
    let validity = expect(d, SEQ, "validity")?;
    let not_before = tlv(validity.body)?;
    let not_after_unix = time(&tlv(not_before.rest)?)?;
    let subject = expect(validity.rest, SEQ, "subject")?;
    let subject_cn = common_name(subject.body)?;
    let mut d = expect(subject.rest, SEQ, "subjectPublicKeyInfo")?.rest;
    let mut names = Vec::new();
    while !d.is_empty() {
        let t = tlv(d)?;
        if t.tag == 0xa3 {
            names = san(expect(t.body, SEQ, "extensions")?.body)?;
        }
        d = t.rest;
    }
    Ok(CertInfo {
        sha256: fingerprint(&der[..der.len() - cert.rest.len()]),
        subject_cn,
        names,
        not_after_unix,
        not_after: UtcTime::from_unix(not_after_unix, 0).rfc3339_millis().replace(".000", ""),
    })
}

fn common_name(mut rdns: &[u8]) -> Result<Option<String>, String> {
    while !rdns.is_empty() {
        let set = expect(rdns, 0x31, "RDN")?;
        let mut atvs = set.body;
        while !atvs.is_empty() {
            let atv = expect(atvs, SEQ, "AttributeTypeAndValue")?;
            let oid = expect(atv.body, 0x06, "attribute type")?;
            if oid.body == OID_CN {
                return Ok(Some(String::from_utf8_lossy(tlv(oid.rest)?.body).into_owned()));
            }
            atvs = atv.rest;
        }
        rdns = set.rest;
    }
    Ok(None)
}

fn san(mut exts: &[u8]) -> Result<Vec<String>, String> {
    while !exts.is_empty() {
        let ext = expect(exts, SEQ, "Extension")?;
        let oid = expect(ext.body, 0x06, "extnID")?;
        if oid.body == OID_SAN {
            let mut v = tlv(oid.rest)?;
            if v.tag == 0x01 {
                v = tlv(v.rest)?; // critical
            }
            let mut gns = expect(v.body, SEQ, "GeneralNames")?.body;
            let mut names = Vec::new();
            while !gns.is_empty() {
                let gn = tlv(gns)?;
                match (gn.tag, gn.body.len()) {
                    (0x82, _) => names.push(String::from_utf8_lossy(gn.body).into_owned()),
                    (0x87, 4) => names.push(
                        std::net::Ipv4Addr::from(<[u8; 4]>::try_from(gn.body).unwrap_or_default())
                            .to_string(),
                    ),
                    (0x87, 16) => names.push(
                        std::net::Ipv6Addr::from(<[u8; 16]>::try_from(gn.body).unwrap_or_default())
                            .to_string(),
                    ),
                    _ => {}
                }
                gns = gn.rest;
            }
            return Ok(names);
        }
        exts = ext.rest;
    }
    Ok(Vec::new())
}

/// UTCTime (YYMMDDHHMMSSZ, years 1950–2049 per RFC 5280 §4.1.2.5.1) or GeneralizedTime
/// (YYYYMMDDHHMMSSZ) to Unix seconds.
fn time(t: &Tlv) -> Result<i64, String> {
    let s = std::str::from_utf8(t.body).map_err(|_| "time is not ASCII")?;
    let digits = s.strip_suffix('Z').filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    let (year, rest) = match (t.tag, digits) {
        (0x17, Some(d)) if d.len() == 12 => {
            let yy: i32 = d[..2].parse().map_err(|_| "bad year")?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &d[2..])
        }
        (0x18, Some(d)) if d.len() == 14 => (d[..4].parse().map_err(|_| "bad year")?, &d[4..]),
        _ => return Err(format!("notAfter `{s}` is not a UTC time")),
    };
    let n = |i: usize| rest[i..i + 2].parse::<u8>().unwrap_or(255);
    let date = Date::new(year, n(0), n(2)).ok_or_else(|| format!("notAfter `{s}`: bad date"))?;
    let tod = TimeOfDay::new(n(4), n(6), n(8), 0).ok_or_else(|| format!("notAfter `{s}`: bad time"))?;
    Ok(UtcTime::new(date, tod).unix().0)
}

#[cfg(test)]
mod tests;
