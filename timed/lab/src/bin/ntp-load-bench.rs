//! `ntp-load-bench`: what the lab's chronyd serves under NTP load, with timed feeding it and
//! without, and what the load does to timed's PPS path (issue 16; run by tests/bench/ntp-load.sh,
//! whose header says what is simulated). Figures, not assertions.
//!
//! The lab's chronyd serves NTP on port 123 inside a server network namespace; `ntp-load` sends
//! from a client namespace over a veth link. For each rate the load runs twice: once with timed
//! and the simulator stopped (chronyd alone, `local stratum 1`), once with them running (timed
//! started afresh and given time to settle first). The edge-to-datagram p99 comes from two
//! readings of timed's edge histogram (snapshot `stats.edge_latency[].histogram`, every edge
//! since start) at the window's ends: the upper bound of the bucket holding the 99th percentile
//! of the window's edges. Where the replies were lost is read from each namespace's UDP counters
//! (`RcvbufErrors` in /proc/net/snmp): at chronyd's socket or at the generator's.
//!
//! NTS: after the plain rates, real chronyd NTS clients (timed-lab's `nts_fleet`, each polling
//! 128 times a second) in seven more client namespaces load the same chronyd, which then also
//! serves NTS-KE with a certificate from the appliance's own `timed-nts-cert`. For each client
//! count the same two windows run (the clients keep polling through both); what was sent and
//! answered is the clients' own `ntpdata` counters, what chronyd counted is its `serverstats`.
//!
//! usage: ntp-load-bench [--duration SECONDS (20)] [--rates LIST (0,5000,10000,20000,40000,max)]
//!                       [--threads N (1)] [--nts-clients LIST (16,80,160; 0 = none)] [--keep]
#![forbid(unsafe_code)]

use std::process::{Child, ExitCode, Stdio};
use std::time::{Duration, Instant};
use timed_lab::netns::Netns;
use timed_lab::nts_fleet::{self, Fleet};
use timed_lab::{locate_bin, wait_for, Lab, Options, Scratch};

/// utime + stime of a process, seconds (/proc/PID/stat fields 14 and 15, 100 ticks/s).
fn cpu_s(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
}

/// `RcvbufErrors` of the UDP counters inside network namespace `ns`: datagrams dropped because
/// a socket's receive buffer was full.
fn rcvbuf_errors(ns: &str) -> Option<u64> {
    let out = Netns::exec(ns, "cat").arg("/proc/net/snmp").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut udp = text.lines().filter(|l| l.starts_with("Udp:"));
    let (names, values) = (udp.next()?, udp.next()?);
    let i = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(i)?.parse().ok()
}

/// timed's edge histogram, all labels added up: cumulative counts by bucket (the last +Inf).
fn edge_histogram(lab: &Lab) -> Option<Vec<(f64, u64)>> {
    let snap = lab.snapshot().ok()?;
    let mut sum: Vec<(f64, u64)> = Vec::new();
    for l in snap["timed"]["stats"]["edge_latency"].as_array()? {
        for (i, b) in l["histogram"].as_array()?.iter().enumerate() {
            let le = b[0].as_f64().unwrap_or(f64::INFINITY);
            let n = b[1].as_u64()?;
            match sum.get_mut(i) {
                Some(e) => e.1 += n,
                None => sum.push((le, n)),
            }
        }
    }
    Some(sum)
}

/// Edge figures between two readings of timed's histogram: the upper bound (us) of the bucket
/// holding the 99th percentile (nearest rank, as timed ranks its own quantiles: the slowest
/// edge when there are under 100; infinity beyond the last finite bound), the edges, and how
/// many took over 200 us.
fn edges_between(before: &[(f64, u64)], after: &[(f64, u64)]) -> Option<(f64, u64, u64)> {
    let at = |h: &[(f64, u64)], i: usize| h.get(i).map_or(0, |b| b.1);
    let diff: Vec<(f64, u64)> =
        after.iter().enumerate().map(|(i, (le, c))| (*le, c - at(before, i).min(*c))).collect();
    let total = diff.last()?.1;
    let rank = ((total.saturating_sub(1)) as f64 * 0.99).round() as u64 + 1;
    let (le, _) = diff.iter().find(|(_, c)| *c >= rank)?;
    let within_200us = diff.iter().take_while(|(le, _)| *le <= 200e-6).last().map_or(0, |b| b.1);
    Some((le * 1e6, total, total - within_200us))
}

