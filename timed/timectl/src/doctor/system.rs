//! Facts from the running system, read without changing anything: file types, owners and
//! modes (and those of every directory above), users and groups (/etc/passwd, /etc/group),
//! processes (/proc/PID/{comm,cmdline,status}), SysV shared memory (/proc/sysvipc/shm) and
//! RTCs (/sys/class/rtc). Thin on purpose: the checks that judge these facts are pure.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// What a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Missing,
    /// A symlink whose target does not exist (a udev link of an unplugged device).
    Dangling,
    File,
    Dir,
    Char,
    Block,
    Socket,
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Missing => "missing",
            Kind::Dangling => "a dangling symlink",
            Kind::File => "a regular file",
            Kind::Dir => "a directory",
            Kind::Char => "a character device",
            Kind::Block => "a block device",
            Kind::Socket => "a socket",
            Kind::Other => "a special file",
        }
    }
}

/// Owner and permission bits of a file or directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits (0o7777).
    pub mode: u32,
}

/// A path as found (symlinks followed).
#[derive(Clone, Debug, PartialEq)]
pub struct PathInfo {
    pub path: PathBuf,
    pub kind: Kind,
    pub owner: Owner,
    /// Device number (major, minor) of a device node.
    pub rdev: Option<(u64, u64)>,
    /// Where a symlink points (read once, not resolved).
    pub link: Option<PathBuf>,
    /// Every directory above the path, outermost first (`None`: missing).
    pub dirs: Vec<(PathBuf, Option<Owner>)>,
}

pub fn stat(p: &Path) -> PathInfo {
    let link = std::fs::read_link(p).ok();
    let (kind, owner, rdev) = match std::fs::metadata(p) {
        Ok(m) => {
            let t = m.file_type();
            let kind = if t.is_char_device() {
                Kind::Char
            } else if t.is_block_device() {
                Kind::Block
            } else if t.is_socket() {
                Kind::Socket
            } else if t.is_dir() {
                Kind::Dir
            } else if t.is_file() {
                Kind::File
            } else {
                Kind::Other
            };
            let rdev = matches!(kind, Kind::Char | Kind::Block).then(|| dev_numbers(m.rdev()));
            (kind, Owner { uid: m.uid(), gid: m.gid(), mode: m.mode() & 0o7777 }, rdev)
        }
        Err(_) if link.is_some() => (Kind::Dangling, Owner::default(), None),
        Err(_) => (Kind::Missing, Owner::default(), None),
    };
    let mut dirs: Vec<(PathBuf, Option<Owner>)> = p
        .ancestors()
        .skip(1)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| {
            let o = std::fs::metadata(d).ok().map(|m| Owner {
                uid: m.uid(),
                gid: m.gid(),
                mode: m.mode() & 0o7777,
            });
            (d.to_path_buf(), o)
        })
        .collect();
    dirs.reverse();
    PathInfo { path: p.to_path_buf(), kind, owner, rdev, link, dirs }
}

impl PathInfo {
    /// "root:dialout 0660".
    pub fn owner_text(&self, names: &Names) -> String {
        format!("{}:{} {:04o}", names.user(self.owner.uid), names.group(self.owner.gid), self.owner.mode)
    }

    /// The first directory above the path that does not exist or that `who` cannot search.
    pub fn blocked_dir(&self, who: &Identity) -> Option<(PathBuf, Option<Owner>)> {
        self.dirs.iter().find(|(_, o)| o.is_none_or(|o| !who.may(&o, 0o1))).cloned()
    }
}

/// Linux `new_encode_dev` inverse (the 64-bit `dev_t` layout of glibc's `gnu_dev_major`).
fn dev_numbers(rdev: u64) -> (u64, u64) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major, minor)
}

/// User and group names, for messages.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// (name, uid, primary gid)
    pub users: Vec<(String, u32, u32)>,
    /// (name, gid, members)
    pub groups: Vec<(String, u32, Vec<String>)>,
}

impl Names {
    pub fn load() -> Names {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        Names::parse(&read("/etc/passwd"), &read("/etc/group"))
    }

    pub fn parse(passwd: &str, group: &str) -> Names {
        let users = passwd
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                Some((f.first()?.to_string(), f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                let members = f.get(3).map_or_else(Vec::new, |m| {
                    m.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
                });
                Some((f.first()?.to_string(), f.get(2)?.parse().ok()?, members))
            })
            .collect();
        Names { users, groups }
    }

