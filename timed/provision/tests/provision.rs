//! timed-provision against real images: each test builds an SD image the way nixpkgs'
//! sd-image.nix does (MBR from sfdisk, FAT32 `FIRMWARE` from mkfs.vfat with config.txt copied in
//! by mcopy, ext4 `NIXOS_SD` from mkfs.ext4 -d), runs the binary, and checks the result with
//! independent tools (debugfs, e2fsck, mtype, cmp). What cannot be had here is the NixOS image
//! itself (nixpkgs cannot be evaluated or built on this machine): the layout is reproduced.
//! The secrets test (issue 16) uses the real `age` (Debian's package) on the key read back out of
//! a provisioned image, and runs the .deb's systemd/secrets/timed-secrets as the unit would.
#![forbid(unsafe_code)]
#![expect(clippy::unwrap_used, reason = "helpers outside #[test] fns: a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use timed_lab::Scratch;

const BIN: &str = env!("CARGO_BIN_EXE_timed-provision");
const MIB: u64 = 1024 * 1024;

fn scratch(tag: &str) -> Scratch {
    Scratch::new(&format!("timed-provision-test-{tag}")).unwrap()
}

fn sh(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// config.txt as nixos-raspberrypi renders it (modules/configtxt-config.nix): options, then
/// `dtoverlay=<name>` / `dtparam=<p>=<v>` / `dtoverlay=` per overlay.
fn config_txt(section: &str) -> String {
    format!(
        "# Do not edit!\n[all]\narm_64bit=1\nenable_uart=1\nkernel=kernel.img\nos_prefix=nixos/default/\n\
         [{section}]\nenable_uart=1\ndtoverlay=disable-bt\ndtoverlay=\ndtoverlay=pps-gpio\ndtparam=gpiopin=18\ndtoverlay=\n"
    )
}

/// An sd-image.nix-style image: 8 MiB gap, FAT firmware partition, ext4 root of `root_mib`
/// populated with a NixOS-like tree (no /var, as in a fresh image). `fill` leaves the root full.
fn build_image(d: &Scratch, name: &str, section: &str, root_mib: u64, fill: bool) -> PathBuf {
    let img = d.join(name);
    let (gap, fat) = (8, 32);
    std::fs::File::create(&img).unwrap().set_len((gap + fat + root_mib) * MIB).unwrap();
    let layout = format!(
        "label: dos\nlabel-id: 0x2178694e\n\nstart={gap}M, size={}, type=b\nstart={}M, type=83, bootable\n",
        fat * MIB / 512,
        gap + fat
    );
    let mut c = Command::new("sfdisk");
    c.args(["--no-reread", "--no-tell-kernel", "--quiet"]).arg(&img).stdin(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), layout.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());

    let fat_img = d.join(format!("{name}.fat"));
    std::fs::File::create(&fat_img).unwrap().set_len(fat * MIB).unwrap();
    sh(Command::new("mkfs.vfat").args(["-n", "FIRMWARE"]).arg(&fat_img));
    let conf = d.join("config.txt");
    std::fs::write(&conf, config_txt(section)).unwrap();
    sh(Command::new("mcopy").arg("-i").arg(&fat_img).arg(&conf).arg("::config.txt"));

    let tree = d.join(format!("{name}.tree"));
    for dir in ["nix/store", "boot/firmware", "etc"] {
        std::fs::create_dir_all(tree.join(dir)).unwrap();
    }
    std::fs::write(tree.join("nix-path-registration"), "x\n").unwrap();
    let root_img = d.join(format!("{name}.root"));
    std::fs::File::create(&root_img).unwrap().set_len(root_mib * MIB).unwrap();
    sh(Command::new("mkfs.ext4").args(["-q", "-F", "-L", "NIXOS_SD", "-d"]).arg(&tree).arg(&root_img));
    if fill {
        // Fill every free block (debugfs `write` then quietly creates short or empty files).
        // Incompressible, non-zero data: debugfs copies zero blocks as holes.
        let filler = d.join("filler");
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let data: Vec<u8> = (0..root_mib * MIB)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        std::fs::write(&filler, data).unwrap();
        let _ = Command::new("debugfs")
            .arg("-w")
            .arg("-R")
            .arg(format!("write {} /filler", filler.display()))
            .arg(&root_img)
            .output();
    }
    for (part, at) in [(&fat_img, gap), (&root_img, gap + fat)] {
        sh(Command::new("dd")
            .arg(format!("if={}", part.display()))
            .arg(format!("of={}", img.display()))
            .args(["bs=1M", &format!("seek={at}"), "conv=notrunc", "status=none"]));
    }
    img
}

