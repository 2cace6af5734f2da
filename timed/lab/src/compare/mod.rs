//! `timed-compare` (issue 7): timed and gpsd side by side on identical simulated receiver
//! streams, each feeding its own sandboxed chronyd. Per load it measures, from outside:
//! CPU seconds (user + system) over a window and peak RSS of each daemon (`/proc`), the
//! simulator and both chronyds apart (charged to nobody), and the coarse (serial) source's
//! error as chrony saw it (raw offsets in each chronyd's `refclocks.log`) against the
//! simulator's truth log. [`report`] renders the Markdown table and `RATIO` lines.
//!
//! Owns: the rig (`rig`), the measurements ([`measure`]) and the report. Like the rest of
//! timed-lab it drives the programs as a user would and depends on none of timed's crates.

pub mod measure;
pub mod report;
mod rig;

pub use rig::Proc;
use rig::Rig;

use measure::{Coarse, Cost};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The two receiver streams compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// 1 Hz basic NMEA (RMC, GGA, GSA, GSV, ZDA; 4 GPS satellites) at 9600 baud, ~300 B/s.
    Basic,
    /// u-blox UBX + NMEA padded with NMEA TXT to 95 % of 115200 baud (~10.9 kB/s).
    Saturated,
}

impl Load {
    pub const ALL: [Load; 2] = [Load::Basic, Load::Saturated];

    pub fn name(self) -> &'static str {
        match self {
            Load::Basic => "basic",
            Load::Saturated => "saturated",
        }
    }

    pub fn parse(s: &str) -> Option<Load> {
        Load::ALL.into_iter().find(|l| l.name() == s)
    }

    pub fn baud(self) -> u32 {
        match self {
            Load::Basic => 9600,
            Load::Saturated => 115_200,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Load::Basic => {
                "1 Hz basic NMEA (RMC, GGA, GSA, GSV, ZDA; 4 GPS satellites) at 9600 baud, `--protocol nmea`"
            }
            Load::Saturated => {
                "u-blox UBX+NMEA (NAV-PVT, NAV-TIMEUTC, TIM-TP, NMEA, NAV-SAT, …, NAV-EOE) padded with \
                 NMEA TXT to 95 % of 115200 baud, `--protocol ubx+nmea --fill 0.95`"
            }
        }
    }
}

/// What the command line chose.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Length of the measured window per load.
    pub duration_s: u64,
    /// Time after start-up before the window opens (gpsd identifies the receiver, chrony polls).
    pub warmup_s: u64,
    /// Simulator: first byte of each burst after the true second; timed is configured with the
    /// same `serial_delay_ms` (the calibration; timed's own suggestion is reported alongside).
    pub message_delay_ms: f64,
    /// Simulator: ± uniform jitter of that delay (None: the simulator's default, 5 ms).
    pub message_jitter_ms: Option<f64>,
    /// The built LD_PRELOAD shim for gpsd.
    pub shim: PathBuf,
    /// chronyd ports base and base + 1, timed metrics base + 2, gpsd base + 3.
    pub port_base: u16,
    pub keep: bool,
}

