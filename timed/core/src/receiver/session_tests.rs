//! Whole sessions against the fake receiver (fake.rs), on virtual time.

use super::super::*;
use super::fake::{run, Fake, Model};
use crate::ubx::valset::keys as k;

fn session(op: Op, settings: Settings) -> Session {
    Session::new(op, settings, None, 0)
}

#[test]
fn detect_finds_speed_and_interface() {
    let mut f = Fake::factory(Model::F9t);
    let (r, _) = run(&mut session(Op::Detect, Settings::default()), &mut f);
    let d = r.detected.expect("detected");
    assert_eq!((d.baud, d.identity.interface, d.identity.timing), (38_400, Interface::Keys, true));
    assert!(d.nmea && d.ubx, "a factory receiver's NMEA is heard too");
    assert!(r.failure.is_none() && r.items.is_empty());
    let mut m = Fake::factory(Model::M8t);
    let (r, _) = run(&mut session(Op::Detect, Settings::default()), &mut m);
    assert_eq!(r.detected.map(|d| (d.baud, d.identity.interface)), Some((9_600, Interface::Legacy)));
}

#[test]
fn factory_f9t_apply_then_verify() {
    let mut f = Fake::factory(Model::F9t);
    let (plan, _) = run(&mut session(Op::Plan, Settings::default()), &mut f);
    assert!(plan.changes() > 0);
    assert!(!plan.all_equal());
    let (r, took_ms) = run(&mut session(Op::Apply, Settings::default()), &mut f);
    let bad: Vec<_> = r.items.iter().filter(|i| !i.equal).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(r.all_equal());
    assert_eq!(f.baud, 115_200);
    assert_eq!(f.keys[&k::TMODE_MODE], 1);
    assert_eq!(f.keys[&k::TP_TIMEGRID_TP1], 0);
    assert_eq!(f.flash_writes, 0, "RAM only without save");
    assert!(r.items.iter().any(|i| i.outcome == Outcome::Applied));
    assert!(took_ms < 15_000, "{took_ms} ms");
    let (v, _) = run(&mut session(Op::Verify, Settings::default()), &mut f);
    assert!(v.all_equal());
    assert_eq!(v.detected.map(|d| d.baud), Some(115_200));
    // Idempotent: a second apply sends nothing.
    let sets = f.sets;
    let (again, _) = run(&mut session(Op::Apply, Settings::default()), &mut f);
    assert!(again.all_equal());
    assert!(again.items.iter().all(|i| i.outcome == Outcome::Unchanged));
    assert_eq!(f.sets, sets);
}

#[test]
fn save_writes_flash_on_both_interfaces() {
    let save = Settings { save: true, ..Settings::default() };
    let mut f = Fake::factory(Model::F9t);
    let (r, _) = run(&mut session(Op::Apply, save.clone()), &mut f);
    assert!(r.all_equal());
    assert!(f.flash_writes > 0);
    let mut m = Fake::factory(Model::M8t);
    let (r, _) = run(&mut session(Op::Apply, save), &mut m);
    assert!(r.all_equal());
    assert_eq!((r.saved, m.flash_writes), (Some(true), 1));
}

#[test]
fn factory_m8t_apply_then_verify() {
    let mut m = Fake::factory(Model::M8t);
    let (r, _) = run(&mut session(Op::Apply, Settings::default()), &mut m);
    let bad: Vec<_> = r.items.iter().filter(|i| !i.equal).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!((m.baud, m.tmode2.mode, m.dyn_model, m.flash_writes), (115_200, 1, 2, 0));
    assert_eq!(m.msgs[&(0x0D, 0x01)][1], 1, "TIM-TP on UART1");
    assert_eq!(m.prt.out_proto & cfg_nmea(), 0, "NMEA off");
    let (v, _) = run(&mut session(Op::Verify, Settings::default()), &mut m);
    assert!(v.all_equal());
}

fn cfg_nmea() -> u16 {
    crate::ubx::cfg::PROTO_NMEA
}

#[test]
fn m8n_asked_for_time_mode_naks_that_item_only() {
    let mut n = Fake::factory(Model::M8n);
    let s = Settings { time_mode: Some(DEFAULT_SURVEY.mode()), ..Settings::default() };
    let (r, _) = run(&mut session(Op::Apply, s), &mut n);
    assert!(!r.all_equal());
    let naks: Vec<String> =
        r.items.iter().filter(|i| i.outcome == Outcome::Nak).map(|i| i.item.id.name()).collect();
    // CFG-TMODE2 carries all three, so the NAK names all three.
    assert_eq!(naks, ["survey-in-min-duration-s", "survey-in-accuracy-limit-0.1mm", "time-mode"]);
    // Everything else went in: the speed too.
    assert!(r.items.iter().filter(|i| i.outcome == Outcome::Applied).count() > 5);
    assert_eq!(n.baud, 115_200);
    assert!(r.items.iter().filter(|i| i.outcome != Outcome::Nak).all(|i| i.equal));
}

