//! `timed-pps-probe DEVICE [--count N] [--timeout-s S]`: reads assert edges from a kernel PPS
//! device through timed's own reader and prints one JSON line per edge, so the PPS wiring (and
//! timed's RFC 2783 code) can be checked on its own, before running the daemon.
//!
//! Exit status: 0 after N edges; 1 if they did not all arrive within the timeout; 2 on usage
//! errors. Status changes (device opened, absent, lost) go to stderr.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clap::Parser;
use timed::pps::reader::{self, PpsEvent};

#[derive(Parser, Debug)]
#[command(
    name = "timed-pps-probe",
    version,
    about = "Print assert edges from a kernel PPS device as JSON lines"
)]
struct Args {
    /// The PPS device, e.g. /dev/pps0.
    device: PathBuf,
    /// Exit successfully after this many assert edges.
    #[arg(long, default_value_t = 5)]
    count: u64,
    /// Fail if the edges have not all arrived after this many seconds [default: count + 10].
    #[arg(long = "timeout-s")]
    timeout_s: Option<u64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let timeout = Duration::from_secs(args.timeout_s.unwrap_or(args.count.saturating_add(10)));
    let deadline = Instant::now() + timeout;

    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let path = args.device.clone();
    let thread_stop = Arc::clone(&stop);
    // Not joined: the reader may be blocked in PPS_FETCH for up to its 2 s timeout, and the
    // process exit ends it anyway.
    std::thread::spawn(move || {
        reader::run(path, thread_stop, move |ev| {
            let _ = tx.send(ev);
        })
    });

    let mut got = 0u64;
    let mut last_status = String::from("device not opened yet");
    while got < args.count {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(PpsEvent::Edge(e)) => {
                got += 1;
                let line = serde_json::json!({
                    "seq": e.seq,
                    "assert_ns": e.system_ns,
                    "source": e.source.name(),
                });
                println!("{line}");
            }
            Ok(PpsEvent::Status(s)) => {
                last_status = s.to_string();
                eprintln!("timed-pps-probe: {last_status}");
            }
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                eprintln!(
                    "timed-pps-probe: {}: only {got} of {} assert edges within {} s (last status: {last_status})",
                    args.device.display(),
                    args.count,
                    timeout.as_secs(),
                );
                return ExitCode::FAILURE;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    ExitCode::SUCCESS
}
