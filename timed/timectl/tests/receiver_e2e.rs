//! `timectl receiver` end to end: factory receiver models (timed-sim `--model f9t|m8t|m8n
//! --factory`, which stand in for the receiver: none exists here) -> `apply` -> `verify` exit 0
//! (asked for GPS and Galileo only: CFG-SIGNAL keys on the F9T, CFG-GNSS on the M8T)
//! -> timed labels the pulses with TIM-TP and applies qErr, with a real chronyd (Debian
//! `chrony`, `-x`, private sockets and ports). pyubx2 (PyPI) checks every frame timectl sent
//! (recorded by the simulator). An M8N asked for time mode NAKs it: named, exit 1, the rest
//! applied and listed; asked for four major constellations it NAKs CFG-GNSS, named too. A
//! finished survey-in is saved as the fixed position. While timed runs, timectl refuses its
//! port and names it.
//! About 20 s in all: the labs wait for timed to pair TIM-TP-labelled pulses, and for a short
//! survey-in (5 s, 10 m) to finish.
#![forbid(unsafe_code)]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] fns: a failed unwrap is a failed test"
)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use timed_lab::{wait_for, Lab, Options};

fn receiver(lab: &Lab, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timectl"))
        .arg("--socket")
        .arg(lab.control_socket())
        .arg("receiver")
        .args(args)
        .arg("--config")
        .arg(lab.dir.join("timed.toml"))
        .output()
        .expect("run timectl")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

fn lab(model: &str, port: u16) -> Lab {
    let mut lab =
        Lab::start(Options { ntp_port: port, sim_args: sim_args(model, port), ..Options::default() })
            .unwrap_or_else(|e| panic!("lab: {e}"));
    // The port is timed's while it runs: refused, naming timed and what to do instead. Lab::start
    // returns once timed is spawned; on a loaded machine it may not have its control socket or
    // the port yet, and a timed that is not running yet holds nothing: wait until it has both.
    let open = wait_for(Duration::from_secs(20), || {
        lab.snapshot().is_ok_and(|v| v["timed"]["receiver"]["serial_state"] == "open")
    });
    assert!(open.is_ok(), "timed never opened the receiver: {:?}", lab.snapshot());
    let o = receiver(&lab, &["plan"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("gps0") && err.contains("timed (pid") && err.contains("configure = \"apply\""),
        "{err}"
    );
    lab.stop_timed();
    lab
}

fn sim_args(model: &str, port: u16) -> Vec<String> {
    ["--model", model, "--factory", "--record-input"]
        .iter()
        .map(|s| s.to_string())
        .chain([record(port)])
        .collect()
}

/// What the simulator of the lab on `port` received (per process and lab: the tests run at
/// once, and other test runs may share the temp dir).
fn record(port: u16) -> String {
    std::env::temp_dir()
        .join(format!("timed-receiver-e2e-{}-{port}.bin", std::process::id()))
        .display()
        .to_string()
}

/// pyubx2 reads every frame timectl sent and finds each sent item in it.
fn pyubx2_check(model: &str, port: u16, apply_json: &Value) {
    let report = record(port).replace(".bin", ".json");
    std::fs::write(&report, apply_json.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/receiver/check_frames.py");
    let o = Command::new("python3").arg(script).arg(record(port)).arg(&report).output().expect("python3");
    assert!(o.status.success(), "pyubx2 check for {model}:\n{}", text(&o));
    let _ = std::fs::remove_file(record(port));
    let _ = std::fs::remove_file(report);
}

fn factory_to_tim_tp(model: &str, port: u16) {
    let _ = std::fs::remove_file(record(port));
    let mut lab = lab(model, port);
    let plan = receiver(&lab, &["plan", "--json"]);
    assert_eq!(plan.status.code(), Some(1), "a factory receiver needs changes: {}", text(&plan));
    // Constellations asked for: GPS and Galileo only (the factory F9T has all six on, the M8T
    // GPS, SBAS, QZSS and GLONASS): CFG-SIGNAL keys on the F9T, CFG-GNSS on the M8T.
    let gnss = ["--constellations", "gps,galileo"];
    let apply = receiver(&lab, &[&["apply", "--json"][..], &gnss].concat());
    let a = json(&apply);
    assert_eq!(apply.status.code(), Some(0), "{}", text(&apply));
    assert_eq!(a["all_equal"], true);
    assert_eq!(a["detected"]["timing"], true);
    let item = |name: &str| a["items"].as_array().unwrap().iter().find(|i| i["item"] == name).cloned();
    let glonass = item("gnss-glonass").unwrap_or_else(|| panic!("no gnss-glonass item: {a}"));
    assert_eq!(
        (glonass["outcome"].as_str(), glonass["read_back"].as_i64()),
        (Some("applied"), Some(0)),
        "{a}"
    );
    assert_eq!(item("gnss-galileo").map(|i| i["read_back"].clone()), Some(Value::from(1)), "{a}");
    let verify = receiver(&lab, &[&["verify"][..], &gnss].concat());
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("verified"), "{}", text(&verify));
    // Not asked (timed.toml has no constellations): no such item, and verify still 0.
    let verify = receiver(&lab, &["verify", "--json"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    let v = json(&verify);
    assert!(
        v["items"].as_array().unwrap().iter().all(|i| !i["item"].as_str().unwrap().starts_with("gnss-")),
        "{v}"
    );
    // Asked for another set, verify names the differing systems.
    let other = receiver(&lab, &["verify", "--constellations", "gps,glonass"]);
    assert_eq!(other.status.code(), Some(1), "{}", text(&other));
    let out = String::from_utf8_lossy(&other.stdout);
    assert!(out.contains("gnss-glonass") && out.contains("gnss-galileo"), "{out}");
    pyubx2_check(model, port, &a);
    lab.restart_timed().unwrap();
    let locked = wait_for(Duration::from_secs(60), || {
        lab.snapshot().is_ok_and(|s| {
            s["timed"]["pps"]["state"] == "locked-tim-tp"
                && s["timed"]["pps"]["last_qerr_ps"].as_i64().is_some_and(|q| q != 0)
        })
    });
    assert!(locked.is_ok(), "{model}: no TIM-TP lock with qErr: {:?}\n{}", lab.snapshot(), lab.timed_log());
}

#[test]
fn factory_f9t_to_tim_tp() {
    factory_to_tim_tp("f9t", 11371);
}

#[test]
fn factory_m8t_to_tim_tp() {
    factory_to_tim_tp("m8t", 11372);
}

#[test]
fn m8n_refuses_time_mode_by_name() {
    let lab = lab("m8n", 11373);
    let o = receiver(&lab, &["apply", "--time-mode", "survey-in"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("refused by the receiver (ACK-NAK), not applied:") && out.contains("time-mode"),
        "{out}"
    );
    assert!(out.contains("NOT DONE"), "{out}");
    let a = json(&receiver(&lab, &["apply", "--time-mode", "survey-in", "--json"]));
    let items = a["items"].as_array().unwrap();
    let nak: Vec<&str> =
        items.iter().filter(|i| i["outcome"] == "nak").map(|i| i["item"].as_str().unwrap()).collect();
    assert!(nak.contains(&"time-mode"), "{nak:?}");
    // Everything but the time mode is in place (the first apply did it; the second finds it so).
    assert!(items.iter().filter(|i| i["outcome"] != "nak").all(|i| i["equal"] == true), "{a}");
    assert!(items.iter().any(|i| i["item"] == "rate TIM-TP" && i["equal"] == true));
    // Four major systems at once: more than a NEO-M8 tracks concurrently, CFG-GNSS refused, the
    // constellations named and left as they were.
    let four = json(&receiver(&lab, &["apply", "--constellations", "gps,galileo,beidou,glonass", "--json"]));
    let nak: Vec<&str> = four["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "nak")
        .map(|i| i["item"].as_str().unwrap())
        .collect();
    assert!(nak.contains(&"gnss-galileo") && nak.contains(&"gnss-beidou"), "{nak:?}");
    let galileo = four["items"].as_array().unwrap().iter().find(|i| i["item"] == "gnss-galileo").cloned();
    assert_eq!(galileo.map(|g| g["read_back"].clone()), Some(Value::from(0)), "{four}");
    let _ = std::fs::remove_file(record(11373));
}

/// Survey-in, then the surveyed position kept: `apply` starts the survey; once the receiver
/// reports it finished, `apply --save` writes its mean position as the fixed one (BBR and
/// flash), and a survey-in plan is met by it from then on.
#[test]
fn a_finished_survey_is_saved_as_the_fixed_position() {
    let lab = lab("f9t", 11374);
    let survey = ["--survey-min-s", "5", "--survey-accuracy-m", "10"];
    let with = |args: &[&str]| receiver(&lab, &[args, &survey[..]].concat());
    let o = with(&["apply"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let done =
        wait_for(Duration::from_secs(60), || json(&with(&["plan", "--json"]))["survey"]["done"] == true);
    assert!(done.is_ok(), "the survey never finished: {}", text(&with(&["plan", "--json"])));
    let save = with(&["apply", "--save", "--json"]);
    assert_eq!(save.status.code(), Some(0), "{}", text(&save));
    let a = json(&save);
    let item = |name: &str| {
        a["items"].as_array().unwrap().iter().find(|i| i["item"] == name).cloned().unwrap_or_default()
    };
    assert_eq!(
        (item("time-mode")["wanted"].as_i64(), item("time-mode")["read_back"].as_i64()),
        (Some(2), Some(2)),
        "{a}"
    );
    let x_cm = item("fixed-ecef-x-cm")["read_back"].as_i64().unwrap();
    let survey_x_cm = a["survey"]["ecef_0_1mm"][0].as_i64().unwrap() / 100;
    assert_eq!(x_cm, survey_x_cm, "the fixed position is the surveyed one: {a}");
    let v = with(&["verify"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "a survey-in plan is met by the surveyed fixed position: {}",
        text(&v)
    );
    let _ = std::fs::remove_file(record(11374));
}
