//! The audit: every sample chrony logged in `refclocks.log` held against the simulator's truth
//! log, so a replayed scenario proves what reached chrony, not what timed says it sent.
//!
//! Matching: chrony logs each sample with its time (microseconds) and the raw offset (for
//! `refclock SOCK`, the offset timed sent: true − system). That time is chrony's *cooked* time:
//! the sample's system time plus chrony's own correction of the clock, which under `-x` is
//! virtual and follows what chrony was fed (measured in the 20 s wrong-second replay: up to
//! 1.28 s, enough to match a wrong-second sample with the next second, where it looks right).
//! The correction is raw − cooked offset (refclock.c: cooked = raw − correction + the
//! refclock's `offset`, which the lab leaves at 0), so the sample's system time is the logged
//! time less (raw − cooked). The simulator's truth log has,
//! per simulated second, the system time of its PPS edge and the truth offset (true − system,
//! which moves with `truth_drift_ppb`). A sample belongs to the second whose edge is nearest its
//! time (timed stamps PPS samples with the edge and coarse ones with the burst's first byte
//! less the serial delay, both within milliseconds of the edge), and its error is
//! `raw offset − truth offset at the sample's time`, the truth interpolated between the two
//! neighbouring edges. A wrong second shows as an error of about ±1 s.
//!
//! Owns: parsing both logs, matching, the per-refclock summary, offending samples and their
//! text and JSON forms. `report` renders.

mod report;
#[cfg(test)]
mod tests;

use crate::compare::measure::parse_utc;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A sample further than this from every truth edge has no second to be judged against: timed
/// sent it while the simulator was not running (or the truth log is not this run's).
const MATCH_WINDOW_NS: i64 = 600_000_000;

/// An error this large is a second label off by one (or more), not noise.
pub const WRONG_SECOND_S: f64 = 0.5;

/// What a sample may be off the truth before it counts as offending.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Limits {
    /// PPS samples, seconds. Default 50 µs: the simulator stamps edges with Gaussian jitter
    /// (the lab's `edge_jitter_ns` = 1 µs) plus a qErr sawtooth of ±10 ns that timed corrects,
    /// and the edge stamp travels in the datagram, so a correct PPS sample is within about 5 µs
    /// (5σ). 50 µs leaves room for ten times the lab's jitter and still catches a sample that
    /// is off by a serial delay, a qErr sign or anything at the millisecond level.
    pub pps_s: f64,
    /// Coarse samples, seconds. Default 20 ms: the burst's first byte leaves the simulator
    /// 120 ms ± 5 ms (uniform, `message_jitter_ms`) after the second and timed subtracts a
    /// fixed 120 ms, so ±5 ms is the receiver's own spread; the rest is timed's first-byte
    /// stamping on a busy 2-core host (measured up to 9 ms late when the simulator is not
    /// real-time). Anything beyond is a misconfigured serial delay, not jitter.
    pub coarse_s: f64,
    /// The refid of the PPS refclock (the lab's chrony.conf calls it `PPS`); every other
    /// refid is judged as a coarse source.
    pub pps_refid: String,
    /// timed's integrity hold-off (`[integrity] holdoff_s`, the lab's 5 s): after an integrity
    /// fault (antenna, jamming, spoofing, time shift, position jump, bad tAcc, a receiver
    /// restarting) no sample may reach chrony until the fault has been clear this long.
    pub holdoff_s: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { pps_s: 50e-6, coarse_s: 20e-3, pps_refid: "PPS".into(), holdoff_s: 5 }
    }
}

/// Faults the integrity gate closes for (the simulator's names; `cold_start` is the no-fix
/// start-up after a `power_cycle`).
const GATED: [&str; 10] = [
    "antenna_open",
    "antenna_short",
    "jamming",
    "spoofing",
    "time_shift",
    "position_jump",
    "tacc_bad",
    "power_cycle",
    "cold_start",
    "stale_leap",
];

/// Per truth second, the integrity fault whose gate must be closed then: from the second after
/// the fault's first (that second's pulse may be labelled by the announcement of the healthy
/// second before, ahead of the burst that reveals the fault) until the hold-off after its last
/// has passed (less one second: the reopening instant is the last burst's arrival plus the
/// hold-off, which a pulse may meet either side of).
fn gate_closed(truth: &[TruthSecond], holdoff_s: u64) -> Vec<Option<&'static str>> {
    let mut out = vec![None; truth.len()];
    let mut i = 0;
    while i < truth.len() {
        let Some(f) = GATED.iter().find(|f| truth[i].has(f)) else {
            i += 1;
            continue;
        };
        let start = i;
        while i < truth.len() && GATED.iter().any(|g| truth[i].has(g)) {
            i += 1;
        }
        let end = (i + usize::try_from(holdoff_s.saturating_sub(1)).unwrap_or(0)).min(truth.len());
        for slot in out.iter_mut().take(end).skip(start + 1) {
            *slot = slot.or(Some(*f));
        }
    }
    out
}

