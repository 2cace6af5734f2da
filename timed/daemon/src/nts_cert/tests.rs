//! Fingerprint, expiry string and states against certificates openssl made (the core's
//! x509/testdata/README.md), with openssl run again at test time on the same files as the
//! reference for the fingerprint and the expiry. The decoding's own tests are the core's.

use super::*;
use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/src/x509/testdata");

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()
}

/// `openssl x509 -in FILE -noout ARGS`, the value after '='.
fn openssl(name: &str, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-in", &format!("{DIR}/{name}"), "-noout"])
        .args(args)
        .output()
        .expect("openssl (apt openssl) must be installed for this test");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim().split_once('=').unwrap().1.to_string()
}

fn info(name: &str) -> CertInfo {
    parse(&pem_to_der(&file(name)).unwrap()).unwrap()
}

#[test]
fn fingerprint_is_openssls() {
    for name in ["nts.crt", "far.crt"] {
        assert_eq!(info(name).sha256, openssl(name, &["-fingerprint", "-sha256"]), "{name}");
    }
    // And the one recorded when the certificate was made (timed-nts-cert printed the same).
    assert_eq!(info("nts.crt").sha256, file("nts.crt.sha256").trim());
}

#[test]
fn not_after_is_openssls() {
    for name in ["nts.crt", "far.crt"] {
        // "2036-12-01 20:05:18Z" -> "2036-12-01T20:05:18Z"
        let want = openssl(name, &["-enddate", "-dateopt", "iso_8601"]).replace(' ', "T");
        assert_eq!(info(name).not_after, want, "{name}");
    }
    // The fingerprint covers the certificate alone, not what follows it in the buffer.
    let mut der = pem_to_der(&file("nts.crt")).unwrap();
    der.push(0);
    assert_eq!(parse(&der).unwrap().sha256, file("nts.crt.sha256").trim());
}

const CRT: &str = "/var/lib/timed/nts/nts.crt";

fn judge(read: Read, chrony: ChronyRef, now: i64) -> NtsCert {
    assess(Path::new(CRT), read, chrony, now)
}

#[test]
fn states() {
    let end = info("nts.crt").not_after_unix;
    let text = || Read::Text(file("nts.crt"));
    let ours = || ChronyRef::Cert(CRT.into());
    let year_before = end - 365 * 86_400;

    let ok = judge(text(), ours(), year_before);
    assert_eq!((ok.state, ok.reason.is_none()), (NtsState::Ok, true));
    assert_eq!(ok.cert.unwrap().sha256, file("nts.crt.sha256").trim());

    let soon = judge(text(), ours(), end - 10 * 86_400);
    assert_eq!(soon.state, NtsState::Expiring);
    assert!(soon.reason.unwrap().contains("expires in 10 days"));
    // Exactly 30 days left is no longer a warning.
    assert_eq!(judge(text(), ours(), end - WARN_DAYS * 86_400).state, NtsState::Ok);

    let gone = judge(text(), ours(), end);
    assert_eq!(gone.state, NtsState::Expired);
    assert!(gone.cert.is_some(), "an expired certificate still shows its fingerprint");

    let other = judge(text(), ChronyRef::Cert("/etc/ssl/other.pem".into()), year_before);
    assert_eq!(other.state, NtsState::ChronyElsewhere);
    assert!(other.reason.unwrap().contains("/etc/ssl/other.pem"));
    assert_eq!(judge(text(), ChronyRef::None, year_before).state, NtsState::ChronyElsewhere);
    // chrony.conf unreadable: the certificate is judged alone.
    assert_eq!(judge(text(), ChronyRef::Unknown, year_before).state, NtsState::Ok);

    let missing = judge(Read::Missing, ours(), year_before);
    assert_eq!(missing.state, NtsState::Missing);
    assert!(missing.reason.unwrap().contains(CRT));
    assert_eq!(judge(Read::Unreadable("denied".into()), ours(), 0).state, NtsState::Unreadable);
    assert_eq!(judge(Read::Text("hello".into()), ours(), 0).state, NtsState::Invalid);
}

/// `name()` and the serde name are one fact written twice: held equal for every state.
#[test]
fn name_is_the_serde_name() {
    let all = [
        NtsState::Ok,
        NtsState::ChronyElsewhere,
        NtsState::Expiring,
        NtsState::Expired,
        NtsState::Missing,
        NtsState::Unreadable,
        NtsState::Invalid,
    ];
    for s in all {
        // A new variant makes this match non-exhaustive, so it joins `all` above.
        match s {
            NtsState::Ok
            | NtsState::ChronyElsewhere
            | NtsState::Expiring
            | NtsState::Expired
            | NtsState::Missing
            | NtsState::Unreadable
            | NtsState::Invalid => {}
        }
        assert_eq!(serde_json::to_value(s).unwrap(), s.name(), "{s:?}");
    }
}

#[test]
fn json_names_are_kebab_case() {
    let v = serde_json::to_value(judge(Read::Missing, ChronyRef::None, 0)).unwrap();
    assert_eq!(v["state"], "missing");
    assert_eq!(v["cert"], serde_json::Value::Null);
    let e = serde_json::to_value(NtsState::ChronyElsewhere).unwrap();
    assert_eq!(e, NtsState::ChronyElsewhere.name());
}
