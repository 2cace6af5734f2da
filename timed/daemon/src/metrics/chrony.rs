//! The `chrony_*` families, named and labelled as SuperQ/chrony_exporter does, so its dashboards
//! and alerts work unchanged. Names checked against chrony_exporter's `collector/*.go` (commit
//! 67ab293, 2026-08) and facebook/time `ntp/chrony` (state and mode texts, refid formatting).
//!
//! | metric | type | labels | from |
//! |---|---|---|---|
//! | `chrony_up` | gauge | | exporter (here: 1 iff tracking answered) |
//! | `chrony_tracking_info` | gauge (1) | `tracking_address`,`tracking_name`,`tracking_refid` | exporter |
//! | `chrony_tracking_last_offset_seconds` | gauge | | exporter |
//! | `chrony_tracking_reference_timestamp_seconds` | gauge | | exporter |
//! | `chrony_tracking_system_time_seconds` | gauge | | exporter (current correction, true − system) |
//! | `chrony_tracking_remote_reference` | gauge | | exporter (here 0 for refclocks too, see below) |
//! | `chrony_tracking_rms_offset_seconds` | gauge | | exporter |
//! | `chrony_tracking_root_delay_seconds` | gauge | | exporter |
//! | `chrony_tracking_root_dispersion_seconds` | gauge | | exporter |
//! | `chrony_tracking_frequency_ppms` | gauge | | exporter |
//! | `chrony_tracking_residual_frequency_ppms` | gauge | | exporter |
//! | `chrony_tracking_skew_ppms` | gauge | | exporter |
//! | `chrony_tracking_update_interval_seconds` | gauge | | exporter |
//! | `chrony_tracking_stratum` | gauge | | exporter |
//! | `chrony_tracking_leap_status` | gauge | | timed: 0 normal, 1 insert, 2 delete, 3 unsynchronised |
//! | `chrony_sources_last_sample_age_seconds` | gauge | `source_address`,`source_name` | exporter |
//! | `chrony_sources_reachability_ratio` | gauge | same | exporter (set bits of reach / 8) |
//! | `chrony_sources_reachability_success` | gauge | same | exporter (last poll reached) |
//! | `chrony_sources_last_sample_offset_seconds` | gauge | same | exporter (adjusted offset) |
//! | `chrony_sources_last_sample_error_margin_seconds` | gauge | same | exporter |
//! | `chrony_sources_polling_interval_seconds` | gauge | same | exporter |
//! | `chrony_sources_state_info` | gauge (1) | same + `source_state`,`source_mode` | exporter |
//! | `chrony_sources_stratum` | gauge | same | exporter |
//! | `chrony_sourcestats_samples` | gauge | same | exporter (+ refclocks) |
//! | `chrony_sourcestats_runs` | gauge | same | exporter (+ refclocks) |
//! | `chrony_sourcestats_span_seconds` | gauge | same | exporter (+ refclocks) |
//! | `chrony_sourcestats_stddev` | gauge | same | exporter (+ refclocks), seconds |
//! | `chrony_sourcestats_frequency_ppms` | gauge | same | exporter (+ refclocks) |
//! | `chrony_sourcestats_frequency_skew_ppms` | gauge | same | exporter (+ refclocks) |
//! | `chrony_sourcestats_offset` | gauge | same | exporter (+ refclocks), seconds |
//! | `chrony_serverstats_ntp_packets_received_total` | counter | | exporter |
//! | `chrony_serverstats_ntp_packets_dropped_total` | counter | | exporter |
//! | `chrony_serverstats_command_packets_received_total` | counter | | exporter |
//! | `chrony_serverstats_command_packets_dropped_total` | counter | | exporter |
//! | `chrony_serverstats_client_log_records_dropped_total` | counter | | exporter |
//! | `chrony_serverstats_nts_ke_connections_accepted_total` | counter | | exporter (v2+) |
//! | `chrony_serverstats_nts_ke_connections_dropped_total` | counter | | exporter (v2+) |
//! | `chrony_serverstats_authenticated_ntp_packets_total` | counter | | exporter (v2+) |
//! | `chrony_serverstats_interleaved_ntp_packets_total` | counter | | exporter (v3+) |
//! | `chrony_serverstats_ntp_timestamps_held` | gauge | | exporter (v3+) |
//! | `chrony_serverstats_ntp_timestamp_span_seconds` | gauge | | exporter (v3+) |
//! | `chrony_serverstats_ntp_{daemon,kernel,hw}_{rx,tx}_timestamps_total` | counter | | exporter (v4, 6 families) |
//! | `chrony_clients_active` | gauge | `window` (`1h`, `24h`) | timed: clients whose last NTP or NTS-KE request is that recent |
//! | `chrony_clients_logged` | gauge | | timed: records in chronyd's client log |
//! | `chrony_query_errors` | gauge | `query` (`tracking`,`sources`,`sourcestats`,`serverstats`,`clients`) | timed: 1 if that query failed this scrape |
//!
//! The client families are timed's (chrony_exporter has none): counts from chronyd's client
//! log (`chronyc clients`), never one series per client, so a LAN of any size costs two series.
//! Request and drop rates are the serverstats counters above.
//!
//! Labels: `source_address` is the IP, or a refclock's refid text ("PPS"); `source_name` is the
//! source's configured name (chronyd's, no reverse DNS as the exporter does by default) or the
//! address; `tracking_refid` is `%08X`. `source_state` ∈ sync, unreach, falseticker, jittery,
//! candidate, outlier and `source_mode` ∈ client, peer, reference clock (facebook/time's texts).
//! Sources not yet resolved (`ID#…`) are skipped, as by the exporter.
//!
//! Deliberate differences: the exporter's `chrony_up` is 0 if any collector failed, ours stays 1
//! while tracking answers and `chrony_query_errors` says what failed (the failed families are
//! absent); `remote_reference` is 0 for a refclock (the exporter says 1: only 127.127.1.1 counts
//! as local there); `last_sample_age_seconds` is absent for a source with no sample yet (the
//! exporter reports 4294967295); sourcestats include refclocks (the exporter skips them);
//! the exporter's optional `chrony_sources_peer_*` (ntpdata) families are not reproduced.
//!
//! Counters are registered in prometheus-client's OpenMetrics form (family `x`, sample
//! `x_total`; the table lists sample names, which are what PromQL sees and what the exporter
//! exposes). The endpoint (`families::render`) rewrites counter HELP/TYPE lines to
//! `x_total` for the Prometheus text format it serves, which is then line for line what the
//! exporter's text exposition has and what `promtool check metrics` accepts.

