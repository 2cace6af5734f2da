//! chronyd's view, read through its command socket: tracking, sources (with source data, select
//! data and sourcestats for every index, refclocks included) and serverstats, as plain
//! serialisable structs (the `chrony_*` Prometheus families made from them: `metrics::chrony`).
//!
//! Owns: the command-protocol client (`client`: our datagram socket, deadlines, reply checks;
//! the wire format is `chrony-candm`'s).
//! Must not depend on the rest of timed (event loop, sinks, health): the metrics endpoint and a
//! status command call [`query`] and nothing else, and a chronyd that is down,
//! slow or hostile yields errors in the [`Report`], never a panic or a hang.
//!
//! Who may ask (measured with chrony 4.3): chronyd replies to the client's socket *path*, so the
//! client must bind a named socket that chronyd, usually running as another user (`_chrony`),
//! can write to: without mode 0666 on it the reply is silently lost. It binds next to chronyd's
//! socket (as chronyc does) or, if it cannot create files there, in the temporary directory.
//! chronyd creates its own socket `0755` owned by its user, so by default only root and chronyd's
//! user can send to it. timed runs as its own user, not as either: the shipped chrony drop-in
//! (`systemd/chrony.service.d/timed.conf`) makes the socket group-writable and `/run/chrony`
//! `0750`, and timed's unit adds it to chronyd's group (`SupplementaryGroups=_chrony`). timed
//! cannot create its reply socket in `/run/chrony` then (the group has no write permission there),
//! so it uses the temporary-directory fallback; the unit's `/tmp` is private (`PrivateTmp=yes`)
//! and invisible to chronyd, hence `TMPDIR=/run/timed` in the unit. docs/privileges.md has the
//! whole picture. Without such access the chrony part of status and metrics reports the error;
//! chronyc's UDP port 323 is not used (serverstats are refused there anyway).

mod cache;
mod client;
mod clients;
#[doc(hidden)]
pub mod fixture;
mod peers;

pub use cache::Cache;
pub use clients::{
    query_clients, ClientAccess, ClientActivity, ClientLog, ClientsReport, MAX_PAGES as MAX_CLIENT_PAGES,
};

use chrony_candm::common::ChronyAddr;
use chrony_candm::reply::{ReplyBody, SourceMode, SourceState};
use chrony_candm::request::{self as rq, RequestBody};
use client::Client;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// At most this many sources are read: each costs 3–4 requests, and a scrape must stay bounded
/// even against a chronyd with a huge pool.
const MAX_SOURCES: u32 = 64;

/// How long timed waits for each answer of chronyd in the reads made for `timectl` and the
/// metrics endpoint. chronyd answers a command in well under a millisecond; an answer that takes
/// longer than this means chronyd is hung (stopped, swapping, stuck in I/O), and every reader
/// of this crate must learn that within a fraction of a second instead of waiting it out.
pub const LIVE_TIMEOUT: Duration = Duration::from_millis(300);

/// One reading of chronyd. Each part fails on its own; tracking failing means chronyd did not
/// answer at all, and then the other parts are not asked.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub tracking: Result<Tracking, String>,
    pub sources: Result<Vec<Source>, String>,
    pub serverstats: Result<ServerStats, String>,
    /// How many clients chronyd served lately (its client log, summarised: `clients`).
    #[serde(default = "clients::not_read")]
    pub clients: Result<ClientActivity, String>,
    /// Whether chronyd answered; typed so that readers never parse the error texts above.
    #[serde(default)]
    pub state: ChronydState,
    /// Seconds since this reading was taken (readings are shared for a moment, [`Cache`]).
    #[serde(default)]
    pub age_s: f64,
}

/// What became of the reading's first request (tracking).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChronydState {
    /// chronyd answered (its answers may still be refusals, in the parts' errors).
    #[default]
    Answered,
    /// The command socket exists and took the request, but no answer came within the timeout:
    /// chronyd is hung or stopped (SIGSTOP), not dead.
    Unresponsive,
    /// No chronyd to ask: the socket is missing, refuses connections or may not be written.
    Unreachable,
}

