use super::*;

fn problems(text: &str) -> Vec<String> {
    match parse(Path::new("t.toml"), text) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn the_shipped_example_is_valid_and_equals_the_defaults() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/timed.toml"));
    let cfg = load(path).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(cfg.path, path.canonicalize().unwrap(), "load() records where it read from");
    assert_eq!(Config { path: Default::default(), ..cfg }, Config::default());
}

#[test]
fn unknown_keys_name_file_line_and_column() {
    let p = problems("[receiver]\ndevice = \"/dev/ttyAMA0\"\nbaudrate = 9600\n");
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("t.toml:3:1: unknown field `baudrate`"), "{}", p[0]);
    assert!(p[0].contains("hint:"), "{}", p[0]);
}

#[test]
fn type_errors_point_at_the_value() {
    let p = problems("[receiver]\nbaud = \"fast\"\n");
    assert!(p[0].starts_with("t.toml:2:8: "), "{}", p[0]);
}

#[test]
fn semantic_problems_are_all_reported_with_positions() {
    let p = problems(
        "[receiver]\nbaud = 115000\n\n[chrony.sock]\npps = \"relative.sock\"\ncoarse = \"relative.sock\"\n[chrony.shm]\nenabled = true\npps_unit = 0\n",
    );
    assert_eq!(p.len(), 5, "{p:#?}");
    assert!(p[2].starts_with("t.toml:6:10: relative.sock is not an absolute path"), "{}", p[2]);
    assert!(p[0].starts_with("t.toml:2:8: baud 115000"), "{}", p[0]);
    assert!(p.iter().any(|l| l.starts_with("t.toml:5:7: relative.sock is not an absolute path")), "{p:#?}");
    assert!(p.iter().any(|l| l.contains("same socket")), "{p:#?}");
    assert!(p.iter().any(|l| l.starts_with("t.toml:9:12: coarse and PPS samples would share")), "{p:#?}");
}

#[test]
fn a_missing_file_is_named() {
    let e = load(Path::new("/nonexistent/timed.toml")).err().unwrap_or_default();
    assert!(e[0].to_string().starts_with("/nonexistent/timed.toml:0:0: cannot read the configuration"));
}

#[test]
fn simulated_pps_is_selected_explicitly() {
    let cfg = parse(Path::new("t"), "[pps]\nsource = \"simulated\"\nsim_socket = \"/tmp/x.sock\"\n")
        .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(cfg.pps.source, PpsSource::Simulated);
    assert!(problems("[pps]\nsource = \"gpio\"\n")[0].contains("unknown variant `gpio`"));
}

#[test]
fn group_lookup_reads_etc_group_format() {
    let dir = timed_lab::Scratch::new("timed-group").unwrap();
    let f = dir.join("group");
    std::fs::write(&f, "root:x:0:\ntimed:x:997:alice,bob\nbroken\n").unwrap();
    assert_eq!(group_id("timed", &f), Some(997));
    assert_eq!(group_id("root", &f), Some(0));
    assert_eq!(group_id("nobody-here", &f), None);
    assert_eq!(group_id("broken", &f), None);
}

/// Type errors no longer hide what follows them: one run lists every problem, in file order.
#[test]
fn every_problem_is_reported_in_one_run() {
    let p = problems(concat!(
        "[receiver]\n",
        "baud = 115000\n",
        "parity = \"none\"\n",
        "[pps]\n",
        "source = \"gpio\"\n",
        "[chrony.sock]\n",
        "pps = \"x.sock\"\n",
        "[metrics]\n",
        "enabled = \"yes\"\n",
        "[bogus]\n",
        "a = 1\n",
        "b = 2\n",
    ));
    let starts = [
        "t.toml:2:8: baud 115000 is not a rate",
        "t.toml:3:1: unknown field `parity`",
        "t.toml:5:10: pps.source: unknown variant `gpio`",
        "t.toml:7:7: x.sock is not an absolute path",
        "t.toml:9:11: metrics.enabled: invalid type: string \"yes\", expected a boolean",
        "t.toml:10:2: unknown field `bogus`",
    ];
    assert_eq!(p.len(), starts.len(), "{p:#?}");
    for (got, want) in p.iter().zip(starts) {
        assert!(got.starts_with(want), "{got:?} should start with {want:?}\n{p:#?}");
    }
}

