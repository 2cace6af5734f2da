//! `[receiver] configure` end to end: timed checks or applies the set-up of a SIMULATED
//! factory-default receiver (`timed-sim --model f9t --factory`: NMEA only at its factory speed,
//! no TIM-TP, no time mode; it obeys CFG-VALSET/VALGET as an F9 does) over its own port, with a
//! real sandboxed chronyd (`-x`). The receiver and its PPS pin are simulated (they cannot exist
//! here); timed, timectl and chronyd are the real programs. Checked through what a user sees:
//! `timectl status` and `doctor`, the snapshot, the metrics, timed's log.
//!
//! SLOW: each test starts a lab and waits for the set-up and, for the apply tests, for PPS
//! labelled by TIM-TP and a survey-in, in real time: the check about 4 s, the apply about
//! 12 s, the power cycle (at simulated second 35) about 53 s; 53 s for the file, run in
//! parallel on the shared 2-core host. Needs `cargo build -p timed -p timed-sim` first and root (chronyd). Private ports
//! 11391-11395, metrics 18391-18395.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use serde_json::Value;
use std::time::Duration;
mod support;

use support::{json, timectl};
use timed_lab::http::metric;
use timed_lab::{wait_for, Lab, Options};

const SETUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A lab whose simulator starts as a factory-default receiver of `model`.
fn lab(model: &str, configure: &str, setup: &str, port: u16, scenario: Option<&str>) -> Lab {
    let scenario = scenario.map(|text| {
        let p = std::env::temp_dir().join(format!("timed-setup-e2e-{port}.toml"));
        std::fs::write(&p, text).unwrap();
        p
    });
    Lab::start(Options {
        ntp_port: port,
        metrics_port: Some(port + 7000),
        configure: configure.into(),
        receiver_setup: setup.into(),
        sim_args: vec!["--model".into(), model.into(), "--factory".into()],
        scenario,
        ..Options::default()
    })
    .unwrap_or_else(|e| panic!("lab: {e}"))
}

fn setup_state(lab: &Lab) -> Value {
    lab.snapshot().map(|s| s["timed"]["receiver_setup"].clone()).unwrap_or(Value::Null)
}

fn wait_state(lab: &Lab, want: &str) -> Value {
    if wait_for(SETUP_TIMEOUT, || setup_state(lab)["state"] == want).is_err() {
        panic!("set-up never {want}: {:#}\ntimed log:\n{}", setup_state(lab), lab.timed_log());
    }
    setup_state(lab)
}

/// check: nothing is written; the items that differ are named in the snapshot, in `timectl
/// status` (DEGRADED receiver-not-configured, with the command) and in `timectl doctor`.
#[test]
fn check_names_what_a_factory_f9t_lacks() {
    let lab = lab("f9t", "check", "", 11391, None);
    let s = wait_state(&lab, "not-configured");
    let items: Vec<&str> =
        s["items"].as_array().unwrap().iter().map(|i| i["item"].as_str().unwrap()).collect();
    for want in ["rate TIM-TP", "rate NAV-TIMELS", "uart1-baud"] {
        assert!(items.contains(&want), "{want} not among {items:?}");
    }
    assert!(s["items"].as_array().unwrap().iter().all(|i| i["outcome"] == "not-sent"), "{s:#}");
    assert!(s["applied"].as_array().unwrap().is_empty(), "check wrote to the receiver: {s:#}");
    let status = timectl(&lab, &["status", "--json"]);
    let v = json(&status);
    let reason = v["reasons"].as_array().unwrap().iter().find(|r| r["code"] == "receiver-not-configured");
    let reason = reason.unwrap_or_else(|| panic!("no receiver-not-configured: {:#}", v["reasons"]));
    assert_eq!(reason["severity"], "DEGRADED");
    assert!(reason["message"].as_str().unwrap().contains("rate NAV-PVT (0, wanted 1)"), "{reason:#}");
    assert!(reason["fix"].as_str().unwrap().contains("timectl receiver apply"), "{reason:#}");
    let text = String::from_utf8_lossy(&timectl(&lab, &["status"]).stdout).to_string();
    assert!(text.contains("set-up (check) NOT configured"), "{text}");
    let doctor = timectl(
        &lab,
        &["doctor", "--json", "--window", "1", "--config", lab.dir.join("timed.toml").to_str().unwrap()],
    );
    let d = json(&doctor);
    let check = d["checks"].as_array().unwrap().iter().find(|c| c["id"] == "receiver-config").unwrap();
    assert_eq!(check["status"], "warn", "{check:#}");
    assert!(check["message"].as_str().unwrap().contains("rate TIM-TP"), "{check:#}");
    assert!(check["fix"].as_str().unwrap().contains("timectl receiver apply"), "{check:#}");
    let m = lab.scrape().unwrap();
    assert_eq!(metric(&m, "timed_receiver_setup_state{state=\"not-configured\"}"), Some(1.0), "{m}");
    assert!(metric(&m, "timed_receiver_setup_differences").is_some_and(|n| n >= 3.0), "{m}");
}

