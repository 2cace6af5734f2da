//! `timectl doctor`: the checks that catch the usual failures of a GPS/PPS time server, each
//! with what is wrong (naming the device, socket, FILE:LINE) and the concrete fix.
//!
//! Layout: [`gather`] collects facts (timed.toml, two control-socket snapshots a window apart,
//! chrony.conf and its includes, chronyd's processes and command socket, device nodes,
//! /proc/sysvipc/shm) and changes nothing; [`local`], [`live`] and [`chrony`] turn facts into
//! checks and are pure, so every verdict is unit-tested; this file runs them and prints.
//!
//! Severity follows `timectl status` (the daemon library's verdict.rs): what stops GPS time reaching chrony or
//! clients is a failure; what serves time but should be fixed (SIMULATED PPS, coarse-only time,
//! a lopsided coarse offset) is a warning.

mod chrony;
pub(crate) mod chrony_conf;
pub(crate) mod gather;
mod leap;
mod live;
mod local;
mod receiver_config;
mod system;
#[cfg(test)]
pub(crate) mod testutil;

use crate::client::{self, Target};
use crate::fmt;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, clap::Args)]
#[command(after_help = "\
Checks (ids are stable): timed-config, timed-running, serial-device, serial-data, serial-speed, \
receiver-fix, receiver-config, pps-device, pps-edges, pps-pairing, serial-latency, chrony-conf, chronyd-running, \
chronyd-second, chronyd-reachable, chrony-refclock-pps, chrony-refclock-coarse, socket-paths, shm, \
makestep, leap-list, nts-cert.

--json prints {\"schema\": 1, \"result\": \"ok\"|\"warn\"|\"fail\", \"window_s\": N, \"checks\": \
[{\"id\", \"status\": \"ok\"|\"warn\"|\"fail\"|\"skip\", \"message\", \"fix\" (null when ok)}]} \
(docs/control.md).

Exit status: 0 all checks pass, 1 warnings only, 2 at least one failure.")]
pub struct Args {
    /// timed's configuration: devices, sockets and chrony outputs to check.
    #[arg(long, value_name = "FILE", default_value = timed::config::DEFAULT_PATH)]
    pub config: PathBuf,
    /// chronyd's configuration [default: the -f file of the chronyd listening on the command
    /// socket, else /etc/chrony/chrony.conf].
    #[arg(long, value_name = "FILE")]
    pub chrony_conf: Option<PathBuf>,
    /// Check device, socket and SHM permissions for this user [default: the user of the timed
    /// running with --config, else the `timed` user, else you].
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Watch the running timed this long for bytes, PPS edges and pairing (seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    pub window: f64,
}

/// A check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Could not be judged (the message says why, usually another check's failure).
    Skip,
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Skip => "skip",
            Status::Ok => "ok",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// Stable identifier (documented in docs/control.md and `--help`).
    pub id: &'static str,
    pub status: Status,
    pub message: String,
    /// What to do (`None` when there is nothing to do).
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(id: &'static str, message: impl Into<String>) -> Check {
        Check { id, status: Status::Ok, message: message.into(), fix: None }
    }

    pub fn skip(id: &'static str, why: impl Into<String>) -> Check {
        Check { id, status: Status::Skip, message: why.into(), fix: None }
    }

    pub fn warn(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { id, status: Status::Warn, message: message.into(), fix: Some(fix.into()) }
    }

    pub fn fail(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { id, status: Status::Fail, message: message.into(), fix: Some(fix.into()) }
    }
}

#[derive(Serialize)]
struct Report<'a> {
    schema: u32,
    result: &'static str,
    window_s: f64,
    checks: &'a [Check],
}

