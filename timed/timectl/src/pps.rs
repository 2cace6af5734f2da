//! `timectl pps`: PPS edges as they arrive, like `ppstest`, with each edge's offset from the
//! system clock's second, the running jitter, and whether timed paired it with a second. Read
//! from timed's change stream (the device itself belongs to timed). Updates are coalesced to
//! 4 a second, so two edges closer than 250 ms (a duplicate pulse) show as one here; timed's
//! `rejects` count them.

use crate::client::{watch, Failure, Target};
use crate::fmt::{secs, unsigned};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Stop after this many edges (default: run until interrupted).
    #[arg(long, short = 'n')]
    count: Option<u64>,
    /// Give up when no edge arrives for this many seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

/// One edge, as printed with `--json` (one object per line).
#[derive(Serialize)]
struct Edge {
    schema: u32,
    seq: u64,
    /// System time of the assert edge, Unix ns.
    edge_unix_ns: i64,
    /// The edge's distance from the nearest system-clock second, ns.
    offset_from_second_ns: i64,
    /// Standard deviation of `offset_from_second_ns` over the edges shown so far, ns.
    jitter_ns: Option<f64>,
    /// timed's pairing state and the last sample it sent (true − system), ns.
    pairing: String,
    sample_offset_ns: Option<i64>,
    qerr_ps: Option<i32>,
    simulated: bool,
}

pub fn run(t: &Target, a: &Args, json: bool) -> Result<ExitCode, String> {
    let mut stream = watch(&t.socket)?;
    stream.set_timeout(Duration::from_secs(a.timeout.max(1)));
    let mut last_seq = None;
    let mut jitter = Running::default();
    let mut shown = 0u64;
    let mut first = true;
    while a.count.is_none_or(|n| shown < n) {
        let m = match stream.next_message() {
            Ok(m) => m,
            Err(e) if e.kind == Failure::Hung => {
                return Err(format!(
                    "no PPS edge for {} s (check `timectl status`): {}",
                    a.timeout, e.message
                ))
            }
            Err(e) if e.kind.is_busy() => return Ok(crate::fmt::busy("pps", &e.message)),
            Err(e) => return Err(e.message),
        };
        let Some(h) = m.timed else { continue };
        let p = &h.pps;
        if first {
            first = false;
            if !json {
                let sim = if p.simulated { " (SIMULATED edges)" } else { "" };
                crate::fmt::print_out(&format!("trying PPS source {} {}{sim}\n", p.source, p.device))?;
            }
            // The snapshot's edge is old news: show edges that arrive from now on.
            last_seq = p.last_seq;
            continue;
        }
        let (Some(seq), Some(edge)) = (p.last_seq, p.last_edge_ns) else { continue };
        if Some(seq) == last_seq {
            continue;
        }
        last_seq = Some(seq);
        shown += 1;
        let from_second = nearest_second_offset(edge);
        jitter.push(from_second as f64);
        let e = Edge {
            schema: timed::control::SCHEMA,
            seq,
            edge_unix_ns: edge,
            offset_from_second_ns: from_second,
            jitter_ns: jitter.stddev(),
            pairing: p.state.to_string(),
            sample_offset_ns: p.last_offset_ns,
            qerr_ps: p.last_qerr_ps,
            simulated: p.simulated,
        };
        if json {
            let line = serde_json::to_string(&e).map_err(|e| e.to_string())?;
            crate::fmt::print_out(&format!("{line}\n"))?;
        } else {
            crate::fmt::print_out(&format!(
                "assert {}.{:09}, sequence: {seq} - from second {} · jitter {} · {} · sample {}\n",
                edge.div_euclid(1_000_000_000),
                edge.rem_euclid(1_000_000_000),
                secs(from_second as f64 / 1e9),
                e.jitter_ns.map_or("-".into(), |j| unsigned(j / 1e9)),
                e.pairing,
                e.sample_offset_ns.map_or("-".into(), |o| secs(o as f64 / 1e9)),
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Signed distance of `ns` from the nearest whole second, in (−0.5 s, +0.5 s].
fn nearest_second_offset(ns: i64) -> i64 {
    let r = ns.rem_euclid(1_000_000_000);
    if r > 500_000_000 {
        r - 1_000_000_000
    } else {
        r
    }
}

/// Welford's running mean/variance.
#[derive(Default)]
struct Running {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Running {
    fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    fn stddev(&self) -> Option<f64> {
        (self.n >= 2).then(|| (self.m2 / (self.n - 1) as f64).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_wrap_to_the_nearest_second() {
        assert_eq!(nearest_second_offset(1_700_000_000_000_000_123), 123);
        assert_eq!(nearest_second_offset(1_699_999_999_999_999_900), -100);
        assert_eq!(nearest_second_offset(500_000_000), 500_000_000);
        assert_eq!(nearest_second_offset(500_000_001), -499_999_999);
    }

    #[test]
    fn running_stddev_matches_the_sample_formula() {
        let mut r = Running::default();
        assert_eq!(r.stddev(), None);
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            r.push(x);
        }
        // Sample standard deviation of this set: sqrt(32/7).
        assert!((r.stddev().unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    }
}
