//! The command line to the core's settings, and the exit status of each report.

use super::args::Args;
use super::exit_code;
use clap::Parser;
use timed::config::Setup as TomlSetup;
use timed_core::receiver::{Grid, Nmea, Op, Profile, Report, Settings, SurveyLimits, TimeMode};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    a: Args,
}

fn settings(argv: &[&str], base: &TomlSetup) -> Result<Settings, String> {
    let cli = Cli::try_parse_from(std::iter::once("receiver").chain(argv.iter().copied()))
        .map_err(|e| e.to_string())?;
    match &cli.a.cmd {
        super::args::Cmd::Plan(s) | super::args::Cmd::Verify(s) => s.settings(base, 230_400, false),
        super::args::Cmd::Apply(s) => s.setup.settings(base, 230_400, s.save),
        super::args::Cmd::Detect(_) => Ok(base.to_core(230_400)),
    }
}

#[test]
fn options_override_the_configured_plan() {
    let base = TomlSetup { nmea: vec!["RMC".into()], cable_delay_ns: 40, ..TomlSetup::default() };
    // Nothing given: timed.toml's plan as it is.
    assert_eq!(settings(&["plan"], &base).unwrap(), base.to_core(230_400));
    let s = settings(
        &[
            "apply",
            "--save",
            "--profile",
            "navigation",
            "--grid",
            "gps",
            "--nmea",
            "ZDA,gga",
            "--cable-length-m",
            "10",
        ],
        &base,
    )
    .unwrap();
    assert!(s.save);
    assert_eq!((s.profile, s.grid, s.baud), (Profile::Navigation, Grid::Gps, 230_400));
    assert_eq!(s.nmea_keep, vec![Nmea::Zda, Nmea::Gga]);
    assert_eq!(s.cable_delay_ns, 51, "10 m at velocity factor 0.66, timed.toml's 40 ns replaced");
    assert_eq!(settings(&["plan", "--nmea", ""], &base).unwrap().nmea_keep, vec![]);
    let s = settings(&["plan", "--time-mode", "survey-in", "--survey-accuracy-m", "2.5"], &base).unwrap();
    assert_eq!(s.time_mode, Some(TimeMode::SurveyIn { min_dur_s: 300, acc_limit_mm: 2_500 }));
    let s = settings(&["plan", "--time-mode", "fixed", "--fixed-ecef", "-4000000.5,-700000,4902000"], &base)
        .unwrap();
    assert_eq!(
        s.time_mode,
        Some(TimeMode::FixedEcef { ecef_01mm: [-40_000_005_000, -7_000_000_000, 49_020_000_000] })
    );
    let s = settings(&["plan", "--time-mode", "fixed", "--fixed-llh", "46.4,-117.02,270.5"], &base).unwrap();
    assert_eq!(
        s.time_mode,
        Some(TimeMode::FixedLlh { lat_1e7deg: 464_000_000, lon_1e7deg: -1_170_200_000, height_cm: 27_050 })
    );
    let e = settings(&["plan", "--time-mode", "fixed", "--fixed-llh", "95,0,0"], &base).unwrap_err();
    assert!(e.starts_with("--fixed-llh: ") && e.contains("latitude"), "{e}");
    let e = settings(&["plan", "--cable-length-m", "1", "--velocity-factor", "0"], &base).unwrap_err();
    assert!(e.starts_with("--velocity-factor: "), "{e}");
    let e = settings(&["plan", "--nmea", "RMC,XYZ"], &base).unwrap_err();
    assert!(e.starts_with("--nmea: ") && e.contains("\"XYZ\""), "{e}");
}

/// The options are timed.toml's keys, turned into the core's settings by the daemon's one
/// conversion: the same table gives the same plan both ways, the survey limits with auto too.
#[test]
fn options_mean_what_their_timed_toml_keys_mean() {
    let s =
        settings(&["plan", "--survey-min-s", "3600", "--survey-accuracy-m", "2.5"], &TomlSetup::default())
            .unwrap();
    let toml = TomlSetup { survey_min_s: 3600, survey_accuracy_m: 2.5, ..TomlSetup::default() };
    assert_eq!(s, toml.to_core(230_400));
    assert_eq!(s.time_mode, None, "auto: the profile's choice, as in timed.toml");
    assert_eq!(s.survey, SurveyLimits { min_dur_s: 3600, acc_limit_mm: 2_500 });
    // timed.toml's fixed position with another mode asked for here: dropped, not refused.
    let fixed = TomlSetup {
        time_mode: timed::config::TimeModeWanted::Fixed,
        fixed_llh: vec![46.4, -117.02, 270.5],
        ..TomlSetup::default()
    };
    assert_eq!(
        settings(&["plan", "--time-mode", "disabled"], &fixed).unwrap().time_mode,
        Some(TimeMode::Disabled)
    );
    // A fixed position without the fixed mode is refused, as in timed.toml.
    let e =
        settings(&["plan", "--fixed-ecef", "4051539.602,618677.3453,4870825.0344"], &TomlSetup::default())
            .unwrap_err();
    assert!(e.starts_with("--fixed-ecef: "), "{e}");
    // The message names the options, not timed.toml's keys.
    let e = settings(&["plan", "--time-mode", "fixed"], &TomlSetup::default()).unwrap_err();
    assert!(e.contains("--fixed-llh") && e.contains("--fixed-ecef") && !e.contains("fixed_llh"), "{e}");
}

#[test]
fn exit_status_per_command() {
    let report =
        |op| Report { op, detected: None, items: Vec::new(), failure: None, saved: None, survey: None };
    // Nothing detected: 2 whatever the command.
    for op in [Op::Detect, Op::Plan, Op::Apply, Op::Verify] {
        assert_eq!(exit_code(&report(op)), 2);
    }
}

#[test]
fn constellations_option() {
    use timed_core::gnss::Constellation as C;
    let base = TomlSetup::default();
    assert_eq!(settings(&["plan"], &base).unwrap().constellations, None, "not asked: left alone");
    let s = settings(&["verify", "--constellations", "gps,Galileo"], &base).unwrap();
    assert_eq!(s.constellations, Some(vec![C::Gps, C::Galileo]));
    let from_toml = TomlSetup { constellations: vec!["glonass".into()], ..base.clone() };
    assert_eq!(settings(&["plan", "--constellations", ""], &from_toml).unwrap().constellations, None);
    assert_eq!(settings(&["apply"], &from_toml).unwrap().constellations, Some(vec![C::Glonass]));
    // The option is the key: checked by timed.toml's own rules, named as the option.
    let e = settings(&["plan", "--constellations", "gps,compass"], &base).unwrap_err();
    assert!(e.starts_with("--constellations: \"compass\" is not a constellation"), "{e}");
    let e = settings(&["plan", "--constellations", "sbas"], &base).unwrap_err();
    assert!(e.starts_with("--constellations: ") && e.contains("at least one of gps"), "{e}");
}
