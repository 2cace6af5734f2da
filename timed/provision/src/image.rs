//! The SD image as nixpkgs' sd-image.nix lays it out (MBR; partition 1 FAT32 `FIRMWARE` holding
//! the Raspberry Pi firmware and config.txt; partition 2 ext4 `NIXOS_SD`, the root), read and
//! written only through Debian's tools: `sfdisk --json` (layout), `mtype` with `IMAGE@@OFFSET`
//! (FAT files), `debugfs` with `IMAGE?offset=N` (ext4). debugfs exits 0 even when a command
//! fails, so every write is followed by reading the result back.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Image {
    pub path: PathBuf,
    pub fat_offset: u64,
    pub root_offset: u64,
}

fn run(cmd: &mut Command) -> Result<std::process::Output, String> {
    let name = format!("{:?}", cmd.get_program());
    cmd.output()
        .map_err(|e| format!("cannot run {name}: {e} (Debian: apt-get install fdisk mtools e2fsprogs)"))
}

impl Image {
    /// Reads the partition table and checks it is an sd-image.nix layout.
    pub fn open(path: &Path) -> Result<Image, String> {
        let mut magic = [0u8; 4];
        use std::io::Read;
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .map_err(|e| format!("{}: cannot read the image: {e}", path.display()))?;
        if magic == [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(format!(
                "{}: a zstd-compressed image; decompress it first (zstd -d) or build with sdImage.compressImage = false",
                path.display()
            ));
        }
        let out = run(Command::new("sfdisk").arg("--json").arg(path))?;
        if !out.status.success() {
            return Err(format!(
                "{}: no partition table: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("{}: sfdisk printed something unexpected: {e}", path.display()))?;
        let table = &v["partitiontable"];
        let sector = table["sectorsize"].as_u64().unwrap_or(512);
        let parts = table["partitions"].as_array().cloned().unwrap_or_default();
        let part = |i: usize, types: &[&str], what: &str| -> Result<u64, String> {
            let p =
                parts.get(i).ok_or_else(|| format!("{}: no partition {} ({what})", path.display(), i + 1))?;
            let ty = p["type"].as_str().unwrap_or("");
            if !types.contains(&ty) {
                return Err(format!(
                    "{}: partition {} has type {ty}, not {what} ({types:?}): not a NixOS SD image",
                    path.display(),
                    i + 1
                ));
            }
            Ok(p["start"].as_u64().unwrap_or(0) * sector)
        };
        let fat_offset = part(0, &["b", "c"], "FAT32 firmware")?;
        let root_offset = part(1, &["83"], "Linux root")?;
        if table["label"].as_str() != Some("dos") {
            return Err(format!("{}: not an MBR (dos) partition table", path.display()));
        }
        Ok(Image { path: path.to_path_buf(), fat_offset, root_offset })
    }

    fn fat(&self) -> String {
        format!("{}@@{}", self.path.display(), self.fat_offset)
    }

    fn root(&self) -> String {
        format!("{}?offset={}", self.path.display(), self.root_offset)
    }

    /// A file from the FAT firmware partition.
    pub fn fat_file(&self, name: &str) -> Result<Vec<u8>, String> {
        let out = run(Command::new("mtype").arg("-i").arg(self.fat()).arg(format!("::{name}")))?;
        if !out.status.success() {
            return Err(format!(
                "{}: no {name} on the firmware partition: {}",
                self.path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out.stdout)
    }

    fn debugfs(&self, write: bool, commands: &str) -> Result<String, String> {
        let dir = private_dir("cmd")?;
        let script = dir.join("debugfs.cmd");
        std::fs::write(&script, commands).map_err(|e| format!("{}: {e}", script.display()))?;
        let mut cmd = Command::new("debugfs");
        if write {
            cmd.arg("-w");
        }
        let out = run(cmd.arg("-f").arg(&script).arg(self.root()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = out?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success()
            || stderr.contains("Bad magic number")
            || stderr.contains("No such file or directory while")
        {
            return Err(format!(
                "{}: debugfs cannot open the root file system: {}",
                self.path.display(),
                stderr.trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &stderr)
    }

    /// Whether `path` exists on the root file system.
    pub fn exists(&self, path: &str) -> Result<bool, String> {
        let out = self.debugfs(false, &format!("stat {path}\n"))?;
        Ok(out.contains("Inode:") && !out.contains("File not found by ext2_lookup"))
    }

    /// Creates each missing directory of `dir` (mode for the new ones; root-owned).
    pub fn mkdir_p(&self, dir: &str, mode: u32) -> Result<(), String> {
        let mut cur = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            cur = format!("{cur}/{part}");
            if !self.exists(&cur)? {
                self.debugfs(
                    true,
                    &format!(
                        "mkdir {cur}\nset_inode_field {cur} mode 0{:o}\nset_inode_field {cur} uid 0\nset_inode_field {cur} gid 0\n",
                        0o040000 | mode
                    ),
                )?;
            }
        }
        Ok(())
    }

    /// Writes `data` to `path` (replacing it), owned by root with `mode`.
    pub fn write(&self, path: &str, data: &[u8], mode: u32) -> Result<(), String> {
        let dir = private_dir("data")?;
        let tmp = dir.join("file");
        std::fs::write(&tmp, data).map_err(|e| format!("{}: {e}", tmp.display()))?;
        let rm = if self.exists(path)? { format!("rm {path}\n") } else { String::new() };
        let r = self.debugfs(
            true,
            &format!(
                "{rm}write {} {path}\nset_inode_field {path} mode 0{:o}\nset_inode_field {path} uid 0\nset_inode_field {path} gid 0\n",
                tmp.display(),
                0o100000 | mode
            ),
        );
        let _ = std::fs::remove_dir_all(&dir);
        r.map(|_| ())
    }

    /// Reads `path` back: its bytes, mode (permission bits), uid and gid.
    pub fn read(&self, path: &str) -> Result<(Vec<u8>, u32, u32, u32), String> {
        let missing = || format!("{}: {path} is not in the image's root file system", self.path.display());
        let stat = self.debugfs(false, &format!("stat {path}\n"))?;
        if !stat.contains("Type: regular") {
            return Err(missing());
        }
        let field = |name: &str| -> Option<u32> {
            let rest = stat.split(name).nth(1)?;
            let tok = rest.split_whitespace().next()?;
            if name == "Mode:" {
                u32::from_str_radix(tok, 8).ok()
            } else {
                tok.parse().ok()
            }
        };
        let (mode, uid, gid) = match (field("Mode:"), field("User:"), field("Group:")) {
            (Some(m), Some(u), Some(g)) => (m & 0o7777, u, g),
            _ => return Err(format!("{}: cannot read the attributes of {path}", self.path.display())),
        };
        let out = Command::new("debugfs")
            .arg("-R")
            .arg(format!("cat {path}"))
            .arg(self.root())
            .output()
            .map_err(|e| format!("cannot run debugfs: {e}"))?;
        Ok((out.stdout, mode, uid, gid))
    }
}

/// A new directory only we can enter, for the secrets on their way into the image (debugfs reads
/// them from a file). Made with `create_dir`, never `create_dir_all`: a path someone else made
/// first (a symlink into their directory, or a world-readable directory) is an error, not a place
/// our secrets land. The name is unique per process and call.
fn private_dir(tag: &str) -> Result<std::path::PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "timed-provision-{tag}-{}-{}-{nanos:08x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    std::fs::DirBuilder::new().mode(0o700).create(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
