//! alerts_e2e's peers: the test copy of the rules, a real Prometheus and Alertmanager, and the
//! webhook receiver Alertmanager delivers to (a minimal HTTP server: one POST per connection).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub const PROM_PORT: u16 = 19091;
pub const AM_PORT: u16 = 19094;

/// A Prometheus duration (`90s`, `2m`, `1h`, `0s`, `500ms`) in ms.
fn duration_ms(d: &str) -> u64 {
    let (n, unit) = d.split_at(d.find(|c: char| !c.is_ascii_digit()).unwrap_or(d.len()));
    let n: u64 = n.parse().unwrap_or_else(|_| panic!("duration {d:?}"));
    n * match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => panic!("duration {d:?}: unit {unit:?}"),
    }
}

/// The shipped rules with every `for:` divided by `by`, and proof that nothing else changed:
/// the copy has the same lines, and each line that differs is a `for:` line in both.
pub fn for_scaled(shipped: &str, by: u64) -> String {
    let out: Vec<String> = shipped
        .lines()
        .map(|l| match l.trim_start().strip_prefix("for: ") {
            Some(d) => format!("{}for: {}ms", &l[..l.len() - l.trim_start().len()], duration_ms(d) / by),
            None => l.to_string(),
        })
        .collect();
    let before: Vec<&str> = shipped.lines().collect();
    assert_eq!(before.len(), out.len());
    let mut changed = 0;
    for (a, b) in before.iter().zip(&out) {
        if a != b {
            assert!(
                a.trim_start().starts_with("for: ") && b.trim_start().starts_with("for: "),
                "{a:?} -> {b:?}"
            );
            changed += 1;
        }
    }
    assert!(changed >= 15, "only {changed} `for:` lines scaled");
    out.join("\n") + "\n"
}

/// A rule's `for` and the longest range window in its expression, seconds.
pub fn rule_times(rules: &str, alert: &str) -> (f64, f64) {
    let start = rules.find(&format!("- alert: {alert}\n")).unwrap_or_else(|| panic!("no rule {alert}"));
    let text = &rules[start + 1..];
    let text = &text[..text.find("- alert: ").unwrap_or(text.len())];
    let for_ms = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("for: "))
        .map(duration_ms)
        .unwrap_or_else(|| panic!("{alert}: no for"));
    // The expression runs from `expr:` to the `for:` after it (annotations may hold brackets).
    let expr = &text[text.find("expr:").unwrap()..];
    let expr = &expr[..expr.find("for: ").unwrap()];
    let window_ms =
        expr.split('[').skip(1).filter_map(|s| s.split(']').next()).map(duration_ms).max().unwrap_or(0);
    (for_ms as f64 / 1e3, window_ms as f64 / 1e3)
}

fn log(dir: &timed_lab::Scratch, name: &str) -> std::fs::File {
    std::fs::File::create(dir.join(name)).unwrap()
}

pub struct Alertmanager {
    child: Child,
    _dir: timed_lab::Scratch,
}

impl Alertmanager {
    /// Every alert in its own group (`group_by: ['...']`), sent at once and on every change.
    pub fn start(hook_port: u16) -> Alertmanager {
        let dir = timed_lab::Scratch::new("timed-alerts-am").unwrap();
        let conf = format!(
            "route:\n  receiver: hook\n  group_by: ['...']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: hook\n    webhook_configs:\n      - url: 'http://127.0.0.1:{hook_port}/'\n        send_resolved: true\n"
        );
        std::fs::write(dir.join("alertmanager.yml"), conf).unwrap();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", dir.join("alertmanager.yml").display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{AM_PORT}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(log(&dir, "alertmanager.log"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start alertmanager (apt-get install prometheus-alertmanager): {e}")
            });
        Alertmanager { child, _dir: dir }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One alert in one webhook delivery, stamped when it arrived.
#[derive(Clone, Debug)]
pub struct Note {
    pub at_ns: i128,
    pub status: String,
    pub alertname: String,
    pub instance: String,
}

pub struct Hook {
    pub port: u16,
    notes: Arc<Mutex<Vec<Note>>>,
}

impl Hook {
    pub fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let notes = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&notes);
        std::thread::spawn(move || {
            for conn in listener.incoming().map_while(Result::ok) {
                let mut r = BufReader::new(conn);
                let mut len = 0usize;
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) && line.trim() != "" {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; len];
                let got = r.read_exact(&mut body).is_ok();
                let at_ns = super::now_ns();
                let _ = r
                    .get_mut()
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let v: serde_json::Value =
                    if got { serde_json::from_slice(&body).unwrap_or_default() } else { Default::default() };
                let mut n = keep.lock().unwrap();
                for a in v["alerts"].as_array().into_iter().flatten() {
                    let s = |k: &str| a["labels"][k].as_str().unwrap_or_default().to_string();
                    n.push(Note {
                        at_ns,
                        status: a["status"].as_str().unwrap_or_default().to_string(),
                        alertname: s("alertname"),
                        instance: s("instance"),
                    });
                }
            }
        });
        Hook { port, notes }
    }

    pub fn notes(&self) -> Vec<Note> {
        self.notes.lock().unwrap().clone()
    }

    pub fn has(&self, instance: &str, alert: &str, status: &str, after_ns: i128) -> bool {
        self.notes().iter().any(|n| {
            n.instance == instance && n.alertname == alert && n.status == status && n.at_ns >= after_ns
        })
    }
}
