//! The IERS/NIST `leap-seconds.list` (tzdata installs it as
//! `/usr/share/zoneinfo/leap-seconds.list`): when TAI−UTC changed, and until when that knowledge
//! holds. The receiver's own leap indication can be stale or wrong; this list is the second,
//! independent witness that lets the daemon refuse to serve a second it cannot vouch for.
//!
//! Format, one item per line:
//! - `NTP-seconds  TAI-UTC  # date`: from that instant (seconds since 1900-01-01T00:00:00Z,
//!   always a UTC midnight) TAI−UTC is that many seconds;
//! - `#@ NTP-seconds`: the list's expiry — after it a leap the list does not show may be due;
//! - `#$ NTP-seconds`: when the list was last updated;
//! - `#h w1 w2 w3 w4 w5`: SHA-1 over the `#$` and `#@` values and the data lines' two numbers,
//!   in file order, with all whitespace and comments left out (the file's header says so);
//! - any other `#` line is a comment.
//!
//! Pure: text in, answers out; the daemon reads the file and supplies "now".

mod sha1;

use core::fmt;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01): 70 years, 17 leap days.
pub const NTP_UNIX_OFFSET_S: i64 = 2_208_988_800;
/// TAI−UTC at the GPS epoch (1980-01-06), which GPS time has kept ever since.
pub const TAI_GPS_S: i32 = 19;
const SECONDS_PER_DAY: i64 = 86_400;

/// One line of data: from `unix_s` on, TAI−UTC is `tai_utc` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeapEntry {
    pub unix_s: i64,
    pub tai_utc: i32,
}

/// A parsed, checked leap-seconds list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeapList {
    entries: Vec<LeapEntry>,
    expires_unix_s: i64,
    updated_unix_s: Option<i64>,
    hash_checked: bool,
}

/// What is wrong with a list, and on which line (1-based; for something missing, the last line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeapListError {
    pub line: usize,
    pub problem: Problem,
}

/// The problems [`LeapList::parse`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The first field of a data line is not an NTP timestamp.
    BadTime(String),
    /// The second field of a data line is not a TAI−UTC count.
    BadOffset(String),
    /// A data line has one field, or more than two before its comment.
    FieldCount(usize),
    /// A data line's time is not after the previous one's (that line number).
    Unsorted { previous_line: usize },
    /// TAI−UTC changed by something other than one second.
    BadStep(i64),
    /// A data line's time is not a UTC midnight, where every leap takes effect.
    NotMidnight,
    /// The value of a `#@`, `#$` or `#h` line does not parse (the marker, the text).
    BadValue(&'static str, String),
    /// A second `#@` or `#$` line (the marker, the first one's line).
    Duplicate(&'static str, usize),
    /// No `#@` line: without an expiry the list could be trusted forever.
    MissingExpiry,
    /// No data lines.
    NoEntries,
    /// The `#h` hash does not match the data: the file was damaged or edited.
    HashMismatch { stated: [u32; 5], computed: [u32; 5] },
}

impl fmt::Display for LeapListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.problem {
            Problem::BadTime(t) => write!(f, "{t:?} is not an NTP timestamp (seconds since 1900)"),
            Problem::BadOffset(t) => write!(f, "{t:?} is not a TAI-UTC count of seconds"),
            Problem::FieldCount(n) => {
                write!(f, "{n} fields before the comment, want 2 (NTP-seconds TAI-UTC)")
            }
            Problem::Unsorted { previous_line } => {
                write!(f, "not after the entry on line {previous_line} (entries must be in time order)")
            }
            Problem::BadStep(s) => write!(f, "TAI-UTC steps by {s} s (a leap is one second)"),
            Problem::NotMidnight => write!(f, "not a UTC midnight (every leap takes effect at 00:00:00)"),
            Problem::BadValue(m, t) => write!(f, "{m} value {t:?} does not parse"),
            Problem::Duplicate(m, first) => write!(f, "a second {m} line (the first is line {first})"),
            Problem::MissingExpiry => write!(f, "no #@ expiry line in the whole list"),
            Problem::NoEntries => write!(f, "no leap entries in the whole list"),
            Problem::HashMismatch { stated, computed } => {
                write!(f, "#h hash {} does not match the data ({})", hex(stated), hex(computed))
            }
        }
    }
}

