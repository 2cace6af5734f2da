//! `timectl clients`: who uses this time server. chronyd's client log (`chronyc clients` and its
//! `-k` NTS-KE columns, side by side) as top talkers, and the server's totals from serverstats,
//! read through timed or `--chrony-socket`. Never resets chronyd's counters.

use crate::client::Target;
use serde::Serialize;
use std::fmt::Write;
use std::process::ExitCode;
use timed::chronyctl::{ClientAccess, ClientActivity, ClientsReport, ServerStats};

#[derive(clap::Args)]
pub struct Args {
    /// Show the N clients with the most requests (NTP and NTS-KE); 0 shows all.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
}

#[derive(Serialize)]
struct ClientsJson<'a> {
    schema: u32,
    from: &'a str,
    /// Counts over the whole log (not only the clients listed).
    activity: ClientActivity,
    /// serverstats: totals since chronyd started, or why they are missing.
    totals: &'a Result<ServerStats, String>,
    /// Most requests first; at most `--top`.
    clients: Vec<ClientAccess>,
}

pub fn run(t: &Target, a: &Args, json: bool) -> Result<ExitCode, String> {
    let (r, from) = crate::client::clients(t)?;
    let n = if a.top == 0 { usize::MAX } else { a.top };
    if json {
        crate::fmt::print_json(&ClientsJson {
            schema: timed::control::SCHEMA,
            from: &from,
            activity: r.log.activity(),
            totals: &r.serverstats,
            clients: r.log.top(n),
        })?;
    } else {
        crate::fmt::print_out(&render(&r, n))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A count of seconds as chronyc prints it (client.c `print_seconds`): plain up to 1199 s, then
/// minutes, hours, days, years; `-` for never.
pub fn chronyc_seconds(s: Option<u32>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s < 1200 => s.to_string(),
        Some(s) if s < 36_000 => format!("{}m", s / 60),
        Some(s) if s < 345_600 => format!("{}h", s / 3600),
        Some(s) if s / 86_400 > 999 => format!("{}y", s / 86_400 / 365),
        Some(s) => format!("{}d", s / 86_400),
    }
}

pub fn render(r: &ClientsReport, n: usize) -> String {
    let mut o = String::new();
    let a = r.log.activity();
    let _ = writeln!(
        o,
        "Clients: {} in chronyd's log{}, {} active in the last hour, {} in the last day",
        a.logged,
        if a.complete { "" } else { " (read in part: too many)" },
        a.active_1h,
        a.active_24h
    );
    match &r.serverstats {
        Ok(s) => {
            let opt = |v: Option<u64>| v.map_or_else(|| "n/a".into(), |v| v.to_string());
            let _ = writeln!(
                o,
                "Totals:  NTP {} requests, {} dropped; NTS-KE {} connections, {} dropped; \
                 authenticated NTP {}; interleaved {}",
                s.ntp_hits,
                s.ntp_drops,
                opt(s.nke_hits),
                opt(s.nke_drops),
                opt(s.ntp_auth_hits),
                opt(s.ntp_interleaved_hits)
            );
        }
        Err(e) => {
            let _ = writeln!(o, "Totals unavailable: {e}");
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<39} {:>8} {:>6} {:>4} {:>4} {:>5}  {:>6} {:>5} {:>4} {:>5}  NTS",
        "Address", "NTP", "Drop", "Int", "IntL", "Last", "NTS-KE", "Drop", "Int", "Last"
    );
    let _ = writeln!(o, "{}", "=".repeat(104));
    for c in r.log.top(n) {
        let _ = writeln!(
            o,
            "{:<39} {:>8} {:>6} {:>4} {:>4} {:>5}  {:>6} {:>5} {:>4} {:>5}  {}",
            c.address,
            c.ntp_requests,
            c.ntp_drops,
            crate::fmt::opt(&c.ntp_interval_log2_s),
            crate::fmt::opt(&c.ntp_limited_interval_log2_s),
            chronyc_seconds(c.ntp_last_ago_s),
            c.nts_ke_requests,
            c.nts_ke_drops,
            crate::fmt::opt(&c.nts_ke_interval_log2_s),
            chronyc_seconds(c.nts_ke_last_ago_s),
            if c.nts { "yes" } else { "no" }
        );
    }
    if r.log.clients.len() > n {
        let _ = writeln!(o, "({} more; --top 0 lists all)", r.log.clients.len() - n);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_chronyc() {
        let got: Vec<String> = [
            None,
            Some(0),
            Some(1199),
            Some(1200),
            Some(35_999),
            Some(36_000),
            Some(345_600),
            Some(u32::MAX - 1),
        ]
        .into_iter()
        .map(chronyc_seconds)
        .collect();
        assert_eq!(got, ["-", "0", "1199", "20m", "599m", "10h", "4d", "136y"]);
    }

    #[test]
    fn the_table_lists_top_talkers_with_totals() {
        let c = |addr: &str, ntp: u64, nke: u64| ClientAccess {
            address: addr.into(),
            ntp_requests: ntp,
            ntp_drops: 1,
            ntp_interval_log2_s: Some(-2),
            ntp_limited_interval_log2_s: None,
            ntp_last_ago_s: Some(5),
            nts_ke_requests: nke,
            nts_ke_drops: 0,
            nts_ke_interval_log2_s: None,
            nts_ke_last_ago_s: (nke > 0).then_some(7000),
            cmd_requests: 0,
            cmd_drops: 0,
            cmd_interval_log2_s: None,
            cmd_last_ago_s: None,
            nts: nke > 0,
        };
        let r = ClientsReport {
            log: timed::chronyctl::ClientLog {
                clients: vec![c("192.0.2.1", 3, 0), c("192.0.2.2", 90, 1), c("2001:db8::9", 40, 0)],
                complete: true,
            },
            serverstats: Ok(ServerStats {
                ntp_hits: 133,
                ntp_drops: 3,
                nke_hits: Some(1),
                ..Default::default()
            }),
        };
        let text = render(&r, 2);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("Clients: 3 in chronyd's log, 3 active in the last hour"), "{text}");
        assert!(lines[1].contains("NTP 133 requests, 3 dropped; NTS-KE 1 connections"), "{text}");
        assert!(lines[5].starts_with("192.0.2.2 ") && lines[5].ends_with("yes"), "{text}");
        assert!(lines[5].contains("  -2    -     5"), "{text}");
        assert!(lines[6].starts_with("2001:db8::9 ") && lines[6].ends_with("no"), "{text}");
        assert_eq!(lines[7], "(1 more; --top 0 lists all)");
    }
}