/// A refused value is replaced by its default only to go on checking; the checks of its table
/// (which compare its keys) are not run on that stand-in.
#[test]
fn a_refused_value_does_not_cause_made_up_problems() {
    // The default PPS socket equals `coarse` here, but the file never says so.
    let p = problems("[chrony.sock]\npps = 5\ncoarse = \"/run/chrony/timed-pps.sock\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:7: chrony.sock.pps: invalid type: integer `5`"), "{}", p[0]);
    // Unknown keys replace nothing: the table's checks still run.
    let p = problems("[chrony.sock]\npps = \"x.sock\"\nextra = 1\n");
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:7: x.sock is not an absolute path"), "{}", p[0]);
}

#[test]
fn syntax_errors_are_all_reported() {
    let p = problems("[receiver\nbaud = 9600\n[pps]\nsource = kernel\n");
    assert!(p.len() >= 2, "{p:#?}");
    assert!(p[0].starts_with("t.toml:1:"), "{p:#?}");
    assert!(p.iter().any(|l| l.starts_with("t.toml:4:")), "{p:#?}");
}

/// check-config looks the control socket's group up like the daemon will; a group missing on
/// this system is reported at the key.
#[test]
fn a_control_group_missing_from_the_system_is_reported() {
    let dir = timed_lab::Scratch::new("timed-group-check").unwrap();
    let groups = dir.join("group");
    std::fs::write(&groups, "root:x:0:\ntimed:x:997:\n").unwrap();
    let host = |text: &str| match checked(Path::new("t.toml"), text, Some(&groups)) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
    };
    let p = host("[control]\ngroup = \"timd\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:9: control.group \"timd\" is not a group on this system"), "{}", p[0]);
    assert!(host("[control]\ngroup = \"timed\"\n").is_empty());
    // Without a control socket the group is never used.
    assert!(host("[control]\nsocket = \"\"\ngroup = \"timd\"\n").is_empty());
    // The daemon's own start-up check leaves the system out.
    assert!(problems("[control]\ngroup = \"timd\"\n").is_empty());
}

#[test]
fn paths_with_nul_and_relative_devices_are_rejected() {
    let p = problems("[receiver]\ndevice = \"/dev/gps\\u00000\"\n[pps]\ndevice = \"pps0\"\n");
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:10: receiver.device contains a NUL character"), "{}", p[0]);
    assert!(p[1].starts_with("t.toml:4:10: pps.device = \"pps0\" is not an absolute path"), "{}", p[1]);
    let p = problems("[receiver]\ndevice = \"ttyAMA0\"\n");
    assert!(p[0].starts_with("t.toml:2:10: receiver.device = \"ttyAMA0\" is not an absolute path"), "{p:#?}");
    let p = problems("[control]\nsocket = \"/run/t\\u0000.sock\"\n");
    assert!(p[0].starts_with("t.toml:2:10: control.socket contains a NUL character"), "{p:#?}");
    let long = format!("/run/{}.sock", "x".repeat(100));
    let p = problems(&format!("[pps]\nsource = \"simulated\"\nsim_socket = \"{long}\"\n"));
    assert!(p[0].starts_with("t.toml:3:14: socket path longer than 107 bytes"), "{p:#?}");
}

#[test]
fn the_epoch_window_is_exactly_two_numbers() {
    let p = problems("[engine]\nepoch_window_ms = [0.0, 500.0, 990.0]\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].starts_with("t.toml:2:19: engine.epoch_window_ms: invalid length 3, expected two numbers"),
        "{}",
        p[0]
    );
    assert!(problems("[engine]\nepoch_window_ms = [0.0]\n")[0].contains("invalid length 1"));
    let cfg = parse(Path::new("t"), "[engine]\nepoch_window_ms = [5.0, 500.0]\n")
        .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(cfg.engine.epoch_window_ms, [5.0, 500.0]);
}

#[test]
fn the_outlier_threshold_is_finite() {
    for v in ["inf", "+inf", "nan", "0.0", "-1.0"] {
        let p = problems(&format!("[engine]\noutlier_ms = {v}\n"));
        assert_eq!(p.len(), 1, "{v}: {p:#?}");
        assert!(p[0].starts_with("t.toml:2:14: engine.outlier_ms = "), "{}", p[0]);
        assert!(p[0].contains("must be a finite number of milliseconds above 0"), "{}", p[0]);
    }
    assert!(problems("[engine]\noutlier_ms = 0.5\n").is_empty());
}

