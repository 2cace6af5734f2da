//! The status page on the metrics listener (docs/web.md): `GET /status.json` is the status
//! document (`crate::status`, the same as `timectl status --json`), `GET /` one HTML page made
//! from that document on the server: readable without JavaScript, on a phone, with no external
//! resource (style, script, pictures inline; under 150 KB). With JavaScript, the inline script
//! polls `/status.json` and updates the page in place.
//!
//! Owns: the page (HTML and SVG written out with escaping, `html`, `svg`), the formats of its
//! values (`fmt`, mirrored by live.js) and the short PPS history its chart draws (`history`).
//! Must not depend on the event loop or do I/O: it renders published snapshots handed to it,
//! and the listener (`metrics::server`) decides who is served and for how long.

pub mod fmt;
mod history;
mod html;
mod svg;
#[cfg(test)]
mod tests;

pub use history::{History, Point};

use crate::status::{StatusJson, View};
use crate::verdict::assess;
use serde_json::Value;
use std::fmt::Write;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("live.js");
/// Response headers of the page. The policy forbids every external resource and every script
/// or style but the page's own: the hashes are SHA-256 of `page.css` and `live.js` (a unit test
/// recomputes them), so not even a string that escaped escaping could run. `connect-src 'self'`
/// lets the script poll `/status.json`.
pub const HTML_HEADERS: &str = concat!(
    "Content-Security-Policy: default-src 'none'; connect-src 'self'; img-src data:; ",
    "style-src 'sha256-afDY9m1CfdMI1ETQKKdTQ93QoQ0Z2cyldkjpm9UDiLI='; script-src 'sha256-LsugIxAydTkaaV3dsu5iK4OYC6d5ajx2YygGO/D5iUM='; ",
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n",
    "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nCache-Control: no-store\r\n"
);
pub const JSON_HEADERS: &str = "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n";

/// `/status.json`: the status document, as `timectl status --json` prints it.
pub fn status_json(v: &View) -> String {
    let a = assess(v);
    match serde_json::to_string_pretty(&StatusJson::new(v, &a)) {
        Ok(s) => s + "\n",
        // Only a map with non-string keys fails to encode; the document has none.
        Err(e) => {
            format!("{{\"error\": \"cannot encode the status document: {}\"}}\n", fmt::esc(&e.to_string()))
        }
    }
}

/// `/`: the page.
pub fn page(v: &View, history: &History) -> String {
    let a = assess(v);
    let doc = serde_json::to_value(StatusJson::new(v, &a)).unwrap_or(Value::Null);
    render(&doc, history)
}

/// The page for a status document (as JSON).
pub fn render(doc: &Value, history: &History) -> String {
    let now = doc.get("now_unix_ns").and_then(Value::as_f64);
    let verdict = fmt::show(doc.get("verdict"), fmt::Fmt::Text, None);
    let version = fmt::show(fmt::get(doc, "timed.version"), fmt::Fmt::Text, None);
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\" data-now=\"{now}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>timed: {v}</title><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head>\n<body>\
         <header><h1>timed <span data-p=\"timed.version\" data-f=\"text\">{version}</span></h1>\
         <p id=\"verdict\" class=\"verdict v-{v}\" data-p=\"verdict\" data-f=\"text\">{v}</p>\
         <p class=\"note\">as of <span data-p=\"now_unix_ns\" data-f=\"ago\">{asof}</span> · \
         <span id=\"live\">reload for news</span></p></header>\n<main>",
        now = doc.get("now_unix_ns").and_then(Value::as_i64).map_or(String::new(), |n| n.to_string()),
        v = fmt::esc(&verdict),
        version = fmt::esc(&version),
        asof = fmt::esc(&fmt::show(doc.get("now_unix_ns"), fmt::Fmt::Ago, now)),
    );
    section(&mut o, "Verdict and what to do", &html::reasons(doc));
    let mut pps = String::new();
    html::fields(&mut pps, doc, now, html::PPS);
    pps.push_str(&svg::chart(history));
    section(&mut o, "PPS", &pps);
    let mut chrony = String::new();
    html::fields(&mut chrony, doc, now, html::CHRONY);
    chrony.push_str(&html::sources(doc));
    section(&mut o, "chrony", &chrony);
    let mut rx = String::new();
    html::fields(&mut rx, doc, now, html::RECEIVER);
    rx.push_str(&svg::sky(doc));
    section(&mut o, "Receiver and sky", &rx);
    let mut hold = String::new();
    html::fields(&mut hold, doc, now, html::HOLDOVER);
    section(&mut o, "Holdover", &hold);
    section(&mut o, "Outputs to chrony", &html::sinks(doc));
    section(&mut o, "Recent events", &html::events(doc, now));
    let _ = write!(
        o,
        "</main>\n<footer><a href=\"status.json\">status.json</a> · <a href=\"metrics\">metrics</a> · \
         the same as <code>timectl status</code></footer>\n<script>{SCRIPT}</script></body></html>\n"
    );
    o
}

fn section(o: &mut String, title: &str, body: &str) {
    let _ = writeln!(o, "<section><h2>{}</h2>{body}</section>", fmt::esc(title));
}
