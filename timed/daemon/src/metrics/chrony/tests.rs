use super::*;
use crate::chronyctl::{ServerStats, SourceStats, Tracking};

fn source(address: &str, name: &str, mode: &str, state_code: u16, stats: bool) -> Source {
    Source {
        index: 0,
        address: address.into(),
        name: name.into(),
        mode: mode.into(),
        state: String::new(),
        state_code,
        stratum: 0,
        poll: 2,
        reach: 0o377,
        last_rx_ago_s: Some(3),
        last_offset_s: -250e-6,
        last_offset_orig_s: -250e-6,
        last_error_s: 1e-7,
        options: None,
        stats: if stats {
            Ok(SourceStats {
                samples: 8,
                runs: 5,
                span_s: 28,
                frequency_ppm: 0.001,
                freq_skew_ppm: 0.05,
                offset_s: -1e-7,
                offset_error_s: 1e-7,
                std_dev_s: 2e-7,
            })
        } else {
            Err("timeout".into())
        },
    }
}

pub(crate) fn fixture() -> Report {
    Report {
        tracking: Ok(Tracking {
            ref_id: 0x5050_5300,
            ref_name: "PPS".into(),
            ref_address: None,
            stratum: 1,
            leap_code: 0,
            leap_status: "normal".into(),
            ref_time_s: 1.7e9,
            system_offset_s: 250e-6,
            last_offset_s: -1e-7,
            rms_offset_s: 5e-7,
            frequency_ppm: -1.5,
            residual_freq_ppm: 0.001,
            skew_ppm: 0.02,
            root_delay_s: 1e-9,
            root_dispersion_s: 1e-5,
            update_interval_s: 4.0,
        }),
        sources: Ok(vec![
            source("PPS", "PPS", "refclock", 0, true),
            source("GPS", "GPS", "refclock", 1, true),
            source("192.0.2.1", "ntp.example", "server", 4, false),
        ]),
        serverstats: Ok(ServerStats {
            ntp_hits: 12,
            cmd_hits: 34,
            nke_hits: Some(0),
            nke_drops: Some(0),
            ntp_auth_hits: Some(0),
            ntp_interleaved_hits: Some(1),
            ntp_timestamps: Some(2),
            ntp_span_s: Some(3),
            ..Default::default()
        }),
        clients: Ok(crate::chronyctl::ClientActivity {
            logged: 4,
            active_1h: 2,
            active_24h: 3,
            complete: true,
        }),
        state: crate::chronyctl::ChronydState::Answered,
        age_s: 0.0,
    }
}

fn render(report: &Report) -> String {
    let mut registry = Registry::default();
    register(report, &mut registry);
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
    out
}

fn has(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "missing line {line:?} in\n{text}");
}

#[test]
fn tracking_families_use_chrony_exporter_names() {
    let t = render(&fixture());
    has(&t, "chrony_up 1.0");
    has(
        &t,
        r#"chrony_tracking_info{tracking_address="PPS",tracking_name="PPS",tracking_refid="50505300"} 1.0"#,
    );
    has(&t, "chrony_tracking_system_time_seconds 0.00025");
    has(&t, "chrony_tracking_stratum 1.0");
    has(&t, "chrony_tracking_remote_reference 0.0");
    has(&t, "chrony_tracking_leap_status 0.0");
    has(&t, "# TYPE chrony_tracking_last_offset_seconds gauge");
    for n in
        ["reference_timestamp_seconds", "rms_offset_seconds", "root_delay_seconds", "root_dispersion_seconds"]
    {
        assert!(t.contains(&format!("\nchrony_tracking_{n} ")), "{n}");
    }
    for n in ["frequency_ppms", "residual_frequency_ppms", "skew_ppms", "update_interval_seconds"] {
        assert!(t.contains(&format!("\nchrony_tracking_{n} ")), "{n}");
    }
}