    pub fn user(&self, uid: u32) -> String {
        self.users.iter().find(|u| u.1 == uid).map_or_else(|| uid.to_string(), |u| u.0.clone())
    }

    pub fn group(&self, gid: u32) -> String {
        self.groups.iter().find(|g| g.1 == gid).map_or_else(|| gid.to_string(), |g| g.0.clone())
    }

    /// A user's identity from the account database: uid, primary and supplementary groups.
    pub fn identity(&self, name: &str, source: &str) -> Option<Identity> {
        let (_, uid, gid) = self.users.iter().find(|u| u.0 == name)?;
        let mut gids = vec![*gid];
        gids.extend(self.groups.iter().filter(|g| g.2.iter().any(|m| m == name)).map(|g| g.1));
        gids.dedup();
        Some(Identity { name: name.to_string(), uid: *uid, gids, source: source.to_string() })
    }
}

/// Whose access the permission checks are about (timed's, normally).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub uid: u32,
    /// Primary group first.
    pub gids: Vec<u32>,
    /// Where it came from ("the running timed, pid 42", "--user nobody" …).
    pub source: String,
}

impl Identity {
    /// May this identity do `want` (4 read, 2 write, 1 search/execute, or a sum) to a file
    /// with this owner and mode? Root may read and write anything (CAP_DAC_OVERRIDE).
    pub fn may(&self, o: &Owner, want: u32) -> bool {
        if self.uid == 0 {
            return want & 1 == 0 || o.mode & 0o111 != 0;
        }
        let bits = if o.uid == self.uid {
            o.mode >> 6
        } else if self.gids.contains(&o.gid) {
            o.mode >> 3
        } else {
            o.mode
        } & 0o7;
        bits & want == want
    }

    /// "user timed (uid 998; groups timed, dialout, _chrony; the running timed, pid 42)".
    pub fn describe(&self, names: &Names) -> String {
        let groups: Vec<String> = self.gids.iter().map(|g| names.group(*g)).collect();
        format!("user {} (uid {}; groups {}; {})", self.name, self.uid, groups.join(", "), self.source)
    }
}

/// One running process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub comm: String,
    pub args: Vec<String>,
    pub uid: u32,
    pub gids: Vec<u32>,
}

/// Processes whose command name is `comm`.
pub fn processes(comm: &str) -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut v: Vec<Proc> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let base = PathBuf::from(format!("/proc/{pid}"));
            let name = std::fs::read_to_string(base.join("comm")).ok()?;
            if name.trim_end() != comm {
                return None;
            }
            let cmdline = std::fs::read(base.join("cmdline")).unwrap_or_default();
            if cmdline.is_empty() {
                // A zombie (exited, not yet reaped) or a kernel thread: not running anything.
                return None;
            }
            let args = cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let status = std::fs::read_to_string(base.join("status")).unwrap_or_default();
            let (uid, gids) = ids_from_status(&status);
            Some(Proc { pid, comm: comm.to_string(), args, uid, gids })
        })
        .collect();
    v.sort_by_key(|p| p.pid);
    v
}

/// Effective uid and groups (effective gid first) from /proc/PID/status.
pub fn ids_from_status(status: &str) -> (u32, Vec<u32>) {
    let field = |name: &str| -> Vec<u32> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|r| r.split_whitespace().filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default()
    };
    // "Uid:\treal effective saved fs"
    let uid = field("Uid:").get(1).copied().unwrap_or(u32::MAX);
    let mut gids: Vec<u32> = field("Gid:").get(1).copied().into_iter().collect();
    gids.extend(field("Groups:"));
    gids.dedup();
    (uid, gids)
}

/// The value after a command-line option (`-f FILE`, `-fFILE`, `--config=FILE`).
pub fn option_value(args: &[String], names: &[&str]) -> Option<String> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        for n in names {
            if a == n {
                return it.next().cloned();
            }
            if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                return Some(v.to_string());
            }
            if n.len() == 2 && a.len() > 2 && a.starts_with(n) && !a.starts_with("--") {
                return Some(a[2..].to_string());
            }
        }
    }
    None
}

/// One SysV shared-memory segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shm {
    pub key: u32,
    pub owner: Owner,
    pub attached: u32,
    pub creator_pid: u32,
}

