use super::*;
use crate::doctor::system::Proc;
use crate::doctor::testutil::{self, conf, facts, TOML};
use crate::doctor::Status;
use timed::chronyctl::Report;

fn fix(c: &Check) -> &str {
    c.fix.as_deref().unwrap_or_default()
}

fn chronyd(pid: u32, config: &str, steers: bool, text: &str) -> Chronyd {
    let args = vec!["chronyd".to_string(), "-f".into(), config.into()];
    Chronyd {
        proc_: Proc { pid, comm: "chronyd".into(), args, uid: 0, gids: vec![0] },
        config: config.into(),
        steers,
        conf: Ok(super::super::chrony_conf::parse(Path::new(config), text)),
    }
}

fn report(refclocks: &[&str]) -> Report {
    let v: Vec<(&str, &str, f64)> = refclocks.iter().map(|n| (*n, "refclock", 0.0)).collect();
    testutil::report(&v)
}

const GOOD: &str = "confdir /etc/chrony/conf.d\nmakestep 1 3\n\
                    refclock SOCK /run/chrony/timed-pps.sock refid PPS poll 2 precision 1e-7 prefer\n\
                    refclock SOCK /run/chrony/timed-coarse.sock refid GPS poll 2 noselect\n";

fn good() -> Facts {
    let mut f = facts(TOML);
    f.chrony_conf = Ok(conf(GOOD));
    f.chronyds = vec![chronyd(40, "/etc/chrony/chrony.conf", true, GOOD)];
    f.chrony = Ok(report(&["PPS", "GPS"]));
    f
}

fn by_id(f: &Facts, id: &str) -> Check {
    all(f).into_iter().chain([makestep(f)]).find(|c| c.id == id).unwrap()
}

#[test]
fn a_good_set_up_passes() {
    let f = good();
    for c in all(&f).into_iter().chain([makestep(&f)]) {
        assert_eq!(c.status, Status::Ok, "{c:?}");
    }
    assert_eq!(
        by_id(&f, "chrony-refclock-pps").message,
        "/etc/chrony/chrony.conf:3: `refclock SOCK /run/chrony/timed-pps.sock refid PPS poll 2 precision 1e-7 prefer` \
         reads timed's PPS samples, loaded by chronyd"
    );
    assert_eq!(
        by_id(&f, "chronyd-reachable").message,
        "chronyd answers on /run/chrony/chronyd.sock: stratum 1, reference PPS"
    );
    assert!(by_id(&f, "chronyd-running")
        .message
        .starts_with("chronyd pid 40 (-f /etc/chrony/chrony.conf) runs with config"));
}

#[test]
fn conf_unreadable_or_refused() {
    let f = facts(TOML);
    let c = by_id(&f, "chrony-conf");
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.message.starts_with("cannot read /etc/chrony/chrony.conf") && fix(&c).contains("--chrony-conf")
    );
    for id in ["chrony-refclock-pps", "chrony-refclock-coarse", "makestep"] {
        assert_eq!(by_id(&f, id).status, Status::Skip, "{id}");
    }
    let mut f = good();
    f.chrony_conf = Ok(conf("makestep 1\n"));
    let c = by_id(&f, "chrony-conf");
    assert!(c
        .message
        .contains("/etc/chrony/chrony.conf:1: `makestep 1`: makestep needs a threshold and a limit"));
}

#[test]
fn chronyd_stopped_and_someone_elses_chronyd() {
    let mut f = good();
    f.chronyds.clear();
    f.chrony =
        Err("chronyd at /run/chrony/chronyd.sock: cannot reach chronyd: No such file or directory".into());
    let c = by_id(&f, "chronyd-running");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.message,
        "chronyd is not running with /etc/chrony/chrony.conf or the command socket /run/chrony/chronyd.sock"
    );
    assert!(fix(&c).starts_with("start it: systemctl start chrony"));
    assert_eq!(by_id(&f, "chronyd-second").status, Status::Skip);
    let c = by_id(&f, "chronyd-reachable");
    assert_eq!((c.status, fix(&c)), (Status::Fail, "start chronyd (see chronyd-running)"));
    // A lab's chronyd -x with its own files is not ours.
    f.chronyds = vec![chronyd(
        77,
        "/tmp/lab/chrony.conf",
        false,
        "bindcmdaddress /tmp/lab/c.sock\nrefclock SOCK /tmp/lab/pps.sock\n",
    )];
    let c = by_id(&f, "chronyd-running");
    assert!(
        c.message.ends_with("other chronyds run with other files: pid 77 (-f /tmp/lab/chrony.conf, -x)"),
        "{c:?}"
    );
}

