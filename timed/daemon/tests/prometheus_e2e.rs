//! A real Prometheus (Debian `prometheus`) scrapes timed in the lab (simulated receiver and PPS,
//! real timed, real chronyd -x) and evaluates the shipped alert rules: every PromQL expression of
//! the shipped Grafana dashboard (its panels and annotations) must return data, chrony's figures must show the injected truth, and timed's PPS statistics must
//! match the simulator's configured jitter.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "test harness: a failed set-up step should stop the test loudly")]

#[path = "support/prometheus.rs"]
mod prometheus;

use prometheus::Prometheus;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;
use timed_lab::{wait_for, Lab, Options};

const TRUTH: f64 = 250e-6;
const JITTER_NS: u64 = 1000;
const METRICS_PORT: u16 = 19477;
const PROM_PORT: u16 = 19090;
/// The shipped alert rules: the dashboard's alerts row reads their `ALERTS` series (in the lab,
/// at least TimedPpsSimulated fires).
const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/prometheus/alerts.yml");

/// Runs `promtool check metrics` on an exposition: (exit code, findings).
fn promtool(exposition: &[u8]) -> (Option<i32>, String) {
    use std::io::Write;
    let mut p = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("promtool (apt-get install prometheus): {e}"));
    p.stdin.take().unwrap().write_all(exposition).unwrap();
    let out = p.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Every `expr` in the dashboard JSON, with its panel title.
fn dashboard_exprs() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grafana/timed.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let dash: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    fn walk(v: &Value, title: &str, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => {
                let title = m.get("title").and_then(Value::as_str).unwrap_or(title).to_string();
                if let Some(Value::String(e)) = m.get("expr") {
                    out.push((title.clone(), e.clone()));
                }
                for (k, x) in m {
                    if k != "templating" {
                        walk(x, &title, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, title, out)),
            _ => {}
        }
    }
    walk(&dash, "", &mut out);
    assert!(out.len() >= 15, "only {} exprs in the dashboard", out.len());
    out
}

/// Grafana variables as Grafana would fill them for one instance.
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$__interval", "1m")
        .replace("$__range", "5m")
        .replace("${instance}", ".*")
        .replace("$instance", ".*")
}

#[test]
fn every_dashboard_query_returns_data_from_a_real_prometheus() {
    let lab = Lab::start(Options {
        ntp_port: 11231,
        metrics_port: Some(METRICS_PORT),
        edge_jitter_ns: JITTER_NS,
        ..Options::default()
    })
    .unwrap_or_else(|e| panic!("lab: {e}"));
    // The exposition itself is valid (promtool check metrics).
    wait_for(Duration::from_secs(30), || lab.selected("PPS")).ok();
    let scrape = Command::new("curl")
        .args(["-s", "--max-time", "5", &format!("http://127.0.0.1:{METRICS_PORT}/metrics")])
        .output()
        .unwrap()
        .stdout;
    let text = String::from_utf8_lossy(&scrape).to_string();
    for family in ["timed_build_info", "chrony_up", "gpsd_mode"] {
        assert!(text.contains(family), "no {family} in the scrape:\n{text}");
    }
    // timed_* and chrony_* must be lint-clean; gpsd_* keeps the gpsd exporters' names, some of
    // which promtool's linter dislikes (camelCase, "histogram" in a name): exactly those findings
    // are allowed, anything else (and any parse error) fails.
    let own: String = text.lines().filter(|l| !l.contains("gpsd_")).map(|l| format!("{l}\n")).collect();
    let (code, findings) = promtool(own.as_bytes());
    assert_eq!(code, Some(0), "promtool check metrics on timed_* and chrony_*: {findings}");
    const GPSD_COMPAT: [&str; 6] = [
        "gpsd_altHAE metric names should be written in 'snake_case' not 'camelCase'",
        "gpsd_altMSL metric names should be written in 'snake_case' not 'camelCase'",
        "gpsd_geoidSep metric names should be written in 'snake_case' not 'camelCase'",
        "gpsd_nSat metric names should be written in 'snake_case' not 'camelCase'",
        "gpsd_uSat metric names should be written in 'snake_case' not 'camelCase'",
        "gpsd_pps_histogram metric name should not include type 'histogram'",
    ];
    let (code, findings) = promtool(&scrape);
    assert!(code == Some(0) || code == Some(3), "promtool could not parse the exposition: {findings}");
    for f in findings.lines().filter(|l| !l.trim().is_empty()) {
        assert!(GPSD_COMPAT.contains(&f.trim()), "promtool finding outside the gpsd-compatible names: {f}");
    }

    let rules = std::fs::read_to_string(RULES).unwrap();
    let prom = Prometheus::start(PROM_PORT, &rules, &[format!("127.0.0.1:{METRICS_PORT}")], 2.0, None);
    wait_for(Duration::from_secs(60), || prom.try_query("timed_build_info").is_some_and(|r| !r.is_empty()))
        .unwrap_or_else(|_| panic!("prometheus has no timed_build_info after 60 s"));
    // Let windows, rates and ADEV fill. The last to appear is the coarse-offset suggestion,
    // which needs 100 epochs of serial latency against PPS.
    wait_for(Duration::from_secs(180), || {
        prom.try_query("timed_coarse_suggested_offset_seconds").is_some_and(|r| !r.is_empty())
    })
    .unwrap_or_else(|_| panic!("no coarse-offset suggestion after 180 s"));
    std::thread::sleep(Duration::from_secs(6));

    let mut empty = Vec::new();
    let exprs = dashboard_exprs();
    for (title, e) in &exprs {
        if prom.query(&substitute(e)).is_empty() {
            empty.push(format!("{title}: {e}"));
        }
    }
    assert!(
        empty.is_empty(),
        "dashboard queries without data ({} of {}):\n{}",
        empty.len(),
        exprs.len(),
        empty.join("\n")
    );

    // chrony's view of the truth, through timed's chrony_* families.
    let sys = prom.value("chrony_tracking_system_time_seconds").unwrap_or(f64::NAN);
    assert!((sys.abs() - TRUTH).abs() < 20e-6, "chrony_tracking_system_time_seconds = {sys}");
    let pps_offset =
        prom.value(r#"chrony_sources_last_sample_offset_seconds{source_name="PPS"}"#).unwrap_or(f64::NAN);
    assert!(pps_offset.is_finite(), "no PPS last sample offset");
    // timed's PPS statistics match the simulator's jitter (σ = 1 µs, Gaussian).
    let sd = prom.value(r#"timed_offset_stddev_seconds{source="pps",window="1m"}"#).unwrap_or(f64::NAN);
    assert!((0.5e-6..2.0e-6).contains(&sd), "PPS 1-minute stddev {sd:e} s, simulator jitter {JITTER_NS} ns");
    let mean = prom.value(r#"timed_offset_mean_seconds{source="pps",window="1m"}"#).unwrap_or(f64::NAN);
    assert!((mean - TRUTH).abs() < 2e-6, "PPS 1-minute mean {mean:e} s, truth {TRUTH:e}");
    let adev1 = prom.value(r#"timed_offset_adev{source="pps",tau_seconds="1"}"#).unwrap_or(f64::NAN);
    // White phase noise σx: ADEV(1 s) = √3 σx.
    assert!((adev1 / (3f64.sqrt() * 1e-6) - 1.0).abs() < 0.5, "ADEV(1 s) = {adev1:e}");
    println!(
        "{} dashboard queries returned data; chrony system time {sys:+e} s; PPS σ(1m) {sd:e} s",
        exprs.len()
    );
}