pub fn run(target: &Target, args: &Args, json: bool) -> Result<ExitCode, String> {
    if !(args.window.is_finite() && (0.5..=60.0).contains(&args.window)) {
        return Err(format!("--window {} must be between 0.5 and 60 seconds", args.window));
    }
    // Pointed at a non-default timed (`--socket`, e.g. the demo's) without --config: check the
    // configuration that timed runs with.
    let mut args = args.clone();
    if args.config == Path::new(timed::config::DEFAULT_PATH)
        && target.socket != Path::new(client::DEFAULT_SOCKET)
    {
        if let Some(p) = client::snapshot(&target.socket).ok().and_then(|m| m.timed).map(|h| h.config_path) {
            if !p.is_empty() {
                args.config = PathBuf::from(p);
            }
        }
    }
    let args = &args;
    let facts = gather::gather(target, args)?;
    let checks = all_checks(&facts);
    let worst = checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok);
    let (result, code) = match worst {
        Status::Fail => ("fail", 2),
        Status::Warn => ("warn", 1),
        _ => ("ok", 0),
    };
    if json {
        fmt::print_json(&Report { schema: 1, result, window_s: args.window, checks: &checks })?;
    } else {
        fmt::print_out(&render(&checks))?;
    }
    Ok(ExitCode::from(code))
}

/// Every check, in the order a user would fix things.
fn all_checks(f: &gather::Facts) -> Vec<Check> {
    let mut v = vec![local::timed_config(f), local::timed_running(f), local::serial_device(f)];
    v.extend(live::receiver(f));
    v.push(receiver_config::receiver_config(f));
    v.push(local::pps_device(f));
    v.extend(live::pps(f));
    v.push(live::serial_latency(f));
    v.extend(chrony::all(f));
    v.push(local::socket_paths(f));
    v.push(local::shm(f));
    v.push(chrony::makestep(f));
    v.push(leap::leap_list(f));
    v.push(crate::nts::check(f.nts.as_ref()));
    v
}

fn render(checks: &[Check]) -> String {
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let (fail, warn) = (count(Status::Fail), count(Status::Warn));
    let head = match (fail, warn) {
        (0, 0) => "all checks pass".to_string(),
        (0, w) => format!("{w} warning{}", if w == 1 { "" } else { "s" }),
        (f, w) => format!(
            "{f} failure{}, {w} warning{}",
            if f == 1 { "" } else { "s" },
            if w == 1 { "" } else { "s" }
        ),
    };
    let mut out =
        format!("timectl doctor: {head} ({} checks, {} skipped)\n", checks.len(), count(Status::Skip));
    let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in checks {
        out.push_str(&format!("{:<4}  {:<width$}  {}\n", c.status.label(), c.id, c.message));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("{:<4}  {:<width$}  fix: {fix}\n", "", ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_each_check_with_its_fix_under_it() {
        let checks = [
            Check::ok("timed-config", "/etc/timed/timed.toml is valid"),
            Check::fail("serial-device", "/dev/gps0 does not exist", "install the udev rule"),
            Check::warn("pps-device", "PPS is SIMULATED", "set [pps] source = \"kernel\""),
            Check::skip("shm", "timed does not use SHM"),
        ];
        let text = render(&checks);
        assert_eq!(
            text,
            "timectl doctor: 1 failure, 1 warning (4 checks, 1 skipped)\n\
             ok    timed-config   /etc/timed/timed.toml is valid\n\
             FAIL  serial-device  /dev/gps0 does not exist\n\
             \x20     \x20              fix: install the udev rule\n\
             WARN  pps-device     PPS is SIMULATED\n\
             \x20     \x20              fix: set [pps] source = \"kernel\"\n\
             skip  shm            timed does not use SHM\n"
        );
        assert!(render(&checks[..1]).starts_with("timectl doctor: all checks pass"));
        let v = serde_json::to_value(&checks[1]).unwrap_or_default();
        assert_eq!(v["status"], "fail");
        assert_eq!(serde_json::to_value(&checks[0]).unwrap_or_default()["fix"], serde_json::Value::Null);
    }
}