/// `chronyc tracking`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    pub ref_id: u32,
    /// The reference's IP address, or for a refclock (or no reference) its refid as text.
    pub ref_name: String,
    /// Set when the reference is an NTP server or peer.
    pub ref_address: Option<String>,
    pub stratum: u16,
    /// 0 normal, 1 insert second, 2 delete second, 3 unsynchronised (chrony's `LEAP_*`).
    pub leap_code: u16,
    /// [`leap_text`] of `leap_code`.
    pub leap_status: String,
    /// Unix time of the last reference update (0 before the first).
    pub ref_time_s: f64,
    /// chrony's current correction ("System time"): true − system, seconds. Positive means the
    /// system clock is behind (chronyc: "slow of NTP time").
    pub system_offset_s: f64,
    pub last_offset_s: f64,
    pub rms_offset_s: f64,
    pub frequency_ppm: f64,
    pub residual_freq_ppm: f64,
    pub skew_ppm: f64,
    pub root_delay_s: f64,
    pub root_dispersion_s: f64,
    pub update_interval_s: f64,
}

/// `chronyc sources` + `selectdata` + `sourcestats` for one source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub index: u32,
    /// IP address, or for a refclock its refid as text ("PPS").
    pub address: String,
    /// The configured name of an NTP source (chronyd's own, no DNS lookup), or `address`.
    pub name: String,
    /// "server", "peer" or "refclock".
    pub mode: String,
    /// "selected", "unusable", "falseticker", "jittery", "candidate" (combined) or "outlier"
    /// (selectable, not combined); chronyc's `*`, `?`, `x`, `~`, `+`, `-`.
    pub state: String,
    /// chronyd's wire code for `state` (candm.h `RPY_SD_ST_*`).
    pub state_code: u16,
    pub stratum: u16,
    /// log2 of the polling interval, seconds.
    pub poll: i16,
    /// The 8-bit reachability register.
    pub reach: u8,
    /// Seconds since the last good sample; `None` if there was none.
    pub last_rx_ago_s: Option<u32>,
    /// Last sample offset adjusted for later clock corrections, and as measured (chronyc's
    /// "Last sample" `[...]`): system − reference, seconds.
    pub last_offset_s: f64,
    pub last_offset_orig_s: f64,
    /// Its error bound (chronyc's `+/-`), seconds.
    pub last_error_s: f64,
    /// Configured selection options ("noselect", "prefer", "trust", "require"); `None` when
    /// chronyd cannot tell (selectdata needs chrony 4.3).
    pub options: Option<Vec<String>>,
    pub stats: Result<SourceStats, String>,
}

/// `chronyc sourcestats` for one source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceStats {
    pub samples: u32,
    pub runs: u32,
    pub span_s: u32,
    pub frequency_ppm: f64,
    pub freq_skew_ppm: f64,
    /// Estimated offset of the source, seconds (system − reference, like `last_offset_s`).
    pub offset_s: f64,
    pub offset_error_s: f64,
    pub std_dev_s: f64,
}

/// `chronyc serverstats`. Fields chronyd's reply version lacks are `None` (v1: chrony < 4.0,
/// v2: 4.0–4.1, v3: 4.2–4.3, v4: 4.4 on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerStats {
    pub ntp_hits: u64,
    pub cmd_hits: u64,
    pub ntp_drops: u64,
    pub cmd_drops: u64,
    pub log_drops: u64,
    pub nke_hits: Option<u64>,
    pub nke_drops: Option<u64>,
    pub ntp_auth_hits: Option<u64>,
    pub ntp_interleaved_hits: Option<u64>,
    pub ntp_timestamps: Option<u64>,
    pub ntp_span_s: Option<u64>,
    pub ntp_daemon_rx_timestamps: Option<u64>,
    pub ntp_daemon_tx_timestamps: Option<u64>,
    pub ntp_kernel_rx_timestamps: Option<u64>,
    pub ntp_kernel_tx_timestamps: Option<u64>,
    pub ntp_hw_rx_timestamps: Option<u64>,
    pub ntp_hw_tx_timestamps: Option<u64>,
}

