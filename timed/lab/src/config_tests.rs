//! The configuration files the lab writes.

use super::*;

/// Lines that start with whitespace: a string continuation (`\`) missing in the source. TOML
/// and chrony both accept them, so only this check notices; the files are meant to be read
/// (and copied from) by people.
fn indented(text: &str) -> Vec<String> {
    text.lines().filter(|l| l.starts_with(char::is_whitespace)).map(str::to_string).collect()
}

#[test]
fn generated_timed_toml_has_no_indented_lines() {
    for output in [Output::Sock, Output::Shm] {
        let opts = Options {
            output,
            metrics_port: Some(9477),
            configure: "apply".into(),
            receiver_setup: "time_mode = \"survey-in\"\nsurvey_min_s = 60\n".into(),
            ..Options::default()
        };
        let text = timed_toml(Path::new("/tmp/lab"), &opts);
        assert!(text.contains("[control]") && text.contains("[chrony.sock]"), "{text}");
        assert!(text.contains("configure = \"apply\"\n\n[receiver.setup]\ntime_mode = \"survey-in\"\nsurvey_min_s = 60\n\n["), "{text}");
        assert_eq!(indented(&text), Vec::<String>::new(), "timed.toml:\n{text}");
    }
}

#[test]
fn generated_chrony_conf_has_no_indented_lines() {
    let text =
        chrony_conf(Path::new("/tmp/lab"), &Options::default()) + &private_lines(Path::new("/tmp/lab"));
    assert!(text.contains("refclock SOCK /tmp/lab/pps.sock"), "{text}");
    assert_eq!(indented(&text), Vec::<String>::new(), "chrony.conf:\n{text}");
}

/// A board's rendered refclock lines replace the lab's two, with `{dir}` resolved; without a PPS
/// wire timed's `[pps] source` is "off".
#[test]
fn rendered_refclocks_and_pps_off() {
    let opts = Options {
        pps_off: true,
        chrony_refclocks: Some(
            "refclock SOCK {dir}/coarse.sock refid GPS poll 2 offset 0 delay 0.2\n".into(),
        ),
        ..Options::default()
    };
    let dir = Path::new("/tmp/lab");
    let conf = chrony_conf(dir, &opts);
    assert!(
        conf.contains("\nrefclock SOCK /tmp/lab/coarse.sock refid GPS poll 2 offset 0 delay 0.2\nlog "),
        "{conf}"
    );
    assert!(!conf.contains("pps.sock") && !conf.contains("noselect"), "{conf}");
    assert_eq!(indented(&conf), Vec::<String>::new(), "chrony.conf:\n{conf}");
    let toml = timed_toml(dir, &opts);
    assert!(toml.contains("[pps]\nsource = \"off\"\n"), "{toml}");
    assert!(timed_toml(dir, &Options::default()).contains("[pps]\nsource = \"simulated\"\n"));
}
