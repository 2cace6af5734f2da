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
mod tests;
