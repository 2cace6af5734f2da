//! Checks of this box's set-up, which need no running timed: timed.toml, the control socket,
//! the receiver's and the PPS device nodes, the SOCK sockets and the SHM segments, each judged
//! for timed's user (docs/privileges.md says who needs what).

use super::gather::Facts;
use super::system::Kind;
use super::Check;
use timed::config::PpsSource;

const NO_CONFIG: &str = "timed.toml did not load (see timed-config)";

pub fn timed_config(f: &Facts) -> Check {
    const ID: &str = "timed-config";
    match &f.config {
        Ok(_) => Check::ok(ID, format!("{} is valid", f.config_path.display())),
        Err(problems) => {
            let text: Vec<String> = problems
                .iter()
                .map(|p| match (p.line, &p.hint) {
                    (0, _) => format!("{}: {}", p.file.display(), p.message),
                    (_, Some(h)) => {
                        format!("{}:{}:{}: {} (hint: {h})", p.file.display(), p.line, p.col, p.message)
                    }
                    (_, None) => format!("{}:{}:{}: {}", p.file.display(), p.line, p.col, p.message),
                })
                .collect();
            let fix = if f.config_text.is_none() {
                format!(
                    "create {} (the package ships an example in /usr/share/doc/timed/), or point the \
                     doctor at timed's file: timectl doctor --config FILE",
                    f.config_path.display()
                )
            } else {
                format!(
                    "correct the line(s) named, then check again with `timed --check-config -c {}` \
                     and restart timed (systemctl restart timed)",
                    f.config_path.display()
                )
            };
            Check::fail(ID, text.join("; "), fix)
        }
    }
}

pub fn timed_running(f: &Facts) -> Check {
    const ID: &str = "timed-running";
    let sock = f.control_socket.display();
    match &f.live {
        Ok(l) => Check::ok(
            ID,
            format!(
                "timed {} answers on {sock} (up {} s)",
                l.b.version,
                (l.now_ns / 1_000_000_000 - l.b.started_unix_s).max(0)
            ),
        ),
        Err(e) => {
            use crate::client::Failure;
            let mut fix = match e.kind {
                Failure::PermissionDenied => {
                    "permission denied: join the socket's group (sudo usermod -aG timed $USER, then log in \
                     again) or run the doctor with sudo (docs/privileges.md)"
                }
                Failure::Busy | Failure::Closed => {
                    "timed runs but its control socket is busy: run the doctor again in a moment \
                     (ss -xp | grep timed shows who holds it)"
                }
                Failure::NotListening => "timed stopped uncleanly: systemctl restart timed",
                Failure::Hung => "timed accepts but does not answer: systemctl restart timed",
                _ => "start timed: systemctl start timed (journalctl -u timed -e shows why it stopped)",
            }
            .to_string();
            if let Some(c) = f.cfg() {
                if c.control.socket != f.control_socket {
                    fix.push_str(&format!(
                        "; timed.toml puts the socket at {} ({}): use timectl --socket {}",
                        c.control.socket.display(),
                        f.key_at("control", "socket"),
                        c.control.socket.display()
                    ));
                }
            }
            if e.kind.is_busy() {
                // timed runs: its live checks are skipped, but nothing says time is not served.
                return Check::warn(ID, e.message.clone(), fix);
            }
            Check::fail(ID, e.message.clone(), fix)
        }
    }
}

