//! The secrets given on the command line, checked before anything touches the image: an
//! unencrypted OpenSSH ed25519 host key whose `.pub` matches it, and a Wi-Fi network.

use std::path::Path;

/// A host key pair, as it will be written.
pub struct HostKey {
    pub private: Vec<u8>,
    pub public: Vec<u8>,
}

/// Reads an SSH wire-format string (u32 length + bytes) at `*at`.
fn ssh_string<'a>(buf: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(buf.get(*at..*at + 4)?.try_into().ok()?) as usize;
    let s = buf.get(*at + 4..*at + 4 + len)?;
    *at += 4 + len;
    Some(s)
}

/// Checks `path` (private) and `path.pub`: OpenSSH format (PROTOCOL.key: "openssh-key-v1"),
/// not passphrase-protected (sshd cannot unlock a host key), ed25519 (the type the appliance's
/// services.openssh.hostKeys names), and the public key inside equals the `.pub` file's.
pub fn host_key(path: &Path) -> Result<HostKey, String> {
    let private =
        std::fs::read(path).map_err(|e| format!("{}: cannot read the host key: {e}", path.display()))?;
    let pub_path = path.with_extension(match path.extension() {
        Some(e) => format!("{}.pub", e.to_string_lossy()),
        None => "pub".into(),
    });
    let public = std::fs::read(&pub_path).map_err(|e| {
        format!("{}: cannot read the public half: {e} (ssh-keygen writes both)", pub_path.display())
    })?;
    let text = String::from_utf8_lossy(&private);
    let body = text
        .trim()
        .strip_prefix("-----BEGIN OPENSSH PRIVATE KEY-----")
        .and_then(|t| t.strip_suffix("-----END OPENSSH PRIVATE KEY-----"))
        .ok_or_else(|| format!("{}: not an OpenSSH private key", path.display()))?;
    let blob = timed_core::base64::decode(body)
        .map_err(|e| format!("{}: the key's base64 is damaged ({e})", path.display()))?;
    let bad = || format!("{}: the key is truncated or not in openssh-key-v1 format", path.display());
    let rest = blob.strip_prefix(b"openssh-key-v1\0").ok_or_else(bad)?;
    let mut at = 0;
    let cipher = ssh_string(rest, &mut at).ok_or_else(bad)?;
    if cipher != b"none" {
        return Err(format!(
            "{}: the key is passphrase-protected; sshd cannot use it as a host key (ssh-keygen -N '')",
            path.display()
        ));
    }
    let _kdf = ssh_string(rest, &mut at).ok_or_else(bad)?;
    let _kdf_options = ssh_string(rest, &mut at).ok_or_else(bad)?;
    at += 4; // number of keys
    let pubkey_blob = ssh_string(rest, &mut at).ok_or_else(bad)?;
    let mut k = 0;
    let key_type = ssh_string(pubkey_blob, &mut k).ok_or_else(bad)?;
    if key_type != b"ssh-ed25519" {
        return Err(format!(
            "{}: a {} key; the appliance's sshd is configured for ssh-ed25519 (ssh-keygen -t ed25519)",
            path.display(),
            String::from_utf8_lossy(key_type)
        ));
    }
    let pub_text = String::from_utf8_lossy(&public);
    let mut fields = pub_text.split_whitespace();
    let matches = fields.next() == Some("ssh-ed25519")
        && fields.next().and_then(|b| timed_core::base64::decode(b).ok()).as_deref() == Some(pubkey_blob);
    if !matches {
        return Err(format!("{}: does not match the private key {}", pub_path.display(), path.display()));
    }
    Ok(HostKey { private, public })
}

/// Reads `ssid=` / `psk=` lines (`#` comments) and renders one wpa_supplicant network block.
/// The SSID is written in hex (any bytes allowed); the passphrase quoted, so `"` and line breaks
/// are refused (wpa_supplicant.conf(5): psk is a quoted 8..63 character ASCII passphrase or 64
/// hex digits).
pub fn wifi(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let (mut ssid, mut psk) = (None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", path.display(), n + 1);
        match line.split_once('=') {
            Some(("ssid", v)) => ssid = Some(v.to_string()),
            Some(("psk", v)) => psk = Some(v.to_string()),
            _ => return Err(format!("{at}: expected ssid=NAME or psk=PASSPHRASE, got {line:?}")),
        }
    }
    let ssid = ssid.ok_or_else(|| format!("{}: no ssid= line", path.display()))?;
    let psk = psk.ok_or_else(|| format!("{}: no psk= line", path.display()))?;
    if ssid.is_empty() || ssid.len() > 32 {
        return Err(format!("{}: the SSID must be 1..32 bytes, not {}", path.display(), ssid.len()));
    }
    let hex = psk.len() == 64 && psk.bytes().all(|c| c.is_ascii_hexdigit());
    let printable =
        (8..=63).contains(&psk.len()) && psk.bytes().all(|c| (0x20..0x7f).contains(&c) && c != b'"');
    if !hex && !printable {
        return Err(format!(
            "{}: psk must be an 8..63 character printable passphrase without '\"', or 64 hex digits",
            path.display()
        ));
    }
    let ssid_hex: String = ssid.bytes().map(|b| format!("{b:02x}")).collect();
    let psk = if hex { psk } else { format!("\"{psk}\"") };
    Ok(format!("network={{\n  ssid={ssid_hex}\n  psk={psk}\n}}\n").into_bytes())
}

/// Reads an OpenSSH public key file (`~/.ssh/id_ed25519.pub`, or an authorized_keys file with
/// several keys) for the `admin` user: every line that is not empty or a `#` comment must be
/// `TYPE BASE64 [comment]` with a key type sshd knows and valid base64 naming that type inside
/// (sshd(8) AUTHORIZED_KEYS FILE FORMAT, without options); a private key is refused.
pub fn admin_keys(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", path.display(), n + 1);
        if line.starts_with("-----BEGIN") {
            return Err(format!("{at}: a private key; pass the public one (the .pub file)"));
        }
        let mut f = line.split_whitespace();
        let (kind, blob) =
            (f.next().unwrap_or_default(), f.next().and_then(|b| timed_core::base64::decode(b).ok()));
        let known = ["ssh-ed25519", "ssh-rsa", "sk-ssh-ed25519@openssh.com"].contains(&kind)
            || kind.starts_with("ecdsa-sha2-")
            || kind.starts_with("sk-ecdsa-sha2-");
        let inner = blob.as_deref().and_then(|b| {
            let mut at = 0;
            ssh_string(b, &mut at)
        });
        if !known || inner != Some(kind.as_bytes()) {
            return Err(format!("{at}: not an OpenSSH public key line (TYPE BASE64 [comment]): {line:?}"));
        }
        out.push_str(line);
        out.push('\n');
    }
    if out.is_empty() {
        return Err(format!("{}: no public key in it", path.display()));
    }
    Ok(out.into_bytes())
}
