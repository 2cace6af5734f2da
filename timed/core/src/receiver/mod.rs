//! Receiver set-up: take a u-blox from whatever it runs with (a factory default: NMEA at 9600
//! baud, no TIM-TP, a time pulse with or without a fix, no time mode) to what timed wants, and
//! prove it by reading it back.
//!
//! Sans-IO: a [`Session`] is driven by an adapter (timectl's serial port, the daemon's receiver
//! port). The adapter feeds it the bytes it reads and the monotonic time in milliseconds; the
//! session answers with [`Action`]s (send these bytes, set the port's speed, read until, done
//! with a [`Report`]). Detection ([`identity`]), the items and their wanted values ([`items`]),
//! the legacy CFG messages ([`legacy`]) and the key interface (in [`crate::ubx::valset`]) are
//! separate so each is tested alone.
//!
//! Owns: the plan (which items, wanted values, their order), the protocol of detect / read /
//! apply / verify, retries and timeouts. Must not depend on: I/O, clocks, the daemon, serde.

pub mod constellations;
pub mod identity;
pub mod items;
pub mod legacy;
mod session;
mod steps;

pub use identity::{Identity, Interface};
pub use items::{Item, ItemId, Msg, Nmea};
pub use session::Session;

use crate::ubx::Svin;

/// A survey-in's mean antenna position, ECEF, in 0.1 mm (the unit of the fixed-position keys),
/// with its accuracy (0.1 mm).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SurveyResult {
    pub ecef_01mm: [i64; 3],
    pub acc_01mm: u32,
    /// Survey finished with a valid position (`valid` = 1, `active` = 0).
    pub done: bool,
}

impl SurveyResult {
    /// From the one NAV-SVIN / TIM-SVIN decoder ([`crate::ubx::decode`]), which gives metres:
    /// NAV-SVIN's cm + 0.1 mm parts and TIM-SVIN's cm come back exactly when rounded to 0.1 mm
    /// (ECEF metres need at most 37 of a double's 53 bits at that resolution).
    pub fn from_svin(s: &Svin) -> SurveyResult {
        SurveyResult {
            ecef_01mm: s.mean_ecef_m.map(|m| (m * 1e4).round() as i64),
            acc_01mm: (s.mean_acc_m * 1e4).round().clamp(0.0, f64::from(u32::MAX)) as u32,
            done: s.valid && !s.active,
        }
    }
}

/// What the receiver is set up for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Stationary dynamic model; time mode (survey-in by default) on timing receivers.
    Timing,
    /// Portable dynamic model; time mode disabled on timing receivers.
    Navigation,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Timing => "timing",
            Profile::Navigation => "navigation",
        }
    }
}

/// Which time scale the pulse is aligned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grid {
    Utc,
    Gps,
}

/// Time mode of a timing receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeMode {
    Disabled,
    /// Average the position for at least `min_dur_s` and until its accuracy is within the limit.
    SurveyIn {
        min_dur_s: u32,
        acc_limit_mm: u32,
    },
    /// Antenna position, ECEF in 0.1 mm (what a finished survey-in reports).
    FixedEcef {
        ecef_01mm: [i64; 3],
    },
    /// Antenna position, latitude/longitude in 1e-7 degrees, height above the ellipsoid in cm.
    FixedLlh {
        lat_1e7deg: i32,
        lon_1e7deg: i32,
        height_cm: i32,
    },
}

/// Antenna cable delay given directly or as length x velocity factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CableDelay {
    Ns(i32),
    Length { meters: f64, velocity_factor: f64 },
}

/// Speed of light in vacuum, m/s.
const C_M_PER_S: f64 = 299_792_458.0;

