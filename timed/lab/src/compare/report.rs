//! The Markdown report of a comparison and its machine-readable tail: one `RATIO <name> <value>`
//! line (timed/gpsd) per figure the issue names.

use super::measure::Coarse;
use super::{LoadResult, Proc, Settings};
use std::fmt::Write;

/// Where and with what the figures were taken.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    pub kernel: String,
    pub cpu: String,
    pub cores: usize,
    pub loadavg_before: String,
    pub loadavg_after: String,
    /// (program, version line).
    pub versions: Vec<(String, String)>,
    pub started_utc: String,
    /// The simulator ran SCHED_FIFO (`chrt`; needs root).
    pub sim_fifo: bool,
}

/// Pure-core figures from the benches the entry script ran before (their output, verbatim).
#[derive(Clone, Debug, Default)]
pub struct CoreFigures {
    /// Best wall time of a simulated day through decoder, engine and statistics, with the
    /// daemon's per-epoch snapshot queries, seconds.
    pub day_wall_s: Option<f64>,
    /// The same without the per-epoch queries (decode, engine, statistics pushes).
    pub day_core_s: Option<f64>,
    /// Best framer+decoders+epochs throughput over the real captures, MB/s.
    pub decode_mb_s: Option<f64>,
    pub lines: Vec<String>,
}

impl CoreFigures {
    /// Reads the `day:` lines of `cargo bench --bench day` and the `round N:` lines of
    /// `cargo bench --bench decode`.
    pub fn parse(text: &str) -> CoreFigures {
        let mut c = CoreFigures::default();
        for l in text.lines() {
            if let Some(v) = l.strip_prefix("day: ").and_then(|r| after(r, "wall ")) {
                c.day_wall_s = Some(c.day_wall_s.map_or(v, |b: f64| b.min(v)));
                if let Some(v) = after(l, "without the queries ") {
                    c.day_core_s = Some(c.day_core_s.map_or(v, |b: f64| b.min(v)));
                }
                c.lines.push(l.to_string());
            } else if l.starts_with("round ") && l.contains("framer+decoders+epochs") {
                if let Some(v) = after(l, "framer+decoders+epochs ") {
                    c.decode_mb_s = Some(c.decode_mb_s.map_or(v, |b: f64| b.max(v)));
                }
                c.lines.push(l.to_string());
            } else if l.starts_with("input: ") {
                c.lines.push(l.to_string());
            }
        }
        c
    }
}

