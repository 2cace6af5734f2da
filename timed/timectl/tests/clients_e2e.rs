//! `timectl clients` against a real chronyd 4.3 serving NTP in a network namespace to clients in
//! four others (timed-lab's `Netns::star`). The receiver and PPS pin are simulated by timed-sim
//! (timed runs so that its control socket and metrics are the real ones); the NTP clients are
//! plain UDP senders (python3), the NTP server and its client log are chronyd's own. timectl's
//! client log must equal `chronyc -c clients` and `chronyc -c clients -k` field by field, read
//! both through timed and directly, without resetting chronyd's counters; the metrics' active
//! client counts must match. No NTS-KE here (that needs the NTS set-up: its own test): the
//! NTS-KE columns are compared as chronyc prints them, all zero.
//!
//! Takes about 15 s: the lab's start, and four clients sending 3 to 12 requests each (a
//! request rate limiting drops costs its sender a 0.3 s wait).
#![forbid(unsafe_code)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] fns: a failed unwrap is a failed test"
)]

use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use timed_lab::netns::Netns;
use timed_lab::{Lab, Options};

const METRICS_PORT: u16 = 19362;

/// Sends `n` NTP client requests (mode 3, version 4) to `server`:123 from namespace `ns`, 0.1 s
/// apart, each waiting up to 0.3 s for its answer; returns how many were answered.
fn send(ns: &str, server: &str, n: usize) -> usize {
    let script = format!(
        "import socket, time\n\
         s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.settimeout(0.3)\n\
         ok = 0\n\
         for i in range({n}):\n\
         \x20   s.sendto(b'\\x23' + bytes(39) + i.to_bytes(8, 'big'), ('{server}', 123))\n\
         \x20   try:\n\
         \x20       s.recv(1024); ok += 1\n\
         \x20   except socket.timeout:\n\
         \x20       pass\n\
         \x20   time.sleep(0.1)\n\
         print(ok)\n"
    );
    let out = Netns::exec(ns, "python3").args(["-c", &script]).output().expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("sender in {ns}: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

/// One `chronyc -c clients [-k]` line: address and the nine figures after it.
fn chronyc_clients(lab: &Lab, nke: bool) -> Vec<(String, Vec<i64>)> {
    let args: &[&str] = if nke { &["clients", "-k"] } else { &["clients"] };
    let out = lab.chronyc(args).unwrap_or_else(|e| panic!("{e}"));
    let mut v: Vec<(String, Vec<i64>)> = out
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 10, "chronyc line {l}");
            (f[0].to_string(), f[1..].iter().map(|x| x.parse().unwrap_or_else(|_| panic!("{l}"))).collect())
        })
        .collect();
    v.sort();
    v
}

/// The same ten columns from one client of `timectl clients --json` (chronyc's CSV prints 127 for
/// "no rate" and 4294967295 for "never").
fn timectl_row(c: &Value, nke: bool) -> (String, Vec<i64>) {
    let n = |k: &str| c[k].as_i64().unwrap_or_else(|| panic!("{k} in {c}"));
    let int = |k: &str| if c[k].is_null() { 127 } else { n(k) };
    let ago = |k: &str| if c[k].is_null() { i64::from(u32::MAX) } else { n(k) };
    let tail = if nke {
        vec![n("nts_ke_requests"), n("nts_ke_drops"), int("nts_ke_interval_log2_s"), ago("nts_ke_last_ago_s")]
    } else {
        vec![n("cmd_requests"), n("cmd_drops"), int("cmd_interval_log2_s"), ago("cmd_last_ago_s")]
    };
    let mut v = vec![
        n("ntp_requests"),
        n("ntp_drops"),
        int("ntp_interval_log2_s"),
        int("ntp_limited_interval_log2_s"),
        ago("ntp_last_ago_s"),
    ];
    v.extend(tail);
    (c["address"].as_str().unwrap().to_string(), v)
}

