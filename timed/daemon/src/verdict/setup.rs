//! The verdict's reasons about `[receiver] configure` (issue 12): a set-up that differs from
//! the plan, one the receiver refused in part, or a check that could not run. DEGRADED: time is
//! served, but TIM-TP labelling, qErr, the receiver's leap second or its antenna health may be
//! missing.

use super::{push, Reason, Verdict};
use crate::health::{ReceiverSetup, SetupItem, SetupState};

/// "name (current, wanted W)" for each item, at most `n`, then how many more.
pub fn list(items: &[SetupItem], n: usize) -> String {
    let mut parts: Vec<String> = items
        .iter()
        .take(n)
        .map(|i| {
            format!("{} ({}, wanted {})", i.item, i.current.as_deref().unwrap_or("unreadable"), i.wanted)
        })
        .collect();
    if items.len() > n {
        parts.push(format!("{} more", items.len() - n));
    }
    parts.join(", ")
}

pub fn reasons(s: &ReceiverSetup, r: &mut Vec<Reason>) {
    let n = s.items.len();
    let plural = if n == 1 { "" } else { "s" };
    match s.state {
        SetupState::NotConfigured => push(
            r,
            Verdict::Degraded,
            "receiver-not-configured",
            format!("the receiver's set-up differs from [receiver.setup] in {n} item{plural}: {}", list(&s.items, 6)),
            &format!(
                "{} (sets the receiver up and saves it to its flash), or set [receiver] configure = \"apply\" \
                 (timed then applies it in RAM at every start and reconnect)",
                s.fix_command
            ),
        ),
        SetupState::Incomplete => push(
            r,
            Verdict::Degraded,
            "receiver-not-configured",
            format!(
                "the receiver did not take {n} item{plural} of [receiver.setup] (the rest is applied): {}",
                s.items
                    .iter()
                    .map(|i| format!("{} ({})", i.item, outcome(i)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "a refused item is one this receiver lacks or a value it rejects (e.g. a time mode on a navigation \
             receiver): `timectl status --json` lists each (receiver_setup.items); change [receiver.setup] to what it has",
        ),
        SetupState::Failed => push(
            r,
            Verdict::Degraded,
            "receiver-setup-failed",
            format!(
                "timed could not {} the receiver's set-up: {}",
                s.configure.name(),
                s.error.as_deref().unwrap_or("no reason given")
            ),
            "check [receiver] device and baud (`timectl doctor`); a receiver that is not a u-blox cannot be \
             configured: set [receiver] configure = \"off\"",
        ),
        SetupState::Off | SetupState::Pending | SetupState::Running | SetupState::Configured => {}
    }
}

fn outcome(i: &SetupItem) -> &'static str {
    use crate::health::ItemOutcome as O;
    match i.outcome {
        O::Nak => "refused",
        O::NoAck => "not acknowledged",
        O::Applied => "applied, reads back different",
        O::Unchanged | O::NotSent => "not as planned",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Configure;
    use crate::health::ItemOutcome;

    fn item(name: &str, current: Option<&str>, wanted: &str, outcome: ItemOutcome) -> SetupItem {
        SetupItem { item: name.into(), current: current.map(Into::into), wanted: wanted.into(), outcome }
    }

    fn setup(state: SetupState, items: Vec<SetupItem>) -> ReceiverSetup {
        ReceiverSetup {
            configure: Configure::Check,
            state,
            items,
            fix_command: "systemctl stop timed && timectl receiver apply --save && systemctl start timed"
                .into(),
            ..ReceiverSetup::default()
        }
    }

    fn one(s: &ReceiverSetup) -> Vec<Reason> {
        let mut r = Vec::new();
        reasons(s, &mut r);
        r
    }

    #[test]
    fn a_differing_set_up_lists_its_items_and_the_command() {
        let r = one(&setup(
            SetupState::NotConfigured,
            vec![
                item("uart1-baud", Some("9600"), "115200", ItemOutcome::NotSent),
                item("msg-tim-tp", None, "1", ItemOutcome::NotSent),
            ],
        ));
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].severity, r[0].code), (Verdict::Degraded, "receiver-not-configured"));
        assert_eq!(
            r[0].message,
            "the receiver's set-up differs from [receiver.setup] in 2 items: uart1-baud (9600, wanted 115200), \
             msg-tim-tp (unreadable, wanted 1)"
        );
        assert!(
            r[0].fix.starts_with(
                "systemctl stop timed && timectl receiver apply --save && systemctl start timed (sets"
            ),
            "{}",
            r[0].fix
        );
    }

    #[test]
    fn a_long_list_is_cut() {
        let items: Vec<_> =
            (0..9).map(|i| item(&format!("i{i}"), Some("0"), "1", ItemOutcome::NotSent)).collect();
        assert!(list(&items, 6).ends_with("i5 (0, wanted 1), 3 more"), "{}", list(&items, 6));
    }

    #[test]
    fn refused_items_and_failures_are_named() {
        let r =
            one(&setup(SetupState::Incomplete, vec![item("tmode-mode", Some("0"), "1", ItemOutcome::Nak)]));
        assert_eq!(r[0].code, "receiver-not-configured");
        assert!(r[0]
            .message
            .ends_with("1 item of [receiver.setup] (the rest is applied): tmode-mode (refused)"));
        let mut s = setup(SetupState::Failed, vec![]);
        s.error = Some("silent: no bytes at any speed tried (9600, 115200)".into());
        let r = one(&s);
        assert_eq!((r[0].severity, r[0].code), (Verdict::Degraded, "receiver-setup-failed"));
        assert!(r[0].message.contains("could not check the receiver's set-up: silent"), "{}", r[0].message);
        for quiet in [SetupState::Off, SetupState::Pending, SetupState::Running, SetupState::Configured] {
            assert!(one(&setup(quiet, vec![])).is_empty(), "{quiet}");
        }
    }
}