fn keypair(d: &Scratch, kind: &str, pass: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key = d.join(format!("host_{kind}_{n}"));
    sh(Command::new("ssh-keygen").args(["-q", "-t", kind, "-N", pass, "-C", "test", "-f"]).arg(&key));
    key
}

fn boards() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boards")
}

fn provision(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN).arg("--boards").arg(boards()).args(args).output().unwrap()
}

/// A pi4b image with only a host key (no admin key) written to `out`.
fn provision_host_key(img: &Path, key: &Path, out: &Path) -> Output {
    provision(&[
        "pi4b".as_ref(),
        os(img),
        "--ssh-host-key".as_ref(),
        os(key),
        "--no-admin-key".as_ref(),
        "--output".as_ref(),
        os(out),
    ])
}

fn os(s: &Path) -> &std::ffi::OsStr {
    s.as_os_str()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The root file system of `img` as a separate file (for e2fsck and debugfs without offsets).
fn extract_root(d: &Scratch, img: &Path) -> PathBuf {
    let out = d.join("root-extracted");
    sh(Command::new("dd").arg(format!("if={}", img.display())).arg(format!("of={}", out.display())).args([
        "bs=1M",
        "skip=40",
        "status=none",
    ]));
    out
}

fn debugfs(fs: &Path, req: &str) -> String {
    let o = sh(Command::new("debugfs").arg("-R").arg(req).arg(fs));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn injects_and_verifies_key_and_wifi() {
    let d = scratch("ok");
    let img = build_image(&d, "pi4b.img", "pi4", 64, false);
    let before = std::fs::read(&img).unwrap();
    let key = keypair(&d, "ed25519", "");
    let wifi = d.join("wifi");
    std::fs::write(&wifi, "# home\nssid=Home Net\npsk=correct horse battery\n").unwrap();
    let out_img = d.join("out.img");
    // Two admin keys in one file (an authorized_keys file), with a comment line.
    let (a1, a2) = (keypair(&d, "ed25519", ""), keypair(&d, "ecdsa", ""));
    let admin_pub = format!(
        "# admins\n{}{}",
        std::fs::read_to_string(a1.with_extension("pub")).unwrap(),
        std::fs::read_to_string(a2.with_extension("pub")).unwrap()
    );
    let admin = d.join("admins.pub");
    std::fs::write(&admin, &admin_pub).unwrap();
    let o = provision(&[
        "pi4b".as_ref(),
        os(&img),
        "--ssh-host-key".as_ref(),
        os(&key),
        "--admin-key".as_ref(),
        os(&admin),
        "--wifi".as_ref(),
        os(&wifi),
        "--output".as_ref(),
        os(&out_img),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).matches("verified").count(), 4);
    // The input image is untouched; the firmware partition of the output is unchanged.
    assert!(std::fs::read(&img).unwrap() == before, "the source image was modified");
    let fat = sh(Command::new("mtype")
        .arg("-i")
        .arg(format!("{}@@{}", out_img.display(), 8 * MIB))
        .arg("::config.txt"));
    assert_eq!(String::from_utf8_lossy(&fat.stdout), config_txt("pi4"));

    // Independent read-back on the extracted ext4: content, modes, owner; the fs is clean.
    let root = extract_root(&d, &out_img);
    let fsck = Command::new("e2fsck").args(["-f", "-n"]).arg(&root).output().unwrap();
    assert!(fsck.status.success(), "e2fsck: {}", String::from_utf8_lossy(&fsck.stdout));
    let priv_key = std::fs::read_to_string(&key).unwrap();
    assert_eq!(debugfs(&root, "cat /var/lib/timed-bootstrap/ssh/ssh_host_ed25519_key"), priv_key);
    let pub_key = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    assert_eq!(debugfs(&root, "cat /var/lib/timed-bootstrap/ssh/ssh_host_ed25519_key.pub"), pub_key);
    let conf = debugfs(&root, "cat /var/lib/timed-bootstrap/wifi/wpa_supplicant.conf");
    assert_eq!(conf, "network={\n  ssid=486f6d65204e6574\n  psk=\"correct horse battery\"\n}\n");
    let keys = debugfs(&root, "cat /var/lib/timed-admin/authorized_keys.d/admin");
    assert_eq!(keys, admin_pub.trim_start_matches("# admins\n"));
    for (path, mode) in [
        ("/var/lib/timed-bootstrap", "0700"),
        ("/var/lib/timed-bootstrap/ssh/ssh_host_ed25519_key", "0600"),
        ("/var/lib/timed-bootstrap/ssh/ssh_host_ed25519_key.pub", "0644"),
        ("/var/lib/timed-bootstrap/wifi/wpa_supplicant.conf", "0600"),
        ("/var/lib", "0755"),
        // sshd reads the admin's keys as admin (StrictModes: root-owned, not writable by others).
        ("/var/lib/timed-admin", "0755"),
        ("/var/lib/timed-admin/authorized_keys.d", "0755"),
        ("/var/lib/timed-admin/authorized_keys.d/admin", "0644"),
    ] {
        let st = debugfs(&root, &format!("stat {path}"));
        assert!(st.contains(&format!("Mode:  {mode}")), "{path}: {st}");
        assert!(st.contains("User:     0   Group:     0"), "{path}: {st}");
    }
    // Nothing went to /etc.
    assert!(!debugfs(&root, "ls -l /etc").contains("ssh_host"));

    // A second run over the provisioned image replaces the files (new key) and verifies again.
    let key2 = d.join("second");
    sh(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key2));
    let o = provision(&[
        "pi4b".as_ref(),
        os(&out_img),
        "--ssh-host-key".as_ref(),
        os(&key2),
        "--no-admin-key".as_ref(),
        "--in-place".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let root = extract_root(&d, &out_img);
    let now = debugfs(&root, "cat /var/lib/timed-bootstrap/ssh/ssh_host_ed25519_key");
    assert_eq!(now, std::fs::read_to_string(&key2).unwrap());
}

#[test]
fn a_full_root_file_system_fails_hard() {
    // debugfs reports nothing useful in its exit status; the read-back must catch it.
    let d = scratch("full");
    let img = build_image(&d, "full.img", "pi4", 8, true);
    let key = keypair(&d, "ed25519", "");
    let out_img = d.join("out.img");
    let o = provision_host_key(&img, &key, &out_img);
    assert!(!o.status.success(), "a full image must not pass");
    let e = stderr(&o);
    assert!(e.contains("ssh_host_ed25519_key"), "{e}");
    assert!(!out_img.exists(), "a failed output must be removed");
}

#[test]
fn wrong_board_or_bad_inputs_are_refused_before_writing() {
    let d = scratch("bad");
    let img = build_image(&d, "pi4b.img", "pi4", 32, false);
    let key = keypair(&d, "ed25519", "");
    let out = d.join("out.img");
    let run = |board: &str, key: &Path, extra: &[&std::ffi::OsStr]| {
        let mut a: Vec<&std::ffi::OsStr> =
            vec![board.as_ref(), os(&img), "--ssh-host-key".as_ref(), os(key), "--output".as_ref(), os(&out)];
        if !extra.iter().any(|a| a.to_str().is_some_and(|a| a.contains("admin-key"))) {
            a.push("--no-admin-key".as_ref());
        }
        a.extend_from_slice(extra);
        let o = provision(&a);
        assert!(!o.status.success());
        assert!(!out.exists());
        stderr(&o)
    };
    // The image's config.txt is for a Pi 4.
    assert!(run("pi5", &key, &[]).contains("no [pi5] section"));
    // <board>-<wiring> names are accepted, unknown boards are not.
    assert!(run("pi5-usb", &key, &[]).contains("no [pi5] section"));
    assert!(run("pi9", &key, &[]).contains("no board file for \"pi9\""));
    // Host keys: passphrase, wrong type, mismatched .pub.
    let locked = keypair(&d, "ecdsa", "secret phrase");
    assert!(run("pi4b", &locked, &[]).contains("passphrase-protected"));
    let rsa = keypair(&d, "rsa", "");
    assert!(run("pi4b", &rsa, &[]).contains("ssh-rsa key"));
    let other = keypair(&d, "ed25519", "");
    std::fs::copy(other.with_extension("pub"), key.with_extension("pub")).unwrap();
    assert!(run("pi4b", &key, &[]).contains("does not match the private key"));
    let key = keypair(&d, "ed25519", "");
    // Wi-Fi: short passphrase, missing ssid.
    let wifi = d.join("wifi");
    std::fs::write(&wifi, "ssid=x\npsk=short\n").unwrap();
    assert!(run("pi4b", &key, &["--wifi".as_ref(), os(&wifi)]).contains("8..63"));
    std::fs::write(&wifi, "psk=long enough pass\n").unwrap();
    assert!(run("pi4b", &key, &["--wifi".as_ref(), os(&wifi)]).contains("no ssid= line"));
    // Admin keys: none at all (no login possible), a private key, garbage.
    let o = provision(&["pi4b".as_ref(), os(&img), "--ssh-host-key".as_ref(), os(&key)]);
    assert!(!o.status.success() && stderr(&o).contains("--admin-key <FILE>"), "{}", stderr(&o));
    assert!(
        run("pi4b", &key, &["--admin-key".as_ref(), os(&key)]).contains("a private key; pass the public one")
    );
    std::fs::write(&wifi, "ssh-ed25519 bm90IGEga2V5 x\n").unwrap();
    assert!(
        run("pi4b", &key, &["--admin-key".as_ref(), os(&wifi)]).contains("not an OpenSSH public key line")
    );
    // A compressed image.
    let zst = d.join("img.zst");
    std::fs::write(&zst, [0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]).unwrap();
    let o = provision_host_key(&zst, &key, &out);
    assert!(stderr(&o).contains("zstd-compressed"), "{}", stderr(&o));
}

fn age(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("age").args(args).output().unwrap_or_else(|e| panic!("age {args:?}: {e} (apt install age)"))
}

/// The gid of `name` in /etc/group.
fn gid(name: &str) -> u32 {
    let groups = std::fs::read_to_string("/etc/group").unwrap();
    let line = groups.lines().find(|l| l.split(':').next() == Some(name)).unwrap();
    line.split(':').nth(2).unwrap().parse().unwrap()
}

#[test]
fn a_secret_encrypted_to_the_provisioned_host_key_decrypts_on_it_only() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let d = scratch("age");
    let img = build_image(&d, "pi4b.img", "pi4", 32, false);
    let key = keypair(&d, "ed25519", "");
    let out_img = d.join("out.img");
    let o = provision_host_key(&img, &key, &out_img);
    assert!(o.status.success(), "{}", stderr(&o));

    // The host key pair as the device has it: read back out of the provisioned image.
    let root = extract_root(&d, &out_img);
    let (dev_key, dev_pub) = (d.join("device_key"), d.join("device_key.pub"));
    std::fs::write(&dev_key, debugfs(&root, "cat /var/lib/timed-bootstrap/ssh/ssh_host_ed25519_key"))
        .unwrap();
    std::fs::set_permissions(&dev_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&dev_pub, debugfs(&root, "cat /var/lib/timed-bootstrap/ssh/ssh_host_ed25519_key.pub"))
        .unwrap();
    assert!(std::fs::read_to_string(&dev_pub).unwrap().starts_with("ssh-ed25519 "));

    // Encrypted on the owner's machine to the box's public key (an ssh-ed25519 recipient).
    let src = d.join("secrets");
    std::fs::create_dir(&src).unwrap();
    let plain: [(&str, &[u8]); 3] = [
        ("nts.crt", b"-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n"),
        ("nts.key", b"-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n"),
        ("webhook", b"http://relay.lan:8080/hook/token-1234\n"),
    ];
    for (name, data) in plain {
        let p = d.join(name);
        std::fs::write(&p, data).unwrap();
        let enc = src.join(format!("{name}.age"));
        let o = age(&["-R".as_ref(), os(&dev_pub), "-o".as_ref(), os(&enc), os(&p)]);
        assert!(o.status.success(), "age -R: {}", stderr(&o));
        let header = std::fs::read(&enc).unwrap();
        assert!(header.starts_with(b"age-encryption.org/v1\n-> ssh-ed25519 "), "not an ssh-ed25519 stanza");
        assert!(!header.windows(data.len()).any(|w| w == data), "{name}: plaintext in the .age file");
    }

    // The unit's command with the provisioned key decrypts; another ed25519 key cannot.
    let enc = src.join("webhook.age");
    let o = age(&["-d".as_ref(), "-i".as_ref(), os(&dev_key), os(&enc)]);
    assert!(o.status.success(), "age -d with the device's key: {}", stderr(&o));
    assert_eq!(o.stdout, plain[2].1);
    let other = keypair(&d, "ed25519", "");
    let o = age(&["-d".as_ref(), "-i".as_ref(), os(&other), os(&enc)]);
    assert!(!o.status.success() && o.stdout.is_empty(), "another key decrypted it");
    assert!(stderr(&o).contains("no identity matched any of the recipients"), "{}", stderr(&o));

    // The .deb's boot script (systemd/secrets/timed-secrets) into a scratch /run and /var/lib.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../systemd/secrets/timed-secrets");
    let (out, nts) = (d.join("run/timed-secrets"), d.join("lib/nts"));
    // Groups that exist on any Debian system stand in for _chrony and timed.
    let (chrony_g, timed_g) = ("daemon", "adm");
    let run = |identity: &Path| {
        Command::new("sh")
            .arg(&script)
            .args(["--src".as_ref(), os(&src), "--out".as_ref(), os(&out), "--identity".as_ref()])
            .arg(identity)
            .args(["--nts-dir".as_ref(), os(&nts)])
            .args(["--chrony-group", chrony_g, "--timed-group", timed_g])
            .output()
            .unwrap()
    };
    let o = run(&dev_key);
    assert!(o.status.success(), "timed-secrets: {}", stderr(&o));
    assert_eq!(std::fs::metadata(&out).unwrap().mode() & 0o7777, 0o711);
    for ((name, data), (group, mode)) in
        plain.iter().zip([(chrony_g, 0o644), (chrony_g, 0o640), (timed_g, 0o640)])
    {
        let f = out.join(name);
        assert_eq!(&std::fs::read(&f).unwrap(), data, "{name}");
        let m = std::fs::metadata(&f).unwrap();
        assert_eq!(
            (m.mode() & 0o7777, m.uid(), m.gid()),
            (mode, 0, gid(group)),
            "{name}: mode, owner, group"
        );
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3, "temporary files left in {}", out.display());
    for f in ["nts.crt", "nts.key"] {
        assert_eq!(std::fs::read_link(nts.join(f)).unwrap(), out.join(f), "{f} is not linked");
    }
    // chronyd (not root) follows the links: the directory it made must be searchable.
    assert_eq!(std::fs::metadata(&nts).unwrap().mode() & 0o7777, 0o755);

    // Encrypted to another box: named and failed, the rest still in place; a pair made on the
    // device earlier is never replaced by links. The output directory of the run above is kept
    // (the unit preserves it across a failure or restart): the webhook decrypted then must go.
    std::fs::remove_dir_all(&nts).unwrap();
    std::fs::create_dir_all(&nts).unwrap();
    std::fs::write(nts.join("nts.crt"), "own").unwrap();
    let o = age(&[
        "-R".as_ref(),
        os(&other.with_extension("pub")),
        "-o".as_ref(),
        os(&enc),
        os(&d.join("webhook")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&dev_key);
    assert_eq!(o.status.code(), Some(1), "a secret that cannot be decrypted must fail the unit");
    let e = stderr(&o);
    assert!(e.contains("webhook.age: age: error: no identity matched any of the recipients"), "{e}");
    assert!(e.contains("a pair of its own"), "{e}");
    assert!(!out.join("webhook").exists());
    assert_eq!(std::fs::read(out.join("nts.key")).unwrap(), plain[1].1);
    assert_eq!(std::fs::read_to_string(nts.join("nts.crt")).unwrap(), "own");
    assert!(!nts.join("nts.key").exists(), "half a pair was linked");
}
