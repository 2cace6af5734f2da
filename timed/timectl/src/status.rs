//! `timectl status`: the verdict with its reasons, then receiver, PPS, outputs and chrony, each
//! on a few lines. Exit 0 OK, 1 DEGRADED, 2 FAILING, 3 BUSY (timed's control socket too busy to
//! answer: state unknown, not failing), so scripts and health checks can use it.

use crate::client::{Target, View};
use crate::fmt::{ago, opt, secs, unsigned};
use crate::verdict::{assess, Assessment, Verdict};
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use timed::health::Health;
use timed::nts_cert::NtsCert;
use timed::status::StatusJson;

#[derive(clap::Args)]
pub struct Args {
    /// timed's configuration, for `[nts] cert` [default: the running timed's, else
    /// /etc/timed/timed.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// chronyd's configuration, for `ntsservercert` [default: the running chronyd's -f, else
    /// /etc/chrony/chrony.conf].
    #[arg(long, value_name = "FILE")]
    pub chrony_conf: Option<PathBuf>,
}

pub fn run(t: &Target, args: &Args, json: bool) -> Result<ExitCode, String> {
    let v = t.view();
    let a = assess(&v);
    let nts = nts(&v, args);
    if json {
        crate::fmt::print_json(&StatusJson::new(&v, &a).with_nts(nts.as_ref()))?;
    } else {
        let mut o = render(&v, &a);
        if let Some(n) = &nts {
            crate::nts::render(&mut o, n);
        }
        crate::fmt::print_out(&o)?;
    }
    Ok(exit_code(a.verdict))
}

/// The NTS certificate timed.toml names (the default path when timed.toml cannot be read),
/// judged against chronyd's configuration.
fn nts(v: &View, args: &Args) -> Option<NtsCert> {
    let config = args.config.clone().unwrap_or_else(|| {
        v.health()
            .map(|h| h.config_path.clone())
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(timed::config::DEFAULT_PATH), PathBuf::from)
    });
    let cert = timed::config::load(&config)
        .map_or_else(|_| PathBuf::from(timed::nts_cert::DEFAULT_CERT), |c| c.nts.cert);
    let chrony_conf = args.chrony_conf.clone().unwrap_or_else(crate::doctor::gather::running_chrony_conf);
    crate::nts::look(&cert, crate::doctor::chrony_conf::load(&chrony_conf).as_ref())
}

pub fn exit_code(v: Verdict) -> ExitCode {
    ExitCode::from(match v {
        Verdict::Ok => 0,
        Verdict::Degraded => 1,
        Verdict::Failing => 2,
        Verdict::Busy => crate::fmt::EXIT_BUSY,
    })
}

pub fn render(v: &View, a: &Assessment) -> String {
    let mut o = String::new();
    let version = v.timed.as_ref().ok().and_then(|m| m.timed.as_ref()).map_or("?", |h| &h.version);
    let _ = writeln!(o, "timed {version}: {}", a.verdict.name());
    for r in &a.reasons {
        let _ = writeln!(o, "  {:<8} {} ({})", r.severity.name(), r.message, r.code);
        let _ = writeln!(o, "           fix: {}", r.fix);
    }
    if let Ok(m) = &v.timed {
        if let Some(h) = &m.timed {
            timed_part(&mut o, h, m.now_unix_ns);
        }
    }
    chrony_part(&mut o, v);
    o
}

