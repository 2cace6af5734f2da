//! Runs the real binary for about four seconds: two ptys, an edge socket and a truth log in a
//! temporary directory, read the way the daemon will read them.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use nix::fcntl::OFlag;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use timed_core::epoch::{Assembler, Epoch, Fix};
use timed_core::framer::{ubx_frame, Frame, Framer};
use timed_core::pps::decode_sim_edge;
use timed_core::stream::StreamDecoder;

const OFFSET_NS: i64 = 250_000;

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as i64
}

/// Reads a pty slave until it hangs up, sending every chunk with its receive time.
fn read_pty(path: &Path, tx: mpsc::Sender<(i64, Vec<u8>)>) -> File {
    let f =
        OpenOptions::new().read(true).write(true).custom_flags(OFlag::O_NOCTTY.bits()).open(path).unwrap();
    let mut r = f.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = r.read(&mut buf) {
            if tx.send((now_ns(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    f
}

/// Bursts as (receive time of the first byte, bytes), split where the line was quiet.
fn bursts(chunks: &[(i64, Vec<u8>)]) -> Vec<(i64, Vec<u8>)> {
    let mut out: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut last = i64::MIN;
    for (t, b) in chunks {
        match out.last_mut() {
            Some(cur) if t - last < 300_000_000 => cur.1.extend_from_slice(b),
            _ => out.push((*t, b.clone())),
        }
        last = *t;
    }
    out
}

/// Epochs closed by NAV-EOE (a burst cut off by the end of the capture is not one).
fn epochs(bytes: &[u8]) -> (Vec<Epoch>, StreamDecoder) {
    let mut d = StreamDecoder::new(Assembler::new());
    let mut v = Vec::new();
    d.feed(bytes, None, |e| v.push(e));
    (v, d)
}

fn ubx_frames(bytes: &[u8]) -> Vec<(u8, u8, Vec<u8>)> {
    let mut v = Vec::new();
    Framer::new().feed(bytes, |f| {
        if let Frame::Ubx { class, id, payload } = f.frame {
            v.push((class, id, payload.to_vec()));
        }
    });
    v
}

#[test]
fn real_time_edges_bursts_acks_and_cleanup() {
    let dir = timed_lab::Scratch::new("timed-sim-rt").unwrap();
    let (link0, link1) = (dir.join("gps0"), dir.join("gps1"));
    let (sock_path, truth_path) = (dir.join("pps.sock"), dir.join("truth.jsonl"));
    // A stale symlink from an earlier run must be replaced.
    std::os::unix::fs::symlink("/nonexistent/stale", &link0).unwrap();
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(50))).unwrap();

    // Started as the lab starts it (SCHED_FIFO where allowed: bursts on time on a busy host).
    let mut child = timed_lab::sim_command(Path::new(env!("CARGO_BIN_EXE_timed-sim")))
        .args(["--pty", link0.to_str().unwrap(), "--pty", link1.to_str().unwrap()])
        .args(["--pps-socket", sock_path.to_str().unwrap(), "--truth-log", truth_path.to_str().unwrap()])
        .args(["--seed", "7", "--truth-offset", "0.00025", "--edge-jitter-ns", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut announced = Vec::new();
    loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "simulator exited before ready");
        if line.trim() == "ready" {
            break;
        }
        announced.push(line.trim().to_string());
    }
    assert_eq!(announced.len(), 2, "{announced:?}");
    for (line, link) in announced.iter().zip([&link0, &link1]) {
        let target = std::fs::read_link(link).unwrap();
        assert_eq!(*line, format!("pty: {} -> {}", link.display(), target.display()));
        assert!(target.starts_with("/dev/pts/"), "{target:?}");
    }

    // A daemon may open the port, close it and open it again (probing, restarts).
    for _ in 0..2 {
        drop(
            OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(OFlag::O_NOCTTY.bits())
                .open(&link0)
                .unwrap(),
        );
    }
    let (tx0, rx0) = mpsc::channel();
    let (tx1, rx1) = mpsc::channel();
    let mut pty0 = read_pty(&link0, tx0);
    let _pty1 = read_pty(&link1, tx1);
    let start = Instant::now();
    let mut edges = Vec::new();
    let mut cfg_sent = false;
    let mut cfg_sent_at = 0;
    let mut buf = [0u8; 64];
    while start.elapsed() < Duration::from_millis(3_200) {
        if let Ok(n) = sock.recv(&mut buf) {
            edges.push((decode_sim_edge(&buf[..n]).expect("edge datagram"), now_ns()));
        }
        if !cfg_sent && start.elapsed() > Duration::from_millis(1_500) {
            // CFG-RATE 1 Hz, as a daemon configuring the receiver would send it.
            pty0.write_all(&ubx_frame(0x06, 0x08, &[0xE8, 0x03, 0x01, 0x00, 0x01, 0x00])).unwrap();
            cfg_sent = true;
            cfg_sent_at = now_ns();
        }
    }
    let read_end = now_ns();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    for link in [&link0, &link1] {
        assert!(std::fs::symlink_metadata(link).is_err(), "{} left behind", link.display());
    }

    // Edges: one per second, consecutive sequence numbers, at S − truth offset.
    assert!(edges.len() >= 2, "{edges:?}");
    let mut seconds = Vec::new();
    for (e, arrived) in &edges {
        let s = (e.system_ns + OFFSET_NS + 500_000_000).div_euclid(1_000_000_000);
        let residual = e.system_ns + OFFSET_NS - s * 1_000_000_000;
        // 1 µs Gaussian jitter (6 σ) plus at most 10 ns of qErr sawtooth.
        assert!(residual.abs() < 6_010, "edge {e:?} is {residual} ns off S − offset");
        assert!(
            (0..50_000_000).contains(&(arrived - e.system_ns)),
            "edge sent {} ns late",
            arrived - e.system_ns
        );
        seconds.push(s);
    }
    let periods: Vec<i64> = edges.windows(2).map(|w| w[1].0.system_ns - w[0].0.system_ns).collect();
    assert!(periods.iter().all(|p| (p - 1_000_000_000).abs() < 12_000), "{periods:?}");
    assert!(edges
        .windows(2)
        .all(|w| w[1].0.seq == w[0].0.seq + 1 && seconds.windows(2).all(|s| s[1] == s[0] + 1)));

    // Bursts: one per second, first byte ~120 ms (± 5 ms) after the edge.
    // Only what arrived before SIGTERM: a burst cut off there has no NAV-EOE and no epoch.
    let chunks0: Vec<(i64, Vec<u8>)> = rx0.try_iter().filter(|(t, _)| *t < read_end).collect();
    let chunks1: Vec<(i64, Vec<u8>)> = rx1.try_iter().filter(|(t, _)| *t < read_end).collect();
    // A reply to the CFG message sent while the line was quiet is a "burst" of its own.
    let (b0, replies): (Vec<_>, Vec<_>) =
        bursts(&chunks0).into_iter().partition(|(_, b)| b.starts_with(&[0xB5, 0x62, 0x01, 0x07]));
    assert!(replies.iter().all(|(_, b)| b.starts_with(&[0xB5, 0x62, 0x05, 0x01])), "{replies:?}");
    let ack_latency = replies.first().map(|(t, _)| t - cfg_sent_at);
    let mut delays = Vec::new();
    for (t, _) in &b0 {
        let (e, _) = edges.iter().min_by_key(|(e, _)| (t - e.system_ns).abs()).unwrap();
        let delay = t - e.system_ns;
        assert!((110_000_000..=160_000_000).contains(&delay), "burst {delay} ns after its edge");
        delays.push(delay);
    }
    assert!(b0.len() >= 2, "{} bursts", b0.len());

    // The bytes decode to one valid epoch per second, labelled with the edge's second.
    let all0: Vec<u8> = chunks0.iter().flat_map(|(_, b)| b.clone()).collect();
    let (es, d) = epochs(&all0);
    let times: Vec<i64> = es.iter().map(|e| e.time.unwrap().unix().0).collect();
    assert!(times.windows(2).all(|w| w[1] == w[0] + 1), "one epoch per second: {times:?}");
    assert!(times.iter().all(|t| seconds.contains(t)), "epochs {times:?} vs edge seconds {seconds:?}");
    // A burst takes ~80 ms at 115200 baud after its ~120 ms delay: done 250 ms after the edge.
    let complete = seconds.iter().filter(|s| *s * 1_000_000_000 - OFFSET_NS + 250_000_000 < read_end);
    assert!(complete.clone().all(|s| times.contains(s)), "epochs {times:?} vs edge seconds {seconds:?}");
    assert!(es.iter().all(|e| e.time_valid && e.fix == Fix::ThreeD && e.next_pulse.is_some()));
    let f = d.framer_stats();
    assert_eq!(
        (f.garbage_bytes, f.ubx_checksum_errors, f.nmea_checksum_errors),
        (0, 0, 0),
        "ACK split a frame?"
    );

    // The CFG message was drained and acknowledged, on its own pty only.
    let acks =
        |bytes: &[u8]| ubx_frames(bytes).into_iter().filter(|(c, i, _)| (*c, *i) == (0x05, 0x01)).count();
    assert!(ubx_frames(&all0).contains(&(0x05, 0x01, vec![0x06, 0x08])), "no ACK-ACK for CFG-RATE");
    let all1: Vec<u8> = chunks1.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(acks(&all1), 0);
    let times1: Vec<i64> = epochs(&all1).0.iter().map(|e| e.time.unwrap().unix().0).collect();
    assert_eq!(times1, times, "both ptys carry the same epochs");

    // Truth log: one line per simulated second, matching the edges received.
    let truth: Vec<serde_json::Value> = std::fs::read_to_string(&truth_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (e, _) in &edges {
        let t = truth.iter().find(|t| t["seq"] == e.seq).expect("truth line for edge");
        assert_eq!(t["edge_system_ns"], e.system_ns);
        assert_eq!((t["dropped"].as_bool(), t["truth_offset_ns"].as_i64()), (Some(false), Some(OFFSET_NS)));
        // The last second may have been stopped before its burst.
        if t["stopped"] == false {
            let start = t["burst_start_system_ns"].as_i64().unwrap();
            let burst = start - e.system_ns;
            assert!((114_000_000..=126_000_000).contains(&burst), "{burst}");
            // When the first byte (86.8 us at 115200 baud) really went out (stamped just before
            // the write); the reader cannot have it earlier, and gets it late on a busy host.
            let written = t["burst_written_system_ns"].as_i64().unwrap();
            assert!(
                (86_805..50_000_000).contains(&(written - start)),
                "written {} ns after start",
                written - start
            );
            if let Some((r, _)) = b0.iter().find(|(r, _)| (r - start).abs() < 500_000_000) {
                assert!((0..50_000_000).contains(&(r - written)), "read {} ns after written", r - written);
            }
        }
        assert!(t["qerr_ps"].as_i64().unwrap().abs() <= 10_000);
    }

    let mean = |v: &[i64]| v.iter().sum::<i64>() as f64 / v.len() as f64;
    eprintln!(
        "measured: {} edges, period mean {:.0} ns (min {}, max {}); first byte after edge: mean {:.2} ms \
         (min {:.2}, max {:.2}); edge datagram latency max {:.3} ms; ACK latency {:?} ns",
        edges.len(),
        mean(&periods),
        periods.iter().min().unwrap(),
        periods.iter().max().unwrap(),
        mean(&delays) / 1e6,
        *delays.iter().min().unwrap() as f64 / 1e6,
        *delays.iter().max().unwrap() as f64 / 1e6,
        edges.iter().map(|(e, a)| a - e.system_ns).max().unwrap() as f64 / 1e6,
        ack_latency,
    );
}