pub fn serial_device(f: &Facts) -> Check {
    const ID: &str = "serial-device";
    let (Some(c), Some(info)) = (f.cfg(), &f.serial) else { return Check::skip(ID, NO_CONFIG) };
    let dev = c.receiver.device.display().to_string();
    let at = f.key_at("receiver", "device");
    let others: Vec<String> = f.serial_candidates.iter().map(|p| p.display().to_string()).collect();
    let candidates = if others.is_empty() {
        "no serial port (/dev/serial0, ttyAMA0, ttyACM0, ttyUSB0, ttyS0) exists either".to_string()
    } else {
        format!("present: {}", others.join(", "))
    };
    let udev = if dev == "/dev/gps0" {
        "the udev rule 60-timed.rules (in /usr/lib/udev/rules.d) makes /dev/gps0 for ttyAMA0 and u-blox \
         USB receivers: install it and run `udevadm trigger -s tty`; "
    } else {
        ""
    };
    match info.kind {
        Kind::Missing => Check::fail(
            ID,
            format!("receiver device {dev} ([receiver] device, {at}) does not exist; {candidates}"),
            format!(
                "{udev}plug in / power the receiver (USB: `dmesg | grep tty`; HAT: dtoverlay=disable-bt in \
                 config.txt frees ttyAMA0), or set [receiver] device to the right port in {}",
                f.config_path.display()
            ),
        ),
        Kind::Dangling => Check::fail(
            ID,
            format!(
                "receiver device {dev} is a symlink to {}, which does not exist (receiver unplugged?); {candidates}",
                info.link.as_ref().map_or_else(String::new, |l| l.display().to_string())
            ),
            format!("{udev}reconnect the receiver, or set [receiver] device ({at}) to a port that exists"),
        ),
        Kind::Char => {
            let target = info.link.as_ref().map_or_else(String::new, |l| format!(" -> {}", l.display()));
            let (maj, min) = info.rdev.unwrap_or_default();
            let owner = info.owner_text(&f.names);
            let who = f.identity.describe(&f.names);
            if !f.identity.may(&info.owner, 6) || info.blocked_dir(&f.identity).is_some() {
                Check::fail(
                    ID,
                    format!("{who} cannot open {dev}{target} ({owner}) for reading and writing"),
                    format!(
                        "give timed the device's group: usermod -aG {} {} (timed.service has \
                         SupplementaryGroups=dialout), or fix GROUP/MODE in the udev rule and run `udevadm trigger`",
                        f.names.group(info.owner.gid),
                        f.identity.name
                    ),
                )
            } else {
                Check::ok(ID, format!("{dev}{target}: character device {maj}:{min}, {owner}, usable by {who}"))
            }
        }
        k => Check::fail(
            ID,
            format!("receiver device {dev} ({at}) is {}, not a serial port", k.name()),
            format!("set [receiver] device in {} to the receiver's tty ({candidates})", f.config_path.display()),
        ),
    }
}

pub fn pps_device(f: &Facts) -> Check {
    const ID: &str = "pps-device";
    let (Some(c), Some(info)) = (f.cfg(), &f.pps) else { return Check::skip(ID, NO_CONFIG) };
    let at = f.key_at("pps", "source");
    match c.pps.source {
        PpsSource::Simulated => {
            return Check::warn(
                ID,
                format!(
                    "PPS edges are SIMULATED (timed-sim sends them to {}; [pps] source, {at}): a demo/test \
                     set-up, not a time server",
                    c.pps.sim_socket.display()
                ),
                "on the appliance set [pps] source = \"kernel\" and device = \"/dev/pps0\" in timed.toml",
            )
        }
        PpsSource::Off => {
            return Check::warn(
                ID,
                format!("PPS is off ([pps] source, {at}): chrony gets only the serial time (milliseconds)"),
                "wire the receiver's time pulse to a GPIO (Pi: GPIO18, pin 12), add dtoverlay=pps-gpio,gpiopin=18 \
                 to config.txt and set [pps] source = \"kernel\"",
            )
        }
        PpsSource::Kernel => {}
    }
    let dev = c.pps.device.display();
    let overlay = "Raspberry Pi: add `dtoverlay=pps-gpio,gpiopin=18` to /boot/firmware/config.txt \
                   (`timectl board config-txt` prints your board's line) and reboot; `ls /sys/class/pps` \
                   lists the registered sources";
    match info.kind {
        Kind::Missing | Kind::Dangling => Check::fail(
            ID,
            format!(
                "PPS device {dev} ([pps] device, {}) does not exist: no kernel PPS source",
                f.key_at("pps", "device")
            ),
            overlay,
        ),
        Kind::Char => {
            let owner = info.owner_text(&f.names);
            let driver = f.pps_driver.as_deref().map_or_else(String::new, |d| format!(" (driver {d})"));
            if !f.identity.may(&info.owner, 4) || info.blocked_dir(&f.identity).is_some() {
                Check::fail(
                    ID,
                    format!("{} cannot read {dev}{driver} ({owner})", f.identity.describe(&f.names)),
                    "install udev/60-timed.rules (SUBSYSTEM==\"pps\", GROUP=\"timed\", MODE=\"0640\") and run \
                     `udevadm trigger -s pps`",
                )
            } else {
                Check::ok(ID, format!("{dev}{driver}: {owner}, readable by {}", f.identity.name))
            }
        }
        k => Check::fail(ID, format!("PPS device {dev} is {}, not a PPS device", k.name()), overlay),
    }
}