fn timed_part(o: &mut String, h: &Health, now: i64) {
    let rx = &h.receiver;
    // MON-VER: the module name is in the MOD= extension on M8 and later; hwVersion is a code.
    let module = rx.extensions.iter().find_map(|e| e.strip_prefix("MOD="));
    let fw = rx.extensions.iter().find_map(|e| e.strip_prefix("FWVER=")).or(rx.firmware.as_deref());
    let model = match (module, &rx.model, fw) {
        (Some(m), Some(hw), Some(f)) => format!("{m} (hw {hw}, fw {f})"),
        (None, Some(hw), Some(f)) => format!("hw {hw} (fw {f})"),
        (_, Some(hw), None) => format!("hw {hw}"),
        _ => "model unknown (no MON-VER yet)".into(),
    };
    let _ = writeln!(o, "\nreceiver  {} {} · {model} · {} epochs", rx.device, rx.serial_state, rx.epochs);
    let _ = writeln!(
        o,
        "          fix {}{} · time {} {} ({}) · tAcc {} ns",
        rx.fix,
        if rx.fix_ok { " ok" } else { "" },
        opt(&rx.time),
        if rx.time_valid { "valid" } else { "NOT valid" },
        opt(&rx.time_source),
        opt(&rx.tacc_ns)
    );
    let per: Vec<String> = rx.constellations.iter().map(|(c, u, s)| format!("{c} {u}/{s}")).collect();
    let _ = writeln!(
        o,
        "          satellites {}/{} used/seen ({})",
        opt(&rx.sats_used),
        opt(&rx.sats_seen),
        per.join(", ")
    );
    let jam = match rx.jamming_state {
        Some(0) => "unknown",
        Some(1) => "ok",
        Some(2) => "WARNING",
        Some(3) => "CRITICAL",
        _ => "-",
    };
    let spoof = match rx.spoofing {
        Some(1) => "none",
        Some(2) => "INDICATED",
        Some(3) => "MULTIPLE INDICATIONS",
        _ => "-",
    };
    let leap = match rx.leap_change {
        Some(c) => format!(" (leap second {c:+} announced)"),
        None => String::new(),
    };
    let _ = writeln!(
        o,
        "          antenna {} · jamming {jam} (ind {}) · spoofing {spoof} · leap {} s {}{}{leap}",
        opt(&rx.antenna),
        opt(&rx.jam_ind),
        opt(&rx.leap_s),
        rx.leap_source.name(),
        if rx.leap_valid { "" } else { " (not yet valid)" }
    );
    if let Some(line) = crate::setup_status::time_mode_line(rx) {
        let _ = writeln!(o, "          {line}");
    }
    if let Some(line) = crate::setup_status::setup_line(&h.receiver_setup) {
        let _ = writeln!(o, "          {line}");
    }
    let f = &rx.framer;
    let _ = writeln!(
        o,
        "          bytes {} · NMEA {} · UBX {} · checksum errors {} · garbage {} B",
        f.bytes, f.nmea, f.ubx, f.checksum_errors, f.garbage_bytes
    );
    let p = &h.pps;
    let sim = if p.simulated { " (SIMULATED)" } else { "" };
    let _ = writeln!(o, "pps       {} {} {}{sim} · {}", p.source, p.device, p.device_state, p.state);
    let jitter = h
        .stats
        .pps
        .as_ref()
        .and_then(|s| s.windows.iter().find(|w| w.window == "1m"))
        .map_or("-".to_string(), |w| unsigned(w.stddev_s));
    let missed = p.rejects.iter().find(|(r, _)| r == "missed_pulse").map_or(0, |(_, n)| *n);
    let _ = writeln!(
        o,
        "          last edge {} · edges {} · samples {} · offset {} · jitter (1m σ) {jitter} · missed {missed}",
        ago(now, p.last_edge_ns),
        p.edges,
        p.samples,
        p.last_offset_ns.map_or("-".into(), |n| secs(n as f64 / 1e9))
    );
    let rejects: Vec<String> =
        p.rejects.iter().filter(|(_, n)| *n > 0).map(|(r, n)| format!("{r} {n}")).collect();
    if !rejects.is_empty() {
        let _ = writeln!(o, "          rejected: {}", rejects.join(", "));
    }
    let _ = writeln!(o, "outputs   coarse samples {}", h.coarse_samples);
    for s in &h.sinks {
        let _ = writeln!(
            o,
            "          {} {} {} · sent {} · last {} · errors {}{}",
            s.kind,
            s.target,
            s.state,
            s.sent,
            ago(now, s.last_sent_ns),
            s.errors,
            s.error.as_ref().map_or(String::new(), |e| format!(" ({e})"))
        );
    }
}

fn chrony_part(o: &mut String, v: &View) {
    let c = match &v.chrony {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(o, "chrony    unavailable: {e}");
            return;
        }
    };
    if let Ok(t) = &c.tracking {
        let _ = writeln!(
            o,
            "chrony    stratum {} · reference {} · system offset {} · frequency {:+.3} ppm · leap {}",
            t.stratum,
            t.ref_name,
            secs(t.system_offset_s),
            t.frequency_ppm,
            t.leap_status
        );
    }
    match &c.sources {
        Ok(list) => {
            for s in list {
                let _ = writeln!(
                    o,
                    "          {} {:<16} {:<8} {:<11} last {} ± {} reach {:03o}",
                    crate::chrony::state_char(&s.state),
                    s.name,
                    s.mode,
                    s.state,
                    secs(s.last_offset_s),
                    unsigned(s.last_error_s),
                    s.reach
                );
            }
        }
        Err(e) => {
            let _ = writeln!(o, "          sources unavailable: {e}");
        }
    }
    match &c.serverstats {
        Ok(s) => {
            let _ = writeln!(
                o,
                "          NTP clients served: {} requests ({} dropped)",
                s.ntp_hits, s.ntp_drops
            );
        }
        Err(e) => {
            let _ = writeln!(o, "          serverstats unavailable: {e}");
        }
    }
    let _ = writeln!(o, "          (chrony read {})", v.chrony_from);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Health checks tell the verdicts apart by exit status; BUSY (state unknown) is not 2.
    #[test]
    fn each_verdict_has_its_exit_status() {
        let codes = [(Verdict::Ok, 0), (Verdict::Degraded, 1), (Verdict::Failing, 2), (Verdict::Busy, 3)];
        for (v, code) in codes {
            assert_eq!(exit_code(v), ExitCode::from(code), "{v:?}");
        }
    }
}
