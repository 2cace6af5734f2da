//! NMEA 0183 encoders in the dialect of a u-blox M9/F9 receiver (NMEA 4.10/4.11: GSA with a
//! system id, GSV with a signal id, RMC with mode and navigational status). Each returns the
//! sentence with checksum and CR LF (`timed_core::framer::nmea_sentence`).

use crate::sky::{Sat, Snapshot};
use timed_core::framer::nmea_sentence;

/// The talker of position/time sentences: `GN` when several constellations are combined.
fn main_talker(s: &Snapshot) -> &'static str {
    match s.constellations().as_slice() {
        [only] => only.talker(),
        _ => "GN",
    }
}

fn hhmmss(s: &Snapshot) -> String {
    let t = s.utc().time;
    format!("{:02}{:02}{:02}.00", t.hour, t.minute, t.second)
}

/// `ddmm.mmmmm,N` / `dddmm.mmmmm,E` with five decimals of minutes, as u-blox sends.
fn coordinate(deg: f64, deg_digits: usize, pos: char, neg: char) -> String {
    let hemi = if deg < 0.0 { neg } else { pos };
    // Work in 1e-5 minutes so rounding cannot produce "60.00000" minutes.
    let total = (deg.abs() * 60.0 * 1e5).round() as u64;
    let (d, rest) = (total / (60 * 100_000), total % (60 * 100_000));
    format!("{d:0deg_digits$}{:02}.{:05},{hemi}", rest / 100_000, rest % 100_000)
}

fn lat_lon(s: &Snapshot) -> String {
    let p = s.position;
    format!("{},{}", coordinate(p.lat_deg, 2, 'N', 'S'), coordinate(p.lon_deg, 3, 'E', 'W'))
}

/// RMC: status A with a fix, V (and no position) without.
pub fn rmc(s: &Snapshot) -> String {
    let d = s.utc().date;
    let date = format!("{:02}{:02}{:02}", d.day, d.month, d.year.rem_euclid(100));
    let talker = main_talker(s);
    let time = hhmmss(s);
    // The last field is NMEA 4.10 navigational status; u-blox always sends V ("not provided").
    if s.fix {
        nmea_sentence(&format!("{talker}RMC,{time},A,{},0.012,,{date},,,A,V", lat_lon(s)))
    } else {
        nmea_sentence(&format!("{talker}RMC,{time},V,,,,,,,{date},,,N,V"))
    }
}

/// GGA: quality 1 with a fix, 0 (and no position) without.
pub fn gga(s: &Snapshot) -> String {
    let talker = main_talker(s);
    let time = hhmmss(s);
    if s.fix {
        let p = s.position;
        let msl = p.height_m - p.geoid_sep_m;
        nmea_sentence(&format!(
            "{talker}GGA,{time},{},1,{:02},{:.2},{msl:.1},M,{:.1},M,,",
            lat_lon(s),
            s.used(),
            s.hdop,
            p.geoid_sep_m
        ))
    } else {
        nmea_sentence(&format!("{talker}GGA,{time},,,,,0,00,99.99,,,,,,"))
    }
}

/// GSA, one per constellation (12 satellite slots each, repeated if more are used).
pub fn gsa(s: &Snapshot) -> Vec<String> {
    let talker = main_talker(s);
    let mode = if s.fix { 3 } else { 1 };
    let dops =
        if s.fix { format!("{:.2},{:.2},{:.2}", s.pdop, s.hdop, s.vdop) } else { "99.99,99.99,99.99".into() };
    let mut out = Vec::new();
    for g in s.constellations() {
        let used: Vec<u16> =
            s.sats.iter().filter(|x| x.gnss == g && x.used).map(|x| g.nmea_sv(x.sv_id)).collect();
        let groups: Vec<&[u16]> = if used.is_empty() { vec![&[]] } else { used.chunks(12).collect() };
        for ids in groups {
            let mut slots: Vec<String> = ids.iter().map(|id| format!("{id:02}")).collect();
            slots.resize(12, String::new());
            out.push(nmea_sentence(&format!(
                "{talker}GSA,A,{mode},{},{dops},{}",
                slots.join(","),
                g.nmea_system_id()
            )));
        }
    }
    out
}

