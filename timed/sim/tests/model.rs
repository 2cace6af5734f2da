//! The receiver model through its pty, in real time: a factory ZED-F9T and NEO-M8T are found at
//! their factory speed talking NMEA only, answer MON-VER, take a new message set and a new
//! speed (acknowledged at the old one), after which a host still at the old speed reads
//! garbage and one at the new speed reads UBX; a host at the wrong speed is not understood;
//! every byte written is recorded; a power cycle forgets RAM and keeps Flash; the user delay
//! moves the pulse. The receiver is SIMULATED (this is its test); the host side is plain
//! termios on the pty. About 10 s (the tests run at once; bursts come once a second).
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use nix::fcntl::OFlag;
use nix::sys::termios::{cfmakeraw, cfsetspeed, tcgetattr, tcsetattr, BaudRate, SetArg};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use timed_core::framer::{ubx_frame, Frame, Framer};

struct Sim {
    child: Child,
    port: File,
    rx: mpsc::Receiver<Vec<u8>>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, args: &[&str]) -> Sim {
    let link = dir.join("gps0");
    let bin = Path::new(env!("CARGO_BIN_EXE_timed-sim"));
    let mut cmd = timed_lab::sim_command(bin);
    cmd.args(["--pty", link.to_str().unwrap(), "--seed", "3"]).args(args);
    let child = timed_lab::spawn_sim(cmd, bin, dir).unwrap();
    let port =
        OpenOptions::new().read(true).write(true).custom_flags(OFlag::O_NOCTTY.bits()).open(&link).unwrap();
    let mut r = port.try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = r.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    Sim { child, port, rx }
}

impl Sim {
    /// Sets the host's speed on the port, as a serial program does.
    fn speed(&self, b: BaudRate) {
        let mut t = tcgetattr(&self.port).unwrap();
        cfmakeraw(&mut t);
        cfsetspeed(&mut t, b).unwrap();
        tcsetattr(&self.port, SetArg::TCSANOW, &t).unwrap();
    }

    /// Everything read for `d`.
    fn read_for(&self, d: Duration) -> Vec<u8> {
        let end = Instant::now() + d;
        let mut v = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            if let Ok(b) = self.rx.recv_timeout(left) {
                v.extend(b);
            }
        }
        v
    }

    fn drain(&self) {
        while self.rx.try_recv().is_ok() {}
    }

    fn send(&mut self, frame: &[u8]) {
        self.port.write_all(frame).unwrap();
    }
}

/// A UBX frame: class, id, payload.
type Ubx = (u8, u8, Vec<u8>);

/// UBX frames and NMEA sentence names in `bytes`.
fn decode(bytes: &[u8]) -> (Vec<Ubx>, Vec<String>) {
    let (mut ubx, mut nmea) = (Vec::new(), Vec::new());
    let mut f = Framer::new();
    f.feed(bytes, |fr| match fr.frame {
        Frame::Ubx { class, id, payload } => ubx.push((class, id, payload.to_vec())),
        Frame::Nmea { sentence, .. } => nmea.push(String::from_utf8_lossy(&sentence[3..6]).into_owned()),
    });
    (ubx, nmea)
}

fn has(ubx: &[Ubx], class: u8, id: u8) -> bool {
    ubx.iter().any(|f| (f.0, f.1) == (class, id))
}

fn ack(ubx: &[Ubx], class: u8, id: u8) -> Option<bool> {
    ubx.iter().find(|f| f.0 == 0x05 && f.2 == [class, id]).map(|f| f.1 == 0x01)
}

