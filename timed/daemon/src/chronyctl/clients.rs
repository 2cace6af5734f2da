//! chronyd's client log (`chronyc clients`): who asked this server for time, how often, how many
//! of their requests rate limiting dropped, and whether they came for NTS keys, read page by page
//! with `REQ_CLIENT_ACCESSES_BY_INDEX3` (chrony ≥ 4.0); and the activity summary the metrics
//! endpoint exposes without per-client labels.
//!
//! Owns: the meaning of chrony's client records (candm.h `RPY_ClientAccesses_Client`, clientlog.c
//! `CLG_GetClientAccessReportByIndex`). Must not depend on anything but the command client and
//! the serverstats reader.
//!
//! Read-only: every request has `reset` 0, so chronyd's per-client counters are never cleared
//! (that is `chronyc clients -r`; a monitoring read must not change what `chronyc` shows), and
//! `min_hits` 0, so every client is listed.

use super::client::Client;
use super::{ip_text, unexpected, ServerStats};
use chrony_candm::reply::{ClientAccessesClient, ReplyBody};
use chrony_candm::request::{self as rq, RequestBody};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Records per reply (candm.h `MAX_CLIENT_ACCESSES`).
const PER_PAGE: u32 = 8;
/// At most this many pages (4096 clients) are read: a reading must stay bounded whatever
/// `clientloglimit` allows. A log with more clients is read in part and says so (`complete`).
pub const MAX_PAGES: u32 = 512;
/// chronyd's interval when it has no rate estimate yet (clientlog.c `get_interval`).
const NO_RATE: i8 = 127;

/// One client record, as `chronyc -c clients` and `chronyc -c clients -k` print it together.
/// Counts are since chronyd started (or since someone ran `chronyc clients -r`); intervals are
/// log2 of chronyd's average interval between requests, seconds (chronyc's `Int`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientAccess {
    pub address: String,
    /// NTP requests (chronyc `NTP`), including the dropped ones.
    pub ntp_requests: u64,
    /// NTP requests rate limiting answered with nothing (chronyc `Drop`). chrony counts no
    /// Kiss-o'-Death separately: from 4.6, `ratelimit kod` answers some of these with RATE.
    pub ntp_drops: u64,
    /// Mean interval of NTP requests, log2 s (`Int`); `None` before chronyd has a rate.
    pub ntp_interval_log2_s: Option<i8>,
    /// Mean interval of the requests rate limiting let through, log2 s (`IntL`).
    pub ntp_limited_interval_log2_s: Option<i8>,
    /// Seconds since the last NTP request (`Last`); `None` if none came.
    pub ntp_last_ago_s: Option<u32>,
    /// NTS-KE connections (`chronyc clients -k`: `NTS-KE`), their drops, interval and age.
    pub nts_ke_requests: u64,
    pub nts_ke_drops: u64,
    pub nts_ke_interval_log2_s: Option<i8>,
    pub nts_ke_last_ago_s: Option<u32>,
    /// Command requests over UDP (`Cmd`; the Unix socket is not logged per client).
    pub cmd_requests: u64,
    pub cmd_drops: u64,
    pub cmd_interval_log2_s: Option<i8>,
    pub cmd_last_ago_s: Option<u32>,
    /// The client fetched NTS keys here (an NTS-KE connection from its address). chrony 4.3
    /// counts authenticated NTP requests only in total (serverstats), not per client.
    pub nts: bool,
}

impl ClientAccess {
    /// Seconds since the client last asked for time (NTP or NTS-KE); `None` if it never did
    /// (a command-only client).
    pub fn last_seen_ago_s(&self) -> Option<u32> {
        match (self.ntp_last_ago_s, self.nts_ke_last_ago_s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// chronyd's client log as read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientLog {
    /// In chronyd's table order (a hash of the address, not meaningful).
    pub clients: Vec<ClientAccess>,
    /// False when the log had more clients than [`MAX_PAGES`] pages hold.
    pub complete: bool,
}

/// How many time clients were seen lately: what the metrics show instead of per-client labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientActivity {
    /// Records in chronyd's client log (any service).
    pub logged: u64,
    /// Clients whose last NTP or NTS-KE request is at most an hour old.
    pub active_1h: u64,
    /// … at most a day old. chronyd forgets the oldest records when its log is full
    /// (`clientloglimit`; serverstats' log drops count them), so this can undercount.
    pub active_24h: u64,
    pub complete: bool,
}

impl ClientLog {
    pub fn activity(&self) -> ClientActivity {
        let within =
            |s: u32| self.clients.iter().filter(|c| c.last_seen_ago_s().is_some_and(|a| a <= s)).count();
        ClientActivity {
            logged: self.clients.len() as u64,
            active_1h: within(3600) as u64,
            active_24h: within(86_400) as u64,
            complete: self.complete,
        }
    }

