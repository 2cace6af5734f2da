//! Scenario files: what the simulated receiver and its clock do, as TOML. Every key has a
//! default (the built-in defaults are `scenarios/default.toml`), unknown keys are rejected so a
//! typo cannot silently leave a default in force.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which messages the receiver sends each second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Protocol {
    /// UBX navigation messages with NMEA in the middle, ending with NAV-EOE (ZED-F9T order).
    #[serde(rename = "ubx+nmea")]
    #[value(name = "ubx+nmea")]
    UbxNmea,
    /// UBX only: NAV-PVT, NAV-TIMEUTC, NAV-SAT, NAV-TIMELS, MON-RF, TIM-TP, NAV-EOE.
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

/// A misbehaviour switched on for a window of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// No edge datagram this second (its sequence number is still used up).
    DropPulse,
    /// No fix: fixType 0, validity flags cleared, RMC `V`, GGA quality 0.
    NoFix,
    /// No serial bytes (the pulse continues).
    Silence,
    /// The burst is replaced by as many random bytes.
    Garbage,
    /// The burst is labelled with the next second.
    WrongSecond,
    /// The edge datagram is sent twice (same sequence number and time).
    DuplicatePulse,
    /// Only the PPS line works: no serial bytes and CFG messages are not acknowledged.
    PulseOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    /// First second (0 = the first simulated second) the fault applies to.
    #[serde(default)]
    pub from_s: u64,
    /// First second it no longer applies to; absent = until the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_s: Option<u64>,
}

impl Fault {
    fn covers(&self, index: u64) -> bool {
        index >= self.from_s && self.to_s.is_none_or(|to| index < to)
    }
}

/// The faults active in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Active {
    pub drop_pulse: bool,
    pub no_fix: bool,
    pub silence: bool,
    pub garbage: bool,
    pub wrong_second: bool,
    pub duplicate_pulse: bool,
    pub pulse_only: bool,
}

