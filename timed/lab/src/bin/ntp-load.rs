//! `ntp-load`: a bounded NTP load generator (see `timed_lab::load`). Sends plain NTPv4
//! client requests to one server at a given rate for a given time, then prints one summary line
//! (`ntp-load sent=… served=… kod=… loss=…`). Exit 0 after a run, 1 if it could not start,
//! 64 on a usage error.
//!
//! usage: `ntp-load --server ADDR[:PORT] [--rate N|max (1000)] [--duration SECONDS (10)] [--threads N (1)]`
#![forbid(unsafe_code)]

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;
use timed_lab::load::{run, Config, MAX_DURATION_S, MAX_RATE};

const USAGE: &str =
    "usage: ntp-load --server ADDR[:PORT] [--rate N|max] [--duration SECONDS] [--threads N]\n\
    Plain NTPv4 client requests (48 bytes, mode 3) at N per second (default 1000; `max`: as fast as\n\
    the threads send), for SECONDS (default 10), from N sockets/threads (default 1). Capped at\n\
    500000 requests/s and 600 s. Prints one line: sent, served, kod, loss and the rates.";

fn usage(why: &str) -> ExitCode {
    eprintln!("ntp-load: {why}\n{USAGE}");
    ExitCode::from(64)
}

fn server(s: &str) -> Option<SocketAddr> {
    if let Ok(ip) = s.parse::<std::net::IpAddr>() {
        return Some(SocketAddr::new(ip, 123));
    }
    s.to_socket_addrs().or_else(|_| format!("{s}:123").to_socket_addrs()).ok()?.next()
}

fn main() -> ExitCode {
    let mut cfg = Config {
        server: SocketAddr::from(([127, 0, 0, 1], 123)),
        rate: Some(1000),
        duration: Duration::from_secs(10),
        threads: 1,
    };
    let mut have_server = false;
    let mut args = std::env::args().skip(1);
    while let Some(k) = args.next() {
        if k == "-h" || k == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(v) = args.next() else { return usage(&format!("{k} needs a value")) };
        match k.as_str() {
            "--server" => match server(&v) {
                Some(a) => {
                    cfg.server = a;
                    have_server = true;
                }
                None => return usage(&format!("--server {v:?}: not an address")),
            },
            "--rate" if v == "max" => cfg.rate = None,
            "--rate" => match v.parse::<u64>() {
                Ok(r) if r <= MAX_RATE => cfg.rate = Some(r),
                _ => return usage(&format!("--rate {v:?}: a whole number up to {MAX_RATE}, or max")),
            },
            "--duration" => match v.parse::<f64>() {
                Ok(s) if s > 0.0 && s <= MAX_DURATION_S as f64 => cfg.duration = Duration::from_secs_f64(s),
                _ => {
                    return usage(&format!(
                        "--duration {v:?}: seconds, more than 0 and at most {MAX_DURATION_S}"
                    ))
                }
            },
            "--threads" => match v.parse::<u8>() {
                Ok(n) if (1..=16).contains(&n) => cfg.threads = n,
                _ => return usage(&format!("--threads {v:?}: 1 to 16")),
            },
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    if !have_server {
        return usage("--server is needed");
    }
    match run(&cfg) {
        Ok(s) => {
            println!("{}", s.line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ntp-load: {e}");
            ExitCode::from(1)
        }
    }
}
