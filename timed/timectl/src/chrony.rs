//! `timectl chrony`: chronyd's tracking and sources in chronyc's layout (`chronyc tracking` and
//! `chronyc sources -v` without the legend), read through timed or `--chrony-socket`.

use crate::client::Target;
use crate::fmt::{secs, unsigned};
use serde::Serialize;
use std::fmt::Write;
use std::process::ExitCode;
use timed::chronyctl::{Report, Source, Tracking};

#[derive(Serialize)]
struct ChronyJson<'a> {
    schema: u32,
    from: &'a str,
    #[serde(flatten)]
    report: &'a Report,
}

pub fn run(t: &Target, json: bool) -> Result<ExitCode, String> {
    let v = t.view();
    let report = v.chrony?;
    if json {
        crate::fmt::print_json(&ChronyJson {
            schema: timed::control::SCHEMA,
            from: &v.chrony_from,
            report: &report,
        })?;
    } else {
        crate::fmt::print_out(&render(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// chronyc's state symbols.
pub fn state_char(state: &str) -> char {
    match state {
        "selected" => '*',
        "candidate" => '+',
        "outlier" => '-',
        "falseticker" => 'x',
        "jittery" => '~',
        _ => '?',
    }
}

fn mode_char(mode: &str) -> char {
    match mode {
        "refclock" => '#',
        "peer" => '=',
        _ => '^',
    }
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    match &r.tracking {
        Ok(t) => tracking(&mut o, t),
        Err(e) => {
            let _ = writeln!(o, "tracking unavailable: {e}");
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "MS Name/IP address         Stratum Poll Reach LastRx Last sample");
    let _ = writeln!(o, "{}", "=".repeat(79));
    match &r.sources {
        Ok(list) => {
            for s in list {
                let _ = writeln!(o, "{}", source_line(s));
            }
        }
        Err(e) => {
            let _ = writeln!(o, "sources unavailable: {e}");
        }
    }
    o
}

fn tracking(o: &mut String, t: &Tracking) {
    let dir = |v: f64, pos: &str, neg: &str| if v >= 0.0 { pos.to_string() } else { neg.to_string() };
    let ref_time = if t.ref_time_s > 0.0 {
        let whole = t.ref_time_s.floor();
        let nanos = ((t.ref_time_s - whole) * 1e9) as u32;
        timed_core::time::UtcTime::from_unix(whole as i64, nanos.min(999_999_999)).rfc3339_millis()
    } else {
        "never".into()
    };
    let rows = [
        ("Reference ID", format!("{:08X} ({})", t.ref_id, t.ref_name)),
        ("Stratum", t.stratum.to_string()),
        ("Ref time (UTC)", ref_time),
        // chrony's correction is true − system: positive means the system clock is slow.
        (
            "System time",
            format!(
                "{:.9} seconds {} of NTP time",
                t.system_offset_s.abs(),
                dir(t.system_offset_s, "slow", "fast")
            ),
        ),
        ("Last offset", format!("{:+.9} seconds", t.last_offset_s)),
        ("RMS offset", format!("{:.9} seconds", t.rms_offset_s)),
        ("Frequency", format!("{:.3} ppm {}", t.frequency_ppm.abs(), dir(t.frequency_ppm, "fast", "slow"))),
        ("Residual freq", format!("{:+.3} ppm", t.residual_freq_ppm)),
        ("Skew", format!("{:.3} ppm", t.skew_ppm)),
        ("Root delay", format!("{:.9} seconds", t.root_delay_s)),
        ("Root dispersion", format!("{:.9} seconds", t.root_dispersion_s)),
        ("Update interval", format!("{:.1} seconds", t.update_interval_s)),
        ("Leap status", t.leap_status.clone()),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "{k:<16}: {v}");
    }
}

fn source_line(s: &Source) -> String {
    let last_rx = s.last_rx_ago_s.map_or("-".to_string(), |a| a.to_string());
    format!(
        "{}{} {:<27} {:>3} {:>4} {:>5o} {:>6} {:>9}[{:>9}] +/- {:>8}",
        mode_char(&s.mode),
        state_char(&s.state),
        truncate(&s.name, 27),
        s.stratum,
        s.poll,
        s.reach,
        last_rx,
        compact(secs(s.last_offset_s)),
        compact(secs(s.last_offset_orig_s)),
        compact(unsigned(s.last_error_s))
    )
}

fn compact(s: String) -> String {
    s.replace(' ', "")
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