#[test]
fn a_second_chronyd_on_timed_sockets_or_the_clock() {
    let mut f = good();
    let thief = "bindcmdaddress /tmp/x/c.sock\npidfile /tmp/x/c.pid\nrefclock SOCK /run/chrony/timed-pps.sock refid PPS\n";
    f.chronyds.push(chronyd(41, "/tmp/x/chrony.conf", false, thief));
    let c = by_id(&f, "chronyd-second");
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.starts_with("2 chronyd processes use timed's set-up:"), "{c:?}");
    assert!(c
        .message
        .contains("pid 41 (-f /tmp/x/chrony.conf, -x) sharing refclock SOCK /run/chrony/timed-pps.sock"));
    assert!(fix(&c).contains("(kill 41)") && fix(&c).contains("systemctl restart chrony"), "{c:?}");
    // Two chronyds steering the clock fight whatever their files.
    let mut f = good();
    f.chronyds.push(chronyd(42, "/etc/other.conf", true, "server ntp.example\n"));
    let c = by_id(&f, "chronyd-second");
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.starts_with("2 chronyd processes steer the system clock: pid 40"), "{c:?}");
    let mut f = good();
    f.chronyds.push(chronyd(43, "/tmp/lab/chrony.conf", false, "bindcmdaddress /tmp/lab/c.sock\n"));
    let c = by_id(&f, "chronyd-second");
    assert_eq!(c.status, Status::Ok);
    assert!(c.message.ends_with("1 other chronyd (-x or their own files) ignored"), "{c:?}");
}

#[test]
fn unreachable_with_a_different_command_socket_in_chrony_conf() {
    let mut f = good();
    let text = format!("{GOOD}bindcmdaddress /run/chrony/other.sock\n");
    f.chrony_conf = Ok(conf(&text));
    f.chronyds = vec![chronyd(40, "/etc/chrony/chrony.conf", true, &text)];
    f.chrony = Err("chronyd at /run/chrony/chronyd.sock: No such file or directory".into());
    let c = by_id(&f, "chronyd-reachable");
    assert_eq!(c.status, Status::Fail);
    assert!(fix(&c).contains("set [chrony] command_socket = \"/run/chrony/other.sock\""), "{c:?}");
}

#[test]
fn refclock_missing_mismatched_stale_noselect_and_in_sourcedir() {
    let mut f = good();
    f.chrony_conf = Ok(conf("confdir /etc/chrony/conf.d\nmakestep 1 3\n"));
    let c = by_id(&f, "chrony-refclock-pps");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.message,
        "/etc/chrony/chrony.conf has no `refclock SOCK /run/chrony/timed-pps.sock`: chronyd does not read the PPS \
         samples timed sends there ([chrony.sock] pps, the default; [chrony.sock] pps is not set in \
         /etc/timed/timed.toml)"
    );
    assert_eq!(
        fix(&c),
        "add `refclock SOCK /run/chrony/timed-pps.sock refid PPS poll 2 precision 1e-7 prefer` to \
         /etc/chrony/conf.d/timed.conf and restart chronyd (systemctl restart chrony)"
    );
    assert!(fix(&by_id(&f, "chrony-refclock-coarse")).contains("refid GPS poll 2 noselect"));

    f.chrony_conf = Ok(conf("refclock SOCK /run/chrony/pps.sock refid PPS\n"));
    let c = by_id(&f, "chrony-refclock-pps");
    assert!(
        c.message
            .starts_with("timed sends PPS samples to SOCK /run/chrony/timed-pps.sock ([chrony.sock] pps"),
        "{c:?}"
    );
    assert!(c.message.ends_with(
        "but chrony.conf reads /etc/chrony/chrony.conf:1: `refclock SOCK /run/chrony/pps.sock refid PPS`"
    ));
    assert_eq!(
        fix(&c),
        "make them the same: set [chrony.sock] pps = \"/run/chrony/pps.sock\" in /etc/timed/timed.toml and restart \
         timed, or change /etc/chrony/chrony.conf:1 to `refclock SOCK /run/chrony/timed-pps.sock refid PPS poll 2 \
         precision 1e-7 prefer` and restart chronyd"
    );
    // A coarse check does not offer the PPS refclock as its own.
    let c = by_id(&f, "chrony-refclock-coarse");
    assert!(c.message.contains("has no `refclock SOCK /run/chrony/timed-coarse.sock`"), "{c:?}");

    // In chrony.conf but not in the running chronyd: added without a restart.
    let mut f = good();
    f.chrony = Ok(report(&["GPS"]));
    let c = by_id(&f, "chrony-refclock-pps");
    assert!(c.message.contains("the running chronyd has no refclock PPS (its refclocks: GPS)"), "{c:?}");
    assert_eq!(fix(&c), "restart chronyd so it reads its configuration again: systemctl restart chrony");

    let mut f = good();
    f.chrony_conf = Ok(conf("refclock SOCK /run/chrony/timed-pps.sock refid PPS noselect\n"));
    f.chrony = Ok(report(&["PPS"]));
    assert_eq!(by_id(&f, "chrony-refclock-pps").status, Status::Warn);

    let mut c2 = conf("");
    let mut r = conf("refclock SOCK /run/chrony/timed-pps.sock refid PPS\n").refclocks.remove(0);
    r.in_sourcedir = true;
    c2.refclocks.push(r);
    let mut f = good();
    f.chrony_conf = Ok(c2);
    assert!(by_id(&f, "chrony-refclock-pps").message.contains("sourcedir .sources file"));
}

