//! The `timed` command line: two options, help and version, parsed by hand.
//!
//! Why not an argument-parsing crate: its code was ~160 kB of the daemon's text, and the daemon's
//! resident set is mostly its mapped code, so it cost as much resident memory as it took on disk
//! for a parse done once at start-up. The help text keeps the layout the man page generator
//! (images/deb/manpage.py) reads: `Usage:`, an `Options:` section, one entry per line.

use std::ffi::OsString;
use std::path::PathBuf;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Run the daemon with this configuration file.
    Run {
        config: PathBuf,
    },
    /// Check a configuration file and exit.
    CheckConfig(PathBuf),
    Help,
    Version,
}

pub const USAGE: &str = "Usage: timed [OPTIONS]";

/// `timed --help`.
pub fn help(default_config: &str) -> String {
    format!(
        "GPS/PPS stratum-1 time daemon feeding chrony\n\n{USAGE}\n\nOptions:\n  \
         -c, --config <CONFIG>      Configuration file [default: {default_config}]\n      \
         --check-config <FILE>  Check a configuration file, print every problem as FILE:LINE:COL, and \
         exit (0 valid, 78 not)\n  \
         -h, --help                 Print help\n  \
         -V, --version              Print version\n"
    )
}

/// `timed --version`.
pub fn version() -> String {
    format!("timed {}\n", env!("CARGO_PKG_VERSION"))
}

/// Parses the arguments after the program name. An `Err` is the message for standard error
/// (exit status 2, usage).
pub fn parse(args: impl IntoIterator<Item = OsString>, default_config: &str) -> Result<Command, String> {
    let mut config: Option<PathBuf> = None;
    let mut check: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(s) = arg.to_str() else {
            return Err(unexpected(&arg.to_string_lossy()));
        };
        // `--config=FILE`, `-cFILE` and `--config FILE` / `-c FILE` all name the file.
        let (name, inline) = match s.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(OsString::from(v))),
            _ if s.starts_with("-c") && s.len() > 2 && !s.starts_with("--") => {
                ("-c", Some(OsString::from(&s[2..])))
            }
            _ => (s, None),
        };
        let slot = match name {
            "-h" | "--help" if inline.is_none() => return Ok(Command::Help),
            "-V" | "--version" if inline.is_none() => return Ok(Command::Version),
            "-c" | "--config" => (&mut config, "--config <CONFIG>"),
            "--check-config" => (&mut check, "--check-config <FILE>"),
            _ => return Err(unexpected(s)),
        };
        let (target, spec) = slot;
        if target.is_some() {
            return Err(format!(
                "error: the argument '{spec}' cannot be used multiple times\n\n{USAGE}\n\n\
                 For more information, try '--help'.\n"
            ));
        }
        match inline.or_else(|| args.next()).filter(|v| !v.is_empty()) {
            Some(v) => *target = Some(PathBuf::from(v)),
            None => {
                return Err(format!(
                    "error: a value is required for '{spec}' but none was supplied\n\n\
                     For more information, try '--help'.\n"
                ))
            }
        }
    }
    Ok(match check {
        Some(file) => Command::CheckConfig(file),
        None => Command::Run { config: config.unwrap_or_else(|| PathBuf::from(default_config)) },
    })
}

fn unexpected(arg: &str) -> String {
    format!("error: unexpected argument '{arg}' found\n\n{USAGE}\n\nFor more information, try '--help'.\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from), "/etc/timed/timed.toml")
    }

    #[test]
    fn the_config_file_in_every_spelling() {
        let run = |f: &str| Ok(Command::Run { config: f.into() });
        assert_eq!(p(&[]), run("/etc/timed/timed.toml"));
        assert_eq!(p(&["-c", "/a.toml"]), run("/a.toml"));
        assert_eq!(p(&["-c/a.toml"]), run("/a.toml"));
        assert_eq!(p(&["--config", "/a.toml"]), run("/a.toml"));
        assert_eq!(p(&["--config=/a.toml"]), run("/a.toml"));
        assert_eq!(p(&["--check-config", "/b.toml"]), Ok(Command::CheckConfig("/b.toml".into())));
        assert_eq!(
            p(&["--check-config=/b.toml", "-c", "/a.toml"]),
            Ok(Command::CheckConfig("/b.toml".into()))
        );
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(p(&["-h"]), Ok(Command::Help));
        assert_eq!(p(&["-c", "/a.toml", "--help"]), Ok(Command::Help));
        assert_eq!(p(&["-V"]), Ok(Command::Version));
        assert_eq!(p(&["--version"]), Ok(Command::Version));
        assert_eq!(version(), format!("timed {}\n", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn mistakes_are_usage_errors() {
        let e = p(&["--bogus"]).unwrap_err();
        assert!(e.starts_with("error: unexpected argument '--bogus' found\n\nUsage: timed [OPTIONS]"), "{e}");
        assert!(p(&["extra"]).unwrap_err().contains("unexpected argument 'extra'"));
        assert!(p(&["--help=x"]).unwrap_err().contains("unexpected argument '--help=x'"));
        let e = p(&["-c"]).unwrap_err();
        assert!(e.starts_with("error: a value is required for '--config <CONFIG>'"), "{e}");
        assert!(p(&["--check-config="])
            .unwrap_err()
            .contains("a value is required for '--check-config <FILE>'"));
        let e = p(&["-c", "/a", "--config", "/b"]).unwrap_err();
        assert!(e.contains("'--config <CONFIG>' cannot be used multiple times"), "{e}");
    }

    /// The man page generator reads this layout: an about line, `Usage:`, `Options:` entries.
    #[test]
    fn help_lists_every_option_with_its_default() {
        let h = help("/etc/timed/timed.toml");
        assert!(h.starts_with(
            "GPS/PPS stratum-1 time daemon feeding chrony\n\nUsage: timed [OPTIONS]\n\nOptions:\n"
        ));
        for entry in [
            "  -c, --config <CONFIG>      Configuration file [default: /etc/timed/timed.toml]\n",
            "      --check-config <FILE>  Check a configuration file, print every problem as FILE:LINE:COL, and exit (0 valid, 78 not)\n",
            "  -h, --help                 Print help\n",
            "  -V, --version              Print version\n",
        ] {
            assert!(h.contains(entry), "{entry:?} not in\n{h}");
        }
    }
}