#[test]
fn missing_acks_are_reported_per_item_not_as_done() {
    let mut f = Fake::factory(Model::F9t);
    f.drop_acks = true;
    let (r, _) = run(&mut session(Op::Apply, Settings::default()), &mut f);
    assert!(r.items.iter().any(|i| i.outcome == Outcome::NoAck));
    assert!(r.items.iter().all(|i| i.outcome != Outcome::Applied || i.item.id == ItemId::UartBaud));
    // The sets did arrive (only ACKs are lost), so the read-back is what decides.
    assert!(r.failure.is_none());
}

#[test]
fn nak_of_one_key_is_named() {
    let mut f = Fake::factory(Model::F9t);
    f.nak_keys.push(k::TP_TIMEGRID_TP1);
    let (r, _) = run(&mut session(Op::Apply, Settings::default()), &mut f);
    let naks: Vec<_> = r.items.iter().filter(|i| i.outcome == Outcome::Nak).map(|i| i.item.id).collect();
    assert_eq!(naks, vec![ItemId::TpTimeGrid]);
    assert!(!r.all_equal());
}

#[test]
fn silent_and_not_ublox() {
    let mut f = Fake::factory(Model::F9t);
    f.silent = true;
    let (r, took) = run(&mut session(Op::Plan, Settings::default()), &mut f);
    assert!(matches!(r.failure, Some(Failure::Silent { .. })), "{:?}", r.failure);
    assert!(took < 10_000);
    assert!(r.failure.unwrap().message().contains("9600"));
}

#[test]
fn finished_survey_becomes_the_fixed_position() {
    use crate::receiver::SurveyResult;
    let s = Settings::default().with_surveyed(SurveyResult {
        ecef_01mm: [10_001, -20_002, 30_003],
        acc_01mm: 19_995,
        done: true,
    });
    assert_eq!(s.time_mode, Some(TimeMode::FixedEcef { ecef_01mm: [10_001, -20_002, 30_003] }));
    assert_eq!(s.fixed_pos_acc_mm, 2_000);
}

#[test]
fn a_key_the_receiver_lacks_is_read_and_refused_alone() {
    let mut f = Fake::factory(Model::F9t);
    f.keys.remove(&k::MSGOUT_UBX_MON_RF_UART1);
    let (r, _) = run(&mut session(Op::Apply, Settings::default()), &mut f);
    let rf = r.items.iter().find(|i| i.item.id == ItemId::Rate(Msg::MonRf)).unwrap();
    assert_eq!((rf.item.current, rf.outcome, rf.equal), (None, Outcome::Nak, false));
    // The rest was read one key at a time and applied one key at a time.
    let others: Vec<_> = r.items.iter().filter(|i| i.item.id != ItemId::Rate(Msg::MonRf)).collect();
    assert!(others.iter().all(|i| i.item.current.is_some() && i.equal), "{others:#?}");
    assert_eq!(f.keys[&k::TP_TIMEGRID_TP1], 0);
}

#[test]
fn one_valset_for_the_whole_plan() {
    let mut f = Fake::factory(Model::F9t);
    let (r, _) = run(&mut session(Op::Apply, Settings::default()), &mut f);
    assert!(r.all_equal());
    assert_eq!(f.sets, 2, "the plan in one VALSET, the speed in a second");
}

#[test]
fn a_finished_survey_is_kept_as_the_fixed_position() {
    let mut f = Fake::factory(Model::F9t);
    let (r, _) = run(&mut session(Op::Apply, Settings::default()), &mut f);
    assert!(r.done() && r.survey.is_none());
    assert_eq!(f.keys[&k::TMODE_MODE], 1, "survey-in started");
    // The survey ends: the next apply (with --save) plans the surveyed position as fixed.
    let pos = [-20_017_237_954, -39_250_899_399, 45_965_695_401];
    f.surveyed = Some(pos);
    let save = Settings { save: true, ..Settings::default() };
    let (r, _) = run(&mut session(Op::Apply, save.clone()), &mut f);
    assert!(
        r.done(),
        "{:#?}",
        r.items.iter().filter(|i| !i.equal || i.outcome != Outcome::Applied).collect::<Vec<_>>()
    );
    assert_eq!(r.survey.map(|s| (s.ecef_01mm, s.done)), Some((pos, true)));
    assert_eq!(f.keys[&k::TMODE_MODE], 2);
    assert_eq!(f.keys[&k::TMODE_ECEF_X] as u32 as i32, -200_172_379);
    assert_eq!(f.keys[&k::TMODE_ECEF_X_HP] as u8 as i8, -54);
    assert_eq!(f.keys[&k::TMODE_ECEF_Z] as u32 as i32, 459_656_954);
    assert_eq!(f.keys[&k::TMODE_FIXED_POS_ACC], 15_000, "the survey's accuracy, 1.5 m");
    assert!(f.flash_writes > 0);
    // From then on a plan for survey-in is met by the fixed position: nothing to change.
    let (p, _) = run(&mut session(Op::Plan, Settings::default()), &mut f);
    assert_eq!(p.changes(), 0, "{:#?}", p.items.iter().filter(|i| !i.equal).collect::<Vec<_>>());
}
