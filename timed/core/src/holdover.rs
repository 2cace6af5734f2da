//! Holdover: how far the system clock may have drifted since the reference was lost, as an
//! honest upper bound that grows with elapsed time and with what the temperature does meanwhile.
//!
//! While PPS is locked the daemon feeds [`Learner::learn`] with chrony's frequency estimate
//! (ppm, the rate chronyd corrects for) and the SoC temperature (°C) when it has one. The learner
//! fits `freq = a + tempco × (T − T̄)` by least squares and keeps the residual scatter. At the
//! loss [`Learner::start`] takes chrony's figures at that moment and returns a [`Holdover`]; the
//! daemon feeds it the temperature as it comes ([`Holdover::temperature`]) and asks for
//! [`Holdover::bound`] at any later time `t` after the loss:
//!
//! ```text
//! bound(t) = |last offset| + rms offset + root dispersion        (1) where the clock was
//!          + (|residual freq| + skew) × t                        (2) what chrony's frequency missed
//!          + ∫ (|tempco| + 2 σ_tempco) × |T(u) − T_loss| du      (3) what the temperature moved
//!          + 2 q t^{3/2} / √3                                    (4) what the oscillator wandered
//! ```
//!
//! Why each term:
//! 1. At the loss chrony knows the clock to within its last measured offset, with its rms as the
//!    scatter of those measurements, and root dispersion is chrony's own accumulated bound on
//!    everything upstream (the refclock's precision and dispersion). The clock starts there.
//! 2. Through holdover chronyd keeps correcting with the frequency it had at the loss. That
//!    estimate is off by at most about skew (chrony's stated frequency error bound) plus the
//!    residual frequency it had not yet taken in; a constant frequency error grows linearly.
//! 3. An uncompensated crystal's frequency follows its temperature. chronyd does not know that,
//!    so every degree away from the temperature at the loss is a frequency error of `tempco`
//!    ppm, integrated over time. The slope comes from the locked hours; `σ_tempco` (its standard
//!    error, counting residuals as correlated over [`CORRELATION_S`]) pays for a slope learned
//!    from noisy estimates, and absolute values make a temperature that swings back and forth
//!    count every swing (it cannot cancel what the model might have the sign of wrong).
//! 4. What no temperature explains: random-walk frequency noise (aging, supply, stress) whose
//!    phase grows like `q t^{3/2} / √3` (one σ); [`RANDOM_WALK_PPM_PER_SQRT_S`] states `q`, and
//!    the factor 2 makes it a two-σ term. White frequency noise (phase ~ √t) is far smaller at
//!    holdover time scales and is covered by the sum of absolute values.
//!
//! Without a temperature (no thermal zone) the bound says so ([`TempTerm::Unmeasured`]) and
//! replaces (3) by an aging/wander term `½ W t²` with [`WANDER_PPM_PER_HOUR`] as `W`: the
//! frequency is assumed to walk away from chrony's estimate at up to W ppm per hour. With a
//! temperature but no usable model (too few points, too narrow a range to see a slope), (3)
//! uses the conservative [`PRIOR_TEMPCO_PPM_PER_C`] instead of a learned slope.
//!
//! All times are seconds on one monotonic scale chosen by the caller; nothing here reads a clock.

use std::collections::VecDeque;

#[cfg(test)]
mod tests;