/// Asks chronyd at `socket` for tracking, sources (each with source data, select data and
/// sourcestats) and serverstats, each request with `timeout`. Never panics. When chronyd does
/// not answer, returns within about `timeout`; at most one request ever waits it out. Must run
/// on a Tokio runtime with IO and time enabled (timed's is `enable_all`). The client log is not
/// read (`clients` is `Err("not read")`): paging through it is up to 512 requests, which a
/// once-a-second reader must not make chronyd answer; timed's [`Cache`] reads it once a minute
/// and [`query_clients`] whole.
pub async fn query(socket: &Path, timeout: Duration) -> Report {
    query_parts(socket, timeout, false).await
}

/// [`query`], with the client log's summary when `with_clients`.
pub(crate) async fn query_parts(socket: &Path, timeout: Duration, with_clients: bool) -> Report {
    let mut c = match Client::open(socket, timeout).await {
        Ok(c) => c,
        Err(e) => return Report::down(e),
    };
    let tracking = tracking(&mut c).await;
    if let Err(e) = &tracking {
        let e = e.clone();
        let state = if c.stalled() { ChronydState::Unresponsive } else { ChronydState::Unreachable };
        return Report { tracking, state, ..Report::down(e) };
    }
    let sources = sources(&mut c).await;
    // Name the tracked NTP server as its source entry does.
    let mut tracking = tracking;
    if let (Ok(t), Ok(list)) = (&mut tracking, &sources) {
        if let Some(s) = t.ref_address.as_ref().and_then(|a| list.iter().find(|s| &s.address == a)) {
            t.ref_name = s.name.clone();
        }
    }
    let serverstats = serverstats(&mut c).await;
    let clients = if with_clients {
        clients::read(&mut c).await.map(|log| log.activity())
    } else {
        clients::not_read()
    };
    Report { tracking, sources, serverstats, clients, state: ChronydState::Answered, age_s: 0.0 }
}

impl Report {
    /// Every part failed for the same reason: there was no chronyd to ask.
    pub fn down(why: String) -> Report {
        Report {
            tracking: Err(why.clone()),
            sources: Err(why.clone()),
            serverstats: Err(why.clone()),
            clients: Err(why),
            state: ChronydState::Unreachable,
            age_s: 0.0,
        }
    }
}

/// A refid as chronyc prints it: its four bytes, printable ASCII only (0x50505300 → "PPS").
pub fn refid_name(ref_id: u32) -> String {
    ref_id.to_be_bytes().iter().filter(|b| (0x20..0x7f).contains(*b)).map(|&b| char::from(b)).collect()
}

/// chrony's leap status code as text.
pub fn leap_text(code: u16) -> &'static str {
    match code {
        0 => "normal",
        1 => "insert",
        2 => "delete",
        3 => "unsynchronised",
        _ => "invalid",
    }
}

/// An address as text; `None` for unspecified and not-yet-resolved (`ID#`) addresses.
fn ip_text(a: &ChronyAddr) -> Option<String> {
    match a {
        ChronyAddr::V4(ip) => Some(ip.to_string()),
        ChronyAddr::V6(ip) => Some(ip.to_string()),
        ChronyAddr::Unspec | ChronyAddr::Id(_) => None,
    }
}

