//! Figures taken from outside the daemons: CPU and peak RSS from `/proc`, and the coarse
//! source's error from chrony's `refclocks.log` joined with the simulator's truth log.

/// CPU time (user + system) and peak resident set of one process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    pub cpu_s: f64,
    /// `VmHWM`, kB.
    pub peak_rss_kb: u64,
}

/// Reads `/proc/PID/stat` (utime + stime, fields 14 and 15, in clock ticks) and `VmHWM` from
/// `/proc/PID/status` (proc(5)).
pub fn cost(pid: u32, ticks_per_s: f64) -> Option<Cost> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_cost(&stat, &status, ticks_per_s)
}

fn parse_cost(stat: &str, status: &str, ticks_per_s: f64) -> Option<Cost> {
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(Cost { cpu_s: ticks / ticks_per_s, peak_rss_kb: hwm })
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on if that fails).
pub fn ticks_per_s() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// One raw (unfiltered) sample from `refclocks.log`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawSample {
    /// Sample time (chrony's cooked time, UTC), ns since the Unix epoch.
    pub time_ns: i64,
    /// Raw offset: reference − system, seconds (before chrony's corrections and `offset`).
    pub raw_s: f64,
}

/// The raw-sample rows of `refclocks.log` for `refid`.
///
/// chrony.conf(5), `log refclocks`: columns are date, time, refid, driver poll sequence number
/// (or `-` for a filtered sample), leap, PPS flag, raw offset (or `-`), cooked offset,
/// dispersion. chrony 4.3 logs a raw row only after the sample passed its checks (sane time and
/// offset, valid leap, increasing sample time: refclock.c `RCL_AddSample`); a sample it rejects
/// leaves no row. A filtered row is logged only when the median filter produced a sample for the
/// poll (samplefilt.c drops one whose variance is over its maximum).
pub fn raw_samples(log: &str, refid: &str) -> Vec<RawSample> {
    log.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 9 || f[2] != refid || f[3] == "-" {
                return None;
            }
            Some(RawSample { time_ns: parse_utc(f[0], f[1])?, raw_s: f[6].parse().ok()? })
        })
        .collect()
}

/// `YYYY-MM-DD` + `HH:MM:SS.ffffff` (UTC) → ns since the Unix epoch.
pub fn parse_utc(date: &str, time: &str) -> Option<i64> {
    let d: Vec<i64> = date.split('-').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<i64> = hms.split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 || frac.is_empty() || frac.len() > 9 {
        return None;
    }
    let ns_frac = frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32);
    let secs = days_from_civil(d[0], d[1], d[2]) * 86_400 + t[0] * 3600 + t[1] * 60 + t[2];
    Some(secs * 1_000_000_000 + ns_frac)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the era/day-of-era method: 400-year
/// eras of 146 097 days, years counted from March so the leap day comes last).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One second of the simulator's truth log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Truth {
    /// The true UTC second (Unix).
    pub second: i64,
    /// True − system, ns.
    pub offset_ns: i64,
    /// System time the burst's first byte went out (None: no serial bytes that second).
    pub burst_start_ns: Option<i64>,
    /// System time just after the simulator wrote that first byte (None: not logged, older
    /// logs); later than `burst_start_ns` by the byte's time on the wire plus host delay.
    pub burst_written_ns: Option<i64>,
    pub burst_bytes: u64,
}

/// Parses the truth log (one flat JSON object per line, written by timed-sim).
pub fn truth_lines(text: &str) -> Vec<Truth> {
    text.lines()
        .filter_map(|l| {
            Some(Truth {
                second: json_i64(l, "second")?,
                offset_ns: json_i64(l, "truth_offset_ns")?,
                burst_start_ns: json_i64(l, "burst_start_system_ns"),
                burst_written_ns: json_i64(l, "burst_written_system_ns"),
                burst_bytes: json_i64(l, "burst_bytes").and_then(|b| u64::try_from(b).ok()).unwrap_or(0),
            })
        })
        .collect()
}

