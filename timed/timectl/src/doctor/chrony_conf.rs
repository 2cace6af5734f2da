//! chrony.conf as chronyd 4.3 reads it (chrony.conf(5)), reduced to what the doctor judges:
//! `refclock` lines, `makestep` and `bindcmdaddress`, each with the FILE:LINE it came
//! from, following `include PATTERN`, `confdir DIR...` and `sourcedir DIR...`.
//!
//! Rules followed from the manual: one directive per line, names case-insensitive; a line whose
//! first non-blank character is `!`, `;`, `#` or `%` is a comment; `include` takes a glob and
//! needs at least one match; `confdir` reads `*.conf` in lexicographic order of the names, and a
//! name found in several of its directories is read from the first only; `sourcedir` does the
//! same for `*.sources`, which may hold only NTP sources (a `refclock` there is not used).

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a directive is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// `refclock DRIVER PARAMETER[:OPTION]... [OPTION]...`
#[derive(Clone, Debug, PartialEq)]
pub struct Refclock {
    pub at: Loc,
    pub driver: String,
    /// The path (SOCK, PPS) or unit (SHM).
    pub param: String,
    /// Driver options after the parameter (`SHM 0:perm=0666` → `[("perm", "0666")]`).
    pub driver_opts: Vec<(String, String)>,
    /// Options and their values (`noselect` has none).
    pub opts: Vec<(String, Option<String>)>,
    /// The `refid` option, or chronyd's default: the driver's first three letters and the
    /// refclock's index in the configuration (refclock.c).
    pub refid: String,
    /// Read from a `sourcedir` file, where chronyd ignores it.
    pub in_sourcedir: bool,
    /// The whole line, for messages.
    pub text: String,
}