impl Active {
    /// Names of the active faults, for the truth log.
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.drop_pulse, "drop_pulse"),
            (self.no_fix, "no_fix"),
            (self.silence, "silence"),
            (self.garbage, "garbage"),
            (self.wrong_second, "wrong_second"),
            (self.duplicate_pulse, "duplicate_pulse"),
            (self.pulse_only, "pulse_only"),
        ];
        all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect()
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
    #[serde(rename = "fault")]
    pub faults: Vec<Fault>,
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
            check(f.to_s.is_none_or(|to| f.from_s < to), "fault from_s must be before to_s")?;
        }
        Ok(())
    }

    /// The faults in force in second `index` (0 = first simulated second).
    pub fn active(&self, index: u64) -> Active {
        let mut a = Active::default();
        for f in self.faults.iter().filter(|f| f.covers(index)) {
            match f.kind {
                FaultKind::DropPulse => a.drop_pulse = true,
                FaultKind::NoFix => a.no_fix = true,
                FaultKind::Silence => a.silence = true,
                FaultKind::Garbage => a.garbage = true,
                FaultKind::WrongSecond => a.wrong_second = true,
                FaultKind::DuplicatePulse => a.duplicate_pulse = true,
                FaultKind::PulseOnly => a.pulse_only = true,
            }
        }
        a
    }

    /// True − system in ns at `elapsed_s` seconds into the run.
    pub fn offset_ns_at(&self, elapsed_s: f64) -> f64 {
        self.truth_offset * 1e9 - self.truth_drift_ppb * elapsed_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn default_file_matches_built_in_defaults() {
        assert_eq!(Scenario::from_toml(&shipped("default.toml")), Ok(Scenario::default()));
        assert_eq!(Scenario::from_toml(""), Ok(Scenario::default()));
    }

    #[test]
    fn faults_file_parses_and_windows_apply() {
        let s = Scenario::from_toml(&shipped("faults.toml")).unwrap();
        assert!(!s.faults.is_empty());
        let kinds: Vec<FaultKind> = s.faults.iter().map(|f| f.kind).collect();
        for k in [FaultKind::DropPulse, FaultKind::NoFix, FaultKind::Silence, FaultKind::Garbage] {
            assert!(kinds.contains(&k), "{k:?} missing from faults.toml");
        }
        let one = Scenario::from_toml("[[fault]]\nkind = \"drop_pulse\"\nfrom_s = 3\nto_s = 5\n").unwrap();
        let dropped: Vec<u64> = (0..8).filter(|&i| one.active(i).drop_pulse).collect();
        assert_eq!(dropped, [3, 4]);
        let open = Scenario::from_toml("[[fault]]\nkind = \"no_fix\"\nfrom_s = 2\n").unwrap();
        assert!(!open.active(1).no_fix && open.active(2).no_fix && open.active(1_000_000).no_fix);
        assert_eq!(open.active(2).names(), ["no_fix"]);
    }

    #[test]
    fn wrong_second_file_has_one_20s_window_after_lock() {
        let s = Scenario::from_toml(&shipped("wrong-second-20s.toml")).unwrap();
        assert_eq!((s.seed, s.seconds, s.truth_offset, s.message_delay_ms), (1, 125, 250e-6, 120.0));
        let wrong: Vec<u64> = (0..s.seconds).filter(|&i| s.active(i).wrong_second).collect();
        assert_eq!(wrong, (95..115).collect::<Vec<u64>>());
        assert!((0..s.seconds).all(|i| s.active(i).names().len() == usize::from(s.active(i).wrong_second)));
    }

    #[test]
    fn every_shipped_scenario_parses_and_storm_is_a_wrong_minute_with_everything_inside() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut n = 0;
        for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            if let Err(e) = Scenario::from_toml(&text) {
                panic!("{}: {e}", f.path().display());
            }
            n += 1;
        }
        assert!(n >= 4, "{n} scenarios in {}", dir.display());
        let s = Scenario::from_toml(&shipped("storm.toml")).unwrap();
        assert!((40..100).all(|i| s.active(i).wrong_second));
        let inside: Vec<&str> = (40..100).flat_map(|i| s.active(i).names()).collect();
        for k in ["drop_pulse", "duplicate_pulse", "garbage", "silence", "no_fix"] {
            assert!(inside.contains(&k), "{k} missing inside the wrong minute");
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected_by_name() {
        let e = Scenario::from_toml("baud = 9600\nmesage_delay_ms = 50\n").unwrap_err();
        assert!(e.contains("mesage_delay_ms"), "{e}");
        let e = Scenario::from_toml("[position]\nlatitude = 1.0\n").unwrap_err();
        assert!(e.contains("latitude"), "{e}");
        let e = Scenario::from_toml("[[fault]]\nkind = \"explode\"\n").unwrap_err();
        assert!(e.contains("explode"), "{e}");
        let e = Scenario::from_toml("[[fault]]\nkind = \"silence\"\nuntil = 3\n").unwrap_err();
        assert!(e.contains("until"), "{e}");
        let e = Scenario::from_toml("protocol = \"sirf\"\n").unwrap_err();
        assert!(e.contains("sirf"), "{e}");
        assert!(Scenario::from_toml("fill = 1.5\n").unwrap_err().contains("fill"));
        assert!(Scenario::from_toml("baud = 0\n").unwrap_err().contains("baud"));
        let e = Scenario::from_toml("[[fault]]\nkind = \"silence\"\nfrom_s = 5\nto_s = 5\n").unwrap_err();
        assert!(e.contains("from_s"), "{e}");
    }

    #[test]
    fn load_names_the_path() {
        let e = Scenario::load(Path::new("/nonexistent/x.toml")).unwrap_err();
        assert!(e.contains("/nonexistent/x.toml"), "{e}");
    }

    #[test]
    fn effective_scenario_round_trips_through_toml() {
        let mut s = Scenario::from_toml(&shipped("faults.toml")).unwrap();
        s.truth_offset = -0.5;
        let text = s.to_toml().unwrap();
        assert_eq!(Scenario::from_toml(&text), Ok(s));
    }
}