#[test]
fn source_families_label_refclocks_by_refid() {
    let t = render(&fixture());
    has(
        &t,
        r#"chrony_sources_state_info{source_address="PPS",source_name="PPS",source_state="sync",source_mode="reference clock"} 1.0"#,
    );
    has(
        &t,
        r#"chrony_sources_state_info{source_address="GPS",source_name="GPS",source_state="unreach",source_mode="reference clock"} 1.0"#,
    );
    has(
        &t,
        r#"chrony_sources_state_info{source_address="192.0.2.1",source_name="ntp.example",source_state="candidate",source_mode="client"} 1.0"#,
    );
    has(&t, r#"chrony_sources_reachability_ratio{source_address="PPS",source_name="PPS"} 1.0"#);
    has(&t, r#"chrony_sources_reachability_success{source_address="PPS",source_name="PPS"} 1.0"#);
    has(&t, r#"chrony_sources_polling_interval_seconds{source_address="PPS",source_name="PPS"} 4.0"#);
    has(&t, r#"chrony_sources_last_sample_offset_seconds{source_address="PPS",source_name="PPS"} -0.00025"#);
    has(&t, r#"chrony_sources_last_sample_age_seconds{source_address="GPS",source_name="GPS"} 3.0"#);
    for n in ["last_sample_error_margin_seconds", "stratum"] {
        assert!(t.contains(&format!("\nchrony_sources_{n}{{")), "{n}");
    }
    // sourcestats for refclocks; the NTP source whose sourcestats failed is left out.
    has(&t, r#"chrony_sourcestats_samples{source_address="PPS",source_name="PPS"} 8.0"#);
    has(&t, r#"chrony_sourcestats_offset{source_address="GPS",source_name="GPS"} -1e-7"#);
    for n in ["runs", "span_seconds", "stddev", "frequency_ppms", "frequency_skew_ppms"] {
        assert!(t.contains(&format!("\nchrony_sourcestats_{n}{{")), "{n}");
    }
    assert!(!t.contains(r#"chrony_sourcestats_samples{source_address="192.0.2.1""#));
    has(&t, r#"chrony_query_errors{query="sourcestats"} 1.0"#);
    has(&t, r#"chrony_query_errors{query="sources"} 0.0"#);
}

#[test]
fn serverstats_counters_end_in_total_once() {
    let t = render(&fixture());
    has(&t, "# TYPE chrony_serverstats_ntp_packets_received counter");
    has(&t, "chrony_serverstats_ntp_packets_received_total 12.0");
    has(&t, "chrony_serverstats_command_packets_received_total 34.0");
    has(&t, "# TYPE chrony_serverstats_ntp_timestamps_held gauge");
    has(&t, "chrony_serverstats_ntp_timestamps_held 2.0");
    has(&t, "# TYPE chrony_serverstats_ntp_timestamp_span_seconds gauge");
    for n in ["ntp_packets_dropped", "command_packets_dropped", "client_log_records_dropped"] {
        has(&t, &format!("chrony_serverstats_{n}_total 0.0"));
    }
    for n in ["nts_ke_connections_accepted", "nts_ke_connections_dropped", "authenticated_ntp_packets"] {
        has(&t, &format!("chrony_serverstats_{n}_total 0.0"));
    }
    has(&t, "chrony_serverstats_interleaved_ntp_packets_total 1.0");
    assert!(!t.contains("_total_total"));
    // A v3 reply has no timestamp-source counters: those families are absent, not zero.
    assert!(!t.contains("chrony_serverstats_ntp_kernel_rx_timestamps"));
}

#[test]
fn chronyd_down_leaves_only_up_and_errors() {
    let t = render(&Report::down("connection refused".into()));
    has(&t, "chrony_up 0.0");
    for q in ["tracking", "sources", "sourcestats", "serverstats"] {
        has(&t, &format!(r#"chrony_query_errors{{query="{q}"}} 1.0"#));
    }
    let families: Vec<&str> = t.lines().filter(|l| l.starts_with("# TYPE")).collect();
    assert_eq!(families, ["# TYPE chrony_up gauge", "# TYPE chrony_query_errors gauge"]);
}

#[test]
fn optional_query_failures_keep_chrony_up() {
    let mut r = fixture();
    r.serverstats = Err("not authorised".into());
    r.sources = Err("timeout".into());
    let t = render(&r);
    has(&t, "chrony_up 1.0");
    has(&t, r#"chrony_query_errors{query="serverstats"} 1.0"#);
    has(&t, r#"chrony_query_errors{query="sources"} 1.0"#);
    has(&t, r#"chrony_query_errors{query="tracking"} 0.0"#);
    assert!(!t.contains("chrony_serverstats_") && !t.contains("chrony_sources_"));
}