/// One measured window.
#[derive(Clone, Debug, Default)]
struct Row {
    label: String,
    sent_rate: f64,
    served_rate: f64,
    loss: f64,
    kod: u64,
    with_timed: bool,
    p99_us: Option<f64>,
    sigma_ns: Option<f64>,
    timed_cpu: Option<f64>,
    chronyd_cpu: Option<f64>,
    edges: u64,
    over_200us: Option<u64>,
    server_drops: Option<u64>,
    client_drops: Option<u64>,
    nts: Option<NtsFigures>,
}

/// What an NTS window adds: the clients, their CPU, and chronyd's own counts (serverstats).
#[derive(Clone, Debug, Default)]
struct NtsFigures {
    clients: usize,
    authenticated: usize,
    clients_cpu: Option<f64>,
    /// NTP requests chronyd received, per second.
    chronyd_req: f64,
    /// Authenticated (NTS) requests among them, per second.
    chronyd_auth: f64,
    /// NTS-KE connections accepted in the window.
    nke: u64,
}

impl Row {
    fn line(&self) -> String {
        let opt = |v: Option<f64>, prec: usize| v.map_or("-".to_string(), |x| format!("{x:.prec$}"));
        format!(
            "NTPLOAD rate={:.0} served={:.0} loss={:.2} nts={} pps_p99_us={} pps_sigma_ns={} timed_cpu={} \
             timed={} target={} kod={} chronyd_cpu={} pps_edges={} pps_over_200us={} drops_at_chronyd={} drops_at_generator={}",
            self.sent_rate,
            self.served_rate,
            self.loss,
            u8::from(self.nts.is_some()),
            opt(self.p99_us, 1),
            opt(self.sigma_ns, 0),
            opt(self.timed_cpu, 2),
            u8::from(self.with_timed),
            self.label,
            self.kod,
            opt(self.chronyd_cpu, 1),
            self.edges,
            self.over_200us.map_or("-".into(), |n| n.to_string()),
            self.server_drops.map_or("-".into(), |n| n.to_string()),
            self.client_drops.map_or("-".into(), |n| n.to_string()),
        ) + &self.nts.as_ref().map_or(String::new(), |n| {
            format!(
                " clients={} authenticated={} clients_cpu={} chronyd_req={:.0} chronyd_auth={:.0} nke={}",
                n.clients,
                n.authenticated,
                opt(n.clients_cpu, 1),
                n.chronyd_req,
                n.chronyd_auth,
                n.nke
            )
        })
    }
}

