//! A small client of Chromium's DevTools protocol over `--remote-debugging-pipe`: commands go
//! to the browser's fd 3, answers and events come from its fd 4, one JSON object per message,
//! each ended by a NUL byte. No websocket and no extra crate: the child's fds 3 and 4 are the
//! test's pipes, placed there by the shell that execs Chromium.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub struct Browser {
    child: Child,
    to: ChildStdin,
    from: Receiver<Value>,
    next_id: u64,
    /// Every event received so far (console messages, exceptions, network), in order.
    pub events: Vec<Value>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Chromium binary (Debian's package; `CHROMIUM` overrides).
pub fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

/// Flags every run here needs: root in a container has no usable sandbox, no GPU, no D-Bus.
pub const BASE_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

impl Browser {
    /// Starts Chromium with its profile in `dir` and its log in `dir/chromium.log`.
    pub fn start(dir: &Path) -> Result<Browser, String> {
        let log = std::fs::File::create(dir.join("chromium.log")).map_err(|e| e.to_string())?;
        // fd 3 = our stdin pipe, fd 4 = our stdout pipe; Chromium's own stdout goes to the log.
        let mut child = Command::new("bash")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" 3<&0 4>&1 0</dev/null 1>&2")
            .arg(chromium())
            .args(BASE_FLAGS)
            .arg("--remote-debugging-pipe")
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromium()))?;
        let to = child.stdin.take().ok_or("no stdin")?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let (tx, from) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(out);
            let mut buf = Vec::new();
            while r.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                buf.clear();
            }
        });
        Ok(Browser { child, to, from, next_id: 0, events: Vec::new() })
    }

    /// Sends a command (to the page's session when `session` is given) and waits for its
    /// answer, keeping the events that arrive meanwhile.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).map_err(|e| e.to_string())?;
        bytes.push(0);
        self.to.write_all(&bytes).map_err(|e| format!("{method}: cannot write to Chromium: {e}"))?;
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let m = self.recv(until).map_err(|e| format!("{method}: {e}"))?;
            if m.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(e) = m.get("error") {
                    return Err(format!("{method}: {e}"));
                }
                return Ok(m.get("result").cloned().unwrap_or(Value::Null));
            }
            self.events.push(m);
        }
    }

    /// Waits for an event named `method` (already received or arriving before `timeout`).
    pub fn wait_event(&mut self, method: &str, timeout: Duration) -> Result<Value, String> {
        if let Some(e) = self.events.iter().find(|e| e["method"] == method) {
            return Ok(e.clone());
        }
        let until = Instant::now() + timeout;
        loop {
            let m = self.recv(until).map_err(|e| format!("waiting for {method}: {e}"))?;
            self.events.push(m.clone());
            if m["method"] == method {
                return Ok(m);
            }
        }
    }

    /// Takes in the events that have arrived, without waiting.
    pub fn drain(&mut self) {
        while let Ok(m) = self.from.try_recv() {
            self.events.push(m);
        }
    }

    fn recv(&mut self, until: Instant) -> Result<Value, String> {
        let left = until.saturating_duration_since(Instant::now());
        self.from.recv_timeout(left).map_err(|e| match e {
            RecvTimeoutError::Timeout => "no answer from Chromium in time".to_string(),
            RecvTimeoutError::Disconnected => {
                "Chromium closed its pipe (crashed? see chromium.log)".to_string()
            }
        })
    }

    /// Opens a page target and attaches to it; returns the session id.
    pub fn open_page(&mut self) -> Result<String, String> {
        let t = self.call(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let target = t["targetId"].as_str().ok_or("no targetId")?.to_string();
        let a = self.call(None, "Target.attachToTarget", json!({"targetId": target, "flatten": true}))?;
        Ok(a["sessionId"].as_str().ok_or("no sessionId")?.to_string())
    }

    /// Evaluates `expr` in the page and returns its value (JSON-serialisable results only).
    pub fn eval(&mut self, session: &str, expr: &str) -> Result<Value, String> {
        let r = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("{expr}: {e}"));
        }
        Ok(r["result"]["value"].clone())
    }

    /// What the page reported as errors: uncaught exceptions, console.error/assert, and the
    /// browser's own error entries (failed loads, policy violations).
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| {
                let p = &e["params"];
                match e["method"].as_str() {
                    Some("Runtime.exceptionThrown") => true,
                    Some("Runtime.consoleAPICalled") => {
                        matches!(p["type"].as_str(), Some("error" | "assert"))
                    }
                    Some("Log.entryAdded") => p["entry"]["level"] == "error",
                    _ => false,
                }
            })
            .map(|e| e.to_string())
            .collect()
    }
}
