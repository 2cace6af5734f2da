//! The receiver under the names the gpsd Prometheus exporter uses (`gpsd_*`), so its dashboards
//! work against timed alone, with no gpsd and no exporter.
//!
//! Reference: brendanbank/gpsd-prometheus-exporter, `gpsd_exporter.py` (v1.1.19, read at commit
//! b11dd24a), which turns gpsd's JSON (TPV, SKY, PPS, VERSION, DEVICES) into gauges. gpsd's own
//! numbering and fix semantics were checked in gpsd's sources (ntpsec/gpsd mirror, 46977faa):
//! `libgps/gpsutils.c` `ubx2_to_prn()`, `drivers/driver_nmea0183.c` `nmeaid_to_prn()`,
//! `drivers/driver_ubx.c` (fixType → mode/status), `gpsd/gpsd_json.c` (SKY/TPV fields).
//!
//! All read in `gpsd_exporter.py`; "sat" labels are `PRN`,`svid`,`gnssid`,`used`; all are gauges
//! but the histogram.
//!
//! | name | labels | meaning in gpsd | timed feeds it from |
//! |---|---|---|---|
//! | `gpsd_mode` | | TPV `mode`: 0 unseen, 1 none, 2 2D, 3 3D | `receiver.fix`/`fix_ok`: [`gpsd_mode`] |
//! | `gpsd_status` | | TPV `status`: 0 unknown, 1 GPS, 7 time | no fix 0, 2D/3D 1, time-only 7 |
//! | `gpsd_leapseconds` | | TPV `leapseconds` (GPS − UTC) | `receiver.leap_s` if `leap_valid` |
//! | `gpsd_ept` | | TPV `ept`, time error estimate, s | `receiver.tacc_ns` (u-blox tAcc) |
//! | `gpsd_lat`, `gpsd_long` | | TPV `lat`/`lon`, degrees | `receiver.lat_deg`/`lon_deg`, [`Position`] |
//! | `gpsd_altHAE`, `gpsd_altMSL` | | TPV altitudes, m | `receiver.alt_hae_m`/`alt_msl_m`, ditto |
//! | `gpsd_geoidSep` | | TPV geoid separation, m | HAE − MSL; `full` only |
//! | `gpsd_hdop`, `gpsd_pdop` | | SKY dilutions of precision | `receiver.hdop`/`pdop` |
//! | `gpsd_nSat`, `gpsd_uSat` | | SKY satellites listed / used | `receiver.satellites` (`sats_used`) |
//! | `gpsd_sat_seen`, `gpsd_sat_used` | | the exporter's count of SKY's list | `receiver.satellites` |
//! | `gpsd_sat_ss` | sat | SKY `ss`, signal, dB-Hz | `Sat::cno_dbhz` |
//! | `gpsd_sat_el`, `gpsd_sat_az` | sat | SKY `el`/`az`, degrees | `Sat::elev_deg`/`azim_deg` |
//! | `gpsd_used` | sat | SKY `used`, 1/0 | `Sat::used` |
//! | `gpsd_version_info` | `release`,`rev`,`proto_major`,`proto_minor` | VERSION | timed's version, proto 0.0 |
//! | `gpsd_devices_info` | `device`,`driver`,`subtype`,`subtype1`, … ¹ | DEVICES | serial device, MON-VER |
//! | `gpsd_pps_histogram` (histogram) | `device` | PPS `clock_nsec`: system − PPS, ns | `pps_buckets`: [`register`] |
//!
//! ¹ and `activated`,`flags`,`native`,`bps`,`parity`,`stopbits`,`cycle`,`mincycle`: "Unknown", as
//! the exporter writes for fields gpsd does not send.
//!
//! Label values follow the exporter: `used` is Python's `"True"`/`"False"`, `gnssid`/`svid` are
//! u-blox gnssId/svId (SBAS svid 120–158, GLONASS 1–32) and `PRN` is gpsd's "NMEA 2.x–4.0
//! extended" number: GPS 1–32, SBAS 120–151 → 33–64 and 152–158 as is, GLONASS 65–96, IMES
//! 173–182, QZSS 193–202, Galileo 301–336, BeiDou 401–463, NavIC 501–514. gpsd leaves out
//! satellites it cannot number (GLONASS slot 255); so does timed. Two deviations from gpsd, both to
//! keep real satellites: BeiDou 38–63 (gpsd's UBX path drops them, its NMEA path gives 4xx) and
//! NavIC (gpsd's UBX path drops it, its NMEA path gives 5xx).
//!
//! Not rendered (timed has no source for them): the other DOPs, velocities, ECEF, `epx`/`epy`/
//! `epv`…, `gpsd_health`, and the exporter's optional geo-offset histograms. Unknown values are
//! left out rather than rendered as 0, and while the serial port is not open only `gpsd_mode` (0)
//! and the two info gauges remain: a lost receiver has no current sky. Per-satellite azimuth and
//! elevation stay in every [`Position`] mode (as in `timed_receiver_satellite_*`); at 1° they
//! locate the antenna only to hundreds of kilometres.