/// The number right after `key` in `s`.
fn after(s: &str, key: &str) -> Option<f64> {
    let r = &s[s.find(key)? + key.len()..];
    let end = r.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(r.len());
    r[..end].parse().ok()
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

fn ms(s: f64) -> String {
    format!("{:.3}", s * 1e3)
}

/// The `RATIO` lines (timed / gpsd), in the issue's order.
pub fn ratios(results: &[LoadResult]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let get = |p: Proc, r: &LoadResult| r.cost(p).unwrap_or_default();
    for (what, f) in [
        (
            "cpu",
            &(|r: &LoadResult| ratio(get(Proc::Timed, r).cpu_s, get(Proc::Gpsd, r).cpu_s)) as &dyn Fn(_) -> _,
        ),
        ("rss", &|r: &LoadResult| {
            ratio(get(Proc::Timed, r).peak_rss_kb as f64, get(Proc::Gpsd, r).peak_rss_kb as f64)
        }),
        ("coarse_stddev", &|r: &LoadResult| ratio(r.timed.sd_s, r.gpsd.sd_s)),
        // What each daemon adds beyond the receiver's own burst jitter (truth log taken out).
        ("coarse_added_stddev", &|r: &LoadResult| ratio(r.timed.sd_daemon_s, r.gpsd.sd_daemon_s)),
    ] {
        for r in results {
            out.push((format!("{what}_{}", r.load.name()), f(r)));
        }
    }
    out
}

pub fn render(
    s: &Settings,
    m: &Machine,
    results: &[LoadResult],
    core: &CoreFigures,
    command: &str,
) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# timed vs gpsd, side by side\n");
    let _ = writeln!(o, "Command: `{command}`  ");
    let _ = writeln!(o, "Started: {} UTC  ", m.started_utc);
    let _ = writeln!(o, "Machine: {}; {}; {} cores  ", m.kernel, m.cpu, m.cores);
    let _ = writeln!(o, "Load average before/after: {} / {}  ", m.loadavg_before, m.loadavg_after);
    let versions: Vec<String> = m.versions.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let _ = writeln!(o, "Versions: {}  ", versions.join("; "));
    let jitter = s.message_jitter_ms.map_or("5 ms (simulator default)".to_string(), |j| format!("{j} ms"));
    let policy = if m.sim_fifo {
        "SCHED_FIFO (chrt), spinning to each burst's first byte"
    } else {
        "the normal policy (SCHED_FIFO not permitted), spinning to each burst's first byte"
    };
    let _ = writeln!(
        o,
        "Window: {} s per load after {} s warm-up. Receiver: simulated (timed-sim), one process writing the \
         same bytes at the same instants to two ptys (every 1 ms while a burst is on the line), running {}; first \
         byte of each burst {} ms ± {} (uniform) after the true second; timed configured with `serial_delay_ms = {}`. \
         gpsd runs `-b -N -n -D 0 -s BAUD` with LD_PRELOAD=`{}` (tests/bench/gpsd-pty-shim.c: stat() of a pty \
         reports a ttyS major, because gpsd writes no NTP SHM for a pty); its chronyd reads `refclock SHM 0`, \
         timed's `refclock SOCK`; both coarse sources `poll 2 noselect`.\n",
        s.duration_s,
        s.warmup_s,
        policy,
        s.message_delay_ms,
        jitter,
        s.message_delay_ms,
        s.shim.file_name().map_or_else(|| s.shim.display().to_string(), |n| n.to_string_lossy().into_owned())
    );
    let _ = writeln!(
        o,
        "How to read: CPU is utime+stime (/proc/PID/stat) used inside the window; peak RSS is VmHWM at its \
         end. Coarse error = chrony's raw offset (refclocks.log, reference − system, before any refclock \
         `offset`) − the simulator's true offset, for every raw sample of a true second in the window; p99 is \
         the 99th percentile of |error − mean| (the spread a chrony `offset` cannot remove). chrony 4.3 logs a \
         raw sample only once it passed its checks, so \"accepted\" = raw rows / seconds the simulator sent a \
         burst for (above 1: more samples than seconds). The row without the receiver's burst jitter adds each \
         burst's known lateness back (truth log: when the simulator actually wrote the burst's first byte, \
         planned jitter and any host delay included): what the daemon itself adds.\n"
    );
    for r in results {
        render_load(&mut o, r);
    }
    render_pps(&mut o, results);
    render_core(&mut o, core);
    render_goals(&mut o, results);
    // The RATIO lines must be the last lines of the output. The fence is left open on purpose:
    // an unclosed code fence runs to the end of the document (CommonMark 0.30, §4.5), so the
    // lines still render as code.
    let _ = writeln!(o, "Machine-readable, timed/gpsd:\n\n```text");
    for (name, v) in ratios(results) {
        let _ = writeln!(o, "RATIO {name} {v:.4}");
    }
    o
}

