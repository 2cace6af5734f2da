//! Collecting the facts the checks judge. Read-only: files, /proc, /sys, two snapshots from
//! timed's control socket and one reading of chronyd's command socket.

use super::chrony_conf::{self, ChronyConf};
use super::leap::LeapFacts;
use super::system::{self, Identity, Names, PathInfo, Proc, Shm};
use super::Args;
use crate::client::{self, CtlError, Failure, Target};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use timed::chronyctl::Report;
use timed::config::{Config, Problem};
use timed::health::Health;

/// timed watched over the window: the first and the last snapshot.
pub struct Live {
    pub a: Health,
    pub b: Health,
    /// Seconds between them (timed's clock).
    pub dt_s: f64,
    /// When the last was taken (timed's system clock, Unix ns).
    pub now_ns: i64,
}

/// A running chronyd and the configuration it was started with.
pub struct Chronyd {
    pub proc_: Proc,
    pub config: PathBuf,
    /// Started without -x, -q or -Q: it steers the system clock.
    pub steers: bool,
    pub conf: Result<ChronyConf, String>,
}

pub struct Facts {
    pub config_path: PathBuf,
    /// timed.toml's text (for key line numbers), when readable.
    pub config_text: Option<String>,
    /// The configuration, or every problem `timed --check-config` would report.
    pub config: Result<Config, Vec<Problem>>,
    pub names: Names,
    pub identity: Identity,
    pub control_socket: PathBuf,
    /// timed watched over the window, or why it could not be read (typed: a busy or forbidden
    /// socket is not a stopped timed).
    pub live: Result<Live, CtlError>,
    pub chrony_conf_path: PathBuf,
    /// Why that file ("--chrony-conf", "-f of chronyd pid 42", "Debian's default").
    pub chrony_conf_why: String,
    /// chronyd is known to read that file (`--chrony-conf`, or a running chronyd's `-f`); false
    /// when it is only the default guessed while no chronyd runs with it.
    pub chrony_conf_confirmed: bool,
    pub chrony_conf: Result<ChronyConf, String>,
    pub chronyds: Vec<Chronyd>,
    pub chrony_socket: PathBuf,
    pub chrony: Result<Report, String>,
    pub serial: Option<PathInfo>,
    /// Serial devices present that could be the receiver.
    pub serial_candidates: Vec<PathBuf>,
    pub pps: Option<PathInfo>,
    pub pps_driver: Option<String>,
    /// ("pps" | "coarse", path, what is there) for every SOCK output.
    pub socks: Vec<(&'static str, PathInfo)>,
    pub control_dir: Option<PathInfo>,
    pub shm: Result<Vec<Shm>, String>,
    pub rtcs: Vec<String>,
    /// The leap-seconds list timed reads and chronyd's leap source.
    pub leap: LeapFacts,
    /// The NTS certificate (`[nts] cert`), judged; None when timed.toml names none or is unreadable.
    pub nts: Option<timed::nts_cert::NtsCert>,
}

impl Facts {
    /// timed's configuration when it loaded.
    pub fn cfg(&self) -> Option<&Config> {
        self.config.as_ref().ok()
    }

    /// Where `[section] key` is set in timed.toml: "FILE:LINE", or that the default applies.
    pub fn key_at(&self, section: &str, key: &str) -> String {
        let file = self.config_path.display();
        match self.config_text.as_deref().and_then(|t| key_line(t, section, key)) {
            Some(n) => format!("{file}:{n}"),
            None => format!("the default; [{section}] {key} is not set in {file}"),
        }
    }
}

/// The line of `key = …` inside `[section]` (plain TOML as timed.toml is written).
pub fn key_line(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            current = s.trim().to_string();
        } else if current == section
            && t.split_once('=').is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
        {
            return Some(i + 1);
        }
    }
    None
}

