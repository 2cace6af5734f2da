//! The command line of `timectl receiver`, and the core [`Settings`] it describes.

use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;
use timed_core::gnss::Constellation;
use timed_core::receiver::{CableDelay, Grid, Nmea, Profile, Settings, TimeMode, DEFAULT_SURVEY};

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

#[derive(Clone, Copy, ValueEnum)]
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
    /// Velocity factor of the cable (RG-58 0.66, LMR-400 0.85).
    #[arg(long, value_name = "F", default_value_t = 0.66)]
    pub velocity_factor: f64,
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

/// Metres to the unit given, rounded, as long as it fits.
fn scaled(v: f64, per_m: f64, what: &str) -> Result<i64, String> {
    let x = (v * per_m).round();
    if x.is_finite() && x.abs() < 9.0e15 {
        Ok(x as i64)
    } else {
        Err(format!("{what} {v} is out of range"))
    }
}

/// `--constellations`: the core's names and rules, as timed.toml's key; none = left alone.
fn constellations(list: &[String]) -> Result<Option<Vec<Constellation>>, String> {
    use timed_core::receiver::constellations::{parse, problem, SWITCHABLE};
    let mut set = Vec::new();
    for s in list.iter().filter(|s| !s.is_empty()) {
        let c = parse(s).ok_or_else(|| {
            let names: Vec<&str> = SWITCHABLE.iter().map(|c| c.name()).collect();
            format!("--constellations: {s:?} is not one of {}", names.join(", "))
        })?;
        if !set.contains(&c) {
            set.push(c);
        }
    }
    if set.is_empty() {
        return Ok(None);
    }
    match problem(&set) {
        Some(p) => Err(format!("--constellations: {p}")),
        None => Ok(Some(set)),
    }
}

impl Setup {
    /// `base` (timed.toml's plan, or the core's defaults) with the options given here.
    pub fn settings(&self, base: Settings, save: bool) -> Result<Settings, String> {
        let mut out = Settings { save, ..base };
        if let Some(p) = self.profile {
            out.profile = match p {
                ProfileArg::Timing => Profile::Timing,
                ProfileArg::Navigation => Profile::Navigation,
            };
        }
        if let Some(list) = &self.nmea {
            let mut keep = Vec::new();
            for s in list.iter().filter(|s| !s.is_empty()) {
                keep.push(Nmea::parse(s).ok_or_else(|| {
                    format!("--nmea: {s:?} is not one of GGA, GLL, GSA, GSV, RMC, VTG, ZDA")
                })?);
            }
            out.nmea_keep = keep;
        }
        if let Some(list) = &self.constellations {
            out.constellations = constellations(list)?;
        }
        if let Some(us) = self.pulse_length_us {
            out.pulse_len_us = us;
        }
        if let Some(g) = self.grid {
            out.grid = match g {
                GridArg::Utc => Grid::Utc,
                GridArg::Gps => Grid::Gps,
            };
        }
        let cable = match (self.cable_length_m, self.cable_delay_ns) {
            (Some(m), _) => Some(CableDelay::Length { meters: m, velocity_factor: self.velocity_factor }),
            (None, Some(ns)) => Some(CableDelay::Ns(ns)),
            (None, None) => None,
        };
        if let Some(c) = cable {
            out.cable_delay_ns =
                c.ns().ok_or("--cable-length-m / --velocity-factor: not a delay of 0..32767 ns")?;
        }
        if let Some(ns) = self.user_delay_ns {
            out.user_delay_ns = ns;
        }
        if let Some(m) = self.fixed_accuracy_m {
            out.fixed_pos_acc_mm = u32::try_from(scaled(m, 1000.0, "--fixed-accuracy-m")?)
                .map_err(|_| "--fixed-accuracy-m must be positive")?;
        }
        // The survey limits: given here, else those of timed.toml's survey-in, else the core's.
        let (min_dur_s, acc_limit_mm) = match (base.time_mode, DEFAULT_SURVEY) {
            (Some(TimeMode::SurveyIn { min_dur_s, acc_limit_mm }), _)
            | (_, TimeMode::SurveyIn { min_dur_s, acc_limit_mm }) => (min_dur_s, acc_limit_mm),
            _ => (300, 5_000),
        };
        let acc = match self.survey_accuracy_m {
            Some(m) => u32::try_from(scaled(m, 1000.0, "--survey-accuracy-m")?)
                .map_err(|_| "--survey-accuracy-m must be positive")?,
            None => acc_limit_mm,
        };
        let survey =
            TimeMode::SurveyIn { min_dur_s: self.survey_min_s.unwrap_or(min_dur_s), acc_limit_mm: acc };
        match self.time_mode {
            None if self.survey_min_s.is_some() || self.survey_accuracy_m.is_some() => {
                out.time_mode = Some(survey)
            }
            None => {}
            Some(TimeModeArg::Auto) => out.time_mode = None,
            Some(TimeModeArg::Disabled) => out.time_mode = Some(TimeMode::Disabled),
            Some(TimeModeArg::SurveyIn) => out.time_mode = Some(survey),
            Some(TimeModeArg::Fixed) => out.time_mode = Some(self.fixed()?),
        }
        Ok(out)
    }

    fn fixed(&self) -> Result<TimeMode, String> {
        match (self.fixed_llh.as_slice(), self.fixed_ecef.as_slice()) {
            ([lat, lon, h], []) => {
                if lat.abs() > 90.0 || lon.abs() > 180.0 {
                    return Err(format!("--fixed-llh: {lat},{lon} is not a latitude,longitude"));
                }
                let i = |v: i64| i32::try_from(v).map_err(|_| "--fixed-llh out of range".to_string());
                Ok(TimeMode::FixedLlh {
                    lat_1e7deg: i(scaled(*lat, 1e7, "latitude")?)?,
                    lon_1e7deg: i(scaled(*lon, 1e7, "longitude")?)?,
                    height_cm: i(scaled(*h, 100.0, "height")?)?,
                })
            }
            ([], [x, y, z]) => Ok(TimeMode::FixedEcef {
                ecef_01mm: [scaled(*x, 1e4, "x")?, scaled(*y, 1e4, "y")?, scaled(*z, 1e4, "z")?],
            }),
            _ => Err("--time-mode fixed needs --fixed-llh LAT,LON,H or --fixed-ecef X,Y,Z".into()),
        }
    }
}