/// The value of `key=` in ntp-load's summary line.
fn field(line: &str, key: &str) -> Option<f64> {
    line.split_whitespace().find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

fn std_dev_ns(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    Some((v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt() * 1e9)
}

/// `chronyc -c serverstats` (chrony 4.3): NTP requests received, NTS-KE connections accepted,
/// authenticated NTP requests (fields 1, 6 and 8).
fn serverstats(lab: &Lab) -> Option<[u64; 3]> {
    let out = lab.chronyc(&["serverstats"]).ok()?;
    let f: Vec<u64> = out.trim().split(',').map(|v| v.parse().ok()).collect::<Option<_>>()?;
    Some([*f.first()?, *f.get(5)?, *f.get(7)?])
}

/// What loads chronyd in a window.
enum Load<'a> {
    /// The project's generator at this rate (`0`: none; `max`: as fast as it goes).
    Plain(&'a str),
    /// The NTS client fleet as it runs.
    Nts,
}

struct Bench {
    lab: Lab,
    ns: Netns,
    load_bin: std::path::PathBuf,
    duration: f64,
    threads: u8,
    fleet: Option<Fleet>,
}

impl Bench {
    fn start_load(&self, rate: &str) -> Result<Option<Child>, String> {
        if rate == "0" {
            return Ok(None);
        }
        Netns::exec(self.ns.client(), &self.load_bin.to_string_lossy())
            .args(["--server", &self.ns.server_ip, "--rate", rate])
            .args(["--duration", &self.duration.to_string(), "--threads", &self.threads.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map(Some)
            .map_err(|e| format!("cannot start ntp-load: {e}"))
    }

    /// Starts NTS clients until there are `n` and waits until each holds NTS keys and is
    /// answered (then 3 s more: their start-up bursts are over).
    fn grow_fleet(&mut self, n: usize) -> Result<(), String> {
        let fleet = self.fleet.as_mut().ok_or("no NTS fleet")?;
        let links: Vec<(String, String)> =
            self.ns.clients[1..].iter().cloned().zip(self.ns.server_ips[1..].iter().cloned()).collect();
        fleet.grow_to(n, &links)?;
        let ready = wait_for(Duration::from_secs(90), || {
            let c = fleet.counts();
            c.authenticated == n && c.valid > 0
        });
        ready.map_err(|_| format!("NTS clients not all authenticated after 90 s: {:?}", fleet.counts()))?;
        std::thread::sleep(Duration::from_secs(3));
        Ok(())
    }

    /// One window under `load`: the load, then the figures.
    fn window(&mut self, load: &Load, with_timed: bool) -> Result<Row, String> {
        if with_timed {
            self.lab.start_sim_again()?;
            self.lab.restart_timed()?;
            // Settled: timed labels edges from its pulse train (a fresh timed waits for the
            // receiver's message for its first ones, ~0.2 s later: not what load does).
            let settled = wait_for(Duration::from_secs(60), || {
                edge_histogram(&self.lab).and_then(|h| h.last().map(|b| b.1)).is_some_and(|n| n >= 8)
            });
            settled.map_err(|_| {
                format!("timed sent no PPS samples after its start\n{}", self.lab.timed_log())
            })?;
        }
        let h0 = if with_timed { edge_histogram(&self.lab) } else { None };
        let drops0 = [&self.ns.server, self.ns.client()].map(rcvbuf_errors);
        // The clients' counters are read outside the measured window (a chronyc call each).
        let fleet0 =
            self.fleet.as_ref().filter(|_| matches!(load, Load::Nts)).map(|f| (Instant::now(), f.counts()));
        let t0 = Instant::now();
        let (child, label) = match load {
            Load::Plain(rate) => (self.start_load(rate)?, rate.to_string()),
            Load::Nts => {
                (None, format!("{}x{}", self.fleet.as_ref().map_or(0, Fleet::len), nts_fleet::CLIENT_RATE))
            }
        };
        // CPU and PPS samples from 2 s in: the generator's start is not charged to the load.
        std::thread::sleep(Duration::from_secs(2));
        let [timed, _, chronyd] = self.lab.pids();
        let client_pids = fleet0.as_ref().and(self.fleet.as_ref()).map(Fleet::pids).unwrap_or_default();
        let clients_cpu = || client_pids.iter().map(|p| cpu_s(Some(*p))).sum::<Option<f64>>();
        let (timed0, chronyd0, c0) = (cpu_s(timed), cpu_s(chronyd), Instant::now());
        let (stats0, clients0) = (serverstats(&self.lab), clients_cpu());
        let n0 = self.lab.refclock_samples("PPS").len();
        let summary = match child {
            Some(child) => {
                let out = child.wait_with_output().map_err(|e| format!("ntp-load: {e}"))?;
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                if !out.status.success() || !text.starts_with("ntp-load ") {
                    return Err(format!("ntp-load failed ({}): {text}", out.status));
                }
                Some(text)
            }
            None => {
                std::thread::sleep(Duration::from_secs_f64(self.duration).saturating_sub(t0.elapsed()));
                None
            }
        };
        let wall = c0.elapsed().as_secs_f64();
        let (stats1, clients1) = (serverstats(&self.lab), clients_cpu());
        let share = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / wall * 100.0);
        let drops1 = [&self.ns.server, self.ns.client()].map(rcvbuf_errors);
        let delta = |i: usize| Some(drops1[i]?.saturating_sub(drops0[i]?));
        let mut row = Row {
            label,
            with_timed,
            chronyd_cpu: share(chronyd0, cpu_s(chronyd)),
            server_drops: delta(0),
            client_drops: delta(1),
            ..Row::default()
        };
        if let Some(s) = &summary {
            row.sent_rate = field(s, "rate").unwrap_or(0.0);
            row.served_rate = field(s, "served_rate").unwrap_or(0.0);
            row.loss = field(s, "loss").unwrap_or(100.0);
            row.kod = field(s, "kod").unwrap_or(0.0) as u64;
        }
        if let (Some((at0, f0)), Some(fleet)) = (fleet0, self.fleet.as_ref()) {
            // Each client's counters span from its first reading to its second: about the
            // time between the starts of the two passes.
            let span = at0.elapsed().as_secs_f64();
            let f1 = fleet.counts();
            let (sent, valid) = (f1.sent.saturating_sub(f0.sent), f1.valid.saturating_sub(f0.valid));
            row.sent_rate = sent as f64 / span;
            row.served_rate = valid as f64 / span;
            // Replies to requests sent before the first reading make a small negative loss.
            row.loss = if sent == 0 { 100.0 } else { (100.0 * (1.0 - valid as f64 / sent as f64)).max(0.0) };
            let d = |i: usize| Some(stats1?[i].saturating_sub(stats0?[i]));
            row.nts = Some(NtsFigures {
                clients: fleet.len(),
                authenticated: f1.authenticated,
                clients_cpu: share(clients0, clients1),
                chronyd_req: d(0).unwrap_or(0) as f64 / wall,
                chronyd_auth: d(2).unwrap_or(0) as f64 / wall,
                nke: d(1).unwrap_or(0),
            });
        }
        if with_timed {
            row.timed_cpu = share(timed0, cpu_s(timed));
            let pps: Vec<f64> =
                self.lab.refclock_samples("PPS").into_iter().skip(n0).map(|(_, o)| o).collect();
            row.sigma_ns = std_dev_ns(&pps);
            if let Some((p99, n, slow)) =
                h0.zip(edge_histogram(&self.lab)).and_then(|(a, b)| edges_between(&a, &b))
            {
                row.p99_us = Some(p99);
                row.edges = n;
                row.over_200us = Some(slow);
            }
            self.lab.stop_timed();
            self.lab.stop_sim();
        }
        Ok(row)
    }
}

fn main() -> ExitCode {
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ntp-load-bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn bench() -> Result<(), String> {
    let (mut duration, mut threads, mut keep) = (20.0_f64, 1u8, false);
    let mut rates: Vec<String> = ["0", "5000", "10000", "20000", "40000", "max"].map(String::from).to_vec();
    let mut nts_clients: Vec<usize> = vec![16, 80, 160];
    let mut args = std::env::args().skip(1);
    while let Some(k) = args.next() {
        match k.as_str() {
            "--keep" => keep = true,
            "--duration" => {
                duration = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|d| *d >= 5.0)
                    .ok_or("--duration: seconds, at least 5")?
            }
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).ok_or("--threads: a number")?,
            "--rates" => {
                rates = args
                    .next()
                    .ok_or("--rates: a list")?
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(String::from)
                    .collect()
            }
            "--nts-clients" => {
                let list = args.next().ok_or("--nts-clients: a list")?;
                nts_clients = list
                    .split(',')
                    .filter(|v| !v.is_empty())
                    .map(|v| v.parse::<usize>().ok().filter(|n| *n <= 400))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("--nts-clients: client counts (at most 400 each), e.g. 16,80,160")?;
                nts_clients.retain(|n| *n > 0);
                if nts_clients.windows(2).any(|w| w[0] >= w[1]) {
                    return Err("--nts-clients: ascending counts (clients are added, never removed)".into());
                }
            }
            other => return Err(format!("unknown argument {other:?} (see the file's header)")),
        }
    }
    let load_bin = locate_bin("ntp-load", "TIMED_NTP_LOAD_BIN")?;
    let nts = !nts_clients.is_empty();
    // NTS clients live in seven namespaces of their own (seven client addresses), the generator
    // in the first.
    let ns = Netns::star("load", if nts { 8 } else { 1 })?;
    let scratch = Scratch::new("timed-ntp-load")?;
    let mut chrony_extra = "local stratum 1\n".to_string();
    let mut fleet = None;
    if nts {
        let (crt, key) = nts_fleet::make_cert(&scratch.join("cert"), &ns.server_ips)?;
        let dump = scratch.join("ntsdump");
        std::fs::create_dir(&dump).map_err(|e| format!("{}: {e}", dump.display()))?;
        ns.server_ips[1..].iter().for_each(|ip| chrony_extra += &format!("allow {ip}/24\n"));
        chrony_extra += &nts_fleet::server_lines(&crt, &key, &dump);
        fleet = Some(Fleet::new(&crt)?);
    }
    let opts = Options {
        ntp_port: 123,
        // One IPv4 bindaddress: every client link's address when NTS clients come.
        bind_address: if nts { "0.0.0.0".into() } else { ns.server_ip.clone() },
        allow: format!("{}/24", ns.server_ip),
        netns: Some(ns.server.clone()),
        keep_dir: keep,
        // `local stratum 1`: serves stratum 1 when timed is stopped too: the baseline measures
        // serving, not sync.
        chrony_extra,
        ..Options::default()
    };
    let lab = Lab::start(opts)?;
    eprintln!("# lab in {}; waiting for chronyd to select timed's PPS", lab.dir.display());
    wait_for(Duration::from_secs(90), || lab.selected("PPS"))
        .map_err(|_| format!("chronyd never selected PPS: {:?}\n{}", lab.sources(), lab.timed_log()))?;
    let mut b = Bench { lab, ns, load_bin, duration, threads, fleet };
    println!(
        "# ntp-load-bench: {duration} s per window, {threads} generator thread(s), chronyd in {} at {}:123, \
         NTS clients {nts_clients:?} (chronyd 4.3, poll {})",
        b.ns.server,
        b.ns.server_ip,
        nts_fleet::POLL
    );
    b.lab.stop_timed();
    b.lab.stop_sim();
    let mut rows = Vec::new();
    // Each load without timed, then with it: background load on this machine changes slowly,
    // so the pair shares it.
    for rate in &rates {
        for with_timed in [false, true] {
            let row = b.window(&Load::Plain(rate), with_timed)?;
            eprintln!("{}", row.line());
            rows.push(row);
        }
    }
    for n in &nts_clients {
        eprintln!("# starting NTS clients: {n}");
        b.grow_fleet(*n)?;
        for with_timed in [false, true] {
            let row = b.window(&Load::Nts, with_timed)?;
            eprintln!("{}", row.line());
            rows.push(row);
        }
    }
    drop(b);
    println!("# with timed (simulator + timed feeding chronyd's PPS refclock)");
    rows.iter().filter(|r| r.with_timed).for_each(|r| println!("{}", r.line()));
    println!("# without timed (chronyd alone, local stratum 1)");
    rows.iter().filter(|r| !r.with_timed).for_each(|r| println!("{}", r.line()));
    let pair = |label: &str| {
        let f = |t: bool| rows.iter().find(|r| r.label == label && r.with_timed == t);
        Some((f(true)?, f(false)?))
    };
    let ratio = |(with, without): (&Row, &Row)| with.served_rate / without.served_rate.max(1.0);
    // The highest fixed load chronyd alone sustained: answered at least 95 % of the requests (a
    // shared 2-core machine drops some datagrams whenever a process waits for a core).
    let sustained = |nts: bool| {
        rows.iter()
            .filter(|r| !r.with_timed && r.nts.is_some() == nts && r.label != "0" && r.label != "max")
            .filter_map(|r| pair(&r.label))
            .rfind(|(_, without)| without.loss < 5.0)
    };
    for (nts, wanted) in [(false, !rates.is_empty()), (true, nts)] {
        match sustained(nts).filter(|_| wanted) {
            Some(p) => println!(
                "RATIO served_with_timed={:.3} rate={} served={:.0} nts={}",
                ratio(p),
                p.0.label,
                p.1.served_rate,
                u8::from(nts)
            ),
            None if wanted => println!(
                "RATIO served_with_timed=- rate=- nts={} (chronyd alone lost over 5 % at every load)",
                u8::from(nts)
            ),
            None => {}
        }
    }
    if let Some(p) = pair("max") {
        println!("RATIO_MAX served_with_timed={:.3}", ratio(p));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::edges_between;

    #[test]
    fn a_windows_p99_is_the_bucket_of_its_nearest_rank_edge() {
        let before = [(10e-6, 100), (200e-6, 100), (500e-6, 100), (f64::INFINITY, 100)];
        // 20 edges in the window: 10 within 10 us, 9 within 200 us, 1 within 500 us.
        let after = [(10e-6, 110), (200e-6, 119), (500e-6, 120), (f64::INFINITY, 120)];
        assert_eq!(edges_between(&before, &after), Some((500.0, 20, 1)));
        // 200 edges, the two slowest over 500 us: rank 198 still falls within 200 us.
        let many = [(10e-6, 150), (200e-6, 198), (500e-6, 198), (f64::INFINITY, 200)];
        assert_eq!(edges_between(&[], &many), Some((200.0, 200, 2)));
        assert_eq!(edges_between(&before, &before), None, "no edge in the window, no p99");
    }
}
