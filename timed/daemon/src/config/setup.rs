//! `[receiver] configure` and `[receiver.setup]`: whether timed checks or applies the
//! receiver's set-up at start and on every reconnect, and what that set-up is. The plan itself
//! (items, wanted values, the protocol) is timed-core's `receiver` module; this is its
//! `timed.toml` face, checked here so a bad value is reported at its position with exit 78.

use serde::{Deserialize, Serialize};
use std::path::Path;
use timed_core::receiver as core;

/// What timed does about the receiver's set-up when it opens the port.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Configure {
    /// Nothing: the receiver is someone else's business. (The default of the snapshot type:
    /// a snapshot from a timed without the set-up has none; timed.toml's default is `Check`.)
    #[default]
    Off,
    /// Read the set-up back and report what differs (DEGRADED `receiver-not-configured`).
    Check,
    /// Send what differs, in RAM only, and read it back: a receiver that lost its RAM
    /// (power cycle without a backup battery) is restored at the reconnect.
    Apply,
}

impl Configure {
    pub fn name(self) -> &'static str {
        match self {
            Configure::Off => "off",
            Configure::Check => "check",
            Configure::Apply => "apply",
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Stationary; time mode on timing receivers.
    Timing,
    /// Portable; time mode disabled.
    Navigation,
}

/// The time scale the pulse is aligned to.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Grid {
    Utc,
    Gps,
}

/// The time mode asked of a timing receiver.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TimeModeWanted {
    /// The profile's: survey-in on timing receivers (timing profile), nothing on others.
    Auto,
    SurveyIn,
    /// At `fixed_llh` or `fixed_ecef_m`.
    Fixed,
    Disabled,
}

/// `[receiver.setup]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Setup {
    pub profile: Profile,
    /// NMEA sentences kept on the port (GGA, GLL, GSA, GSV, RMC, VTG, ZDA); empty: none.
    pub nmea: Vec<String>,
    /// Time-pulse length while locked, microseconds.
    pub pulse_length_us: u32,
    pub time_grid: Grid,
    /// Antenna cable delay, ns; or give `cable_length_m` and `velocity_factor` instead.
    pub cable_delay_ns: i32,
    /// Antenna cable length, metres (0: use `cable_delay_ns`).
    pub cable_length_m: f64,
    /// The cable's velocity factor (RG-58: 0.66, LMR-400: 0.85).
    pub velocity_factor: f64,
    /// Further delay added to the pulse, ns.
    pub user_delay_ns: i32,
    pub time_mode: TimeModeWanted,
    pub survey_min_s: u32,
    pub survey_accuracy_m: f64,
    /// `[latitude °, longitude °, height above the ellipsoid m]`, or empty.
    pub fixed_llh: Vec<f64>,
    /// `[x, y, z]` ECEF metres, or empty.
    pub fixed_ecef_m: Vec<f64>,
    /// How well the fixed position is known, metres.
    pub fixed_accuracy_m: f64,
    /// GNSS to enable, the others disabled (gps, sbas, galileo, beidou, qzss, glonass);
    /// empty (the default): the set-up leaves the receiver's constellations alone.
    pub constellations: Vec<String>,
}

impl Default for Setup {
    /// The core's defaults (`receiver::Settings::default`), in timed.toml's units.
    fn default() -> Setup {
        let d = core::Settings::default();
        Setup {
            profile: Profile::Timing,
            nmea: d.nmea_keep.iter().map(|n| n.name().to_string()).collect(),
            pulse_length_us: d.pulse_len_us,
            time_grid: Grid::Utc,
            cable_delay_ns: d.cable_delay_ns,
            cable_length_m: 0.0,
            velocity_factor: 0.66,
            user_delay_ns: d.user_delay_ns,
            time_mode: TimeModeWanted::Auto,
            survey_min_s: d.survey.min_dur_s,
            survey_accuracy_m: f64::from(d.survey.acc_limit_mm) / 1e3,
            fixed_llh: Vec::new(),
            fixed_ecef_m: Vec::new(),
            fixed_accuracy_m: f64::from(d.fixed_pos_acc_mm) / 1e3,
            constellations: Vec::new(),
        }
    }
}

/// Light in vacuum, metres per nanosecond.
const C_M_PER_NS: f64 = 0.299_792_458;

impl Setup {
    /// The antenna cable delay in whole nanoseconds, from the length when one is given.
    pub fn cable_delay(&self) -> i32 {
        if self.cable_length_m > 0.0 {
            (self.cable_length_m / (self.velocity_factor * C_M_PER_NS)).round() as i32
        } else {
            self.cable_delay_ns
        }
    }

