//! The certificate read from disk as status and the doctor do, with a certificate
//! systemd/nts/timed-nts-cert made (the daemon library's testdata) and chrony.conf text parsed
//! by the doctor's own parser.

use super::*;
use crate::doctor::chrony_conf;
use crate::doctor::Status;
use std::path::PathBuf;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../core/src/x509/testdata")).join(name)
}

fn conf(text: &str) -> ChronyConf {
    chrony_conf::parse(Path::new("/etc/chrony/chrony.conf"), text)
}

#[test]
fn status_lines_name_the_fingerprint_and_the_expiry() {
    let crt = testdata("nts.crt");
    let c = conf(&format!("ntsservercert /elsewhere.pem\nntsservercert {}\n", crt.display()));
    let n = look(&crt, Ok(&c)).unwrap();
    assert_eq!(n.state, NtsState::Ok, "{n:?}");
    assert_eq!(n.chrony_cert.as_deref(), Some(crt.as_path()), "the last ntsservercert counts");
    let mut o = String::new();
    render(&mut o, &n);
    let fp = std::fs::read_to_string(testdata("nts.crt.sha256")).unwrap();
    assert!(o.contains(&format!("SHA-256 {}", fp.trim())), "{o}");
    assert!(
        o.contains(
            "names vm, vm.local, timebox.example, 192.168.1.5, fd00::5 · not after 2036-12-01T20:05:18Z"
        ),
        "{o}"
    );
    assert_eq!(check(Some(&n)).status, Status::Ok);
}

#[test]
fn chrony_serving_another_file_is_a_warning() {
    let crt = testdata("nts.crt");
    let n = look(&crt, Ok(&conf("ntsservercert /etc/ssl/other.pem\n"))).unwrap();
    assert_eq!(n.state, NtsState::ChronyElsewhere);
    let c = check(Some(&n));
    assert_eq!(c.status, Status::Warn);
    assert!(c.message.contains("/etc/ssl/other.pem"), "{}", c.message);
    let none = look(&crt, Ok(&conf("pool 2.debian.pool.ntp.org\n"))).unwrap();
    assert_eq!((none.state, check(Some(&none)).status), (NtsState::ChronyElsewhere, Status::Warn));
}

#[test]
fn missing_and_invalid_fail_the_doctor() {
    let gone = look(Path::new("/nonexistent/nts.crt"), Err(&"unreadable".to_string())).unwrap();
    assert_eq!(gone.state, NtsState::Missing);
    let c = check(Some(&gone));
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.unwrap().contains("timed-nts-cert"));
    let bad = look(&testdata("README.md"), Err(&String::new())).unwrap();
    assert_eq!((bad.state, check(Some(&bad)).status), (NtsState::Invalid, Status::Fail));
    let mut o = String::new();
    render(&mut o, &gone);
    assert!(o.contains("MISSING") && o.contains("run timed-nts-cert"), "{o}");
}

#[test]
fn expiry_states_judge_the_doctor() {
    let text = std::fs::read_to_string(testdata("nts.crt")).unwrap();
    let end = timed::nts_cert::parse(&timed::nts_cert::pem_to_der(&text).unwrap()).unwrap().not_after_unix;
    let at =
        |now| nts_cert::assess(Path::new("/c"), Read::Text(text.clone()), ChronyRef::Cert("/c".into()), now);
    assert_eq!(check(Some(&at(end - 86_400))).status, Status::Warn);
    assert_eq!(check(Some(&at(end + 1))).status, Status::Fail);
    assert_eq!(check(None).status, Status::Skip);
    assert!(look(Path::new(""), Err(&String::new())).is_none(), "[nts] cert = \"\" shows nothing");
}

#[test]
fn a_symbolic_link_to_the_same_file_is_the_same_certificate() {
    let d = timed_lab::Scratch::new("timectl-nts-link").unwrap();
    let link = d.join("served.pem");
    std::os::unix::fs::symlink(testdata("nts.crt"), &link).unwrap();
    let n = look(&testdata("nts.crt"), Ok(&conf(&format!("ntsservercert {}\n", link.display())))).unwrap();
    assert_eq!(n.state, NtsState::Ok, "{n:?}");
    let other = d.join("other.pem");
    std::fs::copy(testdata("far.crt"), &other).unwrap();
    let n = look(&testdata("nts.crt"), Ok(&conf(&format!("ntsservercert {}\n", other.display())))).unwrap();
    assert_eq!(n.state, NtsState::ChronyElsewhere, "{n:?}");
}
