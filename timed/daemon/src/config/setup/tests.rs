use super::super::{parse, Config};
use super::*;
use std::path::Path;
use timed_core::receiver as core;

fn problems(text: &str) -> Vec<String> {
    match parse(Path::new("t.toml"), text) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(|p| p.to_string()).collect(),
    }
}

fn setup(text: &str) -> (Configure, Setup) {
    let c: Config = parse(Path::new("t.toml"), text).unwrap_or_else(|p| panic!("{p:#?}"));
    (c.receiver.configure, c.receiver.setup)
}

#[test]
fn every_key_is_read() {
    let (configure, s) = setup(
        "[receiver]\nconfigure = \"apply\"\n[receiver.setup]\nprofile = \"navigation\"\nnmea = [\"RMC\", \"zda\"]\n\
         pulse_length_us = 1000\ntime_grid = \"gps\"\ncable_length_m = 10.0\nvelocity_factor = 0.66\n\
         user_delay_ns = -20\ntime_mode = \"fixed\"\nfixed_llh = [50.1109, 8.6821, 151.3]\nfixed_accuracy_m = 0.5\n",
    );
    assert_eq!(configure, Configure::Apply);
    assert_eq!(s.profile, Profile::Navigation);
    assert_eq!(s.nmea, ["RMC", "zda"]);
    assert_eq!((s.pulse_length_us, s.time_grid, s.user_delay_ns), (1000, Grid::Gps, -20));
    // 10 m at 0.66 c: 10 / (0.66 × 0.299792458 m/ns) = 50.54 ns.
    assert_eq!(s.cable_delay(), 51);
    assert_eq!(s.time_mode, TimeModeWanted::Fixed);
    assert_eq!(s.fixed_llh, [50.1109, 8.6821, 151.3]);
    let (configure, s) = setup("[receiver]\nconfigure = \"off\"\n[receiver.setup]\ncable_delay_ns = 25\ntime_mode = \"survey-in\"\nsurvey_min_s = 3600\nsurvey_accuracy_m = 2.0\n");
    assert_eq!((configure, s.cable_delay(), s.time_mode), (Configure::Off, 25, TimeModeWanted::SurveyIn));
    assert_eq!((s.survey_min_s, s.survey_accuracy_m), (3600, 2.0));
    assert_eq!(setup("").0, Configure::Check, "check is the default");
}

#[test]
fn unknown_words_are_refused_where_they_stand() {
    let p = problems("[receiver]\nconfigure = \"yes\"\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:13: ") && p[0].contains("unknown variant `yes`"), "{}", p[0]);
    let p = problems("[receiver.setup]\ntime_grid = \"tai\"\nsurvey_min = 10\n");
    assert!(p[0].starts_with("t.toml:2:13: ") && p[0].contains("unknown variant `tai`"), "{}", p[0]);
    assert!(p[1].starts_with("t.toml:3:1: unknown field `survey_min`"), "{}", p[1]);
}

#[test]
fn out_of_range_values_are_named_at_their_key() {
    let p = problems(
        "[receiver.setup]\nnmea = [\"GPGGA\"]\npulse_length_us = 1000000\ncable_delay_ns = -5\n\
         user_delay_ns = 2000000000\nsurvey_min_s = 0\nsurvey_accuracy_m = nan\nfixed_accuracy_m = 0.0\n",
    );
    let want = [
        "t.toml:2:8: \"GPGGA\" is not an NMEA sentence",
        "t.toml:3:19: pulse_length_us = 1000000 is outside 1..999999",
        "t.toml:4:18: cable_delay_ns = -5 is outside 0..32767",
        "t.toml:5:17: user_delay_ns must be within ±1 s",
        "t.toml:6:16: survey_min_s = 0",
        "t.toml:7:21: survey_accuracy_m = NaN is outside",
        "t.toml:8:20: fixed_accuracy_m = 0 is outside",
    ];
    assert_eq!(p.len(), want.len(), "{p:#?}");
    for (got, want) in p.iter().zip(want) {
        assert!(got.starts_with(want), "{got}\n  does not start with\n{want}");
    }
}

