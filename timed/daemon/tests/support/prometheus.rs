//! A real Prometheus (Debian `prometheus`) for the tests that need one (prometheus_e2e: the
//! dashboard's queries; alerts_e2e: the alert rules): started on a private port and storage
//! directory, scraping the given timed targets as job `timed`, evaluating the given rules and,
//! when asked, sending to an Alertmanager; queried through its HTTP API with curl.
#![allow(dead_code, reason = "shared by several test binaries, each using a part")]

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use timed_lab::Scratch;

pub struct Prometheus {
    child: Child,
    port: u16,
    /// Removed when dropped, after prometheus has stopped.
    _dir: Scratch,
}

impl Prometheus {
    /// Prometheus on 127.0.0.1:`port`, scraping and evaluating every `interval_s` seconds,
    /// with `rules` (the text of a rules file) and the Alertmanager on 127.0.0.1:`alertmanager`.
    pub fn start(
        port: u16,
        rules: &str,
        targets: &[String],
        interval_s: f64,
        alertmanager: Option<u16>,
    ) -> Prometheus {
        let dir = Scratch::new("timed-prom").unwrap_or_else(|e| panic!("scratch: {e}"));
        let write = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
        };
        write("alerts.yml", rules);
        let t: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let am = alertmanager.map_or(String::new(), |p| {
            format!(
                "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{p}']\n"
            )
        });
        write(
            "prometheus.yml",
            &format!(
                "global:\n  scrape_interval: {interval_s}s\n  evaluation_interval: {interval_s}s\n\
                 rule_files: ['{}']\n{am}\
                 scrape_configs:\n  - job_name: timed\n    static_configs:\n      - targets: [{}]\n",
                dir.join("alerts.yml").display(),
                t.join(", ")
            ),
        );
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap_or_else(|e| panic!("log: {e}"));
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start prometheus (apt-get install prometheus): {e}"));
        Prometheus { child, port, _dir: dir }
    }

    /// An instant query, now or at Unix time `at_ns`: the result vector, None when the query
    /// failed (Prometheus not up yet, or an error, which is printed).
    pub fn try_query_at(&self, expr: &str, at_ns: Option<i128>) -> Option<Vec<Value>> {
        let mut cmd = Command::new("curl");
        cmd.args(["-sg", "--max-time", "5"])
            .arg(format!("http://127.0.0.1:{}/api/v1/query", self.port))
            .args(["--data-urlencode", &format!("query={expr}")]);
        if let Some(ns) = at_ns {
            cmd.args(["--data-urlencode", &format!("time={:.3}", ns as f64 / 1e9)]);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("curl: {e}"));
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        if v["status"] != "success" {
            eprintln!("query {expr:?}: {}", String::from_utf8_lossy(&out.stdout));
            return None;
        }
        Some(v["data"]["result"].as_array().cloned().unwrap_or_default())
    }

    pub fn try_query(&self, expr: &str) -> Option<Vec<Value>> {
        self.try_query_at(expr, None)
    }

    /// An instant query that must succeed.
    pub fn query(&self, expr: &str) -> Vec<Value> {
        self.try_query(expr).unwrap_or_else(|| panic!("query {expr:?} failed"))
    }

    /// The first sample's value of an instant query now (None: no series).
    pub fn value(&self, expr: &str) -> Option<f64> {
        first_value(&self.query(expr))
    }

    /// The first sample's value of an instant query at Unix time `at_ns` (None: no series, or
    /// the query failed).
    pub fn value_at(&self, expr: &str, at_ns: i128) -> Option<f64> {
        first_value(&self.try_query_at(expr, Some(at_ns))?)
    }

    /// Every target of job `timed` scraped and up.
    pub fn ready(&self, targets: &[String]) -> bool {
        self.try_query("up{job=\"timed\"} == 1").is_some_and(|r| r.len() == targets.len())
    }
}

fn first_value(r: &[Value]) -> Option<f64> {
    r.first()?["value"][1].as_str()?.parse().ok()
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
