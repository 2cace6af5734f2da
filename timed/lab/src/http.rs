//! Reading a lab timed's HTTP listener the way a scraper does: one HTTP/1.0 GET (the server
//! closes after the body) and a sample looked up in the Prometheus text. For tests, which want the
//! raw response (headers included) and a clear error rather than a client library.
//!
//! Owns: the request and the sample lookup. Must not depend on the lab's daemons.

use std::io::{Read, Write};
use std::time::Duration;

/// The whole response (status line, headers, body) to `GET path` on 127.0.0.1:`port`.
pub fn get(port: u16, path: &str) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("GET http://127.0.0.1:{port}{path}: {e}");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(fail)?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(fail)?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).map_err(fail)?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(fail)?;
    Ok(out)
}

/// The value of the sample whose name and labels are exactly `series` (as the exposition writes
/// them, e.g. `timed_events_total{kind="antenna-open"}`).
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

impl crate::Lab {
    /// timed's metrics, scraped once (the lab must have been started with a metrics port).
    pub fn scrape(&self) -> Result<String, String> {
        let port = self.opts.metrics_port.ok_or("the lab has no metrics endpoint (Options::metrics_port)")?;
        get(port, "/metrics")
    }
}

#[cfg(test)]
mod tests {
    use super::metric;

    #[test]
    fn a_sample_is_found_by_its_exact_series_only() {
        let text = "# HELP x y\nx_total{kind=\"a\"} 3.0\nx_total{kind=\"ab\"} 4\nx_total 5\n";
        assert_eq!(metric(text, "x_total{kind=\"a\"}"), Some(3.0));
        assert_eq!(metric(text, "x_total{kind=\"ab\"}"), Some(4.0));
        assert_eq!(metric(text, "x_total"), Some(5.0));
        assert_eq!(metric(text, "x_total{kind=\"b\"}"), None);
    }
}
