//! The whole exposition of one scrape from fixed snapshots, compared byte for byte with
//! `testdata/exposition-*.prom`. Dashboards, alerts and the gpsd and chrony exporters' users
//! depend on every name, type, help text, label and value format: a change to how families are
//! built must leave these files as they are, and a deliberate change to the metrics shows up
//! here as a reviewed diff of them.

use super::*;
use crate::chronyctl::{Report, ServerStats, Source, SourceStats as ChronySourceStats, Tracking};
use crate::health::{
    Antenna, DeviceState, EdgeLatencySummary, FixKind, FramerCounts, GateName, Integrity, IntegritySignal,
    LeapListHealth, LeapSourceKind, Pps, PpsLock, Receiver, ReceiverSetup, Sat, SetupState, Sink, SinkState,
    SourceStats, Stats, Window,
};

/// Renders what [`scrape`] serves for `h`, with `chrony` in place of asking chronyd (`None`:
/// no command socket configured).
fn exposition(h: &Health, position: gpsd::Position, chrony: Option<&Report>) -> String {
    let mut registry = Registry::default();
    register_timed(h, &mut registry);
    if let Some(report) = chrony {
        chrony::register(report, &mut registry);
    }
    let pps_buckets: Vec<(f64, u64)> = h.stats.pps.as_ref().map(|s| s.histogram.clone()).unwrap_or_default();
    gpsd::register(h, position, &pps_buckets, &mut registry);
    families::render(&registry)
}

/// The two samples read from /proc change from run to run: their values are masked, their
/// names, help and types stay compared.
fn mask_process_cost(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once(' ') {
            Some((name, _)) if name.starts_with("timed_process_") => format!("{name} <from /proc>\n"),
            _ => format!("{l}\n"),
        })
        .collect()
}

fn assert_same(name: &str, actual: &str, expected: &str) {
    if actual != expected {
        // Kept for a diff against the file (and, after a reviewed change, to replace it).
        let path = std::env::temp_dir().join(format!("timed-{name}.prom"));
        let _ = std::fs::write(&path, actual);
        let (a, e): (Vec<&str>, Vec<&str>) = (actual.lines().collect(), expected.lines().collect());
        let line = (0..a.len().max(e.len())).find(|&i| a.get(i) != e.get(i)).unwrap_or(0);
        panic!(
            "the exposition differs from testdata/{name}.prom at line {}: {:?} where the file has \
             {:?} (this run's is in {})",
            line + 1,
            a.get(line),
            e.get(line),
            path.display()
        );
    }
}

fn window(name: &'static str, count: u64, scale: f64) -> Window {
    Window {
        window: name.into(),
        count,
        mean_s: 1.25e-7 * scale,
        rms_s: 3.5e-7 * scale,
        stddev_s: 3.25e-7 * scale,
        min_s: -9.75e-7 * scale,
        max_s: 1.0625e-6 * scale,
    }
}

fn offset_stats(scale: f64) -> SourceStats {
    SourceStats {
        windows: vec![window("1m", 60, scale), window("10m", 600, scale), window("1h", 3600, scale)],
        histogram: vec![
            (-5e-7, 2),
            (-2.5e-7, 40),
            (0.0, 1800),
            (2.5e-7, 3550),
            (5e-7, 3598),
            (f64::INFINITY, 3600),
        ],
        histogram_sum_s: 4.5e-4 * scale,
        histogram_count: 3600,
        adev: vec![(1.0, 3.1e-7 * scale), (10.0, 4.2e-8 * scale), (100.0, 5.5e-9 * scale)],
        tdev_s: vec![(1.0, 1.8e-7 * scale), (10.0, 2.4e-7 * scale)],
    }
}

fn sat(gnss: &'static str, gnss_id: u8, svid: u16, cno: Option<u8>, el: Option<i16>, used: bool) -> Sat {
    Sat { gnss: gnss.into(), gnss_id, svid, cno_dbhz: cno, elev_deg: el, azim_deg: el.map(|e| e * 3), used }
}