#[test]
fn the_earliest_date_is_a_calendar_date_after_the_gps_epoch() {
    for v in ["2016-02-30", "1979-12-31", "2016-1-1", "yesterday"] {
        let p = problems(&format!("[engine]\nearliest_date = \"{v}\"\n"));
        assert_eq!(p.len(), 1, "{v}: {p:#?}");
        assert!(p[0].starts_with("t.toml:2:17: engine.earliest_date = "), "{}", p[0]);
        assert!(p[0].contains("is not a date YYYY-MM-DD on or after 1980-01-06"), "{}", p[0]);
    }
    assert!(problems("[engine]\nearliest_date = \"2016-01-01\"\n").is_empty());
    let c = Engine { earliest_date: "2016-01-01".into(), ..Engine::default() };
    assert_eq!(c.earliest_unix_s(), Some(1_451_606_400));
    assert_eq!(Engine::default().earliest_unix_s(), Some(1_735_689_600), "the engine's own floor");
}

/// chrony trusts what is in the segment; a segment others can write lets anyone set the time.
#[test]
fn a_world_writable_shm_mode_is_rejected() {
    for mode in ["0666", "0602", "0o622", "0777"] {
        let p = problems(&format!("[chrony.shm]\nmode = \"{mode}\"\n"));
        assert_eq!(p.len(), 1, "{mode}: {p:#?}");
        assert!(
            p[0].starts_with(&format!("t.toml:2:8: chrony.shm.mode \"{mode}\" lets every local user write")),
            "{}",
            p[0]
        );
        assert!(p[0].contains("hint: \"0600\""), "{}", p[0]);
    }
    for mode in ["0600", "0640", "0660", "0620"] {
        assert!(problems(&format!("[chrony.shm]\nmode = \"{mode}\"\n")).is_empty(), "{mode}");
    }
}

#[test]
fn the_holdover_limit_is_finite_and_the_thermal_zone_absolute() {
    for v in ["inf", "nan", "0.0", "-1.0"] {
        let p = problems(&format!("[holdover]\nmax_error_ms = {v}\n"));
        assert_eq!(p.len(), 1, "{v}: {p:#?}");
        assert!(p[0].starts_with("t.toml:2:16: holdover.max_error_ms = "), "{}", p[0]);
        assert!(p[0].contains("must be a finite number of milliseconds above 0"), "{}", p[0]);
    }
    let p = problems("[holdover]\nthermal_zone = \"temp\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:16: temp is not an absolute path"), "{}", p[0]);
    assert!(problems("[holdover]\nmax_error_ms = 0.25\nthermal_zone = \"/tmp/t\"\n").is_empty());
}

#[test]
fn integrity_limits_out_of_range_are_named_at_their_key() {
    let cases = [
        ("holdoff_s = -1.0", "t.toml:2:13: integrity.holdoff_s = -1 is outside 0..3600"),
        ("holdoff_s = inf", "t.toml:2:13: integrity.holdoff_s = inf is outside 0..3600"),
        ("tacc_limit_ns = 0", "t.toml:2:17: integrity.tacc_limit_ns = 0 would close the gate"),
        ("position_jump_m = 3.0", "t.toml:2:19: integrity.position_jump_m = 3 is below 10 m"),
        ("time_shift_us = 0.5", "t.toml:2:17: integrity.time_shift_us = 0.5 is outside 1..1000000"),
        (
            "time_shift_sources_ms = 0.0",
            "t.toml:2:25: integrity.time_shift_sources_ms = 0 is outside 0.1..10000",
        ),
        ("time_shift_sources_ms = nan", "t.toml:2:25: integrity.time_shift_sources_ms = NaN is outside"),
    ];
    for (line, want) in cases {
        let p = problems(&format!("[integrity]\n{line}\n"));
        assert_eq!(p.len(), 1, "{line}: {p:#?}");
        assert!(p[0].starts_with(want), "{line}: {}", p[0]);
    }
    // A response that is not close, warn or ignore, and a signal timed does not know.
    let p = problems("[integrity.response]\nspoofing = \"shrug\"\n");
    assert!(p.len() == 1 && p[0].starts_with("t.toml:2:12:") && p[0].contains("shrug"), "{p:#?}");
    let p = problems("[integrity.response]\nsunspots = \"close\"\n");
    assert!(p.len() == 1 && p[0].starts_with("t.toml:2:1:") && p[0].contains("sunspots"), "{p:#?}");
    assert!(problems("[integrity]\nholdoff_s = 0.0\n[integrity.response]\nspoofing = \"warn\"\n").is_empty());
}

