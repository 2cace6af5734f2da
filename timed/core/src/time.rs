//! Calendar arithmetic for receiver time: civil UTC date-times, GPS week/time-of-week, and
//! the 2-digit years and week rollovers that receivers send. Pure integer maths, no clock reads.

use core::fmt;

/// Seconds between the GPS epoch (1980-01-06T00:00:00Z) and the Unix epoch, ignoring leap seconds.
pub const GPS_EPOCH_UNIX: i64 = 315_964_800;
/// Seconds in a GPS week.
pub const SECONDS_PER_WEEK: i64 = 604_800;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A UTC calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A date, or `None` when the fields cannot be a calendar day.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_unix_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days_since_unix_epoch(days: i64) -> Date {
        let (year, month, day) = civil_from_days(days);
        Date { year, month, day }
    }

    /// An ISO 8601 calendar date, `YYYY-MM-DD` exactly (as a configuration file gives it).
    pub fn parse_iso(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| {
            let s = text.get(r)?;
            s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<u32>().ok()).flatten()
        };
        let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        Date::new(i32::try_from(y).ok()?, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
    }

    /// The following calendar day.
    pub fn next_day(self) -> Date {
        Date::from_days_since_unix_epoch(self.days_since_unix_epoch() + 1)
    }
}

/// A time of day as NMEA sends it (`hhmmss.ss`), without a date. `second` may be 60 during a
/// leap second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanos: u32,
}

impl TimeOfDay {
    /// A time of day, or `None` when out of range (seconds up to 60 are accepted for leap seconds).
    pub fn new(hour: u8, minute: u8, second: u8, nanos: u32) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60 && second <= 60 && nanos < 1_000_000_000).then_some(TimeOfDay {
            hour,
            minute,
            second,
            nanos,
        })
    }

    /// Milliseconds since midnight (a leap second counts as second 60 of its minute).
    pub fn millis_of_day(self) -> u32 {
        ((u32::from(self.hour) * 60 + u32::from(self.minute)) * 60 + u32::from(self.second)) * 1000
            + self.nanos / 1_000_000
    }
}

/// A UTC instant as the receiver labels it. `time.second == 60` is a leap second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    pub date: Date,
    pub time: TimeOfDay,
}

impl UtcTime {
    pub fn new(date: Date, time: TimeOfDay) -> UtcTime {
        UtcTime { date, time }
    }

    /// Seconds since the Unix epoch (POSIX: a leap second 23:59:60 has the value of the following
    /// 00:00:00, as the kernel's clock repeats it) and the nanoseconds within that second.
    pub fn unix(self) -> (i64, u32) {
        let secs = self.date.days_since_unix_epoch() * 86_400
            + i64::from(self.time.hour) * 3600
            + i64::from(self.time.minute) * 60
            + i64::from(self.time.second);
        (secs, self.time.nanos)
    }

    /// Nanoseconds since the Unix epoch (see [`UtcTime::unix`] for leap seconds).
    pub fn unix_nanos(self) -> i128 {
        let (s, n) = self.unix();
        i128::from(s) * i128::from(NANOS_PER_SEC) + i128::from(n)
    }

    /// The UTC time for `unix_secs` seconds (+ `nanos`) since the Unix epoch. Never yields :60.
    pub fn from_unix(unix_secs: i64, nanos: u32) -> UtcTime {
        let days = unix_secs.div_euclid(86_400);
        let sod = unix_secs.rem_euclid(86_400);
        UtcTime {
            date: Date::from_days_since_unix_epoch(days),
            time: TimeOfDay {
                hour: (sod / 3600) as u8,
                minute: (sod / 60 % 60) as u8,
                second: (sod % 60) as u8,
                nanos,
            },
        }
    }

    /// UTC from GPS week (full, not modulo 1024), time of week in milliseconds plus a signed
    /// fraction in nanoseconds (UBX `fTOW`), and GPS−UTC leap seconds. Returns `None` for values
    /// a receiver cannot mean (negative totals).
    pub fn from_gps(week: u32, tow_ms: u32, ftow_ns: i32, leap_s: i32) -> Option<UtcTime> {
        let total_ns = (i128::from(GPS_EPOCH_UNIX) + i128::from(week) * i128::from(SECONDS_PER_WEEK)
            - i128::from(leap_s))
            * i128::from(NANOS_PER_SEC)
            + i128::from(tow_ms) * 1_000_000
            + i128::from(ftow_ns);
        if total_ns < 0 {
            return None;
        }
        let secs = i64::try_from(total_ns / i128::from(NANOS_PER_SEC)).ok()?;
        let nanos = (total_ns % i128::from(NANOS_PER_SEC)) as u32;
        Some(UtcTime::from_unix(secs, nanos))
    }

