//! Command line: where the ptys, the edge socket and the truth log go, which scenario, and
//! overrides of the scenario's most used keys.

use crate::scenario::{Protocol, Scenario};
use clap::Parser;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "timed-sim",
    version,
    about = "Simulated u-blox GNSS timing receiver: a UBX/NMEA stream on ptys and PPS edges over a \
             unix datagram socket, with a known truth (test and demo tool, not shipped)",
    after_help = "Prints `pty: LINK -> /dev/pts/N` per pty, then `ready`, on stdout. \
                  Stops after --seconds, or on SIGINT/SIGTERM, removing its symlinks."
)]
pub struct Cli {
    /// Create a pty and point this symlink at its slave (repeatable; all get the same bytes)
    #[arg(long = "pty", value_name = "PATH", required_unless_present = "print_scenario")]
    pub ptys: Vec<PathBuf>,
    /// Send each PPS edge as a datagram to this unix socket (timed's simulated-edge input)
    #[arg(long, value_name = "PATH")]
    pub pps_socket: Option<PathBuf>,
    /// Scenario file (TOML); built-in defaults = scenarios/default.toml
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Write one JSON line of ground truth per second here
    #[arg(long, value_name = "FILE")]
    pub truth_log: Option<PathBuf>,
    /// True UTC minus system clock, seconds (scenario `truth_offset`)
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub truth_offset: Option<f64>,
    /// Start the simulated receiver at this UTC instant, e.g. 2016-12-31T23:55:00Z (scenario
    /// `start`): the whole seconds from the system time at launch to START are added to the
    /// truth offset, so the edges stay on this machine's clock (timed and chronyd run
    /// unchanged) and --truth-offset still sets the sub-second part
    #[arg(long, value_name = "RFC3339")]
    pub start: Option<String>,
    /// Serial speed the bytes are paced at (scenario `baud`)
    #[arg(long, value_name = "BAUD")]
    pub baud: Option<u32>,
    /// Burst delay after the true second (scenario `message_delay_ms`)
    #[arg(long, value_name = "MS")]
    pub message_delay_ms: Option<f64>,
    /// Uniform ± jitter of that delay (scenario `message_jitter_ms`)
    #[arg(long, value_name = "MS")]
    pub message_jitter_ms: Option<f64>,
    /// Gaussian sigma of the edge time stamps (scenario `edge_jitter_ns`)
    #[arg(long, value_name = "NS")]
    pub edge_jitter_ns: Option<f64>,
    /// Stop after N seconds; 0 = run until signalled (scenario `seconds`)
    #[arg(long, value_name = "N")]
    pub seconds: Option<u64>,
    /// Seed of all random draws (scenario `seed`)
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Messages sent each second (scenario `protocol`)
    #[arg(long, value_name = "PROTOCOL")]
    pub protocol: Option<Protocol>,
    /// Pad to this fraction of the line capacity with NMEA TXT, e.g. 0.95 (scenario `fill`)
    #[arg(long, value_name = "FRACTION")]
    pub fill: Option<f64>,
    /// Satellites in view (scenario `satellites`)
    #[arg(long, value_name = "N")]
    pub satellites: Option<u8>,
    /// SIMULATED speed mismatch: the ptys get what a host UART set to BAUD reads from this
    /// receiver sending 8N1 at --baud (e.g. --baud 9600 --host-baud 115200: mostly zero bytes).
    /// With --model the host's speed is otherwise the one it set on the pty (termios)
    #[arg(long, value_name = "BAUD")]
    pub host_baud: Option<u32>,
    /// Model this u-blox part: its MON-VER, its configuration interface (legacy CFG-* on
    /// m8n/m8t, CFG-VALSET/VALGET on f9t) and time mode (scenario `model`)
    #[arg(long, value_name = "PART")]
    pub model: Option<crate::model::Part>,
    /// Start as the part ships: M8 9600 / F9 38400 baud, NMEA only, default time pulse, no
    /// time mode (scenario `factory`; needs --model)
    #[arg(long, requires = "model")]
    pub factory: bool,
    /// The part has a backup battery: its BBR configuration survives a power_cycle fault
    /// (scenario `battery`)
    #[arg(long, requires = "model")]
    pub battery: bool,
    /// Append every byte the host writes to the receiver to FILE, as written
    #[arg(long, value_name = "FILE")]
    pub record_input: Option<PathBuf>,
    /// Print the effective scenario (file + overrides) as TOML and exit
    #[arg(long)]
    pub print_scenario: bool,
}