fn render_load(o: &mut String, r: &LoadResult) {
    let (t, g) = (r.cost(Proc::Timed).unwrap_or_default(), r.cost(Proc::Gpsd).unwrap_or_default());
    let _ = writeln!(o, "## Load `{}`: {}\n", r.load.name(), r.load.describe());
    let _ = writeln!(o, "{:.0} bytes/s on the wire; window {:.1} s.\n", r.bytes_per_s, r.window_s);
    let _ = writeln!(o, "| figure | timed | gpsd | timed/gpsd |\n|---|---:|---:|---:|");
    let row = |o: &mut String, name: &str, a: f64, b: f64, fmt: &dyn Fn(f64) -> String| {
        let _ = writeln!(o, "| {name} | {} | {} | {:.3} |", fmt(a), fmt(b), ratio(a, b));
    };
    let pct = |c: f64| c / r.window_s * 100.0;
    row(o, "CPU s (user+sys) in the window", t.cpu_s, g.cpu_s, &|v| format!("{v:.2}"));
    row(o, "CPU, % of one core", pct(t.cpu_s), pct(g.cpu_s), &|v| format!("{v:.3}"));
    row(o, "peak RSS (VmHWM), MB", t.peak_rss_kb as f64 / 1024.0, g.peak_rss_kb as f64 / 1024.0, &|v| {
        format!("{v:.1}")
    });
    coarse_rows(o, &r.timed, &r.gpsd);
    let _ = writeln!(o);
    let others: Vec<String> = [Proc::Sim, Proc::ChronydTimed, Proc::ChronydGpsd]
        .iter()
        .filter_map(|&p| {
            r.cost(p).map(|c| {
                format!("{} {:.2} s CPU, {:.1} MB", p.name(), c.cpu_s, c.peak_rss_kb as f64 / 1024.0)
            })
        })
        .collect();
    let _ = writeln!(o, "Measured apart, charged to neither daemon: {}.", others.join("; "));
    if let Some(v) = r.timed_suggested_offset_s {
        let _ = writeln!(
            o,
            "timed's own suggestion for the coarse offset at the end (metrics endpoint): {} ms.",
            ms(v)
        );
    }
    let _ = writeln!(o);
}

fn coarse_rows(o: &mut String, t: &Coarse, g: &Coarse) {
    let rows: [(&str, f64, f64); 5] = [
        ("coarse error mean, ms (raw offset − truth)", t.mean_s, g.mean_s),
        ("coarse error std dev, ms", t.sd_s, g.sd_s),
        ("coarse \\|error − mean\\| p99, ms", t.p99_s, g.p99_s),
        ("coarse std dev without the receiver's own burst jitter, ms", t.sd_daemon_s, g.sd_daemon_s),
        ("samples chrony accepted (raw rows / epochs sent)", t.accepted(), g.accepted()),
    ];
    for (i, (name, a, b)) in rows.iter().enumerate() {
        let (fa, fb) = if i == 4 {
            (
                format!("{:.4} ({}/{})", a, t.samples, t.epochs),
                format!("{:.4} ({}/{})", b, g.samples, g.epochs),
            )
        } else {
            (ms(*a), ms(*b))
        };
        let _ = writeln!(o, "| {name} | {fa} | {fb} | {:.3} |", ratio(a.abs(), b.abs()));
    }
    let _ = writeln!(
        o,
        "| chrony filtered samples / polls (4 s) | {}/{} | {}/{} | |",
        t.filtered, t.polls, g.filtered, g.polls
    );
}

fn render_pps(o: &mut String, results: &[LoadResult]) {
    let _ = writeln!(o, "## PPS path\n");
    let _ = writeln!(
        o,
        "timed's edge-to-datagram latency (edge received → sample handed to chrony's SOCK), as timed logs \
         it at exit. Edges are SIMULATED (timed-sim datagrams), so this is timed's own path only; it \
         includes waiting for the label (TIM-TP's epoch, or the epoch that follows the edge).\n"
    );
    let _ = writeln!(o, "| load | label | n | p50, µs | p99, µs | max, µs |\n|---|---|---:|---:|---:|---:|");
    for r in results {
        for l in &r.pps_latency {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:.1} | {:.1} | {:.1} |",
                r.load.name(),
                l.label,
                l.n,
                l.p50_us,
                l.p99_us,
                l.max_us
            );
        }
    }
    let _ = writeln!(
        o,
        "\nNo gpsd PPS figure: on a pty gpsd has no PPS source at all, and a real-PPS comparison in the \
         QEMU guest of tests/qemu-pps was not done — see tests/bench/compare.sh (header) for why.\n"
    );
}

