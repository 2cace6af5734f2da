//! Board files (boards/*.toml, schema in boards/README.md): `timectl validate-board` and
//! `timectl board ...`, which print what the Debian package installs for a board (config.txt
//! lines, console arguments, timed.toml, chrony refclocks) — the same values the NixOS image
//! takes from the file (images/lib/board.nix).

mod render;
mod schema;

pub use schema::Board;

use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// EX_CONFIG, as `timed --check-config` uses for a bad configuration.
const EXIT_INVALID: u8 = 78;

#[derive(Args)]
pub struct ValidateArgs {
    /// Board files to check (e.g. boards/*.toml).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct BoardArgs {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Args)]
pub struct One {
    /// The board file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Wiring variant (default: the file's default_wiring).
    #[arg(long, value_name = "ID")]
    pub wiring: Option<String>,
    /// Is the receiver's PPS output wired? `off`: timed-toml sets `[pps] source = "off"` and
    /// chrony prints the coarse refclock selectable (serial time only, milliseconds).
    #[arg(long, value_name = "MODE", default_value = "kernel")]
    pub pps: PpsWire,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PpsWire {
    /// The PPS output drives the board's pps_gpio (the kernel's pps-gpio device).
    Kernel,
    /// No PPS wire: coarse (serial) time only.
    Off,
}

#[derive(Subcommand)]
pub enum What {
    /// config.txt lines for /boot/firmware/config.txt.
    ConfigTxt(One),
    /// Kernel console= arguments (one per line).
    Cmdline(One),
    /// A complete timed.toml for the wiring.
    TimedToml(One),
    /// chrony lines: refclocks for timed's SOCK streams with the board's trims, the leap source,
    /// and the LAN server's NTS, rate-limit and client-log lines (the .deb drop-in's).
    Chrony(One),
    /// Everything rendered for every wiring (use --json for scripts).
    Show {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// The same as `show --json`.
    Json {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Name the board file in DIR whose dt_model matches this machine.
    Detect {
        /// Directory of board files.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Where the device-tree model string is read from (the environment variable lets a
        /// test or a chroot without the Pi's device tree stand in a model file).
        #[arg(
            long,
            value_name = "PATH",
            env = "TIMECTL_MODEL_FILE",
            default_value = "/proc/device-tree/model"
        )]
        model_file: PathBuf,
    },
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Reads, parses and checks a board file; `Err` holds every problem as `FILE:LINE:COL: ...`.
pub fn load(path: &Path) -> Result<Board, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("{}: cannot read the board file: {e}", path.display())])?;
    let at = |span: std::ops::Range<usize>, msg: &str, hint: Option<&str>| {
        let (l, c) = line_col(&text, span.start);
        let mut s = format!("{}:{l}:{c}: {msg}", path.display());
        if let Some(h) = hint {
            s.push_str("\n  hint: ");
            s.push_str(h);
        }
        s
    };
    let board: Board = toml::from_str(&text).map_err(|e| {
        let hint = e.message().contains("unknown field").then_some("the schema is in boards/README.md");
        vec![at(e.span().unwrap_or(0..0), e.message().trim(), hint)]
    })?;
    let stem = path.file_stem().and_then(|s| s.to_str());
    let mut problems: Vec<String> = schema::check(&board, stem)
        .iter()
        .map(|i| at(i.span.clone(), &i.message, i.hint.as_deref()))
        .collect();
    // The timed.toml each wiring implies must also pass the daemon's own configuration checks
    // (a safety net behind the checks above, which point at the offending line).
    let wirings = if problems.is_empty() { board.wiring.get_ref().iter().collect() } else { Vec::new() };
    for (wid, w) in wirings {
        let text = render::timed_toml(&board, wid, w.get_ref());
        if let Err(ps) = timed::config::parse(Path::new("timed.toml"), &text) {
            for p in ps {
                let msg =
                    format!("wiring {wid}: the timed.toml it implies is rejected by timed: {}", p.message);
                problems.push(at(w.span(), &msg, p.hint.as_deref()));
            }
        }
    }
    if problems.is_empty() {
        Ok(board)
    } else {
        Err(problems)
    }
}

