//! timectl: the diagnostics CLI of timed.
//!
//! Owns: command-line parsing and presentation (text and `--json`). All decoding and time logic
//! lives in `timed-core`; this crate must not re-implement it, and must not depend on the daemon
//! crate (it talks to a running daemon only through its control socket).

mod decode;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "timectl", version, about = "Diagnostics for the timed GPS/PPS time server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode receiver captures (NMEA 0183 and/or UBX byte streams) offline, one line per epoch.
    Decode(decode::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(&args),
    }
}