impl Refclock {
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.opts.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.opts.iter().any(|(k, _)| k == name)
    }

    /// `offset` in seconds (0 when absent or unreadable).
    pub fn offset_s(&self) -> f64 {
        self.opt("offset").and_then(|v| v.parse().ok()).unwrap_or(0.0)
    }

    /// SHM `perm=` (octal), chronyd's default 0600 when absent.
    pub fn shm_perm(&self) -> u32 {
        self.driver_opts
            .iter()
            .find(|(k, _)| k == "perm")
            .and_then(|(_, v)| u32::from_str_radix(v, 8).ok())
            .unwrap_or(0o600)
    }

    /// The SOCK path this refclock reads, if it is one.
    pub fn sock_path(&self) -> Option<&Path> {
        (self.driver == "SOCK").then(|| Path::new(&self.param))
    }

    /// The SHM unit this refclock reads, if it is one.
    pub fn shm_unit(&self) -> Option<i32> {
        if self.driver == "SHM" {
            self.param.parse().ok()
        } else {
            None
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Makestep {
    pub at: Loc,
    pub threshold_s: f64,
    pub limit: i64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChronyConf {
    /// Every file read, the main one first.
    pub files: Vec<PathBuf>,
    pub refclocks: Vec<Refclock>,
    pub makestep: Option<Makestep>,
    /// The Unix command socket (`bindcmdaddress /PATH`).
    pub cmd_socket: Option<(Loc, PathBuf)>,
    /// Directories of `confdir` (where a drop-in belongs).
    pub confdirs: Vec<PathBuf>,
    /// Where chronyd learns of leap seconds: (`leapsectz` or `leapseclist`, its argument), the
    /// last one read winning as in chronyd.
    pub leap_source: Option<(Loc, String, String)>,
    /// The last `ntsservercert` (chronyd uses the last one given): the certificate NTS serves.
    pub nts_cert: Option<(Loc, PathBuf)>,
    /// Things chronyd itself would refuse or ignore ("FILE:LINE: …").
    pub problems: Vec<String>,
}

/// Debian's compiled-in command socket (`chronyd -p` prints it) when chrony.conf does not say.
pub const DEFAULT_CMD_SOCKET: &str = "/run/chrony/chronyd.sock";

impl ChronyConf {
    pub fn cmd_socket_path(&self) -> PathBuf {
        self.cmd_socket.as_ref().map_or_else(|| PathBuf::from(DEFAULT_CMD_SOCKET), |(_, p)| p.clone())
    }
}

/// Reads `path` and everything it includes. `Err` only when `path` itself cannot be read.
pub fn load(path: &Path) -> Result<ChronyConf, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(parse(path, &text))
}

/// Parses `text` as the file `path` (its includes are read from disk).
pub fn parse(path: &Path, text: &str) -> ChronyConf {
    let mut c = ChronyConf::default();
    parse_file(&mut c, path, text, false, 0);
    c
}

/// Nesting deeper than this is a loop (chronyd's own limit is 10).
const MAX_DEPTH: usize = 10;

fn parse_file(c: &mut ChronyConf, path: &Path, text: &str, sourcedir: bool, depth: usize) {
    c.files.push(path.to_path_buf());
    for (i, raw) in text.lines().enumerate() {
        let at = Loc { file: path.to_path_buf(), line: i + 1 };
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['!', ';', '#', '%']) {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((name, args)) = words.split_first() else { continue };
        match name.to_ascii_lowercase().as_str() {
            "refclock" => refclock(c, at, args, sourcedir, line),
            "makestep" => {
                match (args.first().and_then(|t| t.parse().ok()), args.get(1).and_then(|l| l.parse().ok())) {
                    (Some(threshold_s), Some(limit)) => {
                        c.makestep = Some(Makestep { at, threshold_s, limit })
                    }
                    _ => c.problems.push(format!("{at}: `{line}`: makestep needs a threshold and a limit")),
                }
            }
            d @ ("leapsectz" | "leapseclist") => {
                if let Some(a) = args.first() {
                    c.leap_source = Some((at, d.to_string(), a.to_string()));
                }
            }
            "ntsservercert" => {
                if let Some(p) = args.first() {
                    c.nts_cert = Some((at, PathBuf::from(p)));
                }
            }
            "bindcmdaddress" => {
                if let Some(p) = args.first().filter(|a| a.starts_with('/')) {
                    c.cmd_socket = Some((at, PathBuf::from(p)));
                }
            }
            "include" if depth < MAX_DEPTH => {
                let files = args.first().map(|p| glob(Path::new(p))).unwrap_or_default();
                if files.is_empty() {
                    c.problems.push(format!(
                        "{at}: `{line}` matches no file (chronyd refuses to start without one)"
                    ));
                }
                for f in files {
                    read_into(c, &f, false, depth, &at);
                }
            }
            d @ ("confdir" | "sourcedir") if depth < MAX_DEPTH => {
                let (suffix, src) = if d == "confdir" { (".conf", false) } else { (".sources", true) };
                let dirs: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
                if !src {
                    c.confdirs.extend(dirs.iter().cloned());
                }
                for f in dir_files(&dirs, suffix) {
                    read_into(c, &f, src, depth, &at);
                }
            }
            "include" | "confdir" | "sourcedir" => {
                c.problems.push(format!("{at}: includes nested more than {MAX_DEPTH} deep (a loop?)"));
            }
            _ => {}
        }
    }
}

fn read_into(c: &mut ChronyConf, f: &Path, sourcedir: bool, depth: usize, at: &Loc) {
    match std::fs::read_to_string(f) {
        Ok(t) => parse_file(c, f, &t, sourcedir, depth + 1),
        Err(e) => c.problems.push(format!("{at}: cannot read {}: {e}", f.display())),
    }
}

fn refclock(c: &mut ChronyConf, at: Loc, args: &[&str], in_sourcedir: bool, line: &str) {
    let (Some(driver), Some(param)) = (args.first(), args.get(1)) else {
        c.problems.push(format!("{at}: `{line}`: refclock needs a driver and a parameter"));
        return;
    };
    let mut parts = param.split(':');
    let param = parts.next().unwrap_or_default().to_string();
    let driver_opts = parts
        .map(|o| match o.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (o.to_string(), String::new()),
        })
        .collect();
    // Options with a value; the rest are flags (chrony.conf(5), refclock options).
    const VALUED: [&str; 14] = [
        "refid",
        "lock",
        "rate",
        "poll",
        "dpoll",
        "filter",
        "offset",
        "delay",
        "precision",
        "maxdispersion",
        "stratum",
        "tai",
        "width",
        "maxlockage",
    ];
    let mut opts = Vec::new();
    let mut it = args[2..].iter();
    while let Some(k) = it.next() {
        let k = k.to_ascii_lowercase();
        let v = if VALUED.contains(&k.as_str()) { it.next().map(|v| v.to_string()) } else { None };
        opts.push((k, v));
    }
    let index = c.refclocks.iter().filter(|r| !r.in_sourcedir).count();
    let refid = opts
        .iter()
        .find(|(k, _)| k == "refid")
        .and_then(|(_, v)| v.clone())
        .unwrap_or_else(|| format!("{}{index}", driver.chars().take(3).collect::<String>()));
    c.refclocks.push(Refclock {
        at,
        driver: driver.to_string(),
        param,
        driver_opts,
        opts,
        refid,
        in_sourcedir,
        text: line.to_string(),
    });
}

/// Files matching a pattern whose last component may hold `*` and `?`, sorted by name.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    if !name.contains(['*', '?']) {
        return if pattern.is_file() { vec![pattern.to_path_buf()] } else { Vec::new() };
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| {
                let e = e.ok()?;
                let n = e.file_name().to_str()?.to_string();
                (wildmatch(name.as_bytes(), n.as_bytes()) && e.path().is_file()).then(|| e.path())
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `*.conf` / `*.sources` of several directories, the first directory winning a name.
fn dir_files(dirs: &[PathBuf], suffix: &str) -> Vec<PathBuf> {
    let mut by_name: Vec<(String, PathBuf)> = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(d) else { continue };
        for e in rd.flatten() {
            let Some(n) = e.file_name().to_str().map(str::to_string) else { continue };
            if n.ends_with(suffix) && e.path().is_file() && !by_name.iter().any(|(m, _)| *m == n) {
                by_name.push((n, e.path()));
            }
        }
    }
    by_name.sort();
    by_name.into_iter().map(|(_, p)| p).collect()
}

fn wildmatch(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => wildmatch(&p[1..], s) || (!s.is_empty() && wildmatch(p, &s[1..])),
        (Some(b'?'), Some(_)) => wildmatch(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => wildmatch(&p[1..], &s[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> timed_lab::Scratch {
        let d = timed_lab::Scratch::new(&format!("timectl-chronyconf-{tag}")).unwrap();
        std::fs::create_dir_all(d.join("conf.d")).unwrap();
        std::fs::create_dir_all(d.join("local.d")).unwrap();
        std::fs::create_dir_all(d.join("sources.d")).unwrap();
        d
    }

    #[test]
    fn follows_includes_confdirs_and_sourcedirs_with_lines() {
        let d = dir("inc");
        let p = d.display();
        std::fs::write(
            d.join("chrony.conf"),
            format!(
                "# main\n  ! also a comment\nREFCLOCK SHM 0:perm=0640 refid GPS offset 0.120 delay 0.2 noselect\n\
                 confdir {p}/local.d {p}/conf.d\nsourcedir {p}/sources.d\nmakestep 1 3\n\
                 include {p}/extra-*.conf\nbindcmdaddress 127.0.0.1\nbindcmdaddress {p}/cmd.sock\npidfile {p}/c.pid\n"
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("conf.d/timed.conf"),
            "refclock SOCK /run/chrony/timed-pps.sock refid PPS lock GPS prefer\n",
        )
        .unwrap();
        std::fs::write(d.join("local.d/timed.conf"), "\n\nrefclock SOCK /run/x.sock\n").unwrap();
        std::fs::write(d.join("conf.d/a.conf"), "refclock PPS /dev/pps0\n").unwrap();
        std::fs::write(d.join("conf.d/ignored.txt"), "refclock SOCK /nope\n").unwrap();
        std::fs::write(d.join("sources.d/dhcp.sources"), "server 10.0.0.1 iburst\nrefclock SOCK /src.sock\n")
            .unwrap();
        std::fs::write(d.join("extra-1.conf"), "makestep 0.5 -1\n").unwrap();
        let c = load(&d.join("chrony.conf")).unwrap();
        let got: Vec<(String, String, String, bool)> = c
            .refclocks
            .iter()
            .map(|r| {
                (
                    r.at.to_string().replace(&p.to_string(), "D"),
                    r.driver.clone(),
                    r.refid.clone(),
                    r.in_sourcedir,
                )
            })
            .collect();
        let want = [
            ("D/chrony.conf:3", "SHM", "GPS", false),
            // confdir: a.conf, then timed.conf from local.d (the first directory wins the name).
            ("D/conf.d/a.conf:1", "PPS", "PPS1", false),
            ("D/local.d/timed.conf:3", "SOCK", "SOC2", false),
            ("D/sources.d/dhcp.sources:2", "SOCK", "SOC3", true),
        ];
        let want: Vec<(String, String, String, bool)> =
            want.iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), *d)).collect();
        assert_eq!(got, want);
        let shm = &c.refclocks[0];
        assert_eq!((shm.shm_unit(), shm.shm_perm(), shm.offset_s()), (Some(0), 0o640, 0.120));
        assert!(shm.flag("noselect") && !shm.flag("prefer"));
        assert_eq!(shm.opt("delay"), Some("0.2"));
        // The later makestep wins, as in chronyd.
        let m = c.makestep.as_ref().unwrap();
        assert_eq!((m.threshold_s, m.limit), (0.5, -1));
        assert!(m.at.to_string().ends_with("extra-1.conf:1"));
        assert_eq!(c.cmd_socket_path(), d.join("cmd.sock"));
        assert_eq!(c.files.len(), 5, "conf.d/timed.conf is shadowed: {:?}", c.files);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn problems_defaults_and_unreadable_files() {
        let d = dir("bad");
        std::fs::write(
            d.join("c.conf"),
            format!("include {}/none-*.conf\nmakestep 1\nrefclock SOCK\n", d.display()),
        )
        .unwrap();
        let c = load(&d.join("c.conf")).unwrap();
        assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
        assert!(c.problems[0].contains("c.conf:1") && c.problems[0].contains("matches no file"));
        assert!(c.makestep.is_none() && c.refclocks.is_empty());
        assert_eq!(c.cmd_socket_path(), Path::new(DEFAULT_CMD_SOCKET));
        let e = load(&d.join("missing.conf")).unwrap_err();
        assert!(e.contains("missing.conf") && e.contains("No such file"), "{e}");
        // An include loop stops at the depth limit with a problem, not a stack overflow.
        std::fs::write(d.join("loop.conf"), format!("include {}/loop.conf\n", d.display())).unwrap();
        let c = load(&d.join("loop.conf")).unwrap();
        assert!(c.problems.iter().any(|p| p.contains("nested")), "{:?}", c.problems);
        assert!(wildmatch(b"*.conf", b"timed.conf") && !wildmatch(b"*.conf", b"timed.conf~"));
        assert!(wildmatch(b"a?c*", b"abcdef"));
    }
}
