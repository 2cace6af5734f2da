//! One reading of chronyd shared by everyone who asks for it within a moment: the control
//! socket's snapshots and watchers and the metrics endpoint's scrapes.
//!
//! Why: each reading is 5+ requests to chronyd, and readers come in bursts (a scrape, several
//! `timectl` clients). More importantly a hung chronyd (stopped, swapping) must cost a reader at
//! most one short timeout, not one per reader queued behind it: readers wait for the reading in
//! progress instead of starting their own, and a reading that found chronyd unresponsive is
//! served for [`UNRESPONSIVE_HOLD`] before chronyd is asked again. Every reading handed out
//! carries its age (`Report::age_s`), so nobody mistakes a held one for a fresh one.

use super::{query_parts, ChronydState, ClientActivity, Report};
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
/// The client log's summary (clients active in the last hour and day) is read this often, not
/// with every reading: reading it pages through every logged client (one request per 8, up to
/// 512), and a once-a-second watcher must not make chronyd do that every second while it serves
/// the LAN. A figure about the last hour is not made wrong by being a minute old.
pub const CLIENTS_EVERY: Duration = Duration::from_secs(60);

pub struct Cache {
    socket: PathBuf,
    timeout: Duration,
    last: Mutex<Option<(Instant, Arc<Report>)>>,
    /// The last client-log summary read and when (only chronyd answers are kept).
    clients: Mutex<Option<(Instant, ClientActivity)>>,
}

impl Cache {
    /// Readings of chronyd at `socket`, each request bounded by `timeout`.
    pub fn new(socket: PathBuf, timeout: Duration) -> Cache {
        Cache { socket, timeout, last: Mutex::new(None), clients: Mutex::new(None) }
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
        let mut held = self.clients.lock().await;
        let due = clients_due(held.as_ref().map(|(at, _)| *at), Instant::now());
        let mut r = query_parts(&self.socket, self.timeout, due).await;
        keep_clients(due, &mut r, &mut held, Instant::now());
        drop(held);
        let r = Arc::new(r);
        let at = Instant::now();
        *last = Some((at, r.clone()));
        aged(&r, at)
    }
}

impl Cache {
    /// chronyd's client log and totals, read now (not shared: asked for rarely, by `timectl
    /// clients`), each request bounded like the readings.
    /// A whole log read here renews the held summary too (it is the same log, read just now).
    pub async fn clients(&self) -> Result<super::ClientsReport, String> {
        let r = super::query_clients(&self.socket, self.timeout).await;
        if let Ok(c) = &r {
            *self.clients.lock().await = Some((Instant::now(), c.log.activity()));
        }
        r
    }
}

fn aged(r: &Report, at: Instant) -> Report {
    Report { age_s: at.elapsed().as_secs_f64(), ..r.clone() }
}

/// Whether a reading at `now` should read the client log, last read at `last`.
fn clients_due(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|at| now.duration_since(at) >= CLIENTS_EVERY)
}

/// After a reading: a client log read now is held (when chronyd answered it); a reading that
/// skipped it shows the held summary, if chronyd answered the rest. A failed read is not held,
/// so the next reading tries again.
fn keep_clients(due: bool, r: &mut Report, held: &mut Option<(Instant, ClientActivity)>, now: Instant) {
    match (&r.clients, held.as_ref()) {
        (Ok(a), _) if due => *held = Some((now, *a)),
        (_, Some((_, a))) if !due && r.state == ChronydState::Answered => r.clients = Ok(*a),
        _ => {}
    }
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
    fn the_client_log_is_read_once_a_minute_and_its_summary_shown_between() {
        let t0 = Instant::now();
        assert!(clients_due(None, t0), "the first reading reads it");
        assert!(!clients_due(Some(t0), t0 + CLIENTS_EVERY - Duration::from_millis(1)));
        assert!(clients_due(Some(t0), t0 + CLIENTS_EVERY));
        let answered = |clients: Result<ClientActivity, String>| Report {
            state: ChronydState::Answered,
            clients,
            ..Report::down("unused".into())
        };
        let seen = ClientActivity { logged: 9, active_1h: 4, active_24h: 7, complete: true };
        let mut held = None;
        // Read now: held.
        let mut r = answered(Ok(seen));
        keep_clients(true, &mut r, &mut held, t0);
        assert_eq!(held, Some((t0, seen)));
        // Skipped: the held summary is shown, not "not read".
        let mut r = answered(super::super::clients::not_read());
        keep_clients(false, &mut r, &mut held, t0 + Duration::from_secs(1));
        assert_eq!(r.clients, Ok(seen));
        assert_eq!(held, Some((t0, seen)), "a skipped read does not renew the summary");
        // chronyd down: its error, not an old summary.
        let mut r = Report::down("no chronyd".into());
        keep_clients(false, &mut r, &mut held, t0 + Duration::from_secs(2));
        assert_eq!(r.clients, Err("no chronyd".into()));
        // A due read that failed is not held: the next reading is due again.
        let mut fresh = None;
        let mut r = answered(Err("permission denied".into()));
        keep_clients(true, &mut r, &mut fresh, t0);
        assert_eq!((fresh, r.clients), (None, Err("permission denied".into())));
    }

    #[test]
    fn a_missing_chronyd_is_unreachable_not_unresponsive() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let cache = Cache::new("/nonexistent/chronyd.sock".into(), Duration::from_millis(200));
        let r = rt.block_on(cache.read());
        assert_eq!(r.state, ChronydState::Unreachable, "{r:?}");
    }
}