    /// RFC 3339 with milliseconds, e.g. `2021-02-23T18:04:29.000Z` (the format gpsd uses).
    /// Sub-millisecond parts are rounded to the nearest millisecond the way gpsd does (half up).
    pub fn rfc3339_millis(self) -> String {
        let mut t = self;
        let mut ms = (t.time.nanos + 500_000) / 1_000_000;
        if ms >= 1000 {
            // Rounding carried into the next second; a leap second's carry lands on 00:00:00.
            let (s, _) = t.unix();
            let base = if t.time.second == 60 { s } else { s + 1 };
            t = UtcTime::from_unix(base, 0);
            ms = 0;
        }
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.date.year, t.date.month, t.date.day, t.time.hour, t.time.minute, t.time.second, ms
        )
    }

    /// RFC 3339 in whole seconds, e.g. `2036-12-01T20:05:18Z` (openssl's ISO 8601 form of a
    /// certificate's times, which have no fraction). Any fraction is dropped, not rounded: the
    /// second shown is the one the instant is in.
    pub fn rfc3339_seconds(self) -> String {
        let (d, t) = (self.date, self.time);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", d.year, d.month, d.day, t.hour, t.minute, t.second)
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339_millis())
    }
}

/// Expands a 2-digit NMEA year (RMC) to a full year. NMEA has no century; receivers made after
/// 1980 send years in 1980..2079, the same window gpsd uses.
pub fn expand_two_digit_year(yy: u8) -> i32 {
    let yy = i32::from(yy % 100);
    if yy >= 80 {
        1900 + yy
    } else {
        2000 + yy
    }
}

/// Resolves a GPS week sent modulo 1024 (legacy 10-bit week numbers) to the full week closest
/// to, but not before, `pivot_week` (a week the firmware cannot predate, e.g. its build date).
pub fn resolve_week_rollover(week_mod_1024: u16, pivot_week: u32) -> u32 {
    let w = u32::from(week_mod_1024 % 1024);
    let mut full = (pivot_week / 1024) * 1024 + w;
    if full < pivot_week {
        full += 1024;
    }
    full
}

pub fn is_leap_year(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates_parse_exactly() {
        assert_eq!(super::Date::parse_iso("2016-01-01"), super::Date::new(2016, 1, 1));
        assert_eq!(super::Date::parse_iso("2024-02-29"), super::Date::new(2024, 2, 29));
        for bad in ["2023-02-29", "2016-1-01", "2016-01-01T00", "+016-01-01", "2016/01/01", "", "2016-13-01"]
        {
            assert_eq!(super::Date::parse_iso(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(37) {
            let d = Date::from_days_since_unix_epoch(days);
            assert_eq!(d.days_since_unix_epoch(), days, "{d:?}");
            assert!(Date::new(d.year, d.month, d.day).is_some());
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(Date::new(1970, 1, 1).map(Date::days_since_unix_epoch), Some(0));
        assert_eq!(Date::new(2000, 3, 1).map(Date::days_since_unix_epoch), Some(11_017));
        assert_eq!(Date::new(2023, 2, 29), None);
        assert!(Date::new(2024, 2, 29).is_some());
    }

    #[test]
    fn gps_to_utc_matches_ublox_8_time_capture() {
        // ublox-8-time.log: NAV-TIMEGPS week 1977, iTOW 494575000, leap 18 → gpsd reports
        // 2017-12-01T17:22:37.000Z for that epoch (fTOW -112313 ns rounds away).
        let t = UtcTime::from_gps(1977, 494_575_000, -112_313, 18);
        assert_eq!(t.map(UtcTime::rfc3339_millis).as_deref(), Some("2017-12-01T17:22:37.000Z"));
    }

    #[test]
    fn leap_second_formats_as_60_and_maps_to_next_midnight() {
        let Some(d) = Date::new(2016, 12, 31) else { panic!("date") };
        let Some(tod) = TimeOfDay::new(23, 59, 60, 0) else { panic!("tod") };
        let leap = UtcTime::new(d, tod);
        assert_eq!(leap.rfc3339_millis(), "2016-12-31T23:59:60.000Z");
        assert_eq!(
            leap.unix().0,
            Date::new(2017, 1, 1).map(|d| d.days_since_unix_epoch() * 86_400).unwrap_or(0)
        );
        let Some(tod) = TimeOfDay::new(23, 59, 60, 999_600_000) else { panic!("tod") };
        assert_eq!(UtcTime::new(d, tod).rfc3339_millis(), "2017-01-01T00:00:00.000Z");
    }

    #[test]
    fn whole_seconds_drop_the_fraction() {
        let t = UtcTime::from_unix(2_111_774_718, 999_999_999);
        assert_eq!(t.rfc3339_seconds(), "2036-12-01T20:05:18Z");
        assert_eq!(t.rfc3339_millis(), "2036-12-01T20:05:19.000Z", "millis rounds, seconds does not");
        let Some(d) = Date::new(2016, 12, 31) else { panic!("date") };
        let Some(tod) = TimeOfDay::new(23, 59, 60, 0) else { panic!("tod") };
        assert_eq!(UtcTime::new(d, tod).rfc3339_seconds(), "2016-12-31T23:59:60Z");
        assert_eq!(UtcTime::from_unix(0, 0).rfc3339_seconds(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn two_digit_years_and_week_rollover() {
        assert_eq!(expand_two_digit_year(17), 2017);
        assert_eq!(expand_two_digit_year(99), 1999);
        assert_eq!(expand_two_digit_year(79), 2079);
        // Week 2048 (2019-04-07) sent as 10-bit 0: resolved against a 2018 pivot (week 2000).
        assert_eq!(resolve_week_rollover(0, 2000), 2048);
        assert_eq!(resolve_week_rollover(1000, 2000), 2024);
        assert_eq!(resolve_week_rollover(1977 % 1024, 1900), 1977);
    }
}