    /// The core's settings for a receiver at `baud` (`[receiver] baud`), RAM only: timed never
    /// writes the receiver's flash. Call on a checked configuration.
    pub fn to_core(&self, baud: u32) -> core::Settings {
        let m_to = |m: f64, per_m: f64| (m * per_m).round() as i64;
        // The limits go with auto too: it surveys on a timing receiver in the timing profile.
        let survey = core::SurveyLimits {
            min_dur_s: self.survey_min_s,
            acc_limit_mm: m_to(self.survey_accuracy_m, 1e3) as u32,
        };
        let time_mode = match self.time_mode {
            TimeModeWanted::Auto => None,
            TimeModeWanted::Disabled => Some(core::TimeMode::Disabled),
            TimeModeWanted::SurveyIn => Some(survey.mode()),
            TimeModeWanted::Fixed => Some(match (&self.fixed_llh[..], &self.fixed_ecef_m[..]) {
                ([lat, lon, h], _) => core::TimeMode::FixedLlh {
                    lat_1e7deg: m_to(*lat, 1e7) as i32,
                    lon_1e7deg: m_to(*lon, 1e7) as i32,
                    height_cm: m_to(*h, 100.0) as i32,
                },
                (_, [x, y, z]) => {
                    core::TimeMode::FixedEcef { ecef_01mm: [m_to(*x, 1e4), m_to(*y, 1e4), m_to(*z, 1e4)] }
                }
                // Refused by the checks; never planned as something else.
                _ => core::TimeMode::Disabled,
            }),
        };
        core::Settings {
            profile: match self.profile {
                Profile::Timing => core::Profile::Timing,
                Profile::Navigation => core::Profile::Navigation,
            },
            baud,
            nmea_keep: self.nmea.iter().filter_map(|s| core::Nmea::parse(s)).collect(),
            pulse_len_us: self.pulse_length_us,
            grid: match self.time_grid {
                Grid::Utc => core::Grid::Utc,
                Grid::Gps => core::Grid::Gps,
            },
            cable_delay_ns: self.cable_delay(),
            user_delay_ns: self.user_delay_ns,
            time_mode,
            fixed_pos_acc_mm: m_to(self.fixed_accuracy_m, 1e3) as u32,
            constellations: (!self.constellations.is_empty())
                .then(|| self.constellations.iter().filter_map(|s| core::constellations::parse(s)).collect()),
            survey,
            save: false,
        }
    }

    /// The command that applies this set-up by hand and keeps it (`--save`: battery-backed RAM
    /// and flash). `timectl receiver` takes the plan from the same timed.toml (`config`), and
    /// refuses a port timed holds, so timed is stopped around it.
    pub fn apply_command(config: &Path) -> String {
        let at = if config.as_os_str().is_empty() || config == Path::new(super::DEFAULT_PATH) {
            String::new()
        } else {
            format!(" --config {}", config.display())
        };
        format!("systemctl stop timed && timectl receiver apply{at} --save && systemctl start timed")
    }

