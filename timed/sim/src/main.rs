//! `timed-sim`: a simulated u-blox GNSS timing receiver for timed's tests and demos. It is a
//! test/demo tool and is **not shipped** in the image.
//!
//! Owns: creating ptys that stand in for the receiver's UART (symlinked where the daemon
//! expects its device), the per-second UBX/NMEA burst paced at the configured baud rate,
//! PPS edges delivered as `timed_core::pps::encode_sim_edge` datagrams, acknowledging UBX CFG
//! messages, scenario files with faults on demand, and a truth log of what was really sent.
//!
//! Time model: true UTC = system CLOCK_REALTIME + `truth_offset`. The edge of true second S is
//! stamped with the system time at which S happened (plus jitter and the TIM-TP quantisation
//! error), as a kernel PPS source would stamp it; a daemon that recovers `truth_offset` from
//! the edges and messages is correct.
//!
//! Module map: [`args`] command line, [`scenario`] TOML scenarios, [`sky`] the receiver's
//! state per second, [`ubx`] / [`nmea`] encoders, [`burst`] message order and faults,
//! [`fault`] scenario faults, [`utc`] leap seconds and `--start`,
//! [`pty`] ptys and the host's input, [`scheduler`] the real-time loop, [`rng`] random draws,
//! [`uart`] a host UART at the wrong speed (`--host-baud`, a SIMULATED baud mismatch);
//! the receiver model (`--model`, `--factory`): [`model`] the parts, [`keys`] configuration
//! items and defaults, [`receiver`] layers and replies, [`legacy`] CFG-* messages, [`valcfg`]
//! CFG-VALSET/VALGET/VALDEL, [`survey`] survey-in.
//!
//! Must not depend on: the daemon or timectl. It stands in for the hardware, so it speaks only
//! the wire: UBX/NMEA bytes (framed with `timed-core`'s checksums) and the simulated-edge
//! datagram. Its own encoders are independent of the core's decoders, so a test that decodes
//! what the simulator sent checks one against the other.
#![forbid(unsafe_code)]

mod args;
mod burst;
mod fault;
mod gnss;
mod keys;
mod legacy;
mod line;
mod model;
mod nmea;
mod pty;
mod receiver;
mod rng;
mod scenario;
mod scheduler;
mod sky;
mod survey;
mod uart;
mod ubx;
mod utc;
mod valcfg;

use clap::Parser;
use nix::sys::signal::{SigSet, Signal};
use scheduler::{Control, PpsOut, Scheduler};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("timed-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &args::Cli) -> Result<(), String> {
    let mut scenario = cli.scenario()?;
    if let Some(b) = cli.host_baud {
        uart::MisreadUart::new(scenario.baud, b).map_err(|e| format!("--host-baud {b}: {e}"))?;
    }
    if cli.print_scenario {
        print!("{}", scenario.to_toml()?);
        return Ok(());
    }
    scenario.launch(scheduler::realtime_ns())?;
    let control = Arc::new(Control::default());
    // Block the stop signals in every thread and take them synchronously in one thread, so a
    // signal only sets a flag and the normal exit path removes the symlinks.
    let mut signals = SigSet::empty();
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        signals.add(sig);
    }
    signals.thread_block().map_err(|e| format!("blocking signals: {e}"))?;
    let ctl = Arc::clone(&control);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Ok(sig) = signals.wait() {
                eprintln!("timed-sim: {sig}, stopping");
                ctl.request_stop();
            }
        })
        .map_err(|e| format!("signal thread: {e}"))?;

    // Dropping a Pty removes its symlink, so every exit from here on cleans up.
    let ptys = cli.ptys.iter().map(|p| pty::Pty::create(p)).collect::<Result<Vec<_>, _>>()?;
    let truth: Option<Box<dyn Write>> = match &cli.truth_log {
        Some(path) => {
            let f = std::fs::File::create(path).map_err(|e| format!("truth log {}: {e}", path.display()))?;
            Some(Box::new(std::io::BufWriter::new(f)))
        }
        None => None,
    };
    let pps = match &cli.pps_socket {
        Some(path) => {
            let socket = std::os::unix::net::UnixDatagram::unbound()
                .map_err(|e| format!("pps socket {}: {e}", path.display()))?;
            // Never let a slow reader stall the clock: drop the edge instead.
            socket.set_nonblocking(true).map_err(|e| format!("pps socket {}: {e}", path.display()))?;
            Some(PpsOut { path: path.clone(), socket })
        }
        None => None,
    };
    let receiver = match scenario.model {
        Some(part) => receiver::Receiver::new(part, scenario.factory, &scenario, scenario.battery, false),
        None => receiver::Receiver::new(model::Part::F9t, false, &scenario, false, true),
    };
    let host = match (cli.host_baud, scenario.model) {
        (Some(b), _) => line::HostBaud::Fixed(b),
        (None, Some(_)) => line::HostBaud::Tty,
        (None, None) => line::HostBaud::Matched,
    };
    let record = match &cli.record_input {
        Some(path) => Some(Arc::new(std::sync::Mutex::new(
            std::fs::File::create(path).map_err(|e| format!("--record-input {}: {e}", path.display()))?,
        ))),
        None => None,
    };
    let rx_baud = Arc::new(std::sync::atomic::AtomicU32::new(receiver.config().baud));
    let (in_tx, in_rx) = std::sync::mpsc::channel();
    let input = pty::Input {
        frames: in_tx,
        stop: Arc::clone(&control.stop),
        rx_baud: Arc::clone(&rx_baud),
        host,
        record,
    };
    let mut readers = Vec::new();
    for (i, p) in ptys.iter().enumerate() {
        let ctl = Arc::clone(&control);
        readers.push(p.spawn_reader(i, input.clone(), move || ctl.wake())?);
    }
    drop(input);
    announce(&ptys).map_err(|e| format!("stdout: {e}"))?;

    let result = Scheduler {
        scenario: &scenario,
        ptys: &ptys,
        pps,
        truth,
        input: in_rx,
        control: Arc::clone(&control),
        host,
        receiver,
        rx_baud,
    }
    .run();
    control.request_stop();
    for r in readers {
        let _ = r.join();
    }
    drop(ptys);
    let stats = result?;
    eprintln!(
        "timed-sim: {} s simulated; edges sent {}, undeliverable {}; bytes written {}, dropped {}; replies {}; flash writes {}",
        stats.seconds,
        stats.edges_sent,
        stats.edges_failed,
        stats.bytes_written,
        stats.bytes_dropped,
        stats.acks,
        stats.flash_writes
    );
    Ok(())
}

/// The `pty:` lines and `ready`, flushed: a test harness or demo script waits for them.
fn announce(ptys: &[pty::Pty]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for p in ptys {
        writeln!(out, "pty: {} -> {}", p.link.display(), p.slave_path.display())?;
    }
    writeln!(out, "ready")?;
    out.flush()
}
