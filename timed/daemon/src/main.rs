//! The `timed` binary: command line, logging set-up and exit codes: 0 ok (and `--help`,
//! `--version`), 2 for a bad command line (clap's own exit), 78 (sysexits `EX_CONFIG`) for a bad
//! configuration, which the unit's `RestartPreventExitStatus=` does not restart, 1 if the
//! runtime cannot start.
//!
//! Owns: only that start-up. Must not contain: anything the daemon does once running, which is
//! the library's (`timed::run`), so the tests and `timectl` reach it without this binary.
#![forbid(unsafe_code)]

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use timed::config;

const EX_CONFIG: u8 = 78;

#[derive(Parser)]
#[command(name = "timed", version, about = "GPS/PPS stratum-1 time daemon feeding chrony")]
struct Cli {
    /// Configuration file.
    #[arg(short, long, default_value = config::DEFAULT_PATH)]
    config: PathBuf,
    /// Check a configuration file, print every problem as FILE:LINE:COL, and exit (0 valid, 78 not).
    #[arg(long, value_name = "FILE")]
    check_config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(path) = cli.check_config {
        return match config::check_file(&path) {
            Ok(_) => {
                println!("{}: ok", path.display());
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in problems {
                    eprintln!("{p}");
                }
                ExitCode::from(EX_CONFIG)
            }
        };
    }
    let cfg = match config::load(&cli.config) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return ExitCode::from(EX_CONFIG);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TIMED_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log.level));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("timed: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    rt.block_on(local.run_until(timed::run::run(cfg)));
    ExitCode::SUCCESS
}