/// A locked, surveyed-in timing receiver with PPS, two sinks and a full set of statistics:
/// every optional `timed_*` and `gpsd_*` family present.
fn busy() -> Health {
    Health {
        version: "0.1.0".into(),
        started_unix_s: 1_750_000_000,
        config_path: "/etc/timed/timed.toml".into(),
        receiver: Receiver {
            device: "/dev/ttyAMA0".into(),
            serial_state: DeviceState::Open,
            model: Some("00190000".into()),
            firmware: Some("EXT CORE 1.00 (61b2dd)".into()),
            extensions: vec!["FWVER=TIM 2.20".into(), "PROTVER=29.00".into()],
            time_valid: true,
            fix: FixKind::Time,
            fix_ok: true,
            sats_used: Some(3),
            sats_seen: Some(5),
            constellations: vec![("gps".into(), 2, 3), ("galileo".into(), 1, 1), ("glonass".into(), 0, 1)],
            satellites: vec![
                sat("gps", 0, 5, Some(42), Some(45), true),
                sat("gps", 0, 12, Some(38), Some(20), true),
                sat("sbas", 1, 136, Some(37), Some(30), false),
                sat("galileo", 2, 11, Some(35), None, true),
                sat("glonass", 6, 255, None, Some(5), false),
            ],
            tacc_ns: Some(12),
            leap_s: Some(18),
            leap_source: LeapSourceKind::NavTimeLs,
            leap_valid: true,
            leap_change: Some(0),
            antenna: Some(Antenna::Ok),
            antenna_power: Some("on".into()),
            jamming_state: Some(1),
            jam_ind: Some(7),
            spoofing: Some(1),
            survey_active: Some(false),
            survey_valid: Some(true),
            survey_duration_s: Some(86_400),
            survey_acc_m: Some(1.75),
            survey_observations: Some(86_390),
            survey_ecef_m: Some([3_924_727.1, 313_660.3, 5_001_922.5]),
            time_mode: Some(TimeMode::Fixed),
            lat_deg: Some(52.123456789),
            lon_deg: Some(4.56789),
            alt_hae_m: Some(151.25),
            alt_msl_m: Some(104.75),
            hdop: Some(0.62),
            pdop: Some(1.05),
            epochs: 3601,
            framer: FramerCounts {
                bytes: 1_234_567,
                nmea: 0,
                ubx: 14_404,
                checksum_errors: 2,
                garbage_bytes: 17,
                decode_errors: 1,
            },
            ..Receiver::default()
        },
        pps: Pps {
            source: crate::config::PpsSource::Kernel,
            device: "/dev/pps0".into(),
            device_state: DeviceState::Open,
            edges: 3600,
            state: PpsLock::LockedTimTp,
            samples: 3598,
            last_offset_ns: Some(-180),
            last_qerr_ps: Some(-1250),
            rejects: vec![("no-label".into(), 1), ("stale-epoch".into(), 0)],
            ..Pps::default()
        },
        coarse_samples: 3600,
        sinks: vec![
            Sink {
                kind: "sock-pps".into(),
                target: "/run/chrony/timed-pps.sock".into(),
                state: SinkState::Ok,
                sent: 3598,
                last_sent_ns: Some(1_750_003_600_000_000_000),
                ..Sink::default()
            },
            Sink {
                kind: "shm-coarse".into(),
                target: "SHM 2".into(),
                state: SinkState::Failing,
                error: Some("no segment".into()),
                errors: 4,
                ..Sink::default()
            },
        ],
        stats: Stats {
            pps: Some(offset_stats(1.0)),
            coarse: Some(offset_stats(1000.0)),
            serial_latency: vec![("UBX-NAV-PVT".into(), window("10m", 600, 1e5))],
            suggested_coarse: Some((0.125, 0.0025)),
            edge_latency: vec![EdgeLatencySummary {
                label: "tim-tp".into(),
                n: 3600,
                p50_s: 42e-6,
                p99_s: 180e-6,
                max_s: 950e-6,
                histogram: vec![(50e-6, 2000), (200e-6, 3590), (1e-3, 3600), (f64::INFINITY, 3601)],
                histogram_sum_s: 0.2,
                histogram_count: 3601,
            }],
        },
        integrity: Integrity {
            state: GateName::HoldingOff,
            signal: Some("jamming".into()),
            reopens_in_s: Some(4.5),
            signals: vec![
                IntegritySignal {
                    signal: "jamming".into(),
                    response: "close".into(),
                    active: false,
                    active_for_s: None,
                    raised: 2,
                },
                IntegritySignal {
                    signal: "jamming-warning".into(),
                    response: "warn".into(),
                    active: true,
                    active_for_s: Some(12.0),
                    raised: 3,
                },
            ],
            withheld: 17,
        },
        holdover: crate::holdover::Snapshot {
            state: crate::holdover::HoldoverState::Locked,
            max_error_s: 0.001,
            temperature_c: Some(52.5),
            ..crate::holdover::Snapshot::default()
        },
        leap_list: LeapListHealth {
            path: "/usr/share/zoneinfo/leap-seconds.list".into(),
            expires_unix_s: Some(1_782_604_800),
            updated_unix_s: Some(1_751_846_400),
            hash_checked: true,
            expired_policy: "hold".into(),
            error: None,
        },
        nts_cert: crate::health::NtsCertHealth {
            path: "/var/lib/timed/nts/nts.crt".into(),
            expires_unix_s: Some(2_111_774_718),
            error: None,
        },
        events: crate::events::EventsHealth {
            recent: Vec::new(),
            counts: vec![
                (crate::events::record::Kind(timed_core::events::EventKind::AntennaFault), 2),
                (crate::events::record::Kind(timed_core::events::EventKind::AntennaOk), 1),
            ],
            journal: "journald".into(),
            webhook: Some(crate::events::WebhookHealth {
                url: "http://127.0.0.1:9/h".into(),
                sent: 3,
                failed: 1,
                dropped: 5,
            }),
        },
        receiver_setup: ReceiverSetup {
            configure: crate::config::Configure::Apply,
            state: SetupState::Configured,
            applied: vec!["uart1-baud".into(), "msg-tim-tp".into()],
            found_baud: Some(9600),
            runs: 3,
            restored: 1,
            last_run_unix_s: Some(1_750_003_000),
            fix_command: "timectl receiver apply".into(),
            ..ReceiverSetup::default()
        },
    }
}

