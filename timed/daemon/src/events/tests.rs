//! The daemon's side of events: records, the journald datagram, the webhook's URL and its
//! never-blocking queue (a real TCP server that accepts and never answers).

use super::record::{Kind, Record};
use super::webhook::{Url, Webhook};
use super::*;
use std::net::TcpListener;
use timed_core::events::{AntennaFault, Event};

#[test]
fn kinds_round_trip_by_their_core_names() {
    for k in EventKind::ALL {
        let j = serde_json::to_string(&Kind(*k)).unwrap_or_default();
        assert_eq!(j, format!("\"{}\"", k.name()));
        let back: Result<Kind, _> = serde_json::from_str(&j);
        assert_eq!(back.ok(), Some(Kind(*k)));
    }
    assert!(serde_json::from_str::<Kind>("\"no-such-event\"").is_err());
}

#[test]
fn a_record_carries_its_typed_fields() {
    let r = Record::new(7, 1_700_000_000_123, &Event::AntennaFault { fault: AntennaFault::Short });
    let j = serde_json::to_value(&r).unwrap_or_default();
    assert_eq!(j["kind"], "antenna-fault");
    assert_eq!(j["severity"], "critical");
    assert_eq!(j["antenna"], "short");
    assert_eq!(j["seq"], 7);
    assert!(j.get("signal").is_none(), "absent fields are left out: {j}");
    let back: Result<Record, _> = serde_json::from_value(j);
    assert_eq!(back.ok(), Some(r.clone()));
    let entry = String::from_utf8(journal::entry(&r)).unwrap_or_default();
    for line in
        ["TIMED_EVENT=antenna-fault\n", "PRIORITY=2\n", "TIMED_ANTENNA=short\n", "SYSLOG_IDENTIFIER=timed\n"]
    {
        assert!(entry.contains(line), "{line:?} missing from {entry:?}");
    }
}

