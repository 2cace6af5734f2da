//! `timectl decode`: a capture in, one line per epoch out (text or JSON lines), a summary of
//! frames, checksum failures and garbage on stderr.

use serde_json::{json, Value};
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;
use timed_core::epoch::{Assembler, Epoch};
use timed_core::stream::StreamDecoder;

#[derive(clap::Args)]
pub struct Args {
    /// Capture files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<String>,
}

/// `json`: one JSON object per epoch per line (schema in README: "timectl decode --json").
pub fn run(args: &Args, json: bool) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    for name in &args.files {
        match decode_one(name, json, &mut out) {
            Ok(()) => {}
            Err(msg) => {
                let _ = out.flush();
                eprintln!("timectl decode: {name}: {msg}");
                failed = true;
            }
        }
    }
    if let Err(e) = out.flush() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("timectl decode: writing output: {e}");
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn decode_one(name: &str, json: bool, out: &mut impl Write) -> Result<(), String> {
    let mut input: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        let f = std::fs::File::open(name).map_err(|e| format!("cannot open: {e}"))?;
        if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err("is a directory, not a capture file".into());
        }
        Box::new(f)
    };
    let mut dec = StreamDecoder::new(Assembler::new());
    let mut buf = vec![0u8; 64 * 1024];
    let mut write_err = None;
    let mut emit = |e: Epoch| {
        if write_err.is_none() {
            let line = if json { json_line(&e).to_string() } else { text_line(&e) };
            if let Err(err) = writeln!(out, "{line}") {
                write_err = Some(err);
            }
        }
    };
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("read failed: {e}")),
        };
        dec.feed(&buf[..n], None, &mut emit);
    }
    dec.finish(&mut emit);
    if let Some(e) = write_err {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(format!("writing output: {e}"));
        }
    }
    let fs = dec.framer_stats();
    let ds = dec.decode_stats();
    eprintln!(
        "{name}: {} bytes; frames: {} NMEA ({} without checksum), {} UBX; checksum failures: {} NMEA, {} UBX; \
         oversize: {}; garbage bytes: {}; undecodable: {} NMEA, {} UBX; epochs: {}",
        fs.bytes,
        fs.nmea,
        fs.nmea_without_checksum,
        fs.ubx,
        fs.nmea_checksum_errors,
        fs.ubx_checksum_errors,
        fs.oversize,
        fs.garbage_bytes,
        ds.nmea_errors,
        ds.ubx_errors,
        ds.epochs
    );
    if fs.nmea + fs.ubx == 0 {
        return Err(if fs.bytes == 0 {
            "empty input: no bytes to decode".to_string()
        } else {
            format!(
                "no NMEA or UBX frames in {} bytes: not a receiver capture (wrong file, or recorded at the wrong baud rate?)",
                fs.bytes
            )
        });
    }
    Ok(())
}

/// The documented JSON line for one epoch.
pub fn json_line(e: &Epoch) -> Value {
    let constellations: serde_json::Map<String, Value> = e
        .constellations
        .iter()
        .map(|c| (c.constellation.name().to_string(), json!({"used": c.used, "seen": c.seen})))
        .collect();
    json!({
        "time": e.time.map(|t| t.rfc3339_millis()),
        "time_valid": e.time_valid,
        "time_source": e.time_source.map(|s| s.name()),
        "fix": e.fix.name(),
        "fix_ok": e.fix_ok,
        "sats_used": e.sats_used,
        "sats_seen": e.sats_seen,
        "constellations": constellations,
        "tacc_ns": e.tacc_ns,
        "leap_s": e.leap.current_s,
        "leap_source": e.leap.source.name(),
        "leap_valid": e.leap.valid,
        "leap_event": e.leap.event.map(|ev| json!({"change": ev.change, "gps_week": ev.gps_week, "gps_day": ev.gps_day})),
        "next_pulse": e.next_pulse.and_then(|p| p.utc).map(|t| t.rfc3339_millis()),
        "qerr_ps": e.next_pulse.and_then(|p| p.qerr_ps),
        "antenna": e.antenna.map(|a| format!("{a:?}").to_lowercase()),
        "jamming_state": e.jamming.map(|j| j.state),
        "jam_ind": e.jamming.map(|j| j.indicator),
        "spoofing": e.spoofing,
        "itow_ms": e.itow_ms,
        "offset": e.first_offset,
        "messages": e.messages,
    })
}

fn text_line(e: &Epoch) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    format!(
        "{} {:<7} fix={:<4} used={:<3} seen={:<3} src={:<11} leap={} tacc={} qerr={}",
        opt(e.time.map(|t| t.rfc3339_millis())),
        if e.time.is_none() {
            "no-time"
        } else if e.time_valid {
            "valid"
        } else {
            "INVALID"
        },
        e.fix.name(),
        opt(e.sats_used.map(|v| v.to_string())),
        opt(e.sats_seen.map(|v| v.to_string())),
        opt(e.time_source.map(|s| s.name().to_string())),
        opt(e.leap.current_s.map(|v| v.to_string())),
        opt(e.tacc_ns.map(|v| format!("{v}ns"))),
        opt(e.next_pulse.and_then(|p| p.qerr_ps).map(|v| format!("{v}ps"))),
    )
}