/// timed's edge-to-datagram latency as it logs it at exit, per label source.
#[derive(Clone, Debug, PartialEq)]
pub struct PpsLatency {
    pub label: String,
    pub n: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

/// Everything measured for one load.
#[derive(Clone, Debug)]
pub struct LoadResult {
    pub load: Load,
    pub window_s: f64,
    pub bytes_per_s: f64,
    /// CPU over the window and peak RSS at its end, per process.
    pub costs: Vec<(Proc, Cost)>,
    pub timed: Coarse,
    pub gpsd: Coarse,
    pub pps_latency: Vec<PpsLatency>,
    /// timed's own suggestion for the coarse offset (metrics endpoint), seconds.
    pub timed_suggested_offset_s: Option<f64>,
}

impl LoadResult {
    pub fn cost(&self, p: Proc) -> Option<Cost> {
        self.costs.iter().find(|(q, _)| *q == p).map(|(_, c)| *c)
    }
}

/// Runs one load: warm-up, the measured window, then the figures.
pub fn run_load(s: &Settings, load: Load, progress: &dyn Fn(&str)) -> Result<LoadResult, String> {
    let mut rig = Rig::start(s, load)?;
    progress(&format!("{}: started in {}; warming up {} s", load.name(), rig.dir.display(), s.warmup_s));
    sleep_checking(&mut rig, Duration::from_secs(s.warmup_s), &|_| {})?;
    let tps = measure::ticks_per_s();
    let snapshot = |rig: &Rig| -> Result<Vec<(Proc, Cost)>, String> {
        Proc::ALL
            .iter()
            .map(|&p| {
                let pid = rig.pid(p).ok_or_else(|| format!("{} has no pid", p.name()))?;
                measure::cost(pid, tps).map(|c| (p, c)).ok_or_else(|| format!("cannot read /proc/{pid}"))
            })
            .collect()
    };
    let t0 = realtime_ns();
    let w0 = Instant::now();
    let c0 = snapshot(&rig)?;
    progress(&format!("{}: measuring {} s", load.name(), s.duration_s));
    let name = load.name();
    sleep_checking(&mut rig, Duration::from_secs(s.duration_s), &|done| {
        progress(&format!("{name}: {done} s of {} s", s.duration_s))
    })?;
    let c1 = snapshot(&rig)?;
    let window_s = w0.elapsed().as_secs_f64();
    let t1 = realtime_ns();
    let suggested = scrape_suggested_offset(rig.metrics_port);
    rig.stop(Proc::Timed);
    rig.stop(Proc::Gpsd);
    let costs = c0
        .iter()
        .zip(&c1)
        .map(|((p, a), (_, b))| (*p, Cost { cpu_s: b.cpu_s - a.cpu_s, peak_rss_kb: b.peak_rss_kb }))
        .collect();

    let truth = measure::truth_lines(&rig.read("truth.jsonl"));
    let offset_ns = truth.first().map(|t| t.offset_ns).ok_or("the simulator wrote no truth log")?;
    // Whole true seconds inside the window; the last one is left out, as a daemon stamping
    // late in its second may not have delivered it when the window closed.
    let from_s = (t0 + offset_ns).div_euclid(1_000_000_000) + 1;
    let to_s = (t1 + offset_ns).div_euclid(1_000_000_000) - 1;
    let coarse_of = |rel: &str| {
        let log = rig.read(rel);
        let raw = measure::raw_samples(&log, "GPS");
        let filtered = measure::filtered_in(&log, "GPS", offset_ns as f64 / 1e9, from_s, to_s);
        measure::coarse(&raw, filtered, &truth, from_s, to_s)
    };
    let timed = coarse_of("chrony-timed/refclocks.log");
    let gpsd = coarse_of("chrony-gpsd/refclocks.log");
    for (who, c) in [("timed", &timed), ("gpsd", &gpsd)] {
        if c.samples == 0 {
            return Err(format!(
                "{who}'s chronyd logged no coarse samples in the window (see {}; run with --keep)",
                rig.dir.display()
            ));
        }
    }
    let bursts: Vec<f64> =
        truth.iter().filter(|t| (from_s..to_s).contains(&t.second)).map(|t| t.burst_bytes as f64).collect();
    Ok(LoadResult {
        load,
        window_s,
        bytes_per_s: measure::mean(&bursts),
        costs,
        timed,
        gpsd,
        pps_latency: parse_latency(&rig.read("timed.log")),
        timed_suggested_offset_s: suggested,
    })
}

/// Sleeps `total`, checking every second that no process died, reporting each minute.
fn sleep_checking(rig: &mut Rig, total: Duration, progress: &dyn Fn(u64)) -> Result<(), String> {
    let t = Instant::now();
    let mut reported = 0;
    while t.elapsed() < total {
        std::thread::sleep(Duration::from_secs(1).min(total.saturating_sub(t.elapsed())));
        rig.check_alive()?;
        let done = t.elapsed().as_secs();
        if done / 60 > reported {
            reported = done / 60;
            progress(done);
        }
    }
    Ok(())
}

fn realtime_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `PPS edge-to-datagram latency label="tim-tp" n=… p50_us=… p99_us=… max_us=…` lines of
/// timed's exit log.
pub fn parse_latency(log: &str) -> Vec<PpsLatency> {
    log.lines()
        .filter(|l| l.contains("edge-to-datagram latency"))
        .filter_map(|l| {
            let field = |k: &str| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{k}=")))
                    .map(|v| v.trim_matches('"').to_string())
            };
            Some(PpsLatency {
                label: field("label")?,
                n: field("n")?.parse().ok()?,
                p50_us: field("p50_us")?.parse().ok()?,
                p99_us: field("p99_us")?.parse().ok()?,
                max_us: field("max_us")?.parse().ok()?,
            })
        })
        .collect()
}

/// `timed_coarse_suggested_offset_seconds` from timed's metrics endpoint, if it has one yet.
fn scrape_suggested_offset(port: u16) -> Option<f64> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.lines()
        .find(|l| l.starts_with("timed_coarse_suggested_offset_seconds"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_lines_as_timed_logs_them() {
        let log = "2026-11-23T11:52:10.1Z  INFO timed::latency: PPS edge-to-datagram latency \
                   label=\"tim-tp\" n=13 p50_us=81627.292 p99_us=88582.264 max_us=88582.264\n\
                   2026-11-23T11:52:10.1Z  INFO timed::run: timed stopping pps_sent=14 coarse_sent=14\n";
        let l = parse_latency(log);
        assert_eq!(l.len(), 1);
        assert_eq!((l[0].label.as_str(), l[0].n), ("tim-tp", 13));
        assert_eq!((l[0].p50_us, l[0].p99_us), (81627.292, 88582.264));
    }

    #[test]
    fn loads_by_name() {
        assert_eq!(Load::parse("basic"), Some(Load::Basic));
        assert_eq!(Load::parse("saturated").map(Load::baud), Some(115_200));
        assert_eq!(Load::parse("other"), None);
    }
}
