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

#[derive(Debug)]
pub struct GaugeFamily(pub Vec<(Labels, f64)>);

impl EncodeMetric for GaugeFamily {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (l, v) in &self.0 {
            encoder.encode_family(l)?.encode_gauge(v)?;
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
            encoder.encode_family(l)?.encode_counter::<NoLabelSet, f64, f64>(v, None)?;
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

/// Renders a registry as text exposition.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, registry).is_err() {
        out.clear();
    }
    out
}
