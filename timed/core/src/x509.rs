//! X.509 certificates (RFC 5280), decoded as far as an owner needs to hand one to clients and
//! keep it valid: PEM to DER (RFC 7468), the subject's commonName, the subjectAltName DNS names
//! and addresses, and notAfter as Unix seconds. Parses only the DER it needs (RFC 5280 §4.1: the
//! TBSCertificate's validity, subject and extensions); no signature is checked (the daemon shows
//! the appliance's own NTS certificate, it does not trust it). Damaged input is an error naming
//! the element, never a panic.
//!
//! Must not depend on: files, clocks or any I/O (the caller reads the file and brings the time),
//! nor on a hash crate (the daemon fingerprints the DER span [`Certificate::len`] names).

use crate::time::{Date, TimeOfDay, UtcTime};

/// What a certificate says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The subject's commonName, when it has one.
    pub subject_cn: Option<String>,
    /// subjectAltName DNS names and IP addresses (what clients may name the server by).
    pub names: Vec<String>,
    /// notAfter, Unix seconds.
    pub not_after_unix: i64,
    /// Bytes of the DER given to [`parse`] that the certificate occupies.
    pub len: usize,
}

/// The first `CERTIFICATE` block of a PEM file (RFC 7468), decoded.
pub fn pem_to_der(text: &str) -> Result<Vec<u8>, String> {
    let start = text.find("-----BEGIN CERTIFICATE-----").ok_or("no BEGIN CERTIFICATE line")?;
    let body = &text[start + "-----BEGIN CERTIFICATE-----".len()..];
    let end = body.find("-----END CERTIFICATE-----").ok_or("no END CERTIFICATE line")?;
    crate::base64::decode(&body[..end])
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

/// Subject CN, subjectAltName and notAfter of a DER certificate, and how many bytes of `der`
/// it occupies (what a fingerprint covers: anything after it is not part of it).
pub fn parse(der: &[u8]) -> Result<Certificate, String> {
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
    Ok(Certificate { subject_cn, names, not_after_unix, len: der.len() - cert.rest.len() })
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
