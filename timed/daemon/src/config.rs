//! `timed.toml`: the daemon's configuration. Unknown keys are errors; every problem is reported
//! as `FILE:LINE:COL: message` with a hint, so `timed --check-config` can be used before a
//! restart (exit 78, EX_CONFIG, when anything is wrong).

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

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
    pub log: Log,
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
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver { device: "/dev/gps0".into(), baud: 115_200, serial_delay_ms: 0.0, epoch_gap_ms: 100 }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PpsSource {
    /// The kernel PPS API on `device`.
    Kernel,
    /// Edges from `timed-sim` on `sim_socket` (demo and tests; shown as simulation everywhere).
    Simulated,
    Off,
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
    pub epoch_window_ms: [f64; 2],
    pub outlier_ms: f64,
}

impl Default for Engine {
    fn default() -> Self {
        Engine { qerr_correction: true, epoch_window_ms: [0.0, 990.0], outlier_ms: 2.0 }
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

/// Reads and checks a configuration file. `Err` holds every problem found.
pub fn load(path: &Path) -> Result<Config, Vec<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Problem {
            file: path.into(),
            line: 0,
            col: 0,
            message: format!("cannot read the configuration: {e}"),
            hint: Some(
                "create it (an example is in /usr/share/doc/timed/timed.toml) or pass -c FILE".to_string(),
            ),
        }]
    })?;
    let mut cfg = parse(path, &text)?;
    cfg.path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(cfg)
}

/// Parses and checks configuration text (`path` is only used in messages).
pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<Problem>> {
    let at = |span: Option<std::ops::Range<usize>>, message: String, hint: Option<String>| {
        let (line, col) = line_col(text, span.map_or(0, |s| s.start));
        Problem { file: path.into(), line, col, message, hint }
    };
    let cfg: Config = match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            let msg = e.message().trim().to_string();
            let hint = if msg.contains("unknown field") {
                Some("check the spelling; the commented example config lists every key".to_string())
            } else {
                None
            };
            return Err(vec![at(e.span(), msg, hint)]);
        }
    };
    let doc = toml_edit::Document::parse(text).ok();
    let span_of = |dotted: &str| -> Option<std::ops::Range<usize>> {
        let doc = doc.as_ref()?;
        let mut item = doc.as_item();
        for k in dotted.split('.') {
            item = item.get(k)?;
        }
        item.span()
    };
    let mut problems = Vec::new();
    for (key, message, hint) in check(&cfg) {
        problems.push(at(span_of(key), message, hint));
    }
    if problems.is_empty() {
        Ok(cfg)
    } else {
        Err(problems)
    }
}

