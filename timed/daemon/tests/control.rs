//! The control socket of the real `timed` binary: schema, change stream, bounded connections,
//! timeouts, permissions, and never taking over a live socket. timed runs without a receiver or
//! PPS (both degraded states are part of the snapshot).
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_timed");

struct Timed {
    child: Child,
    dir: timed_lab::Scratch,
}

impl Drop for Timed {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn start(name: &str, control: &str) -> Timed {
    let dir = timed_lab::Scratch::new(&format!("timed-control-{name}")).unwrap();
    let cfg = dir.join("t.toml");
    std::fs::write(
        &cfg,
        format!(
            "[receiver]\ndevice = \"{d}/absent\"\n[pps]\nsource = \"off\"\n[chrony]\ncommand_socket = \"\"\n\
             [chrony.sock]\npps = \"{d}/pps.sock\"\ncoarse = \"\"\n[metrics]\nenabled = false\n[control]\nsocket = \"{d}/control.sock\"\n{control}\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let child = Command::new(BIN).arg("-c").arg(&cfg).stderr(Stdio::piped()).spawn().unwrap();
    let t = Timed { child, dir };
    wait_socket(&t.dir.join("control.sock"));
    t
}

fn wait_socket(p: &Path) {
    for _ in 0..100 {
        if UnixStream::connect(p).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} never accepted", p.display());
}

fn request(p: &Path, line: &str) -> BufReader<UnixStream> {
    let mut s = UnixStream::connect(p).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A refused (busy) client may find the socket already closed by the server after its error
    // line: the write can fail with EPIPE, the error line is still there to read.
    let _ = s.write_all(line.as_bytes());
    BufReader::new(s)
}

fn next(r: &mut BufReader<UnixStream>) -> Value {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}: {l:?}"))
}

#[test]
fn snapshot_and_watch_follow_the_documented_schema() {
    let t = start("schema", "");
    let sock = t.dir.join("control.sock");
    let mut r = request(&sock, "snapshot\n");
    let v = next(&mut r);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["kind"], "snapshot");
    assert!(v["now_unix_ns"].as_i64().unwrap() > 1_700_000_000_000_000_000);
    let h = &v["timed"];
    for key in ["version", "started_unix_s", "receiver", "pps", "coarse_samples", "sinks", "stats"] {
        assert!(h.get(key).is_some(), "timed.{key} missing: {h:#}");
    }
    assert_eq!(h["receiver"]["serial_state"], "absent", "{h:#}");
    assert!(h["receiver"]["serial_error"].as_str().unwrap().contains("No such file"));
    assert_eq!(h["pps"]["source"], "off");
    assert_eq!(h["sinks"][0]["kind"], "sock-pps");
    assert_eq!(v["chrony_note"], "[chrony] command_socket is \"\" in timed.toml");
    // The server closes after a snapshot.
    let mut rest = String::new();
    assert_eq!(r.read_to_string(&mut rest).unwrap(), 0);

    // watch: a snapshot first; then updates follow changes — the stream stays open. Nothing
    // is required to change here, but something may (the holdover reader's first reading, which
    // has no chronyd to ask, lands within the first seconds): whatever comes must be a whole
    // document of the schema, and the stream must not end.
    let mut w = request(&sock, "watch\n");
    assert_eq!(next(&mut w)["kind"], "snapshot");
    w.get_ref().set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let until = std::time::Instant::now() + Duration::from_millis(1500);
    while std::time::Instant::now() < until {
        let mut l = String::new();
        match w.read_line(&mut l) {
            Ok(0) => panic!("the watch stream ended"),
            Ok(_) => {
                let u: serde_json::Value = serde_json::from_str(&l).unwrap();
                assert_eq!((&u["schema"], &u["kind"]), (&1.into(), &"update".into()), "{u}");
                assert!(u["timed"].get("pps").is_some(), "an update is a whole snapshot: {u}");
            }
            Err(e) => assert!(
                matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
                "{e}"
            ),
        }
    }
}

#[test]
fn bad_requests_slow_clients_and_a_full_house_get_errors() {
    let t = start("limits", "");
    let sock = t.dir.join("control.sock");
    let v = next(&mut request(&sock, "reboot\n"));
    assert_eq!(v["kind"], "error");
    assert!(v["error"].as_str().unwrap().contains("unknown request \"reboot\""), "{v}");
    // No request at all: an error after 2 s, not a connection held forever.
    let mut idle = BufReader::new(UnixStream::connect(&sock).unwrap());
    idle.get_ref().set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let v = next(&mut idle);
    assert!(v["error"].as_str().unwrap().contains("no request within 2 s"), "{v}");
    // Eight watchers fill the watchers' house; the ninth is told so, typed as busy.
    let mut watchers: Vec<_> = (0..8).map(|_| request(&sock, "watch\n")).collect();
    for w in &mut watchers {
        assert_eq!(next(w)["kind"], "snapshot");
    }
    let v = next(&mut request(&sock, "watch\n"));
    assert!(v["error"].as_str().unwrap().starts_with("busy: 8 watchers"), "{v}");
    assert_eq!(v["refusal"], "busy", "{v}");
    // A watcher that hangs up frees its place even though nothing changes in this idle timed.
    drop(watchers.pop());
    std::thread::sleep(Duration::from_millis(600));
    let mut w = request(&sock, "watch\n");
    assert_eq!(next(&mut w)["kind"], "snapshot");
    watchers.push(w);
    oneshots_are_never_starved(&sock);
}

/// With every watcher place taken and more silent connections than the server keeps waiting
/// for a request (an idle or reconnecting client, or a group member holding them open on
/// purpose), a snapshot is still answered at once.
fn oneshots_are_never_starved(sock: &Path) {
    let mut idle: Vec<UnixStream> = (0..40).map(|_| UnixStream::connect(sock).unwrap()).collect();
    for round in 0..5 {
        let t = std::time::Instant::now();
        let v = next(&mut request(sock, "snapshot\n"));
        assert_eq!(v["kind"], "snapshot", "round {round}: {v}");
        assert!(t.elapsed() < Duration::from_millis(500), "round {round}: snapshot took {:?}", t.elapsed());
        // Reconnecting idle clients: the silent ones are replaced by new silent ones.
        idle.drain(..8);
        idle.extend((0..8).map(|_| UnixStream::connect(sock).unwrap()));
    }
}

#[test]
fn the_socket_gets_its_mode_and_group_and_a_live_one_is_never_taken_over() {
    let t = start("perm", "mode = \"0640\"\ngroup = \"nogroup\"");
    let sock = t.dir.join("control.sock");
    let meta = std::fs::metadata(&sock).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    let nogroup = std::fs::read_to_string("/etc/group")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("nogroup:x:")?.split(':').next()?.parse::<u32>().ok())
        .unwrap();
    assert_eq!(meta.gid(), nogroup);
    // A second timed pointed at the same socket keeps running without it and says why; the
    // first one still answers.
    let cfg = t.dir.join("t.toml");
    let mut second = Command::new(BIN).arg("-c").arg(&cfg).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill").args(["-TERM", &second.id().to_string()]).status();
    let mut log = String::new();
    second.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    let _ = second.wait();
    assert!(log.contains("another timed is serving this socket"), "{log}");
    assert_eq!(next(&mut request(&sock, "snapshot\n"))["kind"], "snapshot");
}
