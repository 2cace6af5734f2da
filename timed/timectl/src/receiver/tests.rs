//! The command line to the core's settings, and the exit status of each report.

use super::args::Args;
use super::exit_code;
use clap::Parser;
use timed_core::receiver::{Grid, Nmea, Op, Profile, Report, Settings, TimeMode};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    a: Args,
}

fn settings(argv: &[&str], base: Settings) -> Result<Settings, String> {
    let cli = Cli::try_parse_from(std::iter::once("receiver").chain(argv.iter().copied()))
        .map_err(|e| e.to_string())?;
    match &cli.a.cmd {
        super::args::Cmd::Plan(s) | super::args::Cmd::Verify(s) => s.settings(base, false),
        super::args::Cmd::Apply(s) => s.setup.settings(base, s.save),
        super::args::Cmd::Detect(_) => Ok(base),
    }
}

#[test]
fn options_override_the_configured_plan() {
    let base =
        Settings { baud: 230_400, nmea_keep: vec![Nmea::Rmc], cable_delay_ns: 40, ..Settings::default() };
    // Nothing given: timed.toml's plan as it is.
    assert_eq!(settings(&["plan"], base.clone()).unwrap(), base);
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
        base.clone(),
    )
    .unwrap();
    assert!(s.save);
    assert_eq!((s.profile, s.grid, s.baud), (Profile::Navigation, Grid::Gps, 230_400));
    assert_eq!(s.nmea_keep, vec![Nmea::Zda, Nmea::Gga]);
    assert_eq!(s.cable_delay_ns, 51, "10 m at velocity factor 0.66");
    assert_eq!(settings(&["plan", "--nmea", ""], base.clone()).unwrap().nmea_keep, vec![]);
    let s = settings(&["plan", "--survey-accuracy-m", "2.5"], base.clone()).unwrap();
    assert_eq!(s.time_mode, Some(TimeMode::SurveyIn { min_dur_s: 300, acc_limit_mm: 2_500 }));
    let s = settings(
        &["plan", "--time-mode", "fixed", "--fixed-ecef", "-4000000.5,-700000,4900000"],
        base.clone(),
    )
    .unwrap();
    assert_eq!(
        s.time_mode,
        Some(TimeMode::FixedEcef { ecef_01mm: [-40_000_005_000, -7_000_000_000, 49_000_000_000] })
    );
    let s = settings(&["plan", "--time-mode", "fixed", "--fixed-llh", "46.4,-117.02,270.5"], base.clone())
        .unwrap();
    assert_eq!(
        s.time_mode,
        Some(TimeMode::FixedLlh { lat_1e7deg: 464_000_000, lon_1e7deg: -1_170_200_000, height_cm: 27_050 })
    );
    assert!(settings(&["plan", "--time-mode", "fixed", "--fixed-llh", "95,0,0"], base.clone())
        .unwrap_err()
        .contains("latitude"));
    assert!(settings(&["plan", "--cable-length-m", "1", "--velocity-factor", "0"], base).is_err());
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
    let base = Settings::default();
    assert_eq!(settings(&["plan"], base.clone()).unwrap().constellations, None, "not asked: left alone");
    let s = settings(&["verify", "--constellations", "gps,Galileo"], base.clone()).unwrap();
    assert_eq!(s.constellations, Some(vec![C::Gps, C::Galileo]));
    let from_toml = Settings { constellations: Some(vec![C::Glonass]), ..base.clone() };
    assert_eq!(settings(&["plan", "--constellations", ""], from_toml.clone()).unwrap().constellations, None);
    assert_eq!(settings(&["apply"], from_toml.clone()).unwrap().constellations, Some(vec![C::Glonass]));
    let e = settings(&["plan", "--constellations", "gps,compass"], base.clone()).unwrap_err();
    assert!(e.contains("\"compass\" is not one of gps, sbas, galileo"), "{e}");
    let e = settings(&["plan", "--constellations", "sbas"], base).unwrap_err();
    assert!(e.contains("at least one of gps"), "{e}");
}