pub fn gather(target: &Target, args: &Args) -> Result<Facts, String> {
    let started = Instant::now();
    let config_text = std::fs::read_to_string(&args.config).ok();
    let config = timed::config::load(&args.config);
    let names = Names::load();
    let cfg = config.as_ref().ok();

    // The control socket: --socket, unless left at the default while timed.toml names another.
    let control_socket = match cfg {
        Some(c)
            if target.socket == Path::new(client::DEFAULT_SOCKET)
                && !c.control.socket.as_os_str().is_empty() =>
        {
            c.control.socket.clone()
        }
        _ => target.socket.clone(),
    };
    let first = client::snapshot(&control_socket)
        .and_then(|m| m.timed.map(|h| (h, m.now_unix_ns)).ok_or_else(|| empty(&control_socket)));

    let identity = identity(args, &names)?;
    let chrony_socket = target.chrony_socket.clone().unwrap_or_else(|| match cfg {
        Some(c) if !c.chrony.command_socket.as_os_str().is_empty() => c.chrony.command_socket.clone(),
        _ => PathBuf::from(client::DEFAULT_CHRONY_SOCKET),
    });
    let chronyds: Vec<Chronyd> = system::processes("chronyd").into_iter().map(chronyd).collect();
    let (chrony_conf_path, chrony_conf_why) = match &args.chrony_conf {
        Some(p) => (p.clone(), "--chrony-conf".to_string()),
        None => match chronyds
            .iter()
            .find(|d| d.conf.as_ref().is_ok_and(|c| c.cmd_socket_path() == chrony_socket))
        {
            Some(d) => (d.config.clone(), format!("the -f of chronyd pid {}", d.proc_.pid)),
            None => default_chrony_conf(),
        },
    };
    let same = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let chrony_conf_confirmed =
        args.chrony_conf.is_some() || chronyds.iter().any(|d| same(&d.config) == same(&chrony_conf_path));
    let chrony_conf = chrony_conf::load(&chrony_conf_path);
    let chrony = client::query_chrony(&chrony_socket);

    let (serial, pps, socks, control_dir) = match cfg {
        Some(c) => {
            let socks = [("pps", &c.chrony.sock.pps), ("coarse", &c.chrony.sock.coarse)]
                .into_iter()
                .filter(|(_, p)| !p.as_os_str().is_empty())
                .map(|(k, p)| (k, system::stat(p)))
                .collect();
            let control_dir = c.control.socket.parent().filter(|_| !c.control.socket.as_os_str().is_empty());
            (
                Some(system::stat(&c.receiver.device)),
                Some(system::stat(&c.pps.device)),
                socks,
                control_dir.map(system::stat),
            )
        }
        None => (None, None, Vec::new(), None),
    };
    let pps_driver = cfg.and_then(|c| system::pps_name(&c.pps.device));
    let serial_candidates = ["/dev/serial0", "/dev/ttyAMA0", "/dev/ttyACM0", "/dev/ttyUSB0", "/dev/ttyS0"]
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect();

    // The second snapshot closes the window: rates and counts are over its length.
    let live = match first {
        Ok((a, a_ns)) => {
            let left = Duration::from_secs_f64(args.window).saturating_sub(started.elapsed());
            std::thread::sleep(left);
            client::snapshot(&control_socket).and_then(|m| {
                let b = m.timed.ok_or_else(|| empty(&control_socket))?;
                let dt_s = (m.now_unix_ns - a_ns) as f64 / 1e9;
                Ok(Live { a, b, dt_s, now_ns: m.now_unix_ns })
            })
        }
        Err(e) => Err(e),
    };
    let leap = leap_facts(&args.config, cfg, chrony_conf.as_ref().ok());
    let nts = cfg.and_then(|c| crate::nts::look(&c.nts.cert, chrony_conf.as_ref()));
    Ok(Facts {
        config_path: args.config.clone(),
        config_text,
        config,
        names,
        identity,
        control_socket,
        live,
        chrony_conf_path,
        chrony_conf_why,
        chrony_conf_confirmed,
        chronyds,
        chrony_socket,
        chrony,
        serial,
        serial_candidates,
        pps,
        pps_driver,
        socks,
        control_dir,
        shm: system::shm_segments(),
        rtcs: system::rtcs(),
        leap,
        nts,
        chrony_conf,
    })
}

fn empty(socket: &Path) -> CtlError {
    CtlError {
        kind: Failure::Protocol,
        message: format!("{}: timed answered without its state", socket.display()),
    }
}

/// The configuration the running chronyd was started with (`-f`), else the distribution's.
pub fn running_chrony_conf() -> PathBuf {
    system::processes("chronyd")
        .into_iter()
        .map(chronyd)
        .next()
        .map_or_else(|| default_chrony_conf().0, |d| d.config)
}

fn default_chrony_conf() -> (PathBuf, String) {
    // Debian's compiled-in path; Fedora and the upstream default use /etc/chrony.conf.
    let debian = PathBuf::from("/etc/chrony/chrony.conf");
    let why = "the default: no running chronyd listens on the command socket".to_string();
    if !debian.exists() && Path::new("/etc/chrony.conf").exists() {
        return ("/etc/chrony.conf".into(), why);
    }
    (debian, why)
}

