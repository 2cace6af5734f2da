//! The status page in a real browser (issue 15): headless Chromium (Debian's `chromium`) loads
//! `/` from a lab — timed-sim stands in for the receiver and the PPS pin (neither exists here);
//! timed and chronyd (`-x`, private) are the real programs — and the test checks that
//!
//! - the page loads with no console error, no uncaught exception and no policy violation;
//! - with JavaScript, the page polls `/status.json` and every value it shows equals that
//!   document as the server formats it (verdict, reasons, PPS state, offsets, chrony sources):
//!   the document the DOM was rendered from is taken from the browser's own network log, so
//!   the comparison is exact although the values change every second;
//! - without JavaScript the server-rendered page shows the verdict and the reasons;
//! - a screenshot at phone size is written (path printed).
//!
//! It prints the figures for the record: page size and time to first render (first contentful
//! paint and navigation timing). Slow (about 40 s): chronyd needs ~16 s to select the PPS
//! refclock, Chromium starts twice (a few seconds each on this machine), and the page is
//! watched through two of its 2-second polls.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

#[path = "support/devtools.rs"]
mod devtools;

use devtools::Browser;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;
use timed::web::fmt::{get, show, Fmt};
use timed_core::base64::decode as base64_decode;
use timed_lab::{wait_for, Lab, Options, Scratch};

/// A phone's viewport (CSS pixels).
const PHONE: (u32, u32) = (412, 915);

/// `GET path` on the lab's metrics listener: (status line, body).
fn http_get(port: u16, path: &str) -> (String, String) {
    try_get(port, path).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn try_get(port: u16, path: &str) -> std::io::Result<(String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: timed\r\n\r\n").as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Ok((head.to_string(), body.to_string()))
}

fn status(port: u16) -> Value {
    serde_json::from_str(&http_get(port, "/status.json").1).unwrap()
}

/// What the page shows, read in one go (the script cannot run in between).
const READ_DOM: &str = r##"(() => {
  const t = e => e.textContent;
  return {
    now: document.documentElement.getAttribute("data-now"),
    polls: document.documentElement.getAttribute("data-polls"),
    verdict: t(document.getElementById("verdict")),
    verdictClass: document.getElementById("verdict").className,
    title: document.title,
    fields: [...document.querySelectorAll("[data-p]")].map(e => [e.dataset.p, e.dataset.f, t(e)]),
    reasons: [...document.querySelectorAll("#reasons > li[data-code]")].map(li => ({
      code: li.dataset.code, severity: t(li.querySelector("b")), message: t(li.querySelector(".msg")),
      fix: t(li.querySelector(".fix")) })),
    sources: [...document.querySelectorAll("#sources tr")].map(tr => [...tr.cells].map(t)),
    events: [...document.querySelectorAll("#events > li:not(.none)")].map(t),
    sats: document.querySelectorAll("#sky-sats g").length,
    chartPoints: (document.getElementById("chart-off").getAttribute("points") || "").split(" ").filter(Boolean).length,
  };
})()"##;

/// Compares what the DOM shows with `doc` formatted as the server formats it.
fn compare(dom: &Value, doc: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let now = doc["now_unix_ns"].as_f64();
    if dom["verdict"] != doc["verdict"] {
        bad.push(format!("verdict {} != {}", dom["verdict"], doc["verdict"]));
    }
    if dom["verdictClass"] != format!("verdict v-{}", doc["verdict"].as_str().unwrap()) {
        bad.push(format!("verdict class {}", dom["verdictClass"]));
    }
    for f in dom["fields"].as_array().unwrap() {
        let (path, fmt, text) = (f[0].as_str().unwrap(), f[1].as_str().unwrap(), f[2].as_str().unwrap());
        let want = show(get(doc, path), Fmt::from_name(fmt).unwrap(), now);
        if text != want {
            bad.push(format!("{path} ({fmt}): page {text:?}, document {want:?}"));
        }
    }
    let reasons: Vec<Value> = doc["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!({"code": r["code"], "severity": r["severity"], "message": r["message"],
                        "fix": format!("fix: {}", r["fix"].as_str().unwrap())})
        })
        .collect();
    if dom["reasons"] != json!(reasons) {
        bad.push(format!("reasons {} != {}", dom["reasons"], json!(reasons)));
    }
    let cols = [
        ("name", Fmt::Text),
        ("mode", Fmt::Text),
        ("state", Fmt::Text),
        ("reach", Fmt::Octal),
        ("last_offset_s", Fmt::Secs),
        ("last_error_s", Fmt::Unsigned),
    ];
    let rows: Vec<Vec<String>> = get(doc, "chrony.sources.Ok")
        .and_then(Value::as_array)
        .map(|l| l.iter().map(|s| cols.iter().map(|(k, f)| show(s.get(*k), *f, None)).collect()).collect())
        .unwrap_or_default();
    if dom["sources"] != json!(rows) {
        bad.push(format!("sources {} != {}", dom["sources"], json!(rows)));
    }
    // Newest first: severity, kind, age, message, then the kind's own fields (sorted keys).
    let own = ["seq", "at_unix_ms", "kind", "severity", "message"];
    let events: Vec<String> = get(doc, "timed.events.recent")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .rev()
                .map(|e| {
                    let t = |k: &str| show(e.get(k), Fmt::Text, None);
                    let mut keys: Vec<&String> = e.as_object().unwrap().keys().collect();
                    keys.sort();
                    let rest: String = keys
                        .iter()
                        .filter(|k| !own.contains(&k.as_str()))
                        .map(|k| format!(" · {k} {}", show(e.get(k.as_str()), Fmt::Text, None)))
                        .collect();
                    let age = show(e.get("at_unix_ms"), Fmt::AgoMs, now);
                    format!("{} {} {age} {}{rest}", t("severity"), t("kind"), t("message"))
                })
                .collect()
        })
        .unwrap_or_default();
    if dom["events"] != json!(events) {
        bad.push(format!("events {} != {}", dom["events"], json!(events)));
    }
    bad
}