#[test]
fn refclock_shm_units_and_outputs_switched_off() {
    let toml = "[chrony.sock]\npps = \"\"\ncoarse = \"\"\n[chrony.shm]\nenabled = true\ncoarse_unit = 0\npps_unit = 1\n";
    let mut f = facts(toml);
    f.chrony_conf = Ok(conf("refclock SHM 0 refid GPS noselect\n"));
    f.chrony = Ok(report(&["GPS"]));
    assert_eq!(by_id(&f, "chrony-refclock-coarse").status, Status::Ok);
    let c = by_id(&f, "chrony-refclock-pps");
    assert!(
        c.message.starts_with(
            "/etc/chrony/chrony.conf has no `refclock SHM 1`: chronyd does not read the PPS samples timed sends \
             there ([chrony.shm] pps_unit, /etc/timed/timed.toml:7)"
        ),
        "{c:?}"
    );
    assert!(fix(&c).starts_with("add `refclock SHM 1 refid PPS poll 2 precision 1e-7 prefer`"), "{c:?}");
    // A PPS refclock on another unit is named, with the exact setting to change.
    f.chrony_conf = Ok(conf("refclock SHM 0 refid GPS noselect\nrefclock SHM 2 refid PPS prefer\n"));
    let c = by_id(&f, "chrony-refclock-pps");
    assert!(
        c.message
            .starts_with("timed sends PPS samples to SHM 1 ([chrony.shm] pps_unit, /etc/timed/timed.toml:7)"),
        "{c:?}"
    );
    assert!(fix(&c).contains("set [chrony.shm] pps_unit = 2 in /etc/timed/timed.toml"), "{c:?}");
    let f = facts("[chrony.sock]\npps = \"/run/chrony/timed-pps.sock\"\ncoarse = \"\"\n");
    let mut f2 = f;
    f2.chrony_conf = Ok(conf(GOOD));
    assert_eq!(by_id(&f2, "chrony-refclock-coarse").status, Status::Skip);
}

#[test]
fn makestep_for_a_box_without_rtc() {
    let mut f = good();
    f.chrony_conf = Ok(conf("confdir /etc/chrony/conf.d\n"));
    let c = makestep(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c
        .message
        .starts_with("no makestep in /etc/chrony/chrony.conf or its includes: chronyd only slews"));
    assert!(c.message.contains("no RTC (/sys/class/rtc is empty)"), "{c:?}");
    assert!(fix(&c).starts_with("add `makestep 1 3` to /etc/chrony/conf.d/timed.conf"), "{c:?}");
    f.rtcs = vec!["rtc0".into()];
    assert_eq!(makestep(&f).status, Status::Warn, "an RTC keeps time across reboots");
    f.rtcs.clear();
    f.chrony_conf = Ok(conf("makestep 1 0\n"));
    assert!(makestep(&f).message.contains("/etc/chrony/chrony.conf:1: makestep 1 0 never steps"));
    f.chrony_conf = Ok(conf("makestep 1000 3\n"));
    let c = makestep(&f);
    assert_eq!(c.status, Status::Warn);
    assert!(c.message.contains("taking up to 12000 s"), "{c:?}");
    f.chrony_conf = Ok(conf("makestep 0.1 -1\n"));
    assert_eq!(makestep(&f).message, "/etc/chrony/chrony.conf:1: makestep 0.1 -1 (steps whenever needed)");
}

