//! `timectl receiver detect|plan|apply|verify`: take a u-blox from its factory state to what
//! timed wants, and prove it by reading it back (docs/receiver-setup.md).
//!
//! Owns: the command line of the set-up, opening the port (exclusively, and only when no timed
//! holds it), driving timed-core's sans-IO [`timed_core::receiver::Session`] over it, and the
//! text/JSON report. Must not depend on: the daemon's event loop; the plan and the protocol are
//! the core's.

mod args;
mod port;
mod report;

pub use args::Args;

use args::{Cmd, Common};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use timed_core::receiver::{Op, Report, Session};

/// Exit status: 0 done (plan: nothing to change; verify/apply: all equal), 1 something differs
/// or was refused, 2 no answer from a u-blox (or the port is timed's).
pub fn run(a: &Args, target: &crate::client::Target, json: bool) -> ExitCode {
    let (op, common) = match &a.cmd {
        Cmd::Detect(c) => (Op::Detect, c),
        Cmd::Plan(s) => (Op::Plan, &s.common),
        Cmd::Verify(s) => (Op::Verify, &s.common),
        Cmd::Apply(s) => (Op::Apply, &s.setup.common),
    };
    let cmd = format!("receiver {}", report::op_name(op));
    let (device, hint, base, baud) = match resolve(common) {
        Ok(r) => r,
        Err(e) => return crate::fmt::finish(&cmd, Err(e)),
    };
    let settings = match &a.cmd {
        Cmd::Detect(_) => Ok(base.to_core(baud)),
        Cmd::Plan(s) | Cmd::Verify(s) => s.settings(&base, baud, false),
        Cmd::Apply(s) => s.setup.settings(&base, baud, s.save),
    };
    let settings = match settings {
        Ok(s) => s,
        Err(e) => return crate::fmt::finish(&cmd, Err(e)),
    };
    if let Err(e) = port::check_owner(&device, &target.socket) {
        return crate::fmt::finish(&cmd, Err(e));
    }
    let mut p = match port::Port::open(&device, hint.unwrap_or(9_600)) {
        Ok(p) => p,
        Err(e) => return crate::fmt::finish(&cmd, Err(e)),
    };
    let start = Instant::now();
    let mut session = Session::new(op, settings.clone(), hint, 0);
    let rep = match p.drive(&mut session, start) {
        Ok(r) => r,
        Err(e) => return crate::fmt::finish(&cmd, Err(e)),
    };
    let elapsed = start.elapsed().as_secs_f64();
    let out = if json {
        crate::fmt::print_json(&report::json(&rep, &device, &settings, elapsed))
    } else {
        crate::fmt::print_out(&report::text(&rep, &device, &settings))
    };
    if let Err(e) = out {
        return crate::fmt::finish(&cmd, Err(e));
    }
    if let Some(f) = &rep.failure {
        eprintln!("timectl {cmd}: {}: {}", device.display(), f.message());
    } else if exit_code(&rep) == 1 && op != Op::Plan {
        // The items at fault, on stderr too: scripts that keep only stderr still learn them.
        eprintln!("timectl {cmd}: {}: {}", device.display(), report::summary(&rep).replace('\n', "; "));
    }
    ExitCode::from(exit_code(&rep))
}

fn exit_code(r: &Report) -> u8 {
    if r.failure.is_some() || r.detected.is_none() {
        return 2;
    }
    match r.op {
        Op::Detect => 0,
        Op::Plan => u8::from(r.changes() > 0),
        Op::Apply => u8::from(!r.done()),
        Op::Verify => u8::from(!r.all_equal()),
    }
}

/// The device, the speed to try first, the plan and the speed to set: from the command line,
/// else from timed.toml (its `[receiver] device` and `baud`, and `[receiver.setup]`: the plan
/// timed checks; its defaults without a timed.toml).
fn resolve(c: &Common) -> Result<(PathBuf, Option<u32>, timed::config::Setup, u32), String> {
    let cfg = match timed::config::load(&c.config) {
        Ok(cfg) => Some(cfg),
        // Without the file, --device is enough; with a file that is wrong, say so.
        Err(_) if c.device.is_some() && !c.config.exists() => None,
        Err(problems) => {
            let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            return Err(format!("timed's configuration is unusable: {}", text.join("; ")));
        }
    };
    let device = match (&c.device, &cfg) {
        (Some(d), _) => d.clone(),
        (None, Some(cfg)) => cfg.receiver.device.clone(),
        (None, None) => return Err("no --device given and no timed.toml to take it from".into()),
    };
    let baud = c.speed.or(cfg.as_ref().map(|c| c.receiver.baud)).unwrap_or(115_200);
    let base = cfg.as_ref().map(|cfg| cfg.receiver.setup.clone()).unwrap_or_default();
    Ok((device, c.baud.or(cfg.as_ref().map(|c| c.receiver.baud)), base, baud))
}

#[cfg(test)]
mod tests;
