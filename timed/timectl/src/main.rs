//! timectl: the diagnostics CLI of timed.
//!
//! Owns: command-line parsing and presentation (text and `--json`) and the doctor's checks; the
//! verdict and the status document are the daemon library's (`timed::verdict`, `timed::status`).
//! It reads a running daemon only through its control socket (docs/control.md) and chronyd only
//! through its command socket; it uses the daemon crate's library for the shared
//! types (snapshot schema, configuration parser, chrony client) and must not depend on the
//! daemon's event loop or write to anything the daemon owns. Decoding and time logic live in
//! `timed-core`; this crate must not re-implement them.
#![forbid(unsafe_code)]

mod board;
mod chrony;
mod client;
mod clients;
mod decode;
mod doctor;
mod events;
mod fmt;
mod nts;
mod pps;
mod receiver;
mod setup_status;
mod sky;
mod status;
mod watch;

/// The verdict is the daemon library's (one owner for `status --json` and `/status.json`).
use timed::verdict;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "timectl", version, about = "Diagnostics for the timed GPS/PPS time server")]
struct Cli {
    /// timed's control socket.
    #[arg(long, global = true, value_name = "PATH", env = "TIMECTL_SOCKET", default_value = client::DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Read chronyd at this command socket directly (needs root or chrony's group) instead of
    /// through timed.
    #[arg(long, global = true, value_name = "PATH", env = "TIMECTL_CHRONY_SOCKET")]
    chrony_socket: Option<PathBuf>,
    /// Machine-readable output (schemas: docs/control.md).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Is the clock good? Verdict with reasons, receiver, PPS, outputs, chrony and the NTS
    /// certificate (fingerprint, names, expiry) on one screen.
    Status(status::Args),
    /// Satellites: table and a text sky plot.
    Sky,
    /// Live PPS edges (like ppstest) with each edge's offset from the second and the jitter.
    Pps(pps::Args),
    /// chronyd's tracking and sources, chronyc-style.
    Chrony,
    /// Who uses this time server: chronyd's client log as top talkers (NTP and NTS-KE requests,
    /// drops, intervals, last seen) with the server's totals. Never resets chronyd's counters.
    Clients(clients::Args),
    /// Live view: verdict, offset sparkline, PPS histogram (q quits).
    Watch(watch::Args),
    /// What timed told its owner lately (receiver lost, antenna fault, holdover, …); --follow
    /// prints each new event as it happens.
    Events(events::Args),
    /// Find what keeps GPS time from chrony: devices, bytes and baud, fix, PPS and pairing,
    /// chronyd and its refclock lines, sockets, SHM, makestep; each failure with its fix.
    Doctor(doctor::Args),
    /// Decode receiver captures (NMEA 0183 and/or UBX byte streams) offline, one line per epoch.
    Decode(decode::Args),
    /// Check board files (boards/*.toml): schema, wiring, overlays, consoles, implied timed.toml.
    ValidateBoard(board::ValidateArgs),
    /// What a board file installs: config.txt lines, console arguments, timed.toml, chrony lines.
    Board(board::BoardArgs),
    /// Set a u-blox up for timed: detect, plan, apply (acknowledged, read back), verify.
    Receiver(receiver::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let target = client::Target { socket: cli.socket.clone(), chrony_socket: cli.chrony_socket.clone() };
    let json = cli.json;
    match cli.command {
        Command::Status(a) => fmt::finish("status", status::run(&target, &a, json)),
        Command::Sky => fmt::finish("sky", sky::run(&target, json)),
        Command::Pps(a) => fmt::finish("pps", pps::run(&target, &a, json)),
        Command::Chrony => fmt::finish("chrony", chrony::run(&target, json)),
        Command::Clients(a) => fmt::finish("clients", clients::run(&target, &a, json)),
        Command::Watch(a) => fmt::finish("watch", watch::run(&target, &a, json)),
        Command::Events(a) => fmt::finish("events", events::run(&target, &a, json)),
        Command::Doctor(a) => fmt::finish("doctor", doctor::run(&target, &a, json)),
        Command::Decode(args) => decode::run(&args, json),
        Command::ValidateBoard(a) => board::validate(&a, json),
        Command::Board(a) => board::run(&a, json),
        Command::Receiver(a) => receiver::run(&a, &target, json),
    }
}
