//! The status document: what `timectl status --json` prints and the metrics listener serves as
//! `/status.json` (docs/control.md). One owner, so the two can never disagree: the view it is
//! made from ([`View`]: timed's snapshot and chronyd's reading, or why either is missing), the
//! verdict over it (`crate::verdict`), and the number formatting the texts use.
//!
//! Pure: no I/O and no clock. Who reads timed (timectl over the control socket, the daemon from
//! its own snapshot) builds the [`View`]; the time is the snapshot's `now_unix_ns`.

use crate::chronyctl::Report;
use crate::control::Message;
use crate::health::Health;
use crate::verdict::{Assessment, Reason, Verdict};
use serde::Serialize;

/// Why timed's state could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// timed answered `busy` to every attempt: it runs, its socket is full.
    Busy,
    /// timed accepted and closed before answering, every attempt: it runs but sheds
    /// connections (overloaded socket), or is stopping.
    Closed,
    /// The socket's permissions do not let this user connect.
    PermissionDenied,
    /// No socket at that path.
    Missing,
    /// A socket file nobody listens on (timed stopped uncleanly).
    NotListening,
    /// Connected, but no answer in time.
    Hung,
    /// An answer that is not timed's (another program, another schema).
    Protocol,
    Other,
}

impl Failure {
    /// timed runs and only its socket is too busy to answer: its state is unknown, not bad.
    pub fn is_busy(self) -> bool {
        matches!(self, Failure::Busy | Failure::Closed)
    }
}

/// A failed request to timed: what happened, in words that name the socket.
#[derive(Clone, Debug, PartialEq)]
pub struct CtlError {
    pub kind: Failure,
    pub message: String,
}

impl CtlError {
    pub fn new(kind: Failure, message: String) -> CtlError {
        CtlError { kind, message }
    }
}

impl From<CtlError> for String {
    fn from(e: CtlError) -> String {
        e.message
    }
}

/// One look at the running system: what the verdict is judged on.
pub struct View {
    /// timed's message, or why there is none.
    pub timed: Result<Message, CtlError>,
    /// chronyd's view, or why there is none.
    pub chrony: Result<Report, String>,
    /// Where chronyd's view came from ("via timed", or the socket read directly).
    pub chrony_from: String,
}

impl View {
    /// The view a snapshot message of timed gives: chronyd's reading as timed made it.
    pub fn from_message(m: Message) -> View {
        let chrony = match (&m.chrony, &m.chrony_note) {
            (Some(r), _) => Ok(r.clone()),
            (None, note) => Err(note.clone().unwrap_or_else(|| "timed sent no chrony part".into())),
        };
        View { timed: Ok(m), chrony, chrony_from: "via timed".to_string() }
    }

    /// timed's state, when it was read.
    pub fn health(&self) -> Option<&Health> {
        self.timed.as_ref().ok().and_then(|m| m.timed.as_ref())
    }
}

/// The document (`timectl status --json`, `GET /status.json`).
#[derive(Serialize)]
pub struct StatusJson<'a> {
    pub schema: u32,
    /// When timed wrote its snapshot (Unix ns; null when timed could not be read): the time the
    /// ages in the document (`last_edge_ns`, `last_epoch_ns`, …) are measured against.
    pub now_unix_ns: Option<i64>,
    pub verdict: Verdict,
    pub reasons: &'a [Reason],
    pub timed: Option<&'a Health>,
    pub timed_error: Option<&'a str>,
    /// Why `timed` is null, typed (`busy`, `permission-denied`, `missing`, …).
    pub timed_error_kind: Option<Failure>,
    pub chrony: Option<&'a Report>,
    pub chrony_error: Option<&'a str>,
    pub chrony_from: &'a str,
    /// The NTS certificate chronyd serves (`timectl status` reads it; null in `/status.json`,
    /// which timed serves without looking at chrony's files, and when `[nts] cert` is "").
    pub nts: Option<&'a crate::nts_cert::NtsCert>,
}

impl<'a> StatusJson<'a> {
    pub fn new(v: &'a View, a: &'a Assessment) -> StatusJson<'a> {
        StatusJson {
            schema: crate::control::SCHEMA,
            now_unix_ns: v.timed.as_ref().ok().map(|m| m.now_unix_ns),
            verdict: a.verdict,
            reasons: &a.reasons,
            timed: v.health(),
            timed_error: v.timed.as_ref().err().map(|e| e.message.as_str()),
            timed_error_kind: v.timed.as_ref().err().map(|e| e.kind),
            chrony: v.chrony.as_ref().ok(),
            chrony_error: v.chrony.as_ref().err().map(|s| s.as_str()),
            chrony_from: &v.chrony_from,
            nts: None,
        }
    }

    /// The document with the NTS certificate's state.
    pub fn with_nts(self, nts: Option<&'a crate::nts_cert::NtsCert>) -> StatusJson<'a> {
        StatusJson { nts, ..self }
    }
}

/// A signed duration in seconds with a readable unit: "+12 ns", "-3.4 µs", "+1.250 ms", "+2.000 s".
pub fn secs(s: f64) -> String {
    let a = s.abs();
    if !s.is_finite() {
        "-".into()
    } else if a < 1e-6 {
        format!("{:+.0} ns", s * 1e9)
    } else if a < 1e-3 {
        format!("{:+.1} µs", s * 1e6)
    } else if a < 1.0 {
        format!("{:+.3} ms", s * 1e3)
    } else {
        format!("{s:+.3} s")
    }
}

/// As [`secs`] without the sign (for deviations and bounds).
pub fn unsigned(s: f64) -> String {
    secs(s).trim_start_matches('+').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_fit_the_magnitude() {
        assert_eq!(secs(12e-9), "+12 ns");
        assert_eq!(secs(-3.44e-6), "-3.4 µs");
        assert_eq!(secs(1.25e-3), "+1.250 ms");
        assert_eq!(secs(2.0), "+2.000 s");
        assert_eq!(secs(f64::NAN), "-");
        assert_eq!(unsigned(25e-9), "25 ns");
    }
}