/// Random-walk frequency noise `q` in ppm/√s assumed for an uncompensated board crystal: its
/// frequency wanders ~0.01 ppm per hour with no temperature to blame, 1e-4 × √3600 = 0.006 ppm
/// (one σ), so a conservative figure. Stated rather than learned: 24 hours of noisy chrony
/// estimates cannot separate it from the estimates' own noise.
pub const RANDOM_WALK_PPM_PER_SQRT_S: f64 = 1e-4;
/// Without any temperature, how fast the frequency may walk away from chrony's estimate: a Pi SoC
/// changes by several °C within an hour under load, and board crystals move ~0.02–0.05 ppm/°C.
pub const WANDER_PPM_PER_HOUR: f64 = 0.2;
/// Tempco used with a temperature but no learned slope: larger than the slope of an AT-cut
/// crystal at board temperatures (typically under 0.05 ppm/°C), so an unknown slope is covered.
pub const PRIOR_TEMPCO_PPM_PER_C: f64 = 0.1;
/// Frequency residuals (chrony's estimate minus the fit) are correlated over this long (the
/// wander is slow), so the slope's standard error counts one independent point per this span.
pub const CORRELATION_S: f64 = 1800.0;
/// Points the learner keeps: at one a minute, the last ~68 hours (older temperature behaviour
/// matters less than the crystal's recent aging).
pub const CAPACITY: usize = 4096;
/// One learned point at most this often: chrony's frequency changes once per update anyway, and
/// a bounded rate keeps the fit cheap.
pub const MIN_INTERVAL_S: f64 = 60.0;
/// A slope needs this many points (30 minutes of learning at one a minute) ...
pub const MIN_POINTS: usize = 30;
/// ... and a temperature range this wide: across a narrower one the estimates' noise hides it.
pub const MIN_SPAN_C: f64 = 1.0;
/// Smoothing of the temperature reference for "the temperature at the loss": one noisy reading
/// would put its noise into every later |T − T_loss|.
const TEMP_SMOOTH_S: f64 = 120.0;

/// One observation while locked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub at_s: f64,
    /// chrony's frequency estimate (tracking "Frequency"), ppm.
    pub freq_ppm: f64,
    /// SoC temperature, °C, if there is a sensor.
    pub temp_c: Option<f64>,
}

/// chrony's tracking figures at the moment of the loss.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    pub last_offset_s: f64,
    pub rms_offset_s: f64,
    pub root_dispersion_s: f64,
    pub residual_freq_ppm: f64,
    pub skew_ppm: f64,
}

/// The learned temperature–frequency model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub tempco_ppm_per_c: f64,
    /// Standard error of the slope (correlated residuals accounted for).
    pub tempco_sigma_ppm_per_c: f64,
    /// Frequency at the mean temperature, ppm.
    pub intercept_ppm: f64,
    pub mean_temp_c: f64,
    /// Scatter of chrony's estimates about the fit, ppm.
    pub residual_ppm: f64,
    pub points: usize,
    pub span_c: f64,
}

/// Why there is no model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NoModel {
    /// No sample carried a temperature.
    NoTemperature,
    /// Fewer than [`MIN_POINTS`] points with a temperature.
    TooFewPoints { points: usize },
    /// The temperatures seen span less than [`MIN_SPAN_C`].
    NarrowRange { points: usize, span_c: f64 },
}

impl NoModel {
    /// A short machine-friendly name.
    pub fn name(&self) -> &'static str {
        match self {
            NoModel::NoTemperature => "no-temperature",
            NoModel::TooFewPoints { .. } => "too-few-points",
            NoModel::NarrowRange { .. } => "narrow-temperature-range",
        }
    }
}

/// Learns the model while locked.
#[derive(Clone, Debug, Default)]
pub struct Learner {
    points: VecDeque<(f64, f64, f64)>,
    last_at_s: Option<f64>,
    /// Smoothed temperature and when it was last updated.
    temp: Option<(f64, f64)>,
}

impl Learner {
    pub fn new() -> Learner {
        Learner::default()
    }

    /// Takes one observation. Points without a temperature are not kept: the model is about
    /// temperature, and chrony's frequency at the loss comes from [`Figures`] anyway.
    pub fn learn(&mut self, s: Sample) {
        let Some(t) = s.temp_c.filter(|t| t.is_finite()) else { return };
        self.note_temperature(s.at_s, t);
        if !s.freq_ppm.is_finite() || self.last_at_s.is_some_and(|l| s.at_s - l < MIN_INTERVAL_S) {
            return;
        }
        self.last_at_s = Some(s.at_s);
        if self.points.len() == CAPACITY {
            self.points.pop_front();
        }
        self.points.push_back((s.at_s, s.freq_ppm, t));
    }