impl CableDelay {
    /// The delay in whole nanoseconds (a signal travels `velocity_factor` x c in the cable).
    pub fn ns(self) -> Option<i32> {
        match self {
            CableDelay::Ns(ns) => Some(ns),
            CableDelay::Length { meters, velocity_factor } => {
                let ns = meters / (velocity_factor * C_M_PER_S) * 1e9;
                (ns.is_finite() && velocity_factor > 0.0 && (0.0..=32_767.0).contains(&ns))
                    .then(|| ns.round() as i32)
            }
        }
    }
}

/// What the adapter does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Write these bytes to the port.
    Send(Vec<u8>),
    /// Set the port's speed (and drop what was read at the old one).
    SetBaud(u32),
    /// Read and [`Session::feed`] what arrives until this time (or earlier when bytes
    /// arrive), then call [`Session::poll`] again.
    Wait { until_ms: u64 },
    /// Finished.
    Done(Report),
}

/// What the user wants (timectl's options, the daemon's `[receiver]` table).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub profile: Profile,
    pub baud: u32,
    /// NMEA sentences the user keeps on UART1; empty = NMEA output off.
    pub nmea_keep: Vec<Nmea>,
    /// Pulse length once locked, microseconds.
    pub pulse_len_us: u32,
    pub grid: Grid,
    pub cable_delay_ns: i32,
    pub user_delay_ns: i32,
    /// `None`: the profile's default (survey-in on timing receivers in the timing profile,
    /// disabled there in the navigation profile, nothing on other receivers). `Some`: asked for
    /// explicitly, so it is planned even on a receiver that lacks time mode (which then NAKs it).
    pub time_mode: Option<TimeMode>,
    pub fixed_pos_acc_mm: u32,
    /// GNSS to enable (the others disabled); `None`: constellations are left as they are.
    pub constellations: Option<Vec<crate::gnss::Constellation>>,
    /// The survey-in's limits, for the profile's default (`time_mode` `None`) as for a survey-in
    /// asked for: the user's limits hold whichever way the survey was chosen.
    pub survey: SurveyLimits,
    /// Write to battery-backed RAM and flash too (default: RAM only).
    pub save: bool,
}

/// How long and how well a survey-in averages the antenna's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SurveyLimits {
    pub min_dur_s: u32,
    pub acc_limit_mm: u32,
}

impl SurveyLimits {
    /// The survey-in time mode with these limits.
    pub fn mode(self) -> TimeMode {
        TimeMode::SurveyIn { min_dur_s: self.min_dur_s, acc_limit_mm: self.acc_limit_mm }
    }
}

/// The default survey: at least 5 minutes and within 5 m, the limits u-center proposes for a
/// timing antenna on a roof.
pub const DEFAULT_SURVEY: SurveyLimits = SurveyLimits { min_dur_s: 300, acc_limit_mm: 5_000 };

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            profile: Profile::Timing,
            baud: 115_200,
            nmea_keep: Vec::new(),
            pulse_len_us: 100_000,
            grid: Grid::Utc,
            cable_delay_ns: 0,
            user_delay_ns: 0,
            time_mode: None,
            fixed_pos_acc_mm: 1_000,
            constellations: None,
            survey: DEFAULT_SURVEY,
            save: false,
        }
    }
}

impl Settings {
    /// The time mode the plan asks this receiver for.
    pub fn effective_time_mode(&self, id: &Identity) -> Option<TimeMode> {
        match (self.time_mode, id.timing, self.profile) {
            (Some(tm), _, _) => Some(tm),
            (None, true, Profile::Timing) => Some(self.survey.mode()),
            (None, true, Profile::Navigation) => Some(TimeMode::Disabled),
            (None, false, _) => None,
        }
    }

    /// A finished survey-in becomes the fixed position: the settings that keep it.
    pub fn with_surveyed(&self, s: SurveyResult) -> Settings {
        let mut out = self.clone();
        out.time_mode = Some(TimeMode::FixedEcef { ecef_01mm: s.ecef_01mm });
        out.fixed_pos_acc_mm = s.acc_01mm.div_ceil(10);
        out
    }
}