/// apply: timed sets the factory receiver up in RAM, says so once, and from then on labels
/// the pulses with TIM-TP; a short survey-in runs and ends in fixed mode, all visible.
#[test]
fn apply_sets_up_a_factory_f9t_and_pps_is_labelled_by_tim_tp() {
    let lab = lab(
        "f9t",
        "apply",
        "time_mode = \"survey-in\"\nsurvey_min_s = 10\nsurvey_accuracy_m = 10.0",
        11392,
        None,
    );
    let s = wait_state(&lab, "configured");
    assert!(!s["applied"].as_array().unwrap().is_empty(), "{s:#}");
    assert_eq!(s["restored"], 0);
    let locked = wait_for(SETUP_TIMEOUT, || {
        lab.snapshot().is_ok_and(|v| v["timed"]["pps"]["state"] == "locked-tim-tp")
    });
    assert!(
        locked.is_ok(),
        "PPS not labelled by TIM-TP: {:#}\n{}",
        lab.snapshot().unwrap_or_default()["timed"]["pps"],
        lab.timed_log()
    );
    // TIM-TP's quantisation error is applied to the edges (the model's sawtooth is never 0).
    let qerr = wait_for(SETUP_TIMEOUT, || {
        lab.snapshot().is_ok_and(|v| v["timed"]["pps"]["last_qerr_ps"].as_i64().is_some_and(|q| q != 0))
    });
    assert!(qerr.is_ok(), "no qErr applied: {:#}", lab.snapshot().unwrap_or_default()["timed"]["pps"]);
    let fixed = wait_for(SETUP_TIMEOUT, || {
        lab.snapshot().is_ok_and(|v| v["timed"]["receiver"]["time_mode"] == "fixed")
    });
    let rx = lab.snapshot().unwrap()["timed"]["receiver"].clone();
    assert!(fixed.is_ok(), "survey never ended in fixed mode: {rx:#}");
    assert_eq!(rx["survey_valid"], true, "{rx:#}");
    assert!(rx["survey_acc_m"].as_f64().unwrap() <= 10.0, "{rx:#}");
    let text = String::from_utf8_lossy(&timectl(&lab, &["status"]).stdout).to_string();
    assert!(text.contains("time mode fixed · surveyed position"), "{text}");
    assert!(text.contains("set-up (apply) configured"), "{text}");
    let log = lab.timed_log();
    assert_eq!(log.matches("receiver set-up applied in RAM").count(), 1, "{log}");
    let m = lab.scrape().unwrap();
    assert_eq!(metric(&m, "timed_receiver_time_mode{mode=\"fixed\"}"), Some(1.0), "{m}");
    assert_eq!(metric(&m, "timed_receiver_setup_state{state=\"configured\"}"), Some(1.0), "{m}");
}

/// While the receiver surveys, the survey's progress is in the snapshot, the metrics and
/// `timectl status`.
#[test]
fn survey_in_progress_is_visible() {
    let lab = lab("f9t", "apply", "time_mode = \"survey-in\"\nsurvey_min_s = 3600", 11393, None);
    wait_state(&lab, "configured");
    let active = |v: &Value| {
        v["timed"]["receiver"]["time_mode"] == "survey-in" && v["timed"]["receiver"]["survey_active"] == true
    };
    assert!(
        wait_for(SETUP_TIMEOUT, || lab.snapshot().is_ok_and(|v| active(&v))).is_ok(),
        "{}",
        lab.timed_log()
    );
    let d0 = lab.snapshot().unwrap()["timed"]["receiver"]["survey_duration_s"].as_u64().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let rx = lab.snapshot().unwrap()["timed"]["receiver"].clone();
    assert!(rx["survey_duration_s"].as_u64().unwrap() >= d0 + 2, "survey not advancing: {d0} then {rx:#}");
    let m = lab.scrape().unwrap();
    assert_eq!(metric(&m, "timed_receiver_survey_active"), Some(1.0), "{m}");
    assert_eq!(metric(&m, "timed_receiver_time_mode{mode=\"survey-in\"}"), Some(1.0), "{m}");
    assert!(metric(&m, "timed_receiver_survey_duration_seconds").is_some_and(|s| s >= 2.0), "{m}");
    let text = String::from_utf8_lossy(&timectl(&lab, &["status"]).stdout).to_string();
    assert!(text.contains("time mode survey-in · "), "{text}");
}