/// The bodies of the `/status.json` responses the page received, newest first.
fn polled_documents(b: &mut Browser, session: &str) -> Vec<Value> {
    b.drain();
    let ids: Vec<String> = b
        .events
        .iter()
        .filter(|e| {
            e["method"] == "Network.responseReceived"
                && e["params"]["response"]["url"].as_str().is_some_and(|u| u.ends_with("/status.json"))
        })
        .filter_map(|e| e["params"]["requestId"].as_str().map(String::from))
        .collect();
    let mut docs = Vec::new();
    for id in ids.iter().rev().take(4) {
        if let Ok(r) = b.call(Some(session), "Network.getResponseBody", json!({"requestId": id})) {
            if let Ok(v) = serde_json::from_str::<Value>(r["body"].as_str().unwrap_or("")) {
                docs.push(v);
            }
        }
    }
    docs
}

#[test]
fn the_page_in_chromium_equals_status_json_with_and_without_javascript() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let lab = Lab::start(Options { ntp_port: 11261, metrics_port: Some(port), ..Options::default() })
        .unwrap_or_else(|e| panic!("lab: {e}"));
    // A realistic page: chronyd at stratum 1 on the PPS refclock, PPS locked.
    let ready = wait_for(Duration::from_secs(90), || {
        let d = try_get(port, "/status.json").ok().and_then(|(_, b)| serde_json::from_str::<Value>(&b).ok());
        d.is_some_and(|d| {
            d["chrony"]["tracking"]["Ok"]["stratum"] == 1 && d["timed"]["pps"]["state"] == "locked-tim-tp"
        })
    });
    assert!(ready.is_ok(), "the lab never reached stratum 1 on PPS:\n{}", lab.timed_log());
    let (head, page) = http_get(port, "/");
    assert!(head.contains("Content-Type: text/html; charset=utf-8"), "{head}");
    assert!(head.contains("Content-Security-Policy: default-src 'none'"), "{head}");
    println!(
        "page size: {} bytes (lab: {} satellites listed)",
        page.len(),
        status(port)["timed"]["receiver"]["satellites"].as_array().map_or(0, Vec::len)
    );
    assert!(page.len() < 150 * 1024);

    let mut dir = Scratch::new("timed-web-browser").unwrap();
    dir.keep();
    let url = format!("http://127.0.0.1:{port}/");

    // With JavaScript.
    let mut b = Browser::start(&dir).unwrap();
    let s = b.open_page().unwrap();
    for domain in ["Runtime.enable", "Log.enable", "Page.enable", "Network.enable"] {
        b.call(Some(&s), domain, json!({})).unwrap();
    }
    b.call(
        Some(&s),
        "Emulation.setDeviceMetricsOverride",
        json!({"width": PHONE.0, "height": PHONE.1, "deviceScaleFactor": 2, "mobile": true}),
    )
    .unwrap();
    // Three loads: the first in a fresh browser, then two more of the same page (what a phone
    // that opened it before sees). Each figure is from the page's own paint and navigation timing.
    const TIMING: &str = "new Promise(r => { const f = () => { \
        const p = performance.getEntriesByName('first-contentful-paint')[0]; \
        const n = performance.getEntriesByType('navigation')[0]; \
        if (p && n.loadEventEnd > 0) r({fcp: p.startTime, responseEnd: n.responseEnd, \
        dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, bytes: n.encodedBodySize}); \
        else setTimeout(f, 50); }; f(); })";
    for load in 1..=3 {
        b.events.retain(|e| e["method"] != "Page.loadEventFired");
        b.call(Some(&s), "Page.navigate", json!({"url": url})).unwrap();
        b.wait_event("Page.loadEventFired", Duration::from_secs(20)).unwrap();
        let t = b.eval(&s, TIMING).unwrap();
        println!(
            "load {load}: time to first render (first contentful paint) {:.1} ms after navigation start; \
             response end {:.1} ms, DOMContentLoaded {:.1} ms, load {:.1} ms; {} bytes received",
            t["fcp"].as_f64().unwrap(),
            t["responseEnd"].as_f64().unwrap(),
            t["dcl"].as_f64().unwrap(),
            t["load"].as_f64().unwrap(),
            t["bytes"]
        );
    }
    // Two polls rendered: the script runs, and its second render replaced its first.
    let polled = wait_for(Duration::from_secs(15), || {
        let polls = b.eval(&s, "Number(document.documentElement.getAttribute('data-polls'))").unwrap();
        polls.as_f64().is_some_and(|n| n >= 2.0)
    });
    assert!(polled.is_ok(), "the page did not poll /status.json twice in 15 s: {:?}", b.errors());
    let mut outcome = Err(vec!["no DOM read".to_string()]);
    for _ in 0..3 {
        let dom = b.eval(&s, READ_DOM).unwrap();
        let docs = polled_documents(&mut b, &s);
        let now: f64 = dom["now"].as_str().unwrap().parse().unwrap();
        let Some(doc) = docs.iter().find(|d| d["now_unix_ns"].as_f64() == Some(now)) else { continue };
        assert!(dom["sats"].as_u64().unwrap() > 0, "no satellite in the sky plot");
        assert!(dom["chartPoints"].as_u64().unwrap() >= 2, "the chart has fewer than 2 points");
        assert_eq!(dom["title"], format!("timed: {}", doc["verdict"].as_str().unwrap()));
        let fields = dom["fields"].as_array().unwrap().len();
        let events = dom["events"].as_array().unwrap().len();
        outcome = match compare(&dom, doc) {
            bad if bad.is_empty() => Ok((fields, events)),
            bad => Err(bad),
        };
        break;
    }
    match outcome {
        Ok((n, e)) => println!(
            "with JavaScript: verdict, reasons, {n} values, the chrony sources and {e} recent events equal \
             /status.json"
        ),
        Err(bad) => panic!("the page differs from the document it polled:\n{}", bad.join("\n")),
    }
    let shot = b
        .call(Some(&s), "Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true}))
        .unwrap();
    let png = base64_decode(shot["data"].as_str().unwrap()).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let shot_path = dir.join("status-page-phone.png");
    std::fs::write(&shot_path, &png).unwrap();
    println!("screenshot: {} ({} bytes)", shot_path.display(), png.len());
    b.drain();
    let errors = b.errors();
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));

    // Without JavaScript (a second page with script execution off): the page as the server
    // wrote it. The document is read afterwards, so a verdict that changed in between is
    // read again.
    let nojs = b.open_page().unwrap();
    b.call(Some(&nojs), "Page.enable", json!({})).unwrap();
    b.call(Some(&nojs), "Emulation.setScriptExecutionDisabled", json!({"value": true})).unwrap();
    let dom_path = dir.join("status-page-no-js.html");
    let mut shown = None;
    for _ in 0..3 {
        b.events.retain(|e| e["method"] != "Page.loadEventFired");
        b.call(Some(&nojs), "Page.navigate", json!({"url": url})).unwrap();
        b.wait_event("Page.loadEventFired", Duration::from_secs(20)).unwrap();
        let root = b.call(Some(&nojs), "DOM.getDocument", json!({})).unwrap();
        let html =
            b.call(Some(&nojs), "DOM.getOuterHTML", json!({"nodeId": root["root"]["nodeId"]})).unwrap();
        let html = html["outerHTML"].as_str().unwrap().to_string();
        std::fs::write(&dom_path, &html).unwrap();
        let doc = status(port);
        let verdict = doc["verdict"].as_str().unwrap();
        assert!(!html.contains("data-polls="), "the script ran with JavaScript disabled");
        assert!(html.contains("reload for news"), "no server-rendered page in {}", dom_path.display());
        let want = format!("data-p=\"verdict\" data-f=\"text\">{verdict}</p>");
        let codes = doc["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| html.contains(&format!("data-code=\"{}\"", r["code"].as_str().unwrap())));
        if html.contains(&want) && codes {
            shown = Some(verdict.to_string());
            break;
        }
    }
    b.drain();
    let errors = b.errors();
    assert!(errors.is_empty(), "console errors without JavaScript:\n{}", errors.join("\n"));
    drop(b);
    let shown =
        shown.unwrap_or_else(|| panic!("no verdict equal to /status.json's in {}", dom_path.display()));
    println!(
        "without JavaScript: the page shows verdict {shown} and every reason (DOM: {})",
        dom_path.display()
    );
    let _ = std::fs::remove_dir_all(dir.join("profile"));
    drop(lab);
}
