//! chronyc queries against the lab's (or any private [`Chronyd`]'s) command socket, parsed from
//! `-c` (CSV) output.

use super::{Chronyd, Lab};
use std::path::Path;
use std::process::Command;

/// One line of `chronyc -c sources`.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// `#` refclock, `^` server, `=` peer.
    pub mode: String,
    /// `*` selected, `+` combined, `-` not combined, `?` unusable, `x` falseticker, `~` variable.
    pub state: String,
    pub name: String,
    pub stratum: u32,
    pub reach: u32,
    /// Last sample's offset as chronyc prints it: system − reference, seconds.
    pub last_offset: f64,
}

/// The interesting fields of `chronyc -c tracking`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tracking {
    pub ref_name: String,
    pub stratum: u32,
    /// chrony's current correction of the system time (`System time` line), seconds.
    pub system_offset: f64,
    pub last_offset: f64,
    pub rms_offset: f64,
    /// Root delay and root dispersion, seconds: a client's root distance is delay / 2 +
    /// dispersion, and chrony's clients ignore a server beyond 3 s (`maxdistance`).
    pub root_delay: f64,
    pub root_dispersion: f64,
    pub leap_status: String,
}

impl Lab {
    /// Runs `chronyc -h <lab socket> -n -c ARGS`.
    pub fn chronyc(&self, args: &[&str]) -> Result<String, String> {
        chronyc_at(&self.chrony_socket(), args)
    }

    pub fn sources(&self) -> Result<Vec<Source>, String> {
        sources_at(&self.chrony_socket())
    }

    pub fn tracking(&self) -> Result<Tracking, String> {
        tracking_at(&self.chrony_socket())
    }

    /// The source named `name` if chrony has selected it (`*`).
    pub fn selected(&self, name: &str) -> bool {
        self.sources().is_ok_and(|v| v.iter().any(|s| s.name == name && s.state == "*"))
    }
}

/// The same queries against any [`Chronyd`] (e.g. an NTP client in another namespace).
impl Chronyd {
    /// Runs `chronyc -h <its socket> -n -c ARGS`.
    pub fn chronyc(&self, args: &[&str]) -> Result<String, String> {
        chronyc_at(&self.socket(), args)
    }

    pub fn sources(&self) -> Result<Vec<Source>, String> {
        sources_at(&self.socket())
    }

    pub fn tracking(&self) -> Result<Tracking, String> {
        tracking_at(&self.socket())
    }
}

fn chronyc_at(socket: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("chronyc")
        .arg("-h")
        .arg(socket)
        .args(["-n", "-c"])
        .args(args)
        .output()
        .map_err(|e| format!("chronyc: {e}"))?;
    if !out.status.success() {
        return Err(format!("chronyc {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn sources_at(socket: &Path) -> Result<Vec<Source>, String> {
    Ok(chronyc_at(socket, &["sources"])?.lines().filter_map(parse_source).collect())
}

fn tracking_at(socket: &Path) -> Result<Tracking, String> {
    let out = chronyc_at(socket, &["tracking"])?;
    parse_tracking(out.trim()).ok_or_else(|| format!("unexpected tracking output: {out}"))
}

fn parse_source(line: &str) -> Option<Source> {
    let f: Vec<&str> = line.split(',').collect();
    if f.len() < 10 {
        return None;
    }
    Some(Source {
        mode: f[0].into(),
        state: f[1].into(),
        name: f[2].into(),
        stratum: f[3].parse().ok()?,
        reach: u32::from_str_radix(f[5], 8).ok()?,
        last_offset: f[7].parse().ok()?,
    })
}

fn parse_tracking(line: &str) -> Option<Tracking> {
    let f: Vec<&str> = line.split(',').collect();
    if f.len() < 14 {
        return None;
    }
    Some(Tracking {
        ref_name: f[1].into(),
        stratum: f[2].parse().ok()?,
        system_offset: f[4].parse().ok()?,
        last_offset: f[5].parse().ok()?,
        rms_offset: f[6].parse().ok()?,
        root_delay: f[10].parse().ok()?,
        root_dispersion: f[11].parse().ok()?,
        leap_status: f[13].into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chronyc_csv() {
        let s = parse_source("#,*,PPS,0,2,377,3,-0.000250104,-0.000250104,0.000000100").unwrap();
        assert_eq!((s.state.as_str(), s.name.as_str(), s.reach), ("*", "PPS", 0o377));
        assert!((s.last_offset + 0.000250104).abs() < 1e-12);
        let t = parse_tracking(
            "50505300,PPS,1,1763890000.000000000,0.000250000,-0.000000010,0.000000500,-1.234,0.001,0.020,0.000000001,0.000010000,4.0,Normal",
        )
        .unwrap();
        assert_eq!((t.stratum, t.ref_name.as_str(), t.leap_status.as_str()), (1, "PPS", "Normal"));
    }
}