use super::families::{flag, labels, Labels, Reg};
use crate::chronyctl::{Report, Source, SourceStats};
use prometheus_client::registry::Registry;

/// One sample per source, labelled `source_address`, `source_name`.
fn per_source(r: &mut Reg, name: &str, help: &str, list: &[Source], f: impl Fn(&Source) -> Option<f64>) {
    let samples = list.iter().filter_map(|s| Some((source_labels(s), f(s)?))).collect();
    r.gauges(name, help, samples);
}

fn source_labels(s: &Source) -> Labels {
    labels(&[("source_address", &s.address), ("source_name", &s.name)])
}

/// chrony_exporter's `source_state` text for chronyd's wire code (facebook/time `SourceStateDesc`).
fn exporter_state(code: u16) -> String {
    match code {
        0 => "sync".into(),
        1 => "unreach".into(),
        2 => "falseticker".into(),
        3 => "jittery".into(),
        4 => "candidate".into(),
        5 => "outlier".into(),
        c => format!("unknown ({c})"),
    }
}

/// chrony_exporter's `source_mode` text (facebook/time `ModeTypeDesc`).
fn exporter_mode(mode: &str) -> &str {
    match mode {
        "server" => "client",
        "refclock" => "reference clock",
        other => other,
    }
}

/// Adds the `chrony_*` families for `report` to `registry`.
pub fn register(report: &Report, registry: &mut Registry) {
    let mut r = Reg(registry);
    r.gauge("chrony_up", "1 if chronyd answered the tracking query", flag(report.tracking.is_ok()));
    let stats_failed = match &report.sources {
        Ok(list) => list.iter().any(|s| s.stats.is_err()),
        Err(_) => true,
    };
    let errors = [
        ("tracking", report.tracking.is_err()),
        ("sources", report.sources.is_err()),
        ("sourcestats", stats_failed),
        ("serverstats", report.serverstats.is_err()),
        ("clients", report.clients.is_err()),
    ];
    r.gauges(
        "chrony_query_errors",
        "1 if this query to chronyd failed during this scrape (its families are then absent)",
        errors.iter().map(|(q, failed)| (labels(&[("query", q)]), flag(*failed))).collect(),
    );
    if let Ok(t) = &report.tracking {
        let address = t.ref_address.clone().unwrap_or_else(|| t.ref_name.clone());
        let refid = format!("{:08X}", t.ref_id);
        let info = labels(&[
            ("tracking_address", &address),
            ("tracking_name", &t.ref_name),
            ("tracking_refid", &refid),
        ]);
        r.gauges("chrony_tracking_info", "Reference chronyd tracks (always 1)", vec![(info, 1.0)]);
        r.gauge(
            "chrony_tracking_last_offset_seconds",
            "Offset measured at the last clock update, seconds",
            t.last_offset_s,
        );
        r.gauge(
            "chrony_tracking_reference_timestamp_seconds",
            "Unix time of the last clock update",
            t.ref_time_s,
        );
        r.gauge(
            "chrony_tracking_system_time_seconds",
            "chronyd's current correction of the system clock (true - system), seconds",
            t.system_offset_s,
        );
        // Local: chrony's local reference (127.127.1.1), a refclock, or no reference at all.
        let remote = t.ref_address.as_deref().is_some_and(|a| a != "127.127.1.1");
        r.gauge(
            "chrony_tracking_remote_reference",
            "1 if chronyd tracks an NTP server or peer, 0 for a refclock or the local reference",
            flag(remote),
        );
        r.gauge(
            "chrony_tracking_rms_offset_seconds",
            "Long-term RMS of the measured offsets, seconds",
            t.rms_offset_s,
        );
        r.gauge(
            "chrony_tracking_root_delay_seconds",
            "Total network delay to the stratum-1 root, seconds",
            t.root_delay_s,
        );
        r.gauge(
            "chrony_tracking_root_dispersion_seconds",
            "Total dispersion accumulated up to the stratum-1 root, seconds",
            t.root_dispersion_s,
        );
        r.gauge(
            "chrony_tracking_frequency_ppms",
            "Frequency error of the uncorrected system clock, ppm (positive: fast)",
            t.frequency_ppm,
        );
        r.gauge(
            "chrony_tracking_residual_frequency_ppms",
            "Residual frequency of the selected source versus the one in use, ppm",
            t.residual_freq_ppm,
        );
        r.gauge("chrony_tracking_skew_ppms", "Error bound of the frequency estimate, ppm", t.skew_ppm);
        r.gauge(
            "chrony_tracking_update_interval_seconds",
            "Interval between the last two clock updates, seconds",
            t.update_interval_s,
        );
        r.gauge("chrony_tracking_stratum", "Stratum chronyd serves", f64::from(t.stratum));
        r.gauge(
            "chrony_tracking_leap_status",
            "Chrony leap status: 0 normal, 1 insert second, 2 delete second, 3 unsynchronised",
            f64::from(t.leap_code),
        );
    }
    if let Ok(list) = &report.sources {
        register_sources(&mut r, list);
    }
    if let Ok(a) = &report.clients {
        let windows = [("1h", a.active_1h), ("24h", a.active_24h)];
        r.gauges(
            "chrony_clients_active",
            "Clients whose last NTP or NTS-KE request to chronyd is at most this old",
            windows.iter().map(|(w, n)| (labels(&[("window", w)]), *n as f64)).collect(),
        );
        r.gauge("chrony_clients_logged", "Clients in chronyd's client log", a.logged as f64);
        r.gauge(
            "chrony_clients_log_complete",
            "1 if the whole client log was read, 0 if it was longer than timed reads (4096 clients)",
            f64::from(u8::from(a.complete)),
        );
    }
    if let Ok(s) = &report.serverstats {
        let c = |r: &mut Reg, n: &str, h: &str, v: Option<u64>| {
            r.counter_opt(&format!("chrony_serverstats_{n}"), h, v)
        };
        c(&mut r, "ntp_packets_received", "Valid NTP requests received", Some(s.ntp_hits));
        c(&mut r, "nts_ke_connections_accepted", "NTS-KE connections accepted", s.nke_hits);
        c(&mut r, "command_packets_received", "Command requests received", Some(s.cmd_hits));
        c(&mut r, "ntp_packets_dropped", "NTP requests dropped by rate limiting", Some(s.ntp_drops));
        c(&mut r, "nts_ke_connections_dropped", "NTS-KE connections dropped by rate limiting", s.nke_drops);
        c(&mut r, "command_packets_dropped", "Command requests dropped by rate limiting", Some(s.cmd_drops));
        c(
            &mut r,
            "client_log_records_dropped",
            "Client log records dropped to bound memory",
            Some(s.log_drops),
        );
        c(
            &mut r,
            "authenticated_ntp_packets",
            "NTP requests authenticated (symmetric key or NTS)",
            s.ntp_auth_hits,
        );
        c(&mut r, "interleaved_ntp_packets", "NTP requests in interleaved mode", s.ntp_interleaved_hits);
        if let (Some(held), Some(span)) = (s.ntp_timestamps, s.ntp_span_s) {
            r.gauge(
                "chrony_serverstats_ntp_timestamps_held",
                "Receive/transmit timestamp pairs held for interleaved clients",
                held as f64,
            );
            r.gauge(
                "chrony_serverstats_ntp_timestamp_span_seconds",
                "Time covered by the held timestamps, seconds",
                span as f64,
            );
        }
        c(
            &mut r,
            "ntp_daemon_rx_timestamps",
            "Responses with a receive timestamp taken by chronyd",
            s.ntp_daemon_rx_timestamps,
        );
        c(
            &mut r,
            "ntp_daemon_tx_timestamps",
            "Responses with a transmit timestamp taken by chronyd",
            s.ntp_daemon_tx_timestamps,
        );
        c(
            &mut r,
            "ntp_kernel_rx_timestamps",
            "Responses with a kernel receive timestamp",
            s.ntp_kernel_rx_timestamps,
        );
        c(
            &mut r,
            "ntp_kernel_tx_timestamps",
            "Interleaved responses with a kernel transmit timestamp",
            s.ntp_kernel_tx_timestamps,
        );
        c(
            &mut r,
            "ntp_hw_rx_timestamps",
            "Responses with a hardware (NIC) receive timestamp",
            s.ntp_hw_rx_timestamps,
        );
        c(
            &mut r,
            "ntp_hw_tx_timestamps",
            "Interleaved responses with a hardware (NIC) transmit timestamp",
            s.ntp_hw_tx_timestamps,
        );
    }
}