fn unix_s(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

fn unexpected(what: &str, got: &ReplyBody) -> String {
    format!("chronyd answered {what} with an unexpected reply: {got:?}")
}

async fn tracking(c: &mut Client) -> Result<Tracking, String> {
    let t = match c.ask(RequestBody::Tracking).await?.decode()? {
        ReplyBody::Tracking(t) => t,
        other => return Err(unexpected("tracking", &other)),
    };
    let ref_address = ip_text(&t.ip_addr);
    Ok(Tracking {
        ref_id: t.ref_id,
        ref_name: ref_address.clone().unwrap_or_else(|| refid_name(t.ref_id)),
        ref_address,
        stratum: t.stratum,
        leap_code: t.leap_status,
        leap_status: leap_text(t.leap_status).into(),
        ref_time_s: unix_s(t.ref_time),
        system_offset_s: t.current_correction.into(),
        last_offset_s: t.last_offset.into(),
        rms_offset_s: t.rms_offset.into(),
        frequency_ppm: t.freq_ppm.into(),
        residual_freq_ppm: t.resid_freq_ppm.into(),
        skew_ppm: t.skew_ppm.into(),
        root_delay_s: t.root_delay.into(),
        root_dispersion_s: t.root_dispersion.into(),
        update_interval_s: t.last_update_interval.into(),
    })
}

async fn sources(c: &mut Client) -> Result<Vec<Source>, String> {
    let n = match c.ask(RequestBody::NSources).await?.decode()? {
        ReplyBody::NSources(n) => n.n_sources,
        other => return Err(unexpected("sources", &other)),
    };
    let mut out = Vec::new();
    for index in 0..n.min(MAX_SOURCES) {
        let i = i32::try_from(index).unwrap_or(i32::MAX);
        let sd = match c.ask(RequestBody::SourceData(rq::SourceData { index: i })).await {
            Ok(raw) => match raw.decode()? {
                ReplyBody::SourceData(sd) => sd,
                other => return Err(unexpected("source data", &other)),
            },
            // The source went away between the count and this request.
            Err(e) if e.contains("no such source") => continue,
            Err(e) => return Err(e),
        };
        let refclock = sd.mode == SourceMode::Ref;
        let address = match (&sd.ip_addr, refclock) {
            // chronyd puts a refclock's refid in the IPv4 address field.
            (ChronyAddr::V4(ip), true) => refid_name(u32::from(*ip)),
            (a, _) => match ip_text(a) {
                Some(a) => a,
                // Not resolved yet: nothing to label it by (chrony_exporter skips these too).
                None => continue,
            },
        };
        let name = if refclock {
            address.clone()
        } else {
            ntp_name(c, &sd.ip_addr).await.unwrap_or(address.clone())
        };
        let options = select_options(c, index).await;
        let stats = source_stats(c, index).await;
        out.push(Source {
            index,
            address,
            name,
            mode: match sd.mode {
                SourceMode::Client => "server",
                SourceMode::Peer => "peer",
                SourceMode::Ref => "refclock",
            }
            .into(),
            state: state_text(sd.state).into(),
            state_code: sd.state as u16,
            stratum: sd.stratum,
            poll: sd.poll,
            reach: (sd.reachability & 0xff) as u8,
            last_rx_ago_s: Some(sd.since_sample).filter(|&s| s != u32::MAX),
            last_offset_s: sd.latest_meas.into(),
            last_offset_orig_s: sd.orig_latest_meas.into(),
            last_error_s: sd.latest_meas_err.into(),
            options,
            stats,
        });
    }
    Ok(out)
}

/// chronyc's meaning of a selection state (`RPY_SD_ST_UNSELECTED` is chronyc's `+`, combined).
fn state_text(s: SourceState) -> &'static str {
    match s {
        SourceState::Selected => "selected",
        SourceState::NonSelectable => "unusable",
        SourceState::Falseticker => "falseticker",
        SourceState::Jittery => "jittery",
        SourceState::Unselected => "candidate",
        SourceState::Selectable => "outlier",
    }
}