    /// Values the receiver cannot be set to: (dotted key, message, hint). timed.toml's checks
    /// and `timectl receiver`'s options (which override these keys) both use these.
    pub fn problems(&self) -> Vec<(&'static str, String, Option<String>)> {
        let mut v: Vec<super::validate::Check> = Vec::new();
        let mut bad = |key: &'static str, msg: String, hint: &str| {
            v.push((key, msg, (!hint.is_empty()).then(|| hint.to_string())));
        };
        for s in &self.nmea {
            if core::Nmea::parse(s).is_none() {
                bad(
                    "receiver.setup.nmea",
                    format!("{s:?} is not an NMEA sentence the receiver can be told to send"),
                    &format!(
                        "some of {}; [] for none",
                        core::Nmea::ALL.map(|n| format!("{:?}", n.name())).join(", ")
                    ),
                );
            }
        }
        // CFG-TP5 pulseLenRatioLock / CFG-TP-LEN_LOCK_TP1: within the 1 s period.
        if !(1..1_000_000).contains(&self.pulse_length_us) {
            bad(
                "receiver.setup.pulse_length_us",
                format!(
                    "pulse_length_us = {} is outside 1..999999 (the pulse repeats every second)",
                    self.pulse_length_us
                ),
                "100000 (100 ms) is the u-blox default",
            );
        }
        // CFG-TP5 antCableDelay is a signed 16-bit count of ns.
        if !(0..=32_767).contains(&self.cable_delay_ns) {
            bad(
                "receiver.setup.cable_delay_ns",
                format!("cable_delay_ns = {} is outside 0..32767", self.cable_delay_ns),
                "",
            );
        }
        self.cable_problems(&mut bad);
        if self.user_delay_ns.unsigned_abs() >= 1_000_000_000 {
            bad("receiver.setup.user_delay_ns", "user_delay_ns must be within ±1 s".into(), "");
        }
        if self.survey_min_s == 0 {
            bad(
                "receiver.setup.survey_min_s",
                "survey_min_s = 0: a survey needs observations".into(),
                "300 s or more",
            );
        }
        if !(self.survey_accuracy_m.is_finite()
            && self.survey_accuracy_m > 0.0
            && self.survey_accuracy_m <= 1000.0)
        {
            bad(
                "receiver.setup.survey_accuracy_m",
                format!("survey_accuracy_m = {} is outside (0, 1000] metres", self.survey_accuracy_m),
                "a few metres: 1 m of position error is about 3 ns of time",
            );
        }
        if !(self.fixed_accuracy_m.is_finite()
            && self.fixed_accuracy_m > 0.0
            && self.fixed_accuracy_m <= 1000.0)
        {
            bad(
                "receiver.setup.fixed_accuracy_m",
                format!("fixed_accuracy_m = {} is outside (0, 1000] metres", self.fixed_accuracy_m),
                "",
            );
        }
        self.fixed_problems(&mut bad);
        self.constellation_problems(&mut bad);
        v
    }

    fn constellation_problems(&self, bad: &mut impl FnMut(&'static str, String, &str)) {
        let list = &self.constellations;
        if list.is_empty() {
            return;
        }
        let key = "receiver.setup.constellations";
        let names = core::constellations::SWITCHABLE.map(|c| format!("{:?}", c.name())).join(", ");
        let mut set = Vec::new();
        for s in list {
            match core::constellations::parse(s) {
                Some(c) if set.contains(&c) => bad(key, format!("{s:?} is given twice"), ""),
                Some(c) => set.push(c),
                None => bad(
                    key,
                    format!("{s:?} is not a constellation the receiver can switch"),
                    &format!("some of {names}; leave the key out to keep the receiver's"),
                ),
            }
        }
        if set.len() == list.len() {
            if let Some(p) = core::constellations::problem(&set) {
                bad(key, format!("constellations = {list:?}: {p}"), "");
            }
        }
    }

    fn cable_problems(&self, bad: &mut impl FnMut(&'static str, String, &str)) {
        let len = self.cable_length_m;
        if !(len.is_finite() && (0.0..=10_000.0).contains(&len)) {
            bad("receiver.setup.cable_length_m", format!("cable_length_m = {len} is outside 0..10000 m"), "");
            return;
        }
        if len > 0.0 && !(self.velocity_factor > 0.0 && self.velocity_factor <= 1.0) {
            bad(
                "receiver.setup.velocity_factor",
                format!("velocity_factor = {} is outside (0, 1]", self.velocity_factor),
                "the cable's datasheet gives it: RG-58 0.66, LMR-400 0.85",
            );
        } else if len > 0.0 && self.cable_delay_ns != 0 {
            bad(
                "receiver.setup.cable_delay_ns",
                "cable_delay_ns and cable_length_m both give the antenna cable delay".into(),
                "keep one: cable_delay_ns = 0 to use the length",
            );
        } else if len > 0.0 && self.cable_delay() > 32_767 {
            bad("receiver.setup.cable_length_m", format!("a {len} m cable delays by more than 32767 ns"), "");
        }
    }

    fn fixed_problems(&self, bad: &mut impl FnMut(&'static str, String, &str)) {
        let llh = &self.fixed_llh;
        let ecef = &self.fixed_ecef_m;
        for (key, v, what) in [
            ("receiver.setup.fixed_llh", llh, "[latitude, longitude, height_m]"),
            ("receiver.setup.fixed_ecef_m", ecef, "[x, y, z] in metres"),
        ] {
            if !(v.is_empty() || v.len() == 3) || v.iter().any(|x| !x.is_finite()) {
                bad(key, format!("{key} takes three numbers, {what}, or []"), "");
                return;
            }
        }
        if let [lat, lon, h] = llh[..] {
            if !((-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&lon)
                && (-1000.0..=100_000.0).contains(&h))
            {
                bad(
                    "receiver.setup.fixed_llh",
                    format!("fixed_llh = [{lat}, {lon}, {h}] is not latitude -90..90, longitude -180..180, height -1000..100000 m"),
                    "",
                );
            }
        }
        if let [x, y, z] = ecef[..] {
            // Catches a position in cm or km, or a mistyped digit: it must be on the ground.
            let on_ground = timed_core::epoch::ecef_to_llh([x, y, z])
                .is_some_and(|(_, _, h)| (-1000.0..=100_000.0).contains(&h));
            if !on_ground {
                bad(
                    "receiver.setup.fixed_ecef_m",
                    format!("fixed_ecef_m = [{x}, {y}, {z}] is not within 100 km of the Earth's surface"),
                    "ECEF in metres, as a finished survey reports it (`timectl status` shows it)",
                );
            }
        }
        let given = !llh.is_empty() || !ecef.is_empty();
        if !llh.is_empty() && !ecef.is_empty() {
            bad(
                "receiver.setup.fixed_ecef_m",
                "fixed_llh and fixed_ecef_m both give the position".into(),
                "keep one",
            );
        } else if self.time_mode == TimeModeWanted::Fixed && !given {
            bad(
                "receiver.setup.time_mode",
                "time_mode = \"fixed\" needs the antenna's position".into(),
                "give fixed_llh = [lat, lon, height_m] or fixed_ecef_m = [x, y, z]",
            );
        } else if self.time_mode != TimeModeWanted::Fixed && given {
            let key = if llh.is_empty() { "receiver.setup.fixed_ecef_m" } else { "receiver.setup.fixed_llh" };
            bad(
                key,
                "a fixed position is used only with time_mode = \"fixed\"".into(),
                "set time_mode = \"fixed\", or remove it",
            );
        }
    }
}

#[cfg(test)]
mod tests;
