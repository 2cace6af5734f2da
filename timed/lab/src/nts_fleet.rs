//! A fleet of real chronyd NTS clients (issue 16's NTS load): the project's own generator sends
//! plain NTP only (see `load`'s header for why), so NTS-authenticated requests come from many
//! Debian chronyd 4.3 instances, each `-x` (never steers this machine's clock), with its own
//! configuration, command socket, pid file and `ntsdumpdir` (a [`Chronyd`] each), `port 0` (no
//! server of its own), trusting only the server's certificate, polling at chrony's fastest
//! interval (`minpoll -7 maxpoll -7`: 1/128 s, chrony.conf(5) `minpoll`; a sub-second interval
//! holds only while the round trip is under 10 ms, which a veth link keeps).
//!
//! Owns: the certificate made for the bench by the appliance's own `timed-nts-cert`, the client
//! configuration, and adding up what the clients sent and got (`chronyc ntpdata`). Must not
//! depend on timed's crates. Dropping the fleet stops every client.

use crate::{Chronyd, Scratch};
use std::path::{Path, PathBuf};
use std::process::Command;

/// chrony's fastest poll (chrony.conf(5): the minimum `minpoll` is -7, 1/128 s).
pub const POLL: i8 = -7;
/// Requests a second one client sends at [`POLL`].
pub const CLIENT_RATE: u32 = 128;

/// The certificate and key `systemd/nts/timed-nts-cert` made in `dir` for `addresses` (group
/// root: the lab's chronyd runs as root).
pub fn make_cert(dir: &Path, addresses: &[String]) -> Result<(PathBuf, PathBuf), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../systemd/nts/timed-nts-cert");
    let out = Command::new("sh")
        .arg(&script)
        .arg("--dir")
        .arg(dir)
        .args(["--group", "root"])
        .args(addresses)
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !text.contains("made") {
        return Err(format!("timed-nts-cert (needs openssl): {text}"));
    }
    Ok((dir.join("nts.crt"), dir.join("nts.key")))
}

/// The NTS server lines for the lab's chronyd: certificate, key and a dump directory in `dir`.
pub fn server_lines(crt: &Path, key: &Path, dump: &Path) -> String {
    format!(
        "ntsservercert {}\nntsserverkey {}\nntsdumpdir {}\n",
        crt.display(),
        key.display(),
        dump.display()
    )
}

/// What the clients counted, added up (chronyc(1) `ntpdata`: Total TX, Total valid RX).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: u64,
    /// Replies a client accepted: an NTS source takes only authenticated ones.
    pub valid: u64,
    /// Clients whose source is authenticated (NTS-KE done, cookies held).
    pub authenticated: usize,
    /// Clients that answered the query.
    pub answered: usize,
}

/// One client's `chronyc -c ntpdata` line: (authenticated, total TX, total valid RX).
pub fn parse_ntpdata(csv: &str) -> Option<(bool, u64, u64)> {
    let f: Vec<&str> = csv.trim().split(',').collect();
    Some((*f.get(27)? == "Yes", f.get(30)?.parse().ok()?, f.get(32)?.parse().ok()?))
}

/// The running clients.
pub struct Fleet {
    clients: Vec<Chronyd>,
    cert: PathBuf,
    scratch: Scratch,
}

impl Fleet {
    /// An empty fleet whose clients will trust `cert` only.
    pub fn new(cert: &Path) -> Result<Fleet, String> {
        Ok(Fleet { clients: Vec::new(), cert: cert.to_path_buf(), scratch: Scratch::new("timed-nts-fleet")? })
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Starts clients until there are `n`, spread round-robin over `links` (client namespace,
    /// the server's address on its link).
    pub fn grow_to(&mut self, n: usize, links: &[(String, String)]) -> Result<(), String> {
        while self.clients.len() < n {
            let k = self.clients.len();
            let (ns, server) = &links[k % links.len()];
            let dump = self.scratch.join(format!("dump{k}"));
            std::fs::create_dir_all(&dump).map_err(|e| format!("{}: {e}", dump.display()))?;
            let conf = format!(
                "# an NTS client of the lab's server (ntp-load-bench)\nport 0\n\
                 server {server} iburst nts minpoll {POLL} maxpoll {POLL}\n\
                 ntstrustedcerts {}\nnosystemcert\nntsdumpdir {}\n",
                self.cert.display(),
                dump.display()
            );
            let c = Chronyd::builder().netns(Some(ns)).start_scratch("timed-nts-client", &conf)?;
            self.clients.push(c);
        }
        Ok(())
    }

    /// Every client's counters, added up.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for (auth, sent, valid) in
            self.clients.iter().filter_map(|k| k.chronyc(&["ntpdata"]).ok()).filter_map(|s| parse_ntpdata(&s))
        {
            c.answered += 1;
            c.authenticated += usize::from(auth);
            c.sent += sent;
            c.valid += valid;
        }
        c
    }

    /// The clients' process ids (for their CPU time).
    pub fn pids(&self) -> Vec<u32> {
        self.clients.iter().filter_map(Chronyd::pid).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ntpdata;

    #[test]
    fn reads_authentication_and_counters_from_ntpdata() {
        // chronyc -n -c ntpdata of one of the bench's NTS clients (chrony 4.3, 2026-12-04):
        // interleaved No, authenticated Yes, 3543 sent, received and valid.
        let line = "10.79.97.1,0A4F6101,123,10.79.97.2,0A4F6102,Normal,4,Server,1,-7,0,-26,0.000000015,\
                    0.000015,0.000015,50505300,PPS,1796417795.190605813,-0.000000358,0.000002520,\
                    0.000000037,0.000036747,0.43,111,111,1101,No,Yes,Kernel,Kernel,3543,3543,3543,1104";
        assert_eq!(parse_ntpdata(line), Some((true, 3543, 3543)));
        let plain = line.replace(",No,Yes,", ",No,No,").replace(",3543,3543,3543,", ",3543,3543,3500,");
        assert_eq!(parse_ntpdata(&plain), Some((false, 3543, 3500)));
        assert_eq!(parse_ntpdata("10.79.97.1,short"), None);
    }
}
