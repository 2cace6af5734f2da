//! The recent PPS offsets and jitter the page's chart draws. The snapshot carries only the last
//! sample and windowed statistics, so the listener keeps a short bounded series of its own,
//! taken from the snapshots the event loop publishes (no second path into the loop).

use crate::health::Health;
use std::collections::VecDeque;

/// One point per new PPS sample seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// The edge's time (Unix s).
    pub t_s: f64,
    pub offset_ns: i64,
    /// The 1-minute standard deviation of the offsets at that time, if there was one.
    pub jitter_ns: Option<f64>,
}

/// At most [`History::CAPACITY`] points, the newest within [`History::SPAN_S`] of each other.
#[derive(Debug, Default)]
pub struct History {
    points: VecDeque<Point>,
    last_samples: u64,
}

impl History {
    /// Five minutes at one sample a second: about 9 KB in the page.
    pub const CAPACITY: usize = 300;
    /// The chart's time span, seconds.
    pub const SPAN_S: f64 = 300.0;

    /// Takes the snapshot's newest PPS sample if it is one not seen yet. Snapshots come more
    /// often than samples (every epoch and edge) and may skip some (the channel keeps only the
    /// latest): a skipped sample is simply not drawn.
    pub fn observe(&mut self, h: &Health) {
        let p = &h.pps;
        if p.samples == self.last_samples {
            return;
        }
        self.last_samples = p.samples;
        let (Some(offset_ns), Some(edge_ns)) = (p.last_offset_ns, p.last_edge_ns) else { return };
        let jitter_ns = h
            .stats
            .pps
            .as_ref()
            .and_then(|s| s.windows.iter().find(|w| w.window == "1m"))
            .map(|w| w.stddev_s * 1e9);
        let t_s = edge_ns as f64 / 1e9;
        // A clock stepped back starts the series again rather than drawing backwards.
        if self.points.back().is_some_and(|b| b.t_s > t_s) {
            self.points.clear();
        }
        self.points.push_back(Point { t_s, offset_ns, jitter_ns });
        while self.points.len() > Self::CAPACITY
            || self.points.front().is_some_and(|f| t_s - f.t_s > Self::SPAN_S)
        {
            self.points.pop_front();
        }
    }

    pub fn points(&self) -> impl ExactSizeIterator<Item = &Point> {
        self.points.iter()
    }
}
