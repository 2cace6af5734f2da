//! receiver-config: does the receiver run with the set-up `[receiver.setup]` plans, as the
//! running timed last checked (or applied) it at start or at the last reconnect? Names the
//! items that differ and the exact command that applies them. The doctor never talks to the
//! receiver itself: timed holds the port.

use super::gather::Facts;
use super::Check;
use timed::config::Configure;
use timed::health::SetupState;

const ID: &str = "receiver-config";

pub fn receiver_config(f: &Facts) -> Check {
    let Some(cfg) = f.cfg() else { return Check::skip(ID, "timed.toml does not load (see timed-config)") };
    if cfg.receiver.configure == Configure::Off {
        return Check::skip(
            ID,
            "[receiver] configure = \"off\": timed does not check the receiver's set-up \
             (`timectl receiver verify` does, with timed stopped)",
        );
    }
    let Ok(l) = &f.live else { return Check::skip(ID, "timed is not running (see timed-running)") };
    let s = &l.b.receiver_setup;
    let items = crate::verdict::setup::list(&s.items, 8);
    match s.state {
        SetupState::Off => Check::skip(ID, "the running timed does not check the receiver's set-up"),
        SetupState::Pending | SetupState::Running => Check::skip(
            ID,
            "timed is checking the receiver's set-up now: run the doctor again in a few seconds",
        ),
        SetupState::Configured => {
            let how = if s.configure == Configure::Apply { "applied and read back" } else { "read back" };
            Check::ok(ID, format!("the receiver runs with [receiver.setup] ({how}, {} runs)", s.runs))
        }
        SetupState::NotConfigured => Check::warn(
            ID,
            format!("{} item(s) differ from [receiver.setup]: {items}", s.items.len()),
            format!(
                "run `{}` (sets the receiver up and saves it to its flash), or set [receiver] configure = \
                 \"apply\" so timed applies it in RAM at every start and reconnect",
                s.fix_command
            ),
        ),
        SetupState::Incomplete => Check::warn(
            ID,
            format!("the receiver did not take {} item(s) of [receiver.setup]: {items}", s.items.len()),
            "the receiver lacks them or rejects the values (e.g. a time mode on a navigation receiver): \
             `timectl status --json` lists each (receiver_setup.items); change [receiver.setup] to what it has",
        ),
        SetupState::Failed => Check::warn(
            ID,
            format!(
                "timed could not check the receiver's set-up: {}",
                s.error.as_deref().unwrap_or("no reason given")
            ),
            "see serial-data and serial-speed; a receiver that is not a u-blox cannot be configured: set \
             [receiver] configure = \"off\"",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testutil::{facts, healthy, live, TOML};
    use crate::doctor::Status;
    use timed::health::{ItemOutcome, SetupItem};

    fn with(state: SetupState, toml: &str) -> Check {
        let mut b = healthy(103);
        b.receiver_setup.configure = Configure::Check;
        b.receiver_setup.state = state;
        b.receiver_setup.runs = 2;
        b.receiver_setup.fix_command = "timectl receiver apply --save".into();
        b.receiver_setup.items = vec![SetupItem {
            item: "msg-tim-tp".into(),
            current: Some("0".into()),
            wanted: "1".into(),
            outcome: ItemOutcome::NotSent,
        }];
        let mut f = facts(toml);
        f.live = Ok(live(healthy(100), b, 3.0));
        receiver_config(&f)
    }

    #[test]
    fn differences_are_named_with_the_command() {
        let c = with(SetupState::NotConfigured, TOML);
        assert_eq!(c.status, Status::Warn);
        assert_eq!(c.message, "1 item(s) differ from [receiver.setup]: msg-tim-tp (0, wanted 1)");
        assert!(c.fix.unwrap_or_default().starts_with("run `timectl receiver apply --save`"));
        let c = with(SetupState::Configured, TOML);
        assert_eq!(
            (c.status, c.message.as_str()),
            (Status::Ok, "the receiver runs with [receiver.setup] (read back, 2 runs)")
        );
        assert_eq!(with(SetupState::Failed, TOML).status, Status::Warn);
        assert_eq!(with(SetupState::Incomplete, TOML).status, Status::Warn);
        assert_eq!(with(SetupState::Running, TOML).status, Status::Skip);
    }

    #[test]
    fn off_or_timed_down_is_skipped() {
        let off = format!("{TOML}\n[receiver.setup]\n")
            .replace("baud = 115200\n", "baud = 115200\nconfigure = \"off\"\n");
        assert_eq!(with(SetupState::NotConfigured, &off).status, Status::Skip);
        assert_eq!(receiver_config(&facts(TOML)).status, Status::Skip);
    }
}