#[test]
fn the_leap_policy_is_hold_or_receiver() {
    let cfg = parse(Path::new("t"), "[leap]\nlist = \"\"\nexpired = \"receiver\"\n")
        .unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!((cfg.leap.list.as_os_str().is_empty(), cfg.leap.expired), (true, LeapExpired::Receiver));
    assert_eq!(Config::default().leap.expired, LeapExpired::Hold);
    let p = problems("[leap]\nexpired = \"ignore\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:11: leap.expired: unknown variant `ignore`"), "{}", p[0]);
    let p = problems("[leap]\nlist = \"leap-seconds.list\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].starts_with("t.toml:2:8: leap.list = \"leap-seconds.list\" is not an absolute path"),
        "{}",
        p[0]
    );
}

/// A list timed cannot use only degrades it at run time, but check-config reports it at the key,
/// naming the list's own file and line.
#[test]
fn check_config_reports_a_bad_leap_list_with_its_file_and_line() {
    let dir = std::env::temp_dir().join(format!("timed-leap-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let groups = dir.join("group");
    std::fs::write(&groups, "root:x:0:\n").unwrap();
    let list = dir.join("leap-seconds.list");
    std::fs::write(&list, "#@ 3991593600\n3439756800 34\n3550089600 35 36\n").unwrap();
    let host = |text: &str| match checked(Path::new("t.toml"), text, Some(&groups)) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
    };
    let p = host(&format!("[leap]\nlist = \"{}\"\n", list.display()));
    assert_eq!(p.len(), 1, "{p:#?}");
    let want = format!("t.toml:2:8: leap.list: {}:3: 3 fields before the comment", list.display());
    assert!(p[0].starts_with(&want), "{}", p[0]);
    let p = host("[leap]\nlist = \"/nonexistent/leap-seconds.list\"\n");
    assert!(p[0].starts_with("t.toml:2:8: leap.list: /nonexistent/leap-seconds.list: cannot read"), "{p:#?}");
    let real = timed_testdata::leap_seconds_list_path();
    assert!(host(&format!("[leap]\nlist = \"{}\"\n", real.display())).is_empty());
    assert!(host("[leap]\nlist = \"\"\n").is_empty(), "no list configured is no problem");
    // The daemon's own start-up check leaves the file out: it starts degraded instead.
    assert!(problems("[leap]\nlist = \"/nonexistent/leap-seconds.list\"\n").is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_events_webhook_is_http_and_the_queue_bounded() {
    let p = problems("[events]\nwebhook = \"https://example.org/hook\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:11: events.webhook: https is not supported"), "{}", p[0]);
    let p = problems("[events]\nwebhook = \"http://host:99999/\"\n");
    assert!(p[0].starts_with("t.toml:2:11: events.webhook: port \"99999\" is not 1..65535"), "{}", p[0]);
    let p = problems("[events]\nqueue = 0\n");
    assert!(p[0].starts_with("t.toml:2:9: events.queue = 0 must be 1..10000"), "{}", p[0]);
    assert!(problems("[events]\nwebhook = \"http://127.0.0.1:8080/timed\"\nqueue = 8\n").is_empty());
}

#[test]
fn the_webhook_file_is_an_absolute_path_checked_without_reading_it() {
    let p = problems("[events]\nwebhook_file = \"secrets/webhook\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:16: secrets/webhook is not an absolute path"), "{}", p[0]);
    let p = problems("[events]\nwebhook = \"http://h/x\"\nwebhook_file = \"/run/timed-secrets/webhook\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:3:16: events.webhook and events.webhook_file are both set"), "{}", p[0]);
    // The secret is decrypted on the device only: where the configuration is checked it is absent.
    assert!(problems("[events]\nwebhook_file = \"/nonexistent/timed-secrets/webhook\"\n").is_empty());
}