    /// The `n` clients with the most NTP and NTS-KE requests, most first (ties: address).
    pub fn top(&self, n: usize) -> Vec<ClientAccess> {
        let mut v = self.clients.clone();
        v.sort_by(|a, b| {
            (b.ntp_requests + b.nts_ke_requests)
                .cmp(&(a.ntp_requests + a.nts_ke_requests))
                .then_with(|| a.address.cmp(&b.address))
        });
        v.truncate(n);
        v
    }
}

pub(super) fn not_read() -> Result<ClientActivity, String> {
    Err("not read".into())
}

/// `timectl clients`: chronyd's client log and the server's totals, read in one conversation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientsReport {
    pub log: ClientLog,
    pub serverstats: Result<ServerStats, String>,
}

/// Reads chronyd's whole client log (at most [`MAX_PAGES`] pages, never resetting its
/// counters) and serverstats. Errors when chronyd cannot be reached or refuses the log.
pub async fn query_clients(socket: &Path, timeout: Duration) -> Result<ClientsReport, String> {
    let mut c = Client::open(socket, timeout).await?;
    let log = read(&mut c).await?;
    Ok(ClientsReport { log, serverstats: super::serverstats(&mut c).await })
}

/// Reads the whole client log (up to [`MAX_PAGES`] pages) the way chronyc pages it: from index
/// 0, each request starting at the reply's `next_index`, until that passes the table's size or
/// a page comes back short.
pub(super) async fn read(c: &mut Client) -> Result<ClientLog, String> {
    let mut log = ClientLog { clients: Vec::new(), complete: false };
    let mut first_index = 0u32;
    for _ in 0..MAX_PAGES {
        let req = rq::ClientAccessesByIndex { first_index, n_clients: PER_PAGE, min_hits: 0, reset: 0 };
        let page = match c.ask(RequestBody::ClientAccessesByIndex3(req)).await?.decode()? {
            ReplyBody::ClientAccessesByIndex3(p) => p,
            other => return Err(unexpected("clients", &other)),
        };
        let n = page.n_clients.min(PER_PAGE) as usize;
        log.clients.extend(page.clients[..n].iter().filter_map(record));
        if page.next_index >= page.n_indices || page.n_clients < PER_PAGE {
            log.complete = true;
            return Ok(log);
        }
        // chronyd always moves forward; a reply that does not would loop forever.
        if page.next_index <= first_index {
            return Err(format!("chronyd's client log did not advance past index {first_index}"));
        }
        first_index = page.next_index;
    }
    Ok(log)
}

/// One record; `None` for an unspecified address (chronyc skips those too).
fn record(c: &ClientAccessesClient) -> Option<ClientAccess> {
    let address = ip_text(&c.ip)?;
    // chrony-candm declares the intervals u8; on the wire they are int8_t (fast clients have
    // negative log2 intervals).
    let interval = |v: u8| Some(v as i8).filter(|&i| i != NO_RATE);
    let ago = |v: u32| Some(v).filter(|&a| a != u32::MAX);
    Some(ClientAccess {
        address,
        ntp_requests: c.ntp_hits.into(),
        ntp_drops: c.ntp_drops.into(),
        ntp_interval_log2_s: interval(c.ntp_interval),
        ntp_limited_interval_log2_s: interval(c.ntp_timeout_interval),
        ntp_last_ago_s: ago(c.last_ntp_hit_ago),
        nts_ke_requests: c.nke_hits.into(),
        nts_ke_drops: c.nke_drops.into(),
        nts_ke_interval_log2_s: interval(c.nke_interval),
        nts_ke_last_ago_s: ago(c.last_nke_hit_ago),
        cmd_requests: c.cmd_hits.into(),
        cmd_drops: c.cmd_drops.into(),
        cmd_interval_log2_s: interval(c.cmd_interval),
        cmd_last_ago_s: ago(c.last_cmd_hit_ago),
        // An NTS-KE hit, or its time when `chronyc clients -r` has zeroed the counts since.
        nts: c.nke_hits > 0 || c.last_nke_hit_ago != u32::MAX,
    })
}

#[cfg(test)]
#[path = "clients_tests.rs"]
mod tests;
