//! Checks beyond types: values `timed.toml` can hold but timed cannot run with. Each check names
//! the dotted key it is about, so the problem is reported at that key's position.

use super::{octal_mode, Config, PpsSource};
use std::path::Path;

/// Where group names are looked up (no NSS: the appliance has only local groups).
pub const GROUP_FILE: &str = "/etc/group";

pub(super) type Check = (&'static str, String, Option<String>);

/// Checks that depend on the file alone: (dotted key, message, hint).
pub(super) fn check(c: &Config) -> Vec<Check> {
    let mut v: Vec<Check> = Vec::new();
    const BAUDS: [u32; 9] = [4800, 9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600];
    if !BAUDS.contains(&c.receiver.baud) {
        v.push((
            "receiver.baud",
            format!("baud {} is not a rate u-blox receivers use", c.receiver.baud),
            Some(format!("one of {BAUDS:?}; 9600 is the factory default, 115200 the usual setting")),
        ));
    }
    if c.receiver.device.as_os_str().is_empty() {
        v.push(("receiver.device", "receiver.device is empty".into(), Some("e.g. \"/dev/gps0\"".into())));
    }
    paths(c, &mut v);
    if !(0.0..1000.0).contains(&c.receiver.serial_delay_ms) {
        v.push((
            "receiver.serial_delay_ms",
            format!("serial_delay_ms = {} is outside 0..1000", c.receiver.serial_delay_ms),
            Some("the burst starts within the second it belongs to".into()),
        ));
    }
    if !(10..=900).contains(&c.receiver.epoch_gap_ms) {
        v.push(("receiver.epoch_gap_ms", "epoch_gap_ms must be within 10..900".into(), None));
    }
    let [lo, hi] = c.engine.epoch_window_ms;
    if !(lo >= 0.0 && lo < hi && hi < 1000.0) {
        v.push((
            "engine.epoch_window_ms",
            format!("epoch_window_ms = [{lo}, {hi}] must satisfy 0 <= low < high < 1000"),
            None,
        ));
    }
    // An infinite threshold would pass every offset, however wild: that is no outlier check.
    let outlier = c.engine.outlier_ms;
    if !(outlier.is_finite() && outlier > 0.0) {
        v.push((
            "engine.outlier_ms",
            format!("engine.outlier_ms = {outlier} must be a finite number of milliseconds above 0"),
            Some("the default is 2.0".into()),
        ));
    }
    if c.engine.earliest_unix_s().is_none() {
        v.push((
            "engine.earliest_date",
            format!(
                "engine.earliest_date = {:?} is not a date YYYY-MM-DD on or after 1980-01-06",
                c.engine.earliest_date
            ),
            Some("the default is \"2025-01-01\"; set it earlier only to replay a past date".into()),
        ));
    }
    v.extend(c.integrity.problems().into_iter().map(|(k, m)| (k, m, None)));
    v.extend(c.receiver.setup.problems());
    if c.pps.source == PpsSource::Kernel && c.pps.device.as_os_str().is_empty() {
        v.push(("pps.device", "pps.source is \"kernel\" but pps.device is empty".into(), None));
    }
    if c.pps.source == PpsSource::Simulated && c.pps.sim_socket.as_os_str().is_empty() {
        v.push(("pps.sim_socket", "pps.source is \"simulated\" but pps.sim_socket is empty".into(), None));
    }
    for (key, p) in [("chrony.sock.pps", &c.chrony.sock.pps), ("chrony.sock.coarse", &c.chrony.sock.coarse)] {
        if !p.as_os_str().is_empty() && !p.is_absolute() {
            v.push((
                key,
                format!("{} is not an absolute path", p.display()),
                Some("chrony's refclock SOCK path, e.g. /run/chrony/timed-pps.sock".into()),
            ));
        }
        if p.as_os_str().len() >= 108 {
            v.push((key, "socket path longer than 107 bytes (sun_path limit)".into(), None));
        }
    }
    if !c.leap.list.as_os_str().is_empty() && !c.leap.list.is_absolute() {
        v.push((
            "leap.list",
            format!("leap.list = {:?} is not an absolute path", c.leap.list.display().to_string()),
            Some(format!("tzdata's list is {}; \"\" for none", crate::leap_list::DEFAULT_PATH)),
        ));
    }
    if !c.chrony.sock.pps.as_os_str().is_empty() && c.chrony.sock.pps == c.chrony.sock.coarse {
        v.push((
            "chrony.sock.coarse",
            "PPS and coarse samples would go to the same socket".into(),
            Some("give chrony two refclock SOCK lines with different paths".into()),
        ));
    }
    let shm = &c.chrony.shm;
    for (key, u) in [("chrony.shm.coarse_unit", shm.coarse_unit), ("chrony.shm.pps_unit", shm.pps_unit)] {
        if !(-1..=7).contains(&u) {
            v.push((key, format!("SHM unit {u} is outside 0..7 (-1 = off)"), None));
        }
    }
    if shm.enabled && shm.coarse_unit >= 0 && shm.coarse_unit == shm.pps_unit {
        v.push(("chrony.shm.pps_unit", "coarse and PPS samples would share one SHM unit".into(), None));
    }
    match octal_mode(&shm.mode) {
        None => v.push((
            "chrony.shm.mode",
            format!("mode {:?} is not an octal permission like \"0600\"", shm.mode),
            None,
        )),
        // chrony takes whatever is in the segment as this receiver's time: a segment others may
        // write lets any local user steer the clock.
        Some(m) if m & 0o002 != 0 => v.push((
            "chrony.shm.mode",
            format!(
                "chrony.shm.mode {:?} lets every local user write the SHM segments, and chrony would \
                 take what they write as time from this receiver",
                shm.mode
            ),
            Some(
                "\"0600\" (what chrony itself uses); a writer in another group needs at most \"0660\"".into(),
            ),
        )),
        Some(_) => {}
    }
    if octal_mode(&c.control.mode).is_none() {
        v.push((
            "control.mode",
            format!("mode {:?} is not an octal permission like \"0660\"", c.control.mode),
            None,
        ));
    }
    let control = &c.control.socket;
    if !control.as_os_str().is_empty() && (!control.is_absolute() || control.as_os_str().len() >= 108) {
        v.push((
            "control.socket",
            format!("{} is not an absolute socket path shorter than 108 bytes", control.display()),
            Some("e.g. /run/timed/control.sock".into()),
        ));
    }
    if c.metrics.enabled && c.metrics.listen.parse::<std::net::SocketAddr>().is_err() {
        v.push((
            "metrics.listen",
            format!("{:?} is not an address:port", c.metrics.listen),
            Some("e.g. \"127.0.0.1:9477\", or \"[::]:9477\" to serve the LAN".into()),
        ));
    }
    if c.led.enabled && c.led.line.is_empty() {
        v.push(("led.line", "led.line is empty".into(), Some("e.g. \"GPIO17\" (header pin 11)".into())));
    }
    if !c.led.chip.as_os_str().is_empty() && !c.led.chip.is_absolute() {
        v.push(("led.chip", format!("{} is not an absolute path", c.led.chip.display()), None));
    }
    if c.led.chip.as_os_str().is_empty() && c.led.line.parse::<u32>().is_ok() {
        v.push((
            "led.line",
            format!("line {} is an offset, but no led.chip says on which chip", c.led.line),
            Some("name the line (\"GPIO17\") or set chip = \"/dev/gpiochip0\"".into()),
        ));
    }
    // An infinite or NaN limit would never report an exceeded holdover: no limit at all.
    let max = c.holdover.max_error_ms;
    if !(max.is_finite() && max > 0.0) {
        v.push((
            "holdover.max_error_ms",
            format!("holdover.max_error_ms = {max} must be a finite number of milliseconds above 0"),
            Some("the default is 1.0".into()),
        ));
    }
    let zone = &c.holdover.thermal_zone;
    if !zone.as_os_str().is_empty() && !zone.is_absolute() {
        v.push((
            "holdover.thermal_zone",
            format!("{} is not an absolute path", zone.display()),
            Some("e.g. \"/sys/class/thermal/thermal_zone0/temp\", or \"\" to find it".into()),
        ));
    }
    if !c.events.webhook.is_empty() {
        if let Err(e) = crate::events::webhook::Url::parse(&c.events.webhook) {
            v.push((
                "events.webhook",
                format!("events.webhook: {e}"),
                Some("e.g. \"http://127.0.0.1:8080/timed\"".into()),
            ));
        }
    }
    // Only the path: the file is a secret that may exist only on the device (decrypted at boot),
    // not where the configuration is checked; timed reads it when it starts.
    let file = &c.events.webhook_file;
    if !file.as_os_str().is_empty() && !file.is_absolute() {
        v.push((
            "events.webhook_file",
            format!("{} is not an absolute path", file.display()),
            Some("e.g. \"/run/timed-secrets/webhook\"".into()),
        ));
    } else if !file.as_os_str().is_empty() && !c.events.webhook.is_empty() {
        v.push((
            "events.webhook_file",
            "events.webhook and events.webhook_file are both set".into(),
            Some("keep one: the URL itself, or the file holding it".into()),
        ));
    }
    if !(1..=10_000).contains(&c.events.queue) {
        v.push((
            "events.queue",
            format!("events.queue = {} must be 1..10000", c.events.queue),
            Some("the default is 64".into()),
        ));
    }
    if c.log.level.parse::<tracing_subscriber::filter::Targets>().is_err() {
        v.push((
            "log.level",
            format!("log level {:?} is not a valid filter", c.log.level),
            Some("\"info\", \"debug\" or \"timed=debug\"".into()),
        ));
    }
    v
}

/// Every path key: no NUL (the kernel cannot take one), devices absolute (a relative one would be
/// looked up from wherever timed was started), the simulated-PPS socket within `sun_path`.
fn paths(c: &Config, v: &mut Vec<Check>) {
    let all = [
        ("receiver.device", &c.receiver.device),
        ("pps.device", &c.pps.device),
        ("pps.sim_socket", &c.pps.sim_socket),
        ("chrony.command_socket", &c.chrony.command_socket),
        ("chrony.sock.pps", &c.chrony.sock.pps),
        ("chrony.sock.coarse", &c.chrony.sock.coarse),
        ("control.socket", &c.control.socket),
        ("led.chip", &c.led.chip),
        ("holdover.thermal_zone", &c.holdover.thermal_zone),
        ("leap.list", &c.leap.list),
    ];
    for (key, p) in all {
        if p.as_os_str().as_encoded_bytes().contains(&0) {
            v.push((
                key,
                format!("{key} contains a NUL character, which no path can hold"),
                Some("look for a \\u0000 escape in the string".into()),
            ));
        }
    }
    for (key, p) in [("receiver.device", &c.receiver.device), ("pps.device", &c.pps.device)] {
        if !p.as_os_str().is_empty() && !p.is_absolute() {
            v.push((
                key,
                format!("{key} = {:?} is not an absolute path", p.display().to_string()),
                Some("devices are under /dev, e.g. \"/dev/ttyAMA0\" or \"/dev/pps0\"".into()),
            ));
        }
    }
    if c.pps.source == PpsSource::Simulated && c.pps.sim_socket.as_os_str().len() >= 108 {
        v.push(("pps.sim_socket", "socket path longer than 107 bytes (sun_path limit)".into(), None));
    }
}

/// Checks against the system timed will run on: what `timed --check-config` adds to [`check`].
pub(super) fn check_host(c: &Config, group_file: &Path) -> Vec<Check> {
    let mut v: Vec<Check> = Vec::new();
    let group = &c.control.group;
    if !c.control.socket.as_os_str().is_empty() && !group.is_empty() && group_id(group, group_file).is_none()
    {
        v.push((
            "control.group",
            format!(
                "control.group {group:?} is not a group on this system ({}): the control socket \
                 cannot be given to it",
                group_file.display()
            ),
            Some("create the group, or set group = \"\" to keep timed's own".into()),
        ));
    }
    // At run time a bad list only degrades timed (the receiver's word is held or trusted per
    // leap.expired); before a restart it is worth fixing, so it is a problem here.
    if c.leap.list.is_absolute() {
        if let Err(e) = crate::leap_list::load(&c.leap.list) {
            v.push((
                "leap.list",
                format!("leap.list: {e}"),
                Some("install or update tzdata, point leap.list at a good copy, or set it to \"\"".into()),
            ));
        }
    }
    v
}

/// A group's id from an /etc/group-format file.
pub fn group_id(name: &str, file: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.nth(1)?.parse().ok()
    })
}
