//! UTC bookkeeping of the simulation: the leap second of a `leap` fault, and `--start`.
//!
//! The scheduler counts seconds continuously ("counts": POSIX seconds as they would be without
//! the leap, one per pulse). A leap second changes only which UTC label a count has:
//! - +1: count M (the midnight after the leap day) is 23:59:60, count c > M is POSIX c − 1;
//! - −1: 23:59:59 does not exist, count c ≥ M − 1 is POSIX c + 1.
//!
//! GPS time is count − GPS epoch + the scenario's leap seconds throughout: GPS has no leaps.

use timed_core::time::{Date, TimeOfDay, UtcTime, GPS_EPOCH_UNIX};

const DAY_S: i64 = 86_400;

/// A leap second at the end of a UTC day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeapSchedule {
    /// The count of the 00:00:00 after the leap day, as if there were no leap.
    pub midnight: i64,
    pub sign: i8,
}

impl LeapSchedule {
    /// The leap at the end of the UTC day that count `at` falls in.
    pub fn end_of_day_of(at: i64, sign: i8) -> LeapSchedule {
        LeapSchedule { midnight: (at.div_euclid(DAY_S) + 1) * DAY_S, sign }
    }

    /// The first count labelled differently: the inserted second, or the 00:00:00 that
    /// replaces 23:59:59.
    pub fn event(&self) -> i64 {
        if self.sign > 0 {
            self.midnight
        } else {
            self.midnight - 1
        }
    }

    /// UTC's label of count `c`: (POSIX second, whether it is the inserted 23:59:60, whose
    /// POSIX value is the following midnight's, as `UtcTime::unix` maps it).
    pub fn label(&self, c: i64) -> (i64, bool) {
        match (self.sign > 0, c.cmp(&self.event())) {
            (_, std::cmp::Ordering::Less) => (c, false),
            (true, std::cmp::Ordering::Equal) => (c, true),
            (true, _) => (c - 1, false),
            (false, _) => (c + 1, false),
        }
    }

    /// GPS − UTC at count `c` given `base` before the leap: an inserted second still belongs
    /// to the old count (u-blox increments currLs after it).
    pub fn leap_s(&self, base: i8, c: i64) -> i8 {
        match (self.sign > 0, c) {
            (true, c) if c > self.event() => base.saturating_add(1),
            (false, c) if c >= self.event() => base.saturating_sub(1),
            _ => base,
        }
    }

    /// NAV-TIMELS timeToLsEvent at count `c`: seconds until the labels change (negative
    /// after).
    pub fn time_to_event(&self, c: i64) -> i32 {
        (self.event() - c).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    }

    /// NAV-TIMELS dateOfLsGpsWn / dateOfLsGpsDn: the GPS week and day of the leap day (u-blox
    /// 8 protocol spec §32.17.26: day 1 = Sunday, as in the GPS navigation message).
    pub fn gps_wn_dn(&self) -> (u16, u16) {
        let days = (self.midnight - DAY_S - GPS_EPOCH_UNIX).div_euclid(DAY_S);
        (days.div_euclid(7) as u16, (days.rem_euclid(7) + 1) as u16)
    }
}

/// The UTC time of POSIX second `unix_s`, or 23:59:60 of the day before it when `inserted`.
pub fn utc_label(unix_s: i64, inserted: bool) -> UtcTime {
    let t = UtcTime::from_unix(unix_s - i64::from(inserted), 0);
    match (inserted, TimeOfDay::new(t.time.hour, t.time.minute, 60, 0)) {
        (true, Some(tod)) => UtcTime::new(t.date, tod),
        _ => t,
    }
}

/// Parses an RFC 3339 instant (`2016-12-31T23:55:00Z`, fraction and numeric offset allowed)
/// into ns since the Unix epoch. A leap second (:60) is refused: a start inside one is
/// ambiguous on a POSIX clock.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let err = || format!("start {text:?}: not an RFC 3339 time such as 2016-12-31T23:55:00Z");
    let num = |s: &str| s.parse::<i64>().map_err(|_| err());
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(err());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(err());
    }
    let field = |r: std::ops::Range<usize>| text.get(r).ok_or_else(err).and_then(num);
    let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let (hour, minute, second) = (field(11..13)?, field(14..16)?, field(17..19)?);
    let date = Date::new(year as i32, month as u8, day as u8).ok_or_else(err)?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(err());
    }
    let mut rest = text.get(19..).ok_or_else(err)?;
    let mut nanos = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(err());
        }
        nanos = num(&frac[..digits])? * 10i64.pow(9 - digits as u32);
        rest = &frac[digits..];
    }
    let zone_s = match rest {
        "Z" | "z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && z.get(3..4) == Some(":") => {
            let part = |r| z.get(r).ok_or_else(err).and_then(num);
            let s = part(1..3)? * 3600 + part(4..6)? * 60;
            if z.starts_with('-') {
                -s
            } else {
                s
            }
        }
        _ => return Err(err()),
    };
    let secs = date.days_since_unix_epoch() * DAY_S + hour * 3600 + minute * 60 + second - zone_s;
    secs.checked_mul(1_000_000_000).and_then(|ns| ns.checked_add(nanos)).ok_or_else(err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// 2017-01-01T00:00:00Z, after the leap second 2016-12-31T23:59:60Z.
    const M: i64 = 1_483_228_800;

    #[test]
    fn inserted_leap_labels_and_counts() {
        let l = LeapSchedule::end_of_day_of(M - 300, 1);
        assert_eq!(l.midnight, M);
        assert_eq!([l.label(M - 1), l.label(M), l.label(M + 1)], [(M - 1, false), (M, true), (M, false)]);
        assert_eq!([l.leap_s(17, M - 1), l.leap_s(17, M), l.leap_s(17, M + 1)], [17, 17, 18]);
        assert_eq!(utc_label(M, true).rfc3339_millis(), "2016-12-31T23:59:60.000Z");
        assert_eq!(utc_label(M, true).unix().0, M, "core maps :60 onto the next midnight");
        assert_eq!([l.time_to_event(M - 2), l.time_to_event(M)], [2, 0]);
        // 2016-12-31 is a Saturday of GPS week 1929 (day 7 with 1 = Sunday).
        assert_eq!(l.gps_wn_dn(), (1929, 7));
    }

    #[test]
    fn removed_leap_skips_235959() {
        let l = LeapSchedule::end_of_day_of(M - 1, -1);
        assert_eq!(l.midnight, M);
        assert_eq!(
            [l.label(M - 2), l.label(M - 1), l.label(M)],
            [(M - 2, false), (M, false), (M + 1, false)]
        );
        assert_eq!([l.leap_s(18, M - 2), l.leap_s(18, M - 1)], [18, 17]);
        assert_eq!(l.time_to_event(M - 2), 1);
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("2017-01-01T00:00:00Z"), Ok(M * 1_000_000_000));
        assert_eq!(parse_rfc3339("2016-12-31T23:55:00.25Z"), Ok((M - 300) * 1_000_000_000 + 250_000_000));
        assert_eq!(parse_rfc3339("2017-01-01T01:00:00+01:00"), Ok(M * 1_000_000_000));
        for bad in ["2017-01-01", "2017-02-30T00:00:00Z", "2016-12-31T23:59:60Z", "2017-01-01T00:00:00"] {
            assert!(parse_rfc3339(bad).unwrap_err().contains(bad), "{bad}");
        }
    }
}