/// chronyd down and no --chrony-conf: the doctor reads the default file but must not send the
/// user to edit it (chronyd may be started with another one): it says chronyd is not running
/// and which file it could not confirm.
#[test]
fn chronyd_down_the_default_file_is_not_confirmed() {
    let mut f = facts(TOML);
    f.chrony_conf = Ok(conf("confdir /etc/chrony/conf.d\n"));
    f.chrony_conf_why = "the default: no running chronyd listens on the command socket".into();
    f.chrony_conf_confirmed = false;
    for id in ["chrony-refclock-pps", "makestep"] {
        let c = by_id(&f, id);
        assert_eq!(c.status, Status::Skip, "{c:?}");
        assert!(
            c.message.starts_with(
                "chronyd is not running, so which configuration it reads cannot be confirmed; \
                 /etc/chrony/chrony.conf is only the default"
            ),
            "{c:?}"
        );
        assert!(c.message.contains("--chrony-conf FILE"), "{c:?}");
        assert_eq!(c.fix, None, "no advice about a file chronyd may not read: {c:?}");
    }
    // What the default file does have is reported, marked unconfirmed.
    f.chrony_conf = Ok(conf(GOOD));
    let c = by_id(&f, "chrony-refclock-pps");
    assert_eq!(c.status, Status::Ok, "{c:?}");
    assert!(c.message.ends_with("(unconfirmed: chronyd is not running)"), "{c:?}");
    // Named with --chrony-conf, the same file is judged as before.
    f.chrony_conf = Ok(conf("confdir /etc/chrony/conf.d\n"));
    f.chrony_conf_confirmed = true;
    let c = by_id(&f, "chrony-refclock-pps");
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(fix(&c).starts_with("add `refclock SOCK"), "{c:?}");
}

#[test]
fn a_hung_chronyd_is_not_reported_as_answering() {
    let mut f = good();
    f.chrony = Ok(Report {
        state: timed::chronyctl::ChronydState::Unresponsive,
        ..Report::down("chronyd did not answer command 33 within 300ms".into())
    });
    let c = by_id(&f, "chronyd-reachable");
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert_eq!(
        c.message,
        "chronyd does not answer on /run/chrony/chronyd.sock: chronyd did not answer command 33 within 300ms"
    );
    assert!(fix(&c).contains("kill -CONT"), "{c:?}");
}

/// Without a PPS wire ([pps] source = "off") a `noselect` coarse refclock leaves chronyd with no
/// GPS time at all (the lab: GPS reach 377, stratum 0): failing, with the selectable line.
#[test]
fn coarse_only_needs_a_selectable_coarse_refclock() {
    let toml = TOML.replace("source = \"kernel\"", "source = \"off\"");
    let mut f = facts(&toml);
    f.chrony_conf = Ok(conf(GOOD));
    f.chronyds = vec![chronyd(40, "/etc/chrony/chrony.conf", true, GOOD)];
    f.chrony = Ok(report(&["PPS", "GPS"]));
    let c = by_id(&f, "chrony-refclock-coarse");
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.message.contains("is noselect and [pps] source = \"off\" (/etc/timed/timed.toml:7)"), "{c:?}");
    assert!(fix(&c).contains("timectl board chrony BOARD --pps off"), "{c:?}");
    let coarse_only = "refclock SOCK /run/chrony/timed-coarse.sock refid GPS poll 2 delay 0.2\n";
    f.chrony_conf = Ok(conf(coarse_only));
    f.chronyds = vec![chronyd(40, "/etc/chrony/chrony.conf", true, coarse_only)];
    f.chrony = Ok(report(&["GPS"]));
    assert_eq!(by_id(&f, "chrony-refclock-coarse").status, Status::Ok);
    // No coarse line at all: the fix offers the selectable one.
    f.chrony_conf = Ok(conf("confdir /etc/chrony/conf.d\n"));
    assert!(fix(&by_id(&f, "chrony-refclock-coarse")).contains("refid GPS poll 2 delay 0.2`"));
}
