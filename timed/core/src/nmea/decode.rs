//! The NMEA sentence decoder behind [`decode`]. Fields are walked left to right over the borrowed
//! bytes; nothing is allocated except the `Vec`s and `String` that GSA, GSV, GNS and TXT own.
//!
//! Conventions shared by every sentence:
//! - Field numbers are 1-based and count from the first field after the address (for `$PUBX`
//!   the message id `04` is field 1, as in the u-blox manual).
//! - An empty or absent optional field is `None`; a non-empty field that cannot be what the
//!   standard says is [`NmeaError::BadField`]. Numbers must be plain decimals (`-12.5`), so
//!   `inf`, `NaN` or exponents are rejected rather than passed on.
//! - Extra trailing fields are ignored.
//! - Proprietary sentences (`$P` + 3-letter manufacturer + anything) other than `$PUBX,04` come
//!   back as [`Nmea::Other`] with `talker = P?` and `kind` = the manufacturer mnemonic (`UBX`,
//!   `GRM`, `MTK`…). AIS sentences (`!AIVDM`…) are always `Other` with their own talker.

use super::{Gga, Gns, Gsa, Gsv, GsvSat, Nmea, NmeaError, Pubx04, Rmc, ShortDate, Talker, Txt, Zda};
use crate::time::TimeOfDay;

/// Decodes one framed sentence (`$`/`!` first, no `*hh`, no CR/LF).
pub fn decode(sentence: &[u8]) -> Result<Nmea, NmeaError> {
    let Some((&start @ (b'$' | b'!'), rest)) = sentence.split_first() else {
        return Err(NmeaError::BadAddress);
    };
    let comma = rest.iter().position(|&b| b == b',');
    let (addr, tail) = rest.split_at(comma.ok_or(NmeaError::BadAddress)?);
    let body = tail.get(1..).unwrap_or_default();
    if !addr.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return Err(NmeaError::BadAddress);
    }
    if let [b'P', m0, m1, m2, ..] = *addr {
        return proprietary([m0, m1, m2], addr.len(), body);
    }
    let &[t0, t1, k0, k1, k2] = addr else {
        return Err(NmeaError::BadAddress);
    };
    let (talker, kind) = (Talker([t0, t1]), [k0, k1, k2]);
    let other = |time| Nmea::Other { talker, kind, time };
    if start == b'!' {
        return Ok(other(None));
    }
    let mut f = Fields::new(kind, body);
    match &kind {
        b"RMC" => rmc(talker, f).map(Nmea::Rmc),
        b"ZDA" => zda(talker, f).map(Nmea::Zda),
        b"GGA" => gga(talker, f).map(Nmea::Gga),
        b"GNS" => gns(talker, f).map(Nmea::Gns),
        b"GSA" => gsa(talker, f).map(Nmea::Gsa),
        b"GSV" => gsv(talker, f).map(Nmea::Gsv),
        b"TXT" => txt(talker, f).map(Nmea::Txt),
        b"GLL" => Ok(other(f.skip(4).time()?)),
        b"GST" | b"GBS" => Ok(other(f.time()?)),
        _ => Ok(other(None)),
    }
}

/// `$P…` sentences: `$PUBX,04` is decoded, everything else is passed on as `Other`.
fn proprietary(maker: [u8; 3], addr_len: usize, body: &[u8]) -> Result<Nmea, NmeaError> {
    let mut f = Fields::new(maker, body);
    if &maker == b"UBX" && addr_len == 4 && f.peek() == b"04" {
        f.min_fields(9)?;
        f.skip(1);
        return pubx04(f).map(Nmea::Pubx04);
    }
    let talker = Talker(*b"P?");
    Ok(Nmea::Other { talker, kind: maker, time: None })
}

// Struct literals below read their fields in the order written, which is the order of the
// fields in the sentence.

fn rmc(talker: Talker, mut f: Fields<'_>) -> Result<Rmc, NmeaError> {
    f.min_fields(9)?;
    Ok(Rmc {
        talker,
        time: f.time()?,
        status_valid: f.next() == b"A",
        lat_deg: f.lat()?,
        lon_deg: f.lon()?,
        speed_knots: f.float()?,
        course_deg: f.float()?,
        date: f.short_date()?,
        // Fields 10 and 11, magnetic variation and its direction, are not kept.
        mode: f.skip(2).letter()?,
        nav_status: f.letter()?,
    })
}

fn zda(talker: Talker, mut f: Fields<'_>) -> Result<Zda, NmeaError> {
    f.min_fields(4)?;
    Ok(Zda {
        talker,
        time: f.time()?,
        day: f.ranged_u8(1, 31)?,
        month: f.ranged_u8(1, 12)?,
        year: f.with(|y| match y {
            [_, _, _, _] => parse_uint::<u16>(y).map(i32::from),
            _ => None,
        })?,
    })
}

fn gga(talker: Talker, mut f: Fields<'_>) -> Result<Gga, NmeaError> {
    f.min_fields(11)?;
    Ok(Gga {
        talker,
        time: f.time()?,
        lat_deg: f.lat()?,
        lon_deg: f.lon()?,
        quality: f.uint()?.unwrap_or(0),
        sats_used: f.uint()?,
        hdop: f.float()?,
        alt_msl_m: f.float()?,
        // Field 10 is the altitude unit (always `M`).
        geoid_sep_m: f.skip(1).float()?,
    })
}

fn gns(talker: Talker, mut f: Fields<'_>) -> Result<Gns, NmeaError> {
    f.min_fields(9)?;
    Ok(Gns {
        talker,
        time: f.time()?,
        lat_deg: f.lat()?,
        lon_deg: f.lon()?,
        modes: f.with(|m| m.iter().all(u8::is_ascii_uppercase).then(|| m.to_vec()))?.unwrap_or_default(),
        sats_used: f.uint()?,
        hdop: f.float()?,
        alt_msl_m: f.float()?,
    })
}