impl Cli {
    /// The scenario file (or defaults) with the command-line overrides applied and checked.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let mut s = match &self.scenario {
            Some(path) => Scenario::load(path)?,
            None => Scenario::default(),
        };
        fn set<T: Copy>(slot: &mut T, v: Option<T>) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        set(&mut s.truth_offset, self.truth_offset);
        if let Some(start) = &self.start {
            s.start = Some(start.clone());
        }
        set(&mut s.baud, self.baud);
        set(&mut s.message_delay_ms, self.message_delay_ms);
        set(&mut s.message_jitter_ms, self.message_jitter_ms);
        set(&mut s.edge_jitter_ns, self.edge_jitter_ns);
        set(&mut s.seconds, self.seconds);
        set(&mut s.seed, self.seed);
        set(&mut s.protocol, self.protocol);
        set(&mut s.fill, self.fill);
        set(&mut s.satellites, self.satellites);
        if self.model.is_some() {
            s.model = self.model;
        }
        s.factory |= self.factory;
        s.battery |= self.battery;
        s.validate().map_err(|e| format!("scenario after command-line overrides: {e}"))?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_on_top_of_the_file() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/faults.toml");
        let cli = Cli::try_parse_from([
            "timed-sim",
            "--pty",
            "/tmp/a",
            "--pty",
            "/tmp/b",
            "--scenario",
            file.to_str().unwrap(),
            "--truth-offset",
            "-0.002",
            "--baud",
            "9600",
            "--protocol",
            "nmea",
            "--seconds",
            "5",
        ])
        .unwrap();
        assert_eq!(cli.ptys.len(), 2);
        let s = cli.scenario().unwrap();
        assert_eq!((s.truth_offset, s.baud, s.protocol, s.seconds), (-0.002, 9600, Protocol::Nmea, 5));
        assert!(!s.faults.is_empty(), "faults come from the file");
        let bad = Cli::try_parse_from(["timed-sim", "--pty", "/tmp/a", "--fill", "2"]).unwrap();
        assert!(bad.scenario().unwrap_err().contains("fill"));
        assert!(Cli::try_parse_from(["timed-sim"]).is_err(), "a pty is required");
        assert!(Cli::try_parse_from(["timed-sim", "--print-scenario"]).is_ok());
    }

    #[test]
    fn start_sets_the_truth_offset_at_launch() {
        let cli =
            Cli::try_parse_from(["timed-sim", "--pty", "/tmp/a", "--start", "2016-12-31T23:55:00Z"]).unwrap();
        let mut s = cli.scenario().unwrap();
        assert_eq!(s.start.as_deref(), Some("2016-12-31T23:55:00Z"));
        // Launched at 2025-07-31T19:33:34.700000000Z: 0.3 s short of a whole second.
        let now = 1_753_990_414_700_000_000;
        s.launch(now).unwrap();
        let start = 1_483_228_500_000_000_000i64;
        assert_eq!(s.offset_total_ns(0.0), start - now - 300_000_000 + 250_000, "whole seconds + 250 µs");
        let bad = Cli::try_parse_from(["timed-sim", "--pty", "/tmp/a", "--start", "yesterday"]).unwrap();
        assert!(bad.scenario().unwrap_err().contains("yesterday"));
        let both =
            ["timed-sim", "--pty", "/tmp/a", "--start", "2017-01-01T00:00:00Z", "--truth-offset", "-0.001"];
        let s = Cli::try_parse_from(both).unwrap().scenario().unwrap();
        assert_eq!((s.start.as_deref(), s.truth_offset), (Some("2017-01-01T00:00:00Z"), -0.001));
    }
}
