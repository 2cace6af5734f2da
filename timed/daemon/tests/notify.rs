//! The real `timed` binary talking sd_notify to a socket this test listens on, as systemd would
//! for `Type=notify` with `WatchdogSec=` (systemd itself cannot run here: no PID 1); and what it
//! does under the unit when the status LED's GPIO line cannot be had.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_timed");

fn scratch(name: &str) -> timed_lab::Scratch {
    timed_lab::Scratch::new(&format!("timed-notify-{name}")).unwrap()
}

/// A timed with no receiver, no PPS, no sinks and no listeners: only the notifications matter.
fn start(dir: &Path, env: &[(&str, &str)]) -> Child {
    start_with(dir, env, "")
}

fn start_with(dir: &Path, env: &[(&str, &str)], extra_config: &str) -> Child {
    let cfg = dir.join("t.toml");
    std::fs::write(
        &cfg,
        format!(
            "[receiver]\ndevice = \"{}/absent\"\n[pps]\nsource = \"off\"\n[chrony.sock]\npps = \"\"\ncoarse = \"\"\n\
             [metrics]\nenabled = false\n[control]\nsocket = \"\"\n{extra_config}",
            dir.display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("-c").arg(&cfg).stderr(Stdio::piped()).env_remove("WATCHDOG_PID");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Every datagram received until `until`, with its arrival time.
fn collect(sock: &UnixDatagram, until: Instant) -> Vec<(Instant, String)> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
        match sock.recv(&mut buf) {
            Ok(n) => out.push((Instant::now(), String::from_utf8_lossy(&buf[..n]).into_owned())),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("recv: {e}"),
        }
    }
    out
}

fn stop(child: Child) -> (Option<i32>, String) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn lines(msg: &str) -> Vec<&str> {
    msg.split('\n').collect()
}

#[test]
fn ready_then_watchdog_pings_at_half_the_interval_then_stopping() {
    let dir = scratch("path");
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    // WatchdogSec=1s: systemd passes WATCHDOG_USEC=1000000, timed must ping about every 0.5 s.
    let child = start(&dir, &[("NOTIFY_SOCKET", path.to_str().unwrap()), ("WATCHDOG_USEC", "1000000")]);
    let t0 = Instant::now();
    let msgs = collect(&sock, t0 + Duration::from_millis(3300));
    let (code, log) = stop(child);
    let after = collect(&sock, Instant::now() + Duration::from_millis(500));
    assert_eq!(code, Some(0), "{log}");

    let (ready_at, ready) = msgs.first().unwrap_or_else(|| panic!("no notification at all\n{log}"));
    let ready = lines(ready);
    assert_eq!(ready[0], "READY=1", "{ready:?}");
    assert!(ready.iter().any(|l| l.starts_with("STATUS=PPS off, coarse only; receiver ")), "{ready:?}");
    assert!(ready.contains(&"WATCHDOG=1"), "the first ping goes with READY: {ready:?}");

    let pings: Vec<Instant> = std::iter::once(*ready_at)
        .chain(msgs.iter().skip(1).filter(|(_, m)| lines(m).contains(&"WATCHDOG=1")).map(|(t, _)| *t))
        .collect();
    // One ping per 0.50–0.55 s (the loop ticks every 50 ms), to the end of the window.
    assert!(pings.len() >= 5, "{} pings: {msgs:?}", pings.len());
    let last = *pings.last().unwrap();
    assert!(t0 + Duration::from_millis(3300) - last < Duration::from_millis(900), "pings stopped: {msgs:?}");
    for w in pings.windows(2) {
        let gap = w[1] - w[0];
        // Never faster than half the interval, and always well inside WATCHDOG_USEC.
        assert!(gap >= Duration::from_millis(450) && gap < Duration::from_millis(900), "gap {gap:?}");
    }
    // The missing receiver shows up in the status, once.
    let statuses: Vec<&str> =
        msgs.iter().skip(1).flat_map(|(_, m)| lines(m)).filter(|l| l.starts_with("STATUS=")).collect();
    assert_eq!(statuses.len(), 1, "{msgs:?}");
    assert!(statuses[0].ends_with("/absent absent"), "{statuses:?}");
    // SIGTERM: STOPPING=1 before exiting.
    assert!(after.iter().any(|(_, m)| lines(m)[0] == "STOPPING=1"), "{after:?}\n{log}");
}

#[test]
fn abstract_socket_and_a_watchdog_meant_for_another_process() {
    use std::os::linux::net::SocketAddrExt;
    let dir = scratch("abstract");
    let name = format!("timed-notify-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let sock = UnixDatagram::bind_addr(&addr).unwrap();
    // WATCHDOG_PID names another process (as when systemd's watchdog is for a wrapper): no pings.
    let child = start(
        &dir,
        &[("NOTIFY_SOCKET", &format!("@{name}")), ("WATCHDOG_USEC", "200000"), ("WATCHDOG_PID", "1")],
    );
    let msgs = collect(&sock, Instant::now() + Duration::from_millis(1500));
    let (code, log) = stop(child);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(msgs.first().map(|(_, m)| lines(m)[0]), Some("READY=1"), "{msgs:?}\n{log}");
    assert!(msgs.iter().all(|(_, m)| !lines(m).contains(&"WATCHDOG=1")), "{msgs:?}");
}

#[test]
fn an_unusable_notify_socket_is_logged_and_timed_runs_on() {
    let dir = scratch("bad");
    let missing = dir.join("nobody-listens.sock");
    let child = start(&dir, &[("NOTIFY_SOCKET", missing.to_str().unwrap()), ("WATCHDOG_USEC", "200000")]);
    std::thread::sleep(Duration::from_millis(1200));
    let (code, log) = stop(child);
    assert_eq!(code, Some(0), "{log}");
    // Said once, not at every ping.
    let said = log.matches("cannot notify the service manager").count();
    assert_eq!(said, 1, "{log}");
    assert!(log.contains(missing.to_str().unwrap()), "{log}");
}

/// An LED line that cannot be had (here: a chip path that is no GPIO chip; on a Pi, a typo or a
/// line another driver holds) is named in the log once, and timed still becomes ready and runs:
/// the LED is an indicator, never a reason not to serve time.
#[test]
fn an_unavailable_led_line_is_logged_and_timed_still_gets_ready() {
    let dir = scratch("led");
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let chip = dir.join("gpiochip9");
    std::fs::write(&chip, "").unwrap();
    let led = format!("[led]\nenabled = true\nchip = \"{}\"\nline = \"17\"\n", chip.display());
    let child = start_with(&dir, &[("NOTIFY_SOCKET", path.to_str().unwrap())], &led);
    let msgs = collect(&sock, Instant::now() + Duration::from_millis(1500));
    let (code, log) = stop(child);
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(msgs.first().map(|(_, m)| lines(m)[0]), Some("READY=1"), "{msgs:?}\n{log}");
    assert_eq!(log.matches("status LED unavailable").count(), 1, "{log}");
    assert!(log.contains(&format!("GPIO line 17 on {}", chip.display())), "{log}");
}