fn gsa(talker: Talker, mut f: Fields<'_>) -> Result<Gsa, NmeaError> {
    f.min_fields(17)?;
    f.with(|m| matches!(m, b"A" | b"M").then_some(()))?;
    let nav_mode = f.ranged_u8(0, 3)?.unwrap_or(0);
    let mut sv_ids = Vec::with_capacity(12);
    for _ in 0..12 {
        if let Some(id) = f.uint()? {
            sv_ids.push(id);
        }
    }
    Ok(Gsa {
        talker,
        nav_mode,
        sv_ids,
        pdop: f.float()?,
        hdop: f.float()?,
        vdop: f.float()?,
        system_id: f.hex_id()?,
    })
}

/// GSV: after the three header fields come `(n - 3) / 4` complete satellite groups; a
/// remainder of one field is the NMEA 4.1 signal id, a remainder of two or three fields is a
/// satellite group cut short (its missing values are `None`). Groups without an id are skipped.
fn gsv(talker: Talker, mut f: Fields<'_>) -> Result<Gsv, NmeaError> {
    f.min_fields(3)?;
    let (total_msgs, msg_num) = (f.required()?, f.required()?);
    let sats_in_view = f.uint()?.unwrap_or(0);
    let (groups, extra) = ((f.count - 3) / 4, (f.count - 3) % 4);
    let cut_group = usize::from(extra >= 2);
    let mut sats = Vec::with_capacity(groups.min(4) + cut_group);
    for g in 0..groups + cut_group {
        let width = if g < groups { 4 } else { extra };
        let sv_id = f.uint()?;
        let elev_deg = f.with(|b| parse_int(b).filter(|e: &i16| (-90..=90).contains(e)))?;
        let azim_deg = if width > 2 { f.with(|b| parse_uint(b).filter(|a: &u16| *a <= 360))? } else { None };
        let cno_dbhz = if width > 3 { f.uint()? } else { None };
        if let Some(sv_id) = sv_id {
            sats.push(GsvSat { sv_id, elev_deg, azim_deg, cno_dbhz });
        }
    }
    let signal_id = if extra == 1 { f.hex_id()? } else { None };
    Ok(Gsv { talker, total_msgs, msg_num, sats_in_view, sats, signal_id })
}

fn txt(talker: Talker, mut f: Fields<'_>) -> Result<Txt, NmeaError> {
    f.min_fields(4)?;
    Ok(Txt {
        talker,
        total: f.required()?,
        num: f.required()?,
        kind: f.required()?,
        // The text is everything left, commas included (some firmware puts commas in it).
        text: String::from_utf8_lossy(f.remainder()).into_owned(),
    })
}

/// `$PUBX,04,hhmmss.ss,ddmmyy,utcTow,utcWk,leapSec[D],clkBias,clkDrift,tpGran`
/// (u-blox 8 protocol, UBX-13003221 §31.3.5). The `04` field is already consumed.
fn pubx04(mut f: Fields<'_>) -> Result<Pubx04, NmeaError> {
    let time = f.time()?;
    let date = f.short_date()?;
    let utc_tow_s = f.float()?;
    let utc_week = f.uint()?;
    let (leap_s, leap_is_default) = match f.next() {
        [] => (None, false),
        [digits @ .., b'D'] => (Some(parse_int(digits).ok_or_else(|| f.bad())?), true),
        digits => (Some(parse_int(digits).ok_or_else(|| f.bad())?), false),
    };
    Ok(Pubx04 {
        time,
        date,
        utc_tow_s,
        utc_week,
        leap_s,
        leap_is_default,
        clock_bias_ns: f.integral()?,
        clock_drift_ns_per_s: f.float()?,
        time_pulse_granularity_ns: f.integral()?,
    })
}

/// A cursor over the comma-separated fields after the address. Reading past the last field
/// yields empty fields, so optional trailing fields need no special casing.
struct Fields<'a> {
    kind: [u8; 3],
    /// Unread part of the body; `None` once the last field has been handed out.
    rest: Option<&'a [u8]>,
    /// 1-based number of the field most recently returned by `next`.
    index: usize,
    /// Number of fields in the body.
    count: usize,
}

impl<'a> Fields<'a> {
    fn new(kind: [u8; 3], body: &'a [u8]) -> Fields<'a> {
        let count = 1 + body.iter().filter(|&&b| b == b',').count();
        Fields { kind, rest: Some(body), index: 0, count }
    }

    fn next(&mut self) -> &'a [u8] {
        self.index += 1;
        let Some(rest) = self.rest else { return &[] };
        match rest.iter().position(|&b| b == b',') {
            Some(i) => {
                let (field, tail) = rest.split_at(i);
                self.rest = tail.get(1..);
                field
            }
            None => {
                self.rest = None;
                rest
            }
        }
    }