/// The operation a session performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Find the speed and what the receiver is.
    Detect,
    /// Detect and read every item: current against wanted.
    Plan,
    /// Plan, send what differs, then read everything back.
    Apply,
    /// Detect and read every item; all must equal the plan.
    Verify,
}

/// Where the receiver was found.
#[derive(Clone, Debug, PartialEq)]
pub struct Detected {
    pub baud: u32,
    pub nmea: bool,
    pub ubx: bool,
    pub identity: Identity,
}

/// What happened to one item in an apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Already as wanted: nothing sent.
    Unchanged,
    /// Acknowledged (ACK-ACK).
    Applied,
    /// Refused (ACK-NAK): the receiver lacks it or rejects the value.
    Nak,
    /// No acknowledgement (missing or garbled) after every try.
    NoAck,
    /// Not sent: plan or verify only, or the session stopped before it.
    NotSent,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Unchanged => "unchanged",
            Outcome::Applied => "applied",
            Outcome::Nak => "nak",
            Outcome::NoAck => "no-ack",
            Outcome::NotSent => "not-sent",
        }
    }
}

/// One item in a report.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemReport {
    pub item: Item,
    /// The key name (0x…) or legacy message that carries it.
    pub via: String,
    pub outcome: Outcome,
    /// Read back after an apply (`None` for plan/verify, or when unreadable).
    pub read_back: Option<i64>,
    /// Equal to the plan: the value read back after an apply, else the value read at the start.
    pub equal: bool,
}

/// Why a session stopped without a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Nothing at any speed.
    Silent { bauds: Vec<u32> },
    /// Bytes, but no valid NMEA or UBX frame at any speed.
    Garbled { bauds: Vec<u32> },
    /// Valid NMEA at this speed, but no answer to MON-VER: not a u-blox, or its UBX input is off.
    NotUblox { baud: u32 },
    /// Lost after the speed change: not found at the new or the old speed.
    LostAfterBaud { new: u32, old: u32 },
}

impl Failure {
    pub fn message(&self) -> String {
        let list = |b: &[u32]| b.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        match self {
            Failure::Silent { bauds } => format!("silent: no bytes at any speed tried ({})", list(bauds)),
            Failure::Garbled { bauds } => {
                format!("bytes but no valid NMEA or UBX frame at any speed tried ({}): wrong speed or not a GNSS receiver", list(bauds))
            }
            Failure::NotUblox { baud } => {
                format!("valid NMEA at {baud} baud but no answer to UBX-MON-VER: not a u-blox receiver, or its UBX input is disabled")
            }
            Failure::LostAfterBaud { new, old } => {
                format!("receiver not found at {new} baud after the speed change, nor at {old}")
            }
        }
    }
}

/// The end of a session.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub op: Op,
    pub detected: Option<Detected>,
    pub items: Vec<ItemReport>,
    pub failure: Option<Failure>,
    /// Legacy `--save`: whether CFG-CFG was acknowledged (`None`: not asked or not reached).
    pub saved: Option<bool>,
    /// A finished survey-in seen while reading (its position is planned as the fixed one).
    pub survey: Option<SurveyResult>,
}

impl Report {
    /// Every item equals the plan (verify's and apply's success).
    pub fn all_equal(&self) -> bool {
        self.failure.is_none() && !self.items.is_empty() && self.items.iter().all(|i| i.equal)
    }
    /// An apply that can be called done: every item reads back as planned, and every set was
    /// acknowledged (an unacknowledged set that reads back right still says the line garbles
    /// or drops bytes) and a save asked for was acknowledged.
    pub fn done(&self) -> bool {
        self.all_equal()
            && self.items.iter().all(|i| !matches!(i.outcome, Outcome::Nak | Outcome::NoAck))
            && self.saved != Some(false)
    }
    /// Some item would change (plan's exit 1).
    pub fn changes(&self) -> usize {
        self.items.iter().filter(|i| !i.item.equal()).count()
    }
}

#[cfg(test)]
mod tests;
