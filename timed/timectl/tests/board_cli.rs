//! `timectl validate-board` and `timectl board ...` as a user (and the Debian package) runs them:
//! every shipped board file is valid; each kind of mistake is caught and reported at its line;
//! the rendered chrony lines are accepted by the real chronyd (`chronyd -p` parses them).
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use timed_lab::Scratch;

const BIN: &str = env!("CARGO_BIN_EXE_timectl");

fn boards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boards")
}

fn board_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(boards_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

fn timectl(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes `content` as `<dir>/<name>.toml` in a fresh temporary directory.
fn scratch(name: &str, content: &str) -> (Scratch, PathBuf) {
    let d = Scratch::new("timectl-board").unwrap();
    let p = d.join(format!("{name}.toml"));
    std::fs::write(&p, content).unwrap();
    (d, p)
}

fn pi4b() -> String {
    std::fs::read_to_string(boards_dir().join("pi4b.toml")).unwrap()
}

/// Replaces the first occurrence: the file's first wiring, uart-hat (the test is wrong if the
/// anchor moved; `line_of` finds the same first line).
fn edit(src: &str, from: &str, to: &str) -> String {
    let at = src.find(from).unwrap_or_else(|| panic!("anchor {from:?} is gone"));
    assert!(src.find("[wiring.uart-hat]").is_some_and(|w| w < at), "anchor {from:?} is not in uart-hat");
    assert!(src.find("[wiring.usb]").is_none_or(|u| at < u), "anchor {from:?} is not in uart-hat");
    src.replacen(from, to, 1)
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Validates a mutated pi4b.toml: must fail with exit 78 and a message containing `want` at `line`.
fn rejects(src: &str, line: usize, want: &str) {
    let (_d, p) = scratch("pi4b", src);
    let out = timectl(&["validate-board", p.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "must be rejected:\n{err}");
    let prefix = format!("{}:{line}:", p.display());
    assert!(
        err.lines().any(|l| l.starts_with(&prefix) && l.contains(want)),
        "want {want:?} at line {line}, got:\n{err}"
    );
}

#[test]
fn every_shipped_board_file_is_valid() {
    let files = board_files();
    let names: Vec<String> = files.iter().map(|p| p.file_stem().unwrap().to_string_lossy().into()).collect();
    for want in ["pi3b", "pi4b", "pi5", "cm4", "zero2w"] {
        assert!(names.iter().any(|n| n == want), "boards/{want}.toml missing: {names:?}");
    }
    let mut args = vec!["validate-board".to_string()];
    args.extend(files.iter().map(|p| p.to_string_lossy().into_owned()));
    let out = Command::new(BIN).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().filter(|l| l.contains(": ok (")).count(), files.len());
}

#[test]
fn each_mistake_is_reported_at_its_line() {
    let src = pi4b();
    // Routing: a uart wiring on a Pi 4 without disable-bt has no PL011 on GPIO14/15.
    let s = edit(&src, "overlays = { disable-bt = {}, pps-gpio", "overlays = { pps-gpio");
    rejects(&s, line_of(&s, "overlays = { pps-gpio = { gpiopin = 18 } }"), "drives Bluetooth");
    // The overlay's pin and pps_gpio disagree.
    let s = edit(
        &src,
        "disable-bt = {}, pps-gpio = { gpiopin = 18 }",
        "disable-bt = {}, pps-gpio = { gpiopin = 17 }",
    );
    rejects(&s, line_of(&s, "gpiopin = 17"), "gpiopin = 18");
    // A console on the GPS UART (serial0 is ttyAMA0 once disable-bt is on).
    let s = edit(&src, "consoles = [\"tty1\"]", "consoles = [\"serial0,115200\", \"tty1\"]");
    rejects(&s, line_of(&s, "serial0,115200\", \"tty1"), "is on ttyAMA0");
    // keep_off forgets the alias.
    let s = edit(&src, "keep_off = [\"ttyAMA0\", \"serial0\"]", "keep_off = [\"ttyAMA0\"]");
    rejects(&s, line_of(&s, "keep_off = [\"ttyAMA0\"]"), "must list \"serial0\"");
    // PPS on a UART pin.
    let s = edit(&src, "baud = 9600\npps_gpio = 18", "baud = 9600\npps_gpio = 15");
    rejects(&s, line_of(&s, "pps_gpio = 15"), "GPIO15 is not usable");
    // A rate timed refuses.
    let s = edit(&src, "baud = 9600", "baud = 1234");
    rejects(&s, line_of(&s, "baud = 1234"), "baud 1234");
    // An overlay parameter that does not exist.
    let s = edit(
        &src,
        "disable-bt = {}, pps-gpio = { gpiopin = 18 }",
        "disable-bt = {}, pps-gpio = { gpiopin = 18, gpio_pin = 4 }",
    );
    rejects(&s, line_of(&s, "gpio_pin = 4"), "no parameter \"gpio_pin\"");
    // The status LED on the PPS pin.
    let s = edit(
        &src,
        "keep_off = [\"ttyAMA0\", \"serial0\"]",
        "keep_off = [\"ttyAMA0\", \"serial0\"]\nled_gpio = 18",
    );
    rejects(&s, line_of(&s, "led_gpio = 18"), "status LED on GPIO18");
    // A typo in a key name: serde's message, the line, and a hint.
    let s = edit(
        &src,
        "pps_device = \"/dev/pps0\"\nconsoles = [\"tty1\"]",
        "pps_devise = \"/dev/pps0\"\nconsoles = [\"tty1\"]",
    );
    rejects(&s, line_of(&s, "pps_devise"), "unknown field `pps_devise`");
    // A chrony trim out of range.
    let s = edit(
        &src,
        "pps_offset = 0.0\npps_precision = 1e-7\ncoarse_offset = 0.0\ncoarse_delay = 0.2",
        "pps_offset = 0.5\npps_precision = 1e-7\ncoarse_offset = 0.0\ncoarse_delay = 0.2",
    );
    rejects(&s, line_of(&s, "pps_offset = 0.5"), "pps_offset = 0.5");
    // Syntax error: position of the parser's complaint.
    let s = edit(&src, "baud = 9600", "baud = = 9600");
    rejects(&s, line_of(&s, "baud = = 9600"), "");
    // The board id must name the file.
    let (_d, p) = scratch("pi4", &src);
    let out = timectl(&["validate-board", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(78));
    assert!(text(&out.stderr).contains("but the file is named pi4.toml"), "{}", text(&out.stderr));
}

#[test]
fn pi5_needs_uart0_and_not_disable_bt() {
    let src = std::fs::read_to_string(boards_dir().join("pi5.toml")).unwrap();
    let s = edit(&src, "dtparams = { uart0 = \"on\" }\n", "");
    let (_d, p) = scratch("pi5", &s);
    let out = timectl(&["validate-board", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(78));
    assert!(text(&out.stderr).contains("uart0=on"), "{}", text(&out.stderr));
    let s = edit(
        &src,
        "overlays = { pps-gpio = { gpiopin = 18 } }\n\n[wiring.uart-hat.chrony]",
        "overlays = { disable-bt = {}, pps-gpio = { gpiopin = 18 } }\n\n[wiring.uart-hat.chrony]",
    );
    let (_d, p) = scratch("pi5", &s);
    let out = timectl(&["validate-board", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(78));
    assert!(text(&out.stderr).contains("not needed on the Pi 5"), "{}", text(&out.stderr));
}

#[test]
fn rendered_parts_follow_the_file() {
    let f = boards_dir().join("pi4b.toml");
    let f = f.to_str().unwrap();
    let out = timectl(&["board", "config-txt", f]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "[pi4]\nenable_uart=1\ndtoverlay=disable-bt\ndtoverlay=pps-gpio,gpiopin=18\n[all]\n"
    );
    let out = timectl(&["board", "config-txt", f, "--wiring", "usb"]);
    assert_eq!(text(&out.stdout), "[pi4]\nenable_uart=1\ndtoverlay=pps-gpio,gpiopin=18\n[all]\n");
    let out = timectl(&["board", "cmdline", f, "--wiring", "usb"]);
    assert_eq!(text(&out.stdout), "console=serial0,115200n8\nconsole=tty1\n");
    let out = timectl(&["board", "timed-toml", f]);
    let t: toml::Table = toml::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(t["receiver"]["device"].as_str(), Some("/dev/ttyAMA0"));
    assert_eq!(t["receiver"]["baud"].as_integer(), Some(9600));
    assert_eq!(t["pps"]["device"].as_str(), Some("/dev/pps0"));
    // A USB receiver is opened through the stable link the udev rules give it, not ttyACM0.
    let out = timectl(&["board", "timed-toml", f, "--wiring", "usb"]);
    let t: toml::Table = toml::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(t["receiver"]["device"].as_str(), Some("/dev/gps0"));
    let rules = std::fs::read_to_string(boards_dir().join("../udev/60-timed.rules")).unwrap();
    assert!(rules.contains("KERNEL==\"ttyACM[0-9]*\", ATTRS{idVendor}==\"1546\", SYMLINK+=\"gps0\""));
    // No PPS wire: timed sends coarse samples only and chrony may select them.
    let out = timectl(&["board", "timed-toml", f, "--pps", "off"]);
    let t: toml::Table = toml::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(t["pps"]["source"].as_str(), Some("off"));
    assert_eq!(t["receiver"]["device"].as_str(), Some("/dev/ttyAMA0"));
    let out = timectl(&["board", "chrony", f, "--pps", "off"]);
    let coarse = text(&out.stdout);
    assert!(
        coarse.starts_with(
            "refclock SOCK /run/chrony/timed-coarse.sock refid GPS poll 2 offset 0 delay 0.2\nleapsectz right/UTC\n# "
        ),
        "{coarse}"
    );
    let out = timectl(&["board", "chrony", f, "--wiring", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("[\"adafruit-hat\", \"uart-hat\", \"usb\"]"), "{}", text(&out.stderr));
    // The Adafruit Ultimate GPS HAT: the same UART, PPS on GPIO4 (pin 7).
    let out = timectl(&["board", "config-txt", f, "--wiring", "adafruit-hat"]);
    assert_eq!(
        text(&out.stdout),
        "[pi4]\nenable_uart=1\ndtoverlay=disable-bt\ndtoverlay=pps-gpio,gpiopin=4\n[all]\n"
    );
    // A status LED adds timed's [led] section.
    let s = edit(
        &pi4b(),
        "keep_off = [\"ttyAMA0\", \"serial0\"]",
        "keep_off = [\"ttyAMA0\", \"serial0\"]\nled_gpio = 17",
    );
    let (_d, p) = scratch("pi4b", &s);
    let out = timectl(&["board", "timed-toml", p.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t: toml::Table = toml::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(t["led"]["enabled"].as_bool(), Some(true));
    assert_eq!(t["led"]["line"].as_str(), Some("GPIO17"));
    assert_eq!(t["led"]["active_low"].as_bool(), Some(false));
    // JSON carries every wiring with its parts.
    let out = timectl(&["--json", "board", "show", f]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["wiring"]["uart-hat"]["getty_off"], serde_json::json!(["ttyAMA0"]));
    assert_eq!(v["wiring"]["usb"]["kernel_params"][0], "console=serial0,115200n8");
    // `board json` is `board show --json`.
    let alias = timectl(&["board", "json", f]);
    assert!(alias.status.success(), "{}", text(&alias.stderr));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&alias.stdout).unwrap(), v);
}

/// boards/README.md: the package's /etc/timed/timed.toml (timed's defaults) and the board files
/// cannot disagree: the packaged baud is every header-UART wiring's, so a HAT works unedited.
#[test]
fn packaged_timed_toml_agrees_with_every_board_file() {
    let packaged = Path::new(env!("CARGO_MANIFEST_DIR")).join("../daemon/timed.toml");
    let cfg = timed::config::load(&packaged).unwrap_or_else(|p| panic!("{p:?}"));
    let mut uart = 0;
    for f in board_files() {
        let out = timectl(&["--json", "board", "show", f.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for (wid, w) in v["wiring"].as_object().unwrap() {
            if w["transport"] == "uart" {
                assert_eq!(w["baud"].as_u64(), Some(u64::from(cfg.receiver.baud)), "{f:?} wiring {wid}");
                uart += 1;
            }
        }
    }
    assert!(uart >= 5, "{uart} header-UART wirings");
}

/// The real chronyd parses every board's chrony lines, refclocks and leap source (`-p` prints the
/// configuration and exits non-zero on any directive it cannot parse).
#[test]
fn chronyd_accepts_the_refclock_lines() {
    let d = Scratch::new("timectl-board").unwrap();
    let mut checked = 0;
    for f in board_files() {
        for wiring in ["uart-hat", "adafruit-hat", "usb"] {
            let out = timectl(&["board", "chrony", f.to_str().unwrap(), "--wiring", wiring]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            let conf = d.join("chrony.conf");
            std::fs::write(&conf, &out.stdout).unwrap();
            let c = Command::new("chronyd").arg("-p").arg("-f").arg(&conf).output();
            let c = c.unwrap_or_else(|e| panic!("chronyd (apt: chrony) is needed for this test: {e}"));
            assert!(c.status.success(), "{f:?} {wiring}: {}", text(&c.stderr));
            assert_eq!(text(&c.stdout).matches("refclock SOCK").count(), 2);
            assert_eq!(text(&c.stdout).matches("\nleapsectz right/UTC\n").count(), 1, "{}", text(&c.stdout));
            for d in
                ["ntsservercert", "ntsserverkey", "ntsdumpdir", "ratelimit", "ntsratelimit", "clientloglimit"]
            {
                assert_eq!(
                    text(&c.stdout).lines().filter(|l| l.split(' ').next() == Some(d)).count(),
                    1,
                    "{f:?} {wiring}: {d}\n{}",
                    text(&c.stdout)
                );
            }
            // Without a PPS wire: one selectable coarse refclock.
            let out = timectl(&["board", "chrony", f.to_str().unwrap(), "--wiring", wiring, "--pps", "off"]);
            std::fs::write(&conf, &out.stdout).unwrap();
            let c = Command::new("chronyd").arg("-p").arg("-f").arg(&conf).output().unwrap();
            assert!(c.status.success(), "{f:?} {wiring} --pps off: {}", text(&c.stderr));
            let parsed = text(&c.stdout);
            assert_eq!(parsed.matches("refclock SOCK").count(), 1, "{parsed}");
            assert!(!parsed.contains("noselect"), "{parsed}");
            checked += 1;
        }
    }
    assert!(checked >= 24);
}

#[test]
fn detect_names_the_running_board() {
    let d = Scratch::new("timectl-board").unwrap();
    let model = d.join("model");
    // As the kernel exposes it: NUL-terminated.
    std::fs::write(&model, b"Raspberry Pi 4 Model B Rev 1.4\0").unwrap();
    let dir = boards_dir();
    let out = timectl(&["board", "detect", dir.to_str().unwrap(), "--model-file", model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim_end().ends_with("pi4b.toml"), "{}", text(&out.stdout));
    std::fs::write(&model, b"Raspberry Pi 3 Model B Plus Rev 1.3\0").unwrap();
    let out = timectl(&["board", "detect", dir.to_str().unwrap(), "--model-file", model.to_str().unwrap()]);
    assert!(text(&out.stdout).trim_end().ends_with("pi3b.toml"), "{}", text(&out.stdout));
    // The Pi 400/500 and CM5 are not taken for the Pi 4/5 or CM4 (prefixes).
    for (model_text, file) in [
        (&b"Raspberry Pi 400 Rev 1.0\0"[..], "pi400.toml"),
        (&b"Raspberry Pi 500 Rev 1.0\0"[..], "pi500.toml"),
        (&b"Raspberry Pi Compute Module 5 Rev 1.0\0"[..], "cm5.toml"),
        (&b"Raspberry Pi 5 Model B Rev 1.0\0"[..], "pi5.toml"),
    ] {
        std::fs::write(&model, model_text).unwrap();
        let out =
            timectl(&["board", "detect", dir.to_str().unwrap(), "--model-file", model.to_str().unwrap()]);
        assert!(text(&out.stdout).trim_end().ends_with(file), "{file}: {}", text(&out.stdout));
    }
    std::fs::write(&model, b"Raspberry Pi Model B Rev 2\0").unwrap();
    let out = timectl(&["board", "detect", dir.to_str().unwrap(), "--model-file", model.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("matches the model"), "{}", text(&out.stderr));
}

/// The board snippet's server lines are the .deb's chrony drop-in's, in the same order: an
/// owner who copies the snippet gets what the package installs.
#[test]
fn server_lines_are_the_debs() {
    let f = boards_dir().join("pi4b.toml");
    let out = timectl(&["board", "chrony", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let directive = |l: &&str| !l.trim().is_empty() && !l.starts_with('#');
    let not_source = |l: &&str| !l.starts_with("refclock") && !l.starts_with("leapsectz");
    let board: Vec<String> =
        text(&out.stdout).lines().filter(directive).filter(not_source).map(String::from).collect();
    let deb = std::fs::read_to_string(boards_dir().join("../systemd/chrony/timed.conf")).unwrap();
    let deb: Vec<&str> = deb.lines().filter(directive).filter(not_source).collect();
    assert_eq!(board, deb);
    assert_eq!(board.len(), 6, "{board:?}");
}