    /// Takes a temperature reading alone (between frequency samples), for the reference at loss.
    pub fn note_temperature(&mut self, at_s: f64, temp_c: f64) {
        if !temp_c.is_finite() {
            return;
        }
        self.temp = Some(match self.temp {
            Some((prev_at, prev)) if at_s > prev_at => {
                let w = 1.0 - (-(at_s - prev_at) / TEMP_SMOOTH_S).exp();
                (at_s, prev + w * (temp_c - prev))
            }
            Some(p) => p,
            None => (at_s, temp_c),
        });
    }

    /// The smoothed current temperature.
    pub fn temperature_c(&self) -> Option<f64> {
        self.temp.map(|(_, t)| t)
    }

    /// Points held.
    pub fn points(&self) -> usize {
        self.points.len()
    }

    /// Least-squares slope of frequency against temperature, or why there is none.
    pub fn fit(&self) -> Result<Fit, NoModel> {
        let n = self.points.len();
        if n == 0 {
            return Err(NoModel::NoTemperature);
        }
        if n < MIN_POINTS {
            return Err(NoModel::TooFewPoints { points: n });
        }
        let nf = n as f64;
        let (mut st, mut sf) = (0.0, 0.0);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(_, f, t) in &self.points {
            st += t;
            sf += f;
            lo = lo.min(t);
            hi = hi.max(t);
        }
        let span_c = hi - lo;
        if span_c < MIN_SPAN_C {
            return Err(NoModel::NarrowRange { points: n, span_c });
        }
        let (mt, mf) = (st / nf, sf / nf);
        let (mut sxx, mut sxy) = (0.0, 0.0);
        for &(_, f, t) in &self.points {
            sxx += (t - mt) * (t - mt);
            sxy += (t - mt) * (f - mf);
        }
        let slope = sxy / sxx;
        let ss: f64 = self.points.iter().map(|&(_, f, t)| (f - mf - slope * (t - mt)).powi(2)).sum();
        let residual = (ss / (nf - 2.0)).sqrt();
        // Independent points: one per correlation span, at most n, at least 3 (two parameters).
        let span_s = self.points.back().map_or(0.0, |b| b.0) - self.points.front().map_or(0.0, |f| f.0);
        let n_eff = (span_s / CORRELATION_S).clamp(3.0, nf);
        let sigma = residual / (sxx / nf * n_eff).sqrt();
        Ok(Fit {
            tempco_ppm_per_c: slope,
            tempco_sigma_ppm_per_c: sigma,
            intercept_ppm: mf,
            mean_temp_c: mt,
            residual_ppm: residual,
            points: n,
            span_c,
        })
    }

    /// The reference is lost at `at_s`; `figures` are chrony's at that moment.
    pub fn start(&self, at_s: f64, figures: Figures) -> Holdover {
        let temp = match (self.temperature_c(), self.fit()) {
            (None, _) => TempTerm::Unmeasured,
            (Some(_), Ok(fit)) => TempTerm::Model(fit),
            (Some(_), Err(why)) => TempTerm::Prior(why),
        };
        Holdover {
            started_s: at_s,
            figures,
            temp,
            temp_loss_c: self.temperature_c(),
            last: self.temperature_c().map(|_| (at_s, 0.0)),
            integral_c_s: 0.0,
        }
    }
}

/// How the temperature enters the bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TempTerm {
    /// A learned slope.
    Model(Fit),
    /// A temperature but no slope: [`PRIOR_TEMPCO_PPM_PER_C`].
    Prior(NoModel),
    /// No temperature at all: the wander term replaces the temperature term.
    Unmeasured,
}

/// The bound and its terms, seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bound {
    pub total_s: f64,
    pub offset_s: f64,
    pub frequency_s: f64,
    pub temperature_s: f64,
    pub random_walk_s: f64,
    /// The no-temperature wander term (0 with a temperature).
    pub wander_s: f64,
}

