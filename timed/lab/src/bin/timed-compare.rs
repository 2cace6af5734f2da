//! `timed-compare`: timed and gpsd side by side on identical simulated receiver streams (issue 7).
//! Normally run through `bash tests/bench/compare.sh`, which installs gpsd, builds the gpsd pty
//! shim and the pure-core benches, and passes their paths here. Figures, not assertions: the
//! exit status is 0 whenever the measurements could be taken, whatever they show.
//!
//! usage: timed-compare --shim PATH [--duration SECONDS (600)] [--warmup SECONDS (20)]
//!                      [--loads basic,saturated] [--message-delay-ms MS (120)]
//!                      [--message-jitter-ms MS (simulator default 5)] [--port-base PORT (11460)]
//!                      [--core-log FILE] [--out FILE] [--command TEXT] [--keep]
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::Command;
use timed_lab::compare::report::{self, CoreFigures, Machine};
use timed_lab::compare::{run_load, Load, Settings};

const USAGE: &str = "usage: timed-compare --shim PATH [--duration SECONDS] [--warmup SECONDS] \
                     [--loads basic,saturated] [--message-delay-ms MS] [--message-jitter-ms MS] \
                     [--port-base PORT] [--core-log FILE] [--out FILE] [--command TEXT] [--keep]";

struct Args {
    settings: Settings,
    loads: Vec<Load>,
    core_log: Option<PathBuf>,
    out: Option<PathBuf>,
    command: String,
}

fn parse_args() -> Result<Args, String> {
    let mut s = Settings {
        duration_s: 600,
        warmup_s: 20,
        message_delay_ms: 120.0,
        message_jitter_ms: None,
        shim: PathBuf::new(),
        port_base: 11460,
        keep: false,
    };
    let mut a = Args {
        settings: s.clone(),
        loads: Load::ALL.to_vec(),
        core_log: None,
        out: None,
        command: String::new(),
    };
    let mut it = std::env::args().skip(1);
    fn num<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse().map_err(|_| format!("{flag}: not a valid number: {v:?}"))
    }
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--duration" => s.duration_s = num(&flag, it.next())?,
            "--warmup" => s.warmup_s = num(&flag, it.next())?,
            "--message-delay-ms" => s.message_delay_ms = num(&flag, it.next())?,
            "--message-jitter-ms" => s.message_jitter_ms = Some(num(&flag, it.next())?),
            "--port-base" => s.port_base = num(&flag, it.next())?,
            "--shim" => s.shim = it.next().ok_or("--shim needs a path")?.into(),
            "--keep" => s.keep = true,
            "--core-log" => a.core_log = Some(it.next().ok_or("--core-log needs a path")?.into()),
            "--out" => a.out = Some(it.next().ok_or("--out needs a path")?.into()),
            "--command" => a.command = it.next().ok_or("--command needs text")?,
            "--loads" => {
                let v = it.next().ok_or("--loads needs a list")?;
                a.loads = v
                    .split(',')
                    .map(|l| {
                        Load::parse(l)
                            .ok_or_else(|| format!("--loads: unknown load {l:?} (basic, saturated)"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if s.shim.as_os_str().is_empty() {
        return Err("--shim PATH is required (tests/bench/compare.sh builds it)".into());
    }
    if s.duration_s < 10 {
        return Err(format!("--duration {}: at least 10 s", s.duration_s));
    }
    if s.port_base > u16::MAX - 4 {
        return Err(format!("--port-base {}: too high", s.port_base));
    }
    if a.command.is_empty() {
        a.command = std::env::args().collect::<Vec<_>>().join(" ");
    }
    a.settings = s;
    Ok(a)
}

fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or("").trim().to_string()
        })
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| format!("{cmd}: not found"))
}

fn machine() -> Machine {
    let timed = timed_lab::locate_bin("timed", "TIMED_BIN").map(|p| p.display().to_string());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    Machine {
        kernel: first_line("uname", &["-srm"]),
        cpu: cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown CPU".into(), |(_, v)| v.trim().to_string()),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg_before: loadavg(),
        loadavg_after: String::new(),
        versions: vec![
            ("timed".into(), timed.map_or_else(|e| e, |t| first_line(&t, &["--version"]))),
            ("gpsd".into(), first_line("gpsd", &["-V"])),
            ("chronyd".into(), first_line("chronyd", &["-v"])),
        ],
        started_utc: first_line("date", &["-u", "+%Y-%m-%d %H:%M:%S"]),
        sim_fifo: timed_lab::realtime_allowed(),
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("timed-compare: {e}\n{USAGE}");
            std::process::exit(64);
        }
    };
    let mut m = machine();
    let core = args
        .core_log
        .as_ref()
        .map(|p| CoreFigures::parse(&std::fs::read_to_string(p).unwrap_or_default()))
        .unwrap_or_default();
    let progress = |msg: &str| eprintln!("timed-compare: {msg}");
    let mut results = Vec::new();
    for &load in &args.loads {
        match run_load(&args.settings, load, &progress) {
            Ok(r) => results.push(r),
            Err(e) => {
                eprintln!("timed-compare: load {}: {e}", load.name());
                std::process::exit(1);
            }
        }
    }
    m.loadavg_after = loadavg();
    let text = report::render(&args.settings, &m, &results, &core, &args.command);
    if let Some(out) = &args.out {
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(out, &text) {
            eprintln!("timed-compare: cannot write {}: {e}", out.display());
            std::process::exit(1);
        }
        eprintln!("timed-compare: report written to {}", out.display());
    }
    print!("{text}");
}