/// Whose permissions count: --user, the timed running with this configuration, the `timed`
/// user, or whoever runs the doctor.
fn identity(args: &Args, names: &Names) -> Result<Identity, String> {
    if let Some(u) = &args.user {
        return names.identity(u, &format!("--user {u}")).ok_or_else(|| format!("--user {u}: no such user"));
    }
    let want = std::fs::canonicalize(&args.config).unwrap_or_else(|_| args.config.clone());
    for p in system::processes("timed") {
        let cfg = system::option_value(&p.args, &["-c", "--config"])
            .unwrap_or_else(|| timed::config::DEFAULT_PATH.to_string());
        if std::fs::canonicalize(&cfg).unwrap_or_else(|_| PathBuf::from(&cfg)) == want {
            return Ok(Identity {
                name: names.user(p.uid),
                uid: p.uid,
                gids: p.gids.clone(),
                source: format!("the running timed, pid {}", p.pid),
            });
        }
    }
    if let Some(i) = names.identity("timed", "the timed user, timed is not running") {
        return Ok(i);
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let (uid, gids) = system::ids_from_status(&status);
    Ok(Identity { name: names.user(uid), uid, gids, source: "you, there is no timed user".into() })
}

/// chronyd's getopt string (chrony 4.3 main.c): these options take a value.
const CHRONYD_VALUED: &str = "fFlLPtu";

fn chronyd(p: Proc) -> Chronyd {
    let mut flags = String::new();
    let mut config: Option<String> = None;
    let mut it = p.args.iter().skip(1);
    while let Some(a) = it.next() {
        let Some(opts) = a.strip_prefix('-').filter(|o| !o.starts_with('-') && !o.is_empty()) else {
            continue;
        };
        for (i, c) in opts.char_indices() {
            if CHRONYD_VALUED.contains(c) {
                let rest = &opts[i + c.len_utf8()..];
                let v = if rest.is_empty() { it.next().cloned() } else { Some(rest.to_string()) };
                if c == 'f' {
                    config = v;
                }
                break;
            }
            flags.push(c);
        }
    }
    let config = PathBuf::from(config.unwrap_or_else(|| "/etc/chrony/chrony.conf".into()));
    let steers = !flags.contains(['x', 'q', 'Q']);
    let conf = chrony_conf::load(&config);
    Chronyd { proc_: p, config, steers, conf }
}

/// The list `[leap] list` names (the default when timed.toml does not load: timed-config reports
/// that), read now, and whether chronyd's leap directive names an existing file.
fn leap_facts(config_path: &Path, cfg: Option<&Config>, conf: Option<&ChronyConf>) -> LeapFacts {
    let default = timed::config::Leap::default();
    let path = cfg.map_or(&default.list, |c| &c.leap.list);
    let text = std::fs::read_to_string(config_path).ok();
    let key_at = match text.as_deref().and_then(|t| key_line(t, "leap", "list")) {
        Some(n) => format!("{}:{n}", config_path.display()),
        None => format!("the default; [leap] list is not set in {}", config_path.display()),
    };
    let chrony_source_exists = conf.and_then(|c| c.leap_source.as_ref()).map(|(_, d, arg)| {
        // leapsectz takes a zone name, looked up under the zoneinfo directory like TZ.
        let file = match d.as_str() {
            "leapsectz" if !arg.starts_with('/') => Path::new("/usr/share/zoneinfo").join(arg),
            _ => PathBuf::from(arg),
        };
        file.is_file()
    });
    let now_unix_s =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    LeapFacts {
        path: (!path.as_os_str().is_empty()).then(|| path.clone()),
        key_at,
        list: timed::leap_list::load(path).map_err(|e| e.to_string()),
        chrony_source_exists,
        now_unix_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_and_chronyd_options() {
        let t = "[receiver]\ndevice = \"/dev/gps0\"\n\n[chrony.sock]\n pps = \"/a\"\ncoarse=\"/b\"\n";
        assert_eq!(key_line(t, "receiver", "device"), Some(2));
        assert_eq!(key_line(t, "chrony.sock", "pps"), Some(5));
        assert_eq!(key_line(t, "chrony.sock", "coarse"), Some(6));
        assert_eq!(key_line(t, "receiver", "pps"), None);
        let p = |args: &[&str]| Proc {
            pid: 7,
            comm: "chronyd".into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            uid: 0,
            gids: vec![0],
        };
        let d = chronyd(p(&["chronyd", "-d", "-x", "-u", "root", "-f", "/nonexistent/c.conf"]));
        assert_eq!((d.config.to_str().unwrap(), d.steers), ("/nonexistent/c.conf", false));
        assert!(d.conf.is_err());
        let d = chronyd(p(&["/usr/sbin/chronyd", "-F", "1", "-u", "_chrony"]));
        assert_eq!((d.config.to_str().unwrap(), d.steers), ("/etc/chrony/chrony.conf", true));
        let d = chronyd(p(&["chronyd", "-dxf/tmp/x.conf"]));
        assert_eq!((d.config.to_str().unwrap(), d.steers), ("/tmp/x.conf", false));
    }
}
