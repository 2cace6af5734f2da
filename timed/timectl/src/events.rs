//! `timectl events`: what timed told its owner lately (the snapshot's recent events, oldest
//! first), and with `--follow` each new event as it happens, read from timed's change stream
//! like `timectl watch`. `--json`: one document (`{schema, journal, webhook, events}`), or with
//! `--follow` one event object per line.

use crate::client::{snapshot, watch, Failure, Target};
use serde::Serialize;
use std::process::ExitCode;
use timed::events::record::Record;
use timed::events::{EventsHealth, WebhookHealth};

#[derive(clap::Args)]
pub struct Args {
    /// Keep printing events as they happen (until interrupted).
    #[arg(long, short = 'f')]
    follow: bool,
}

/// `--json` without `--follow`.
#[derive(Serialize)]
struct Document<'a> {
    schema: u32,
    /// Where timed writes events: "journald" or "log".
    journal: &'a str,
    webhook: &'a Option<WebhookHealth>,
    events: &'a [Record],
}

/// One line of `--json --follow`.
#[derive(Serialize)]
struct Line<'a> {
    schema: u32,
    #[serde(flatten)]
    event: &'a Record,
}

pub fn run(t: &Target, a: &Args, json: bool) -> Result<ExitCode, String> {
    if !a.follow {
        let m = match snapshot(&t.socket) {
            Ok(m) => m,
            Err(e) if e.kind.is_busy() => return Ok(crate::fmt::busy("events", &e.message)),
            Err(e) => return Err(e.message),
        };
        let ev = m.timed.map(|h| h.events).unwrap_or_default();
        return print_all(&ev, json).map(|()| ExitCode::SUCCESS);
    }
    let mut stream = watch(&t.socket)?;
    let mut last = 0u64;
    loop {
        let m = match stream.next_message() {
            Ok(m) => m,
            Err(e) if e.kind == Failure::Hung => {
                return Err(format!("timed stopped answering: {}", e.message))
            }
            Err(e) if e.kind.is_busy() => return Ok(crate::fmt::busy("events", &e.message)),
            Err(e) => return Err(e.message),
        };
        let Some(h) = m.timed else { continue };
        // Sequence numbers restart with timed: a lower one than the last printed is a new run.
        if h.events.recent.last().is_some_and(|r| r.seq < last) {
            last = 0;
        }
        let from = last;
        for r in h.events.recent.iter().filter(|r| r.seq > from) {
            let text = if json {
                let l = Line { schema: timed::control::SCHEMA, event: r };
                serde_json::to_string(&l).map_err(|e| format!("cannot encode JSON: {e}"))?
            } else {
                line(r)
            };
            crate::fmt::print_out(&format!("{text}\n"))?;
            last = r.seq;
        }
    }
}

fn print_all(ev: &EventsHealth, json: bool) -> Result<(), String> {
    if json {
        return crate::fmt::print_json(&Document {
            schema: timed::control::SCHEMA,
            journal: &ev.journal,
            webhook: &ev.webhook,
            events: &ev.recent,
        });
    }
    let mut out = String::new();
    if ev.recent.is_empty() {
        out.push_str("no events since timed started\n");
    }
    for r in &ev.recent {
        out.push_str(&line(r));
        out.push('\n');
    }
    out.push_str(&format!("events go to: {}", if ev.journal.is_empty() { "?" } else { &ev.journal }));
    if let Some(w) = &ev.webhook {
        out.push_str(&format!(
            "; webhook {}: {} sent, {} failed, {} dropped (queue full)",
            w.url, w.sent, w.failed, w.dropped
        ));
    }
    out.push('\n');
    crate::fmt::print_out(&out)
}

/// `2026-12-04T16:50:13.120Z  critical  antenna-fault  antenna fault: open circuit; …`
fn line(r: &Record) -> String {
    let t = timed_core::time::UtcTime::from_unix(
        r.at_unix_ms.div_euclid(1000),
        (r.at_unix_ms.rem_euclid(1000) * 1_000_000) as u32,
    );
    format!("{}  {:<8}  {:<24}  {}", t.rfc3339_millis(), r.severity.name(), r.kind.0.name(), r.message)
}
