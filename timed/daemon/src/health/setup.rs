//! The receiver's set-up in the snapshot (issue 12): the time mode its output shows, and what
//! timed's `[receiver] configure` found or did. Typed from the core to the JSON like
//! `states.rs`; consumers (metrics, timectl status, verdict, doctor) match on these.

use serde::{Deserialize, Serialize};

/// The time mode of a timing receiver, as its output shows it (timed-core `epoch::TimeMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeMode {
    /// Navigating (the factory setting): no survey, no fixed position.
    Disabled,
    /// Surveying its own position.
    SurveyIn,
    /// Position fixed (surveyed or given): time-only solutions.
    Fixed,
}

impl TimeMode {
    pub const ALL: [TimeMode; 3] = [TimeMode::Disabled, TimeMode::SurveyIn, TimeMode::Fixed];

    pub fn name(self) -> &'static str {
        match self {
            TimeMode::Disabled => "disabled",
            TimeMode::SurveyIn => "survey-in",
            TimeMode::Fixed => "fixed",
        }
    }
}

impl From<timed_core::epoch::TimeMode> for TimeMode {
    fn from(m: timed_core::epoch::TimeMode) -> TimeMode {
        use timed_core::epoch::TimeMode as C;
        match m {
            C::Disabled => TimeMode::Disabled,
            C::SurveyIn => TimeMode::SurveyIn,
            C::Fixed => TimeMode::Fixed,
        }
    }
}

impl std::fmt::Display for TimeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_words_are_the_names() {
        for m in TimeMode::ALL {
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{}\"", m.name()));
            assert_eq!(serde_json::from_str::<TimeMode>(&format!("\"{m}\"")).unwrap(), m);
        }
    }
}