/// /proc/sysvipc/shm (key in decimal, perms in octal; the IPC namespace of the reader).
pub fn shm_segments() -> Result<Vec<Shm>, String> {
    let text = std::fs::read_to_string("/proc/sysvipc/shm")
        .map_err(|e| format!("cannot read /proc/sysvipc/shm: {e}"))?;
    Ok(parse_shm(&text))
}

pub fn parse_shm(text: &str) -> Vec<Shm> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(Shm {
                key: f.first()?.parse::<i64>().ok()? as u32,
                owner: Owner {
                    uid: f.get(7)?.parse().ok()?,
                    gid: f.get(8)?.parse().ok()?,
                    mode: u32::from_str_radix(f.get(2)?, 8).ok()? & 0o777,
                },
                attached: f.get(6)?.parse().ok()?,
                creator_pid: f.get(4)?.parse().ok()?,
            })
        })
        .collect()
}

/// Names of the RTCs the kernel registered (empty: a box that boots with no idea of the time).
pub fn rtcs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/rtc")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str().map(str::to_string)).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The driver behind a PPS device (`/sys/class/pps/pps0/name`: "pps@12" for pps-gpio,
/// "ktimer", or the tty of the line discipline).
pub fn pps_name(device: &Path) -> Option<String> {
    let real = std::fs::canonicalize(device).ok()?;
    let dev = real.file_name()?.to_str()?;
    let name = std::fs::read_to_string(format!("/sys/class/pps/{dev}/name")).ok()?;
    Some(name.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_and_permissions() {
        let n = Names::parse(
            "root:x:0:0::/root:/bin/sh\ntimed:x:998:998::/:/usr/sbin/nologin\n",
            "root:x:0:\ndialout:x:20:timed,pi\ntimed:x:998:\n_chrony:x:106:timed\n",
        );
        let t = n.identity("timed", "test").unwrap();
        assert_eq!((t.uid, t.gids.clone()), (998, vec![998, 20, 106]));
        assert_eq!(t.describe(&n), "user timed (uid 998; groups timed, dialout, _chrony; test)");
        let tty = Owner { uid: 0, gid: 20, mode: 0o660 };
        assert!(t.may(&tty, 6));
        assert!(!t.may(&Owner { gid: 5, ..tty }, 4));
        assert!(t.may(&Owner { uid: 998, gid: 5, mode: 0o600 }, 6));
        assert!(!t.may(&Owner { uid: 0, gid: 0, mode: 0o755 }, 2), "chronyd's SOCK socket");
        let root = n.identity("root", "test").unwrap();
        assert!(root.may(&Owner { uid: 5, gid: 5, mode: 0 }, 6));
        assert!(!root.may(&Owner { uid: 5, gid: 5, mode: 0o600 }, 1));
        assert!(n.identity("nobody", "x").is_none());
        assert_eq!((n.user(998), n.group(7)), ("timed".to_string(), "7".to_string()));
    }

    #[test]
    fn proc_status_options_and_shm_table() {
        let st = "Name:\tchronyd\nUid:\t0\t102\t102\t102\nGid:\t0\t106\t106\t106\nGroups:\t106 20 \n";
        assert_eq!(ids_from_status(st), (102, vec![106, 20]));
        let args: Vec<String> = ["chronyd", "-d", "-x", "-f", "/tmp/c.conf"].map(String::from).to_vec();
        assert_eq!(option_value(&args, &["-f"]).as_deref(), Some("/tmp/c.conf"));
        let args: Vec<String> = ["timed", "--config=/a.toml"].map(String::from).to_vec();
        assert_eq!(option_value(&args, &["-c", "--config"]).as_deref(), Some("/a.toml"));
        let args: Vec<String> = ["chronyd", "-f/etc/x.conf"].map(String::from).to_vec();
        assert_eq!(option_value(&args, &["-f"]).as_deref(), Some("/etc/x.conf"));
        let table = "       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime        rss       swap\n\
                     1314148401          7  666         96  4242  4250      2     0     0     0     0 0 0 0 4096 0\n";
        let s = parse_shm(table);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].key, s[0].owner.mode, s[0].attached, s[0].creator_pid),
            (0x4e54_5031, 0o666, 2, 4242)
        );
        assert_eq!(dev_numbers(0x4_40), (4, 64));
    }
}
