//! Checks of chronyd and its configuration: the file read, chronyd running (once), answering
//! on its command socket, refclock lines matching timed's outputs (and loaded by the running
//! chronyd), and a step limit for a box that may boot far from the right time.

use super::chrony_conf::{ChronyConf, Refclock};
use super::gather::{Chronyd, Facts};
use super::{Check, Status};
use std::path::{Path, PathBuf};
use timed::chronyctl::ChronydState;

/// chrony-conf, chronyd-running, chronyd-second, chronyd-reachable, chrony-refclock-pps,
/// chrony-refclock-coarse.
pub fn all(f: &Facts) -> Vec<Check> {
    let ours = relevant(f);
    vec![
        conf(f),
        running(f, &ours),
        second(f, &ours),
        reachable(f, &ours),
        unconfirmed(f, refclock(f, Which::Pps)),
        unconfirmed(f, refclock(f, Which::Coarse)),
    ]
}

/// A check of a chrony.conf that no running chronyd is known to read (none runs, and the doctor
/// fell back to the default path) cannot tell the user to edit that file: chronyd may be started
/// with another one. A problem found there is reported as unconfirmed (skip, naming the file),
/// a good finding says it is unconfirmed.
fn unconfirmed(f: &Facts, c: Check) -> Check {
    if f.chrony_conf_confirmed || c.status == Status::Skip {
        return c;
    }
    let why = if f.chronyds.is_empty() {
        "chronyd is not running".to_string()
    } else {
        format!("no running chronyd uses {} or {}", f.chrony_conf_path.display(), f.chrony_socket.display())
    };
    let path = f.chrony_conf_path.display();
    match c.status {
        Status::Ok => Check::ok(c.id, format!("{} (unconfirmed: {why})", c.message)),
        _ => Check::skip(
            c.id,
            format!(
                "{why}, so which configuration it reads cannot be confirmed; {path} is only the default and says: {} \
                 (start chronyd and run the doctor again, or name its file with --chrony-conf FILE)",
                c.message
            ),
        ),
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// timed's SOCK paths and SHM units.
fn outputs(f: &Facts) -> (Vec<PathBuf>, Vec<i32>) {
    let Some(c) = f.cfg() else { return (Vec::new(), Vec::new()) };
    let socks = [&c.chrony.sock.pps, &c.chrony.sock.coarse]
        .into_iter()
        .filter(|p| !p.as_os_str().is_empty())
        .cloned()
        .collect();
    let s = &c.chrony.shm;
    let units = [s.pps_unit, s.coarse_unit].into_iter().filter(|u| s.enabled && *u >= 0).collect();
    (socks, units)
}

/// What a chronyd shares with this set-up (empty: it is someone else's).
fn shared(f: &Facts, d: &Chronyd) -> Vec<String> {
    let mut v = Vec::new();
    if canonical(&d.config) == canonical(&f.chrony_conf_path) {
        v.push(format!("config {}", d.config.display()));
    }
    let Ok(c) = &d.conf else { return v };
    if c.cmd_socket_path() == f.chrony_socket {
        v.push(format!("command socket {}", f.chrony_socket.display()));
    }
    let (socks, units) = outputs(f);
    for r in c.refclocks.iter().filter(|r| !r.in_sourcedir) {
        if r.sock_path().is_some_and(|p| socks.iter().any(|s| s == p)) {
            v.push(format!("refclock SOCK {}", r.param));
        }
        if r.shm_unit().is_some_and(|u| units.contains(&u)) {
            v.push(format!("SHM unit {}", r.param));
        }
    }
    v
}

fn relevant(f: &Facts) -> Vec<(&Chronyd, Vec<String>)> {
    f.chronyds.iter().map(|d| (d, shared(f, d))).filter(|(_, s)| !s.is_empty()).collect()
}

fn describe(d: &Chronyd) -> String {
    format!("pid {} (-f {}{})", d.proc_.pid, d.config.display(), if d.steers { "" } else { ", -x" })
}

fn conf(f: &Facts) -> Check {
    const ID: &str = "chrony-conf";
    let p = f.chrony_conf_path.display();
    match &f.chrony_conf {
        Err(e) => Check::fail(
            ID,
            format!("{e} ({})", f.chrony_conf_why),
            "point the doctor at the file chronyd reads: timectl doctor --chrony-conf FILE (`ps -o args -C chronyd` \
             shows its -f; Debian's is /etc/chrony/chrony.conf)",
        ),
        Ok(c) if !c.problems.is_empty() => Check::fail(
            ID,
            format!("{p}: {}", c.problems.join("; ")),
            "correct the lines named; chronyd refuses to start on them (journalctl -u chrony), then systemctl \
             restart chrony",
        ),
        Ok(c) => {
            let inc: Vec<String> = c.files.iter().skip(1).map(|x| x.display().to_string()).collect();
            let inc = if inc.is_empty() { String::new() } else { format!(", including {}", inc.join(", ")) };
            Check::ok(ID, format!("{p} ({}){inc}", f.chrony_conf_why))
        }
    }
}

fn running(f: &Facts, ours: &[(&Chronyd, Vec<String>)]) -> Check {
    const ID: &str = "chronyd-running";
    if let Some((d, why)) = ours.first() {
        return Check::ok(ID, format!("chronyd {} runs with {}", describe(d), why.join(", ")));
    }
    let others: Vec<String> = f.chronyds.iter().map(describe).collect();
    let other = if others.is_empty() {
        String::new()
    } else {
        format!("; other chronyds run with other files: {}", others.join(", "))
    };
    Check::fail(
        ID,
        format!(
            "chronyd is not running with {} or the command socket {}{other}",
            f.chrony_conf_path.display(),
            f.chrony_socket.display()
        ),
        "start it: systemctl start chrony (journalctl -u chrony -e shows why it stopped); for another instance \
         pass its files: --chrony-conf FILE --chrony-socket PATH",
    )
}

fn second(f: &Facts, ours: &[(&Chronyd, Vec<String>)]) -> Check {
    const ID: &str = "chronyd-second";
    let steering: Vec<&Chronyd> = f.chronyds.iter().filter(|d| d.steers).collect();
    if steering.len() >= 2 {
        let list: Vec<String> = steering.iter().map(|d| describe(d)).collect();
        return Check::fail(
            ID,
            format!("{} chronyd processes steer the system clock: {}", steering.len(), list.join(", ")),
            "keep the one systemd runs (`systemctl status chrony` shows its pid) and stop the others (kill PID); \
             disable whatever starts them (another ntp/chrony service, a container with host time)",
        );
    }
    if ours.len() >= 2 {
        let conf = canonical(&f.chrony_conf_path);
        let extra: Vec<&(&Chronyd, Vec<String>)> =
            ours.iter().filter(|(d, _)| canonical(&d.config) != conf).collect();
        let list: Vec<String> =
            ours.iter().map(|(d, why)| format!("{} sharing {}", describe(d), why.join(", "))).collect();
        let kill: Vec<String> = extra.iter().map(|(d, _)| d.proc_.pid.to_string()).collect();
        return Check::fail(
            ID,
            format!(
                "{} chronyd processes use timed's set-up: {}; the last one started took the refclock sockets, the \
                 other gets no samples",
                ours.len(),
                list.join("; ")
            ),
            format!(
                "stop the extra one{} and restart the right one so it recreates its sockets: systemctl restart chrony",
                if kill.is_empty() { String::new() } else { format!(" (kill {})", kill.join(" ")) }
            ),
        );
    }
    match ours.first() {
        Some((d, _)) => {
            let others = f.chronyds.len() - 1;
            let note = if others > 0 {
                format!("; {others} other chronyd (-x or their own files) ignored")
            } else {
                String::new()
            };
            Check::ok(ID, format!("one chronyd uses timed's set-up: {}{note}", describe(d)))
        }
        None => Check::skip(ID, "no chronyd runs with this set-up (see chronyd-running)"),
    }
}

fn reachable(f: &Facts, ours: &[(&Chronyd, Vec<String>)]) -> Check {
    const ID: &str = "chronyd-reachable";
    let sock = f.chrony_socket.display();
    match &f.chrony {
        Ok(r) if r.state == ChronydState::Unresponsive => Check::fail(
            ID,
            format!(
                "chronyd does not answer on {sock}: {}",
                r.tracking.as_ref().err().map_or("no answer", |e| e.as_str())
            ),
            "chronyd is hung or stopped (`ps -o pid,stat,args -C chronyd`: state T): resume it (kill -CONT PID) or \
             restart it (systemctl restart chrony)",
        ),
        Ok(r) => {
            let t = r
                .tracking
                .as_ref()
                .map_or("-".to_string(), |t| format!("stratum {}, reference {}", t.stratum, t.ref_name));
            Check::ok(ID, format!("chronyd answers on {sock}: {t}"))
        }
        Err(e) => {
            let conf_sock = f.chrony_conf.as_ref().ok().map(ChronyConf::cmd_socket_path);
            let fix = if ours.is_empty() {
                "start chronyd (see chronyd-running)".to_string()
            } else if let Some(p) = conf_sock.filter(|p| *p != f.chrony_socket) {
                format!(
                    "{} puts the command socket at {}: set [chrony] command_socket = \"{}\" in timed.toml ({}) or pass \
                     --chrony-socket {}",
                    f.chrony_conf_path.display(),
                    p.display(),
                    p.display(),
                    f.key_at("chrony", "command_socket"),
                    p.display()
                )
            } else {
                "run the doctor as root or as a member of chronyd's group (_chrony): only they may use the socket; \
                 check bindcmdaddress in chrony.conf"
                    .to_string()
            };
            // query_chrony prefixes the socket, which chronyd's client error often names already.
            let prefix = format!("chronyd at {sock}: ");
            let msg = match e.strip_prefix(&prefix) {
                Some(rest) if rest.contains(&sock.to_string()) => rest.to_string(),
                _ => e.clone(),
            };
            Check::fail(ID, msg, fix)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Pps,
    Coarse,
}

/// What timed sends one kind of sample to.
enum Output {
    Sock(PathBuf),
    Shm(i32),
}

fn refclock(f: &Facts, which: Which) -> Check {
    let (id, name, key) = match which {
        Which::Pps => ("chrony-refclock-pps", "PPS", "pps"),
        Which::Coarse => ("chrony-refclock-coarse", "coarse", "coarse"),
    };
    let Some(c) = f.cfg() else { return Check::skip(id, "timed.toml did not load (see timed-config)") };
    let Ok(conf) = &f.chrony_conf else { return Check::skip(id, "chrony.conf unreadable (see chrony-conf)") };
    let mut outs = Vec::new();
    let sock = if which == Which::Pps { &c.chrony.sock.pps } else { &c.chrony.sock.coarse };
    if !sock.as_os_str().is_empty() {
        outs.push(Output::Sock(sock.clone()));
    }
    let unit = if which == Which::Pps { c.chrony.shm.pps_unit } else { c.chrony.shm.coarse_unit };
    if c.chrony.shm.enabled && unit >= 0 {
        outs.push(Output::Shm(unit));
    }
    if outs.is_empty() {
        return Check::skip(
            id,
            format!("timed sends no {name} samples ([chrony.sock] {key} is empty, SHM off)"),
        );
    }
    let sources: Option<Vec<&str>> = f
        .chrony
        .as_ref()
        .ok()
        .and_then(|r| r.sources.as_ref().ok())
        .map(|s| s.iter().filter(|x| x.mode == "refclock").map(|x| x.name.as_str()).collect());
    let mut results: Vec<Check> = outs.iter().map(|o| one(f, conf, o, which, sources.as_deref())).collect();
    results.sort_by_key(|r| std::cmp::Reverse(r.status));
    let mut worst = results.remove(0);
    worst.id = id;
    for r in results.into_iter().filter(|r| r.status == worst.status) {
        worst.message.push_str(&format!("; {}", r.message));
    }
    worst
}

fn one(f: &Facts, conf: &ChronyConf, out: &Output, which: Which, loaded: Option<&[&str]>) -> Check {
    // Without a PPS wire ([pps] source = "off") the coarse samples are all the GPS time chrony
    // gets: its refclock must be selectable.
    let coarse_only = f.cfg().is_some_and(|c| c.pps.source == timed::config::PpsSource::Off);
    let (name, key, refid, opts) = match which {
        Which::Pps => ("PPS", "pps", "PPS", "refid PPS poll 2 precision 1e-7 prefer"),
        Which::Coarse if coarse_only => ("coarse", "coarse", "GPS", "refid GPS poll 2 delay 0.2"),
        Which::Coarse => ("coarse", "coarse", "GPS", "refid GPS poll 2 noselect"),
    };
    let (driver, param, timed_at) = match out {
        Output::Sock(p) => (
            "SOCK",
            p.display().to_string(),
            format!("[chrony.sock] {key}, {}", f.key_at("chrony.sock", key)),
        ),
        Output::Shm(u) => (
            "SHM",
            u.to_string(),
            format!("[chrony.shm] {key}_unit, {}", f.key_at("chrony.shm", &format!("{key}_unit"))),
        ),
    };
    let matches = |r: &&Refclock| match out {
        Output::Sock(p) => r.sock_path() == Some(p.as_path()),
        Output::Shm(u) => r.shm_unit() == Some(*u),
    };
    let line = format!("refclock {driver} {param} {}", opts.replace("refid PPS", &format!("refid {refid}")));
    let drop_in = conf.confdirs.first().map_or_else(|| f.chrony_conf_path.clone(), |d| d.join("timed.conf"));
    let add = format!("add `{line}` to {} and restart chronyd (systemctl restart chrony)", drop_in.display());
    let id = "chrony-refclock";
    if let Some(r) = conf.refclocks.iter().filter(matches).find(|r| !r.in_sourcedir) {
        if let Some(names) = loaded {
            if !names.contains(&r.refid.as_str()) {
                return Check::fail(
                    id,
                    format!(
                        "{}: `{}` matches timed's {name} output, but the running chronyd has no refclock {} (its \
                         refclocks: {}): chrony.conf changed after chronyd started",
                        r.at,
                        r.text,
                        r.refid,
                        if names.is_empty() { "none".to_string() } else { names.join(", ") }
                    ),
                    "restart chronyd so it reads its configuration again: systemctl restart chrony",
                );
            }
        }
        if which == Which::Pps && r.flag("noselect") {
            return Check::warn(
                id,
                format!("{}: `{}` is noselect: chronyd never uses timed's PPS", r.at, r.text),
                format!("remove noselect from {} (use prefer) and restart chronyd", r.at),
            );
        }
        if which == Which::Coarse && coarse_only && r.flag("noselect") {
            return Check::fail(
                id,
                format!(
                    "{}: `{}` is noselect and [pps] source = \"off\" ({}): chronyd uses no GPS time at all",
                    r.at,
                    r.text,
                    f.key_at("pps", "source")
                ),
                format!(
                    "remove noselect from {} (`timectl board chrony BOARD --pps off` prints the line) and restart \
                     chronyd; or wire the PPS output and set [pps] source = \"kernel\"",
                    r.at
                ),
            );
        }
        let state = if loaded.is_some() { ", loaded by chronyd" } else { "" };
        return Check::ok(id, format!("{}: `{}` reads timed's {name} samples{state}", r.at, r.text));
    }
    if let Some(r) = conf.refclocks.iter().find(|r| matches(r)) {
        return Check::fail(
            id,
            format!(
                "{}: `{}` is in a sourcedir .sources file, where chronyd reads only server/pool/peer",
                r.at, r.text
            ),
            format!("move the line to {} and restart chronyd", drop_in.display()),
        );
    }
    // Candidates for "the same refclock on another path": same driver, not reading timed's other
    // output, not named for the other kind of sample.
    let (socks, units) = outputs(f);
    let other_refid = if which == Which::Pps { "GPS" } else { "PPS" };
    let same: Vec<&Refclock> = conf
        .refclocks
        .iter()
        .filter(|r| r.driver == driver && !r.in_sourcedir && r.refid != other_refid)
        .filter(|r| !r.sock_path().is_some_and(|p| socks.iter().any(|s| s == p)))
        .filter(|r| !r.shm_unit().is_some_and(|u| units.contains(&u)))
        .collect();
    let files = if conf.files.len() > 1 {
        format!(" (and its {} included files)", conf.files.len() - 1)
    } else {
        String::new()
    };
    if same.is_empty() {
        return Check::fail(
            id,
            format!(
                "{}{files} has no `refclock {driver} {param}`: chronyd does not read the {name} samples timed sends \
                 there ({timed_at})",
                f.chrony_conf_path.display()
            ),
            add,
        );
    }
    let listed: Vec<String> = same.iter().map(|r| format!("{}: `{}`", r.at, r.text)).collect();
    let setting = match (out, same.as_slice()) {
        (Output::Sock(_), [r]) => format!("[chrony.sock] {key} = \"{}\"", r.param),
        (Output::Shm(_), [r]) => format!("[chrony.shm] {key}_unit = {}", r.param),
        (Output::Sock(_), _) => format!("[chrony.sock] {key} to the refclock's path"),
        (Output::Shm(_), _) => format!("[chrony.shm] {key}_unit to the refclock's unit"),
    };
    Check::fail(
        id,
        format!("timed sends {name} samples to {driver} {param} ({timed_at}), but chrony.conf reads {}", listed.join(", ")),
        format!(
            "make them the same: set {setting} in {} and restart timed, or change {} to `{line}` and restart chronyd",
            f.config_path.display(),
            if same.len() == 1 { same[0].at.to_string() } else { "that line".to_string() }
        ),
    )
}

/// chronyd's largest slew, 83333 ppm (`maxslewrate` default): one second of error takes 12 s.
const SLEW_S_PER_S: f64 = 12.0;

pub fn makestep(f: &Facts) -> Check {
    unconfirmed(f, makestep_in(f))
}

fn makestep_in(f: &Facts) -> Check {
    const ID: &str = "makestep";
    let Ok(conf) = &f.chrony_conf else { return Check::skip(ID, "chrony.conf unreadable (see chrony-conf)") };
    let rtc = if f.rtcs.is_empty() {
        "this box has no RTC (/sys/class/rtc is empty), so it boots with a stale time (fake-hwclock) or 1970"
            .to_string()
    } else {
        format!(
            "this box has an RTC ({}), but a flat battery or a first boot leaves it wrong",
            f.rtcs.join(", ")
        )
    };
    let drop_in = conf.confdirs.first().map_or_else(|| f.chrony_conf_path.clone(), |d| d.join("timed.conf"));
    let fix = format!(
        "add `makestep 1 3` to {} (step when off by more than 1 s during the first 3 updates) and restart chronyd",
        drop_in.display()
    );
    let bad = |why: String| {
        let msg = format!("{why}: chronyd only slews, {SLEW_S_PER_S} s per second of error (a day off takes 12 days); {rtc}");
        if f.rtcs.is_empty() {
            Check::fail(ID, msg, fix.clone())
        } else {
            Check::warn(ID, msg, fix.clone())
        }
    };
    match &conf.makestep {
        None => bad(format!("no makestep in {} or its includes", f.chrony_conf_path.display())),
        Some(m) if m.limit == 0 => bad(format!("{}: makestep {} 0 never steps", m.at, m.threshold_s)),
        Some(m) if m.threshold_s > 10.0 => Check::warn(
            ID,
            format!(
                "{}: makestep {} {}: smaller errors are slewed, taking up to {:.0} s",
                m.at,
                m.threshold_s,
                m.limit,
                m.threshold_s * SLEW_S_PER_S
            ),
            format!("use `makestep 1 {}` at {}", m.limit, m.at),
        ),
        Some(m) => Check::ok(
            ID,
            format!(
                "{}: makestep {} {} ({})",
                m.at,
                m.threshold_s,
                m.limit,
                if m.limit < 0 {
                    "steps whenever needed".to_string()
                } else {
                    format!("steps during the first {} updates", m.limit)
                }
            ),
        ),
    }
}

#[cfg(test)]
#[path = "chrony_tests.rs"]
mod tests;
