//! gpsd's `ubxtool` (Debian gpsd-clients, a UBX implementation no one here wrote) configures
//! the SIMULATED receiver model through its pty and reads its state back: MON-VER, VALSET then
//! VALGET on a factory ZED-F9T, the legacy CFG-MSG/TMODE2/TP5/PRT on a factory NEO-M8T, the
//! survey-in finishing, a speed change ubxtool asked for, and the NAK an M8N gives for time
//! mode. pyubx2 (PyPI), another implementation, then polls the same state with messages it
//! builds and parses every frame the receiver answers.
//! Slow (about 15 s, the three parts at once): every ubxtool run waits for the receiver's
//! answers in real time.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

struct Sim {
    child: Child,
    link: PathBuf,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, part: &str) -> Sim {
    let link = dir.join(format!("{part}.tty"));
    let bin = Path::new(env!("CARGO_BIN_EXE_timed-sim"));
    let mut cmd = timed_lab::sim_command(bin);
    cmd.args(["--pty", link.to_str().unwrap(), "--model", part, "--factory", "--seed", "5"]);
    // One way to start the simulator: the lab's (waits for `ready`, keeps draining its stdout).
    let child = timed_lab::spawn_sim(cmd, bin, dir).unwrap();
    Sim { child, link }
}

/// Runs ubxtool on the simulator's port at `speed` with protocol version `protver`, waiting
/// `wait` seconds for answers; its output.
fn ubxtool(sim: &Sim, speed: u32, protver: &str, wait: &str, args: &[&str]) -> String {
    let out = Command::new("ubxtool")
        .args(["-f", sim.link.to_str().unwrap(), "-s", &speed.to_string(), "-P", protver, "-w", wait])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ubxtool (Debian gpsd-clients; tests/run.sh installs it): {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "ubxtool {args:?}: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    text
}

/// `item NAME/0xKEY val V` lines of ubxtool's VALGET decode.
fn items(text: &str) -> Vec<(String, i64)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("item ")?;
            let (name, val) = rest.split_once(" val ")?;
            Some((name.split('/').next()?.to_string(), val.trim().parse().ok()?))
        })
        .collect()
}

fn acks(text: &str, id: &str) -> (usize, usize) {
    let ack = format!("ACK to Class x06 (CFG) ID {id}");
    let nak = format!("NAK to Class x06 (CFG) ID {id}");
    (text.matches(&ack).count(), text.matches(&nak).count())
}