/// GSV groups, one per constellation, four satellites per sentence.
pub fn gsv(s: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for g in s.constellations() {
        let sats: Vec<&Sat> = s.sats.iter().filter(|x| x.gnss == g).collect();
        let total = sats.len().div_ceil(4);
        for (i, chunk) in sats.chunks(4).enumerate() {
            let mut body = format!("{}GSV,{total},{},{:02}", g.talker(), i + 1, sats.len());
            for x in chunk {
                body.push_str(&format!(
                    ",{:02},{:02},{:03},{:02}",
                    g.nmea_sv(x.sv_id),
                    x.elev_deg,
                    x.azim_deg,
                    x.cno_dbhz
                ));
            }
            body.push_str(&format!(",{}", g.nmea_signal_id()));
            out.push(nmea_sentence(&body));
        }
    }
    out
}

/// GLL: position, time, status (A/V) and mode (A autonomous, N no fix).
pub fn gll(s: &Snapshot) -> String {
    let talker = main_talker(s);
    let time = hhmmss(s);
    if s.fix {
        nmea_sentence(&format!("{talker}GLL,{},{time},A,A", lat_lon(s)))
    } else {
        nmea_sentence(&format!("{talker}GLL,,,,,{time},V,N"))
    }
}

/// VTG: course and speed over ground (a stationary antenna: no course, a few mm/s of noise).
pub fn vtg(s: &Snapshot) -> String {
    let talker = main_talker(s);
    if s.fix {
        nmea_sentence(&format!("{talker}VTG,,T,,M,0.012,N,0.022,K,A"))
    } else {
        nmea_sentence(&format!("{talker}VTG,,T,,M,,N,,K,N"))
    }
}

/// ZDA: the time and four-digit date (sent with and without a fix, as u-blox does).
pub fn zda(s: &Snapshot) -> String {
    let d = s.utc().date;
    nmea_sentence(&format!(
        "{}ZDA,{},{:02},{:02},{},00,00",
        main_talker(s),
        hhmmss(s),
        d.day,
        d.month,
        d.year
    ))
}

/// TXT with the antenna supervisor's state (`OK`, `OPEN`, `SHORT`), as a u-blox with an
/// active antenna supervisor prints it on change (u-blox 8 protocol spec, NMEA TXT).
pub fn txt_antenna(status: &str) -> String {
    nmea_sentence(&format!("GPTXT,01,01,02,ANTSTATUS={status}"))
}

/// TXT sentences that fill about `bytes` bytes (never less than one sentence's worth when
/// `bytes` > 0), for padding a line to a target load. Their text carries no `=` so a decoder
/// does not take them for receiver information.
pub fn filler(bytes: usize, counter: &mut u64) -> Vec<String> {
    let mut out = Vec::new();
    let mut left = bytes;
    while left > 0 {
        // "$GNTXT,01,01,02," + text + "*hh\r\n" is 21 bytes around the text; cap at 80 bytes.
        let text_len = left.saturating_sub(21).clamp(8, 59);
        let mut text = format!("fill {counter:010} ");
        *counter += 1;
        while text.len() < text_len {
            text.push('.');
        }
        text.truncate(text_len);
        let sentence = nmea_sentence(&format!("GNTXT,01,01,02,{text}"));
        left = left.saturating_sub(sentence.len());
        out.push(sentence);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_format_like_ublox() {
        assert_eq!(coordinate(47.3769, 2, 'N', 'S'), "4722.61400,N");
        assert_eq!(coordinate(-121.314135, 3, 'E', 'W'), "12118.84810,W");
        // 59.999999' rounds up into the next degree instead of printing 60 minutes.
        assert_eq!(coordinate(1.0 - 1e-9, 2, 'N', 'S'), "0100.00000,N");
    }

    #[test]
    fn filler_is_close_to_the_request() {
        let mut n = 0;
        for want in [1usize, 30, 80, 81, 500, 10_000] {
            let got: usize = filler(want, &mut n).iter().map(String::len).sum();
            assert!(got >= want && got < want + 30, "{want} → {got}");
        }
        assert!(filler(0, &mut n).is_empty());
    }
}
