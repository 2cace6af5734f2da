//! The report of `timectl receiver`: text for people, JSON (`--json`) for scripts and the proofs
//! (tests/ubx_frames_check.py reads the items: key ID or legacy message, and wanted value).

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;
use timed_core::receiver::{Detected, Interface, ItemReport, Op, Outcome, Report, Settings};

pub fn op_name(op: Op) -> &'static str {
    match op {
        Op::Detect => "detect",
        Op::Plan => "plan",
        Op::Apply => "apply",
        Op::Verify => "verify",
    }
}

fn receiver_line(d: &Detected) -> String {
    let id = &d.identity;
    let model = id.model.clone().unwrap_or_else(|| format!("u-blox (hardware {})", id.hw_version));
    let fw = id.firmware.clone().unwrap_or_else(|| id.sw_version.clone());
    let proto = id.protocol_string().unwrap_or_else(|| "?".into());
    let speaks = match (d.nmea, d.ubx) {
        (true, true) => "NMEA and UBX",
        (false, true) => "UBX",
        _ => "NMEA",
    };
    let iface = match id.interface {
        Interface::Keys => "configuration keys (CFG-VALSET/VALGET)",
        Interface::Legacy => "legacy CFG-* messages",
    };
    let timing = if id.timing { "timing receiver (time mode, survey-in)" } else { "not a timing receiver" };
    format!("{model}, firmware {fw}, protocol {proto}; {} baud, speaks {speaks}; {iface}; {timing}", d.baud)
}

fn value(v: Option<i64>) -> String {
    v.map_or_else(|| "?".to_string(), |v| v.to_string())
}

pub fn text(r: &Report, device: &Path, s: &Settings) -> String {
    let mut t = String::new();
    let dev = device.display();
    let Some(d) = &r.detected else {
        let why = r.failure.as_ref().map_or("no answer".to_string(), |f| f.message());
        let _ = writeln!(t, "{dev}: no u-blox receiver found: {why}");
        return t;
    };
    let _ = writeln!(t, "{dev}: {}", receiver_line(d));
    if r.op == Op::Detect {
        return t;
    }
    let _ = writeln!(
        t,
        "profile {}{}",
        s.profile.name(),
        if s.save { ", saved to BBR and flash" } else { ", RAM only" }
    );
    let applied = r.op == Op::Apply;
    let _ = writeln!(
        t,
        "  {:<34} {:>12} {:>12} {:<10}{}",
        "ITEM",
        if applied { "BEFORE" } else { "CURRENT" },
        "WANTED",
        if applied { "RESULT" } else { "" },
        if applied { "  READ BACK" } else { "  VIA" }
    );
    for i in &r.items {
        let mark = if i.equal { "=" } else { "≠" };
        let tail = if applied {
            format!("{:<10}  {}", i.outcome.name(), value(i.read_back))
        } else {
            format!("{:<10}  {}", "", i.via)
        };
        let _ = writeln!(
            t,
            "{mark} {:<34} {:>12} {:>12} {tail}",
            i.item.id.name(),
            value(i.item.current),
            i.item.wanted
        );
    }
    let _ = writeln!(t, "{}", summary(r));
    t
}

fn names(r: &Report, pick: impl Fn(&ItemReport) -> bool) -> Vec<String> {
    r.items.iter().filter(|i| pick(i)).map(|i| i.item.id.name()).collect()
}

/// The closing lines: what was and was not applied, and what to do.
pub fn summary(r: &Report) -> String {
    let total = r.items.len();
    let equal = r.items.iter().filter(|i| i.equal).count();
    match r.op {
        Op::Detect => String::new(),
        Op::Plan if r.changes() == 0 => format!("nothing to change: all {total} items as planned"),
        Op::Plan => format!("{} of {total} items would change: run `timectl receiver apply`", r.changes()),
        Op::Verify if equal == total => format!("verified: all {total} items read back as planned"),
        Op::Verify => format!(
            "NOT as planned: {} of {total} items differ ({}): run `timectl receiver apply`",
            total - equal,
            names(r, |i| !i.equal).join(", ")
        ),
        Op::Apply => {
            let count = |o: Outcome| r.items.iter().filter(|i| i.outcome == o).count();
            let mut s = format!(
                "applied {}, unchanged {}, refused (NAK) {}, unacknowledged {}; read back: {equal} of {total} as planned",
                count(Outcome::Applied),
                count(Outcome::Unchanged),
                count(Outcome::Nak),
                count(Outcome::NoAck)
            );
            let nak = names(r, |i| i.outcome == Outcome::Nak);
            if !nak.is_empty() {
                let _ = write!(s, "\nrefused by the receiver (ACK-NAK), not applied: {}", nak.join(", "));
            }
            let noack = names(r, |i| i.outcome == Outcome::NoAck);
            if !noack.is_empty() {
                let _ = write!(
                    s,
                    "\nno acknowledgement (missing or garbled) after 3 tries: {}",
                    noack.join(", ")
                );
            }
            let differ = names(r, |i| !i.equal && i.outcome != Outcome::Nak);
            if !differ.is_empty() {
                let _ = write!(s, "\nread back different from the plan: {}", differ.join(", "));
            }
            if let Some(false) = r.saved {
                s.push_str("\nCFG-CFG save to BBR and flash was not acknowledged: the set-up is in RAM only");
            }
            s.push_str(if r.done() {
                "\nDONE: the receiver runs the plan"
            } else if r.all_equal() {
                "\nNOT DONE: every item reads back as planned, but not every set was acknowledged: \
                 the line drops or garbles bytes (wrong speed, noise, another program on the port)"
            } else {
                "\nNOT DONE: see above"
            });
            s
        }
    }
}

pub fn json(r: &Report, device: &Path, s: &Settings, elapsed_s: f64) -> Value {
    let detected = r.detected.as_ref().map(|d| {
        let id = &d.identity;
        json!({
            "baud": d.baud,
            "nmea": d.nmea,
            "ubx": d.ubx,
            "model": id.model,
            "firmware": id.firmware,
            "protocol": id.protocol_string(),
            "sw_version": id.sw_version,
            "hw_version": id.hw_version,
            "interface": id.interface.name(),
            "timing": id.timing,
        })
    });
    let keys = r.detected.as_ref().is_some_and(|d| d.identity.interface == Interface::Keys);
    let items: Vec<Value> = r
        .items
        .iter()
        .map(|i| {
            json!({
                "item": i.item.id.name(),
                "key": keys.then(|| i.item.id.key()),
                "message": (!keys).then(|| i.via.clone()),
                "current": i.item.current,
                "wanted": i.item.wanted,
                "outcome": i.outcome.name(),
                "read_back": i.read_back,
                "equal": i.equal,
            })
        })
        .collect();
    json!({
        "schema": 1,
        "command": op_name(r.op),
        "device": device.display().to_string(),
        "profile": s.profile.name(),
        "save": s.save,
        "detected": detected,
        "items": items,
        "changes": r.changes(),
        "all_equal": r.all_equal(),
        "done": r.op == Op::Apply && r.done(),
        "saved": r.saved,
        "survey": r.survey.map(|v| json!({"ecef_0_1mm": v.ecef_01mm, "accuracy_0_1mm": v.acc_01mm, "done": v.done})),
        "error": r.failure.as_ref().map(|f| f.message()),
        "summary": summary(r),
        "elapsed_s": elapsed_s,
    })
}
