use super::*;
use crate::doctor::system::Shm;
use crate::doctor::testutil::{conf, facts, healthy, info, live, own, TOML};
use crate::doctor::Status;
use std::path::Path;

fn fix(c: &Check) -> &str {
    c.fix.as_deref().unwrap_or_default()
}

#[test]
fn timed_config_names_file_line_and_column() {
    let f = facts(TOML);
    assert_eq!(timed_config(&f).status, Status::Ok);
    let f = facts("[receiver]\nbaud = 1234\n");
    let c = timed_config(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.starts_with("/etc/timed/timed.toml:2:8: baud 1234"), "{}", c.message);
    assert!(fix(&c).contains("timed --check-config -c /etc/timed/timed.toml"));
    let mut f = facts("[receiver]\ndevise = 1\n");
    f.config_text = None;
    let c = timed_config(&f);
    assert!(fix(&c).starts_with("create /etc/timed/timed.toml"), "{c:?}");
    // Everything that needs the configuration says so instead of guessing.
    for c in [serial_device(&f), pps_device(&f), socket_paths(&f), shm(&f)] {
        assert_eq!((c.status, c.message.as_str()), (Status::Skip, NO_CONFIG), "{c:?}");
    }
}

#[test]
fn timed_running_names_the_socket_and_where_timed_toml_puts_it() {
    let mut f = facts(&format!("{TOML}\n[control]\nsocket = \"/run/other/control.sock\"\n"));
    let c = timed_running(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.contains("no control socket at /run/timed/control.sock"), "{c:?}");
    assert!(fix(&c).contains("systemctl start timed"));
    assert!(fix(&c).contains("/run/other/control.sock (/etc/timed/timed.toml:11)"), "{c:?}");
    f.live = Ok(live(healthy(9), healthy(12), 3.0));
    let c = timed_running(&f);
    assert_eq!(c.status, Status::Ok);
    assert!(c.message.starts_with("timed 0.1.0 answers on /run/timed/control.sock (up 12 s)"), "{c:?}");
}

#[test]
fn serial_device_missing_dangling_wrong_kind_permissions() {
    let mut f = facts(TOML);
    let c = serial_device(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.starts_with(
        "receiver device /dev/gps0 ([receiver] device, /etc/timed/timed.toml:2) does not exist"
    ));
    assert!(c.message.contains("no serial port"), "{c:?}");
    assert!(fix(&c).contains("60-timed.rules") && fix(&c).contains("udevadm trigger -s tty"), "{c:?}");
    f.serial_candidates = vec!["/dev/ttyACM0".into()];
    assert!(serial_device(&f).message.contains("present: /dev/ttyACM0"));

    let dev = Path::new("/dev/gps0");
    let mut dangling = info(dev, Kind::Dangling, own(0, 0, 0));
    dangling.link = Some("ttyACM0".into());
    f.serial = Some(dangling);
    let c = serial_device(&f);
    assert!(c.message.contains("symlink to ttyACM0, which does not exist"), "{c:?}");

    f.serial = Some(info(dev, Kind::File, own(0, 0, 0o644)));
    assert!(serial_device(&f).message.contains("is a regular file, not a serial port"));

    // root:dialout 0660 is fine for timed (in dialout); root:root 0600 is not.
    let mut tty = info(dev, Kind::Char, own(0, 20, 0o660));
    tty.link = Some("ttyAMA0".into());
    f.serial = Some(tty.clone());
    let c = serial_device(&f);
    assert_eq!(c.status, Status::Ok, "{c:?}");
    assert!(
        c.message.starts_with("/dev/gps0 -> ttyAMA0: character device 204:64, root:dialout 0660"),
        "{c:?}"
    );
    tty.owner = own(0, 0, 0o600);
    f.serial = Some(tty);
    let c = serial_device(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.message.starts_with(
            "user timed (uid 998; groups timed, dialout, _chrony; the timed user, timed is not running)"
        ),
        "{c:?}"
    );
    assert!(c.message.contains("cannot open /dev/gps0 -> ttyAMA0 (root:root 0600)"), "{c:?}");
    assert!(fix(&c).contains("usermod -aG root timed"), "{c:?}");
}

