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
    let dir = std::env::temp_dir().join(format!("timed-group-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("group");
    std::fs::write(&f, "root:x:0:\ntimed:x:997:alice,bob\nbroken\n").unwrap();
    assert_eq!(group_id("timed", &f), Some(997));
    assert_eq!(group_id("root", &f), Some(0));
    assert_eq!(group_id("nobody-here", &f), None);
    assert_eq!(group_id("broken", &f), None);
    std::fs::remove_dir_all(&dir).unwrap();
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