/// The SOCK sockets chronyd made for timed and the control socket's directory.
pub fn socket_paths(f: &Facts) -> Check {
    const ID: &str = "socket-paths";
    let Some(c) = f.cfg() else { return Check::skip(ID, NO_CONFIG) };
    let who = f.identity.describe(&f.names);
    let mut bad: Vec<(String, String)> = Vec::new();
    let mut good: Vec<String> = Vec::new();
    for (kind, info) in &f.socks {
        let p = info.path.display();
        let at = f.key_at("chrony.sock", kind);
        match info.kind {
            Kind::Socket => match (f.identity.may(&info.owner, 2), info.blocked_dir(&f.identity)) {
                (true, None) => good.push(p.to_string()),
                (false, _) => bad.push((
                    format!("{who} cannot write {p} ({})", info.owner_text(&f.names)),
                    "install the chrony drop-in (systemd/chrony.service.d/timed.conf: ExecStartPost chgrp timed, \
                     chmod g+w on /run/chrony/timed-*.sock), then systemctl daemon-reload && systemctl restart \
                     chrony (docs/privileges.md)"
                        .into(),
                )),
                (true, Some((d, o))) => bad.push((
                    format!(
                        "{who} cannot reach {p}: directory {} is {}",
                        d.display(),
                        o.map_or("missing".into(), |o| format!("{:04o} {}:{}", o.mode, f.names.user(o.uid), f.names.group(o.gid)))
                    ),
                    "let timed's group into chronyd's directory: RuntimeDirectoryMode=0770 in the chrony drop-in \
                     and timed in group _chrony (docs/privileges.md)"
                        .into(),
                )),
            },
            Kind::Missing => bad.push((
                format!("{kind} socket {p} ([chrony.sock] {kind}, {at}) does not exist"),
                "chronyd creates each SOCK socket when it starts with the matching `refclock SOCK PATH` line (see \
                 chrony-refclock-pps/-coarse and chronyd-running): fix those, then systemctl restart chrony"
                    .to_string(),
            )),
            k => bad.push((
                format!("{p} ([chrony.sock] {kind}, {at}) is {}, not a socket", k.name()),
                format!("remove {p} and restart chronyd, which creates the socket there"),
            )),
        }
    }
    let control = &c.control.socket;
    if !control.as_os_str().is_empty() && f.live.is_err() {
        match &f.control_dir {
            Some(d) if d.kind == Kind::Dir && f.identity.may(&d.owner, 3) => {}
            Some(d) if d.kind == Kind::Dir => bad.push((
                format!(
                    "{who} cannot create the control socket {} in {} ({})",
                    control.display(),
                    d.path.display(),
                    d.owner_text(&f.names)
                ),
                "timed.service's RuntimeDirectory=timed creates /run/timed for timed; or give timed that \
                 directory"
                    .into(),
            )),
            Some(d) => bad.push((
                format!(
                    "directory {} for the control socket {} does not exist",
                    d.path.display(),
                    control.display()
                ),
                "timed.service's RuntimeDirectory=timed creates /run/timed when timed starts under systemd; \
                 otherwise create it for timed's user"
                    .into(),
            )),
            None => {}
        }
    }
    if bad.is_empty() {
        if good.is_empty() {
            return Check::skip(ID, "timed sends chrony nothing over SOCK ([chrony.sock] paths are empty)");
        }
        return Check::ok(ID, format!("{} writable by {}", good.join(", "), f.identity.name));
    }
    let (m, mut x): (Vec<String>, Vec<String>) = bad.into_iter().unzip();
    x.dedup();
    Check::fail(ID, m.join("; "), x.join("; "))
}

