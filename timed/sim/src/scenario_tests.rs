//! Scenario parsing, defaults and the shipped scenario files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn shipped(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn default_file_matches_built_in_defaults() {
    assert_eq!(Scenario::from_toml(&shipped("default.toml")), Ok(Scenario::default()));
    assert_eq!(Scenario::from_toml(""), Ok(Scenario::default()));
}

#[test]
fn faults_file_parses_and_windows_apply() {
    let s = Scenario::from_toml(&shipped("faults.toml")).unwrap();
    assert!(!s.faults.is_empty());
    let kinds: Vec<FaultKind> = s.faults.iter().map(|f| f.kind).collect();
    for k in [FaultKind::DropPulse, FaultKind::NoFix, FaultKind::Silence, FaultKind::Garbage] {
        assert!(kinds.contains(&k), "{k:?} missing from faults.toml");
    }
    let one = Scenario::from_toml("[[fault]]\nkind = \"drop_pulse\"\nfrom_s = 3\nto_s = 5\n").unwrap();
    let dropped: Vec<u64> = (0..8).filter(|&i| one.active(i).drop_pulse).collect();
    assert_eq!(dropped, [3, 4]);
    let open = Scenario::from_toml("[[fault]]\nkind = \"no_fix\"\nfrom_s = 2\n").unwrap();
    assert!(!open.active(1).no_fix && open.active(2).no_fix && open.active(1_000_000).no_fix);
    assert_eq!(open.active(2).names(), ["no_fix"]);
}

#[test]
fn wrong_second_file_has_one_20s_window_after_lock() {
    let s = Scenario::from_toml(&shipped("wrong-second-20s.toml")).unwrap();
    assert_eq!((s.seed, s.seconds, s.truth_offset, s.message_delay_ms), (1, 125, 250e-6, 120.0));
    let wrong: Vec<u64> = (0..s.seconds).filter(|&i| s.active(i).wrong_second).collect();
    assert_eq!(wrong, (95..115).collect::<Vec<u64>>());
    assert!((0..s.seconds).all(|i| s.active(i).names().len() == usize::from(s.active(i).wrong_second)));
}

#[test]
fn every_shipped_scenario_parses_and_storm_is_a_wrong_minute_with_everything_inside() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap_or_default();
        if let Err(e) = Scenario::from_toml(&text) {
            panic!("{}: {e}", f.path().display());
        }
        n += 1;
    }
    assert!(n >= 4, "{n} scenarios in {}", dir.display());
    let s = Scenario::from_toml(&shipped("storm.toml")).unwrap();
    assert!((40..100).all(|i| s.active(i).wrong_second));
    let inside: Vec<&str> = (40..100).flat_map(|i| s.active(i).names()).collect();
    for k in ["drop_pulse", "duplicate_pulse", "garbage", "silence", "no_fix"] {
        assert!(inside.contains(&k), "{k} missing inside the wrong minute");
    }
}

#[test]
fn unknown_keys_and_bad_values_are_rejected_by_name() {
    let e = Scenario::from_toml("baud = 9600\nmesage_delay_ms = 50\n").unwrap_err();
    assert!(e.contains("mesage_delay_ms"), "{e}");
    let e = Scenario::from_toml("[position]\nlatitude = 1.0\n").unwrap_err();
    assert!(e.contains("latitude"), "{e}");
    let e = Scenario::from_toml("[[fault]]\nkind = \"explode\"\n").unwrap_err();
    assert!(e.contains("explode"), "{e}");
    let e = Scenario::from_toml("[[fault]]\nkind = \"silence\"\nuntil = 3\n").unwrap_err();
    assert!(e.contains("until"), "{e}");
    let e = Scenario::from_toml("protocol = \"sirf\"\n").unwrap_err();
    assert!(e.contains("sirf"), "{e}");
    assert!(Scenario::from_toml("fill = 1.5\n").unwrap_err().contains("fill"));
    assert!(Scenario::from_toml("baud = 0\n").unwrap_err().contains("baud"));
    let e = Scenario::from_toml("[[fault]]\nkind = \"silence\"\nfrom_s = 5\nto_s = 5\n").unwrap_err();
    assert!(e.contains("from_s"), "{e}");
}

#[test]
fn load_names_the_path() {
    let e = Scenario::load(Path::new("/nonexistent/x.toml")).unwrap_err();
    assert!(e.contains("/nonexistent/x.toml"), "{e}");
}

#[test]
fn effective_scenario_round_trips_through_toml() {
    let mut s = Scenario::from_toml(&shipped("faults.toml")).unwrap();
    s.truth_offset = -0.5;
    let text = s.to_toml().unwrap();
    assert_eq!(Scenario::from_toml(&text), Ok(s));
}

#[test]
fn integrity_storm_has_each_fault_alone_in_its_window() {
    let s = Scenario::from_toml(&shipped("integrity-storm.toml")).unwrap();
    assert_eq!(s.seconds, 230);
    let mut seen = Vec::new();
    for i in 0..s.seconds {
        let names = s.active(i).names();
        assert!(names.len() <= 1, "second {i}: {names:?} overlap");
        if i < 30 {
            assert!(names.is_empty(), "second {i}: the lab locks first");
        }
        seen.extend(names);
    }
    for k in [
        "antenna_open",
        "jamming",
        "spoofing",
        "time_shift",
        "position_jump",
        "tacc_bad",
        "power_cycle",
        "cold_start",
        "antenna_short",
        "stale_leap",
    ] {
        assert!(seen.contains(&k), "{k} missing");
    }
    assert_eq!(s.active(90).time_shift_ns, 2_000_000);
    assert_eq!(s.active(110).position_jump_m, Some(500.0));
    assert_eq!(s.active(125).tacc_ns, Some(5_000));
    assert_eq!(s.active(60).jamming, Some((3, 200)));
    assert_eq!(s.active(75).spoofing, Some(2));
    let cold: Vec<u64> = (0..s.seconds).filter(|&i| s.active(i).cold_start).collect();
    assert_eq!(cold, (150..155).collect::<Vec<u64>>());
    assert!(s.active(155).names().is_empty() && s.active(199).names().is_empty());
}
