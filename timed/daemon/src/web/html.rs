//! The page's HTML, written out by hand (no template engine): every text from the document goes
//! through [`esc`], whoever wrote it (receiver, chronyd, configuration). Values carry their
//! path and format (`data-p`, `data-f`) and lists their container id, which is all live.js needs
//! to update them in place.

use super::fmt::{esc, get, show, Fmt};
use serde_json::Value;
use std::fmt::Write;

/// One value on the page.
pub struct Field {
    pub label: &'static str,
    pub path: &'static str,
    pub fmt: Fmt,
}

const fn f(label: &'static str, path: &'static str, fmt: Fmt) -> Field {
    Field { label, path, fmt }
}

pub const PPS: &[Field] = &[
    f("state", "timed.pps.state", Fmt::Text),
    f("offset", "timed.pps.last_offset_ns", Fmt::Ns),
    f("jitter (1 min σ)", "timed.stats.pps.windows.window=1m.stddev_s", Fmt::Unsigned),
    f("last edge", "timed.pps.last_edge_ns", Fmt::Ago),
    f("source", "timed.pps.source", Fmt::Text),
    f("device", "timed.pps.device", Fmt::Text),
    f("device state", "timed.pps.device_state", Fmt::Text),
    f("simulated", "timed.pps.simulated", Fmt::Text),
    f("edges", "timed.pps.edges", Fmt::Text),
    f("samples", "timed.pps.samples", Fmt::Text),
];

pub const RECEIVER: &[Field] = &[
    f("device", "timed.receiver.device", Fmt::Text),
    f("serial", "timed.receiver.serial_state", Fmt::Text),
    f("model", "timed.receiver.model", Fmt::Text),
    f("firmware", "timed.receiver.firmware", Fmt::Text),
    f("fix", "timed.receiver.fix", Fmt::Text),
    f("time", "timed.receiver.time", Fmt::Text),
    f("time valid", "timed.receiver.time_valid", Fmt::Text),
    f("satellites used", "timed.receiver.sats_used", Fmt::Text),
    f("satellites seen", "timed.receiver.sats_seen", Fmt::Text),
    f("time accuracy (ns)", "timed.receiver.tacc_ns", Fmt::Text),
    f("antenna", "timed.receiver.antenna", Fmt::Text),
    f("jamming state", "timed.receiver.jamming_state", Fmt::Text),
    f("spoofing state", "timed.receiver.spoofing", Fmt::Text),
    f("leap seconds", "timed.receiver.leap_s", Fmt::Text),
    f("survey valid", "timed.receiver.survey_valid", Fmt::Text),
    f("last epoch", "timed.receiver.last_epoch_ns", Fmt::Ago),
];

pub const CHRONY: &[Field] = &[
    f("stratum", "chrony.tracking.Ok.stratum", Fmt::Text),
    f("reference", "chrony.tracking.Ok.ref_name", Fmt::Text),
    f("system offset", "chrony.tracking.Ok.system_offset_s", Fmt::Secs),
    f("last offset", "chrony.tracking.Ok.last_offset_s", Fmt::Secs),
    f("RMS offset", "chrony.tracking.Ok.rms_offset_s", Fmt::Unsigned),
    f("frequency", "chrony.tracking.Ok.frequency_ppm", Fmt::Ppm),
    f("skew", "chrony.tracking.Ok.skew_ppm", Fmt::Ppm),
    f("leap", "chrony.tracking.Ok.leap_status", Fmt::Text),
    f("tracking error", "chrony.tracking.Err", Fmt::Text),
    f("NTP requests served", "chrony.serverstats.Ok.ntp_hits", Fmt::Text),
    f("read", "chrony_from", Fmt::Text),
    f("unavailable", "chrony_error", Fmt::Text),
];

pub const HOLDOVER: &[Field] = &[
    f("state", "timed.holdover.state", Fmt::Text),
    f("reason", "timed.holdover.reason", Fmt::Text),
    f("for", "timed.holdover.elapsed_s", Fmt::WholeS),
    f("error bound", "timed.holdover.bound_s", Fmt::Unsigned),
    f("limit", "timed.holdover.max_error_s", Fmt::Unsigned),
    f("temperature", "timed.holdover.temperature_c", Fmt::Celsius),
];

/// A `<dl>` of fields.
pub fn fields(o: &mut String, doc: &Value, now: Option<f64>, list: &[Field]) {
    o.push_str("<dl>");
    for x in list {
        let _ = write!(
            o,
            "<dt>{}</dt><dd data-p=\"{}\" data-f=\"{}\">{}</dd>",
            esc(x.label),
            esc(x.path),
            x.fmt.name(),
            esc(&show(get(doc, x.path), x.fmt, now))
        );
    }
    o.push_str("</dl>");
}

