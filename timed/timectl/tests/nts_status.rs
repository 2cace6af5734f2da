//! `timectl status` and `status --json` show the NTS certificate timed.toml's `[nts] cert` names,
//! compared with chronyd's `ntsservercert` in the chrony.conf given. No timed runs (its state is
//! simply unavailable); the certificate is one systemd/nts/timed-nts-cert made, and its
//! fingerprint is checked against the real openssl run now on the same file.
#![forbid(unsafe_code)]
// Test helpers: a failed set-up step is the test failing.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use timed_lab::Scratch;

const BIN: &str = env!("CARGO_BIN_EXE_timectl");

fn cert() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src/x509/testdata/nts.crt").canonicalize().unwrap()
}

fn openssl_fingerprint(p: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(p)
        .output()
        .expect("openssl (apt openssl)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().split_once('=').unwrap().1.to_string()
}

/// `timectl status [--json]` with timed.toml naming `cert` and chrony.conf `conf`.
fn status(d: &Scratch, cert: &Path, conf: &str, json: bool) -> String {
    let toml = d.join("timed.toml");
    std::fs::write(&toml, format!("[nts]\ncert = \"{}\"\n", cert.display())).unwrap();
    let chrony = d.join("chrony.conf");
    std::fs::write(&chrony, conf).unwrap();
    let mut c = Command::new(BIN);
    c.arg("--socket").arg(d.join("no-timed.sock")).arg("--chrony-socket").arg(d.join("no-chronyd.sock"));
    if json {
        c.arg("--json");
    }
    let out = c.arg("status").arg("--config").arg(&toml).arg("--chrony-conf").arg(&chrony).output().unwrap();
    // No timed: FAILING (2), whatever the certificate says.
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn status_shows_the_fingerprint_names_and_expiry() {
    let d = Scratch::new("timectl-nts").unwrap();
    let crt = cert();
    let fp = openssl_fingerprint(&crt);
    let conf = format!("ntsservercert {}\n", crt.display());
    let text = status(&d, &crt, &conf, false);
    assert!(text.contains(&format!("nts       certificate {} ok\n", crt.display())), "{text}");
    assert!(text.contains(&format!("          SHA-256 {fp}\n")), "{text}");
    assert!(text.contains("not after 2036-12-01T20:05:18Z"), "{text}");

    let v: serde_json::Value = serde_json::from_str(&status(&d, &crt, &conf, true)).unwrap();
    let n = &v["nts"];
    assert_eq!(n["state"], "ok", "{n:#}");
    assert_eq!(n["cert"]["sha256"], fp.as_str());
    assert_eq!(n["cert"]["names"][2], "timebox.example");
    assert_eq!(n["chrony_cert"], crt.to_str().unwrap());
    assert_eq!(n["reason"], serde_json::Value::Null);
}

#[test]
fn status_warns_when_chrony_serves_another_or_the_file_is_missing() {
    let d = Scratch::new("timectl-nts").unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&status(&d, &cert(), "ntsservercert /etc/ssl/other.pem\n", true)).unwrap();
    assert_eq!(v["nts"]["state"], "chrony-elsewhere", "{:#}", v["nts"]);
    let gone = d.join("nts.crt");
    let text = status(&d, &gone, "", false);
    assert!(text.contains(&format!("nts       certificate {} MISSING\n", gone.display())), "{text}");
    assert!(text.contains("run timed-nts-cert"), "{text}");
}