fn source(address: &str, name: &str, mode: &str, state_code: u16, stats: bool) -> Source {
    Source {
        index: 0,
        address: address.into(),
        name: name.into(),
        mode: mode.into(),
        state: String::new(),
        state_code,
        stratum: if mode == "refclock" { 0 } else { 2 },
        poll: if mode == "refclock" { 4 } else { 6 },
        reach: 0o375,
        last_rx_ago_s: if state_code == 1 { None } else { Some(3) },
        last_offset_s: -250e-6,
        last_offset_orig_s: -251e-6,
        last_error_s: 1e-7,
        options: None,
        stats: if stats {
            Ok(ChronySourceStats {
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

/// chronyd 4.4 or later (serverstats v4) tracking PPS, with an unreachable refclock and an NTP
/// source whose sourcestats failed.
fn chronyd() -> Report {
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
            update_interval_s: 16.0,
        }),
        sources: Ok(vec![
            source("PPS", "PPS", "refclock", 0, true),
            source("GPS", "GPS", "refclock", 1, true),
            source("192.0.2.1", "ntp.example", "server", 4, false),
        ]),
        serverstats: Ok(ServerStats {
            ntp_hits: 12,
            cmd_hits: 34,
            ntp_drops: 1,
            cmd_drops: 0,
            log_drops: 2,
            nke_hits: Some(0),
            nke_drops: Some(0),
            ntp_auth_hits: Some(3),
            ntp_interleaved_hits: Some(1),
            ntp_timestamps: Some(2),
            ntp_span_s: Some(3),
            ntp_daemon_rx_timestamps: Some(4),
            ntp_daemon_tx_timestamps: Some(5),
            ntp_kernel_rx_timestamps: Some(6),
            ntp_kernel_tx_timestamps: Some(7),
            ntp_hw_rx_timestamps: Some(8),
            ntp_hw_tx_timestamps: Some(9),
        }),
        clients: Ok(crate::chronyctl::ClientActivity {
            logged: 7,
            active_1h: 3,
            active_24h: 5,
            complete: true,
        }),
        state: crate::chronyctl::ChronydState::Answered,
        age_s: 0.0,
    }
}

#[test]
fn a_busy_scrape_is_unchanged() {
    let text = mask_process_cost(&exposition(&busy(), gpsd::Position::Full, Some(&chronyd())));
    assert_same("exposition-busy", &text, include_str!("testdata/exposition-busy.prom"));
}

/// Receiver gone, chronyd down, position coarse: what is left when things fail.
#[test]
fn a_failing_scrape_is_unchanged() {
    let mut h = busy();
    h.holdover = crate::holdover::Snapshot {
        state: crate::holdover::HoldoverState::Exceeded,
        reason: Some("pps-lost".into()),
        since_unix_s: Some(1_700_000_000),
        elapsed_s: Some(7200.0),
        bound_s: Some(0.00125),
        max_error_s: 0.001,
        temperature_c: Some(61.5),
        ..crate::holdover::Snapshot::default()
    };
    h.receiver.serial_state = DeviceState::Lost;
    h.pps.device_state = DeviceState::Lost;
    h.stats = Stats::default();
    h.leap_list.expires_unix_s = None;
    h.leap_list.error = Some("/usr/share/zoneinfo/leap-seconds.list: cannot read".into());
    h.nts_cert.expires_unix_s = None;
    h.nts_cert.error =
        Some("/var/lib/timed/nts/nts.crt: cannot read: Permission denied (os error 13)".into());
    let text = mask_process_cost(&exposition(
        &h,
        gpsd::Position::Coarse,
        Some(&Report::down("connection refused".into())),
    ));
    assert_same("exposition-failing", &text, include_str!("testdata/exposition-failing.prom"));
}

/// A daemon that has seen nothing yet, with no chrony command socket configured.
#[test]
fn a_fresh_scrape_is_unchanged() {
    let h = Health { version: "0.1.0".into(), ..Health::default() };
    let text = mask_process_cost(&exposition(&h, gpsd::Position::Off, None));
    assert_same("exposition-fresh", &text, include_str!("testdata/exposition-fresh.prom"));
}

/// The status page's document shows the position as the gpsd_* family does: `[metrics]
/// position` decides for the whole listener.
#[test]
fn the_status_page_shows_the_position_as_configured() {
    let h = busy();
    let full = with_position(&h, gpsd::Position::Full);
    assert_eq!(full.receiver.lat_deg, h.receiver.lat_deg);
    let coarse = with_position(&h, gpsd::Position::Coarse);
    let lat = h.receiver.lat_deg.unwrap();
    assert_eq!(coarse.receiver.lat_deg, Some((lat * 10.0).round() / 10.0));
    assert_ne!(coarse.receiver.lat_deg, h.receiver.lat_deg, "the fixture's latitude has more than 0.1°");
    assert_eq!(coarse.receiver.alt_hae_m.map(|a| a % 100.0), Some(0.0));
    let off = with_position(&h, gpsd::Position::Off).receiver;
    assert_eq!((off.lat_deg, off.lon_deg, off.alt_hae_m, off.alt_msl_m), (None, None, None, None));
}

/// `[nts] cert = ""` (the lab's, and any box serving no NTS): no series an alert could fire on.
#[test]
fn no_nts_certificate_configured_exports_no_nts_series() {
    let mut h = busy();
    h.nts_cert = crate::health::NtsCertHealth::default();
    let text = exposition(&h, gpsd::Position::Coarse, None);
    assert!(!text.contains("timed_nts_cert"), "{text}");
    // And one that is configured but unreadable says so (the busy snapshot reads it fine).
    h.nts_cert =
        crate::health::NtsCertHealth { path: "/c".into(), expires_unix_s: None, error: Some("x".into()) };
    let text = exposition(&h, gpsd::Position::Coarse, None);
    assert!(text.contains("\ntimed_nts_cert_ok 0.0\n"), "{text}");
    assert!(!text.contains("timed_nts_cert_expiry_timestamp_seconds "), "{text}");
}