    fn peek(&self) -> &'a [u8] {
        let rest = self.rest.unwrap_or_default();
        let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        rest.get(..end).unwrap_or_default()
    }

    fn skip(&mut self, n: usize) -> &mut Self {
        for _ in 0..n {
            self.next();
        }
        self
    }

    /// Everything not yet read, as one slice.
    fn remainder(&mut self) -> &'a [u8] {
        self.index = self.count;
        self.rest.take().unwrap_or_default()
    }

    fn min_fields(&self, n: usize) -> Result<(), NmeaError> {
        if self.count < n {
            return Err(NmeaError::TooFewFields { kind: self.kind });
        }
        Ok(())
    }

    /// The error for the field most recently read.
    fn bad(&self) -> NmeaError {
        self.bad_at(self.index)
    }

    fn bad_at(&self, field: usize) -> NmeaError {
        NmeaError::BadField { kind: self.kind, field: u8::try_from(field).unwrap_or(u8::MAX) }
    }

    /// Applies `parse` to the next field: empty → `None`, unparsable → `BadField`.
    fn with<T>(&mut self, parse: impl FnOnce(&[u8]) -> Option<T>) -> Result<Option<T>, NmeaError> {
        match self.next() {
            [] => Ok(None),
            field => parse(field).map(Some).ok_or_else(|| self.bad()),
        }
    }

    fn time(&mut self) -> Result<Option<TimeOfDay>, NmeaError> {
        self.with(parse_time)
    }

    fn short_date(&mut self) -> Result<Option<ShortDate>, NmeaError> {
        self.with(parse_short_date)
    }

    fn float(&mut self) -> Result<Option<f64>, NmeaError> {
        self.with(parse_f64)
    }

    fn uint<T: TryFrom<u64>>(&mut self) -> Result<Option<T>, NmeaError> {
        self.with(parse_uint)
    }

    /// An integer quantity that some firmware sends with a fraction: rounded to the nearest.
    fn integral<T: TryFrom<i64>>(&mut self) -> Result<Option<T>, NmeaError> {
        self.with(|b| {
            parse_int(b).or_else(|| {
                let v = parse_f64(b)?.round();
                // Whole and well inside the i64 range, so the cast is exact.
                if v.abs() < 9.0e18 {
                    T::try_from(v as i64).ok()
                } else {
                    None
                }
            })
        })
    }

    /// A non-optional small number (message counters): empty is as bad as garbage.
    fn required(&mut self) -> Result<u8, NmeaError> {
        self.uint()?.ok_or_else(|| self.bad())
    }

    fn ranged_u8(&mut self, lo: u8, hi: u8) -> Result<Option<u8>, NmeaError> {
        self.with(|b| parse_uint::<u8>(b).filter(|v| (lo..=hi).contains(v)))
    }

    /// A one-letter indicator (mode, navigational status).
    fn letter(&mut self) -> Result<Option<u8>, NmeaError> {
        self.with(|b| match *b {
            [c] if c.is_ascii_alphabetic() => Some(c),
            _ => None,
        })
    }

    /// NMEA 4.1 system/signal ids: one hex digit by the standard; up to two are accepted.
    fn hex_id(&mut self) -> Result<Option<u8>, NmeaError> {
        self.with(|b| {
            if b.len() > 2 {
                return None;
            }
            b.iter().try_fold(0u8, |acc, &c| {
                let d = char::from(c).to_digit(16)?;
                Some(acc * 16 + d as u8)
            })
        })
    }

    fn lat(&mut self) -> Result<Option<f64>, NmeaError> {
        self.coordinate(2, 90.0, b'N', b'S')
    }

    fn lon(&mut self) -> Result<Option<f64>, NmeaError> {
        self.coordinate(3, 180.0, b'E', b'W')
    }

    /// `(d)ddmm.mmmm` then a hemisphere letter, as signed degrees. An empty value is `None`
    /// whatever the hemisphere field holds.
    fn coordinate(
        &mut self,
        deg_digits: usize,
        limit: f64,
        pos: u8,
        neg: u8,
    ) -> Result<Option<f64>, NmeaError> {
        let value = self.next();
        let value_index = self.index;
        let hemisphere = self.next();
        if value.is_empty() {
            return Ok(None);
        }
        let magnitude = parse_ddmm(value, deg_digits, limit).ok_or_else(|| self.bad_at(value_index))?;
        match *hemisphere {
            [h] if h == pos => Ok(Some(magnitude)),
            [h] if h == neg => Ok(Some(-magnitude)),
            _ => Err(self.bad()),
        }
    }
}

/// Digits only, no sign, fitting `T`.
fn parse_uint<T: TryFrom<u64>>(b: &[u8]) -> Option<T> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    T::try_from(v).ok()
}

