//! `timed-bench`: timed's own cost and PPS latency in the lab, measured from outside (/proc).
//! Runs the simulator at a given share of 115200 baud for a duration, then prints timed's CPU
//! seconds, peak RSS and edge-to-datagram latency (simulator and chronyd shown apart, not charged
//! to timed). Figures, not assertions.
//!
//! usage: timed-bench [--seconds N (600)] [--fill FRACTION (0.95)] [--ntp-port PORT (11250)]

use std::time::{Duration, Instant};
use timed_lab::{Lab, Options};

/// (user+system CPU seconds, peak RSS kB) of a process, from /proc.
fn cost(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime), counted from after the command name.
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((ticks / 100.0, hwm))
}

fn main() {
    let mut seconds = 600u64;
    let mut fill = "0.95".to_string();
    let mut port = 11250u16;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(seconds),
            "--fill" => fill = it.next().unwrap_or(fill),
            "--ntp-port" => port = it.next().and_then(|v| v.parse().ok()).unwrap_or(port),
            _ => {
                eprintln!("usage: timed-bench [--seconds N] [--fill FRACTION] [--ntp-port PORT]");
                std::process::exit(64);
            }
        }
    }
    let opts =
        Options { ntp_port: 11250, sim_args: vec!["--fill".into(), fill.clone()], ..Options::default() };
    let mut lab = match Lab::start(opts) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("timed-bench: {e}");
            std::process::exit(1);
        }
    };
    let t = Instant::now();
    let bytes_at = |lab: &Lab| std::fs::metadata(lab.dir.join("truth.jsonl")).map(|m| m.len()).unwrap_or(0);
    let _ = bytes_at(&lab);
    std::thread::sleep(Duration::from_secs(seconds));
    let wall = t.elapsed().as_secs_f64();
    let [timed, sim, chronyd] = lab.pids();
    let names = ["timed", "timed-sim", "chronyd"];
    let costs: Vec<Option<(f64, u64)>> = [timed, sim, chronyd].iter().map(|p| p.and_then(cost)).collect();
    lab.stop_timed();
    let log = lab.timed_log();
    println!("# timed-bench: {seconds} s, simulator fill {fill} of 115200 baud, PPS simulated");
    for (n, c) in names.iter().zip(&costs) {
        if let Some((cpu, rss)) = c {
            println!(
                "{n:<10} cpu {cpu:8.2} s ({:.3} % of one core)  peak RSS {:.1} MB",
                cpu / wall * 100.0,
                *rss as f64 / 1024.0
            );
        }
    }
    for line in log.lines().filter(|l| l.contains("edge-to-datagram latency")) {
        println!("latency: {}", line.split("INFO ").nth(1).unwrap_or(line).trim());
    }
    let samples = lab.refclock_samples("PPS").len();
    println!("chrony PPS samples logged: {samples}");
}