#[test]
fn the_cable_delay_is_given_once() {
    let p = problems("[receiver.setup]\ncable_delay_ns = 50\ncable_length_m = 10.0\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:18: cable_delay_ns and cable_length_m both give"), "{}", p[0]);
    assert!(p[0].contains("hint: keep one"), "{}", p[0]);
    let p = problems("[receiver.setup]\ncable_length_m = 10.0\nvelocity_factor = 1.5\n");
    assert!(p[0].starts_with("t.toml:3:19: velocity_factor = 1.5 is outside (0, 1]"), "{p:#?}");
    let p = problems("[receiver.setup]\ncable_length_m = 9000.0\nvelocity_factor = 0.5\n");
    assert!(p[0].starts_with("t.toml:2:18: a 9000 m cable delays by more than 32767 ns"), "{p:#?}");
}

#[test]
fn a_fixed_position_is_on_the_ground_and_only_with_the_fixed_mode() {
    let p = problems("[receiver.setup]\ntime_mode = \"fixed\"\n");
    assert!(p[0].starts_with("t.toml:2:13: time_mode = \"fixed\" needs the antenna's position"), "{p:#?}");
    let p = problems("[receiver.setup]\nfixed_llh = [50.1, 8.6, 150.0]\n");
    assert!(
        p[0].starts_with("t.toml:2:13: a fixed position is used only with time_mode = \"fixed\""),
        "{p:#?}"
    );
    // Centimetres, as TIM-SVIN sends them, are not metres.
    let p = problems(
        "[receiver.setup]\ntime_mode = \"fixed\"\nfixed_ecef_m = [405153960.0, 61867735.0, 487082503.0]\n",
    );
    assert!(
        p[0].starts_with("t.toml:3:16: fixed_ecef_m = [405153960, 61867735, 487082503] is not within 100 km"),
        "{p:#?}"
    );
    let p = problems("[receiver.setup]\ntime_mode = \"fixed\"\nfixed_llh = [91.0, 8.6, 150.0]\n");
    assert!(p[0].starts_with("t.toml:3:13: fixed_llh = [91, 8.6, 150] is not latitude"), "{p:#?}");
    let p = problems("[receiver.setup]\ntime_mode = \"fixed\"\nfixed_llh = [50.1, 8.6]\n");
    assert!(p[0].starts_with("t.toml:3:13: receiver.setup.fixed_llh takes three numbers"), "{p:#?}");
    let p = problems(
        "[receiver.setup]\ntime_mode = \"fixed\"\nfixed_llh = [50.1, 8.6, 150.0]\nfixed_ecef_m = [4051539.6, 618677.3, 4870825.0]\n",
    );
    assert!(p[0].starts_with("t.toml:4:16: fixed_llh and fixed_ecef_m both give the position"), "{p:#?}");
    // Right.
    let (_, s) = setup(
        "[receiver.setup]\ntime_mode = \"fixed\"\nfixed_ecef_m = [4051539.602, 618677.3453, 4870825.0344]\n",
    );
    assert_eq!(s.fixed_ecef_m, [4051539.602, 618677.3453, 4870825.0344]);
}

#[test]
fn the_defaults_are_the_cores() {
    let s = Setup::default();
    let d = core::Settings::default();
    assert_eq!(s.to_core(d.baud), d, "timed.toml's defaults plan what the core plans by default");
    assert_eq!((s.survey_min_s, s.survey_accuracy_m), (300, 5.0));
}

