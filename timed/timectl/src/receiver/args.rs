//! The command line of `timectl receiver`: the `[receiver.setup]` table of timed.toml it
//! describes (each option overrides its key), turned into the core's [`Settings`] by the
//! daemon library's one conversion.

use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;
use timed::config::{Grid, Profile, Setup as TomlSetup, TimeModeWanted};
use timed_core::receiver::Settings;

#[derive(clap::Args)]
#[command(after_help = "\
The port is opened exclusively; a port that a running timed holds is refused (exit 2): set \
[receiver] configure = \"apply\" in timed.toml to let timed set the receiver up itself, or stop \
timed first. docs/receiver-setup.md describes every item.

Exit status: 0 done (plan: nothing would change; apply, verify: every item reads back as \
planned), 1 something differs or was refused (named), 2 no u-blox answered (silent port, wrong \
device, not a u-blox) or the port is held by timed.")]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Find the speed (9600…921600), what the receiver speaks, its MON-VER (model, firmware,
    /// protocol) and its configuration interface (legacy CFG-* or CFG-VALSET keys).
    Detect(Common),
    /// Every item with its current and wanted value; exit 1 when something would change.
    Plan(Setup),
    /// Send what differs (each item acknowledged), the speed last, then read everything back.
    Apply(ApplyArgs),
    /// Read every planned item back; exit 0 only when all equal the plan.
    Verify(Setup),
}

#[derive(clap::Args)]
pub struct Common {
    /// The receiver's serial device [default: timed.toml's `[receiver]` device].
    #[arg(long, value_name = "PATH")]
    pub device: Option<PathBuf>,
    /// timed's configuration (device and speed).
    #[arg(long, value_name = "FILE", default_value = timed::config::DEFAULT_PATH)]
    pub config: PathBuf,
    /// Speed to try first [default: timed.toml's `[receiver]` baud]; the others follow.
    #[arg(long, value_name = "BAUD")]
    pub baud: Option<u32>,
    /// Speed the receiver is set to [default: timed.toml's `[receiver]` baud, else 115200].
    #[arg(long, value_name = "BAUD")]
    pub speed: Option<u32>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    Timing,
    Navigation,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GridArg {
    Utc,
    Gps,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeModeArg {
    /// The profile's: survey-in on timing receivers (timing profile), nothing on others.
    Auto,
    SurveyIn,
    /// At --fixed-llh or --fixed-ecef.
    Fixed,
    Disabled,
}

/// What the plan wants: timed.toml's `[receiver.setup]` (the same plan timed checks), each
/// option given here overriding its key.
#[derive(clap::Args)]
pub struct Setup {
    #[command(flatten)]
    pub common: Common,
    /// [default: timing]
    #[arg(long, value_enum)]
    pub profile: Option<ProfileArg>,
    /// NMEA sentences to keep (comma-separated, e.g. RMC,ZDA; "" for none) [default: none].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub nmea: Option<Vec<String>>,
    /// Time-pulse length once locked, microseconds (no pulse without a fix) [default: 100000].
    #[arg(long, value_name = "US")]
    pub pulse_length_us: Option<u32>,
    /// Align the pulse to UTC or GPS time [default: utc].
    #[arg(long, value_enum)]
    pub grid: Option<GridArg>,
    /// Antenna cable delay, ns [default: 0].
    #[arg(long, value_name = "NS", allow_negative_numbers = true, conflicts_with = "cable_length_m")]
    pub cable_delay_ns: Option<i32>,
    /// Antenna cable length, metres (the delay is length / (velocity factor x c)).
    #[arg(long, value_name = "M")]
    pub cable_length_m: Option<f64>,
    /// Velocity factor of the cable (RG-58 0.66, LMR-400 0.85) [default: 0.66].
    #[arg(long, value_name = "F")]
    pub velocity_factor: Option<f64>,
    /// Further delay of the pulse, ns [default: 0].
    #[arg(long, value_name = "NS", allow_negative_numbers = true)]
    pub user_delay_ns: Option<i32>,
    /// [default: auto]
    #[arg(long, value_enum)]
    pub time_mode: Option<TimeModeArg>,
    /// Survey-in minimum duration, seconds [default: 300].
    #[arg(long, value_name = "S")]
    pub survey_min_s: Option<u32>,
    /// Survey-in accuracy limit, metres [default: 5].
    #[arg(long, value_name = "M")]
    pub survey_accuracy_m: Option<f64>,
    /// Fixed position: latitude °, longitude °, height above the ellipsoid m.
    #[arg(long, value_name = "LAT,LON,H", value_delimiter = ',', allow_hyphen_values = true)]
    pub fixed_llh: Vec<f64>,
    /// Fixed position: ECEF x, y, z metres.
    #[arg(
        long,
        value_name = "X,Y,Z",
        value_delimiter = ',',
        allow_hyphen_values = true,
        conflicts_with = "fixed_llh"
    )]
    pub fixed_ecef: Vec<f64>,
    /// How well the fixed position is known, metres [default: 1].
    #[arg(long, value_name = "M")]
    pub fixed_accuracy_m: Option<f64>,
    /// GNSS to enable, the others disabled (e.g. gps,galileo; "" leaves them as they are)
    /// [default: timed.toml's constellations, else left as they are].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub constellations: Option<Vec<String>>,
}