/// One holdover, from the loss on.
#[derive(Clone, Debug, PartialEq)]
pub struct Holdover {
    started_s: f64,
    figures: Figures,
    temp: TempTerm,
    temp_loss_c: Option<f64>,
    /// The last reading: when, and |T − T_loss| then.
    last: Option<(f64, f64)>,
    /// ∫ |T − T_loss| dt up to `last`, °C·s.
    integral_c_s: f64,
}

impl Holdover {
    pub fn started_s(&self) -> f64 {
        self.started_s
    }

    pub fn figures(&self) -> &Figures {
        &self.figures
    }

    pub fn temp_term(&self) -> &TempTerm {
        &self.temp
    }

    /// The temperature the bound measures departures from.
    pub fn temperature_at_loss_c(&self) -> Option<f64> {
        self.temp_loss_c
    }

    /// A temperature reading during holdover. Readings are integrated by the trapezoid rule;
    /// out-of-order or non-finite readings are ignored. A first reading in a holdover that
    /// started without one becomes the reference (better late than never: the wander term stays,
    /// since the minutes before it are unmeasured).
    pub fn temperature(&mut self, at_s: f64, temp_c: f64) {
        if !temp_c.is_finite() {
            return;
        }
        let Some(loss) = self.temp_loss_c else {
            if matches!(self.temp, TempTerm::Unmeasured) {
                self.temp_loss_c = Some(temp_c);
                self.last = Some((at_s, 0.0));
            }
            return;
        };
        let d = (temp_c - loss).abs();
        match self.last {
            Some((at, prev)) if at_s > at => {
                self.integral_c_s += 0.5 * (prev + d) * (at_s - at);
                self.last = Some((at_s, d));
            }
            // Same instant: the newer reading stands for it; earlier: out of order, dropped.
            Some((at, _)) if at_s == at => self.last = Some((at_s, d)),
            Some(_) => {}
            None => self.last = Some((at_s, d)),
        }
    }

    /// Seconds since the loss.
    pub fn elapsed_s(&self, at_s: f64) -> f64 {
        (at_s - self.started_s).max(0.0)
    }

    /// The bound on the clock's error at `at_s`. Past the last temperature reading the last
    /// departure is assumed to hold (readings come every few seconds; a sensor that stops
    /// reading is the daemon's to report).
    pub fn bound(&self, at_s: f64) -> Bound {
        let t = self.elapsed_s(at_s);
        let f = &self.figures;
        let offset_s = f.last_offset_s.abs() + f.rms_offset_s.abs() + f.root_dispersion_s.abs();
        let frequency_s = (f.residual_freq_ppm.abs() + f.skew_ppm.abs()) * 1e-6 * t;
        let random_walk_s = 2.0 * RANDOM_WALK_PPM_PER_SQRT_S * 1e-6 * t.powf(1.5) / 3f64.sqrt();
        let integral = match self.last {
            Some((at, d)) if at_s > at => self.integral_c_s + d * (at_s - at),
            _ => self.integral_c_s,
        };
        let (temperature_s, wander_s) = match self.temp {
            TempTerm::Model(fit) => {
                let k = fit.tempco_ppm_per_c.abs() + 2.0 * fit.tempco_sigma_ppm_per_c;
                (k * 1e-6 * integral, 0.0)
            }
            TempTerm::Prior(_) => (PRIOR_TEMPCO_PPM_PER_C * 1e-6 * integral, 0.0),
            TempTerm::Unmeasured => (0.0, 0.5 * WANDER_PPM_PER_HOUR / 3600.0 * 1e-6 * t * t),
        };
        Bound {
            total_s: offset_s + frequency_s + temperature_s + random_walk_s + wander_s,
            offset_s,
            frequency_s,
            temperature_s,
            random_walk_s,
            wander_s,
        }
    }
}
