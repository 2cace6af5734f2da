//! Holdover in the daemon: the SoC temperature and chrony's tracking read every
//! [`READ_EVERY`] off the sample path, the temperature–frequency model learned from them while
//! PPS is locked, and the error bound (`timed_core::holdover`) while it is not. The loop owns a
//! [`State`]; entering holdover is one call, [`State::enter_holdover`], so every reason to stop
//! trusting the reference (PPS lost, an integrity gate) goes through the same door.

use crate::chronyctl::Cache;
use crate::config::Holdover as HoldoverConfig;
use crate::health::Name;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;
use timed_core::holdover::{Figures, Holdover, Learner, NoModel, Sample, TempTerm};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// Temperature and chrony are read this often: the temperature moves over minutes, chrony's
/// frequency changes once per update, and a bound ten seconds stale is still a bound.
pub const READ_EVERY: Duration = Duration::from_secs(10);
/// Where thermal zones are found.
pub const THERMAL_ROOT: &str = "/sys/class/thermal";

/// Where the clock stands with respect to its PPS reference (the snapshot's `holdover.state`).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum HoldoverState {
    /// Never locked since timed started: nothing to hold over.
    #[default]
    Acquiring,
    Locked,
    /// Running without the PPS reference, the error bound within `max_error_s`.
    Holdover,
    /// Holdover with the error bound past `max_error_s`.
    Exceeded,
}

impl HoldoverState {
    pub const ALL: [HoldoverState; 4] =
        [HoldoverState::Acquiring, HoldoverState::Locked, HoldoverState::Holdover, HoldoverState::Exceeded];

    pub fn name(self) -> &'static str {
        match self {
            HoldoverState::Acquiring => "acquiring",
            HoldoverState::Locked => "locked",
            HoldoverState::Holdover => "holdover",
            HoldoverState::Exceeded => "exceeded",
        }
    }

    /// Running without the PPS reference (within the limit or past it).
    pub fn active(self) -> bool {
        matches!(self, HoldoverState::Holdover | HoldoverState::Exceeded)
    }
}

/// What the holdover part of the health snapshot says.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub state: HoldoverState,
    /// Why holdover was entered ("pps-lost", ...).
    pub reason: Option<Name>,
    pub since_unix_s: Option<i64>,
    pub elapsed_s: Option<f64>,
    pub bound_s: Option<f64>,
    pub max_error_s: f64,
    pub temperature_c: Option<f64>,
    /// Why there is no temperature (no thermal zone, unreadable), stated once.
    pub temperature_error: Option<String>,
    pub model: Option<Model>,
    /// Why there is no model ("no-temperature", "too-few-points", "narrow-temperature-range").
    pub model_absent: Option<Name>,
}

/// The learned temperature coefficient.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Model {
    pub tempco_ppm_per_c: f64,
    pub tempco_sigma_ppm_per_c: f64,
    pub points: usize,
    pub span_c: f64,
}

/// One reading, sent to the loop.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub temp_c: Result<f64, String>,
    /// chrony's frequency (ppm) and figures, if its tracking could be read.
    pub tracking: Option<(f64, Figures)>,
    /// chronyd's own state from the same tracking report (for events).
    pub chrony: Option<timed_core::events::ChronyState>,
    /// chrony's NTP sources to hold the receiver against (the engine's time-shift check), if
    /// its sources could be read. Read here: one reading of chronyd serves both.
    pub peers: Option<Vec<timed_core::engine::sources::PeerOffset>>,
}

/// The first thermal zone of type cpu-thermal under `root`, else the first readable one.
pub fn find_zone(root: &Path) -> Result<PathBuf, String> {
    let entries =
        std::fs::read_dir(root).map_err(|e| format!("no thermal zones ({}: {e})", root.display()))?;
    let mut zones: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("thermal_zone")))
        .collect();
    zones.sort();
    let readable: Vec<&PathBuf> = zones.iter().filter(|z| read_temp(&z.join("temp")).is_ok()).collect();
    let kind = |z: &Path| std::fs::read_to_string(z.join("type")).unwrap_or_default();
    readable
        .iter()
        .find(|z| kind(z).trim() == "cpu-thermal")
        .or(readable.first())
        .map(|z| z.join("temp"))
        .ok_or_else(|| format!("no readable thermal zone under {}", root.display()))
}

