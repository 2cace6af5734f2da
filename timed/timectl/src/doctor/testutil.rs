//! Facts for the unit tests: a timed.toml, the accounts of a Debian box with a `timed` user,
//! and a healthy receiver and PPS that each test then breaks in one way.

use super::chrony_conf;
use super::gather::{Facts, Live};
use super::system::{Kind, Names, Owner, PathInfo};
use std::path::{Path, PathBuf};
use timed::health::{DeviceState, FixKind, FramerCounts, Health, Pps, PpsLock, Receiver, Sink, SinkState};

pub const PASSWD: &str = "root:x:0:0::/root:/bin/sh\ntimed:x:998:998::/:/usr/sbin/nologin\n\
                          _chrony:x:102:106::/var/lib/chrony:/usr/sbin/nologin\n";
pub const GROUP: &str = "root:x:0:\ndialout:x:20:timed\ntimed:x:998:\n_chrony:x:106:timed\n";
pub const TOML: &str = "[receiver]\ndevice = \"/dev/gps0\"\nbaud = 115200\nserial_delay_ms = 120\n\n\
                        [pps]\nsource = \"kernel\"\ndevice = \"/dev/pps0\"\n";

/// Facts as on a box where timed is down, chronyd unknown, every path missing.
pub fn facts(toml: &str) -> Facts {
    let path = PathBuf::from("/etc/timed/timed.toml");
    let names = Names::parse(PASSWD, GROUP);
    let identity = names.identity("timed", "the timed user, timed is not running").unwrap();
    let config = timed::config::parse(&path, toml);
    let c = config.as_ref().ok().cloned().unwrap_or_default();
    let socks = [("pps", &c.chrony.sock.pps), ("coarse", &c.chrony.sock.coarse)]
        .into_iter()
        .filter(|(_, p)| !p.as_os_str().is_empty())
        .map(|(k, p)| (k, info(p, Kind::Missing, Owner::default())))
        .collect();
    Facts {
        config_path: path,
        config_text: Some(toml.to_string()),
        config,
        names,
        identity,
        control_socket: "/run/timed/control.sock".into(),
        live: Err(crate::client::CtlError {
            kind: crate::client::Failure::Missing,
            message: "no control socket at /run/timed/control.sock: timed is not running".into(),
        }),
        chrony_conf_path: "/etc/chrony/chrony.conf".into(),
        chrony_conf_why: "--chrony-conf".into(),
        chrony_conf_confirmed: true,
        chrony_conf: Err("cannot read /etc/chrony/chrony.conf: No such file or directory".into()),
        chronyds: Vec::new(),
        chrony_socket: "/run/chrony/chronyd.sock".into(),
        chrony: Err("chronyd at /run/chrony/chronyd.sock: No such file or directory".into()),
        serial: Some(info(&c.receiver.device, Kind::Missing, Owner::default())),
        serial_candidates: Vec::new(),
        pps: Some(info(&c.pps.device, Kind::Missing, Owner::default())),
        pps_driver: None,
        socks,
        control_dir: None,
        shm: Ok(Vec::new()),
        rtcs: Vec::new(),
        leap: super::leap::LeapFacts {
            path: Some(timed_testdata::leap_seconds_list_path().to_path_buf()),
            key_at: "the default; [leap] list is not set in /etc/timed/timed.toml".into(),
            list: timed::leap_list::load(timed_testdata::leap_seconds_list_path()).map_err(|e| e.to_string()),
            chrony_source_exists: None,
            // A month before the testdata list expires: tests of other checks see it pass.
            now_unix_s: 1_782_604_800 - 60 * 86_400,
        },
        nts: None,
    }
}

/// A path as `stat` would find it, under directories anyone may search.
pub fn info(p: &Path, kind: Kind, owner: Owner) -> PathInfo {
    let dirs = p
        .ancestors()
        .skip(1)
        .map(|d| (d.to_path_buf(), Some(Owner { uid: 0, gid: 0, mode: 0o755 })))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    PathInfo { path: p.to_path_buf(), kind, owner, rdev: Some((204, 64)), link: None, dirs }
}

pub fn own(uid: u32, gid: u32, mode: u32) -> Owner {
    Owner { uid, gid, mode }
}

/// chrony.conf text as the file /etc/chrony/chrony.conf.
pub fn conf(text: &str) -> chrony_conf::ChronyConf {
    chrony_conf::parse(Path::new("/etc/chrony/chrony.conf"), text)
}

/// A receiver and kernel PPS working for `secs` seconds since timed started.
pub fn healthy(secs: u64) -> Health {
    let mut h = Health { version: "0.1.0".into(), started_unix_s: 1_000, ..Health::default() };
    h.receiver = Receiver {
        device: "/dev/gps0".into(),
        serial_state: DeviceState::Open,
        time_valid: true,
        fix: FixKind::ThreeD,
        fix_ok: true,
        sats_used: Some(9),
        sats_seen: Some(12),
        tacc_ns: Some(20),
        epochs: secs,
        framer: FramerCounts { bytes: 900 * secs, nmea: 5 * secs, ubx: 8 * secs, ..FramerCounts::default() },
        ..Receiver::default()
    };
    h.pps = Pps {
        source: timed::config::PpsSource::Kernel,
        device: "/dev/pps0".into(),
        device_state: DeviceState::Open,
        edges: secs,
        last_edge_ns: Some(((1_000 + secs) * 1_000_000_000) as i64),
        state: PpsLock::LockedTimTp,
        samples: secs,
        last_offset_ns: Some(250_000),
        rejects: [
            "missed_pulse",
            "duplicate",
            "unlabelled",
            "outlier",
            "wrong_second",
            "no_fix",
            "invalid_time",
            "stale",
        ]
        .iter()
        .map(|r| ((*r).into(), 0))
        .collect(),
        ..Pps::default()
    };
    h.sinks = vec![Sink {
        kind: "sock-pps".into(),
        target: "/run/chrony/timed-pps.sock".into(),
        state: SinkState::Ok,
        ..Sink::default()
    }];
    h
}

/// A window of `dt` seconds from `a` to `b`.
pub fn live(a: Health, b: Health, dt: f64) -> Live {
    let now_ns =
        (b.started_unix_s * 1_000_000_000) + (b.receiver.epochs as i64) * 1_000_000_000 + 300_000_000;
    Live { a, b, dt_s: dt, now_ns }
}

/// Adds `n` to a reject counter.
pub fn reject(h: &mut Health, reason: &str, n: u64) {
    if let Some(r) = h.pps.rejects.iter_mut().find(|(r, _)| r == reason) {
        r.1 += n;
    }
}

pub use timed::chronyctl::fixture::report;