use super::families::{self, Hist, Reg};
use crate::health::{DeviceState, FixKind, Health, Sat};
use prometheus_client::registry::Registry;

/// How much of the receiver position the `gpsd_*` family shows (`[metrics] position`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// As the receiver reports it.
    Full,
    /// Latitude/longitude rounded to 0.1° (about 11 km), altitudes to 100 m.
    Coarse,
    /// No position metrics at all.
    Off,
}

impl Position {
    /// A latitude or longitude as shown, `None` when withheld.
    pub(crate) fn degrees(self, v: f64) -> Option<f64> {
        match self {
            Position::Full => Some(v),
            Position::Coarse => Some((v * 10.0).round() / 10.0 + 0.0),
            Position::Off => None,
        }
    }

    /// An altitude as shown, `None` when withheld.
    pub(crate) fn meters(self, v: f64) -> Option<f64> {
        match self {
            Position::Full => Some(v),
            Position::Coarse => Some((v / 100.0).round() * 100.0 + 0.0),
            Position::Off => None,
        }
    }
}

type Labels = Vec<(&'static str, String)>;

fn gauge(registry: &mut Registry, name: &str, help: &str, v: Option<f64>) {
    if let Some(v) = v {
        Reg(registry).gauge(name, help, v);
    }
}

fn gauges(registry: &mut Registry, name: &str, help: &str, v: Vec<(Labels, f64)>) {
    Reg(registry).gauges(name, help, v.into_iter().map(|(l, x)| (owned(l), x)).collect());
}

fn owned(l: Labels) -> families::Labels {
    l.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Registers the `gpsd_*` families from one health snapshot.
///
/// `pps_buckets` is timed's own PPS offset histogram, as `timed_offset_seconds{source="pps"}`
/// holds it: ascending `(upper bound in seconds, cumulative count)`, offset = PPS − system,
/// normally ending with `+Inf`. The exporter's `gpsd_pps_histogram` observes gpsd's
/// `clock_nsec`, i.e. system − PPS in nanoseconds, so the buckets are mirrored and scaled
/// (timed's 250 ns × 40 layout becomes exactly the exporter's default `--pps-bucket-size 250
/// --pps-bucket-count 40`, less its always-empty `-Inf` bucket). Mirroring moves a sample lying
/// exactly on a bound into the neighbouring bucket. `_sum` is `h.stats.pps`'s sum, negated and
/// scaled, when that histogram holds as many samples; otherwise NaN (buckets do not carry it, and
/// the exporter's dashboards read only `_bucket`). Empty: no histogram, as the exporter without
/// `--pps-histogram`.
pub fn register(h: &Health, position: Position, pps_buckets: &[(f64, u64)], registry: &mut Registry) {
    let rx = &h.receiver;
    let live = rx.serial_state == DeviceState::Open;
    register_info(h, registry);
    gauge(registry, "gpsd_mode", "Fix mode: 0 not seen yet, 1 no fix, 2 2D, 3 3D", Some(gpsd_mode(h)));
    if live {
        register_fix(h, position, registry);
        register_sky(h, registry);
    }
    if !pps_buckets.is_empty() {
        let device = if h.pps.device.is_empty() { h.pps.source.name() } else { h.pps.device.as_str() };
        let (count, buckets) = mirror_to_ns(pps_buckets);
        // The sum comes with timed's own histogram when these buckets are that histogram.
        let sum = match &h.stats.pps {
            Some(s) if s.histogram_count == count => -s.histogram_sum_s * 1e9,
            _ => f64::NAN,
        };
        Reg(registry).histograms(
            "gpsd_pps_histogram",
            "PPS edge vs system clock, system - PPS in nanoseconds (gpsd clock_nsec)",
            vec![(owned(vec![("device", device.to_string())]), Hist { sum, count, buckets })],
        );
    }
}

/// gpsd's TPV `mode`. 0 until an epoch arrived or while the serial port is not open; 1 when the
/// receiver reports no fix or does not flag it valid (gpsd ignores u-blox `gnssFixOK`; timed
/// does not); 2 for 2D; 3 for 3D and for a time-only fix, as gpsd reports a surveyed-in timing
/// receiver (UBX fixType 5 → `MODE_3D` with `STATUS_TIME` in `driver_ubx.c`).
pub fn gpsd_mode(h: &Health) -> f64 {
    let rx = &h.receiver;
    if rx.serial_state != DeviceState::Open || rx.epochs == 0 {
        return 0.0;
    }
    match (rx.fix, rx.fix_ok) {
        (_, false) | (FixKind::None, true) => 1.0,
        (FixKind::TwoD, true) => 2.0,
        (FixKind::ThreeD | FixKind::Time, true) => 3.0,
    }
}

fn register_fix(h: &Health, position: Position, registry: &mut Registry) {
    let rx = &h.receiver;
    let status = match gpsd_mode(h) {
        m if m < 2.0 => 0.0,
        _ if rx.fix == FixKind::Time => 7.0,
        _ => 1.0,
    };
    gauge(registry, "gpsd_status", "Fix status: 0 unknown, 1 GPS, 7 time-only (surveyed)", Some(status));
    let leap = rx.leap_s.filter(|_| rx.leap_valid).map(f64::from);
    gauge(registry, "gpsd_leapseconds", "GPS - UTC leap seconds", leap);
    let ept = rx.tacc_ns.map(|ns| f64::from(ns) / 1e9);
    gauge(registry, "gpsd_ept", "Estimated time error, seconds (receiver tAcc)", ept);
    let deg = |v: Option<f64>| v.and_then(|v| position.degrees(v));
    let alt = |v: Option<f64>| v.and_then(|v| position.meters(v));
    gauge(registry, "gpsd_lat", "Latitude, degrees north", deg(rx.lat_deg));
    gauge(registry, "gpsd_long", "Longitude, degrees east", deg(rx.lon_deg));
    gauge(registry, "gpsd_altHAE", "Height above the WGS84 ellipsoid, meters", alt(rx.alt_hae_m));
    gauge(registry, "gpsd_altMSL", "Height above mean sea level, meters", alt(rx.alt_msl_m));
    if position == Position::Full {
        let sep = rx.alt_hae_m.zip(rx.alt_msl_m).map(|(hae, msl)| hae - msl);
        gauge(registry, "gpsd_geoidSep", "Geoid separation (HAE - MSL), meters", sep);
    }
}

fn register_sky(h: &Health, registry: &mut Registry) {
    let rx = &h.receiver;
    gauge(registry, "gpsd_hdop", "Horizontal dilution of precision", rx.hdop);
    gauge(registry, "gpsd_pdop", "Position (3D) dilution of precision", rx.pdop);
    // gpsd lists a satellite once per PRN, as the exporter keys its series by PRN.
    let mut sky: Vec<((u16, u8, u16), &Sat)> = Vec::with_capacity(rx.satellites.len());
    for s in &rx.satellites {
        if let Some(ids) = gpsd_ids(s.gnss_id, s.svid) {
            if !sky.iter().any(|(known, _)| known.0 == ids.0) {
                sky.push((ids, s));
            }
        }
    }
    let used = sky.iter().filter(|(_, s)| s.used).count() as f64;
    if sky.is_empty() {
        // gpsd's SKY without a satellite list still carries the GGA count of satellites used.
        gauge(registry, "gpsd_uSat", "Satellites used in the solution", rx.sats_used.map(f64::from));
        return;
    }
    let seen = sky.len() as f64;
    gauge(registry, "gpsd_nSat", "Satellites listed in the sky view", Some(seen));
    gauge(registry, "gpsd_uSat", "Satellites used in the solution", Some(used));
    gauge(registry, "gpsd_sat_seen", "Satellites seen in the current sky view", Some(seen));
    gauge(registry, "gpsd_sat_used", "Satellites used in the current solution", Some(used));
    let per_sat = |f: &dyn Fn(&Sat) -> Option<f64>| -> Vec<(Labels, f64)> {
        sky.iter()
            .filter_map(|&((prn, gnssid, svid), s)| {
                let used = if s.used { "True" } else { "False" };
                let labels = vec![
                    ("PRN", prn.to_string()),
                    ("svid", svid.to_string()),
                    ("gnssid", gnssid.to_string()),
                    ("used", used.to_string()),
                ];
                f(s).map(|v| (labels, v))
            })
            .collect()
    };
    let ss = per_sat(&|s| s.cno_dbhz.map(f64::from));
    gauges(registry, "gpsd_sat_ss", "Carrier-to-noise density, dB-Hz", ss);
    let az = per_sat(&|s| s.azim_deg.map(f64::from));
    gauges(registry, "gpsd_sat_az", "Azimuth, degrees from true north", az);
    let el = per_sat(&|s| s.elev_deg.map(f64::from));
    gauges(registry, "gpsd_sat_el", "Elevation, degrees", el);
    let used_flag = per_sat(&|s| Some(families::flag(s.used)));
    gauges(registry, "gpsd_used", "1 if the satellite is used in the solution", used_flag);
}

fn register_info(h: &Health, registry: &mut Registry) {
    let version = vec![
        ("release", format!("timed {}", h.version)),
        ("rev", h.version.to_string()),
        ("proto_major", "0".to_string()),
        ("proto_minor", "0".to_string()),
    ];
    gauges(registry, "gpsd_version_info", "Version of the daemon behind these metrics", vec![(version, 1.0)]);
    let rx = &h.receiver;
    let unknown = || "Unknown".to_string();
    let driver = match (rx.framer.ubx, rx.framer.nmea) {
        (0, 0) => unknown(),
        (0, _) => "NMEA0183".to_string(),
        _ => "u-blox".to_string(),
    };
    let subtype = match (&rx.firmware, &rx.model) {
        (Some(sw), Some(hw)) => format!("SW {sw},HW {hw}"),
        _ => unknown(),
    };
    let subtype1 = if rx.extensions.is_empty() { unknown() } else { rx.extensions.join(",") };
    let mut device = vec![("device", rx.device.clone()), ("driver", driver)];
    device.push(("subtype", subtype));
    device.push(("subtype1", subtype1));
    for key in ["activated", "flags", "native", "bps", "parity", "stopbits", "cycle", "mincycle"] {
        device.push((key, unknown()));
    }
    gauges(registry, "gpsd_devices_info", "The receiver device", vec![(device, 1.0)]);
}

/// gpsd's `(PRN, gnssid, svid)` for a satellite timed recorded as (u-blox gnssId, number), or
/// `None` where gpsd leaves the slot out. From UBX the number is the u-blox svId already; from
/// NMEA it is the NMEA number, which may also carry another system (SBAS 33–64 or QZSS 193–202
/// under a `GP` talker, GLONASS 65–96, Galileo 301–336, BeiDou 201–263/401–463).
pub fn gpsd_ids(gnss_id: u8, number: u16) -> Option<(u16, u8, u16)> {
    let (g, v) = match (gnss_id, number) {
        (0 | 1, 33..=64) => (1, number + 87),
        (0, 120..=158) => (1, number),
        (0 | 5, 193..=202) => (5, number - 192),
        (0 | 4, 173..=182) => (4, number - 172),
        (2, 211..=246) => (2, number - 210),
        (2, 301..=336) => (2, number - 300),
        (3, 201..=263) => (3, number - 200),
        (3, 401..=463) => (3, number - 400),
        (6, 65..=96) => (6, number - 64),
        (7, 501..=514) => (7, number - 500),
        other => other,
    };
    let prn = match (g, v) {
        (0, 1..=32) => v,
        (1, 120..=151) => v - 87,
        (1, 152..=158) => v,
        (2, 1..=36) => v + 300,
        (3, 1..=63) => v + 400,
        (4, 1..=10) => v + 172,
        (5, 1..=10) => v + 192,
        (6, 1..=32) => v + 64,
        (7, 1..=14) => v + 500,
        _ => return None,
    };
    Some((prn, g, v))
}

/// timed's cumulative PPS buckets (s, PPS − system) → gpsd's per-bucket ones (ns, system − PPS):
/// `x ∈ (u[i-1], u[i]]` is `−x ∈ [−u[i], −u[i-1])`, filed under the bound `−u[i-1]`. Returns
/// (count, buckets ending with `+Inf`).
fn mirror_to_ns(cumulative: &[(f64, u64)]) -> (u64, Vec<(f64, u64)>) {
    let mut finite: Vec<(f64, u64)> = cumulative.iter().copied().filter(|(b, _)| b.is_finite()).collect();
    finite.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = cumulative.iter().map(|&(_, c)| c).max().unwrap_or(0);
    let mut out = Vec::with_capacity(finite.len() + 1);
    let mut above = total;
    for &(bound, below) in finite.iter().rev() {
        // Rounded to 1 ps so 2.5e-7 s reads 250.0, not 249.99999999999997; `+ 0.0` turns −0 into 0.
        let ns = (-bound * 1e12).round() / 1e3 + 0.0;
        out.push((ns, above.saturating_sub(below)));
        above = below.min(above);
    }
    out.push((f64::INFINITY, above));
    (out.iter().map(|&(_, c)| c).sum(), out)
}

#[cfg(test)]
mod tests;
