//! `timed.toml`: the daemon's configuration. Unknown keys are errors; every problem is reported
//! as `FILE:LINE:COL: message` with a hint, so `timed --check-config` can be used before a
//! restart (exit 78, EX_CONFIG, when anything is wrong).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

mod decode;
mod integrity;
mod nts;
mod setup;
mod validate;
pub use integrity::{Integrity, Resp, Responses};
pub use nts::Nts;
pub use setup::{Configure, Grid, Profile, Setup, TimeModeWanted};

pub use validate::{group_id, GROUP_FILE};

pub const DEFAULT_PATH: &str = "/etc/timed/timed.toml";

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The file this was read from (set by [`load`]; shown by `timectl`).
    #[serde(skip)]
    pub path: PathBuf,
    pub receiver: Receiver,
    pub pps: Pps,
    pub engine: Engine,
    pub chrony: Chrony,
    pub metrics: Metrics,
    pub control: Control,
    pub led: Led,
    pub holdover: Holdover,
    pub log: Log,
    pub integrity: Integrity,
    pub leap: Leap,
    pub events: Events,
    pub nts: Nts,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Receiver {
    /// Serial device of the receiver (a udev symlink by default).
    pub device: PathBuf,
    pub baud: u32,
    /// Time from the top of the second to the first byte of the epoch's burst, milliseconds
    /// (subtracted for coarse samples; `timectl` shows the measured value once PPS runs).
    pub serial_delay_ms: f64,
    /// Silence that ends an epoch's burst when the receiver sends no NAV-EOE, milliseconds.
    pub epoch_gap_ms: u32,
    /// Check or apply the receiver's set-up (`setup`, with `baud` as its speed) at start and on
    /// every reconnect.
    pub configure: Configure,
    pub setup: Setup,
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver {
            device: "/dev/gps0".into(),
            baud: 9_600,
            serial_delay_ms: 0.0,
            epoch_gap_ms: 100,
            configure: Configure::Check,
            setup: Setup::default(),
        }
    }
}

/// `[pps] source`; the snapshot's `pps.source` is the same value (one type from the
/// configuration to the JSON).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PpsSource {
    /// The kernel PPS API on `device`.
    Kernel,
    /// Edges from `timed-sim` on `sim_socket` (demo and tests; shown as simulation everywhere).
    Simulated,
    #[default]
    Off,
}

impl PpsSource {
    pub fn name(self) -> &'static str {
        match self {
            PpsSource::Kernel => "kernel",
            PpsSource::Simulated => "simulated",
            PpsSource::Off => "off",
        }
    }
}

impl std::fmt::Display for PpsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Pps {
    pub source: PpsSource,
    pub device: PathBuf,
    pub sim_socket: PathBuf,
}

impl Default for Pps {
    fn default() -> Self {
        Pps {
            source: PpsSource::Kernel,
            device: "/dev/pps0".into(),
            sim_socket: "/run/timed/sim-pps.sock".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Engine {
    pub qerr_correction: bool,
    /// Window after an edge in which its epoch's first byte must arrive, milliseconds.
    #[serde(deserialize_with = "low_high")]
    pub epoch_window_ms: [f64; 2],
    pub outlier_ms: f64,
    /// The earliest UTC date a receiver may report (`YYYY-MM-DD`): timed's release, so a
    /// receiver that fell back to its firmware's date or a week-rollover bug never makes a
    /// sample. Only a replay of a past date (a historical leap second) needs it earlier.
    pub earliest_date: String,
}

/// `[low, high]`: exactly two numbers (a plain `[f64; 2]` would silently drop a third).
fn low_high<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
    let v = Vec::<f64>::deserialize(d)?;
    <[f64; 2]>::try_from(v.as_slice())
        .map_err(|_| serde::de::Error::invalid_length(v.len(), &"two numbers, [low, high]"))
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            qerr_correction: true,
            epoch_window_ms: [0.0, 990.0],
            outlier_ms: 2.0,
            earliest_date: "2025-01-01".into(),
        }
    }
}

