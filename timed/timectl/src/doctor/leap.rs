//! The `leap-list` check: the leap-seconds list timed reads (`[leap] list`) is readable, checks
//! out and has not expired, and chronyd has a leap source of its own (`leapsectz` or, from
//! chrony 4.6, `leapseclist`). A stale list is how a box serves a wrong second at the end of a
//! June or December: the receiver's word then stands alone, and chronyd without a leap source
//! takes the leap from its sources' flags only.

use super::chrony_conf::ChronyConf;
use super::gather::Facts;
use super::Check;
use std::path::PathBuf;
use timed_core::leaplist::LeapList;
use timed_core::time::Date;

const ID: &str = "leap-list";
/// How early to warn: tzdata updates reach a box through its normal upgrades, which a month
/// leaves room for; the IERS announces a leap about six months ahead.
pub const WARN_DAYS: i64 = 30;
const DAY_S: i64 = 86_400;

/// The list timed is configured to read, as loaded now.
pub struct LeapFacts {
    /// `[leap] list` (`None`: "" in timed.toml, no list used).
    pub path: Option<PathBuf>,
    /// Where that is set ("FILE:LINE" of timed.toml, or that the default applies).
    pub key_at: String,
    /// The list, or `FILE[:LINE]: problem`.
    pub list: Result<LeapList, String>,
    /// Whether the file chronyd's leap directive names exists (`None`: no directive).
    pub chrony_source_exists: Option<bool>,
    pub now_unix_s: i64,
}

pub fn leap_list(f: &Facts) -> Check {
    judge(&f.leap, f.chrony_conf.as_ref(), &f.chrony_conf_path, &drop_in(f))
}

/// Where a line for chronyd belongs: timed's drop-in in the first confdir, else chrony.conf.
fn drop_in(f: &Facts) -> PathBuf {
    let confdir = f.chrony_conf.as_ref().ok().and_then(|c| c.confdirs.first().cloned());
    confdir.map_or_else(|| f.chrony_conf_path.clone(), |d| d.join("timed.conf"))
}

