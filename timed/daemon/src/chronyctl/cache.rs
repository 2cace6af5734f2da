//! One reading of chronyd shared by everyone who asks for it within a moment: the control
//! socket's snapshots and watchers and the metrics endpoint's scrapes.
//!
//! Why: each reading is 5+ requests to chronyd, and readers come in bursts (a scrape, several
//! `timectl` clients). More importantly a hung chronyd (stopped, swapping) must cost a reader at
//! most one short timeout, not one per reader queued behind it: readers wait for the reading in
//! progress instead of starting their own, and a reading that found chronyd unresponsive is
//! served for [`UNRESPONSIVE_HOLD`] before chronyd is asked again. Every reading handed out
//! carries its age (`Report::age_s`), so nobody mistakes a held one for a fresh one.

use super::{query, ChronydState, Report};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A reading this young is shared rather than repeated.
pub const FRESH: Duration = Duration::from_secs(1);
/// An unresponsive chronyd is asked again after this long; readers in between get the last
/// reading (which says unresponsive) at once.
pub const UNRESPONSIVE_HOLD: Duration = Duration::from_secs(3);

pub struct Cache {
    socket: PathBuf,
    timeout: Duration,
    last: Mutex<Option<(Instant, Arc<Report>)>>,
}

impl Cache {
    /// Readings of chronyd at `socket`, each request bounded by `timeout`.
    pub fn new(socket: PathBuf, timeout: Duration) -> Cache {
        Cache { socket, timeout, last: Mutex::new(None) }
    }

    /// The latest reading, taken now if the last one is too old. Readers that arrive while a
    /// reading is taken wait for it (at most the query's own bound) and share it.
    pub async fn read(&self) -> Report {
        let mut last = self.last.lock().await;
        if let Some((at, r)) = last.as_ref() {
            let keep = if r.state == ChronydState::Unresponsive { UNRESPONSIVE_HOLD } else { FRESH };
            if at.elapsed() < keep {
                return aged(r, *at);
            }
        }
        let r = Arc::new(query(&self.socket, self.timeout).await);
        let at = Instant::now();
        *last = Some((at, r.clone()));
        aged(&r, at)
    }
}

impl Cache {
    /// chronyd's client log and totals, read now (not shared: asked for rarely, by `timectl
    /// clients`), each request bounded like the readings.
    pub async fn clients(&self) -> Result<super::ClientsReport, String> {
        super::query_clients(&self.socket, self.timeout).await
    }
}

fn aged(r: &Report, at: Instant) -> Report {
    Report { age_s: at.elapsed().as_secs_f64(), ..r.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    /// A socket that takes requests but never answers stands for a stopped chronyd: the first
    /// reader waits out one timeout, readers after it get the held reading at once.
    #[test]
    fn an_unresponsive_chronyd_costs_one_timeout_then_is_held() {
        let dir = timed_lab::Scratch::new("timed-cache").unwrap();
        let path = dir.join("chronyd.sock");
        let _mute = UnixDatagram::bind(&path).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let cache = Cache::new(path, Duration::from_millis(200));
        rt.block_on(async {
            let t = Instant::now();
            let first = cache.read().await;
            assert_eq!(first.state, ChronydState::Unresponsive, "{first:?}");
            assert!(t.elapsed() >= Duration::from_millis(200), "{:?}", t.elapsed());
            let t = Instant::now();
            let second = cache.read().await;
            assert!(t.elapsed() < Duration::from_millis(50), "held reading took {:?}", t.elapsed());
            assert_eq!(second.state, ChronydState::Unresponsive);
            assert!(second.age_s > 0.0 && second.age_s < 1.0, "{}", second.age_s);
        });
    }

    #[test]
    fn a_missing_chronyd_is_unreachable_not_unresponsive() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let cache = Cache::new("/nonexistent/chronyd.sock".into(), Duration::from_millis(200));
        let r = rt.block_on(cache.read());
        assert_eq!(r.state, ChronydState::Unreachable, "{r:?}");
    }
}