/// The name an NTP source was configured with (chrony ≥ 4.0), if chronyd says.
async fn ntp_name(c: &mut Client, ip: &ChronyAddr) -> Option<String> {
    match c.ask(RequestBody::NtpSourceName(rq::NtpSourceName { ip_addr: *ip })).await.ok()?.decode().ok()? {
        ReplyBody::NtpSourceName(n) => {
            let end = n.name.iter().position(|&b| b == 0).unwrap_or(n.name.len());
            let s = String::from_utf8_lossy(&n.name[..end]).trim().to_string();
            Some(s).filter(|s| !s.is_empty())
        }
        _ => None,
    }
}

async fn select_options(c: &mut Client, index: u32) -> Option<Vec<String>> {
    match c.ask(RequestBody::SelectData(rq::SelectData { index })).await.ok()?.decode().ok()? {
        ReplyBody::SelectData(s) => {
            use chrony_candm::reply::SelectDataOptions as O;
            let o = s.conf_options;
            let names = [
                (O::NOSELECT, "noselect"),
                (O::PREFER, "prefer"),
                (O::TRUST, "trust"),
                (O::REQUIRE, "require"),
            ];
            Some(names.iter().filter(|(f, _)| o.contains(*f)).map(|(_, n)| n.to_string()).collect())
        }
        _ => None,
    }
}

async fn source_stats(c: &mut Client, index: u32) -> Result<SourceStats, String> {
    match c.ask(RequestBody::SourceStats(rq::SourceStats { index })).await?.decode()? {
        ReplyBody::SourceStats(s) => Ok(SourceStats {
            samples: s.n_samples,
            runs: s.n_runs,
            span_s: s.span_seconds,
            frequency_ppm: s.resid_freq_ppm.into(),
            freq_skew_ppm: s.skew_ppm.into(),
            offset_s: s.est_offset.into(),
            offset_error_s: s.est_offset_err.into(),
            std_dev_s: s.sd.into(),
        }),
        other => Err(unexpected("sourcestats", &other)),
    }
}

async fn serverstats(c: &mut Client) -> Result<ServerStats, String> {
    let raw = c.ask(RequestBody::ServerStats).await?;
    match raw.reply_code {
        // `chrony-candm` 0.1.3 knows v2 (22) and v4 (25) only; v1 (14) and v3 (24, chrony 4.2
        // and 4.3) are plain arrays of big-endian u32, decoded here.
        14 | 24 => server_stats_u32(raw.body(), raw.reply_code),
        _ => match raw.decode()? {
            ReplyBody::ServerStats2(s) => Ok(ServerStats {
                ntp_hits: s.ntp_hits.into(),
                cmd_hits: s.cmd_hits.into(),
                ntp_drops: s.ntp_drops.into(),
                cmd_drops: s.cmd_drops.into(),
                log_drops: s.log_drops.into(),
                nke_hits: Some(s.nke_hits.into()),
                nke_drops: Some(s.nke_drops.into()),
                ntp_auth_hits: Some(s.ntp_auth_hits.into()),
                ..ServerStats::default()
            }),
            ReplyBody::ServerStats4(s) => Ok(ServerStats {
                ntp_hits: s.ntp_hits,
                cmd_hits: s.cmd_hits,
                ntp_drops: s.ntp_drops,
                cmd_drops: s.cmd_drops,
                log_drops: s.log_drops,
                nke_hits: Some(s.nke_hits),
                nke_drops: Some(s.nke_drops),
                ntp_auth_hits: Some(s.ntp_auth_hits),
                ntp_interleaved_hits: Some(s.ntp_interleaved_hits),
                ntp_timestamps: Some(s.ntp_timestamps),
                ntp_span_s: Some(s.ntp_span_seconds),
                ntp_daemon_rx_timestamps: Some(s.ntp_daemon_rx_timestamps),
                ntp_daemon_tx_timestamps: Some(s.ntp_daemon_tx_timestamps),
                ntp_kernel_rx_timestamps: Some(s.ntp_kernel_rx_timestamps),
                ntp_kernel_tx_timestamps: Some(s.ntp_kernel_tx_timestamps),
                ntp_hw_rx_timestamps: Some(s.ntp_hw_rx_timestamps),
                ntp_hw_tx_timestamps: Some(s.ntp_hw_tx_timestamps),
            }),
            other => Err(unexpected("serverstats", &other)),
        },
    }
}