fn timectl_clients(lab: &Lab, direct: bool) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_timectl"));
    cmd.arg("--socket").arg(lab.control_socket());
    if direct {
        cmd.arg("--chrony-socket").arg(lab.chrony_socket());
    }
    let out = cmd.args(["clients", "--json", "--top", "0"]).output().expect("timectl");
    assert!(out.status.success(), "timectl clients: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// timectl's rows equal chronyc's, except that seconds since the last request may have ticked
/// between the reads: each lies between what chronyc said before and after.
fn assert_agree(got: &[(String, Vec<i64>)], before: &[(String, Vec<i64>)], after: &[(String, Vec<i64>)]) {
    assert_eq!(got.len(), before.len(), "timectl {got:?}\nchronyc {before:?}");
    for ((g, b), a) in got.iter().zip(before).zip(after) {
        assert_eq!((&g.0, &b.0), (&a.0, &a.0), "addresses: {got:?} {before:?}");
        for (i, ((gv, bv), av)) in g.1.iter().zip(&b.1).zip(&a.1).enumerate() {
            let ago_column = i == 4 || i == 8;
            if ago_column && *bv != i64::from(u32::MAX) {
                assert!(bv <= gv && gv <= av, "{} column {i}: timectl {gv}, chronyc {bv}..{av}", g.0);
            } else {
                assert_eq!(gv, bv, "{} column {i}: timectl {g:?} chronyc {b:?}", g.0);
            }
        }
    }
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {series} in the scrape:\n{text}"))
}

#[test]
fn timectl_clients_agrees_with_chronyc_clients_field_by_field() {
    let ns = Netns::star("clients", 4).unwrap_or_else(|e| panic!("{e}"));
    let lab = Lab::start(Options {
        ntp_port: 123,
        // Every client reaches the server on its own link's address.
        bind_address: "0.0.0.0".into(),
        allow: "all".into(),
        // Rate limiting (bursts of 4, then one answer in 2 s on average, leak 1 in 4) so that
        // the busier clients get drops and a limited interval to compare too.
        chrony_extra: "ratelimit interval 1 burst 4 leak 2\n".into(),
        netns: Some(ns.server.clone()),
        metrics_port: Some(METRICS_PORT),
        ..Options::default()
    })
    .unwrap_or_else(|e| panic!("lab: {e}"));
    // chronyd answers (unsynchronised) at once: the client log does not need PPS selected.
    let counts = [3usize, 5, 8, 12];
    let answered: Vec<usize> =
        counts.iter().enumerate().map(|(k, n)| send(&ns.clients[k], &ns.server_ips[k], *n)).collect();
    assert_eq!(answered[0], 3, "a client within the burst is always answered");
    let before = chronyc_clients(&lab, false);
    let before_k = chronyc_clients(&lab, true);
    let via_timed = timectl_clients(&lab, false);
    let direct = timectl_clients(&lab, true);
    let after = chronyc_clients(&lab, false);
    let after_k = chronyc_clients(&lab, true);

    // chronyc saw exactly our clients, with our counts (nothing else talks to this chronyd).
    let mut want: Vec<(String, i64)> =
        ns.client_ips.iter().zip(counts).map(|(ip, n)| (ip.clone(), n as i64)).collect();
    want.sort();
    let seen: Vec<(String, i64)> = before.iter().map(|(a, v)| (a.clone(), v[0])).collect();
    assert_eq!(seen, want, "chronyc clients");
    // Every request it did not answer is one chronyd counts as dropped (a veth loses nothing).
    let mut unanswered: Vec<(String, i64)> = ns
        .client_ips
        .iter()
        .zip(counts.iter().zip(&answered))
        .map(|(ip, (n, a))| (ip.clone(), (n - a) as i64))
        .collect();
    unanswered.sort();
    let drops: Vec<(String, i64)> = before.iter().map(|(a, v)| (a.clone(), v[1])).collect();
    assert_eq!(drops, unanswered, "chronyc's drops against the clients' unanswered requests");
    let total_drops: i64 = drops.iter().map(|d| d.1).sum();
    assert!(total_drops > 0, "rate limiting dropped nothing: {before:?}");

    for (from, doc) in [("via timed", &via_timed), ("direct", &direct)] {
        let list = doc["clients"].as_array().unwrap();
        let mut rows: Vec<_> = list.iter().map(|c| timectl_row(c, false)).collect();
        rows.sort();
        assert_agree(&rows, &before, &after);
        let mut rows_k: Vec<_> = list.iter().map(|c| timectl_row(c, true)).collect();
        rows_k.sort();
        assert_agree(&rows_k, &before_k, &after_k);
        // Top talkers first.
        let order: Vec<i64> = list.iter().map(|c| c["ntp_requests"].as_i64().unwrap()).collect();
        assert_eq!(order, [12, 8, 5, 3], "{from}");
        assert!(list.iter().all(|c| c["nts"] == false), "{from}: no NTS-KE was made");
        assert_eq!(doc["activity"]["active_1h"], 4, "{from}: {doc}");
        assert_eq!(doc["activity"]["logged"], 4, "{from}: {doc}");
        // serverstats' total is the sum over the log: chronyd had no other NTP client.
        assert_eq!(doc["totals"]["Ok"]["ntp_hits"], 28, "{from}: {doc}");
        assert_eq!(doc["totals"]["Ok"]["ntp_drops"], total_drops, "{from}: {doc}");
    }
    assert_eq!(via_timed["from"], "via timed");

    // The metrics' counts: a scrape after the cached reading (at most 1 s old) has expired. timed
    // reads the client log for its metrics once a minute; the whole-log read through timed above
    // renewed that summary.
    std::thread::sleep(Duration::from_millis(1100));
    let url = lab.metrics_url().unwrap();
    let out = Command::new("curl").args(["-s", "--max-time", "5", &url]).output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(metric(&text, "chrony_clients_active{window=\"1h\"}"), 4.0);
    assert_eq!(metric(&text, "chrony_clients_active{window=\"24h\"}"), 4.0);
    assert_eq!(metric(&text, "chrony_clients_logged"), 4.0);
    assert_eq!(metric(&text, "chrony_query_errors{query=\"clients\"}"), 0.0);
    assert_eq!(metric(&text, "chrony_serverstats_ntp_packets_received_total"), 28.0);
    assert_eq!(metric(&text, "chrony_serverstats_ntp_packets_dropped_total"), total_drops as f64);
    println!("CLIENTS via timed and direct agree with chronyc -c clients: {before:?}");
}
