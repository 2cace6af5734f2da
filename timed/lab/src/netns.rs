//! Network namespaces for tests that need a LAN: a server namespace and one or more client
//! namespaces on one bridge-less veth star (each client has its own veth pair to the server), so
//! chronyd can serve on port 123 without touching the host's network. Every namespace shares the
//! host's clock, file system and unix socket paths (measured on this project's test machines); only the
//! network is private. Needs root and iproute2; dropped namespaces are deleted.
//!
//! Owns: creating, addressing and deleting the namespaces. Must not depend on the lab's daemons.

use std::process::Command;

/// A server namespace and `clients.len()` client namespaces, each joined to the server by its own
/// veth pair on its own /24: client k is `10.<net>.<k>.2`, the server `10.<net>.<k>.1` on that
/// link (`server_ip` is the first link's address, the one chronyd is told to bind).
pub struct Netns {
    pub server: String,
    pub clients: Vec<String>,
    /// The server's address on the first client's link.
    pub server_ip: String,
    /// The server's address on each client's link, in client order.
    pub server_ips: Vec<String>,
    /// Each client's own address, in client order.
    pub client_ips: Vec<String>,
}

impl Netns {
    /// One server and one client namespace (`client()` names it).
    pub fn pair(tag: &str) -> Result<Netns, String> {
        Netns::star(tag, 1)
    }

    /// One server and `n` client namespaces (1 ≤ n ≤ 8). Names carry `tag` and the process id,
    /// so concurrent tests and processes do not collide; the second octet is made from the
    /// process id too (10.64.0.0–10.127.255.255, away from the usual home LAN ranges).
    pub fn star(tag: &str, n: usize) -> Result<Netns, String> {
        if !(1..=8).contains(&n) {
            return Err(format!("netns: {n} clients asked for; 1 to 8 are supported"));
        }
        let pid = std::process::id();
        let net = 64 + pid % 64;
        let base = (pid / 64) % 30 * 8;
        let id = pid % 100_000;
        let mut ns = Netns {
            server: format!("timed-{tag}-srv-{id}"),
            clients: Vec::new(),
            server_ip: String::new(),
            server_ips: Vec::new(),
            client_ips: Vec::new(),
        };
        ip(&["netns", "add", &ns.server])?;
        for k in 0..n {
            let client = format!("timed-{tag}-c{k}-{id}");
            // Interface names are at most 15 bytes.
            let (va, vb) = (format!("tv{id}s{k}"), format!("tv{id}c{k}"));
            let subnet = base + k as u32;
            let (sip, cip) = (format!("10.{net}.{subnet}.1"), format!("10.{net}.{subnet}.2"));
            ip(&["netns", "add", &client])?;
            ns.clients.push(client.clone());
            ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb])?;
            ip(&["link", "set", &va, "netns", &ns.server])?;
            ip(&["link", "set", &vb, "netns", &client])?;
            ip(&["-n", &ns.server, "addr", "add", &format!("{sip}/24"), "dev", &va])?;
            ip(&["-n", &client, "addr", "add", &format!("{cip}/24"), "dev", &vb])?;
            ip(&["-n", &ns.server, "link", "set", &va, "up"])?;
            ip(&["-n", &client, "link", "set", &vb, "up"])?;
            ip(&["-n", &client, "link", "set", "lo", "up"])?;
            ns.server_ips.push(sip);
            ns.client_ips.push(cip);
        }
        ip(&["-n", &ns.server, "link", "set", "lo", "up"])?;
        ns.server_ip = ns.server_ips[0].clone();
        Ok(ns)
    }

    /// The first client namespace.
    pub fn client(&self) -> &str {
        &self.clients[0]
    }

    /// `ip netns exec NS` followed by `program`: a command to run inside namespace `ns`.
    pub fn exec(ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let st = Command::new("ip").args(args).status().map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("ip {} failed ({st}; needs root and iproute2)", args.join(" ")))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in self.clients.iter().chain(std::iter::once(&self.server)) {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
