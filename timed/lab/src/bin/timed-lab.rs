//! `timed-lab audit`: holds every sample in a chrony refclocks.log against the simulator's
//! truth log (see `timed_lab::audit`). Exit 0: no offending sample; 1: offending samples
//! (listed); 64: usage; 66: a file could not be read or parsed.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use timed_lab::audit::{audit_files, Limits};

const USAGE: &str = "usage: timed-lab audit --truth FILE --refclocks FILE [--limit-us N] [--coarse-limit-ms N] [--pps-refid ID] [--json]\n\
    Matches every sample chrony logged (refclocks.log) with the simulator's truth log and lists\n\
    wrong-second samples (off by >= 0.5 s), samples beyond the limit (PPS default 50 us, coarse\n\
    default 20 ms) and samples a fault should have blocked. --json prints the report as JSON.";

fn usage(why: &str) -> ExitCode {
    eprintln!("timed-lab: {why}\n{USAGE}");
    ExitCode::from(64)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("audit") => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => return usage(&format!("unknown command {other:?}")),
        None => return usage("a command is needed"),
    }
    let (mut truth, mut refclocks, mut json) = (None::<PathBuf>, None::<PathBuf>, false);
    let mut limits = Limits::default();
    while let Some(k) = args.next() {
        if k == "--json" {
            json = true;
            continue;
        }
        if k == "-h" || k == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(v) = args.next() else { return usage(&format!("{k} needs a value")) };
        let number =
            |scale: f64| v.parse::<f64>().ok().filter(|x| *x > 0.0 && x.is_finite()).map(|x| x * scale);
        match k.as_str() {
            "--truth" => truth = Some(v.into()),
            "--refclocks" => refclocks = Some(v.into()),
            "--limit-us" => match number(1e-6) {
                Some(x) => limits.pps_s = x,
                None => return usage(&format!("--limit-us {v:?}: a positive number")),
            },
            "--coarse-limit-ms" => match number(1e-3) {
                Some(x) => limits.coarse_s = x,
                None => return usage(&format!("--coarse-limit-ms {v:?}: a positive number")),
            },
            "--pps-refid" => limits.pps_refid = v,
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let (Some(truth), Some(refclocks)) = (truth, refclocks) else {
        return usage("--truth and --refclocks are needed");
    };
    match audit_files(&truth, &refclocks, &limits) {
        Ok(report) => {
            if json {
                println!("{}", report.json());
            } else {
                print!("{}", report.text());
            }
            if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("timed-lab: {e}");
            ExitCode::from(66)
        }
    }
}