type Check = (&'static str, String, Option<String>);

/// Semantic checks beyond types: (dotted key, message, hint).
fn check(c: &Config) -> Vec<Check> {
    let mut v: Vec<Check> = Vec::new();
    const BAUDS: [u32; 9] = [4800, 9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600];
    if !BAUDS.contains(&c.receiver.baud) {
        v.push((
            "receiver.baud",
            format!("baud {} is not a rate u-blox receivers use", c.receiver.baud),
            Some(format!("one of {BAUDS:?}; 9600 is the factory default, 115200 the usual setting")),
        ));
    }
    if c.receiver.device.as_os_str().is_empty() {
        v.push(("receiver.device", "receiver.device is empty".into(), Some("e.g. \"/dev/gps0\"".into())));
    }
    if !(0.0..1000.0).contains(&c.receiver.serial_delay_ms) {
        v.push((
            "receiver.serial_delay_ms",
            format!("serial_delay_ms = {} is outside 0..1000", c.receiver.serial_delay_ms),
            Some("the burst starts within the second it belongs to".into()),
        ));
    }
    if !(10..=900).contains(&c.receiver.epoch_gap_ms) {
        v.push(("receiver.epoch_gap_ms", "epoch_gap_ms must be within 10..900".into(), None));
    }
    let [lo, hi] = c.engine.epoch_window_ms;
    if !(lo >= 0.0 && lo < hi && hi < 1000.0) {
        v.push((
            "engine.epoch_window_ms",
            format!("epoch_window_ms = [{lo}, {hi}] must satisfy 0 <= low < high < 1000"),
            None,
        ));
    }
    if c.engine.outlier_ms.is_nan() || c.engine.outlier_ms <= 0.0 {
        v.push(("engine.outlier_ms", "outlier_ms must be positive".into(), None));
    }
    if c.pps.source == PpsSource::Kernel && c.pps.device.as_os_str().is_empty() {
        v.push(("pps.device", "pps.source is \"kernel\" but pps.device is empty".into(), None));
    }
    if c.pps.source == PpsSource::Simulated && c.pps.sim_socket.as_os_str().is_empty() {
        v.push(("pps.sim_socket", "pps.source is \"simulated\" but pps.sim_socket is empty".into(), None));
    }
    for (key, p) in [("chrony.sock.pps", &c.chrony.sock.pps), ("chrony.sock.coarse", &c.chrony.sock.coarse)] {
        if !p.as_os_str().is_empty() && !p.is_absolute() {
            v.push((
                key,
                format!("{} is not an absolute path", p.display()),
                Some("chrony's refclock SOCK path, e.g. /run/chrony/timed-pps.sock".into()),
            ));
        }
        if p.as_os_str().len() >= 108 {
            v.push((key, "socket path longer than 107 bytes (sun_path limit)".into(), None));
        }
    }
    if !c.chrony.sock.pps.as_os_str().is_empty() && c.chrony.sock.pps == c.chrony.sock.coarse {
        v.push((
            "chrony.sock.coarse",
            "PPS and coarse samples would go to the same socket".into(),
            Some("give chrony two refclock SOCK lines with different paths".into()),
        ));
    }
    let shm = &c.chrony.shm;
    for (key, u) in [("chrony.shm.coarse_unit", shm.coarse_unit), ("chrony.shm.pps_unit", shm.pps_unit)] {
        if !(-1..=7).contains(&u) {
            v.push((key, format!("SHM unit {u} is outside 0..7 (-1 = off)"), None));
        }
    }
    if shm.enabled && shm.coarse_unit >= 0 && shm.coarse_unit == shm.pps_unit {
        v.push(("chrony.shm.pps_unit", "coarse and PPS samples would share one SHM unit".into(), None));
    }
    if octal_mode(&shm.mode).is_none() {
        v.push((
            "chrony.shm.mode",
            format!("mode {:?} is not an octal permission like \"0600\"", shm.mode),
            None,
        ));
    }
    if octal_mode(&c.control.mode).is_none() {
        v.push((
            "control.mode",
            format!("mode {:?} is not an octal permission like \"0660\"", c.control.mode),
            None,
        ));
    }
    let control = &c.control.socket;
    if !control.as_os_str().is_empty() && (!control.is_absolute() || control.as_os_str().len() >= 108) {
        v.push((
            "control.socket",
            format!("{} is not an absolute socket path shorter than 108 bytes", control.display()),
            Some("e.g. /run/timed/control.sock".into()),
        ));
    }
    if c.metrics.enabled && c.metrics.listen.parse::<std::net::SocketAddr>().is_err() {
        v.push((
            "metrics.listen",
            format!("{:?} is not an address:port", c.metrics.listen),
            Some("e.g. \"127.0.0.1:9477\", or \"[::]:9477\" to serve the LAN".into()),
        ));
    }
    if c.led.enabled && c.led.line.is_empty() {
        v.push(("led.line", "led.line is empty".into(), Some("e.g. \"GPIO17\" (header pin 11)".into())));
    }
    if !c.led.chip.as_os_str().is_empty() && !c.led.chip.is_absolute() {
        v.push(("led.chip", format!("{} is not an absolute path", c.led.chip.display()), None));
    }
    if c.led.chip.as_os_str().is_empty() && c.led.line.parse::<u32>().is_ok() {
        v.push((
            "led.line",
            format!("line {} is an offset, but no led.chip says on which chip", c.led.line),
            Some("name the line (\"GPIO17\") or set chip = \"/dev/gpiochip0\"".into()),
        ));
    }
    if tracing_subscriber::EnvFilter::try_new(&c.log.level).is_err() {
        v.push((
            "log.level",
            format!("log level {:?} is not a valid filter", c.log.level),
            Some("\"info\", \"debug\" or \"timed=debug\"".into()),
        ));
    }
    v
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