/// NTP SHM key of unit `u`: "NTP0" + u in ASCII, as gpsd and chrony's SHM driver use.
pub fn shm_key(unit: i32) -> u32 {
    0x4e54_5030_u32.wrapping_add(unit as u32)
}

pub fn shm(f: &Facts) -> Check {
    const ID: &str = "shm";
    let Some(c) = f.cfg() else { return Check::skip(ID, NO_CONFIG) };
    let s = &c.chrony.shm;
    let units: Vec<i32> = [s.coarse_unit, s.pps_unit].into_iter().filter(|u| s.enabled && *u >= 0).collect();
    if units.is_empty() {
        return Check::skip(ID, "timed does not use SHM ([chrony.shm] enabled = false)");
    }
    let segs = match &f.shm {
        Ok(v) => v,
        Err(e) => return Check::skip(ID, e.clone()),
    };
    let conf = f.chrony_conf.as_ref().ok();
    let mut bad: Vec<(String, String)> = Vec::new();
    let mut good = Vec::new();
    for u in units {
        let key = shm_key(u);
        let line = conf.and_then(|c| c.refclocks.iter().find(|r| r.shm_unit() == Some(u)));
        let recreate = format!(
            "systemctl stop timed chrony; ipcrm -M {key:#x}; systemctl start chrony timed (chronyd recreates it)"
        );
        match segs.iter().find(|g| g.key == key) {
            None => bad.push((
                format!("no SHM segment NTP{u} (key {key:#x}): chronyd makes it at start from `refclock SHM {u}`"),
                format!(
                    "check chrony-refclock-* and chronyd-running, then systemctl restart chrony{}",
                    line.map_or(String::new(), |r| format!(" ({} has the line)", r.at))
                ),
            )),
            Some(g) if g.owner.mode & 0o002 != 0 => bad.push((
                format!(
                    "SHM segment NTP{u} (key {key:#x}) is world-writable ({:04o}, owner {}): any local user can set \
                     this server's time{}",
                    g.owner.mode,
                    f.names.user(g.owner.uid),
                    line.filter(|r| r.shm_perm() & 0o002 != 0)
                        .map_or(String::new(), |r| format!(" (perm={:04o} at {})", r.shm_perm(), r.at))
                ),
                format!(
                    "use perm=0600 (timed as chronyd's user) or perm=0660 with a shared group in chrony.conf, never \
                     0666 (docs/privileges.md), and recreate the segment: {recreate}"
                ),
            )),
            Some(g) if !f.identity.may(&g.owner, 6) => bad.push((
                format!(
                    "{} cannot write SHM segment NTP{u} (key {key:#x}, owner {}:{} {:04o})",
                    f.identity.describe(&f.names),
                    f.names.user(g.owner.uid),
                    f.names.group(g.owner.gid),
                    g.owner.mode
                ),
                format!(
                    "start timed before chronyd so timed creates it ([chrony.shm] mode), or `refclock SHM {u}:perm=0660` \
                     with timed in the owning group (docs/privileges.md); then {recreate}"
                ),
            )),
            Some(g) => good.push(format!(
                "NTP{u} {key:#x} ({}:{} {:04o}, {} attached)",
                f.names.user(g.owner.uid),
                f.names.group(g.owner.gid),
                g.owner.mode,
                g.attached
            )),
        }
    }
    if bad.is_empty() {
        return Check::ok(ID, good.join(", "));
    }
    let (m, mut x): (Vec<String>, Vec<String>) = bad.into_iter().unzip();
    x.dedup();
    Check::fail(ID, m.join("; "), x.join("; "))
}

#[cfg(test)]
#[path = "local_tests.rs"]
mod tests;