/// An optionally signed integer fitting `T`.
fn parse_int<T: TryFrom<i64>>(b: &[u8]) -> Option<T> {
    let (negative, digits) = match b {
        [b'-', d @ ..] => (true, d),
        [b'+', d @ ..] => (false, d),
        d => (false, d),
    };
    let magnitude = i64::try_from(parse_uint::<u64>(digits)?).ok()?;
    T::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A plain decimal number: optional sign, digits, optional fraction.
fn parse_f64(b: &[u8]) -> Option<f64> {
    let digits = match b {
        [b'-' | b'+', d @ ..] => d,
        d => d,
    };
    let mut seen_digit = false;
    let mut seen_point = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !seen_digit {
        return None;
    }
    core::str::from_utf8(b).ok()?.parse().ok()
}

/// Two ASCII digits as a number.
fn two_digits(a: u8, b: u8) -> Option<u8> {
    (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
}

/// `hhmmss` with an optional fraction of any length (up to nanoseconds kept). Second 60 is a
/// leap second and accepted.
fn parse_time(b: &[u8]) -> Option<TimeOfDay> {
    let (whole, fraction) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (b.get(..i)?, b.get(i + 1..)?),
        None => (b, &[][..]),
    };
    let &[h0, h1, m0, m1, s0, s1] = whole else {
        return None;
    };
    let mut nanos: u32 = 0;
    let mut scale: u32 = 1_000_000_000;
    for &c in fraction {
        if !c.is_ascii_digit() {
            return None;
        }
        if scale > 1 {
            scale /= 10;
            nanos += u32::from(c - b'0') * scale;
        }
    }
    TimeOfDay::new(two_digits(h0, h1)?, two_digits(m0, m1)?, two_digits(s0, s1)?, nanos)
}

/// `ddmmyy` with day 1..=31 and month 1..=12.
fn parse_short_date(b: &[u8]) -> Option<ShortDate> {
    let &[d0, d1, m0, m1, y0, y1] = b else {
        return None;
    };
    let day = two_digits(d0, d1)?;
    let month = two_digits(m0, m1)?;
    let yy = two_digits(y0, y1)?;
    ((1..=31).contains(&day) && (1..=12).contains(&month)).then_some(ShortDate { day, month, yy })
}

/// The magnitude of `ddmm.mmmm` / `dddmm.mmmm` in degrees: up to `deg_digits` degree digits
/// (leading zeros may be missing), two whole-minute digits, any fraction.
fn parse_ddmm(b: &[u8], deg_digits: usize, limit: f64) -> Option<f64> {
    let whole_len = b.iter().position(|&c| c == b'.').unwrap_or(b.len());
    if whole_len < 2 || whole_len > deg_digits + 2 || !b.iter().take(whole_len).all(u8::is_ascii_digit) {
        return None;
    }
    let (deg, minutes) = b.split_at(whole_len - 2);
    let degrees = if deg.is_empty() { 0 } else { parse_uint::<u16>(deg)? };
    let minutes = parse_f64(minutes)?;
    if !(0.0..60.0).contains(&minutes) {
        return None;
    }
    let value = f64::from(degrees) + minutes / 60.0;
    (value <= limit).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use timed_testdata::capture;

    /// Every checksum-valid sentence in a capture, framed the way the framer hands them over
    /// (`$`/`!` kept, `*hh` and CR/LF stripped). Sentences embedded in binary UBX are found too.
    fn sentences(name: &str) -> Vec<Vec<u8>> {
        let data = capture(name);
        let mut out = Vec::new();
        for (start, _) in data.iter().enumerate().filter(|(_, b)| matches!(b, b'$' | b'!')) {
            let rest = data.get(start..).unwrap_or_default();
            let Some(star) = rest.iter().take(100).position(|&b| b == b'*') else { continue };
            let (body, tail) = rest.split_at(star);
            let printable = body.iter().skip(1).all(|b| (0x20..0x7f).contains(b) && *b != b'$');
            let sum = body.iter().skip(1).fold(0u8, |a, b| a ^ b);
            let hex = tail.get(1..3).and_then(|h| core::str::from_utf8(h).ok());
            if printable && hex.and_then(|h| u8::from_str_radix(h, 16).ok()) == Some(sum) {
                out.push(body.to_vec());
            }
        }
        assert!(out.len() > 5, "{name}: only {} sentences", out.len());
        out
    }

    fn ok(s: &str) -> Nmea {
        match decode(s.as_bytes()) {
            Ok(n) => n,
            Err(e) => panic!("{s}: {e:?}"),
        }
    }

    fn err(s: &str) -> NmeaError {
        match decode(s.as_bytes()) {
            Ok(n) => panic!("{s}: decoded as {n:?}"),
            Err(e) => e,
        }
    }

    fn rmc(s: &str) -> Rmc {
        match ok(s) {
            Nmea::Rmc(r) => r,
            n => panic!("{s}: {n:?}"),
        }
    }

    fn gga(s: &str) -> Gga {
        match ok(s) {
            Nmea::Gga(g) => g,
            n => panic!("{s}: {n:?}"),
        }
    }

    fn gsa(s: &str) -> Gsa {
        match ok(s) {
            Nmea::Gsa(g) => g,
            n => panic!("{s}: {n:?}"),
        }
    }

    fn gsv(s: &str) -> Gsv {
        match ok(s) {
            Nmea::Gsv(g) => g,
            n => panic!("{s}: {n:?}"),
        }
    }

    fn pubx(s: &str) -> Pubx04 {
        match ok(s) {
            Nmea::Pubx04(p) => p,
            n => panic!("{s}: {n:?}"),
        }
    }

    fn tod(h: u8, m: u8, s: u8, nanos: u32) -> Option<TimeOfDay> {
        let t = TimeOfDay::new(h, m, s, nanos);
        assert!(t.is_some());
        t
    }

    fn date(day: u8, month: u8, yy: u8) -> Option<ShortDate> {
        Some(ShortDate { day, month, yy })
    }

    fn bad(kind: &[u8; 3], field: u8) -> NmeaError {
        NmeaError::BadField { kind: *kind, field }
    }

    fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= tol)
    }

    fn sat(sv_id: u16, el: Option<i16>, az: Option<u16>, cno: Option<u8>) -> GsvSat {
        GsvSat { sv_id, elev_deg: el, azim_deg: az, cno_dbhz: cno }
    }

    #[test]
    fn rmc_from_ublox_8_matches_gpsd() {
        // gpsd: "time":"2017-01-10T00:09:41.000Z","lat":44.068897833,"lon":-121.314271333
        let r = rmc("$GNRMC,000941.00,A,4404.13387,N,12118.85628,W,0.029,,100117,,,A");
        assert_eq!(r.talker, Talker(*b"GN"));
        assert_eq!(r.time, tod(0, 9, 41, 0));
        assert!(r.status_valid);
        assert!(close(r.lat_deg, 44.068_897_833, 1e-9), "{r:?}");
        assert!(close(r.lon_deg, -121.314_271_333, 1e-9), "{r:?}");
        assert_eq!(r.speed_knots, Some(0.029));
        assert_eq!(r.course_deg, None);
        assert_eq!(r.date, date(10, 1, 17));
        assert_eq!((r.mode, r.nav_status), (Some(b'A'), None));
    }

    #[test]
    fn rmc_nmea_41_with_nav_status_and_fraction() {
        // ublox-neo-m9n-nmea.log; gpsd: 2020-07-11T22:37:45.000Z, 38.110494000, -122.626897000
        let r = rmc("$GNRMC,223745.00,A,3806.62964,N,12237.61382,W,0.040,,110720,,,D,V");
        assert!(close(r.lat_deg, 38.110_494, 1e-9) && close(r.lon_deg, -122.626_897, 1e-9));
        assert_eq!((r.date, r.mode, r.nav_status), (date(11, 7, 20), Some(b'D'), Some(b'V')));
        // nmea-fuzzy-cases.log; gpsd: 2020-03-18T13:28:20.600Z, 41.574970205, -93.750558641
        let r = rmc("$GPRMC,132820.60,A,4134.49821229,N,09345.03351845,W,3.252,92.308,180320,11.5985,E,D");
        assert_eq!(r.time, tod(13, 28, 20, 600_000_000));
        assert!(close(r.lat_deg, 41.574_970_205, 1e-9) && close(r.lon_deg, -93.750_558_641, 1e-9));
        assert_eq!((r.speed_knots, r.course_deg), (Some(3.252), Some(92.308)));
        assert_eq!((r.date, r.mode), (date(18, 3, 20), Some(b'D')));
    }

    #[test]
    fn rmc_with_empty_fields_from_lea_5q() {
        // gpsd reports only "mode":1 for these: no position, but a time and date.
        let r = rmc("$GPRMC,001902.00,V,,,,,,,020211,,,N");
        assert_eq!(
            r,
            Rmc {
                talker: Talker(*b"GP"),
                time: tod(0, 19, 2, 0),
                status_valid: false,
                lat_deg: None,
                lon_deg: None,
                speed_knots: None,
                course_deg: None,
                date: date(2, 2, 11),
                mode: Some(b'N'),
                nav_status: None,
            }
        );
        // Pre-2.3 RMC without mode, and the shortest accepted form.
        assert_eq!(rmc("$GPRMC,001902.00,V,,,,,,,020211,,").mode, None);
        assert_eq!(rmc("$GPRMC,,V,,,,,,,").date, None);
    }

    #[test]
    fn leap_second_and_time_fractions() {
        let r = rmc("$GPRMC,235960.00,A,4513.1124687,N,00548.4306494,E,0.0911,158.924,311216,1.9,E,A");
        assert_eq!(r.time, tod(23, 59, 60, 0));
        assert_eq!(r.date, date(31, 12, 16));
        assert!(close(r.lat_deg, 45.0 + 13.112_468_7 / 60.0, 1e-12));
        assert!(close(r.lon_deg, 5.0 + 48.430_649_4 / 60.0, 1e-12));
        let Nmea::Zda(z) = ok("$GPZDA,235960.50,31,12,2016,00,00") else { panic!("zda") };
        assert_eq!(
            (z.time, z.day, z.month, z.year),
            (tod(23, 59, 60, 500_000_000), Some(31), Some(12), Some(2016))
        );
        for (field, nanos) in [
            ("123456", 0),
            ("123456.", 0),
            ("123456.5", 500_000_000),
            ("123456.001", 1_000_000),
            ("123456.123456789987", 123_456_789),
        ] {
            assert_eq!(rmc(&format!("$GPRMC,{field},A,,,,,,,010100")).time, tod(12, 34, 56, nanos));
        }
    }

    #[test]
    fn zda_from_m9n() {
        let Nmea::Zda(z) = ok("$GNZDA,223745.00,11,07,2020,00,00") else { panic!("zda") };
        assert_eq!(
            z,
            Zda {
                talker: Talker(*b"GN"),
                time: tod(22, 37, 45, 0),
                day: Some(11),
                month: Some(7),
                year: Some(2020)
            }
        );
        let Nmea::Zda(z) = ok("$GPZDA,,,,,,") else { panic!("zda") };
        assert_eq!((z.time, z.day, z.month, z.year), (None, None, None, None));
    }

    #[test]
    fn gga_matches_gpsd() {
        // m9n: altMSL 83.1, geoidSep -29.5, SKY hdop 0.54 uSat 12.
        let g = gga("$GNGGA,223745.00,3806.62964,N,12237.61382,W,2,12,0.54,83.1,M,-29.5,M,,0000");
        assert_eq!((g.time, g.quality, g.sats_used), (tod(22, 37, 45, 0), 2, Some(12)));
        assert!(close(g.lat_deg, 38.110_494, 1e-9) && close(g.lon_deg, -122.626_897, 1e-9));
        assert_eq!((g.hdop, g.alt_msl_m, g.geoid_sep_m), (Some(0.54), Some(83.1), Some(-29.5)));
        // RTK fixed (quality 4), fuzzy cases: altMSL 280.827, geoidSep -31.442.
        let g =
            gga("$GNGGA,133900.00,4134.50180323,N,09345.03586581,W,4,19,0.7,280.827,M,-31.442,M,6.0,0002");
        assert_eq!(
            (g.quality, g.sats_used, g.alt_msl_m, g.geoid_sep_m),
            (4, Some(19), Some(280.827), Some(-31.442))
        );
        // lea-5q without a fix.
        let g = gga("$GPGGA,001901.00,,,,,0,00,99.99,,,,,,");
        assert_eq!((g.time, g.lat_deg, g.lon_deg, g.quality), (tod(0, 19, 1, 0), None, None, 0));
        assert_eq!((g.sats_used, g.hdop, g.alt_msl_m, g.geoid_sep_m), (Some(0), Some(99.99), None, None));
        assert_eq!(gga("$GPGGA,001901.00,,,,,,,,,,").quality, 0);
    }

    #[test]
    fn gns_hand_written() {
        let Nmea::Gns(g) = ok("$GNGNS,122310.20,3722.425671,N,12258.856215,W,AAN,14,0.9,1005.543,6.5,,,V")
        else {
            panic!("gns")
        };
        assert_eq!((g.talker, g.time), (Talker(*b"GN"), tod(12, 23, 10, 200_000_000)));
        assert!(close(g.lat_deg, 37.0 + 22.425_671 / 60.0, 1e-12));
        assert!(close(g.lon_deg, -(122.0 + 58.856_215 / 60.0), 1e-12));
        assert_eq!(
            (g.modes.as_slice(), g.sats_used, g.hdop, g.alt_msl_m),
            (&b"AAN"[..], Some(14), Some(0.9), Some(1005.543))
        );
        let Nmea::Gns(g) = ok("$GPGNS,,,,,,,,,") else { panic!("gns") };
        assert!(g.modes.is_empty() && g.time.is_none() && g.sats_used.is_none());
    }

    #[test]
    fn gsa_with_and_without_system_id() {
        // zed-f9p, GN talker, NMEA 4.1 system id 4 (BeiDou).
        let g = gsa("$GNGSA,A,3,13,12,22,19,08,21,,,,,,,1.05,0.64,0.83,4");
        assert_eq!((g.talker, g.nav_mode, g.system_id), (Talker(*b"GN"), 3, Some(4)));
        assert_eq!(g.sv_ids, [13, 12, 22, 19, 8, 21]);
        assert_eq!((g.pdop, g.hdop, g.vdop), (Some(1.05), Some(0.64), Some(0.83)));
        // m9n: gpsd SKY "hdop":0.54,"pdop":0.99,"vdop":0.83 after this one.
        let g = gsa("$GNGSA,A,3,82,73,74,67,81,83,68,,,,,,0.99,0.54,0.83,2");
        assert_eq!((g.sv_ids.len(), g.system_id, g.pdop), (7, Some(2), Some(0.99)));
        // ublox-8 (NMEA 4.0): no system id.
        let g = gsa("$GNGSA,A,3,80,70,73,79,69,71,,,,,,,1.71,1.01,1.38");
        assert_eq!((g.sv_ids, g.system_id, g.vdop), (vec![80, 70, 73, 79, 69, 71], None, Some(1.38)));
        // lea-5q without a fix.
        let g = gsa("$GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99");
        assert_eq!((g.nav_mode, g.sv_ids.len(), g.hdop), (1, 0, Some(99.99)));
        assert_eq!(gsa("$GPGSA,,,,,,,,,,,,,,,,,").nav_mode, 0);
    }

    #[test]
    fn gsv_groups_signal_ids_and_truncation() {
        // m9n; gpsd SKY: PRN 5 el 1 az 47 (no ss), PRN 13 el 22 az 62 ss 23, PRN 15 el 40 az 94.
        let g = gsv("$GPGSV,4,1,16,05,01,047,,10,29,224,,13,22,062,23,15,40,094,,1");
        assert_eq!((g.total_msgs, g.msg_num, g.sats_in_view, g.signal_id), (4, 1, 16, Some(1)));
        assert_eq!(
            g.sats,
            [
                sat(5, Some(1), Some(47), None),
                sat(10, Some(29), Some(224), None),
                sat(13, Some(22), Some(62), Some(23)),
                sat(15, Some(40), Some(94), None),
            ]
        );
        // zed-f9p: Galileo E5b signal (id 2) with a single satellite.
        let g = gsv("$GAGSV,3,3,09,33,62,034,,2");
        assert_eq!((g.sats, g.signal_id), (vec![sat(33, Some(62), Some(34), None)], Some(2)));
        // zed-f9p: empty signal id field.
        let g = gsv("$GBGSV,3,3,10,21,41,301,,22,82,135,,");
        assert_eq!((g.sats.len(), g.signal_id), (2, None));
        // ublox-8: last group with an empty C/N0 and no signal id; gpsd: PRN 88 el 7 az 28.
        let g = gsv("$GLGSV,3,3,09,88,07,028,");
        assert_eq!((g.sats, g.signal_id), (vec![sat(88, Some(7), Some(28), None)], None));
        let g = gsv("$GPGSV,4,4,16,30,12,249,17,46,31,150,,48,38,197,,51,37,160,");
        assert_eq!(g.sats.last(), Some(&sat(51, Some(37), Some(160), None)));
        // A group cut short after two or three fields.
        assert_eq!(gsv("$GLGSV,3,3,09,88,07").sats, [sat(88, Some(7), None, None)]);
        assert_eq!(gsv("$GLGSV,3,3,09,88,07,028").sats, [sat(88, Some(7), Some(28), None)]);
        // Empty groups are skipped; negative elevation; hex signal id.
        let g = gsv("$GBGSV,1,1,02,,,,,07,-3,100,30,B");
        assert_eq!((g.sats, g.signal_id), (vec![sat(7, Some(-3), Some(100), Some(30))], Some(11)));
        // lea-5q: nothing in view.
        let g = gsv("$GPGSV,1,1,00");
        assert_eq!((g.total_msgs, g.sats_in_view, g.sats.len(), g.signal_id), (1, 0, 0, None));
    }

    #[test]
    fn txt_from_ublox8_capture() {
        let Nmea::Txt(t) = ok("$GNTXT,01,01,01,PGRM inv format") else { panic!("txt") };
        assert_eq!(
            t,
            Txt { talker: Talker(*b"GN"), total: 1, num: 1, kind: 1, text: "PGRM inv format".into() }
        );
        let Nmea::Txt(t) = ok("$GPTXT,01,01,02,ANTSTATUS=OK,x") else { panic!("txt") };
        assert_eq!((t.kind, t.text.as_str()), (2, "ANTSTATUS=OK,x"));
        let Nmea::Txt(t) = ok("$GPTXT,01,01,07,") else { panic!("txt") };
        assert_eq!(t.text, "");
        let Ok(Nmea::Txt(t)) = decode(b"$GPTXT,01,01,02,caf\xe9") else { panic!("txt") };
        assert_eq!(t.text, "caf\u{fffd}");
    }

    #[test]
    fn sentences_kept_only_for_their_time() {
        let other = |talker: &[u8; 2], kind: &[u8; 3], time| Nmea::Other {
            talker: Talker(*talker),
            kind: *kind,
            time,
        };
        let t = tod(22, 37, 45, 0);
        assert_eq!(ok("$GNGLL,3806.62964,N,12237.61382,W,223745.00,A,D"), other(b"GN", b"GLL", t));
        assert_eq!(ok("$GNGST,223745.00,228650,2.5,2.4,126,0.98,1.0,3.1"), other(b"GN", b"GST", t));
        assert_eq!(ok("$GNGBS,223745.00,1.0,1.0,3.1,,,,,,"), other(b"GN", b"GBS", t));
        assert_eq!(ok("$GPGLL,,,,,001901.00,V,N"), other(b"GP", b"GLL", tod(0, 19, 1, 0)));
        assert_eq!(ok("$GPGLL,,,,"), other(b"GP", b"GLL", None));
        assert_eq!(ok("$GNVTG,,T,,M,0.040,N,0.075,K,D"), other(b"GN", b"VTG", None));
        assert_eq!(ok("$GPXYZ,anything,at,all"), other(b"GP", b"XYZ", None));
        assert_eq!(ok("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0"), other(b"AI", b"VDM", None));
        assert_eq!(ok("!AIRMC,not,an,rmc"), other(b"AI", b"RMC", None));
        assert_eq!(err("$GNGLL,,,,,996161.00,A,A"), bad(b"GLL", 5));
        assert_eq!(err("$GNGST,1x3745.00"), bad(b"GST", 1));
    }

    #[test]
    fn proprietary_sentences() {
        // UBX-13003221 §31.3.5 example.
        let p = pubx("$PUBX,04,073731.00,091202,113851.00,1196,15D,1930035,-2660.664,43,");
        assert_eq!(
            p,
            Pubx04 {
                time: tod(7, 37, 31, 0),
                date: date(9, 12, 2),
                utc_tow_s: Some(113_851.0),
                utc_week: Some(1196),
                leap_s: Some(15),
                leap_is_default: true,
                clock_bias_ns: Some(1_930_035),
                clock_drift_ns_per_s: Some(-2660.664),
                time_pulse_granularity_ns: Some(43),
            }
        );
        let p = pubx("$PUBX,04,235960.00,311216,604817.00,1929,18,-1234,0.5,21");
        assert_eq!(
            (p.time, p.leap_s, p.leap_is_default, p.clock_bias_ns),
            (tod(23, 59, 60, 0), Some(18), false, Some(-1234))
        );
        let p = pubx("$PUBX,04,,,,,,,,");
        assert_eq!(
            (p.time, p.date, p.leap_s, p.leap_is_default, p.clock_bias_ns),
            (None, None, None, false, None)
        );
        assert_eq!(pubx("$PUBX,04,,,,,,12.6,,").clock_bias_ns, Some(13));
        assert_eq!(err("$PUBX,04,073731.00,091202,113851.00,1196,1xD,1930035,-2660.664,43"), bad(b"UBX", 6));
        assert_eq!(err("$PUBX,04,073731.00,091302,113851.00,1196,15,1930035,-2660.664,43"), bad(b"UBX", 3));
        assert_eq!(err("$PUBX,04,073731.00,091202"), NmeaError::TooFewFields { kind: *b"UBX" });
        let other = |kind: &[u8; 3]| Nmea::Other { talker: Talker(*b"P?"), kind: *kind, time: None };
        assert_eq!(ok("$PUBX,00,081350.00,4717.113210,N,00833.915187,E,546.589,G3,2.1,2.0"), other(b"UBX"));
        assert_eq!(ok("$PUBX,"), other(b"UBX"));
        assert_eq!(ok("$PGRME,15.0,M,45.0,M,25.0,M"), other(b"GRM"));
        assert_eq!(ok("$PMTK001,604,3"), other(b"MTK"));
        assert_eq!(ok("$PUBXX,04,garbage"), other(b"UBX"));
    }

    #[test]
    fn bad_fields_name_the_field() {
        let rmc_with = |i: usize, v: &str| {
            let mut f = vec![
                "172237.00",
                "A",
                "4513.1124687",
                "N",
                "00548.4306494",
                "E",
                "0.0911",
                "158.924",
                "011217",
                "1.9",
                "E",
                "A",
            ];
            f[i - 1] = v;
            format!("$GPRMC,{}", f.join(","))
        };
        assert!(matches!(ok(&rmc_with(1, "172237.00")), Nmea::Rmc(_)));
        for (field, value) in [
            (1, "256161.00"),
            (1, "250000"),
            (1, "236000"),
            (1, "235961"),
            (1, "12a456"),
            (1, "1234567"),
            (1, "12345"),
            (1, "123456.5x"),
            (1, "-12345"),
            (3, "45x3.1124687"),
            (3, "9100.000"),
            (3, "4560.000"),
            (3, "-4513.11"),
            (3, "12345.000"),
            (3, "4513.11.2"),
            (3, "4513e1"),
            (4, "X"),
            (4, ""),
            (4, "NS"),
            (5, "18100.0"),
            (5, "inf"),
            (6, "N"),
            (7, "NaN"),
            (7, "1e3"),
            (7, "."),
            (8, "--1"),
            (9, "011317"),
            (9, "001217"),
            (9, "321217"),
            (9, "0112170"),
            (9, "01121"),
            (9, "0a1217"),
            (12, "AA"),
            (12, "1"),
        ] {
            let s = rmc_with(field, value);
            assert_eq!(err(&s), bad(b"RMC", field as u8), "{s}");
        }
        assert_eq!(err("$GPZDA,223745.00,11,13,2020,00,00"), bad(b"ZDA", 3));
        assert_eq!(err("$GPZDA,223745.00,0,12,2020,00,00"), bad(b"ZDA", 2));
        assert_eq!(err("$GPZDA,223745.00,11,12,20,00,00"), bad(b"ZDA", 4));
        assert_eq!(
            err("$GNGGA,223745.00,3806.62964,N,12237.61382,W,x,12,0.54,83.1,M,-29.5,M,,"),
            bad(b"GGA", 6)
        );
        assert_eq!(
            err("$GNGGA,223745.00,3806.62964,N,12237.61382,W,2,300,0.54,83.1,M,-29.5,M,,"),
            bad(b"GGA", 7)
        );
        assert_eq!(
            err("$GNGGA,223745.00,3806.62964,N,12237.61382,W,2,12,0.54,83.1,M,-29.5x,M,,"),
            bad(b"GGA", 11)
        );
        assert_eq!(err("$GNGSA,X,3,13,,,,,,,,,,,,1.05,0.64,0.83,4"), bad(b"GSA", 1));
        assert_eq!(err("$GNGSA,A,7,13,,,,,,,,,,,,1.05,0.64,0.83,4"), bad(b"GSA", 2));
        assert_eq!(err("$GNGSA,A,3,13,,,,,,,,,,,70000,1.05,0.64,0.83,4"), bad(b"GSA", 14));
        assert_eq!(err("$GNGSA,A,3,13,,,,,,,,,,,,1.05,0.64,0.83,G"), bad(b"GSA", 18));
        assert_eq!(err("$GPGSV,,1,00"), bad(b"GSV", 1));
        assert_eq!(err("$GPGSV,1,1,00,05,91,047,20"), bad(b"GSV", 5));
        assert_eq!(err("$GPGSV,1,1,00,05,01,047,20,06,01,361,20"), bad(b"GSV", 10));
        assert_eq!(err("$GPGSV,1,1,00,05,01,047,2x"), bad(b"GSV", 7));
        assert_eq!(err("$GPTXT,01,01"), NmeaError::TooFewFields { kind: *b"TXT" });
        assert_eq!(err("$GNGNS,122310.20,3722.4,N,12258.8,W,a,14,0.9,1005.543"), bad(b"GNS", 6));
    }

    #[test]
    fn too_few_fields_and_bad_addresses() {
        for (s, kind) in [
            ("$GPRMC,001902.00,V,,,,,", b"RMC"),
            ("$GPRMC,", b"RMC"),
            ("$GPZDA,223745.00,11,07", b"ZDA"),
            ("$GPGGA,001901.00,,,,,0,00,99.99,", b"GGA"),
            ("$GPGNS,122310.20,3722.4,N,12258.8,W,AA,14", b"GNS"),
            ("$GPGSA,A,1,,,,,,,,,,,,,99.99,99.99", b"GSA"),
            ("$GPGSV,1,1", b"GSV"),
        ] {
            assert_eq!(err(s), NmeaError::TooFewFields { kind: *kind }, "{s}");
        }
        for s in [
            &b""[..],
            b"$",
            b"!",
            b"GPRMC,1",
            b"#GPRMC,1",
            b"$GPRMC",
            b"$GPRM,1",
            b"$GPRMCX,1",
            b"$gprmc,1",
            b"$GP\xffMC,1",
            b"$G-RMC,1",
            b"$,1",
            b"$PUB,04",
            b"$P,1",
        ] {
            assert_eq!(decode(s), Err(NmeaError::BadAddress), "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn every_captured_sentence_decodes() {
        let names = [
            "nmea-fuzzy-cases.log",
            "ublox-8.log",
            "ublox-lea-5q.log",
            "ublox-neo-m9n-nmea.log",
            "ublox-zed-f9p-nmea.log",
            "ublox-zed-f9t-ubx_nmea_l5.log",
            "ublox8-uniqid-monhw.log",
        ];
        let mut counts = std::collections::BTreeMap::new();
        for name in names {
            for s in sentences(name) {
                let n = decode(&s);
                let key = match &n {
                    Ok(Nmea::Other { kind, .. }) => String::from_utf8_lossy(kind).into_owned(),
                    Ok(n) => format!("{n:?}").chars().take_while(char::is_ascii_alphanumeric).collect(),
                    Err(e) => panic!("{name}: {}: {e:?}", String::from_utf8_lossy(&s)),
                };
                *counts.entry(key).or_insert(0) += 1;
            }
        }
        for kind in ["Rmc", "Zda", "Gga", "Gsa", "Gsv", "Txt", "GLL", "GST", "GBS", "VTG"] {
            assert!(counts.contains_key(kind), "no {kind} in captures: {counts:?}");
        }
    }

    /// Pulls a number out of a gpsd JSON line, e.g. `"lat":38.110494000`.
    fn json_number(line: &str, key: &str) -> Option<f64> {
        let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
        let rest = line.get(start..)?;
        rest.get(..rest.find([',', '}'])?)?.parse().ok()
    }

    fn json_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
        let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
        let rest = line.get(start..)?;
        rest.get(..rest.find('"')?)
    }

    /// gpsd's check files interleave the sentences it read with its TPV reports. Every TPV that
    /// carries the time of the latest RMC must show that RMC's date and time, and the position
    /// of the latest RMC or GGA with a fix, to gpsd's printed precision (1e-9 degrees).
    #[test]
    fn rmc_and_gga_agree_with_gpsd_tpv() {
        let mut checked = 0;
        for name in [
            "nmea-fuzzy-cases.log",
            "ublox-8.log",
            "ublox-lea-5q.log",
            "ublox-neo-m9n-nmea.log",
            "ublox-zed-f9p-nmea.log",
        ] {
            let chk = String::from_utf8_lossy(&capture(&format!("{name}.chk"))).into_owned();
            let (mut rmc_time, mut pos) = (String::new(), None);
            for line in chk.lines() {
                if line.starts_with("{\"class\":\"TPV\"") {
                    let (Some(time), Some((lat, lon))) = (json_string(line, "time"), pos) else {
                        continue;
                    };
                    if time == rmc_time && json_number(line, "lat").is_some() {
                        assert!(close(json_number(line, "lat"), lat, 6e-10), "{name}: {line}");
                        assert!(close(json_number(line, "lon"), lon, 6e-10), "{name}: {line}");
                        checked += 1;
                    }
                    continue;
                }
                let sentence = line.split('*').next().unwrap_or_default();
                if !line.starts_with('$') {
                    continue;
                }
                match decode(sentence.as_bytes()) {
                    Ok(Nmea::Rmc(r)) => {
                        if let (Some(t), Some(d)) = (r.time, r.date) {
                            rmc_time = format!(
                                "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                                d.yy,
                                d.month,
                                d.day,
                                t.hour,
                                t.minute,
                                t.second,
                                t.nanos / 1_000_000
                            );
                        }
                        pos = r.lat_deg.zip(r.lon_deg);
                    }
                    Ok(Nmea::Gga(g)) if g.quality > 0 => pos = g.lat_deg.zip(g.lon_deg),
                    Ok(_) => {}
                    Err(e) => panic!("{name}: {line}: {e:?}"),
                }
            }
        }
        assert!(checked > 150, "only {checked} comparisons");
    }

    #[test]
    fn no_panic_on_any_prefix_of_m9n_sentences() {
        let mut decoded = 0;
        for s in sentences("ublox-neo-m9n-nmea.log") {
            for end in 0..=s.len() {
                decoded += usize::from(decode(s.get(..end).unwrap_or_default()).is_ok());
            }
        }
        assert!(decoded > 1000);
    }

    #[test]
    fn no_panic_on_mutated_sentences() {
        const ALPHABET: &[u8] = b",,,,..--*$!0123456789ADENSWVPBX \xff\x00";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for name in ["ublox-zed-f9p-nmea.log", "ublox-lea-5q.log", "ublox8-uniqid-monhw.log"] {
            for s in sentences(name) {
                for _ in 0..20 {
                    let mut m = s.clone();
                    for _ in 0..1 + next() % 4 {
                        let pos = (next() % m.len() as u64) as usize;
                        let byte = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
                        match next() % 3 {
                            0 => m[pos] = byte,
                            1 => m.insert(pos, byte),
                            _ => {
                                m.remove(pos);
                            }
                        }
                        if m.is_empty() {
                            break;
                        }
                    }
                    let _ = decode(&m);
                }
            }
        }
        let long: Vec<u8> = b"$GPGSV,1,1,00".iter().copied().chain(b",1".repeat(2000)).collect();
        assert!(decode(&long).is_ok());
        let long: Vec<u8> = b"$GPGSA,A,3".iter().copied().chain(b",".repeat(400)).collect();
        assert!(decode(&long).is_ok());
    }
}