pub fn validate(args: &ValidateArgs, json: bool) -> ExitCode {
    let mut failed = false;
    let mut report = Vec::new();
    for f in &args.files {
        match load(f) {
            Ok(b) => {
                let wirings: Vec<&String> = b.wiring.get_ref().keys().collect();
                if !json {
                    println!("{}: ok ({}, wirings {wirings:?})", f.display(), b.board.get_ref());
                }
                report.push(serde_json::json!({"file": f, "ok": true, "board": b.board.get_ref()}));
            }
            Err(problems) => {
                failed = true;
                for p in &problems {
                    eprintln!("{p}");
                }
                report.push(serde_json::json!({"file": f, "ok": false, "problems": problems}));
            }
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(report));
    }
    if failed {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

fn with_wiring(one: &One, f: impl FnOnce(&Board, &str, &schema::Wiring) -> String) -> ExitCode {
    let b = match load(&one.file) {
        Ok(b) => b,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let wid = one.wiring.clone().unwrap_or_else(|| b.default_wiring.get_ref().clone());
    match b.wiring.get_ref().get(&wid) {
        Some(w) => {
            print!("{}", f(&b, &wid, w.get_ref()));
            ExitCode::SUCCESS
        }
        None => {
            let ids: Vec<&String> = b.wiring.get_ref().keys().collect();
            eprintln!("{}: no wiring {wid:?}; this board has {ids:?}", one.file.display());
            ExitCode::from(2)
        }
    }
}

fn lines(v: Vec<String>) -> String {
    v.into_iter().map(|l| l + "\n").collect()
}

pub fn run(args: &BoardArgs, json: bool) -> ExitCode {
    match &args.what {
        What::ConfigTxt(one) => with_wiring(one, |b, _, w| render::config_txt(b, w)),
        What::Cmdline(one) => with_wiring(one, |_, _, w| lines(render::kernel_params(w))),
        What::TimedToml(one) if one.pps == PpsWire::Off => with_wiring(one, render::timed_toml_coarse_only),
        What::TimedToml(one) => with_wiring(one, render::timed_toml),
        What::Chrony(one) if one.pps == PpsWire::Off => {
            with_wiring(one, |_, _, w| lines(render::chrony_lines_coarse_only(w, render::COARSE_SOCK)))
        }
        What::Chrony(one) => {
            with_wiring(one, |_, _, w| lines(render::chrony_lines(w, render::PPS_SOCK, render::COARSE_SOCK)))
        }
        What::Json { file } => show(file, true),
        What::Show { file } => show(file, json),
        What::Detect { dir, model_file } => detect(dir, model_file, json),
    }
}

fn show(file: &Path, json: bool) -> ExitCode {
    match load(file) {
        Ok(b) => {
            let out = render::board_out(&b);
            if json {
                println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else {
                print_show(&out);
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn print_show(b: &render::BoardOut) {
    println!("{} ({}, {}), default wiring {}", b.name, b.board, b.soc, b.default_wiring);
    for (id, w) in &b.wiring {
        println!("\nwiring {id}: {}", w.summary);
        println!(
            "  receiver {} at {} baud, PPS on GPIO{} ({})",
            w.serial_device, w.baud, w.pps_gpio, w.pps_device
        );
        println!("  kernel: {}    no getty on: {}", w.kernel_params.join(" "), w.getty_off.join(" "));
        println!("  config.txt:");
        for l in w.config_txt.lines() {
            println!("    {l}");
        }
        println!("  chrony:");
        for l in &w.chrony_refclocks {
            println!("    {l}");
        }
    }
}

fn detect(dir: &Path, model_file: &Path, json: bool) -> ExitCode {
    let model = match std::fs::read(model_file) {
        // The device-tree property ends in a NUL byte.
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim_end_matches(['\0', '\n']).to_string(),
        Err(e) => {
            eprintln!("{}: cannot read the board model: {e}", model_file.display());
            return ExitCode::from(2);
        }
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => {
            rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect()
        }
        Err(e) => {
            eprintln!("{}: cannot list board files: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    files.sort();
    for f in files {
        let b = match load(&f) {
            Ok(b) => b,
            Err(problems) => {
                eprintln!("{}: skipped, not a valid board file ({} problems)", f.display(), problems.len());
                continue;
            }
        };
        if b.dt_model.get_ref().iter().any(|m| model.starts_with(m.as_str())) {
            if json {
                println!("{}", serde_json::json!({"model": model, "board": b.board.get_ref(), "file": f}));
            } else {
                println!("{}", f.display());
            }
            return ExitCode::SUCCESS;
        }
    }
    eprintln!(
        "no board file in {} matches the model {model:?}: name the closest one yourself \
         (e.g. {}/pi4b.toml) or add one (boards/README.md)",
        dir.display(),
        dir.display()
    );
    ExitCode::from(1)
}
