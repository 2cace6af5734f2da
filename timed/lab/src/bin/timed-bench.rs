//! `timed-bench`: timed's own cost and PPS latency in the lab, measured from outside (/proc).
//! Runs the simulator at a given share of 115200 baud for a duration, then prints timed's CPU
//! seconds, peak RSS and edge-to-datagram latency (simulator and chronyd shown apart, not charged
//! to timed). Figures, not assertions.
//!
//! usage: timed-bench [--seconds N (600)] [--fill FRACTION (0.95)] [--ntp-port PORT (11250)]
//!                    [--satellites N]   (also times 20 scrapes of the metrics endpoint)
//!                    [--scenario FILE]  (timed-sim fault scenario)
//!                    [--webhook-hang]   (timed POSTs its events to a local server that
//!                                        accepts and never answers: tests/bench/events-webhook.sh)
#![forbid(unsafe_code)]

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

/// 20 scrapes of the metrics endpoint: (count, bytes of the last, p50 s, max s).
fn scrape_figures(port: u16) -> Option<(usize, usize, f64, f64)> {
    use std::io::{Read, Write};
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
        let mut body = Vec::new();
        s.read_to_end(&mut body).ok()?;
        times.push(t.elapsed().as_secs_f64());
        bytes = body.len();
    }
    times.sort_by(f64::total_cmp);
    Some((times.len(), bytes, times[times.len() / 2], times[times.len() - 1]))
}

fn main() {
    let mut seconds = 600u64;
    let mut fill = "0.95".to_string();
    let mut port = 11250u16;
    let mut satellites: Option<String> = None;
    let mut scenario: Option<std::path::PathBuf> = None;
    let mut webhook_hang = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(seconds),
            "--fill" => fill = it.next().unwrap_or(fill),
            "--ntp-port" => port = it.next().and_then(|v| v.parse().ok()).unwrap_or(port),
            "--satellites" => satellites = it.next(),
            "--scenario" => scenario = it.next().map(Into::into),
            "--webhook-hang" => webhook_hang = true,
            _ => {
                eprintln!(
                    "usage: timed-bench [--seconds N] [--fill FRACTION] [--ntp-port PORT] [--satellites N] \
                     [--scenario FILE] [--webhook-hang]"
                );
                std::process::exit(64);
            }
        }
    }
    let mut sim_args = vec!["--fill".into(), fill.clone()];
    if let Some(n) = &satellites {
        sim_args.extend(["--satellites".to_string(), n.clone()]);
    }
    let metrics_port = port + 8000;
    let timed_extra = if webhook_hang {
        match hanging_server() {
            Ok(p) => format!("\n[events]\nwebhook = \"http://127.0.0.1:{p}/hang\"\n"),
            Err(e) => {
                eprintln!("timed-bench: cannot listen for the webhook: {e}");
                std::process::exit(1);
            }
        }
    } else {
        String::new()
    };
    let opts = Options {
        ntp_port: port,
        sim_args,
        metrics_port: Some(metrics_port),
        scenario,
        timed_extra,
        ..Options::default()
    };
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
    let scrapes = scrape_figures(metrics_port);
    // The edge-to-datagram latency as timed publishes it (snapshot `timed.stats.edge_latency`).
    let snapshot = lab.snapshot();
    let latency =
        snapshot.as_ref().map(|s| s["timed"]["stats"]["edge_latency"].clone()).map_err(Clone::clone);
    // What the events did meanwhile (with --webhook-hang: how many waited, failed or dropped).
    let events = snapshot.as_ref().map(|s| s["timed"]["events"].clone()).unwrap_or_default();
    let [timed, sim, chronyd] = lab.pids();
    let names = ["timed", "timed-sim", "chronyd"];
    let costs: Vec<Option<(f64, u64)>> = [timed, sim, chronyd].iter().map(|p| p.and_then(cost)).collect();
    lab.stop_timed();
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
    match latency {
        Ok(serde_json::Value::Array(labels)) => {
            for l in labels {
                let f = |k: &str| l[k].as_f64().unwrap_or(f64::NAN) * 1e6;
                println!(
                    "latency: PPS edge-to-datagram label={} n={} p50_us={:.1} p99_us={:.1} max_us={:.1}",
                    l["label"].as_str().unwrap_or("?"),
                    l["n"],
                    f("p50_s"),
                    f("p99_s"),
                    f("max_s")
                );
            }
        }
        Ok(other) => println!("latency: not in the snapshot ({other})"),
        Err(e) => println!("latency: {e}"),
    }
    if let Some((n, bytes, p50, max)) = scrapes {
        println!(
            "scrape: {n} scrapes of {bytes} bytes; latency p50 {:.2} ms, max {:.2} ms",
            p50 * 1e3,
            max * 1e3
        );
    }
    let samples = lab.refclock_samples("PPS").len();
    println!("chrony PPS samples logged: {samples}");
    let kinds: Vec<&str> =
        events["recent"].as_array().into_iter().flatten().filter_map(|e| e["kind"].as_str()).collect();
    println!("events: {} ({}); webhook {}", kinds.len(), kinds.join(" "), events["webhook"]);
}

/// A server that accepts every connection and never answers (nor closes): a hung webhook.
fn hanging_server() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = l.local_addr()?.port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    Ok(port)
}