fn hex(words: &[u32; 5]) -> String {
    words.iter().map(|w| format!("{w:08x}")).collect::<Vec<_>>().join(" ")
}

impl LeapList {
    /// Parses and checks a list: every data line well formed, in time order, one-second steps at
    /// UTC midnights; exactly one expiry; the `#h` hash, when there is one, matching.
    pub fn parse(text: &str) -> Result<LeapList, LeapListError> {
        let err = |line, problem| Err(LeapListError { line, problem });
        let mut entries: Vec<LeapEntry> = Vec::new();
        let mut last_entry_line = 0;
        let mut expires: Option<(i64, usize)> = None;
        let mut updated: Option<(i64, usize)> = None;
        let mut stated_hash: Option<([u32; 5], usize)> = None;
        // What the `#h` hash covers, built as the lines go by.
        let mut hashed = String::new();
        let mut lines = 0;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            lines = n;
            let line = raw.trim();
            if let Some(rest) = line.strip_prefix('#') {
                // `#h` only when a space follows, so a comment that happens to start with an
                // h is still a comment.
                let mut chars = rest.chars();
                let (marker, value) = match (chars.next(), chars.next()) {
                    (Some('@'), _) => ("#@", rest[1..].trim()),
                    (Some('$'), _) => ("#$", rest[1..].trim()),
                    (Some('h'), Some(c)) if c.is_whitespace() => ("#h", rest[1..].trim()),
                    _ => continue,
                };
                if marker == "#h" {
                    if let Some((_, first)) = stated_hash {
                        return err(n, Problem::Duplicate("#h", first));
                    }
                    match parse_hash(value) {
                        Some(h) => stated_hash = Some((h, n)),
                        None => return err(n, Problem::BadValue("#h", value.to_string())),
                    }
                    continue;
                }
                let slot = if marker == "#@" { &mut expires } else { &mut updated };
                if let Some((_, first)) = *slot {
                    return err(n, Problem::Duplicate(marker, first));
                }
                let Some(unix_s) = parse_ntp(value) else {
                    return err(n, Problem::BadValue(marker, value.to_string()));
                };
                *slot = Some((unix_s, n));
                hashed.push_str(value);
                continue;
            }
            let data = line.split('#').next().unwrap_or("");
            let fields: Vec<&str> = data.split_whitespace().collect();
            if fields.is_empty() {
                continue;
            }
            let Some(unix_s) = parse_ntp(fields[0]) else {
                return err(n, Problem::BadTime(fields[0].to_string()));
            };
            if fields.len() != 2 {
                return err(n, Problem::FieldCount(fields.len()));
            }
            let Some(tai_utc) = fields[1].parse::<i32>().ok().filter(|v| (0..=1000).contains(v)) else {
                return err(n, Problem::BadOffset(fields[1].to_string()));
            };
            if unix_s.rem_euclid(SECONDS_PER_DAY) != 0 {
                return err(n, Problem::NotMidnight);
            }
            if let Some(prev) = entries.last() {
                if unix_s <= prev.unix_s {
                    return err(n, Problem::Unsorted { previous_line: last_entry_line });
                }
                let step = i64::from(tai_utc) - i64::from(prev.tai_utc);
                if step.abs() != 1 {
                    return err(n, Problem::BadStep(step));
                }
            }
            entries.push(LeapEntry { unix_s, tai_utc });
            last_entry_line = n;
            hashed.push_str(fields[0]);
            hashed.push_str(fields[1]);
        }
        let Some((expires_unix_s, _)) = expires else {
            return err(lines, Problem::MissingExpiry);
        };
        if entries.is_empty() {
            return err(lines, Problem::NoEntries);
        }
        if let Some((stated, n)) = stated_hash {
            let computed = sha1::sha1(hashed.as_bytes());
            if stated != computed {
                return err(n, Problem::HashMismatch { stated, computed });
            }
        }
        Ok(LeapList {
            entries,
            expires_unix_s,
            updated_unix_s: updated.map(|(u, _)| u),
            hash_checked: stated_hash.is_some(),
        })
    }

    /// The instant (Unix seconds) after which the list may be missing a leap.
    pub fn expires_unix_s(&self) -> i64 {
        self.expires_unix_s
    }

    /// When the list was last updated (`#$`), if it says.
    pub fn updated_unix_s(&self) -> Option<i64> {
        self.updated_unix_s
    }

    /// Whether a `#h` hash was present (and, since parsing succeeded, matched).
    pub fn hash_checked(&self) -> bool {
        self.hash_checked
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[LeapEntry] {
        &self.entries
    }

    /// True from the expiry instant on: the list can no longer rule out a leap it does not show.
    pub fn is_expired(&self, now_unix_s: i64) -> bool {
        now_unix_s >= self.expires_unix_s
    }

    /// TAI−UTC in force at `unix_s`, or `None` before the first entry (1972, when UTC began to
    /// step by whole seconds). Past the expiry this is still the last known value — callers
    /// that must not rely on it there check [`LeapList::is_expired`]; the "hold" policy needs it
    /// to compare with the receiver.
    pub fn tai_utc_at(&self, unix_s: i64) -> Option<i32> {
        let after = self.entries.partition_point(|e| e.unix_s <= unix_s);
        after.checked_sub(1).map(|i| self.entries[i].tai_utc)
    }

    /// GPS−UTC (the receiver's leap-second count) at `unix_s`: TAI−UTC − 19. `None` before the
    /// GPS epoch, where GPS time did not exist.
    pub fn gps_utc_at(&self, unix_s: i64) -> Option<i32> {
        if unix_s < crate::time::GPS_EPOCH_UNIX {
            return None;
        }
        self.tai_utc_at(unix_s).map(|t| t - TAI_GPS_S)
    }

    /// The leap at the end of UTC day `unix_day` (days since 1970-01-01): `Some(1)` for an
    /// inserted second (23:59:60), `Some(-1)` for a deleted one, `Some(0)` for none. `None` when
    /// the list cannot say: the day ends after the expiry, or before the entry after the first
    /// (the first entry has no predecessor to step from).
    pub fn leap_at_end_of_day(&self, unix_day: i64) -> Option<i8> {
        let midnight = unix_day.checked_add(1)?.checked_mul(SECONDS_PER_DAY)?;
        let first = self.entries.first()?;
        if midnight > self.expires_unix_s || midnight <= first.unix_s {
            return None;
        }
        let before = self.tai_utc_at(midnight - 1)?;
        let after = self.tai_utc_at(midnight)?;
        i8::try_from(after - before).ok()
    }
}

/// An NTP timestamp (seconds since 1900, unsigned) as Unix seconds.
fn parse_ntp(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // u32 NTP era 0 covers 1900..2036; tzdata's list stays in it, and a larger value is damage.
    text.parse::<u32>().ok().map(|s| i64::from(s) - NTP_UNIX_OFFSET_S)
}

/// The five hex words of a `#h` line. Some published copies drop a word's leading zeros, so the
/// words are read as numbers rather than compared as text.
fn parse_hash(text: &str) -> Option<[u32; 5]> {
    let mut words = [0u32; 5];
    let mut it = text.split_whitespace();
    for w in &mut words {
        let t = it.next()?;
        if t.len() > 8 {
            return None;
        }
        *w = u32::from_str_radix(t, 16).ok()?;
    }
    it.next().is_none().then_some(words)
}

#[cfg(test)]
mod tests;
