//! `timed_offset_*`, `timed_serial_latency_seconds` and the coarse-offset suggestion, rendered
//! from the statistics in the health snapshot (docs/metrics.md).

use super::families::{labels, Hist, Reg};
use crate::health::{EdgeLatencySummary, SourceStats, Stats};

pub fn register(s: &Stats, r: &mut Reg<'_>) {
    let sources: Vec<(&str, &SourceStats)> = [("pps", s.pps.as_ref()), ("coarse", s.coarse.as_ref())]
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();
    type Field = fn(&crate::health::Window) -> f64;
    let fields: [(&str, &str, Field); 5] = [
        ("timed_offset_mean_seconds", "Mean offset (true - system) over the window", |w| w.mean_s),
        ("timed_offset_rms_seconds", "RMS offset over the window", |w| w.rms_s),
        ("timed_offset_stddev_seconds", "Standard deviation of the offset over the window", |w| w.stddev_s),
        ("timed_offset_min_seconds", "Smallest offset in the window", |w| w.min_s),
        ("timed_offset_max_seconds", "Largest offset in the window", |w| w.max_s),
    ];
    for (name, help, f) in fields {
        let v = sources
            .iter()
            .flat_map(|(src, st)| {
                st.windows
                    .iter()
                    .map(move |w| (labels(&[("source", src), ("window", w.window.as_ref())]), f(w)))
            })
            .collect();
        r.gauges(name, help, v);
    }
    r.gauges(
        "timed_offset_window_samples",
        "Samples in the window",
        sources
            .iter()
            .flat_map(|(src, st)| {
                st.windows
                    .iter()
                    .map(move |w| (labels(&[("source", src), ("window", w.window.as_ref())]), w.count as f64))
            })
            .collect(),
    );
    r.histograms(
        "timed_offset_seconds",
        "Offsets (true - system) handed to chrony",
        sources
            .iter()
            .map(|(src, st)| {
                let buckets = per_bucket(&st.histogram);
                (
                    labels(&[("source", src)]),
                    Hist { sum: st.histogram_sum_s, count: st.histogram_count, buckets },
                )
            })
            .collect(),
    );
    let tau = |t: f64| format!("{t}");
    r.gauges(
        "timed_offset_adev",
        "Overlapping Allan deviation of the offset series",
        sources
            .iter()
            .flat_map(|(src, st)| {
                st.adev.iter().map(move |(t, v)| (labels(&[("source", src), ("tau_seconds", &tau(*t))]), *v))
            })
            .collect(),
    );
    r.gauges(
        "timed_offset_tdev_seconds",
        "Time deviation of the offset series",
        sources
            .iter()
            .flat_map(|(src, st)| {
                st.tdev_s
                    .iter()
                    .map(move |(t, v)| (labels(&[("source", src), ("tau_seconds", &tau(*t))]), *v))
            })
            .collect(),
    );
    type LField = fn(&crate::health::Window) -> f64;
    let stats: [(&str, LField); 4] =
        [("mean", |w| w.mean_s), ("stddev", |w| w.stddev_s), ("min", |w| w.min_s), ("max", |w| w.max_s)];
    r.gauges(
        "timed_serial_latency_seconds",
        "First byte of each message kind after the PPS second (10 min window)",
        s.serial_latency
            .iter()
            .flat_map(|(k, w)| {
                stats.iter().map(move |(st, f)| (labels(&[("message", k), ("stat", st)]), f(w)))
            })
            .collect(),
    );
    // Quantiles as gauges with a `stat` label, like the serial latency above: the window is a
    // sliding hour of edges, so a Prometheus summary's _sum/_count would not mean what they say.
    type Stat = fn(&EdgeLatencySummary) -> f64;
    let q: [(&str, Stat); 3] = [("p50", |l| l.p50_s), ("p99", |l| l.p99_s), ("max", |l| l.max_s)];
    r.gauges(
        "timed_pps_edge_latency_seconds",
        "From timed getting a PPS edge to its sample handed to every sink (last hour of edges)",
        s.edge_latency
            .iter()
            .flat_map(|l| q.iter().map(move |(st, f)| (labels(&[("label", &l.label), ("stat", st)]), f(l))))
            .collect(),
    );
    // The same edges counted since start, in buckets: rates of these give any window's
    // distribution, which the sliding-hour quantiles above cannot.
    r.histograms(
        "timed_pps_edge_to_sample_seconds",
        "From timed getting a PPS edge to its sample handed to every sink (every edge since start)",
        s.edge_latency
            .iter()
            .filter(|l| l.histogram_count > 0)
            .map(|l| {
                let buckets = per_bucket(&l.histogram);
                (
                    labels(&[("label", &l.label)]),
                    Hist { sum: l.histogram_sum_s, count: l.histogram_count, buckets },
                )
            })
            .collect(),
    );
    if let Some((offset, delay)) = s.suggested_coarse {
        r.gauge(
            "timed_coarse_suggested_offset_seconds",
            "Suggested chrony refclock offset for the coarse source",
            offset,
        );
        r.gauge(
            "timed_coarse_suggested_delay_seconds",
            "Suggested chrony refclock delay for the coarse source",
            delay,
        );
    }
}

/// Cumulative `(le, count ≤ le)` pairs, as the snapshot keeps them, to the per-bucket counts the
/// histogram encoder takes.
fn per_bucket(cumulative: &[(f64, u64)]) -> Vec<(f64, u64)> {
    let mut prev = 0;
    cumulative
        .iter()
        .map(|&(le, cum)| {
            let n = cum.saturating_sub(prev);
            prev = cum;
            (le, n)
        })
        .collect()
}