#[test]
fn pps_device_simulated_off_missing_unreadable() {
    let f = facts("[pps]\nsource = \"simulated\"\nsim_socket = \"/tmp/lab/sim-pps.sock\"\n");
    let c = pps_device(&f);
    assert_eq!(c.status, Status::Warn, "simulated PPS is DEGRADED in timectl status too");
    assert!(c.message.contains("SIMULATED") && c.message.contains("/tmp/lab/sim-pps.sock"), "{c:?}");
    assert!(c.message.contains("/etc/timed/timed.toml:2"), "{c:?}");
    let c = pps_device(&facts("[pps]\nsource = \"off\"\n"));
    assert_eq!(c.status, Status::Warn);
    assert!(fix(&c).contains("dtoverlay=pps-gpio,gpiopin=18"));

    let mut f = facts(TOML);
    let c = pps_device(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c
        .message
        .starts_with("PPS device /dev/pps0 ([pps] device, /etc/timed/timed.toml:8) does not exist"));
    assert!(
        fix(&c).contains("dtoverlay=pps-gpio,gpiopin=18") && fix(&c).contains("timectl board config-txt")
    );
    f.pps = Some(info(Path::new("/dev/pps0"), Kind::Char, own(0, 0, 0o600)));
    f.pps_driver = Some("pps@12.-1".into());
    let c = pps_device(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.contains("cannot read /dev/pps0 (driver pps@12.-1) (root:root 0600)"), "{c:?}");
    assert!(fix(&c).contains("GROUP=\"timed\", MODE=\"0640\""));
    f.pps = Some(info(Path::new("/dev/pps0"), Kind::Char, own(0, 998, 0o640)));
    assert_eq!(pps_device(&f).status, Status::Ok);
}

#[test]
fn socket_paths_missing_unwritable_blocked_and_control_dir() {
    let toml = "[chrony.sock]\npps = \"/run/chrony/timed-pps.sock\"\ncoarse = \"\"\n";
    let mut f = facts(toml);
    let c = socket_paths(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.starts_with(
        "pps socket /run/chrony/timed-pps.sock ([chrony.sock] pps, /etc/timed/timed.toml:2) does not exist"
    ));
    assert!(fix(&c).contains("`refclock SOCK PATH` line"), "{c:?}");

    // chronyd's socket as created: root 0755. timed cannot send to it.
    let p = Path::new("/run/chrony/timed-pps.sock");
    f.socks = vec![("pps", info(p, Kind::Socket, own(0, 0, 0o755)))];
    let c = socket_paths(&f);
    assert!(c.message.contains("cannot write /run/chrony/timed-pps.sock (root:root 0755)"), "{c:?}");
    assert!(fix(&c).contains("chrony.service.d/timed.conf"));
    // After the drop-in: group timed, g+w, but /run/chrony 0700.
    let mut s = info(p, Kind::Socket, own(0, 998, 0o775));
    s.dirs[2].1 = Some(own(102, 106, 0o700));
    f.socks = vec![("pps", s.clone())];
    let c = socket_paths(&f);
    assert!(c.message.contains("directory /run/chrony is 0700 _chrony:_chrony"), "{c:?}");
    s.dirs[2].1 = Some(own(102, 106, 0o770));
    f.socks = vec![("pps", s)];
    // timed down: its control socket directory must exist for timed to start.
    f.control_dir = Some(info(Path::new("/run/timed"), Kind::Missing, own(0, 0, 0)));
    let c = socket_paths(&f);
    assert!(c.message.contains("directory /run/timed for the control socket"), "{c:?}");
    f.control_dir = None;
    let c = socket_paths(&f);
    assert_eq!((c.status, c.message.as_str()), (Status::Ok, "/run/chrony/timed-pps.sock writable by timed"));
    let c = socket_paths(&facts("[chrony.sock]\npps = \"\"\ncoarse = \"\"\n"));
    assert_eq!(c.status, Status::Skip);
}

fn seg(unit: i32, uid: u32, gid: u32, mode: u32) -> Shm {
    Shm { key: shm_key(unit), owner: own(uid, gid, mode), attached: 2, creator_pid: 1 }
}

#[test]
fn shm_world_writable_foreign_owner_absent() {
    assert_eq!(shm(&facts(TOML)).status, Status::Skip);
    let toml = "[chrony.shm]\nenabled = true\ncoarse_unit = -1\npps_unit = 1\n";
    let mut f = facts(toml);
    f.chrony_conf = Ok(conf("refclock SHM 1:perm=0666 refid PPS\n"));
    let c = shm(&f);
    assert!(c.message.starts_with("no SHM segment NTP1 (key 0x4e545031)"), "{c:?}");
    f.shm = Ok(vec![seg(1, 0, 0, 0o666), seg(2, 0, 0, 0o666)]);
    let c = shm(&f);
    assert_eq!(c.status, Status::Fail);
    assert!(c.message.contains("NTP1 (key 0x4e545031) is world-writable (0666, owner root)"), "{c:?}");
    assert!(c.message.contains("perm=0666 at /etc/chrony/chrony.conf:1"), "{c:?}");
    assert!(fix(&c).contains("ipcrm -M 0x4e545031"), "{c:?}");
    f.shm = Ok(vec![seg(1, 0, 0, 0o600)]);
    let c = shm(&f);
    assert!(
        c.message.contains("cannot write SHM segment NTP1 (key 0x4e545031, owner root:root 0600)"),
        "{c:?}"
    );
    f.shm = Ok(vec![seg(1, 0, 998, 0o660)]);
    let c = shm(&f);
    assert_eq!((c.status, c.message.as_str()), (Status::Ok, "NTP1 0x4e545031 (root:timed 0660, 2 attached)"));
}