/// pyubx2 sends the messages the Python expression `polls` builds to the port at `speed`,
/// reads for 2.5 s (and on to a pause between bursts) and parses every frame that came back (an
/// unparsable one fails the script); returns one line per UBX frame, identity first.
fn pyubx2(sim: &Sim, speed: u32, polls: &str) -> Vec<String> {
    let script = r#"
import io, os, select, sys, termios, time
from pyubx2 import UBXReader, UBXMessage, POLL
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
t = termios.tcgetattr(fd)
sp = getattr(termios, "B" + sys.argv[2])
t[0], t[1], t[2], t[3], t[4], t[5] = 0, 0, termios.CS8 | termios.CREAD | termios.CLOCAL, 0, sp, sp
termios.tcsetattr(fd, termios.TCSANOW, t)
# What was sent while nobody read is old: only the answers to these polls matter.
termios.tcflush(fd, termios.TCIFLUSH)
for m in eval(sys.argv[3]):
    os.write(fd, m.serialize())
buf, end, last = b"", time.time() + 2.5, time.time()
# Read 2.5 s, then on to a quiet line between two bursts, so no frame is cut off.
while time.time() < end or time.time() - last < 0.25:
    if select.select([fd], [], [], 0.05)[0]:
        buf += os.read(fd, 4096)
        last = time.time()
for raw, m in UBXReader(io.BytesIO(buf), protfilter=2, quitonerror=2):
    print(m.identity, m)
"#;
    let out = Command::new("python3")
        .args(["-c", script, sim.link.to_str().unwrap(), &speed.to_string(), polls])
        .output()
        .unwrap_or_else(|e| panic!("python3 with pyubx2 (tests/run.sh installs it): {e}"));
    assert!(out.status.success(), "pyubx2: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn ubxtool_configures_a_factory_f9t_and_reads_it_back() {
    let dir = timed_lab::Scratch::new("timed-sim-ubxtool-f9t").unwrap();
    let sim = start(&dir, "f9t");
    let run = |speed, wait, args: &[&str]| ubxtool(&sim, speed, "29.20", wait, args);
    let ver = run(38_400, "1", &["-p", "MON-VER"]);
    for s in
        ["swVersion EXT CORE 1.00", "hwVersion 00190000", "extension PROTVER=29.20", "extension MOD=ZED-F9T"]
    {
        assert!(ver.contains(s), "MON-VER lacks {s}:\n{ver}");
    }
    let set: [(&str, i64); 6] = [
        ("CFG-MSGOUT-UBX_TIM_TP_UART1", 1),
        ("CFG-MSGOUT-UBX_NAV_SVIN_UART1", 1),
        ("CFG-TP-USER_DELAY_TP1", 20),
        ("CFG-TMODE-MODE", 1),
        ("CFG-TMODE-SVIN_MIN_DUR", 2),
        ("CFG-TMODE-SVIN_ACC_LIMIT", 1_000_000),
    ];
    let args: Vec<String> = set.iter().flat_map(|(k, v)| ["-z".to_string(), format!("{k},{v},1")]).collect();
    let out = run(38_400, "1", &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(acks(&out, "x8a"), (1, 0), "ubxtool sends the items in one VALSET:\n{out}");
    let get: Vec<String> = set.iter().flat_map(|(k, _)| ["-g".to_string(), format!("{k},0")]).collect();
    let out = run(38_400, "1", &get.iter().map(String::as_str).collect::<Vec<_>>());
    let read = items(&out);
    for (k, v) in set {
        assert!(read.contains(&(k.to_string(), v)), "{k} = {v} not read back: {read:?}\n{out}");
    }
    // The output follows: TIM-TP on the UTC grid, and the survey-in (2 s, 100 m) finishes.
    let out = run(38_400, "3", &["-r"]);
    assert!(out.contains("UBX-TIM-TP:") && out.contains("timeBase is UTC"), "{out}");
    assert!(out.contains("valid 1 active 0"), "survey-in not valid:\n{out}");
    // The default layer still holds the factory values.
    let out = run(38_400, "1", &["-g", "CFG-TP-USER_DELAY_TP1,7", "-g", "CFG-UART1-BAUDRATE,7"]);
    let read = items(&out);
    assert!(
        read.contains(&("CFG-UART1-BAUDRATE".into(), 38_400))
            && read.contains(&("CFG-TP-USER_DELAY_TP1".into(), 0))
    );
    // A new speed: the receiver no longer answers at the old one, and says so at the new one.
    let out = run(38_400, "1", &["-S", "115200"]);
    assert_eq!(acks(&out, "x00"), (1, 0), "CFG-PRT acknowledged at the old speed:\n{out}");
    let old = run(38_400, "1.5", &["-p", "MON-VER"]);
    assert!(!old.contains("UBX-MON-VER"), "answered at the old speed:\n{old}");
    let out = run(115_200, "1", &["-g", "CFG-UART1-BAUDRATE,0"]);
    assert!(items(&out).contains(&("CFG-UART1-BAUDRATE".into(), 115_200)), "{out}");
    // pyubx2 polls the same state and parses every frame the receiver sends.
    let polls = r#"[UBXMessage("MON", "MON-VER", POLL),
        UBXMessage.config_poll(0, 0, ["CFG_TMODE_SVIN_MIN_DUR", "CFG_TP_USER_DELAY_TP1", "CFG_UART1_BAUDRATE"])]"#;
    let ids = pyubx2(&sim, 115_200, polls);
    assert!(ids.iter().any(|l| l.starts_with("MON-VER") && l.contains("MOD=ZED-F9T")), "{ids:?}");
    let valget = ids.iter().find(|l| l.starts_with("CFG-VALGET")).unwrap_or_else(|| panic!("{ids:?}"));
    for kv in ["CFG_TMODE_SVIN_MIN_DUR=2", "CFG_TP_USER_DELAY_TP1=20", "CFG_UART1_BAUDRATE=115200"] {
        assert!(valget.contains(kv), "{kv}: {valget}");
    }
    assert!(ids.iter().any(|l| l.starts_with("NAV-SVIN") && l.contains("valid=1")), "{ids:?}");
    assert!(ids.iter().any(|l| l.starts_with("ACK-ACK")), "{ids:?}");
}

#[test]
fn ubxtool_configures_a_factory_m8t_with_legacy_messages() {
    let dir = timed_lab::Scratch::new("timed-sim-ubxtool-m8t").unwrap();
    let sim = start(&dir, "m8t");
    let run = |speed, wait, args: &[&str]| ubxtool(&sim, speed, "22", wait, args);
    let ver = run(9_600, "1", &["-p", "MON-VER"]);
    assert!(ver.contains("extension MOD=NEO-M8T-0") && ver.contains("extension PROTVER=22.00"), "{ver}");
    let tp5 = run(9_600, "1", &["-p", "CFG-TP5"]);
    for s in ["antCableDelay 50", "pulseLenRatio 0 pulseLenRatioLock 100000", "flags x77"] {
        assert!(tp5.contains(s), "factory CFG-TP5 lacks {s}:\n{tp5}");
    }
    let out = run(9_600, "1", &["-e", "TIM-TP", "-e", "SURVEYIN,2,100000", "-p", "CFG-MSG,13,4,1"]);
    assert_eq!((acks(&out, "x01").0, acks(&out, "x3d")), (2, (1, 0)), "{out}");
    let out = run(9_600, "1", &["-p", "CFG-TMODE2", "-p", "CFG-MSG,13,1", "-p", "CFG-MSG,13,4"]);
    assert!(out.contains("timeMode 1 ") && out.contains("svinMinDur 2 svinAccLimit 100000"), "{out}");
    assert!(out.contains("Class x0d (TIM) ID x01 (TP) Rates 0 1 0 0 0 0"), "{out}");
    assert!(out.contains("Class x0d (TIM) ID x04 (SVIN) Rates 0 1 0 0 0 0"), "{out}");
    let out = run(9_600, "3", &["-r"]);
    assert!(out.contains("UBX-TIM-SVIN:") && out.contains("valid 1 active 0"), "{out}");
    let out = run(9_600, "1", &["-S", "38400"]);
    assert_eq!(acks(&out, "x00"), (1, 0), "{out}");
    let out = run(38_400, "1", &["-p", "CFG-PRT,1"]);
    assert!(out.contains("baudRate 38400"), "{out}");
    let polls = r#"[UBXMessage("CFG", "CFG-TMODE2", POLL), UBXMessage("CFG", "CFG-TP5", POLL)]"#;
    let ids = pyubx2(&sim, 38_400, polls);
    assert!(ids.iter().any(|l| l.starts_with("CFG-TMODE2") && l.contains("svinMinDur=2")), "{ids:?}");
    assert!(ids.iter().any(|l| l.starts_with("CFG-TP5") && l.contains("antCableDelay=50")), "{ids:?}");
    assert!(ids.iter().any(|l| l.starts_with("TIM-SVIN") && l.contains("valid=1")), "{ids:?}");
}

#[test]
fn ubxtool_sees_an_m8n_refuse_time_mode() {
    let dir = timed_lab::Scratch::new("timed-sim-ubxtool-m8n").unwrap();
    let sim = start(&dir, "m8n");
    let out = ubxtool(&sim, 9_600, "18", "1", &["-e", "SURVEYIN,60,50000", "-p", "CFG-TMODE2"]);
    assert_eq!(acks(&out, "x3d"), (0, 2), "set and poll both refused:\n{out}");
    assert!(!out.contains("UBX-CFG-TMODE2:"), "an M8N has no time mode to report:\n{out}");
    // Nothing else changed, and MON-VER says what it is.
    let ver = ubxtool(&sim, 9_600, "18", "1", &["-p", "MON-VER", "-p", "CFG-PRT,1"]);
    assert!(ver.contains("extension PROTVER=18.00") && ver.contains("baudRate 9600"), "{ver}");
}