/// One simulated second of the truth log (the fields the audit uses; others are ignored).
#[derive(Clone, Debug, Deserialize)]
pub struct TruthSecond {
    /// The true UTC second (Unix time).
    pub second: i64,
    /// 0 = the scenario's first second (what `from_s` / `to_s` count).
    pub index: u64,
    /// System time of the second's PPS edge (planned, also when the pulse was dropped).
    pub edge_system_ns: i64,
    /// True − system at this second, ns.
    pub truth_offset_ns: i64,
    /// No edge datagram went out this second.
    #[serde(default)]
    pub dropped: bool,
    #[serde(default)]
    pub faults: Vec<String>,
    /// Written at shutdown for an edge whose burst never went out.
    #[serde(default)]
    pub stopped: bool,
    /// True UTC's label of this pulse (POSIX): `second` except after a leap second, when the
    /// simulator's continuous count and UTC part by the leap (older logs: `second`).
    #[serde(default)]
    pub true_label: Option<i64>,
}

impl TruthSecond {
    fn has(&self, fault: &str) -> bool {
        self.faults.iter().any(|f| f == fault)
    }

    /// No fault in this second: what a healthy receiver sends. An announced leap second is
    /// not a fault: announcing it is what a healthy receiver does.
    fn healthy(&self) -> bool {
        self.faults.iter().all(|f| f == "leap") && !self.stopped
    }

    /// UTC label − count, ns: what a leap second adds to the true − system offset after it.
    fn label_shift_ns(&self) -> i64 {
        (self.true_label.unwrap_or(self.second) - self.second) * 1_000_000_000
    }
}

/// One sample chrony received, as `refclocks.log` has it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RefSample {
    /// Line number in refclocks.log (1-based).
    pub line: usize,
    /// Date and time as chrony printed them (UTC, microseconds; chrony's cooked time).
    pub time: String,
    /// The sample's system time, ns since the Unix epoch: the printed time less chrony's
    /// correction (raw − cooked offset).
    pub system_ns: i64,
    pub refid: String,
    /// Raw offset: for SOCK, what timed sent (true − system), seconds.
    pub raw_offset_s: f64,
    /// chrony's leap column: `N` normal, `+` insert, `-` delete (the indication timed sent).
    pub leap: String,
}

/// A sample the audit objects to, with everything needed to find it in both logs.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub line: usize,
    /// As chrony printed it, and the sample's system time recovered from it (ns).
    pub time: String,
    pub system_ns: i64,
    pub refid: String,
    pub raw_offset_s: f64,
    /// None: no truth second near the sample's time.
    pub truth_offset_s: Option<f64>,
    pub error_s: Option<f64>,
    /// The matched truth second (Unix) and its scenario index.
    pub second: Option<i64>,
    pub index: Option<u64>,
    /// Faults of the matched second.
    pub faults: Vec<String>,
    /// `wrong_second`, `beyond_limit`, `blocked:<fault>`, `unmatched`.
    pub problems: Vec<String>,
}

/// One refclock's figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RefclockSummary {
    pub refid: String,
    /// `pps` or `coarse`.
    pub kind: String,
    pub limit_s: f64,
    pub samples: usize,
    pub wrong_second: usize,
    pub beyond_limit: usize,
    pub blocked: usize,
    pub unmatched: usize,
    /// Largest |error| among the samples that are not a wrong second, seconds.
    pub max_abs_error_s: f64,
    /// Truth seconds with no fault in them or in the second before (either burst may label a
    /// pulse), and how many of them have at least one sample of this refclock.
    pub healthy_seconds: usize,
    pub healthy_with_sample: usize,
    /// Healthy seconds from this refclock's first sample on (start-up is not charged).
    pub healthy_after_first: usize,
    /// Scenario indices of the first and the last matched sample.
    pub first_index: Option<u64>,
    pub last_index: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub limits: Limits,
    pub truth_seconds: usize,
    /// Scenario index of the last second with a fault (recovery is judged after it).
    pub last_fault_index: Option<u64>,
    pub samples: usize,
    pub refclocks: Vec<RefclockSummary>,
    pub offending: Vec<Finding>,
}

impl Report {
    /// No offending sample at all.
    pub fn is_clean(&self) -> bool {
        self.offending.is_empty()
    }

    pub fn refclock(&self, refid: &str) -> Option<&RefclockSummary> {
        self.refclocks.iter().find(|r| r.refid == refid)
    }