/// Serverstats v1 (`RPY_ServerStats`: ntp_hits, cmd_hits, ntp_drops, cmd_drops, log_drops) and
/// v3 (`RPY_ServerStats3`: ntp_hits, nke_hits, cmd_hits, ntp_drops, nke_drops, cmd_drops,
/// log_drops, ntp_auth_hits, ntp_interleaved_hits, ntp_timestamps, ntp_span_seconds).
fn server_stats_u32(body: &[u8], reply_code: u16) -> Result<ServerStats, String> {
    let words: Vec<u64> =
        body.chunks_exact(4).map(|w| u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))).collect();
    let need = if reply_code == 14 { 5 } else { 11 };
    if words.len() < need {
        return Err(format!("serverstats reply {reply_code} too short ({} bytes)", body.len()));
    }
    let w = |i: usize| words[i];
    Ok(if reply_code == 14 {
        ServerStats {
            ntp_hits: w(0),
            cmd_hits: w(1),
            ntp_drops: w(2),
            cmd_drops: w(3),
            log_drops: w(4),
            ..Default::default()
        }
    } else {
        ServerStats {
            ntp_hits: w(0),
            nke_hits: Some(w(1)),
            cmd_hits: w(2),
            ntp_drops: w(3),
            nke_drops: Some(w(4)),
            cmd_drops: w(5),
            log_drops: w(6),
            ntp_auth_hits: Some(w(7)),
            ntp_interleaved_hits: Some(w(8)),
            ntp_timestamps: Some(w(9)),
            ntp_span_s: Some(w(10)),
            ..Default::default()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refids_read_like_chronyc() {
        assert_eq!(refid_name(0x5050_5300), "PPS");
        assert_eq!(refid_name(0x4750_5300), "GPS");
        assert_eq!(refid_name(0x4e4d_4541), "NMEA");
        assert_eq!(refid_name(0x5348_4d30), "SHM0");
        assert_eq!(refid_name(0), "");
        // Unprintable bytes are dropped, as chronyc does.
        assert_eq!(refid_name(0x5001_5309), "PS");
    }

    #[test]
    fn leap_codes_have_names() {
        let names: Vec<&str> = (0..5).map(leap_text).collect();
        assert_eq!(names, ["normal", "insert", "delete", "unsynchronised", "invalid"]);
    }

    #[test]
    fn serverstats_v3_words_land_in_their_fields() {
        let body: Vec<u8> = (1u32..=11).flat_map(|v| v.to_be_bytes()).chain([0u8; 4]).collect();
        let s = server_stats_u32(&body, 24).unwrap();
        assert_eq!((s.ntp_hits, s.nke_hits, s.cmd_hits, s.ntp_drops), (1, Some(2), 3, 4));
        assert_eq!((s.nke_drops, s.cmd_drops, s.log_drops, s.ntp_auth_hits), (Some(5), 6, 7, Some(8)));
        assert_eq!((s.ntp_interleaved_hits, s.ntp_timestamps, s.ntp_span_s), (Some(9), Some(10), Some(11)));
        assert_eq!(s.ntp_daemon_rx_timestamps, None);
        let s = server_stats_u32(&body[..20], 14).unwrap();
        assert_eq!((s.ntp_hits, s.cmd_hits, s.log_drops, s.nke_hits), (1, 2, 5, None));
        assert!(server_stats_u32(&body[..8], 24).is_err());
    }

    #[test]
    fn a_missing_socket_is_an_error_in_every_part() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let r = rt.block_on(query(Path::new("/nonexistent/chronyd.sock"), Duration::from_millis(200)));
        assert!(r.tracking.is_err() && r.sources.is_err() && r.serverstats.is_err(), "{r:?}");
    }
}
