//! Scenario files: what the simulated receiver and its clock do, as TOML. Every key has a
//! default (the built-in defaults are `scenarios/default.toml`), unknown keys are rejected so a
//! typo cannot silently leave a default in force.

pub use crate::fault::{Active, Fault, FaultKind};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which messages the receiver sends each second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Protocol {
    /// UBX navigation messages with NMEA in the middle, ending with NAV-EOE (ZED-F9T order).
    #[serde(rename = "ubx+nmea")]
    #[value(name = "ubx+nmea")]
    UbxNmea,
    /// UBX only: NAV-PVT, NAV-TIMEUTC, TIM-TP, NAV-STATUS, NAV-SAT, NAV-TIMELS, MON-RF, NAV-EOE.
    #[serde(rename = "ubx")]
    #[value(name = "ubx")]
    Ubx,
    /// NMEA only: RMC, GGA, GSA, GSV, ZDA.
    #[serde(rename = "nmea")]
    #[value(name = "nmea")]
    Nmea,
}

/// A constellation the simulated sky has satellites of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gnss {
    Gps,
    Galileo,
    Beidou,
    Glonass,
}

/// Antenna position of the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Position {
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Height above the WGS-84 ellipsoid.
    pub height_m: f64,
    /// Geoid separation (ellipsoid − mean sea level), as GGA reports it.
    pub geoid_sep_m: f64,
}

impl Default for Position {
    fn default() -> Position {
        Position { lat_deg: 47.376_9, lon_deg: 8.541_7, height_m: 456.0, geoid_sep_m: 48.0 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Seed of every random draw (jitter, sky layout, garbage).
    pub seed: u64,
    /// Stop after this many seconds; 0 runs until SIGINT/SIGTERM.
    pub seconds: u64,
    /// True UTC minus the system clock, seconds (positive: the system clock is behind).
    pub truth_offset: f64,
    /// How fast the system clock drifts away from true time, parts per billion (the offset
    /// shrinks by this much per second when positive: a fast system clock).
    pub truth_drift_ppb: f64,
    /// Standard deviation of the PPS edge time stamps (Gaussian), ns.
    pub edge_jitter_ns: f64,
    /// Serial line speed the bytes are paced at (10 bits per byte).
    pub baud: u32,
    /// Delay of the burst's first byte after the true second, ms.
    pub message_delay_ms: f64,
    /// Uniform jitter of that delay, ± ms.
    pub message_jitter_ms: f64,
    pub protocol: Protocol,
    /// Pad each second with NMEA TXT sentences up to this fraction of the line's capacity
    /// (0 = no padding; 0.95 = 95 % busy), for benchmarks.
    pub fill: f64,
    /// Satellites in view, spread over `constellations`.
    pub satellites: u8,
    pub constellations: Vec<Gnss>,
    /// GPS − UTC, seconds (NAV-TIMELS, the GPS time base of TIM-TP).
    pub leap_seconds: i8,
    /// TIM-TP quantisation error: a sawtooth of this amplitude (± ps) ...
    pub qerr_amplitude_ps: i32,
    /// ... and this period (s). The simulated edge really is early/late by it.
    pub qerr_period_s: f64,
    /// Time accuracy the receiver claims (NAV-PVT, NAV-TIMEUTC tAcc), ns.
    pub tacc_ns: u32,
    /// NAV-TIMELS is sent every this many seconds (0 = never).
    pub timels_every_s: u32,
    /// MON-RF is sent every this many seconds (0 = never).
    pub monrf_every_s: u32,
    pub position: Position,
    /// The UTC instant the simulated receiver starts at (RFC 3339). At launch the whole
    /// seconds from the system time to it are added to the truth offset, so the edges stay on
    /// this machine's clock (timed and chronyd run unchanged) while the receiver lives at
    /// another date, e.g. just before a leap second. `truth_offset` keeps its sub-second role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Whole seconds of the `start` offset, set at launch (kept out of `truth_offset`: an f64
    /// of years in ns would round the edges to tens of ns).
    #[serde(skip)]
    pub start_step_s: i64,
    /// The u-blox part modelled (`m8n`, `m8t`, `f9t`): its configuration interface, MON-VER
    /// and time mode. Absent: the simulator as it always was (configured, naming itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<crate::model::Part>,
    /// Start as the part ships (9600 baud M8 / 38400 F9, NMEA only, default time pulse, no
    /// time mode) instead of configured for timed. Needs `model`.
    #[serde(skip_serializing_if = "is_false")]
    pub factory: bool,
    /// The part has a backup battery: its BBR layer survives a `power_cycle`.
    #[serde(skip_serializing_if = "is_false")]
    pub battery: bool,
    #[serde(rename = "fault")]
    pub faults: Vec<Fault>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario {
            seed: 1,
            seconds: 0,
            truth_offset: 250e-6,
            truth_drift_ppb: 0.0,
            edge_jitter_ns: 1000.0,
            baud: 115_200,
            message_delay_ms: 120.0,
            message_jitter_ms: 5.0,
            protocol: Protocol::UbxNmea,
            fill: 0.0,
            satellites: 12,
            constellations: vec![Gnss::Gps, Gnss::Galileo],
            leap_seconds: 18,
            qerr_amplitude_ps: 10_000,
            qerr_period_s: 8.6,
            tacc_ns: 20,
            timels_every_s: 10,
            monrf_every_s: 10,
            position: Position::default(),
            start: None,
            start_step_s: 0,
            model: None,
            factory: false,
            battery: false,
            faults: Vec::new(),
        }
    }
}

impl Scenario {
    /// Parses and checks a scenario. Errors name the offending key.
    pub fn from_toml(text: &str) -> Result<Scenario, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        s.validate()?;
        Ok(s)
    }