/// The integer value of `"key":` in a flat JSON line (None when absent, null or not an integer).
fn json_i64(line: &str, key: &str) -> Option<i64> {
    let pat = format!("\"{key}\":");
    let rest = &line[line.find(&pat)? + pat.len()..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// The coarse source's quality over a window of true seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Coarse {
    /// Raw samples chrony took (rows in refclocks.log) whose second lies in the window.
    pub samples: usize,
    /// Seconds the simulator sent a burst for in the window.
    pub epochs: usize,
    /// Filtered samples chrony produced in the window, and the polls (4 s each) it spans.
    pub filtered: usize,
    pub polls: usize,
    /// Error = raw offset − true offset, seconds.
    pub mean_s: f64,
    pub sd_s: f64,
    /// 99th percentile of |error − mean| (the spread a chrony `offset` cannot take out).
    pub p99_s: f64,
    /// Standard deviation of the error once the receiver's own burst-start jitter (known
    /// exactly from the truth log) is taken out: what the daemon itself adds.
    pub sd_daemon_s: f64,
}

impl Coarse {
    pub fn accepted(&self) -> f64 {
        if self.epochs == 0 {
            0.0
        } else {
            self.samples as f64 / self.epochs as f64
        }
    }
}

/// Joins raw samples with the truth: a sample's second is the whole second it claims
/// (reference time = sample time + raw offset, rounded), seconds in `[from_s, to_s)` count.
pub fn coarse(raw: &[RawSample], filtered: usize, truth: &[Truth], from_s: i64, to_s: i64) -> Coarse {
    let in_window = |s: i64| (from_s..to_s).contains(&s);
    let by_second: std::collections::HashMap<i64, &Truth> = truth.iter().map(|t| (t.second, t)).collect();
    // When each burst really began: the simulator's record of its first byte's write where the
    // log has one (it includes that byte's constant wire time and any host delay), else the
    // planned start.
    let began = |t: &Truth| t.burst_written_ns.or(t.burst_start_ns);
    // The receiver's mean burst delay over the window, to express each burst's deviation.
    let delays: Vec<f64> = truth
        .iter()
        .filter(|t| in_window(t.second))
        .filter_map(|t| began(t).map(|b| (b + t.offset_ns - t.second * 1_000_000_000) as f64 / 1e9))
        .collect();
    let mean_delay = mean(&delays);
    let mut err = Vec::new();
    let mut err_daemon = Vec::new();
    for s in raw {
        let claimed = ((s.time_ns as f64 / 1e9) + s.raw_s).round() as i64;
        if !in_window(claimed) {
            continue;
        }
        // Every second of the window has a truth line; a claimed second without one (a
        // mislabelled sample) is judged against the constant truth of its neighbours.
        let t = by_second.get(&claimed).copied().or_else(|| truth.iter().rev().find(|t| in_window(t.second)));
        let Some(t) = t else { continue };
        let e = s.raw_s - t.offset_ns as f64 / 1e9;
        err.push(e);
        if let Some(b) = began(t) {
            // A burst late by x makes a first-byte stamp late by x: the offset comes out x low.
            let late = (b + t.offset_ns - t.second * 1_000_000_000) as f64 / 1e9 - mean_delay;
            err_daemon.push(e + late);
        }
    }
    let m = mean(&err);
    let mut dev: Vec<f64> = err.iter().map(|e| (e - m).abs()).collect();
    dev.sort_by(f64::total_cmp);
    Coarse {
        samples: err.len(),
        epochs: truth.iter().filter(|t| in_window(t.second) && t.burst_bytes > 0).count(),
        filtered,
        polls: usize::try_from((to_s - from_s).max(0) / 4).unwrap_or(0),
        mean_s: m,
        sd_s: sd(&err),
        p99_s: percentile(&dev, 0.99),
        sd_daemon_s: sd(&err_daemon),
    }
}

/// Counts filtered rows whose time falls in the window of true seconds.
pub fn filtered_in(log: &str, refid: &str, truth_offset_s: f64, from_s: i64, to_s: i64) -> usize {
    log.lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() >= 9 && f[2] == refid && f[3] == "-" && {
                parse_utc(f[0], f[1]).is_some_and(|t| {
                    let s = (t as f64 / 1e9 + truth_offset_s).floor() as i64;
                    (from_s..to_s).contains(&s)
                })
            }
        })
        .count()
}

pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Sample standard deviation (n − 1).
pub fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
#[path = "measure_tests.rs"]
mod tests;