    /// Offending samples with this problem (`wrong_second`, `beyond_limit`, `blocked`,
    /// `unmatched`; `blocked` matches every `blocked:<fault>`).
    pub fn with_problem(&self, problem: &str) -> Vec<&Finding> {
        self.offending
            .iter()
            .filter(|f| f.problems.iter().any(|p| p == problem || p.split(':').next() == Some(problem)))
            .collect()
    }
}

/// Reads both files and audits them.
pub fn audit_files(truth: &Path, refclocks: &Path, limits: &Limits) -> Result<Report, String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let truth = parse_truth(&read(truth)?)?;
    let samples = parse_refclocks(&read(refclocks)?)?;
    Ok(audit(&truth, &samples, limits))
}

/// Parses the simulator's JSON-lines truth log, sorted by edge time. An incomplete last line
/// (no newline: the simulator was stopped mid-write) is left out; any other bad line is an
/// error, since skipping it could hide the very second a wrong sample belongs to.
pub fn parse_truth(text: &str) -> Result<Vec<TruthSecond>, String> {
    let mut out = Vec::new();
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<TruthSecond>(line) {
            Ok(s) => out.push(s),
            Err(_) if i + 1 == lines.len() && !complete => {}
            Err(e) => return Err(format!("truth log line {}: {e}", i + 1)),
        }
    }
    out.sort_by_key(|s| s.edge_system_ns);
    Ok(out)
}

/// Parses chrony's refclocks.log: `date time refid DP L P raw-offset cooked-offset dispersion`.
/// Banner and header lines are skipped, and so are chrony's filter lines (`-` for the raw
/// offset): those are its per-poll result, not a sample it received.
pub fn parse_refclocks(text: &str) -> Result<Vec<RefSample>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first().is_none_or(|d| !d.starts_with(|c: char| c.is_ascii_digit())) {
            continue;
        }
        let bad = |what: &str| format!("refclocks.log line {}: {what}: {line:?}", i + 1);
        if f.len() < 9 {
            return Err(bad("fewer than 9 columns"));
        }
        if f[6] == "-" {
            continue;
        }
        let cooked_ns = parse_utc(f[0], f[1]).ok_or_else(|| bad("bad date/time"))?;
        let raw_offset_s = f[6].parse::<f64>().map_err(|_| bad("bad raw offset"))?;
        let cooked_offset_s = f[7].parse::<f64>().map_err(|_| bad("bad cooked offset"))?;
        let correction_ns = ((raw_offset_s - cooked_offset_s) * 1e9).round() as i64;
        let system_ns = cooked_ns - correction_ns;
        out.push(RefSample {
            line: i + 1,
            time: format!("{} {}", f[0], f[1]),
            system_ns,
            refid: f[2].to_string(),
            raw_offset_s,
            leap: f[4].to_string(),
        });
    }
    Ok(out)
}

/// The truth second whose edge is nearest `t_ns` (within `MATCH_WINDOW_NS`), and the truth
/// offset at `t_ns` in seconds, interpolated between the neighbouring edges (a drifting clock).
pub fn truth_at(truth: &[TruthSecond], t_ns: i64) -> Option<(usize, f64)> {
    let after = truth.partition_point(|s| s.edge_system_ns <= t_ns);
    let before = after.checked_sub(1);
    let nearest = [before, (after < truth.len()).then_some(after)]
        .into_iter()
        .flatten()
        .min_by_key(|&i| (truth[i].edge_system_ns - t_ns).abs())?;
    if (truth[nearest].edge_system_ns - t_ns).abs() > MATCH_WINDOW_NS {
        return None;
    }
    let offset_ns = match (before, truth.get(after)) {
        (Some(b), Some(a)) if a.edge_system_ns > truth[b].edge_system_ns => {
            let b = &truth[b];
            let frac = (t_ns - b.edge_system_ns) as f64 / (a.edge_system_ns - b.edge_system_ns) as f64;
            b.truth_offset_ns as f64 + frac * (a.truth_offset_ns - b.truth_offset_ns) as f64
        }
        _ => truth[nearest].truth_offset_ns as f64,
    };
    // The leap shift is whole seconds and belongs to the matched second alone.
    Some((nearest, (offset_ns + truth[nearest].label_shift_ns() as f64) / 1e9))
}