    pub fn load(path: &Path) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("scenario {}: {e}", path.display()))?;
        Scenario::from_toml(&text).map_err(|e| format!("scenario {}: {e}", path.display()))
    }

    pub fn to_toml(&self) -> Result<String, String> {
        toml::to_string(self).map_err(|e| e.to_string())
    }

    /// Range checks the TOML types cannot express.
    pub fn validate(&self) -> Result<(), String> {
        let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
        check(self.truth_offset.is_finite() && self.truth_offset.abs() < 1e6, "truth_offset out of range")?;
        check(
            self.truth_drift_ppb.is_finite() && self.truth_drift_ppb.abs() <= 1e6,
            "truth_drift_ppb out of range",
        )?;
        check((0.0..1e8).contains(&self.edge_jitter_ns), "edge_jitter_ns must be in 0..1e8")?;
        check((300..=4_000_000).contains(&self.baud), "baud must be in 300..=4000000")?;
        check(self.message_jitter_ms >= 0.0, "message_jitter_ms must not be negative")?;
        check(
            self.message_delay_ms - self.message_jitter_ms >= 0.0
                && self.message_delay_ms + self.message_jitter_ms < 1000.0,
            "message_delay_ms ± message_jitter_ms must stay within 0..1000 ms",
        )?;
        check((0.0..1.0).contains(&self.fill), "fill must be in 0..1")?;
        check((1..=64).contains(&self.satellites), "satellites must be in 1..=64")?;
        check(!self.constellations.is_empty(), "constellations must not be empty")?;
        check(self.qerr_amplitude_ps >= 0, "qerr_amplitude_ps must not be negative")?;
        check(self.qerr_period_s > 0.0 && self.qerr_period_s.is_finite(), "qerr_period_s must be > 0")?;
        let p = &self.position;
        check(p.lat_deg.abs() <= 90.0 && p.lon_deg.abs() <= 180.0, "position lat_deg/lon_deg out of range")?;
        check(p.height_m.abs() < 1e6 && p.geoid_sep_m.abs() < 1e3, "position height out of range")?;
        for f in &self.faults {
            f.validate()?;
        }
        let leaps = self.faults.iter().filter(|f| f.kind == FaultKind::Leap).count();
        check(leaps <= 1, "at most one leap fault (one leap second per run)")?;
        if let Some(start) = &self.start {
            crate::utc::parse_rfc3339(start)?;
        }
        check(self.model.is_some() || !self.factory, "factory needs a model (m8n, m8t or f9t)")?;
        check(self.model.is_some() || !self.battery, "battery needs a model (m8n, m8t or f9t)")?;
        Ok(())
    }

    /// Applies `start` against the system time `now_ns` at launch: the truth offset grows by
    /// the whole seconds (rounded) from now to start, so the receiver starts within half a
    /// second of it and the edges keep the configured sub-second offset.
    pub fn launch(&mut self, now_ns: i64) -> Result<(), String> {
        if let Some(start) = &self.start {
            let step = crate::utc::parse_rfc3339(start)? - now_ns;
            self.start_step_s = (step + 500_000_000).div_euclid(1_000_000_000);
        }
        Ok(())
    }

    /// True − system in whole ns at `elapsed_s` seconds into the run, `start` included.
    pub fn offset_total_ns(&self, elapsed_s: f64) -> i64 {
        self.start_step_s
            .saturating_mul(1_000_000_000)
            .saturating_add(self.offset_ns_at(elapsed_s).round() as i64)
    }

    /// True − system in ns at `elapsed_s` seconds into the run.
    pub fn offset_ns_at(&self, elapsed_s: f64) -> f64 {
        self.truth_offset * 1e9 - self.truth_drift_ppb * elapsed_s
    }
}

#[cfg(test)]
#[path = "scenario_tests.rs"]
mod tests;
