//! timed-provision: puts the bootstrap secrets of one appliance — its SSH host key, Wi-Fi
//! credentials and the admin's public keys — into a built NixOS SD image, under /var/lib (never /etc, which
//! NixOS activation regenerates, and never the Nix store, which is world-readable), then reads
//! every file back out of the image and fails if anything is missing or different.
//! images/modules/appliance.nix points sshd and wpa_supplicant at these paths.
//!
//! Owns: checking the inputs, checking the image is for the board, writing and verifying.
//! Must not depend on the daemon or timectl; it touches images only through Debian's sfdisk,
//! mtools and debugfs (no loop mounts, so it runs without root).
#![forbid(unsafe_code)]

pub mod image;
pub mod inputs;

use std::path::Path;

pub const BOOTSTRAP: &str = "/var/lib/timed-bootstrap";
/// The admin user's keys: sshd reads them as that user (StrictModes: root-owned, not group or
/// world writable), so not under BOOTSTRAP (0700). images/modules/appliance.nix names the path in
/// services.openssh.authorizedKeysFiles.
pub const ADMIN_KEYS: &str = "/var/lib/timed-admin/authorized_keys.d/admin";

/// One file to put into the image.
pub struct Entry {
    pub path: String,
    pub data: Vec<u8>,
    pub mode: u32,
    /// Mode of the directories created for it.
    pub dir_mode: u32,
}

/// The board file for `name` (`<board>` or `<board>-<wiring>`, as nixosConfigurations names
/// them) and its config.txt section.
pub fn board_section(boards: &Path, name: &str) -> Result<(String, String), String> {
    let mut cands: Vec<&str> = vec![name];
    cands.extend(name.char_indices().filter(|(_, c)| *c == '-').map(|(i, _)| &name[..i]));
    for cand in cands {
        let file = boards.join(format!("{cand}.toml"));
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let t: toml::Table =
            toml::from_str(&text).map_err(|e| format!("{}: {}", file.display(), e.message()))?;
        if cand != name {
            let wiring = &name[cand.len() + 1..];
            if t.get("wiring").and_then(|w| w.get(wiring)).is_none() {
                continue;
            }
        }
        let section = t
            .get("config_txt_section")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{}: no config_txt_section", file.display()))?;
        return Ok((cand.to_string(), section.to_string()));
    }
    Err(format!("no board file for {name:?} in {}", boards.display()))
}

/// Checks the image's config.txt was generated for this board: its section and the pps-gpio
/// overlay (nixos-raspberrypi writes `dtoverlay=pps-gpio` then `dtparam=` lines).
pub fn check_board(img: &image::Image, board: &str, section: &str) -> Result<(), String> {
    let conf = String::from_utf8_lossy(&img.fat_file("config.txt")?).into_owned();
    let has = |want: &dyn Fn(&str) -> bool| conf.lines().map(str::trim).any(want);
    if !has(&|l| l == format!("[{section}]")) {
        return Err(format!(
            "{}: config.txt has no [{section}] section: this image was not built for {board}",
            img.path.display()
        ));
    }
    if !has(&|l| l.starts_with("dtoverlay=pps-gpio")) {
        return Err(format!(
            "{}: config.txt loads no pps-gpio overlay: not a timed image",
            img.path.display()
        ));
    }
    Ok(())
}

/// What goes into the image for these secrets.
pub fn entries(key: &inputs::HostKey, wifi: Option<Vec<u8>>, admin: Option<Vec<u8>>) -> Vec<Entry> {
    let mut v = vec![
        Entry {
            path: format!("{BOOTSTRAP}/ssh/ssh_host_ed25519_key"),
            data: key.private.clone(),
            mode: 0o600,
            dir_mode: 0o700,
        },
        Entry {
            path: format!("{BOOTSTRAP}/ssh/ssh_host_ed25519_key.pub"),
            data: key.public.clone(),
            mode: 0o644,
            dir_mode: 0o700,
        },
    ];
    if let Some(w) = wifi {
        v.push(Entry {
            path: format!("{BOOTSTRAP}/wifi/wpa_supplicant.conf"),
            data: w,
            mode: 0o600,
            dir_mode: 0o700,
        });
    }
    if let Some(k) = admin {
        v.push(Entry { path: ADMIN_KEYS.into(), data: k, mode: 0o644, dir_mode: 0o755 });
    }
    v
}

/// Writes the entries, then reads each back. Every problem found is returned.
pub fn write_and_verify(img: &image::Image, entries: &[Entry]) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for e in entries {
        let dir = e.path.rsplit_once('/').map_or("/", |(d, _)| d);
        let r = img
            .mkdir_p("/var/lib", 0o755)
            .and_then(|_| if e.path.starts_with(BOOTSTRAP) { img.mkdir_p(BOOTSTRAP, 0o700) } else { Ok(()) })
            .and_then(|_| img.mkdir_p(dir, e.dir_mode))
            .and_then(|_| img.write(&e.path, &e.data, e.mode));
        if let Err(m) = r {
            problems.push(m);
        }
    }
    for e in entries {
        match img.read(&e.path) {
            Err(m) => problems.push(m),
            Ok((data, mode, uid, gid)) => {
                if data != e.data {
                    problems.push(format!(
                        "{}: {} reads back as {} bytes, not the {} written (file system full?)",
                        img.path.display(),
                        e.path,
                        data.len(),
                        e.data.len()
                    ));
                }
                if (mode, uid, gid) != (e.mode, 0, 0) {
                    problems.push(format!(
                        "{}: {} is mode {mode:o} owner {uid}:{gid}, not {:o} 0:0",
                        img.path.display(),
                        e.path,
                        e.mode
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
