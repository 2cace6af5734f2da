//! `timed_events_total{kind}` (every kind, 0 included, so `rate()` and `increase()` work from
//! the first scrape) and the webhook's counters, from the snapshot's `events`.

use super::families::{labels, Reg};
use crate::health::Health;
use timed_core::events::EventKind;

pub fn register(h: &Health, r: &mut Reg<'_>) {
    let e = &h.events;
    let count = |k: EventKind| e.counts.iter().find(|(c, _)| c.0 == k).map_or(0, |(_, n)| *n);
    r.counters(
        "timed_events",
        "Events (docs/events.md) by kind since timed started",
        EventKind::ALL.iter().map(|k| (labels(&[("kind", k.name())]), count(*k))).collect(),
    );
    let w = e.webhook.clone().unwrap_or_default();
    r.counter("timed_events_webhook_sent", "Events the webhook accepted (2xx)", w.sent);
    r.counter("timed_events_webhook_failed", "Events given up after every webhook retry", w.failed);
    r.counter(
        "timed_events_webhook_dropped",
        "Events not queued for the webhook because its queue was full",
        w.dropped,
    );
}
