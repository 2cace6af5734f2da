//! The page from fixed documents: values as formatted, hostile strings escaped, the policy's
//! hashes, the size budget, the history's bounds. (In a real browser: tests/web_browser.rs.)

use super::fmt::{esc, get, show, Fmt};
use super::*;
use crate::chronyctl::fixture::report;
use crate::control::Message;
use crate::health::{DeviceState, FixKind, Health, PpsLock, Sat, Sink, SinkState, Window};
use crate::status::{CtlError, Failure};

const NOW: i64 = 1_800_000_000_000_000_000;

/// A busy sky, a locked PPS with statistics, chrony on PPS: what a real page shows.
fn healthy() -> Health {
    let mut h = Health { version: "0.test".into(), ..Health::default() };
    let rx = &mut h.receiver;
    rx.device = "/dev/gps0".into();
    rx.serial_state = DeviceState::Open;
    rx.model = Some("00190000".into());
    rx.epochs = 100;
    rx.last_epoch_ns = Some(NOW - 300_000_000);
    rx.time_valid = true;
    rx.fix = FixKind::ThreeD;
    rx.fix_ok = true;
    rx.sats_used = Some(14);
    rx.sats_seen = Some(32);
    rx.leap_valid = true;
    rx.satellites = (0..32)
        .map(|i| Sat {
            gnss: if i < 16 { "GPS".into() } else { "Galileo".into() },
            gnss_id: if i < 16 { 0 } else { 2 },
            svid: i as u16 + 1,
            cno_dbhz: Some(30 + (i % 15) as u8),
            elev_deg: Some((i * 7 % 90) as i16),
            azim_deg: Some((i * 37 % 360) as i16),
            used: i % 2 == 0,
        })
        .collect();
    h.pps.source = crate::config::PpsSource::Kernel;
    h.pps.device = "/dev/pps0".into();
    h.pps.device_state = DeviceState::Open;
    h.pps.last_edge_ns = Some(NOW - 200_000_000);
    h.pps.state = PpsLock::LockedTimTp;
    h.pps.samples = 1000;
    h.pps.last_offset_ns = Some(-1234);
    let win = Window { window: "1m".into(), count: 60, stddev_s: 8.5e-7, ..Window::default() };
    h.stats.pps = Some(crate::health::SourceStats { windows: vec![win], ..Default::default() });
    h.sinks = vec![Sink {
        kind: "sock-pps".into(),
        target: "/run/chrony/timed-pps.sock".into(),
        state: SinkState::Ok,
        ..Sink::default()
    }];
    h
}

fn view(h: Health) -> View {
    let m = Message {
        schema: crate::control::SCHEMA,
        kind: "snapshot".into(),
        refusal: None,
        now_unix_ns: NOW,
        timed: Some(h),
        chrony: Some(report(&[("PPS", "refclock", 2e-7), ("NMEA", "refclock", -0.0123)])),
        chrony_note: None,
        clients: None,
        error: None,
    };
    View::from_message(m)
}

fn full_history() -> History {
    let mut hist = History::default();
    let mut h = healthy();
    for i in 0..(History::CAPACITY as i64 + 50) {
        h.pps.samples += 1;
        h.pps.last_edge_ns = Some(NOW - (400 - i) * 1_000_000_000);
        h.pps.last_offset_ns = Some((i * 37 % 2001) - 1000);
        hist.observe(&h);
    }
    hist
}

