//! The report of a set-up session as the snapshot states it. The sessions themselves run
//! against the simulated receiver in the lab tests (timed/lab/tests/receiver_setup.rs).

use super::*;
use timed_core::receiver::{Detected, Failure, Item, ItemId, ItemReport, Msg};
use timed_core::ubx::MonVer;

fn detected() -> Detected {
    let v = MonVer {
        sw_version: "EXT CORE 1.00 (61b2dd)".into(),
        hw_version: "00190000".into(),
        extensions: vec!["FWVER=TIM 2.20".into(), "PROTVER=29.00".into(), "MOD=ZED-F9T".into()],
    };
    Detected { baud: 9600, nmea: true, ubx: true, identity: timed_core::receiver::Identity::from_mon_ver(&v) }
}

fn item(id: ItemId, current: i64, wanted: i64, outcome: Outcome, read_back: Option<i64>) -> ItemReport {
    let equal = read_back.unwrap_or(current) == wanted;
    ItemReport {
        item: Item { id, current: Some(current), wanted },
        via: "test".into(),
        outcome,
        read_back,
        equal,
    }
}

fn report(op: Op, items: Vec<ItemReport>) -> Report {
    Report { op, detected: Some(detected()), items, failure: None, saved: None, survey: None }
}

#[test]
fn a_check_lists_what_differs_with_current_and_wanted() {
    let r = report(
        Op::Verify,
        vec![
            item(ItemId::UartBaud, 9600, 115_200, Outcome::NotSent, None),
            item(ItemId::Rate(Msg::TimTp), 0, 1, Outcome::NotSent, None),
            item(ItemId::DynModel, 2, 2, Outcome::NotSent, None),
        ],
    );
    let (state, items) = judge(&r);
    assert_eq!(state, SetupState::NotConfigured);
    let got: Vec<_> =
        items.iter().map(|i| (i.item.as_str(), i.current.as_deref(), i.wanted.as_str())).collect();
    assert_eq!(got, [("uart1-baud", Some("9600"), "115200"), ("rate TIM-TP", Some("0"), "1")]);
    assert!(items.iter().all(|i| i.outcome == ItemOutcome::NotSent));
}

#[test]
fn an_apply_is_configured_when_everything_reads_back() {
    let r = report(
        Op::Apply,
        vec![
            item(ItemId::Rate(Msg::TimTp), 0, 1, Outcome::Applied, Some(1)),
            item(ItemId::DynModel, 2, 2, Outcome::Unchanged, None),
        ],
    );
    assert_eq!(judge(&r), (SetupState::Configured, vec![]));
    // A refused item: the rest applied, the state says incomplete, the item says why.
    let r = report(
        Op::Apply,
        vec![
            item(ItemId::Rate(Msg::TimTp), 0, 1, Outcome::Applied, Some(1)),
            item(ItemId::TimeMode, 0, 1, Outcome::Nak, Some(0)),
        ],
    );
    let (state, items) = judge(&r);
    assert_eq!(state, SetupState::Incomplete);
    assert_eq!(items.len(), 1);
    assert_eq!((items[0].item.as_str(), items[0].outcome), ("time-mode", ItemOutcome::Nak));
}

#[test]
fn no_receiver_or_nothing_read_is_a_failure() {
    let mut r = report(Op::Verify, vec![]);
    assert_eq!(judge(&r).0, SetupState::Failed, "detected, nothing read: nothing can be said to match");
    r.failure = Some(Failure::Silent { bauds: vec![115_200, 9600] });
    r.detected = None;
    assert_eq!(judge(&r), (SetupState::Failed, vec![]));
}
