//! Number formatting shared by the text views: seconds with a unit that fits, ages, and `--json`
//! output.

use serde::Serialize;
use std::process::ExitCode;

pub use timed::status::{secs, unsigned};

/// "0.3 s ago", or "never".
pub fn ago(now_ns: i64, then_ns: Option<i64>) -> String {
    match then_ns {
        Some(t) => format!("{:.1} s ago", (now_ns - t) as f64 / 1e9),
        None => "never".into(),
    }
}

pub fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Prints `v` as one pretty JSON document; a closed pipe is not an error.
pub fn print_json<T: Serialize>(v: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(v).map_err(|e| format!("cannot encode JSON: {e}"))?;
    print_out(&format!("{text}\n"))
}

/// Writes text to stdout; a closed pipe (`| head`) is not an error.
pub fn print_out(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("writing output: {e}")),
    }
}

/// Exit status when timed's control socket was too busy to answer (after retries): timed's state
/// is unknown, which health checks must not take for a failing time server (2).
pub const EXIT_BUSY: u8 = 3;

/// Says that timed's socket is busy and returns [`EXIT_BUSY`].
pub fn busy(cmd: &str, why: &str) -> ExitCode {
    eprintln!("timectl {cmd}: BUSY (timed runs; its state is unknown): {why}");
    ExitCode::from(EXIT_BUSY)
}

/// Exit code for a command result: errors printed on stderr, exit 2 (timectl's "failing").
pub fn finish(cmd: &str, r: Result<ExitCode, String>) -> ExitCode {
    match r {
        Ok(c) => c,
        Err(e) => {
            eprintln!("timectl {cmd}: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_seconds_ago() {
        assert_eq!(ago(3_500_000_000, Some(3_200_000_000)), "0.3 s ago");
        assert_eq!(ago(1, None), "never");
    }
}
