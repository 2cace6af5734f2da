//! The page's two pictures as inline SVG: the PPS offset and jitter chart and the sky plot.
//! live.js redraws both from `/status.json` with the same geometry (constants repeated there,
//! marked "svg.rs").

use super::fmt::{esc, secs};
use super::history::{History, Point};
use serde_json::Value;
use std::fmt::Write;

const CHART_W: f64 = 320.0;
/// The offset band (y from .. to) and the jitter band below it.
const OFF_Y: (f64, f64) = (12.0, 72.0);
const JIT_Y: (f64, f64) = (88.0, 118.0);
const SKY_C: f64 = 110.0;
const SKY_R: f64 = 100.0;

/// The chart: the offset over the last [`History::SPAN_S`] seconds scaled to its own range
/// (a constant offset would flatten the scatter), and below it the 1-minute σ from zero. The
/// points ride along in `data-pts` for live.js to extend.
pub fn chart(h: &History) -> String {
    let pts: Vec<&Point> = h.points().collect();
    let mut data = String::new();
    for p in &pts {
        let j = p.jitter_ns.map_or(String::new(), |j| format!("{j:.0}"));
        let _ = write!(data, "{}{:.3},{},{j}", if data.is_empty() { "" } else { " " }, p.t_s, p.offset_ns);
    }
    let c = chart_lines(&pts);
    format!(
        "<svg id=\"chart\" class=\"chart\" viewBox=\"0 0 320 130\" role=\"img\" aria-label=\"PPS offset and \
         jitter, last 5 minutes\" data-pts=\"{data}\">\
         <line x1=\"0\" y1=\"118\" x2=\"320\" y2=\"118\" class=\"axis\"/>\
         <polyline id=\"chart-off\" class=\"off\" points=\"{}\"/>\
         <polyline id=\"chart-jit\" class=\"jit\" points=\"{}\"/>\
         <text x=\"2\" y=\"9\" id=\"chart-top\">{}</text><text x=\"2\" y=\"82\" id=\"chart-bot\">{}</text>\
         <text x=\"2\" y=\"94\" id=\"chart-jmax\">{}</text>\
         <text x=\"2\" y=\"128\">−5 min</text><text x=\"318\" y=\"128\" text-anchor=\"end\">now</text>\
         </svg>",
        c[0],
        c[1],
        esc(&c[2]),
        esc(&c[3]),
        esc(&c[4])
    )
}

/// The offset line, the jitter line and the three scale labels (offset max and min, σ max).
fn chart_lines(pts: &[&Point]) -> [String; 5] {
    let Some(last) = pts.last() else {
        return [
            String::new(),
            String::new(),
            "PPS offset: no samples yet".into(),
            String::new(),
            String::new(),
        ];
    };
    let (mut lo, mut hi, mut jmax) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for p in pts {
        lo = lo.min(p.offset_ns as f64);
        hi = hi.max(p.offset_ns as f64);
        jmax = jmax.max(p.jitter_ns.unwrap_or(0.0));
    }
    // At least 20 ns of range, centred, so a flat line sits in the middle.
    let mid = (lo + hi) / 2.0;
    let half = ((hi - lo) / 2.0).max(10.0);
    let (lo, hi) = (mid - half, mid + half);
    let jmax = jmax.max(10.0);
    let x = |p: &Point| CHART_W - (last.t_s - p.t_s) / History::SPAN_S * CHART_W;
    let y_off = |ns: f64| OFF_Y.1 - (ns - lo) / (hi - lo) * (OFF_Y.1 - OFF_Y.0);
    let y_jit = |ns: f64| JIT_Y.1 - ns / jmax * (JIT_Y.1 - JIT_Y.0);
    let mut off = String::new();
    let mut jit = String::new();
    for p in pts {
        let _ = write!(off, "{:.1},{:.1} ", x(p), y_off(p.offset_ns as f64));
        if let Some(j) = p.jitter_ns {
            let _ = write!(jit, "{:.1},{:.1} ", x(p), y_jit(j));
        }
    }
    [
        off.trim_end().to_string(),
        jit.trim_end().to_string(),
        format!("PPS offset, max {}", secs(hi / 1e9)),
        format!("min {}", secs(lo / 1e9)),
        format!("jitter (1 min σ), max {}", secs(jmax / 1e9).trim_start_matches('+')),
    ]
}

/// The sky plot: zenith in the middle, horizon on the outer ring, north up; a filled dot for a
/// satellite used in the solution. Drawn from the document's `timed.receiver.satellites`.
pub fn sky(doc: &Value) -> String {
    let mut o = String::from(
        "<svg id=\"sky\" class=\"sky\" viewBox=\"0 0 220 220\" role=\"img\" aria-label=\"sky plot\">\
         <circle cx=\"110\" cy=\"110\" r=\"100\"/><circle cx=\"110\" cy=\"110\" r=\"66.7\"/>\
         <circle cx=\"110\" cy=\"110\" r=\"33.3\"/>\
         <text x=\"110\" y=\"8\" text-anchor=\"middle\">N</text><text x=\"216\" y=\"114\" text-anchor=\"end\">E</text>\
         <text x=\"110\" y=\"219\" text-anchor=\"middle\">S</text><text x=\"4\" y=\"114\">W</text><g id=\"sky-sats\">",
    );
    let sats = super::fmt::get(doc, "timed.receiver.satellites").and_then(Value::as_array);
    for s in sats.into_iter().flatten() {
        let (Some(el), Some(az)) =
            (s.get("elev_deg").and_then(Value::as_f64), s.get("azim_deg").and_then(Value::as_f64))
        else {
            continue;
        };
        if !(0.0..=90.0).contains(&el) {
            continue;
        }
        let r = SKY_R * (90.0 - el) / 90.0;
        let (sx, sy) = (SKY_C + r * az.to_radians().sin(), SKY_C - r * az.to_radians().cos());
        let used = s.get("used").and_then(Value::as_bool) == Some(true);
        let text = |k: &str| {
            s.get(k).map_or("-".to_string(), |v| super::fmt::show(Some(v), super::fmt::Fmt::Text, None))
        };
        let _ = write!(
            o,
            "<g class=\"sat{}\"><title>{} {} · elevation {el}° azimuth {az}° · {} dBHz{}</title>\
             <circle cx=\"{sx:.1}\" cy=\"{sy:.1}\" r=\"5\"/><text x=\"{sx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            if used { " used" } else { "" },
            esc(&text("gnss")),
            esc(&text("svid")),
            esc(&text("cno_dbhz")),
            if used { " · used" } else { "" },
            sy - 7.0,
            esc(&text("svid")),
        );
    }
    o.push_str("</g></svg>");
    o
}
