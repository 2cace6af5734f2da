//! Snapshot-valued metric families for prometheus-client: each scrape renders the latest health
//! snapshot, so values are plain numbers with their label sets rather than live atomics.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

pub type Labels = Vec<(String, String)>;

/// Label set from pairs of string slices.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A yes/no state as a gauge value: 1 or 0.
pub fn flag(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

#[derive(Debug)]
pub struct GaugeFamily(pub Vec<(Labels, f64)>);

impl EncodeMetric for GaugeFamily {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (l, v) in &self.0 {
            if l.is_empty() {
                encoder.encode_gauge(v)?;
            } else {
                encoder.encode_family(l)?.encode_gauge(v)?;
            }
        }
        Ok(())
    }
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
}

#[derive(Debug)]
pub struct CounterFamily(pub Vec<(Labels, f64)>);

impl EncodeMetric for CounterFamily {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (l, v) in &self.0 {
            if l.is_empty() {
                encoder.encode_counter::<NoLabelSet, f64, f64>(v, None)?;
            } else {
                encoder.encode_family(l)?.encode_counter::<NoLabelSet, f64, f64>(v, None)?;
            }
        }
        Ok(())
    }
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// A pre-aggregated histogram: sum, count and per-bucket (non-cumulative) counts by upper bound.
#[derive(Debug, Clone)]
pub struct Hist {
    pub sum: f64,
    pub count: u64,
    pub buckets: Vec<(f64, u64)>,
}

#[derive(Debug)]
pub struct HistogramFamily(pub Vec<(Labels, Hist)>);

impl EncodeMetric for HistogramFamily {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (l, h) in &self.0 {
            encoder.encode_family(l)?.encode_histogram::<NoLabelSet>(h.sum, h.count, &h.buckets, None)?;
        }
        Ok(())
    }
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// Registers families on a registry with less ceremony. Empty families are skipped (a metric
/// with no samples would only be noise).
pub struct Reg<'a>(pub &'a mut Registry);

impl Reg<'_> {
    pub fn gauge(&mut self, name: &str, help: &str, v: f64) {
        self.gauges(name, help, vec![(Vec::new(), v)]);
    }

    pub fn gauge_opt(&mut self, name: &str, help: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.gauge(name, help, v);
        }
    }

    pub fn gauges(&mut self, name: &str, help: &str, v: Vec<(Labels, f64)>) {
        if !v.is_empty() {
            self.0.register(name, help, GaugeFamily(v));
        }
    }

    /// `name` without `_total`: the encoder appends it.
    pub fn counter(&mut self, name: &str, help: &str, v: u64) {
        self.counter_f64(name, help, v as f64);
    }

    /// Nothing when the count is unknown (a field chronyd's reply version lacks), unlike 0.
    pub fn counter_opt(&mut self, name: &str, help: &str, v: Option<u64>) {
        if let Some(v) = v {
            self.counter(name, help, v);
        }
    }

    pub fn counter_f64(&mut self, name: &str, help: &str, v: f64) {
        self.0.register(name, help, CounterFamily(vec![(Vec::new(), v)]));
    }

    pub fn counters(&mut self, name: &str, help: &str, v: Vec<(Labels, u64)>) {
        if !v.is_empty() {
            self.0.register(name, help, CounterFamily(v.into_iter().map(|(l, n)| (l, n as f64)).collect()));
        }
    }

    pub fn histograms(&mut self, name: &str, help: &str, v: Vec<(Labels, Hist)>) {
        if !v.is_empty() {
            self.0.register(name, help, HistogramFamily(v));
        }
    }
}

/// Renders a registry as Prometheus text exposition (format 0.0.4).
///
/// prometheus-client writes OpenMetrics, where a counter family `x` has samples `x_total` and
/// the text ends with `# EOF`. Prometheus' text format (what `promtool check metrics` and most
/// scrapers expect from `text/plain`) names the family after its samples, so counter HELP/TYPE
/// lines get the `_total` suffix and the OpenMetrics-only lines go.
pub fn render(registry: &Registry) -> String {
    let mut om = String::new();
    if prometheus_client::encoding::text::encode(&mut om, registry).is_err() {
        return String::new();
    }
    to_prometheus_text(&om)
}

fn to_prometheus_text(om: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        om.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(om.len());
    for line in om.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = line
            .strip_prefix("# HELP ")
            .map(|r| ("# HELP ", r))
            .or(line.strip_prefix("# TYPE ").map(|r| ("# TYPE ", r)));
        match meta {
            Some((tag, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                // Never `x_total_total`: a family registered under its sample name keeps it.
                if counters.contains(name) && !name.ends_with("_total") {
                    out.push_str(&format!("{tag}{name}_total {tail}\n"));
                } else {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_after_their_samples_in_prometheus_text() {
        let mut reg = Registry::default();
        let mut r = Reg(&mut reg);
        r.counter("timed_pps_edges", "PPS edges", 7);
        r.gauge("timed_pps_simulated", "simulated", 1.0);
        let t = render(&reg);
        assert!(
            t.contains("# HELP timed_pps_edges_total PPS edges.\n# TYPE timed_pps_edges_total counter\ntimed_pps_edges_total 7.0\n"),
            "{t}"
        );
        assert!(t.contains("# TYPE timed_pps_simulated gauge\ntimed_pps_simulated 1.0\n"), "{t}");
        assert!(!t.contains("# EOF"));
    }
}