/// A sysfs temperature file: millidegrees Celsius.
pub fn read_temp(path: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let milli: i64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{}: not a temperature: {:?}", path.display(), text.trim()))?;
    Ok(milli as f64 / 1000.0)
}

/// Starts the reader on the current `LocalSet`: one [`Reading`] every [`READ_EVERY`]. chronyd is
/// read through the shared cache, so this costs chronyd nothing the metrics did not already ask.
pub fn start(cfg: &HoldoverConfig, chrony: Option<Rc<Cache>>) -> mpsc::Receiver<Reading> {
    let (tx, rx) = mpsc::channel(4);
    let configured = cfg.thermal_zone.clone();
    tokio::task::spawn_local(async move {
        let zone = if configured.as_os_str().is_empty() {
            find_zone(Path::new(THERMAL_ROOT))
        } else {
            Ok(configured)
        };
        let mut tick = tokio::time::interval(READ_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // A sysfs read: microseconds, no need for a blocking-pool thread.
            let temp_c = zone.as_ref().map_err(Clone::clone).and_then(|z| read_temp(z));
            let report = match &chrony {
                Some(c) => Some(c.read().await),
                None => None,
            };
            let peers = report.as_ref().and_then(|r| {
                let corr = r.tracking.as_ref().ok()?.system_offset_s;
                let sources = r.sources.as_ref().ok()?;
                Some(sources.iter().filter_map(|s| s.peer_offset(corr)).collect())
            });
            let chrony_state =
                report.as_ref().and_then(|r| r.tracking.as_ref().ok()).map(crate::events::chrony_state);
            let tracking = match report {
                Some(r) => r.tracking.ok().map(|t| {
                    let figures = Figures {
                        last_offset_s: t.last_offset_s,
                        rms_offset_s: t.rms_offset_s,
                        root_dispersion_s: t.root_dispersion_s,
                        residual_freq_ppm: t.residual_freq_ppm,
                        skew_ppm: t.skew_ppm,
                    };
                    (t.frequency_ppm, figures)
                }),
                None => None,
            };
            if tx.send(Reading { temp_c, tracking, chrony: chrony_state, peers }).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// The loop's holdover state. Times are CLOCK_MONOTONIC_RAW seconds (a stepped system clock
/// must not shorten or lengthen a holdover), wall times only for `since_unix_s`.
#[derive(Debug)]
pub struct State {
    learner: Learner,
    max_error_s: f64,
    locked_once: bool,
    /// chrony's figures from the last reading while locked: the figures at the loss.
    figures: Option<Figures>,
    current: Option<Current>,
    temp_c: Option<f64>,
    temp_error: Option<String>,
}

#[derive(Debug)]
struct Current {
    hold: Holdover,
    reason: &'static str,
    since_unix_s: i64,
    exceeded: bool,
}

impl State {
    pub fn new(cfg: &HoldoverConfig) -> State {
        State {
            learner: Learner::new(),
            max_error_s: cfg.max_error_ms * 1e-3,
            locked_once: false,
            figures: None,
            current: None,
            temp_c: None,
            temp_error: None,
        }
    }

    /// True while in holdover (exceeded or not).
    pub fn active(&self) -> bool {
        self.current.is_some()
    }

    /// The phase as the event detector sees it (the same test as [`State::snapshot`]'s state).
    pub fn phase(&self, mono_s: f64) -> timed_core::events::HoldoverPhase {
        use timed_core::events::HoldoverPhase as P;
        match &self.current {
            None => P::Off,
            Some(c) if c.hold.bound(mono_s).total_s > self.max_error_s => P::Exceeded { reason: c.reason },
            Some(c) => P::On { reason: c.reason },
        }
    }

    /// Takes a reading at `mono_s`; `locked`: PPS is locked now (then the model learns).
    pub fn on_reading(&mut self, r: Reading, mono_s: f64, locked: bool) {
        match r.temp_c {
            Ok(t) => {
                self.temp_c = Some(t);
                if self.temp_error.take().is_some() {
                    info!(temperature_c = t, "SoC temperature readable again");
                }
            }
            Err(e) => {
                self.temp_c = None;
                if self.temp_error.is_none() {
                    warn!(
                        "no SoC temperature ({e}): the holdover bound uses chrony's figures and a stated \
                         wander instead of a temperature model"
                    );
                }
                self.temp_error = Some(e);
            }
        }
        if let Some(t) = self.temp_c {
            self.learner.note_temperature(mono_s, t);
        }
        match (&mut self.current, locked) {
            (Some(c), _) => {
                if let Some(t) = self.temp_c {
                    c.hold.temperature(mono_s, t);
                }
            }
            (None, true) => {
                self.locked_once = true;
                if let Some((freq_ppm, figures)) = r.tracking {
                    self.figures = Some(figures);
                    self.learner.learn(Sample { at_s: mono_s, freq_ppm, temp_c: self.temp_c });
                }
            }
            (None, false) => {}
        }
        self.check_exceeded(mono_s);
    }

    /// The reference can no longer be trusted (`reason`: "pps-lost", or an integrity gate's):
    /// chronyd now runs the clock on its last frequency, and the bound starts growing. Does
    /// nothing before the first lock (nothing to hold over) or when already in holdover (the
    /// first reason stands: the bound counts from the first loss).
    pub fn enter_holdover(&mut self, reason: &'static str, mono_s: f64, unix_s: i64) {
        if self.current.is_some() || !self.locked_once {
            return;
        }
        let figures = self.figures.unwrap_or_default();
        let hold = self.learner.start(mono_s, figures);
        let how = match hold.temp_term() {
            TempTerm::Model(f) => format!("temperature model {:+.4} ppm/°C", f.tempco_ppm_per_c),
            TempTerm::Prior(why) => format!("no temperature model yet ({}), prior tempco", why.name()),
            TempTerm::Unmeasured => "no temperature: chrony's figures and a stated wander".into(),
        };
        warn!(
            reason,
            bound_us = hold.bound(mono_s).total_s * 1e6,
            "holdover: {how}; chronyd keeps the clock on its last frequency"
        );
        self.current = Some(Current { hold, reason, since_unix_s: unix_s, exceeded: false });
    }

    /// The reference is trusted again.
    pub fn leave_holdover(&mut self, mono_s: f64) {
        self.locked_once = true;
        if let Some(c) = self.current.take() {
            info!(
                reason = c.reason,
                elapsed_s = c.hold.elapsed_s(mono_s).round(),
                bound_us = c.hold.bound(mono_s).total_s * 1e6,
                "holdover over: locked again"
            );
        }
    }

    fn check_exceeded(&mut self, mono_s: f64) {
        let max = self.max_error_s;
        if let Some(c) = self.current.as_mut().filter(|c| !c.exceeded) {
            let bound = c.hold.bound(mono_s).total_s;
            if bound > max {
                c.exceeded = true;
                warn!(
                    elapsed_s = c.hold.elapsed_s(mono_s).round(),
                    bound_ms = bound * 1e3,
                    max_error_ms = max * 1e3,
                    "holdover exceeded: the clock may now be off by more than holdover.max_error_ms"
                );
            }
        }
    }

    /// The snapshot at `mono_s`.
    pub fn snapshot(&self, mono_s: f64) -> Snapshot {
        let (model, model_absent) = match self.learner.fit() {
            Ok(f) => (
                Some(Model {
                    tempco_ppm_per_c: f.tempco_ppm_per_c,
                    tempco_sigma_ppm_per_c: f.tempco_sigma_ppm_per_c,
                    points: f.points,
                    span_c: f.span_c,
                }),
                None,
            ),
            Err(why) => (None, Some(Name::Borrowed(why.name()))),
        };
        let model_absent = match (&model_absent, self.temp_c) {
            (Some(_), None) => Some(Name::Borrowed(NoModel::NoTemperature.name())),
            _ => model_absent,
        };
        let mut s = Snapshot {
            state: if self.locked_once { HoldoverState::Locked } else { HoldoverState::Acquiring },
            max_error_s: self.max_error_s,
            temperature_c: self.temp_c,
            temperature_error: self.temp_error.clone(),
            model,
            model_absent,
            ..Snapshot::default()
        };
        if let Some(c) = &self.current {
            let bound = c.hold.bound(mono_s).total_s;
            s.state =
                if bound > self.max_error_s { HoldoverState::Exceeded } else { HoldoverState::Holdover };
            s.reason = Some(Name::Borrowed(c.reason));
            s.since_unix_s = Some(c.since_unix_s);
            s.elapsed_s = Some(c.hold.elapsed_s(mono_s));
            s.bound_s = Some(bound);
        }
        s
    }
}

#[cfg(test)]
mod tests;