/// Factory part -> MON-VER -> new messages and speed -> read at old and new speed.
fn factory_to_configured(part: &str, factory: BaudRate, configure: &[Vec<u8>], mod_ext: &str) {
    let dir = timed_lab::Scratch::new(&format!("timed-sim-model-{part}")).unwrap();
    let record = dir.join("input.bin");
    let mut sim = start(&dir, &["--model", part, "--factory", "--record-input", record.to_str().unwrap()]);
    // At the wrong speed the host reads junk and is not understood.
    sim.speed(BaudRate::B115200);
    let poll = ubx_frame(0x0A, 0x04, &[]);
    sim.send(&poll);
    let (ubx, nmea) = decode(&sim.read_for(Duration::from_millis(1_500)));
    assert!(ubx.is_empty() && nmea.is_empty(), "{part}: read at the wrong speed: {ubx:02x?} {nmea:?}");
    // At the factory speed: NMEA only, and MON-VER on request.
    sim.speed(factory);
    sim.drain();
    let mut written = poll.clone();
    sim.send(&poll);
    written.extend(&poll);
    let (ubx, nmea) = decode(&sim.read_for(Duration::from_millis(1_500)));
    for s in ["RMC", "VTG", "GGA", "GSA", "GSV", "GLL"] {
        assert!(nmea.iter().any(|n| n == s), "{part}: factory NMEA lacks {s}: {nmea:?}");
    }
    let ver: Vec<_> = ubx.iter().filter(|f| (f.0, f.1) == (0x0A, 0x04)).collect();
    assert_eq!(ver.len(), 1, "{part}: one MON-VER, no periodic UBX: {ubx:02x?}");
    assert!(ver[0].2.windows(mod_ext.len()).any(|w| w == mod_ext.as_bytes()), "{part}: {mod_ext}");
    // Configure: every message acknowledged at the factory speed (the last one the speed).
    for frame in configure {
        sim.send(frame);
        written.extend(frame);
        std::thread::sleep(Duration::from_millis(150));
    }
    let (ubx, _) = decode(&sim.read_for(Duration::from_millis(400)));
    for frame in configure {
        assert_eq!(
            ack(&ubx, frame[2], frame[3]),
            Some(true),
            "{part}: {:02x?} not acked: {ubx:02x?}",
            &frame[..4]
        );
    }
    // Still at the old speed: no frame survives.
    let (ubx, nmea) = decode(&sim.read_for(Duration::from_millis(1_200)));
    assert!(ubx.is_empty() && nmea.is_empty(), "{part}: old speed after the switch: {ubx:02x?} {nmea:?}");
    // At the new one: the UBX set asked for, no NMEA.
    sim.speed(BaudRate::B115200);
    sim.drain();
    let (ubx, nmea) = decode(&sim.read_for(Duration::from_millis(2_300)));
    for (c, i) in [(0x01, 0x07), (0x0D, 0x01)] {
        assert!(has(&ubx, c, i), "{part}: {c:02x} {i:02x} missing: {ubx:02x?}");
    }
    assert!(nmea.is_empty(), "{part}: NMEA switched off: {nmea:?}");
    drop(sim);
    assert_eq!(std::fs::read(&record).unwrap(), written, "{part}: recorded input, the unanswered poll first");
}

#[test]
fn factory_f9t_is_configured_by_valset() {
    let mut set = vec![0, 0x01, 0, 0];
    for (key, v) in [(0x2091_0007u32, 1u8), (0x2091_017e, 1), (0x1074_0002, 0)] {
        set.extend(key.to_le_bytes());
        set.push(v);
    }
    let mut baud = vec![0, 0x01, 0, 0];
    baud.extend(0x4052_0001u32.to_le_bytes());
    baud.extend(115_200u32.to_le_bytes());
    let frames = [ubx_frame(0x06, 0x8A, &set), ubx_frame(0x06, 0x8A, &baud)];
    factory_to_configured("f9t", BaudRate::B38400, &frames, "MOD=ZED-F9T");
}

#[test]
fn factory_m8t_is_configured_by_legacy_messages() {
    let mut prt = vec![0u8; 20];
    prt[0] = 1;
    prt[4..8].copy_from_slice(&0x8C0u32.to_le_bytes());
    prt[8..12].copy_from_slice(&115_200u32.to_le_bytes());
    prt[12] = 0x03;
    prt[14] = 0x01;
    let frames = [
        ubx_frame(0x06, 0x01, &[0x01, 0x07, 1]),
        ubx_frame(0x06, 0x01, &[0x0D, 0x01, 1]),
        ubx_frame(0x06, 0x00, &prt),
    ];
    factory_to_configured("m8t", BaudRate::B9600, &frames, "MOD=NEO-M8T-0");
}

/// Edge datagrams received in `[from, to)` after `t0`.
fn edges_between(edges: &mpsc::Receiver<Instant>, t0: Instant, from: f64, to: f64) -> usize {
    let mut n = 0;
    while let Ok(t) = edges.try_recv() {
        let s = (t - t0).as_secs_f64();
        n += usize::from((from..to).contains(&s));
    }
    n
}