#[test]
fn the_page_shows_the_documents_values_as_formatted() {
    let v = view(healthy());
    let page = page(&v, &full_history());
    let doc: Value = serde_json::from_str(&status_json(&v)).unwrap();
    assert_eq!(doc["verdict"], "OK");
    assert!(
        page.contains("<p id=\"verdict\" class=\"verdict v-OK\" data-p=\"verdict\" data-f=\"text\">OK</p>")
    );
    assert!(page.contains("<title>timed: OK</title>"));
    // The PPS offset and jitter, the units timectl shows.
    assert!(page.contains("data-p=\"timed.pps.last_offset_ns\" data-f=\"ns\">-1.2 µs</dd>"), "{page}");
    assert!(page.contains("data-f=\"unsigned\">850 ns</dd>"), "{page}");
    assert!(page.contains("data-p=\"timed.pps.last_edge_ns\" data-f=\"ago\">0.2 s ago</dd>"));
    assert!(page.contains("data-p=\"timed.pps.state\" data-f=\"text\">locked-tim-tp</dd>"));
    // chrony's sources, one row each, reach in octal.
    assert!(page.contains("<td>NMEA</td><td>refclock</td><td>selected</td><td>377</td><td>-12.300 ms</td>"));
    // Every satellite with a position is a dot; the used ones filled.
    assert_eq!(page.matches("<g class=\"sat used\">").count(), 16);
    assert_eq!(page.matches("<g class=\"sat\">").count(), 16);
    // The chart carries its points for the script.
    let pts = page.split("data-pts=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(pts.split(' ').count(), History::CAPACITY);
    assert!(page.contains("nothing to report"));
}

#[test]
fn a_realistic_page_stays_under_150_kb() {
    let mut h = healthy();
    h.receiver.extensions = (0..8).map(|i| format!("EXT{i}=something")).collect();
    let page = page(&view(h), &full_history());
    eprintln!(
        "page size with 32 satellites, 2 sources and {} chart points: {} bytes",
        History::CAPACITY,
        page.len()
    );
    assert!(page.len() < 150 * 1024, "{} bytes", page.len());
    assert!(!page.contains("http://") && !page.contains("https://") || only_svg_namespace(&page));
}

/// The one absolute URL allowed: the SVG namespace name in the script (an identifier, never
/// fetched).
fn only_svg_namespace(page: &str) -> bool {
    page.matches("http").count() == page.matches("http://www.w3.org/2000/svg").count()
}

#[test]
fn hostile_strings_from_receiver_and_chrony_are_text() {
    let mut h = healthy();
    h.receiver.model = Some("<script>alert(1)</script>".into());
    h.receiver.device = "/dev/\"><img src=x onerror=alert(2)>".into();
    h.sinks[0].error = Some("</li><script>alert(3)</script>".into());
    h.sinks[0].state = SinkState::Failing;
    let mut v = view(h);
    if let Ok(Ok(sources)) = v.chrony.as_mut().map(|c| &mut c.sources) {
        sources[0].name = "'><svg onload=alert(4)>".into();
    }
    let page = page(&v, &History::default());
    assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
    for bad in ["<img", "<svg onload", "alert(1)</script>", "onerror=alert(2)>"] {
        assert!(!page.contains(bad), "{bad} in the page");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("/dev/&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("<td>&#39;&gt;&lt;svg onload=alert(4)&gt;</td>"));
    assert!(
        page.contains("&lt;/li&gt;&lt;script&gt;alert(3)&lt;/script&gt;"),
        "the sink's error and the reason"
    );
}

#[test]
fn without_timed_the_page_still_says_failing_and_why() {
    let v = View {
        timed: Err(CtlError::new(Failure::Missing, "no <timed>".into())),
        chrony: Err("chronyd & co. down".into()),
        chrony_from: "test".into(),
    };
    let page = page(&v, &History::default());
    assert!(page.contains(">FAILING</p>"));
    assert!(page.contains("data-code=\"timed-unreachable\""));
    assert!(page.contains("no &lt;timed&gt;"));
    assert!(page.contains("data-p=\"chrony_error\" data-f=\"text\">chronyd &amp; co. down</dd>"));
    assert!(page.contains("PPS offset: no samples yet"));
}

#[test]
fn formats_read_as_timectl_writes_them() {
    let doc: Value = serde_json::json!({
        "a": {"b": [{"w": "1m", "x": 2.5e-6}, {"w": "5m", "x": 1.0}]},
        "n": -1234, "t": 1.8e18, "r": 255, "s": "x", "yes": true, "f": 0.0625
    });
    assert_eq!(show(get(&doc, "a.b.w=1m.x"), Fmt::Secs, None), "+2.5 µs");
    assert_eq!(show(get(&doc, "a.b.w=5m.x"), Fmt::Unsigned, None), "1.000 s");
    assert_eq!(show(get(&doc, "a.b.w=1h.x"), Fmt::Secs, None), "-");
    assert_eq!(show(get(&doc, "n"), Fmt::Ns, None), "-1.2 µs");
    assert_eq!(show(get(&doc, "t"), Fmt::Ago, Some(1.8e18 + 2.25e9)), "2.2 s ago");
    assert_eq!(show(get(&doc, "r"), Fmt::Octal, None), "377");
    assert_eq!(show(get(&doc, "yes"), Fmt::Text, None), "yes");
    assert_eq!(show(get(&doc, "s"), Fmt::Ppm, None), "-");
    // An exact tie rounds to even (live.js does the same).
    assert_eq!(show(get(&doc, "f"), Fmt::Ppm, None), "+0.062 ppm");
    assert_eq!(show(get(&doc, "missing"), Fmt::Text, None), "-");
    assert_eq!(esc("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

/// The policy admits the page's style and script by their SHA-256: recomputed here with
/// Python's hashlib, so an edit of page.css or live.js without the new hash fails.
#[test]
fn the_policy_hashes_are_those_of_the_inline_style_and_script() {
    for (what, text) in [("style", STYLE), ("script", SCRIPT)] {
        let mut child = std::process::Command::new("python3")
            .args(["-c", "import base64,hashlib,sys;print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let hash = String::from_utf8(out.stdout).unwrap();
        let want = format!("{what}-src 'sha256-{}'", hash.trim());
        assert!(HTML_HEADERS.contains(&want), "{want} not in {HTML_HEADERS}");
    }
}

#[test]
fn history_keeps_one_point_per_sample_within_its_bounds() {
    let hist = full_history();
    assert_eq!(hist.points().len(), History::CAPACITY);
    let pts: Vec<&Point> = hist.points().collect();
    assert!(pts.last().unwrap().t_s - pts[0].t_s <= History::SPAN_S);
    assert_eq!(pts.last().unwrap().jitter_ns, Some(850.0));
    // A snapshot without a new sample adds nothing; a clock stepped back starts again.
    let mut hist = History::default();
    let mut h = healthy();
    hist.observe(&h);
    hist.observe(&h);
    assert_eq!(hist.points().len(), 1);
    h.pps.samples += 1;
    h.pps.last_edge_ns = Some(NOW - 10_000_000_000);
    hist.observe(&h);
    assert_eq!(hist.points().len(), 1);
    assert_eq!(hist.points().next().unwrap().t_s, (NOW - 10_000_000_000) as f64 / 1e9);
}

#[test]
fn recent_events_are_listed_newest_first_with_their_fields_as_text() {
    let v = view(healthy());
    let a = assess(&v);
    let mut doc = serde_json::to_value(StatusJson::new(&v, &a)).unwrap();
    let at = NOW / 1_000_000;
    doc["timed"]["events"] = serde_json::json!({"recent": [
        {"seq": 1, "at_unix_ms": at - 60_000, "kind": "lock-regained", "severity": "info",
         "message": "PPS locked", "label": "tim-tp"},
        {"seq": 2, "at_unix_ms": at - 2_500, "kind": "antenna-fault", "severity": "critical",
         "message": "antenna <b>open</b>", "antenna": "open"},
    ]});
    let page = render(&doc, &History::default());
    let first = page.find("antenna-fault").unwrap();
    assert!(first < page.find("lock-regained").unwrap(), "newest first");
    assert!(
        page.contains(
            "<li class=\"sev-critical\"><b>critical</b> antenna-fault <span class=\"age\">2.5 s ago</span> \
         <span class=\"msg\">antenna &lt;b&gt;open&lt;/b&gt;</span> · antenna open</li>"
        ),
        "{page}"
    );
    assert!(page.contains(
        "<span class=\"age\">60.0 s ago</span> <span class=\"msg\">PPS locked</span> · label tim-tp</li>"
    ));
    assert!(!page.contains("<li class=\"none\">none recorded</li>"));
}