fn day(unix_s: i64) -> String {
    let d = Date::from_days_since_unix_epoch(unix_s.div_euclid(DAY_S));
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// The verdict from the facts alone (pure, unit-tested): the worse of the list's and chronyd's.
pub fn judge(
    l: &LeapFacts,
    conf: Result<&ChronyConf, &String>,
    conf_path: &std::path::Path,
    drop_in: &std::path::Path,
) -> Check {
    let update = "update tzdata (apt update && apt install tzdata); timed reads the new list within a minute";
    let list = match (&l.path, &l.list) {
        (None, _) => Check::ok(ID, format!("no leap-seconds list ([leap] list = \"\" at {})", l.key_at)),
        (Some(_), Err(e)) => Check::fail(
            ID,
            format!("{e}: timed cannot check the receiver's leap indication"),
            format!(
                "reinstall tzdata (apt install --reinstall tzdata) or point [leap] list ({}) at a good copy",
                l.key_at
            ),
        ),
        (Some(p), Ok(list)) => {
            let expires = list.expires_unix_s();
            let left_days = (expires - l.now_unix_s).div_euclid(DAY_S);
            if list.is_expired(l.now_unix_s) {
                Check::fail(
                    ID,
                    format!(
                        "{} expired on {} ({} days ago): a leap second it does not show may be due",
                        p.display(),
                        day(expires),
                        -left_days
                    ),
                    update,
                )
            } else if expires - l.now_unix_s < WARN_DAYS * DAY_S {
                Check::warn(
                    ID,
                    format!("{} expires on {} (in {left_days} days)", p.display(), day(expires)),
                    update,
                )
            } else {
                Check::ok(ID, format!("{} is good until {}", p.display(), day(expires)))
            }
        }
    };
    let chrony = match conf {
        Err(_) => Check::skip(ID, "chrony.conf unreadable (see chrony-conf)"),
        Ok(c) => match (&c.leap_source, l.chrony_source_exists) {
            (Some((at, d, arg)), Some(false)) => Check::warn(
                ID,
                format!("{at}: {d} {arg} names a file that does not exist, so chronyd has no leap source"),
                "install tzdata, or use `leapsectz right/UTC`",
            ),
            (Some((at, d, arg)), _) => Check::ok(ID, format!("chronyd reads leaps from {d} {arg} ({at})")),
            (None, _) => Check::warn(
                ID,
                format!(
                    "no leapsectz or leapseclist in {} or its includes: chronyd knows of a leap only from its sources",
                    conf_path.display()
                ),
                format!(
                    "add `leapsectz right/UTC` (chrony 4.6+: `leapseclist /usr/share/zoneinfo/leap-seconds.list`) to {} and restart chronyd",
                    drop_in.display()
                ),
            ),
        },
    };
    let status = list.status.max(chrony.status);
    let message = format!("{}; {}", list.message, chrony.message);
    let fix = match (list.fix, chrony.fix) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    Check { id: ID, status, message, fix }
}

#[cfg(test)]
mod tests {
    use super::super::chrony_conf::{self, Loc};
    use super::super::Status;
    use super::*;
    use std::path::Path;

    /// 28 June 2026, the expiry of the list in testdata.
    const EXPIRY: i64 = 1_782_604_800;

    fn facts(now_unix_s: i64) -> LeapFacts {
        let path = timed_testdata::leap_seconds_list_path();
        LeapFacts {
            path: Some(path.to_path_buf()),
            key_at: "the default; [leap] list is not set in /etc/timed/timed.toml".into(),
            list: LeapList::parse(&timed_testdata::leap_seconds_list()).map_err(|e| e.to_string()),
            chrony_source_exists: Some(true),
            now_unix_s,
        }
    }

    fn conf(text: &str) -> ChronyConf {
        chrony_conf::parse(Path::new("/etc/chrony/chrony.conf"), text)
    }

    fn check(l: &LeapFacts, text: &str) -> Check {
        let c = conf(text);
        judge(l, Ok(&c), Path::new("/etc/chrony/chrony.conf"), Path::new("/etc/chrony/conf.d/timed.conf"))
    }

    const GOOD: &str = "server pool.example iburst\nleapsectz right/UTC\n";

    #[test]
    fn a_current_list_and_a_leap_source_pass() {
        let c = check(&facts(EXPIRY - 31 * DAY_S), GOOD);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.message.ends_with("leap-seconds.list is good until 2026-06-28; chronyd reads leaps from leapsectz right/UTC (/etc/chrony/chrony.conf:2)"), "{}", c.message);
        assert_eq!(c.fix, None);
    }

    #[test]
    fn thirty_days_before_expiry_warns() {
        let c = check(&facts(EXPIRY - 30 * DAY_S + 1), GOOD);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.message.contains("expires on 2026-06-28 (in 29 days)"), "{}", c.message);
        assert!(c.fix.unwrap_or_default().starts_with("update tzdata"));
    }

    #[test]
    fn an_expired_list_fails() {
        let c = check(&facts(EXPIRY), GOOD);
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.message.contains("expired on 2026-06-28 (0 days ago)"), "{}", c.message);
        let c = check(&facts(EXPIRY + 100 * DAY_S), GOOD);
        assert!(c.message.contains("(100 days ago)"), "{}", c.message);
    }

    #[test]
    fn an_unreadable_or_malformed_list_fails_naming_file_and_line() {
        let mut l = facts(EXPIRY - 100 * DAY_S);
        l.list = Err("/usr/share/zoneinfo/leap-seconds.list:120: #h hash 49db2447 … does not match".into());
        let c = check(&l, GOOD);
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.message.starts_with("/usr/share/zoneinfo/leap-seconds.list:120: #h hash"), "{}", c.message);
        assert!(c.fix.unwrap_or_default().contains("[leap] list (the default;"));
    }

    #[test]
    fn no_list_configured_is_a_choice() {
        let mut l = facts(EXPIRY + 100 * DAY_S);
        l.path = None;
        l.key_at = "/etc/timed/timed.toml:12".into();
        let c = check(&l, GOOD);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c
            .message
            .starts_with("no leap-seconds list ([leap] list = \"\" at /etc/timed/timed.toml:12)"));
    }

    #[test]
    fn chrony_without_a_leap_source_warns_with_the_drop_in() {
        let c = check(&facts(EXPIRY - 100 * DAY_S), "server pool.example iburst\n");
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.message.contains("no leapsectz or leapseclist in /etc/chrony/chrony.conf"),
            "{}",
            c.message
        );
        assert!(c.fix.unwrap_or_default().contains("to /etc/chrony/conf.d/timed.conf and restart chronyd"));
        // chrony 4.6's directive counts too.
        let c = check(&facts(EXPIRY - 100 * DAY_S), "leapseclist /usr/share/zoneinfo/leap-seconds.list\n");
        assert_eq!(c.status, Status::Ok, "{c:?}");
    }

    #[test]
    fn a_leap_source_naming_a_missing_file_warns_at_its_line() {
        let mut l = facts(EXPIRY - 100 * DAY_S);
        l.chrony_source_exists = Some(false);
        let c = check(&l, GOOD);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(
            c.message.contains("/etc/chrony/chrony.conf:2: leapsectz right/UTC names a file"),
            "{}",
            c.message
        );
    }

    #[test]
    fn both_problems_are_reported_the_worse_status_wins() {
        let c = check(&facts(EXPIRY + DAY_S), "");
        assert_eq!(c.status, Status::Fail);
        let fix = c.fix.unwrap_or_default();
        assert!(fix.starts_with("update tzdata") && fix.contains("; add `leapsectz right/UTC`"), "{fix}");
        let e = "cannot read /etc/chrony/chrony.conf".to_string();
        let c = judge(&facts(EXPIRY - 100 * DAY_S), Err(&e), Path::new("/x"), Path::new("/y"));
        assert_eq!(c.status, Status::Ok, "an unreadable chrony.conf is chrony-conf's failure: {c:?}");
        assert!(c.message.ends_with("chrony.conf unreadable (see chrony-conf)"));
    }

    #[test]
    fn the_directive_is_found_with_its_line() {
        let c = conf("# comment\nLeapSecTz right/UTC\n");
        let loc = Loc { file: "/etc/chrony/chrony.conf".into(), line: 2 };
        assert_eq!(c.leap_source, Some((loc, "leapsectz".into(), "right/UTC".into())));
    }
}