#[test]
fn webhook_urls() {
    assert_eq!(
        Url::parse("http://127.0.0.1:8080/hook"),
        Ok(Url { host: "127.0.0.1".into(), port: 8080, path: "/hook".into() })
    );
    assert_eq!(
        Url::parse("http://example.org"),
        Ok(Url { host: "example.org".into(), port: 80, path: "/".into() })
    );
    assert_eq!(Url::parse("http://[::1]:9/x").map(|u| (u.host, u.port)), Ok(("::1".into(), 9)));
    for bad in [
        "https://x/",
        "ftp://x/",
        "http://:80/",
        "http://x:0/",
        "http://x:99999/",
        "http://u@x/",
        "http://x/a b",
    ] {
        assert!(Url::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_hanging_webhook_never_blocks_and_counts_what_it_drops() {
    // Accepts connections and never answers: every POST waits for its timeouts.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let url = Url::parse(&format!("http://127.0.0.1:{port}/hook")).expect("url");
    let w = Webhook::start(url, "hook", 4).expect("thread");
    let r = Record::new(1, 0, &Event::PpsLost);
    // 1000 offers against a queue of 4 and a sender stuck in its first POST: all return (the
    // test would hang otherwise), at most 5 are taken (4 queued + 1 being sent).
    for _ in 0..1000 {
        w.offer(&r);
    }
    let dropped = w.counters.dropped.load(Ordering::Relaxed);
    assert!(dropped >= 995, "dropped {dropped}");
    assert_eq!(w.counters.sent.load(Ordering::Relaxed), 0);
}

#[test]
fn a_webhook_that_answers_gets_each_event_once() {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let (tx, rx) = std::sync::mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut r = BufReader::new(s.try_clone().expect("clone"));
            let mut len = 0;
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
            let _ = tx.send(serde_json::from_slice(&body).unwrap_or_default());
        }
    });
    let url = Url::parse(&format!("http://127.0.0.1:{port}/hook")).expect("url");
    let w = Webhook::start(url, "hook", 8).expect("thread");
    for (i, e) in [Event::PpsLost, Event::PpsBack].iter().enumerate() {
        w.offer(&Record::new(i as u64 + 1, 0, e));
    }
    let got: Vec<serde_json::Value> =
        (0..2).filter_map(|_| rx.recv_timeout(std::time::Duration::from_secs(10)).ok()).collect();
    let kinds: Vec<&str> = got.iter().map(|v| v["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, ["pps-lost", "pps-back"]);
}

#[test]
fn without_journald_events_are_counted_and_kept() {
    let cfg = crate::config::Events::default();
    let mut ev = Events::with_journal(&cfg, std::path::Path::new("/nonexistent/journal.socket"));
    let mut h = Health::default();
    h.receiver.serial_state = DeviceState::Absent;
    let stamp = |s: i64| timed_core::epoch::RxStamp {
        realtime_ns: 1_800_000_000 * 1_000_000_000 + s,
        monotonic_ns: s,
    };
    let inputs = |s, h| Inputs {
        now: stamp(s),
        pps: PpsState::Acquiring,
        gate: GateState::Open,
        holdover: HoldoverPhase::Off,
        chrony: None,
        health: h,
    };
    assert!(ev.tick(&inputs(0, &h)));
    assert!(!ev.tick(&inputs(1_000_000_000, &h)), "once per transition");
    let snap = ev.health();
    assert_eq!(snap.journal, "log");
    assert_eq!(snap.recent.len(), 1);
    assert_eq!(snap.recent[0].kind, Kind(EventKind::ReceiverLost));
    assert_eq!(snap.counts.len(), EventKind::ALL.len());
    assert_eq!(snap.counts.iter().map(|(_, n)| n).sum::<u64>(), 1);
    assert!(snap.webhook.is_none());
}

#[test]
fn with_journald_events_are_native_entries() {
    // A datagram socket standing in for journald's (no journald on a build host).
    let dir = std::env::temp_dir().join(format!("timed-journal-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("socket");
    let _ = std::fs::remove_file(&path);
    let journald = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
    let cfg = crate::config::Events::default();
    let mut ev = Events::with_journal(&cfg, &path);
    let mut h = Health::default();
    h.receiver.serial_state = DeviceState::Lost;
    let inputs = Inputs {
        now: timed_core::epoch::RxStamp { realtime_ns: 1_800_000_000_000_000_000, monotonic_ns: 1 },
        pps: PpsState::Acquiring,
        gate: GateState::Open,
        holdover: HoldoverPhase::Off,
        chrony: None,
        health: &h,
    };
    assert!(ev.tick(&inputs));
    assert_eq!(ev.health().journal, "journald");
    let mut buf = [0u8; 4096];
    let n = journald.recv(&mut buf).expect("an entry");
    let entry = String::from_utf8_lossy(&buf[..n]).to_string();
    for line in ["TIMED_EVENT=receiver-lost\n", "PRIORITY=2\n", "TIMED_SERIAL_BROKEN=true\n", "TIMED_SEQ=1\n"]
    {
        assert!(entry.contains(line), "{line:?} missing from {entry:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The set-up's state in the snapshot drives the drift event: a check that finds items
/// different is reported once, a configured receiver clears it; a failed or running check
/// says nothing about the receiver's configuration.
#[test]
fn a_receiver_set_up_that_drifts_is_one_event() {
    let cfg = crate::config::Events::default();
    let mut ev = Events::with_journal(&cfg, std::path::Path::new("/nonexistent/journal.socket"));
    let mut h = Health::default();
    h.receiver.serial_state = DeviceState::Opening;
    let stamp = |s: i64| timed_core::epoch::RxStamp {
        realtime_ns: 1_800_000_000 * 1_000_000_000 + s * 1_000_000_000,
        monotonic_ns: s * 1_000_000_000,
    };
    let mut tick = |s: i64, state: SetupState, ev: &mut Events| {
        h.receiver_setup.state = state;
        ev.tick(&Inputs {
            now: stamp(s),
            pps: PpsState::Acquiring,
            gate: GateState::Open,
            holdover: HoldoverPhase::Off,
            chrony: None,
            health: &h,
        });
    };
    tick(0, SetupState::Running, &mut ev);
    tick(1, SetupState::NotConfigured, &mut ev);
    tick(2, SetupState::NotConfigured, &mut ev);
    tick(3, SetupState::Failed, &mut ev);
    tick(4, SetupState::Configured, &mut ev);
    let kinds: Vec<EventKind> = ev.health().recent.iter().map(|r| r.kind.0).collect();
    assert_eq!(kinds, [EventKind::ReceiverNotConfigured, EventKind::ReceiverConfigured]);
}

#[test]
fn a_webhook_url_from_a_file_is_used_and_shown_without_its_path() {
    let dir = std::env::temp_dir().join(format!("timed-webhook-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("webhook");
    std::fs::write(&file, "http://127.0.0.1:9/hook/SECRET-TOKEN\n").expect("write");
    let cfg = crate::config::Events { webhook_file: file.clone(), ..Default::default() };
    let ev = Events::with_journal(&cfg, std::path::Path::new("/nonexistent/journal.socket"));
    let shown = ev.health().webhook.map(|w| w.url).unwrap_or_default();
    assert_eq!(shown, format!("http://127.0.0.1:9/… (from {})", file.display()));
    // Given in timed.toml, it is shown the same way, without the path.
    let inline = crate::config::Events {
        webhook: "http://127.0.0.1:9/hook/SECRET-TOKEN".into(),
        ..Default::default()
    };
    let ev = Events::with_journal(&inline, std::path::Path::new("/nonexistent/journal.socket"));
    assert_eq!(ev.health().webhook.map(|w| w.url).unwrap_or_default(), "http://127.0.0.1:9/…");
    // Not a URL, or no file: no webhook, and timed goes on.
    std::fs::write(&file, "https://example.org/hook\n").expect("write");
    let ev = Events::with_journal(&cfg, std::path::Path::new("/nonexistent/journal.socket"));
    assert!(ev.health().webhook.is_none());
    std::fs::remove_file(&file).expect("remove");
    let ev = Events::with_journal(&cfg, std::path::Path::new("/nonexistent/journal.socket"));
    assert!(ev.health().webhook.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