/// A power cycle (the simulated receiver forgets its RAM, as one without a backup battery):
/// timed notices the receiver coming back, applies the set-up again, says so, and the pulses
/// are labelled by TIM-TP again; the surveyed position is given back, so no new survey: the
/// receiver is in fixed mode at once (the model reports the time-only fix of a fixed-mode
/// F9T, NAV-PVT fixType 5, and no survey in NAV-SVIN), and timed's time mode reads `fixed`.
#[test]
fn a_power_cycle_is_restored_at_the_reconnect() {
    let scenario = "[[fault]]\nkind = \"power_cycle\"\nfrom_s = 35\nto_s = 39\n";
    let lab = lab(
        "f9t",
        "apply",
        "time_mode = \"survey-in\"\nsurvey_min_s = 10\nsurvey_accuracy_m = 10.0",
        11394,
        Some(scenario),
    );
    wait_state(&lab, "configured");
    let fixed = wait_for(SETUP_TIMEOUT, || {
        lab.snapshot().is_ok_and(|v| v["timed"]["receiver"]["time_mode"] == "fixed")
    });
    assert!(fixed.is_ok(), "no fixed mode before the power cycle\n{}", lab.timed_log());
    let restored =
        wait_for(Duration::from_secs(90), || setup_state(&lab)["restored"].as_u64().unwrap_or(0) >= 1);
    assert!(restored.is_ok(), "never restored: {:#}\n{}", setup_state(&lab), lab.timed_log());
    let s = wait_state(&lab, "configured");
    let log = lab.timed_log();
    assert_eq!(log.matches("receiver set-up restored in RAM").count(), 1, "{log}");
    // The surveyed position went back as the fixed one: no new survey.
    let applied: Vec<&str> = s["applied"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    for want in ["time-mode", "fixed-ecef-x-cm", "rate TIM-TP", "uart1-baud"] {
        assert!(applied.contains(&want), "{want} not restored: {applied:?}");
    }
    let relocked = wait_for(SETUP_TIMEOUT, || {
        lab.snapshot().is_ok_and(|v| v["timed"]["pps"]["state"] == "locked-tim-tp")
    });
    assert!(relocked.is_ok(), "{:#}\n{}", lab.snapshot().unwrap_or_default()["timed"], lab.timed_log());
    std::thread::sleep(Duration::from_secs(2));
    let rx = lab.snapshot().unwrap()["timed"]["receiver"].clone();
    assert_ne!(rx["survey_active"], true, "surveying again after the power cycle: {rx:#}");
    assert_eq!(rx["time_mode"], "fixed", "{rx:#}");
    assert_eq!((&rx["fix"], &rx["fix_ok"]), (&"time".into(), &true.into()), "time only, and a fix: {rx:#}");
}

/// A factory M8T (legacy CFG messages, 9600 baud, survey progress in TIM-SVIN): applied,
/// labelled by TIM-TP, and its survey seen through TIM-SVIN until fixed.
#[test]
fn apply_sets_up_a_factory_m8t_and_its_survey_shows_through_tim_svin() {
    let lab = lab(
        "m8t",
        "apply",
        "time_mode = \"survey-in\"\nsurvey_min_s = 10\nsurvey_accuracy_m = 10.0",
        11395,
        None,
    );
    let s = wait_state(&lab, "configured");
    // Found at its factory 9600, left at timed's 115200.
    assert_eq!(s["found_baud"], 115_200, "{s:#}");
    let applied: Vec<&str> = s["applied"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    for want in ["rate TIM-SVIN", "rate MON-HW", "uart1-baud"] {
        assert!(applied.contains(&want), "{want} not applied: {applied:?}");
    }
    let done = wait_for(SETUP_TIMEOUT, || {
        lab.snapshot().is_ok_and(|v| {
            v["timed"]["pps"]["state"] == "locked-tim-tp" && v["timed"]["receiver"]["time_mode"] == "fixed"
        })
    });
    let rx = lab.snapshot().unwrap()["timed"]["receiver"].clone();
    assert!(done.is_ok(), "{rx:#}\n{}", lab.timed_log());
    assert_eq!(
        (rx["survey_valid"].as_bool(), rx["survey_active"].as_bool()),
        (Some(true), Some(false)),
        "{rx:#}"
    );
    assert!(rx["survey_observations"].as_u64().is_some_and(|n| n >= 7), "{rx:#}");
}