fn render_core(o: &mut String, c: &CoreFigures) {
    let _ = writeln!(o, "## Pure core (single thread, no I/O)\n");
    let f = |v: Option<f64>, unit: &str| v.map_or("not run".to_string(), |v| format!("{v:.3} {unit}"));
    let _ = writeln!(o, "| figure | value | goal |\n|---|---:|---|");
    let _ = writeln!(
        o,
        "| a simulated day (86 400 epochs + edges): decoder, engine, statistics and the daemon's per-epoch \
         snapshot queries, wall | {} | < 1 s |",
        f(c.day_wall_s, "s")
    );
    let _ = writeln!(
        o,
        "| the same day without the per-epoch snapshot queries, wall | {} | < 1 s |",
        f(c.day_core_s, "s")
    );
    let _ = writeln!(
        o,
        "| decoder throughput (framer + decoders + epochs, real captures) | {} | |",
        f(c.decode_mb_s, "MB/s")
    );
    if !c.lines.is_empty() {
        let _ = writeln!(o, "\n```\n{}\n```", c.lines.join("\n"));
    }
    let _ = writeln!(o);
}

fn render_goals(o: &mut String, results: &[LoadResult]) {
    let _ = writeln!(o, "## Goals\n");
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    for (name, v) in ratios(results) {
        let goal = if name == "cpu_saturated" {
            Some(0.5)
        } else if name.starts_with("rss_") {
            Some(0.8)
        } else if name.starts_with("coarse_stddev_") {
            Some(0.1)
        } else if name.starts_with("coarse_added_stddev_") {
            Some(0.25)
        } else {
            None
        };
        if let Some(g) = goal {
            let _ = writeln!(o, "- {name}: {v:.3} (goal ≤ {g}): {}", verdict(v <= g));
        }
    }
    let _ = writeln!(o);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_figures_from_bench_output() {
        let text = "input: 12 captures, 1000 bytes, repeated 3x = 0.0 MB\n\
                    round 0: framer 900 MB/s (10 frames); framer+decoders+epochs 310 MB/s (3 epochs)\n\
                    round 1: framer 950 MB/s (10 frames); framer+decoders+epochs 325 MB/s (3 epochs)\n\
                    day: round 0: 86400 epochs + 86400 edges, wall 2.412 s (decode 0.2 s); without the queries 0.3 s\n\
                    day: round 1: 86400 epochs + 86400 edges, wall 2.398 s (decode 0.2 s); without the queries 0.29 s\n\
                    noise\n";
        let c = CoreFigures::parse(text);
        assert_eq!((c.day_wall_s, c.day_core_s), (Some(2.398), Some(0.29)));
        assert_eq!(c.decode_mb_s, Some(325.0));
        assert_eq!(c.lines.len(), 5);
        assert_eq!(CoreFigures::parse("").day_wall_s, None);
    }

    /// The RATIO names keep their order; the added-jitter ratios come last, per load.
    #[test]
    fn ratio_lines_in_order_with_the_added_jitter_last() {
        use crate::compare::{measure::Cost, Load};
        let result = |load, t_added: f64| LoadResult {
            load,
            window_s: 10.0,
            bytes_per_s: 300.0,
            costs: vec![
                (Proc::Timed, Cost { cpu_s: 1.0, peak_rss_kb: 3000 }),
                (Proc::Gpsd, Cost { cpu_s: 4.0, peak_rss_kb: 4000 }),
            ],
            timed: Coarse { sd_s: 3e-3, sd_daemon_s: t_added, ..Coarse::default() },
            gpsd: Coarse { sd_s: 3e-3, sd_daemon_s: 4e-4, ..Coarse::default() },
            pps_latency: vec![],
            timed_suggested_offset_s: None,
        };
        let r = ratios(&[result(Load::Basic, 1e-4), result(Load::Saturated, 2e-4)]);
        let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "cpu_basic",
                "cpu_saturated",
                "rss_basic",
                "rss_saturated",
                "coarse_stddev_basic",
                "coarse_stddev_saturated",
                "coarse_added_stddev_basic",
                "coarse_added_stddev_saturated",
            ]
        );
        assert_eq!((r[2].1, r[6].1, r[7].1), (0.75, 0.25, 0.5));
    }
}
