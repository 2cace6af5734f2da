//! A chronyd reading for unit tests (the verdict's, timectl's doctor's, the web page's): one
//! owner for what a healthy chronyd on PPS looks like. Not used by the daemon itself.

use super::{ChronydState, ClientActivity, Report, ServerStats, Source, Tracking};

/// chronyd synchronised to PPS, with these sources: (name, mode, last offset system − source).
pub fn report(sources: &[(&str, &str, f64)]) -> Report {
    let tracking = Tracking {
        ref_id: 0x5050_5300,
        ref_name: "PPS".into(),
        ref_address: None,
        stratum: 1,
        leap_code: 0,
        leap_status: "normal".into(),
        ref_time_s: 1.8e9,
        system_offset_s: 1e-8,
        last_offset_s: 1e-8,
        rms_offset_s: 1e-8,
        frequency_ppm: 1.0,
        residual_freq_ppm: 0.0,
        skew_ppm: 0.01,
        root_delay_s: 1e-9,
        root_dispersion_s: 1e-6,
        update_interval_s: 4.0,
    };
    let sources = sources
        .iter()
        .map(|(name, mode, offset)| Source {
            index: 0,
            address: (*name).into(),
            name: (*name).into(),
            mode: (*mode).into(),
            state: "selected".into(),
            state_code: 0,
            stratum: 0,
            poll: 2,
            reach: 0o377,
            last_rx_ago_s: Some(1),
            last_offset_s: *offset,
            last_offset_orig_s: *offset,
            last_error_s: 1e-7,
            options: None,
            stats: Err("n/a".into()),
        })
        .collect();
    Report {
        tracking: Ok(tracking),
        sources: Ok(sources),
        serverstats: Ok(ServerStats::default()),
        clients: Ok(ClientActivity { logged: 3, active_1h: 2, active_24h: 3, complete: true }),
        state: ChronydState::Answered,
        age_s: 0.0,
    }
}