#[derive(clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub setup: Setup,
    /// Also write battery-backed RAM and flash (kept across power cycles); default RAM only.
    #[arg(long)]
    pub save: bool,
}

impl Setup {
    /// `base` (timed.toml's `[receiver.setup]`, or its defaults) with the options given here,
    /// checked and turned into the core's settings by the daemon's own code: the options are
    /// that table's keys, so they mean exactly what they mean in timed.toml.
    pub fn settings(&self, base: &TomlSetup, baud: u32, save: bool) -> Result<Settings, String> {
        let t = self.table(base.clone());
        if let Some((key, msg, hint)) = t.problems().into_iter().next() {
            let hint = hint.map(|h| format!(" ({h})")).unwrap_or_default();
            return Err(format!("{}: {}", option_of(key), in_options(&format!("{msg}{hint}"))));
        }
        Ok(Settings { save, ..t.to_core(baud) })
    }

    /// The `[receiver.setup]` table these options describe over `t`.
    fn table(&self, mut t: TomlSetup) -> TomlSetup {
        if let Some(p) = self.profile {
            t.profile = match p {
                ProfileArg::Timing => Profile::Timing,
                ProfileArg::Navigation => Profile::Navigation,
            };
        }
        if let Some(list) = &self.nmea {
            t.nmea = list.iter().filter(|s| !s.is_empty()).cloned().collect();
        }
        // "" (or an empty list) leaves the constellations alone, as an empty key does.
        if let Some(list) = &self.constellations {
            t.constellations = list.iter().filter(|s| !s.is_empty()).cloned().collect();
        }
        if let Some(us) = self.pulse_length_us {
            t.pulse_length_us = us;
        }
        if let Some(g) = self.grid {
            t.time_grid = match g {
                GridArg::Utc => Grid::Utc,
                GridArg::Gps => Grid::Gps,
            };
        }
        // The delay is given one way: an option replaces timed.toml's other way.
        if let Some(ns) = self.cable_delay_ns {
            (t.cable_delay_ns, t.cable_length_m) = (ns, 0.0);
        }
        if let Some(m) = self.cable_length_m {
            (t.cable_length_m, t.cable_delay_ns) = (m, 0);
        }
        if let Some(f) = self.velocity_factor {
            t.velocity_factor = f;
        }
        if let Some(ns) = self.user_delay_ns {
            t.user_delay_ns = ns;
        }
        if let Some(m) = self.survey_accuracy_m {
            t.survey_accuracy_m = m;
        }
        if let Some(s) = self.survey_min_s {
            t.survey_min_s = s;
        }
        if let Some(m) = self.fixed_accuracy_m {
            t.fixed_accuracy_m = m;
        }
        if !self.fixed_llh.is_empty() || !self.fixed_ecef.is_empty() {
            (t.fixed_llh, t.fixed_ecef_m) = (self.fixed_llh.clone(), self.fixed_ecef.clone());
        }
        if let Some(m) = self.time_mode {
            t.time_mode = match m {
                TimeModeArg::Auto => TimeModeWanted::Auto,
                TimeModeArg::SurveyIn => TimeModeWanted::SurveyIn,
                TimeModeArg::Fixed => TimeModeWanted::Fixed,
                TimeModeArg::Disabled => TimeModeWanted::Disabled,
            };
            // Another mode asked for here: timed.toml's fixed position is not wanted.
            if m != TimeModeArg::Fixed && self.fixed_llh.is_empty() && self.fixed_ecef.is_empty() {
                (t.fixed_llh, t.fixed_ecef_m) = (Vec::new(), Vec::new());
            }
        }
        t
    }
}

/// The option that sets a `[receiver.setup]` key.
fn option_of(key: &str) -> String {
    match key.trim_start_matches("receiver.setup.") {
        "time_grid" => "--grid".into(),
        "fixed_ecef_m" => "--fixed-ecef".into(),
        k => format!("--{}", k.replace('_', "-")),
    }
}

/// The keys a check's message names, named as the options that set them.
const KEYS: [&str; 13] = [
    "constellations",
    "pulse_length_us",
    "time_grid",
    "cable_delay_ns",
    "cable_length_m",
    "velocity_factor",
    "user_delay_ns",
    "time_mode",
    "survey_min_s",
    "survey_accuracy_m",
    "fixed_llh",
    "fixed_ecef_m",
    "fixed_accuracy_m",
];

fn in_options(text: &str) -> String {
    KEYS.iter().fold(text.to_string(), |t, k| t.replace(k, &option_of(k)))
}