impl Engine {
    /// `earliest_date` as the Unix second of its midnight, when it is a date at or after the
    /// GPS epoch (1980-01-06: no GPS receiver reports earlier).
    pub fn earliest_unix_s(&self) -> Option<i64> {
        let d = timed_core::time::Date::parse_iso(&self.earliest_date)?;
        let s = d.days_since_unix_epoch() * 86_400;
        (s >= timed_core::time::GPS_EPOCH_UNIX).then_some(s)
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Chrony {
    /// chronyd's command socket, read (never written) for the `chrony_*` metrics and for
    /// `timectl status` through the control socket ("" to leave chronyd's view out).
    pub command_socket: PathBuf,
    pub sock: Sock,
    pub shm: Shm,
}

impl Default for Chrony {
    fn default() -> Self {
        Chrony {
            command_socket: "/run/chrony/chronyd.sock".into(),
            sock: Sock::default(),
            shm: Shm::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Sock {
    /// chrony `refclock SOCK` path for PPS samples; empty: off.
    pub pps: PathBuf,
    /// chrony `refclock SOCK` path for coarse (serial) samples; empty: off.
    pub coarse: PathBuf,
}

impl Default for Sock {
    fn default() -> Self {
        Sock { pps: "/run/chrony/timed-pps.sock".into(), coarse: "/run/chrony/timed-coarse.sock".into() }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Shm {
    pub enabled: bool,
    /// NTP SHM unit for coarse samples (gpsd: NTP0) and for PPS (gpsd: NTP1); -1: off.
    pub coarse_unit: i32,
    pub pps_unit: i32,
    /// Permissions if timed has to create a segment (chrony normally creates them, 0600).
    pub mode: String,
}

impl Default for Shm {
    fn default() -> Self {
        Shm { enabled: false, coarse_unit: 0, pps_unit: 1, mode: "0600".into() }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Metrics {
    pub enabled: bool,
    /// Address of the read-only Prometheus endpoint. Loopback by default; 9477 collides neither
    /// with chrony_exporter (9123) nor the gpsd exporters (9015).
    pub listen: String,
    /// Receiver position in `gpsd_*` metrics: "full", "coarse" (0.1°, 100 m) or "off".
    pub position: crate::metrics::gpsd::Position,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            enabled: true,
            listen: "127.0.0.1:9477".into(),
            position: crate::metrics::gpsd::Position::Full,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Control {
    /// The read-only control socket `timectl` talks to ("" switches it off).
    pub socket: PathBuf,
    /// Permissions of the socket: who may read timed's state (octal, like "0660").
    pub mode: String,
    /// Group given the socket ("" keeps timed's own group); members may run `timectl status`.
    pub group: String,
}

impl Default for Control {
    fn default() -> Self {
        Control { socket: "/run/timed/control.sock".into(), mode: "0660".into(), group: String::new() }
    }
}

/// The status LED (timed/daemon/src/led.rs): solid = locked to PPS, slow blink = acquiring,
/// fast blink = fault.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Led {
    pub enabled: bool,
    /// GPIO chip character device; "" = look `line` up by name on every chip.
    pub chip: PathBuf,
    /// Line name as the kernel knows it (Raspberry Pi: "GPIO17", header pin 11), or its
    /// offset on `chip`.
    pub line: String,
    /// The LED lights when the pin is driven low.
    pub active_low: bool,
}

impl Default for Led {
    fn default() -> Self {
        Led { enabled: false, chip: PathBuf::new(), line: "GPIO17".into(), active_low: false }
    }
}

/// Holdover after the PPS lock is lost (docs/holdover.md).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Holdover {
    /// Past this error bound the holdover is reported as exceeded (`timectl status` FAILING).
    pub max_error_ms: f64,
    /// The SoC temperature file (millidegrees Celsius); "" finds the first thermal zone of type
    /// cpu-thermal, or the first readable one, under /sys/class/thermal.
    pub thermal_zone: PathBuf,
}

impl Default for Holdover {
    fn default() -> Self {
        // 1 ms: what a client reaching a public NTP server over the internet typically gets
        // (path asymmetry of a few ms); past it this appliance is no better than that.
        Holdover { max_error_ms: 1.0, thermal_zone: PathBuf::new() }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    /// tracing filter, e.g. "info" or "timed=debug".
    pub level: String,
}

impl Default for Log {
    fn default() -> Self {
        Log { level: "info".into() }
    }
}

/// What to do about a leap indication once the leap-seconds list has expired.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LeapExpired {
    /// Hold the leap indication unless the receiver and the list's last entries agree: an
    /// expired list cannot rule out a leap it does not show, and the receiver alone may be wrong.
    Hold,
    /// Trust the receiver's indication alone.
    Receiver,
}

impl LeapExpired {
    pub fn name(self) -> &'static str {
        match self {
            LeapExpired::Hold => "hold",
            LeapExpired::Receiver => "receiver",
        }
    }
}

/// The IERS/NIST leap-seconds list: the second witness to the receiver's leap indication.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Leap {
    /// The list tzdata keeps current; "" = none (the receiver alone is trusted).
    pub list: PathBuf,
    /// What to do once the list has expired.
    pub expired: LeapExpired,
}

impl Default for Leap {
    fn default() -> Self {
        Leap { list: crate::leap_list::DEFAULT_PATH.into(), expired: LeapExpired::Hold }
    }
}

/// Events (docs/events.md): journald and the metrics always; a webhook when configured.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Events {
    /// `http://host[:port]/path` to POST each event to as JSON; "" = none.
    pub webhook: String,
    /// A file holding that URL instead (a secret, e.g. decrypted at boot: docs/secrets.md).
    pub webhook_file: PathBuf,
    /// Events waiting for the webhook; past it new ones are dropped (and counted).
    pub queue: usize,
}

impl Default for Events {
    fn default() -> Self {
        Events { webhook: String::new(), webhook_file: PathBuf::new(), queue: 64 }
    }
}

/// One problem in a configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.col, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Reads and checks a configuration file, as the daemon does when it starts. `Err` holds every
/// problem found.
pub fn load(path: &Path) -> Result<Config, Vec<Problem>> {
    let text = read(path)?;
    let mut cfg = parse(path, &text)?;
    cfg.path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(cfg)
}

/// What `timed --check-config` runs: [`load`], and the checks against this system (the control
/// socket's group exists). The daemon itself does not refuse to start over those: without them
/// it still keeps time and reports the part it cannot do.
pub fn check_file(path: &Path) -> Result<Config, Vec<Problem>> {
    let text = read(path)?;
    let mut cfg = checked(path, &text, Some(Path::new(GROUP_FILE)))?;
    cfg.path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(cfg)
}

fn read(path: &Path) -> Result<String, Vec<Problem>> {
    std::fs::read_to_string(path).map_err(|e| {
        vec![Problem {
            file: path.into(),
            line: 0,
            col: 0,
            message: format!("cannot read the configuration: {e}"),
            hint: Some(
                "create it (an example is in /usr/share/doc/timed/timed.toml) or pass -c FILE".to_string(),
            ),
        }]
    })
}

/// Parses and checks configuration text (`path` is only used in messages).
pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Problem>> {
    checked(path, text, None)
}

/// [`parse`], plus the system checks with groups looked up in `group_file` when given.
fn checked(path: &Path, text: &str, group_file: Option<&Path>) -> Result<Config, Vec<Problem>> {
    let at = |span: Option<std::ops::Range<usize>>, message: String, hint: Option<String>| {
        let (line, col) = line_col(text, span.map_or(0, |s| s.start));
        Problem { file: path.into(), line, col, message, hint }
    };
    let root = decode::parse(text).map_err(|errors| {
        errors.iter().map(|e| at(e.span(), e.message().trim().to_string(), None)).collect::<Vec<_>>()
    })?;
    let (cfg, rejected) = decode::config(&root);
    let mut problems = Vec::new();
    for r in &rejected {
        let msg = r.error.message().trim();
        let (message, hint) = if msg.starts_with("unknown field") {
            let hint = "check the spelling; the commented example config lists every key";
            (msg.to_string(), Some(hint.to_string()))
        } else if r.key.is_empty() {
            (msg.to_string(), None)
        } else {
            (format!("{}: {msg}", r.key), None)
        };
        problems.push(at(r.error.span(), message, hint));
    }
    let mut checks = validate::check(&cfg);
    if let Some(groups) = group_file {
        checks.extend(validate::check_host(&cfg, groups));
    }
    // A key whose value was refused holds its default, which the checks would judge as if it
    // had been written (some compare keys of one table): its table's checks wait for the fix.
    let replaced: Vec<&str> = rejected
        .iter()
        .filter(|r| !r.error.message().starts_with("unknown field"))
        .map(|r| r.key.as_str())
        .collect();
    let table = |k: &str| k.rsplit_once('.').map_or("", |(t, _)| t).to_string();
    let waits = |k: &str| {
        replaced.iter().any(|r| r.is_empty() || k.starts_with(&format!("{r}.")) || table(k) == table(r))
    };
    for (key, message, hint) in checks {
        if !waits(key) {
            problems.push(at(decode::span_of(&root, key), message, hint));
        }
    }
    // In the order of the file; one unknown table holding several keys is one problem.
    problems.sort_by_key(|p| (p.line, p.col));
    problems.dedup();
    if problems.is_empty() {
        Ok(cfg)
    } else {
        Err(problems)
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// An octal permission ("0660", "0o660") no wider than 0777.
pub fn octal_mode(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim_start_matches("0o"), 8).ok().filter(|m| *m <= 0o777)
}

impl Config {
    pub fn shm_mode(&self) -> u32 {
        octal_mode(&self.chrony.shm.mode).unwrap_or(0o600)
    }

    pub fn control_mode(&self) -> u32 {
        octal_mode(&self.control.mode).unwrap_or(0o660)
    }
}

#[cfg(test)]
mod tests;