/// Why a fault in the matched second (or the one before) should have kept this sample from
/// chrony, if it should have.
fn blocked_by(
    pps: bool,
    sec: &TruthSecond,
    prev: Option<&TruthSecond>,
    error_s: f64,
    gated: Option<&'static str>,
) -> Option<&'static str> {
    let prev_has = |f: &str| prev.is_some_and(|p| p.has(f));
    if let Some(f) = gated {
        return Some(f);
    }
    if pps && sec.dropped {
        // No edge went out for this second: the pulse was invented.
        return Some("drop_pulse");
    }
    // A coarse sample comes from its own second's burst; a pulse may be labelled by its own
    // burst or by the previous one's TIM-TP announcement, so it is blocked only when neither
    // had a fix.
    if sec.has("no_fix") && (!pps || prev_has("no_fix")) {
        return Some("no_fix");
    }
    if error_s.abs() >= WRONG_SECOND_S && (sec.has("wrong_second") || prev_has("wrong_second")) {
        // The mislabelled burst's second label reached chrony.
        return Some("wrong_second");
    }
    if !pps {
        // No valid message went out this second, so there is nothing to make a coarse sample of.
        for f in ["silence", "garbage", "pulse_only"] {
            if sec.has(f) {
                return Some(f);
            }
        }
    }
    None
}

/// Audits parsed samples against parsed truth (sorted by edge time, as [`parse_truth`] gives).
pub fn audit(truth: &[TruthSecond], samples: &[RefSample], limits: &Limits) -> Report {
    let mut refids: Vec<String> = Vec::new();
    for s in samples {
        if !refids.contains(&s.refid) {
            refids.push(s.refid.clone());
        }
    }
    // Healthy: no fault this second nor the one before (by index: the truth is sorted by edge).
    let gated = gate_closed(truth, limits.holdoff_s);
    // Healthy: no fault in this second nor within the hold-off before it (timed rightly
    // withholds samples then).
    let back = usize::try_from(limits.holdoff_s).unwrap_or(0).max(1);
    let healthy: Vec<bool> = (0..truth.len())
        .map(|i| truth[i.saturating_sub(back)..=i].iter().all(TruthSecond::healthy))
        .collect();
    let mut report = Report {
        limits: limits.clone(),
        truth_seconds: truth.len(),
        last_fault_index: truth.iter().filter(|s| !s.faults.is_empty()).map(|s| s.index).max(),
        samples: samples.len(),
        refclocks: Vec::new(),
        offending: Vec::new(),
    };
    for refid in refids {
        let pps = refid == limits.pps_refid;
        let limit_s = if pps { limits.pps_s } else { limits.coarse_s };
        let mut sum = RefclockSummary {
            refid: refid.clone(),
            kind: if pps { "pps" } else { "coarse" }.into(),
            limit_s,
            ..RefclockSummary::default()
        };
        let mut seen = vec![false; truth.len()];
        let (mut first, mut last): (Option<usize>, Option<usize>) = (None, None);
        for s in samples.iter().filter(|s| s.refid == refid) {
            sum.samples += 1;
            let mut finding = Finding {
                line: s.line,
                time: s.time.clone(),
                system_ns: s.system_ns,
                refid: refid.clone(),
                raw_offset_s: s.raw_offset_s,
                truth_offset_s: None,
                error_s: None,
                second: None,
                index: None,
                faults: Vec::new(),
                problems: Vec::new(),
            };
            let Some((i, truth_s)) = truth_at(truth, s.system_ns) else {
                sum.unmatched += 1;
                finding.problems.push("unmatched".into());
                report.offending.push(finding);
                continue;
            };
            seen[i] = true;
            first = Some(first.map_or(i, |f| f.min(i)));
            last = Some(last.map_or(i, |l| l.max(i)));
            let sec = &truth[i];
            let error = s.raw_offset_s - truth_s;
            finding.truth_offset_s = Some(truth_s);
            finding.error_s = Some(error);
            finding.second = Some(sec.second);
            finding.index = Some(sec.index);
            finding.faults = sec.faults.clone();
            if error.abs() >= WRONG_SECOND_S {
                sum.wrong_second += 1;
                finding.problems.push("wrong_second".into());
            } else {
                sum.max_abs_error_s = sum.max_abs_error_s.max(error.abs());
                if error.abs() > limit_s {
                    sum.beyond_limit += 1;
                    finding.problems.push("beyond_limit".into());
                }
            }
            if let Some(fault) = blocked_by(pps, sec, i.checked_sub(1).map(|p| &truth[p]), error, gated[i]) {
                sum.blocked += 1;
                finding.problems.push(format!("blocked:{fault}"));
            }
            if !finding.problems.is_empty() {
                report.offending.push(finding);
            }
        }
        sum.first_index = first.map(|i| truth[i].index);
        sum.last_index = last.map(|i| truth[i].index);
        for i in (0..truth.len()).filter(|&i| healthy[i]) {
            sum.healthy_seconds += 1;
            sum.healthy_with_sample += usize::from(seen[i]);
            sum.healthy_after_first += usize::from(first.is_some_and(|f| i >= f));
        }
        report.refclocks.push(sum);
    }
    report.offending.sort_by_key(|f| f.line);
    report
}