fn register_sources(r: &mut Reg, list: &[Source]) {
    per_source(
        r,
        "chrony_sources_last_sample_age_seconds",
        "Seconds since the source's last good sample",
        list,
        |s| s.last_rx_ago_s.map(f64::from),
    );
    per_source(
        r,
        "chrony_sources_reachability_ratio",
        "Fraction of the last 8 polls that reached the source",
        list,
        |s| Some(f64::from(s.reach.count_ones()) / 8.0),
    );
    per_source(
        r,
        "chrony_sources_reachability_success",
        "1 if the last poll reached the source",
        list,
        |s| Some(f64::from(s.reach & 1)),
    );
    per_source(
        r,
        "chrony_sources_last_sample_offset_seconds",
        "Last sample offset (system - source), adjusted for later corrections, seconds",
        list,
        |s| Some(s.last_offset_s),
    );
    per_source(
        r,
        "chrony_sources_last_sample_error_margin_seconds",
        "Error bound of the last sample, seconds",
        list,
        |s| Some(s.last_error_s),
    );
    per_source(r, "chrony_sources_polling_interval_seconds", "Polling interval, seconds", list, |s| {
        Some(2f64.powi(i32::from(s.poll)))
    });
    let states = list
        .iter()
        .map(|s| {
            let mut l = source_labels(s);
            l.push(("source_state".into(), exporter_state(s.state_code)));
            l.push(("source_mode".into(), exporter_mode(&s.mode).into()));
            (l, 1.0)
        })
        .collect();
    r.gauges("chrony_sources_state_info", "Selection state and mode of the source (always 1)", states);
    per_source(r, "chrony_sources_stratum", "Stratum of the source", list, |s| Some(f64::from(s.stratum)));
    let st = |f: fn(&SourceStats) -> f64| move |s: &Source| s.stats.as_ref().ok().map(f);
    per_source(
        r,
        "chrony_sourcestats_samples",
        "Samples retained for the source",
        list,
        st(|x| f64::from(x.samples)),
    );
    per_source(
        r,
        "chrony_sourcestats_runs",
        "Runs of same-sign residuals after the last regression",
        list,
        st(|x| f64::from(x.runs)),
    );
    per_source(
        r,
        "chrony_sourcestats_span_seconds",
        "Time between the oldest and newest retained samples, seconds",
        list,
        st(|x| f64::from(x.span_s)),
    );
    per_source(
        r,
        "chrony_sourcestats_stddev",
        "Estimated standard deviation of the samples, seconds",
        list,
        st(|x| x.std_dev_s),
    );
    per_source(
        r,
        "chrony_sourcestats_frequency_ppms",
        "Estimated residual frequency of the source, ppm",
        list,
        st(|x| x.frequency_ppm),
    );
    per_source(
        r,
        "chrony_sourcestats_frequency_skew_ppms",
        "Error bound of the residual frequency, ppm",
        list,
        st(|x| x.freq_skew_ppm),
    );
    per_source(
        r,
        "chrony_sourcestats_offset",
        "Estimated offset of the source (system - source), seconds",
        list,
        st(|x| x.offset_s),
    );
}

#[cfg(test)]
mod tests;
