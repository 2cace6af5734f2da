//! Values of the status document as the page shows them: a path into the JSON and a format.
//! The page's script (live.js) has the same lookup and the same formats, so a value reads the
//! same whether the server rendered it or a poll of `/status.json` did (the browser test
//! compares them).

use serde_json::Value;

/// How a value is shown. The names are the `data-f` attributes live.js reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    /// Strings as they are, integers in decimal, booleans yes/no.
    Text,
    /// Seconds, signed, in a unit that fits ("+1.250 ms").
    Secs,
    /// Seconds without the sign (deviations, bounds).
    Unsigned,
    /// Nanoseconds, shown as [`Fmt::Secs`].
    Ns,
    /// A Unix-ns timestamp, as the age at the document's `now_unix_ns` ("0.3 s ago").
    Ago,
    /// A Unix-ms timestamp, the same way.
    AgoMs,
    /// Parts per million, signed, three decimals.
    Ppm,
    /// Whole seconds ("12 s").
    WholeS,
    /// Degrees Celsius, one decimal.
    Celsius,
    /// chrony's reach register, octal.
    Octal,
}

impl Fmt {
    pub const ALL: [Fmt; 10] = [
        Fmt::Text,
        Fmt::Secs,
        Fmt::Unsigned,
        Fmt::Ns,
        Fmt::Ago,
        Fmt::AgoMs,
        Fmt::Ppm,
        Fmt::WholeS,
        Fmt::Celsius,
        Fmt::Octal,
    ];

    /// The format of a `data-f` name.
    pub fn from_name(name: &str) -> Option<Fmt> {
        Fmt::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Fmt::Text => "text",
            Fmt::Secs => "secs",
            Fmt::Unsigned => "unsigned",
            Fmt::Ns => "ns",
            Fmt::Ago => "ago",
            Fmt::AgoMs => "ago-ms",
            Fmt::Ppm => "ppm",
            Fmt::WholeS => "whole-s",
            Fmt::Celsius => "celsius",
            Fmt::Octal => "octal",
        }
    }
}

/// The value at `path`: dot-separated keys; a segment `key=value` picks the first element of
/// an array whose `key` is the string `value` (`timed.stats.pps.windows.window=1m.stddev_s`).
pub fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = doc;
    for seg in path.split('.') {
        v = match seg.split_once('=') {
            Some((k, want)) => {
                v.as_array()?.iter().find(|e| e.get(k).and_then(Value::as_str) == Some(want))?
            }
            None => v.get(seg)?,
        };
    }
    (!v.is_null()).then_some(v)
}

/// `v` shown as `f`; "-" for what is missing or not of the format's kind.
pub fn show(v: Option<&Value>, f: Fmt, now_ns: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    let num = v.as_f64();
    match (f, num) {
        (Fmt::Text, _) => match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
            Value::Number(n) => n.to_string(),
            _ => "-".into(),
        },
        (Fmt::Secs, Some(x)) => secs(x),
        (Fmt::Unsigned, Some(x)) => secs(x).trim_start_matches('+').to_string(),
        (Fmt::Ns, Some(x)) => secs(x / 1e9),
        // Both sides as doubles, as the browser's JSON.parse has them (Unix ns exceed 2^53).
        (Fmt::Ago, Some(t)) => now_ns.map_or("-".into(), |now| format!("{:.1} s ago", (now - t) / 1e9)),
        (Fmt::AgoMs, Some(t)) => {
            now_ns.map_or("-".into(), |now| format!("{:.1} s ago", (now - t * 1e6) / 1e9))
        }
        (Fmt::Ppm, Some(x)) => format!("{x:+.3} ppm"),
        (Fmt::WholeS, Some(x)) => format!("{x:.0} s"),
        (Fmt::Celsius, Some(x)) => format!("{x:.1} °C"),
        (Fmt::Octal, Some(x)) if x >= 0.0 && x.fract() == 0.0 => format!("{:03o}", x as u64),
        _ => "-".into(),
    }
}

/// The one formatting of seconds (`timectl` uses it too).
pub use crate::status::secs;

/// Text for HTML element content and attribute values: the five characters that could end
/// either are replaced, whatever the receiver or chronyd sent (a model name `<script>`, a
/// source name with quotes).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}
