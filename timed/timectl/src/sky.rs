//! `timectl sky`: the satellites the receiver lists (table) and where they are (a text sky plot:
//! zenith in the middle, horizon on the circle, north up; upper-case letters are used in the
//! solution).

use crate::client::{snapshot, Target};
use crate::fmt::opt;
use serde::Serialize;
use std::fmt::Write;
use std::process::ExitCode;
use timed::health::Sat;

#[derive(Serialize)]
struct SkyJson<'a> {
    schema: u32,
    used: usize,
    seen: usize,
    satellites: &'a [Sat],
}

pub fn run(t: &Target, json: bool) -> Result<ExitCode, String> {
    let m = snapshot(&t.socket)?;
    let h = m.timed.ok_or("timed sent no state")?;
    let mut sats = h.receiver.satellites.clone();
    sats.sort_by_key(|s| (s.gnss_id, s.svid));
    let used = sats.iter().filter(|s| s.used).count();
    if json {
        crate::fmt::print_json(&SkyJson {
            schema: timed::control::SCHEMA,
            used,
            seen: sats.len(),
            satellites: &sats,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if sats.is_empty() {
        crate::fmt::print_out(&format!(
            "no satellites listed yet by {} (the receiver sends NAV-SAT/GSV every few seconds; \
             none at all means it has no sky view or those messages are disabled)\n",
            h.receiver.device
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::fmt::print_out(&format!("{}\n{}", table(&sats, used), plot(&sats, 10)))?;
    Ok(ExitCode::SUCCESS)
}

fn table(sats: &[Sat], used: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{:<9} {:>4} {:>5} {:>5} {:>4} used", "gnss", "svid", "elev", "azim", "cn0");
    for s in sats {
        let _ = writeln!(
            o,
            "{:<9} {:>4} {:>5} {:>5} {:>4} {}",
            s.gnss,
            s.svid,
            opt(&s.elev_deg),
            opt(&s.azim_deg),
            opt(&s.cno_dbhz),
            if s.used { "yes" } else { "-" }
        );
    }
    let _ = writeln!(o, "{used} of {} used", sats.len());
    o
}

/// The letter of a constellation (RINEX system letters).
fn letter(s: &Sat) -> char {
    let c = match s.gnss_id {
        0 => 'g',
        1 => 's',
        2 => 'e',
        3 => 'c',
        5 => 'j',
        6 => 'r',
        7 => 'i',
        _ => '?',
    };
    if s.used {
        c.to_ascii_uppercase()
    } else {
        c
    }
}

/// A polar plot `radius` rows high; columns are doubled because terminal cells are ~2:1.
pub fn plot(sats: &[Sat], radius: usize) -> String {
    let rows = 2 * radius + 1;
    let cols = 4 * radius + 1;
    let mut grid = vec![vec![' '; cols]; rows];
    let r = radius as f64;
    let put = |grid: &mut Vec<Vec<char>>, x: f64, y: f64, c: char| {
        let col = (r * 2.0 + x * 2.0).round();
        let row = (r + y).round();
        if (0.0..rows as f64).contains(&row) && (0.0..cols as f64).contains(&col) {
            grid[row as usize][col as usize] = c;
        }
    };
    for step in 0..120 {
        let a = f64::from(step) * std::f64::consts::TAU / 120.0;
        put(&mut grid, r * a.sin(), -r * a.cos(), '.');
    }
    put(&mut grid, 0.0, 0.0, '+');
    for s in sats {
        let (Some(el), Some(az)) = (s.elev_deg, s.azim_deg) else { continue };
        if !(0..=90).contains(&el) {
            continue;
        }
        let d = r * f64::from(90 - el) / 90.0;
        let a = f64::from(az).to_radians();
        put(&mut grid, d * a.sin(), -d * a.cos(), letter(s));
    }
    let mut o = String::new();
    let _ = writeln!(o, "{:^width$}", "N", width = cols);
    for (i, row) in grid.iter().enumerate() {
        let line: String = row.iter().collect();
        let (w, e) = if i == radius { ('W', 'E') } else { (' ', ' ') };
        let _ = writeln!(o, "{w} {} {e}", line.trim_end());
    }
    let _ = writeln!(o, "{:^width$}", "S", width = cols);
    let _ = writeln!(
        o,
        "G GPS  E Galileo  C BeiDou  R GLONASS  J QZSS  S SBAS  I NavIC; upper case = used; centre = zenith"
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(gnss_id: u8, el: i16, az: i16, used: bool) -> Sat {
        Sat { gnss_id, svid: 1, elev_deg: Some(el), azim_deg: Some(az), used, ..Sat::default() }
    }

    #[test]
    fn plot_places_satellites_by_azimuth_and_elevation() {
        let p =
            plot(&[sat(0, 90, 0, true), sat(2, 0, 0, false), sat(6, 0, 90, true), sat(3, 0, 180, true)], 10);
        let lines: Vec<&str> = p.lines().collect();
        // Line 0 is "N"; grid rows follow, each prefixed by two characters ("W " on the middle).
        let row = |i: usize| lines[i + 1];
        assert!(row(0).contains('e'), "unused Galileo at the northern horizon: {p}");
        assert_eq!(row(10).chars().nth(2 + 20), Some('G'), "GPS at the zenith: {p}");
        assert_eq!(row(10).chars().nth(2 + 40), Some('R'), "GLONASS due east on the horizon: {p}");
        assert!(row(20).contains('C'), "BeiDou at the southern horizon: {p}");
    }
}
