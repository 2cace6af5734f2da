use super::*;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timed-holdover-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn zone(root: &Path, n: u32, kind: &str, temp: Option<&str>) {
    let z = root.join(format!("thermal_zone{n}"));
    std::fs::create_dir_all(&z).unwrap();
    std::fs::write(z.join("type"), format!("{kind}\n")).unwrap();
    if let Some(t) = temp {
        std::fs::write(z.join("temp"), t).unwrap();
    }
}

#[test]
fn the_cpu_thermal_zone_is_preferred_then_the_first_readable() {
    let root = tmp("zones");
    zone(&root, 0, "gpu-thermal", Some("40000\n"));
    zone(&root, 1, "cpu-thermal", None);
    zone(&root, 2, "cpu-thermal", Some("51234\n"));
    assert_eq!(find_zone(&root), Ok(root.join("thermal_zone2/temp")));
    assert_eq!(read_temp(&root.join("thermal_zone2/temp")), Ok(51.234));
    std::fs::remove_dir_all(root.join("thermal_zone2")).unwrap();
    assert_eq!(find_zone(&root), Ok(root.join("thermal_zone0/temp")));
    std::fs::remove_dir_all(root.join("thermal_zone0")).unwrap();
    let e = find_zone(&root).unwrap_err();
    assert!(e.starts_with("no readable thermal zone under"), "{e}");
    assert!(find_zone(&root.join("absent")).unwrap_err().starts_with("no thermal zones"));
    std::fs::write(root.join("bad"), "hot\n").unwrap();
    assert!(read_temp(&root.join("bad")).unwrap_err().contains("not a temperature"));
    let _ = std::fs::remove_dir_all(&root);
}

fn figures() -> Figures {
    Figures {
        last_offset_s: 1e-6,
        rms_offset_s: 1e-6,
        root_dispersion_s: 20e-6,
        residual_freq_ppm: 0.0,
        skew_ppm: 0.01,
    }
}

fn reading(t: f64, freq: f64) -> Reading {
    Reading { temp_c: Ok(t), tracking: Some((freq, figures())), chrony: None, peers: None }
}

#[test]
fn holdover_is_entered_once_after_a_lock_and_left_on_relock() {
    let cfg = HoldoverConfig { max_error_ms: 1.0, thermal_zone: PathBuf::new() };
    let mut s = State::new(&cfg);
    // Before any lock there is nothing to hold over.
    s.enter_holdover("pps-lost", 0.0, 1_000);
    assert!(!s.active());
    assert_eq!(s.snapshot(0.0).state, HoldoverState::Acquiring);
    // Two hours locked, the temperature swinging 4 °C, the frequency following at 0.05 ppm/°C.
    for i in 0..720 {
        let at = f64::from(i) * 10.0;
        let t = 50.0 + 2.0 * (at / 1800.0).sin();
        s.on_reading(reading(t, 3.0 + 0.05 * (t - 50.0)), at, true);
    }
    let locked = s.snapshot(7200.0);
    assert_eq!(locked.state, HoldoverState::Locked);
    let m = locked.model.clone().unwrap();
    assert!((m.tempco_ppm_per_c - 0.05).abs() < 1e-6 && m.points == 120, "{m:?}");
    assert_eq!(locked.model_absent, None);

    s.enter_holdover("pps-lost", 7200.0, 2_000);
    s.enter_holdover("integrity", 7300.0, 2_100);
    let h = s.snapshot(7200.0);
    assert_eq!(
        (h.state, h.reason.as_deref(), h.since_unix_s),
        (HoldoverState::Holdover, Some("pps-lost"), Some(2_000))
    );
    assert!((h.bound_s.unwrap() - 22e-6).abs() < 1e-9, "{h:?}");
    // chrony's skew alone (0.01 ppm) takes 100 000 s to reach 1 ms; the random walk and a
    // temperature 3 °C away get there within hours.
    let mut at = 7200.0;
    while s.snapshot(at).state == HoldoverState::Holdover {
        at += 10.0;
        s.on_reading(Reading { temp_c: Ok(53.0), tracking: None, chrony: None, peers: None }, at, false);
        assert!(at < 7200.0 + 12.0 * 3600.0, "never exceeded");
    }
    let x = s.snapshot(at);
    assert_eq!(x.state, HoldoverState::Exceeded);
    assert!(x.bound_s.unwrap() > 1e-3 && x.elapsed_s.unwrap() > 0.0, "{x:?}");
    s.leave_holdover(at);
    assert_eq!(s.snapshot(at).state, HoldoverState::Locked);
    assert_eq!(s.snapshot(at).bound_s, None);
}

#[test]
fn a_missing_thermal_zone_is_stated_not_an_error() {
    let mut s = State::new(&HoldoverConfig::default());
    s.on_reading(
        Reading {
            temp_c: Err("no thermal zones".into()),
            tracking: Some((1.0, figures())),
            chrony: None,
            peers: None,
        },
        0.0,
        true,
    );
    let snap = s.snapshot(0.0);
    assert_eq!(snap.temperature_error.as_deref(), Some("no thermal zones"));
    assert_eq!(snap.model_absent.as_deref(), Some("no-temperature"));
    s.enter_holdover("pps-lost", 10.0, 10);
    let h = s.snapshot(3610.0);
    assert_eq!(h.state, HoldoverState::Holdover);
    assert!(h.bound_s.unwrap() > 22e-6, "{h:?}");
}
