//! `timed-demo`: timed on the simulated receiver feeding a sandboxed chronyd, until it serves
//! stratum 1. Prints what it serves as `name: value` lines, then status; cleans up on Ctrl-C.
//! With `--scenario FILE` it replays a simulator scenario, ends with it (when the scenario has
//! `seconds`) and prints the audit of what chrony received against the simulator's truth.
//!
//! Owns: the demo's command line and output. Must not depend on: timed's crates (the library's
//! rule: the lab drives the binaries as a user would).
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timed_lab::audit::Limits;
use timed_lab::{Lab, Options, Output};

struct Args {
    seconds: Option<u64>,
    opts: Options,
}

fn usage() -> ! {
    eprintln!(
        "usage: timed-demo [--seconds N] [--scenario FILE] [--truth-offset SECONDS] [--ntp-port PORT] [--shm] [--keep] [--metrics-port PORT]\n\
         Runs timed-sim (simulated u-blox receiver and PPS), timed and a private chronyd (-x)."
    );
    std::process::exit(64)
}

fn parse_args() -> Args {
    let mut a = Args { seconds: None, opts: Options { metrics_port: Some(9477), ..Options::default() } };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = |name: &str| {
            it.next().unwrap_or_else(|| {
                eprintln!("timed-demo: {name} needs a value");
                usage()
            })
        };
        match k.as_str() {
            "--seconds" => a.seconds = Some(val("--seconds").parse().unwrap_or_else(|_| usage())),
            "--truth-offset" => {
                a.opts.truth_offset_s = val("--truth-offset").parse().unwrap_or_else(|_| usage())
            }
            "--ntp-port" => a.opts.ntp_port = val("--ntp-port").parse().unwrap_or_else(|_| usage()),
            "--shm" => a.opts.output = Output::Shm,
            "--scenario" => {
                let path = std::path::PathBuf::from(val("--scenario"));
                if !path.is_file() {
                    eprintln!("timed-demo: --scenario {}: no such file", path.display());
                    usage()
                }
                a.opts.scenario = Some(path)
            }
            "--metrics-port" => {
                a.opts.metrics_port = Some(val("--metrics-port").parse().unwrap_or_else(|_| usage()))
            }
            "--keep" => a.opts.keep_dir = true,
            "-h" | "--help" => usage(),
            other => {
                eprintln!("timed-demo: unknown argument {other:?}");
                usage()
            }
        }
    }
    a
}

fn main() {
    let args = parse_args();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    if let Err(e) = ctrlc::set_handler(move || s2.store(true, Ordering::SeqCst)) {
        eprintln!("timed-demo: cannot handle Ctrl-C: {e}");
    }
    let mut lab = match Lab::start(args.opts.clone()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("timed-demo: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "demo: timed on SIMULATED receiver and PPS (timed-sim), truth offset {:+.6} s",
        args.opts.truth_offset_s
    );
    println!("dir: {}", lab.dir.display());
    if let Some(s) = &args.opts.scenario {
        println!("scenario: {}", s.display());
        // Both live in the lab directory: kept until the demo exits (or after it, with --keep).
        println!("truth: {}", lab.truth_log().display());
        println!("refclocks: {}", lab.refclocks_log().display());
    }
    println!("ntp: {}:{}", args.opts.bind_address, args.opts.ntp_port);
    println!("chrony: {}", lab.chrony_socket().display());
    println!("control: {}", lab.control_socket().display());
    if let Some(url) = lab.metrics_url() {
        println!("metrics: {url}");
    }
    println!("hint: chronyc -h {} sources", lab.chrony_socket().display());
    println!(
        "hint: timectl --socket {} status   (also sky, pps, chrony, watch, doctor)",
        lab.control_socket().display()
    );
    let start = Instant::now();
    let mut reached = false;
    let mut last_print = Instant::now() - Duration::from_secs(60);
    let mut scenario_ended = false;
    while !stop.load(Ordering::SeqCst) {
        if args.seconds.is_some_and(|s| start.elapsed() >= Duration::from_secs(s)) {
            break;
        }
        if args.opts.scenario.is_some() && !lab.sim_running() {
            // The scenario's last second is out. Its last samples (an edge waits for the burst
            // that labels it) reach refclocks.log within a second or two; 5 s leaves room for
            // a busy host before the audit reads the log.
            std::thread::sleep(Duration::from_secs(5));
            println!("demo: scenario ended after {:.0} s", start.elapsed().as_secs_f64());
            scenario_ended = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
        let Ok(t) = lab.tracking() else { continue };
        if t.stratum == 1 && !reached {
            reached = true;
            println!(
                "stratum: 1 (reference {}, reached after {:.0} s; chrony corrects system time by {:+.6} s)",
                t.ref_name,
                start.elapsed().as_secs_f64(),
                t.system_offset
            );
        }
        if last_print.elapsed() >= Duration::from_secs(if reached { 10 } else { 2 }) {
            last_print = Instant::now();
            let sources = lab.sources().unwrap_or_default();
            let list: Vec<String> =
                sources.iter().map(|s| format!("{}{} {:+.6}s", s.state, s.name, -s.last_offset)).collect();
            println!(
                "[{:>4.0}s] stratum {} ref {:<4} sources: {}",
                start.elapsed().as_secs_f64(),
                t.stratum,
                if t.ref_name.is_empty() { "-" } else { &t.ref_name },
                list.join("  ")
            );
        }
    }
    if !reached {
        eprintln!("timed-demo: chrony did not reach stratum 1; timed log:\n{}", lab.timed_log());
    }
    if args.opts.scenario.is_some() {
        print_audit(&lab);
    }
    println!("demo: stopping (processes, sockets and SHM cleaned up)");
    drop(lab);
    if !reached && (args.seconds.is_some() || scenario_ended) {
        std::process::exit(1);
    }
}

/// The audit of chrony's refclocks.log against the simulator's truth, with the default limits.
fn print_audit(lab: &Lab) {
    match lab.audit(&Limits::default()) {
        Ok(report) => print!("{}", report.text()),
        Err(e) => eprintln!("timed-demo: audit: {e}"),
    }
}