/// The reasons with their fixes (`<ul id="reasons">`).
pub fn reasons(doc: &Value) -> String {
    let mut o = String::from("<ul id=\"reasons\" class=\"reasons\">");
    let list = doc.get("reasons").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for r in list {
        let s = |k: &str| esc(r.get(k).and_then(Value::as_str).unwrap_or("-"));
        let _ = write!(
            o,
            "<li class=\"sev-{sev}\" data-code=\"{code}\"><b>{sev}</b> <span class=\"msg\">{}</span> \
             <code>{code}</code><div class=\"fix\">fix: {}</div></li>",
            s("message"),
            s("fix"),
            sev = s("severity"),
            code = s("code"),
        );
    }
    if list.is_empty() {
        o.push_str("<li class=\"none\">nothing to report</li>");
    }
    o.push_str("</ul>");
    o
}

/// chronyd's sources (`<tbody id="sources">`).
pub fn sources(doc: &Value) -> String {
    const COLS: [(&str, Fmt); 6] = [
        ("name", Fmt::Text),
        ("mode", Fmt::Text),
        ("state", Fmt::Text),
        ("reach", Fmt::Octal),
        ("last_offset_s", Fmt::Secs),
        ("last_error_s", Fmt::Unsigned),
    ];
    let mut o = String::from(
        "<table><thead><tr><th>name</th><th>mode</th><th>state</th><th>reach</th><th>last offset</th>\
         <th>±</th></tr></thead><tbody id=\"sources\">",
    );
    let list = get(doc, "chrony.sources.Ok").and_then(Value::as_array);
    for s in list.into_iter().flatten() {
        o.push_str("<tr>");
        for (k, fm) in COLS {
            let _ = write!(o, "<td>{}</td>", esc(&show(s.get(k), fm, None)));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
    o
}

/// timed's outputs to chrony (`<ul id="sinks">`).
pub fn sinks(doc: &Value) -> String {
    let mut o = String::from("<ul id=\"sinks\">");
    let list = get(doc, "timed.sinks").and_then(Value::as_array);
    for s in list.into_iter().flatten() {
        let t = |k: &str| esc(&show(s.get(k), Fmt::Text, None));
        let _ = write!(
            o,
            "<li>{} {} <b>{}</b> · sent {} · errors {}{}</li>",
            t("kind"),
            t("target"),
            t("state"),
            t("sent"),
            t("errors"),
            s.get("error").and_then(Value::as_str).map_or(String::new(), |e| format!(" · {}", esc(e)))
        );
    }
    o.push_str("</ul>");
    o
}

/// Where the recent events are in the document: the daemon's bounded list of transitions
/// (`events::EventsHealth::recent`, oldest first; docs/events.md).
pub const EVENTS_PATH: &str = "timed.events.recent";

/// The recent events, newest first (`<ol id="events">`): severity, kind, age, message and the
/// event's own fields (whatever the kind has: `antenna`, `pps_state`, …), so the page needs no
/// change when kinds are added.
pub fn events(doc: &Value, now: Option<f64>) -> String {
    let mut o = String::from("<ol id=\"events\" class=\"events\">");
    let list = get(doc, EVENTS_PATH).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for e in list.iter().rev() {
        o.push_str(&event(e, now));
    }
    if list.is_empty() {
        o.push_str("<li class=\"none\">none recorded</li>");
    }
    o.push_str("</ol>");
    o
}

/// Keys every event has, shown in their own places.
const EVENT_KEYS: [&str; 5] = ["seq", "at_unix_ms", "kind", "severity", "message"];

fn event(e: &Value, now: Option<f64>) -> String {
    let Some(map) = e.as_object() else { return String::new() };
    let text = |k: &str| show(map.get(k), Fmt::Text, None);
    let rest: Vec<String> = map
        .iter()
        .filter(|(k, _)| !EVENT_KEYS.contains(&k.as_str()))
        .map(|(k, v)| format!(" · {k} {}", show(Some(v), Fmt::Text, None)))
        .collect();
    format!(
        "<li class=\"sev-{s}\"><b>{s}</b> {} <span class=\"age\">{}</span> <span class=\"msg\">{}</span>{}</li>",
        esc(&text("kind")),
        esc(&show(map.get("at_unix_ms"), Fmt::AgoMs, now)),
        esc(&text("message")),
        esc(&rest.concat()),
        s = esc(&text("severity")),
    )
}
