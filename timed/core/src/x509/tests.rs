//! The decoder against certificates openssl made (testdata/README.md). The daemon's
//! `nts_cert` tests run openssl again at test time for the fingerprint and the expiry string.

use super::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/x509/testdata");

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()
}

fn cert(name: &str) -> Certificate {
    parse(&pem_to_der(&file(name)).unwrap()).unwrap()
}

#[test]
fn not_after_in_both_time_forms() {
    // UTCTime (before 2050) and GeneralizedTime (after) both reach Unix seconds; openssl's
    // `-enddate` for them is 2036-12-01 20:05:18Z and 2052-12-07 20:05:23Z.
    assert_eq!(cert("nts.crt").not_after_unix, 2_111_774_718);
    assert_eq!(cert("far.crt").not_after_unix, 2_617_214_723);
}

#[test]
fn names_from_subject_and_san() {
    let i = cert("nts.crt");
    assert_eq!(i.subject_cn.as_deref(), Some("vm"));
    assert_eq!(i.names, ["vm", "vm.local", "timebox.example", "192.168.1.5", "fd00::5"]);
    let f = cert("far.crt");
    assert_eq!(f.subject_cn.as_deref(), Some("far.example"));
    assert!(f.names.is_empty());
}

/// The certificate's span excludes anything after it (what the fingerprint covers).
#[test]
fn len_is_the_certificates_own_span() {
    let mut der = pem_to_der(&file("nts.crt")).unwrap();
    let whole = der.len();
    assert_eq!(parse(&der).unwrap().len, whole);
    der.extend_from_slice(&[0, 0, 0]);
    assert_eq!(parse(&der).unwrap().len, whole);
}

/// Every truncation and a flipped length byte give an error, never a panic.
#[test]
fn damaged_der_is_an_error() {
    let der = pem_to_der(&file("nts.crt")).unwrap();
    for n in 0..der.len() {
        assert!(parse(&der[..n]).is_err(), "a {n}-byte prefix parsed");
    }
    let mut bad = der.clone();
    bad[1] = 0x85;
    assert!(parse(&bad).is_err());
    assert!(pem_to_der("-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----").is_err());
    assert!(pem_to_der("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
}
