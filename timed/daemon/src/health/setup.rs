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

/// Where timed's `[receiver] configure` stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetupState {
    /// `configure = "off"`: timed leaves the receiver alone.
    #[default]
    Off,
    /// Waiting for the port to open (or for the receiver to talk again).
    Pending,
    /// Talking to the receiver now (samples go on, except across a change of speed).
    Running,
    /// Every item read back as planned.
    Configured,
    /// `check`: items differ from the plan (`items`).
    NotConfigured,
    /// `apply`: items the receiver refused or did not acknowledge (`items`); the rest applied.
    Incomplete,
    /// The session ended without a result: no receiver at any speed, not a u-blox… (`error`).
    Failed,
}

impl SetupState {
    pub const ALL: [SetupState; 7] = [
        SetupState::Off,
        SetupState::Pending,
        SetupState::Running,
        SetupState::Configured,
        SetupState::NotConfigured,
        SetupState::Incomplete,
        SetupState::Failed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SetupState::Off => "off",
            SetupState::Pending => "pending",
            SetupState::Running => "running",
            SetupState::Configured => "configured",
            SetupState::NotConfigured => "not-configured",
            SetupState::Incomplete => "incomplete",
            SetupState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for SetupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What happened to an item (timed-core `receiver::Outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemOutcome {
    /// Already as planned: nothing sent.
    Unchanged,
    /// Sent and acknowledged.
    Applied,
    /// Refused by the receiver (ACK-NAK): it lacks the item or rejects the value.
    Nak,
    /// Sent, never acknowledged.
    NoAck,
    /// Not sent (`check` only reads).
    NotSent,
}

/// One item of the plan that is not as planned (or was applied, in `applied`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupItem {
    /// The item's name (`uart1-baud`, `msg-tim-tp`, `tp-pulse-length`…), as `timectl receiver
    /// plan` prints it.
    pub item: String,
    /// As read from the receiver (`None`: unreadable).
    pub current: Option<String>,
    pub wanted: String,
    pub outcome: ItemOutcome,
}

/// The receiver's set-up as timed last checked or applied it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverSetup {
    /// `[receiver] configure`: "off", "check" or "apply".
    pub configure: crate::config::Configure,
    pub state: SetupState,
    /// The items not as planned after the last run (none when `configured`).
    pub items: Vec<SetupItem>,
    /// The items the last `apply` changed.
    pub applied: Vec<String>,
    /// Why the last run ended without a result (`failed`).
    pub error: Option<String>,
    /// The speed the receiver answered at last in the last run (after an apply's speed change:
    /// the new speed).
    pub found_baud: Option<u32>,
    /// Runs since start: the first at start, then one per reconnect or receiver restart.
    pub runs: u64,
    /// `apply` runs after the first that found the set-up lost and restored it (a receiver
    /// power-cycled without a backup battery forgets its RAM).
    pub restored: u64,
    /// When the last run ended, Unix seconds.
    pub last_run_unix_s: Option<i64>,
    /// The command that applies the plan by hand.
    pub fix_command: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_words_are_the_names() {
        for st in [SetupState::NotConfigured, SetupState::Off, SetupState::Failed] {
            assert_eq!(serde_json::to_string(&st).unwrap(), format!("\"{st}\""));
        }
        assert_eq!(serde_json::to_string(&ItemOutcome::NoAck).unwrap(), "\"no-ack\"");
        for m in TimeMode::ALL {
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{}\"", m.name()));
            assert_eq!(serde_json::from_str::<TimeMode>(&format!("\"{m}\"")).unwrap(), m);
        }
    }
}