#[test]
fn power_cycle_forgets_ram_keeps_flash_and_the_factory_pulse_waits_for_a_fix() {
    let dir = timed_lab::Scratch::new("timed-sim-model-power").unwrap();
    let scenario = dir.join("power.toml");
    let faults = "[[fault]]\nkind = \"power_cycle\"\nfrom_s = 4\nto_s = 5\n";
    std::fs::write(&scenario, format!("model = \"f9t\"\nfactory = true\n{faults}")).unwrap();
    let sock_path = dir.join("pps.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    let (etx, erx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while sock.recv(&mut buf).is_ok() {
            if etx.send(Instant::now()).is_err() {
                break;
            }
        }
    });
    let args = ["--scenario", scenario.to_str().unwrap(), "--pps-socket", sock_path.to_str().unwrap()];
    let mut sim = start(&dir, &args);
    let t0 = Instant::now();
    sim.speed(BaudRate::B38400);
    // NAV-PVT in RAM and Flash, TIM-TP in RAM only.
    for (layers, key) in [(0x05u8, 0x2091_0007u32), (0x01, 0x2091_017e)] {
        let mut p = vec![0, layers, 0, 0];
        p.extend(key.to_le_bytes());
        p.push(1);
        sim.send(&ubx_frame(0x06, 0x8A, &p));
    }
    // The first simulated second starts 1-2 s after "ready": seconds 0..2 have a fix.
    std::thread::sleep(Duration::from_millis(1_500));
    sim.drain();
    let (ubx, _) = decode(&sim.read_for(Duration::from_millis(2_500)));
    assert!(has(&ubx, 0x01, 0x07) && has(&ubx, 0x0D, 0x01), "before: {ubx:02x?}");
    assert!(edges_between(&erx, t0, 1.5, 4.0) >= 2, "pulses with a fix");
    // Power off in second 4, back in 5, then 5 s of cold start without a fix (seconds 5..9).
    std::thread::sleep(Duration::from_millis(3_500));
    sim.drain();
    let (ubx, _) = decode(&sim.read_for(Duration::from_millis(2_500)));
    assert!(has(&ubx, 0x01, 0x07), "NAV-PVT was saved to Flash: {ubx:02x?}");
    assert!(!has(&ubx, 0x0D, 0x01), "TIM-TP was only in RAM: {ubx:02x?}");
    assert_eq!(edges_between(&erx, t0, 7.5, 10.0), 0, "no pulse before the receiver is locked again");
}

#[test]
fn the_user_delay_moves_the_pulse_edge() {
    let dir = timed_lab::Scratch::new("timed-sim-model-delay").unwrap();
    let sock_path = dir.join("pps.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let args = ["--model", "f9t", "--pps-socket", sock_path.to_str().unwrap(), "--edge-jitter-ns", "0"];
    let mut sim = start(&dir, &args);
    sim.speed(BaudRate::B115200);
    // The sub-second part of each edge (the system time of the true second, less the truth
    // offset, less qErr of at most 10 ns).
    let frac = |until: Instant| {
        let mut v = Vec::new();
        let mut buf = [0u8; 64];
        while Instant::now() < until {
            if let Ok(n) = sock.recv(&mut buf) {
                let edge = timed_core::pps::decode_sim_edge(&buf[..n]).unwrap();
                v.push(edge.system_ns.rem_euclid(1_000_000_000));
            }
        }
        v
    };
    let before = frac(Instant::now() + Duration::from_millis(2_500));
    let mut p = vec![0, 0x01, 0, 0];
    p.extend(0x4005_0006u32.to_le_bytes());
    p.extend(500_000i32.to_le_bytes());
    sim.send(&ubx_frame(0x06, 0x8A, &p));
    std::thread::sleep(Duration::from_millis(2_500));
    let after = frac(Instant::now() + Duration::from_millis(2_500));
    // Seconds are planned 1.2 s ahead: the last edges are surely under the new setting.
    let (b, a) = (before.last().copied().unwrap(), after.last().copied().unwrap());
    assert!(before.len() >= 2 && after.len() >= 2, "{before:?} {after:?}");
    let moved = (a - b).rem_euclid(1_000_000_000);
    assert!((moved - 500_000).abs() <= 25, "CFG-TP-USER_DELAY_TP1 = 500 µs: {before:?} -> {after:?}");
    // Everything read since the start: the VALSET was acknowledged.
    let (ubx, _) = decode(&sim.read_for(Duration::from_millis(300)));
    assert_eq!(ack(&ubx, 0x06, 0x8A), Some(true));
}
