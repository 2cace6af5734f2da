//! The `timed` binary: command line (parsed by hand: less code is a smaller resident set,
//! docs/benchmarks.md), logging set-up and exit codes: 0 ok (and `--help`, `--version`), 2
//! for a bad command line (as timed(8) documents it), 78 (sysexits `EX_CONFIG`) for a bad
//! configuration, which the unit's `RestartPreventExitStatus=` does not restart, 1 if the
//! runtime cannot start.
//!
//! Owns: only that start-up. Must not contain: anything the daemon does once running, which is
//! the library's (`timed::run`), so the tests and `timectl` reach it without this binary.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use timed::cli::{self, Command};
use timed::config;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const EX_CONFIG: u8 = 78;
/// A command line that cannot be parsed (timed(8), EXIT STATUS).
const EX_USAGE: u8 = 2;

fn main() -> ExitCode {
    let path = match cli::parse(std::env::args_os().skip(1), config::DEFAULT_PATH) {
        Ok(Command::Help) => {
            print!("{}", cli::help(config::DEFAULT_PATH));
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            print!("{}", cli::version());
            return ExitCode::SUCCESS;
        }
        Ok(Command::CheckConfig(path)) => {
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
        Ok(Command::Run { config }) => config,
        Err(usage) => {
            eprint!("{usage}");
            return ExitCode::from(EX_USAGE);
        }
    };
    let cfg = match config::load(&path) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return ExitCode::from(EX_CONFIG);
        }
    };
    // A target/level filter ("info", "timed=debug", "warn,timed=debug"): the same directives the
    // regex-based filter took for what timed logs, without a regex engine in the binary (~190 kB
    // of code, resident like the rest of it). The configured level was checked at load.
    let filter = std::env::var("TIMED_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .or_else(|| cfg.log.level.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    use std::io::IsTerminal;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr),
        )
        .with(filter)
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
