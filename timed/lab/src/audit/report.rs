//! The audit's text (a summary line per refclock, then each offending sample) and JSON forms.

use super::{Finding, RefclockSummary, Report};
use std::fmt::Write;

impl Report {
    /// Human-readable: what a demo prints and what a failing test shows.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "audit: {} truth seconds, {} samples in refclocks.log; limits PPS {:.0} us, coarse {:.1} ms, wrong second >= 0.5 s",
            self.truth_seconds,
            self.samples,
            self.limits.pps_s * 1e6,
            self.limits.coarse_s * 1e3
        );
        for r in &self.refclocks {
            let _ = writeln!(out, "audit: {}", summary_line(r));
        }
        if !self.offending.is_empty() {
            let _ =
                writeln!(out, "audit: offending samples (refclocks.log line, time, refid, offsets in s):");
            for f in &self.offending {
                let _ = writeln!(out, "  {}", finding_line(f));
            }
        }
        let _ = writeln!(
            out,
            "audit: {}",
            if self.is_clean() {
                "OK".to_string()
            } else {
                format!("FAIL: {} offending samples", self.offending.len())
            }
        );
        out
    }

    /// Machine-readable: the whole report as one JSON object.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn summary_line(r: &RefclockSummary) -> String {
    let limit = if r.kind == "pps" {
        format!("{:.0}us", r.limit_s * 1e6)
    } else {
        format!("{:.1}ms", r.limit_s * 1e3)
    };
    format!(
        "{:<5} {:<6} samples {} wrong-second {} beyond-{limit} {} blocked {} unmatched {} max|err| {:.1} us; healthy seconds with a sample {}/{} ({} since the first sample); samples from index {} to {}",
        r.refid,
        r.kind,
        r.samples,
        r.wrong_second,
        r.beyond_limit,
        r.blocked,
        r.unmatched,
        r.max_abs_error_s * 1e6,
        r.healthy_with_sample,
        r.healthy_seconds,
        r.healthy_after_first,
        r.first_index.map_or("-".to_string(), |i| i.to_string()),
        r.last_index.map_or("-".to_string(), |i| i.to_string()),
    )
}

fn finding_line(f: &Finding) -> String {
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.9}"));
    format!(
        "line {} {} {:<5} raw {:+.9} truth {} error {} second {} (index {}) faults [{}]: {}",
        f.line,
        f.time,
        f.refid,
        f.raw_offset_s,
        opt(f.truth_offset_s),
        opt(f.error_s),
        f.second.map_or("-".to_string(), |s| s.to_string()),
        f.index.map_or("-".to_string(), |i| i.to_string()),
        f.faults.join(","),
        f.problems.join(" ")
    )
}