#[test]
fn the_core_settings_carry_every_key_in_the_cores_units() {
    let (_, s) = setup(
        "[receiver.setup]\nprofile = \"navigation\"\nnmea = [\"rmc\", \"ZDA\"]\npulse_length_us = 1000\n\
         time_grid = \"gps\"\ncable_length_m = 10.0\nuser_delay_ns = -20\ntime_mode = \"fixed\"\n\
         fixed_llh = [50.1109, 8.6821, 151.3]\nfixed_accuracy_m = 0.5\n",
    );
    let c = s.to_core(9600);
    assert_eq!((c.profile, c.baud, c.grid), (core::Profile::Navigation, 9600, core::Grid::Gps));
    assert_eq!(c.nmea_keep, [core::Nmea::Rmc, core::Nmea::Zda]);
    assert_eq!((c.pulse_len_us, c.cable_delay_ns, c.user_delay_ns), (1000, 51, -20));
    assert_eq!(
        c.time_mode,
        Some(core::TimeMode::FixedLlh { lat_1e7deg: 501_109_000, lon_1e7deg: 86_821_000, height_cm: 15_130 })
    );
    assert_eq!((c.fixed_pos_acc_mm, c.save), (500, false), "timed never writes flash");
    let (_, s) = setup(
        "[receiver.setup]\ntime_mode = \"fixed\"\nfixed_ecef_m = [4051539.602, 618677.3453, 4870825.0344]\n",
    );
    assert_eq!(
        s.to_core(115_200).time_mode,
        Some(core::TimeMode::FixedEcef { ecef_01mm: [40_515_396_020, 6_186_773_453, 48_708_250_344] })
    );
    let (_, s) =
        setup("[receiver.setup]\ntime_mode = \"survey-in\"\nsurvey_min_s = 3600\nsurvey_accuracy_m = 2.5\n");
    assert_eq!(
        s.to_core(115_200).time_mode,
        Some(core::TimeMode::SurveyIn { min_dur_s: 3600, acc_limit_mm: 2500 })
    );
    assert_eq!(Setup::default().to_core(115_200).time_mode, None, "auto: the profile's");
}

#[test]
fn auto_surveys_with_the_configured_limits() {
    let (_, s) = setup(
        "[receiver.setup]
survey_min_s = 3600
survey_accuracy_m = 2.5
",
    );
    assert_eq!(s.time_mode, TimeModeWanted::Auto);
    let c = s.to_core(115_200);
    assert_eq!(c.time_mode, None, "auto stays the profile's choice");
    let f9t = core::Identity::from_mon_ver(&timed_core::ubx::MonVer {
        sw_version: "EXT CORE 1.00".into(),
        hw_version: "00190000".into(),
        extensions: vec!["FWVER=TIM 2.20".into(), "PROTVER=29.00".into(), "MOD=ZED-F9T".into()],
    });
    assert_eq!(
        c.effective_time_mode(&f9t),
        Some(core::TimeMode::SurveyIn { min_dur_s: 3600, acc_limit_mm: 2500 }),
        "a timing receiver surveys with timed.toml's limits, not the core's default"
    );
}

#[test]
fn the_apply_command_names_the_configuration_when_it_is_not_the_default() {
    assert_eq!(
        Setup::apply_command(Path::new("/etc/timed/timed.toml")),
        "systemctl stop timed && timectl receiver apply --save && systemctl start timed"
    );
    assert_eq!(
        Setup::apply_command(Path::new("/tmp/lab/timed.toml")),
        "systemctl stop timed && timectl receiver apply --config /tmp/lab/timed.toml --save && systemctl start timed"
    );
}

#[test]
fn constellations_only_when_asked() {
    let (_, s) = setup("");
    assert!(s.constellations.is_empty());
    assert_eq!(s.to_core(115_200).constellations, None, "absent: the receiver's are left alone");
    let (_, s) = setup("[receiver.setup]\nconstellations = [\"gps\", \"Galileo\"]\n");
    use timed_core::gnss::Constellation as C;
    assert_eq!(s.to_core(115_200).constellations, Some(vec![C::Gps, C::Galileo]));
    let p = problems("[receiver.setup]\nconstellations = [\"gps\", \"compass\"]\n");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("t.toml:2:18: \"compass\" is not a constellation"), "{}", p[0]);
    assert!(p[0].contains("\"galileo\""), "the hint names the known ones: {}", p[0]);
    let p = problems("[receiver.setup]\nconstellations = [\"gps\", \"gps\"]\n");
    assert!(p.len() == 1 && p[0].starts_with("t.toml:2:18: \"gps\" is given twice"), "{p:#?}");
    let p = problems("[receiver.setup]\nconstellations = [\"sbas\"]\n");
    assert!(p.len() == 1 && p[0].contains("at least one of gps, galileo, beidou, glonass"), "{p:#?}");
    let (_, s) = setup("[receiver.setup]\nconstellations = []\n");
    assert_eq!(s.to_core(9_600).constellations, None, "[]: left alone, as absent");
    let p = problems("[receiver.setup]\nconstellations = [\"galileo\", \"qzss\"]\n");
    assert!(p.len() == 1 && p[0].contains("qzss needs gps"), "{p:#?}");
}
