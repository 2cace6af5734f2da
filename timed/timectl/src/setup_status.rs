//! The receiver's set-up in `timectl status`: its time mode, the survey's progress or the
//! position in use. Reads the snapshot only (health::Receiver); the WGS-84 conversion is
//! timed-core's.

use timed::health::{Receiver, ReceiverSetup, SetupState, TimeMode};
use timed_core::epoch::ecef_to_llh;

/// "50.110900° N 8.682100° E 151.3 m" for an ECEF position.
fn place(ecef: [f64; 3]) -> Option<String> {
    let (lat, lon, h) = ecef_to_llh(ecef)?;
    let ns = if lat < 0.0 { 'S' } else { 'N' };
    let ew = if lon < 0.0 { 'W' } else { 'E' };
    Some(format!("{:.6}° {ns} {:.6}° {ew} {h:.1} m", lat.abs(), lon.abs()))
}

/// The time-mode line (without the indent), `None` when the receiver has shown neither a time
/// mode nor a survey.
pub fn time_mode_line(rx: &Receiver) -> Option<String> {
    let progress = match (rx.survey_duration_s, rx.survey_acc_m) {
        (Some(d), Some(acc)) => {
            let obs = rx.survey_observations.map_or(String::new(), |n| format!(", {n} observations"));
            Some(format!("{d} s{obs}, mean accuracy {acc:.2} m"))
        }
        _ => None,
    };
    let surveyed = rx.survey_valid == Some(true);
    let at = rx.survey_ecef_m.filter(|_| surveyed).and_then(place);
    Some(match rx.time_mode {
        Some(TimeMode::SurveyIn) => {
            format!("time mode survey-in · {}", progress.unwrap_or_else(|| "starting".into()))
        }
        Some(TimeMode::Fixed) => match at {
            Some(at) => {
                format!("time mode fixed · surveyed position {at} ({})", progress.unwrap_or_default())
            }
            // Given, not surveyed: the receiver reports the fixed position as its solution.
            None => match (rx.lat_deg, rx.lon_deg) {
                (Some(lat), Some(lon)) => format!(
                    "time mode fixed · position given ({lat:.6}, {lon:.6}, {} m)",
                    rx.alt_hae_m.map_or("-".into(), |h| format!("{h:.1}"))
                ),
                _ => "time mode fixed · position given".into(),
            },
        },
        Some(TimeMode::Disabled) => "time mode disabled (navigating: no survey-in, no fixed position)".into(),
        None => format!("survey-in {}", progress?),
    })
}

/// The `[receiver] configure` line (without the indent), `None` when it is off.
pub fn setup_line(s: &ReceiverSetup) -> Option<String> {
    let head = format!("set-up ({})", s.configure.name());
    let at = s.found_baud.map_or(String::new(), |b| format!(" · found at {b} baud"));
    Some(match s.state {
        SetupState::Off => return None,
        SetupState::Pending => format!("{head} waiting for the receiver"),
        SetupState::Running => format!("{head} talking to the receiver now"),
        SetupState::Configured => {
            let applied = match s.applied.len() {
                0 => String::new(),
                n => format!(" · {n} items applied at the last run"),
            };
            let restored = match s.restored {
                0 => String::new(),
                n => format!(" · restored {n}× after the receiver lost it"),
            };
            format!("{head} configured{at}{applied}{restored}")
        }
        SetupState::NotConfigured => {
            format!("{head} NOT configured{at}: {}", crate::verdict::setup::list(&s.items, 3))
        }
        SetupState::Incomplete => {
            format!("{head} INCOMPLETE{at}: {}", crate::verdict::setup::list(&s.items, 3))
        }
        SetupState::Failed => format!("{head} FAILED: {}", s.error.as_deref().unwrap_or("no reason given")),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rx() -> Receiver {
        Receiver {
            survey_active: Some(true),
            survey_valid: Some(false),
            survey_duration_s: Some(245),
            survey_acc_m: Some(4.2),
            survey_observations: Some(245),
            survey_ecef_m: Some([4_051_539.602, 618_677.345_3, 4_870_825.034_4]),
            time_mode: Some(TimeMode::SurveyIn),
            ..Receiver::default()
        }
    }

    #[test]
    fn surveying_shows_its_progress() {
        assert_eq!(
            time_mode_line(&rx()).unwrap(),
            "time mode survey-in · 245 s, 245 observations, mean accuracy 4.20 m"
        );
    }

    #[test]
    fn fixed_shows_the_position_in_use() {
        let mut r = rx();
        r.time_mode = Some(TimeMode::Fixed);
        r.survey_valid = Some(true);
        r.survey_active = Some(false);
        assert_eq!(
            time_mode_line(&r).unwrap(),
            "time mode fixed · surveyed position 50.110900° N 8.682100° E 151.3 m \
             (245 s, 245 observations, mean accuracy 4.20 m)"
        );
        // Fixed from a given position: no valid survey, the solution is the position.
        r.survey_valid = Some(false);
        r.lat_deg = Some(-33.9249);
        r.lon_deg = Some(-64.1901);
        r.alt_hae_m = Some(412.0);
        assert_eq!(
            time_mode_line(&r).unwrap(),
            "time mode fixed · position given (-33.924900, -64.190100, 412.0 m)"
        );
    }

    #[test]
    fn the_set_up_line_says_what_configure_found_or_did() {
        use timed::config::Configure;
        let mut s = ReceiverSetup { configure: Configure::Apply, ..ReceiverSetup::default() };
        assert_eq!(setup_line(&s), None, "off: nothing to say");
        s.state = SetupState::Configured;
        s.found_baud = Some(9600);
        s.applied = vec!["uart1-baud".into(), "msg-tim-tp".into()];
        s.restored = 1;
        assert_eq!(
            setup_line(&s).unwrap(),
            "set-up (apply) configured · found at 9600 baud · 2 items applied at the last run · restored 1× after \
             the receiver lost it"
        );
        s.state = SetupState::Failed;
        s.error = Some("silent".into());
        assert_eq!(setup_line(&s).unwrap(), "set-up (apply) FAILED: silent");
    }

    #[test]
    fn nothing_shown_says_nothing() {
        assert_eq!(time_mode_line(&Receiver::default()), None);
        let r = Receiver { time_mode: Some(TimeMode::Disabled), ..Receiver::default() };
        assert!(time_mode_line(&r).unwrap().starts_with("time mode disabled"));
    }
}
