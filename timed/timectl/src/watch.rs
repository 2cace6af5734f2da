//! `timectl watch`: a live terminal view of timed's change stream: the verdict and its reasons,
//! a sparkline of the PPS offsets timed sent to chrony, the PPS offset histogram, and one-line
//! receiver and chrony summaries. `q`, Esc or Ctrl-C quits. With `--json`, one status object per
//! update instead (for logging).

use crate::client::{watch, Message, Target, View};
use crate::fmt::{secs, unsigned};
use crate::verdict::{assess, Assessment};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph, Sparkline};
use ratatui::Frame;
use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;
use timed::chronyctl::Report;

#[derive(clap::Args)]
pub struct Args {
    /// Number of PPS offsets in the sparkline.
    #[arg(long, default_value_t = 120)]
    history: usize,
}

/// What the screen shows; updated from the stream, drawn on change.
struct State {
    view: Option<View>,
    assessment: Option<Assessment>,
    offsets: VecDeque<(u64, i64)>,
    history: usize,
    stream_error: Option<String>,
}

pub fn run(t: &Target, a: &Args, json: bool) -> Result<ExitCode, String> {
    let mut stream = watch(&t.socket)?;
    // The first answer decides between a stream and a refusal: a busy socket (all watcher
    // places taken) is said as such before the screen is taken over.
    let first = match stream.next_message() {
        Ok(m) => m,
        Err(e) if e.kind.is_busy() => return Ok(crate::fmt::busy("watch", &e.message)),
        Err(e) => return Err(e.message),
    };
    let (tx, rx) = mpsc::channel::<Result<Message, String>>();
    let _ = tx.send(Ok(first));
    std::thread::spawn(move || loop {
        let m = stream.next_message().map_err(String::from);
        let end = m.is_err();
        if tx.send(m).is_err() || end {
            return;
        }
    });
    let direct = t.chrony_socket.clone();
    let mut st = State {
        view: None,
        assessment: None,
        offsets: VecDeque::new(),
        history: a.history.max(2),
        stream_error: None,
    };
    let mut chrony: Option<Result<Report, String>> = None;
    let mut fold = |st: &mut State, m: Message| {
        if let Some(c) = &m.chrony {
            chrony = Some(Ok(c.clone()));
        }
        if let Some(p) = &direct {
            // Direct reads follow timed's 4 s cadence for chrony's part.
            if m.chrony.is_some() || chrony.is_none() {
                chrony = Some(crate::client::query_chrony(p));
            }
        }
        if let Some(h) = &m.timed {
            if let (Some(seq), Some(off)) = (h.pps.last_seq, h.pps.last_offset_ns) {
                if st.offsets.back().is_none_or(|(s, _)| *s != seq) && h.pps.state.is_locked() {
                    st.offsets.push_back((seq, off));
                    while st.offsets.len() > st.history {
                        st.offsets.pop_front();
                    }
                }
            }
        }
        let view = View {
            chrony: chrony
                .clone()
                .unwrap_or_else(|| Err(m.chrony_note.clone().unwrap_or("not read yet".into()))),
            chrony_from: direct.as_ref().map_or("via timed".into(), |p| p.display().to_string()),
            timed: Ok(m),
        };
        st.assessment = Some(assess(&view));
        st.view = Some(view);
    };
    if json {
        for m in rx {
            let m = m?;
            fold(&mut st, m);
            if let (Some(a), Some(v)) = (&st.assessment, &st.view) {
                let line = serde_json::json!({
                    "schema": timed::control::SCHEMA,
                    "verdict": a.verdict,
                    "reasons": a.reasons,
                    "pps_offset_ns": v.timed.as_ref().ok().and_then(|m| m.timed.as_ref()).and_then(|h| h.pps.last_offset_ns),
                });
                crate::fmt::print_out(&format!("{line}\n"))?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut term = ratatui::try_init().map_err(|e| format!("cannot use the terminal: {e}"))?;
    let result = (|| -> Result<(), String> {
        loop {
            let mut dirty = false;
            while let Ok(m) = rx.try_recv() {
                match m {
                    Ok(m) => fold(&mut st, m),
                    Err(e) => st.stream_error = Some(e),
                }
                dirty = true;
            }
            if dirty || st.view.is_none() {
                term.draw(|f| draw(f, &st)).map_err(|e| format!("drawing: {e}"))?;
            }
            if event::poll(Duration::from_millis(100)).map_err(|e| e.to_string())? {
                match event::read().map_err(|e| e.to_string())? {
                    Event::Key(k) if k.kind == KeyEventKind::Press => {
                        let ctrl_c =
                            k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                        if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c {
                            return Ok(());
                        }
                    }
                    Event::Resize(..) => {
                        term.draw(|f| draw(f, &st)).map_err(|e| format!("drawing: {e}"))?;
                    }
                    _ => {}
                }
            }
        }
    })();
    ratatui::restore();
    result.map(|_| ExitCode::SUCCESS)
}

fn draw(f: &mut Frame, st: &State) {
    let [top, mid, bottom] =
        Layout::vertical([Constraint::Length(6), Constraint::Min(8), Constraint::Length(4)]).areas(f.area());
    let [spark, hist] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(mid);
    let (Some(v), Some(a)) = (&st.view, &st.assessment) else {
        let p = Paragraph::new("waiting for timed…")
            .block(Block::default().borders(Borders::ALL).title("timectl watch"));
        f.render_widget(p, f.area());
        return;
    };
    let colour = match a.verdict {
        crate::verdict::Verdict::Ok => Color::Green,
        crate::verdict::Verdict::Degraded | crate::verdict::Verdict::Busy => Color::Yellow,
        crate::verdict::Verdict::Failing => Color::Red,
    };
    let mut lines = vec![Line::styled(format!("verdict: {}", a.verdict.name()), Style::default().fg(colour))];
    for r in &a.reasons {
        lines.push(Line::from(format!("{} {} — {}", r.severity.name(), r.message, r.fix)));
    }
    if let Some(e) = &st.stream_error {
        lines.push(Line::styled(format!("stream ended: {e}"), Style::default().fg(Color::Red)));
    }
    let title = "timectl watch (q quits)";
    f.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)), top);
    let offs: Vec<i64> = st.offsets.iter().map(|(_, o)| *o).collect();
    let (lo, hi) = (offs.iter().min().copied().unwrap_or(0), offs.iter().max().copied().unwrap_or(0));
    let data: Vec<u64> = offs.iter().map(|o| (o - lo) as u64).collect();
    let spark_title = match offs.last() {
        Some(last) => format!(
            "PPS offset, last {} samples: {} (min {}, max {})",
            offs.len(),
            secs(*last as f64 / 1e9),
            secs(lo as f64 / 1e9),
            secs(hi as f64 / 1e9)
        ),
        None => "PPS offset: no samples yet".into(),
    };
    f.render_widget(
        Sparkline::default().block(Block::default().borders(Borders::ALL).title(spark_title)).data(&data),
        spark,
    );
    let h = v.timed.as_ref().ok().and_then(|m| m.timed.as_ref());
    let bars = h.and_then(|h| h.stats.pps.as_ref()).map(|s| histogram_bars(&s.histogram)).unwrap_or_default();
    let chart = BarChart::default()
        .block(
            Block::default().borders(Borders::ALL).title("PPS offset histogram (bars: count ≤ upper bound)"),
        )
        .bar_width(5)
        .bar_gap(1)
        .data(BarGroup::default().bars(&bars));
    f.render_widget(chart, hist);
    let mut info = Vec::new();
    if let Some(h) = h {
        let rx = &h.receiver;
        info.push(Line::from(format!(
            "receiver {} {} · fix {} · sats {}/{} · tAcc {} ns · pps {} ({} edges)",
            rx.device,
            rx.serial_state,
            rx.fix,
            crate::fmt::opt(&rx.sats_used),
            crate::fmt::opt(&rx.sats_seen),
            crate::fmt::opt(&rx.tacc_ns),
            h.pps.state,
            h.pps.edges
        )));
    }
    info.push(Line::from(match &v.chrony {
        Ok(c) => match &c.tracking {
            Ok(t) => format!(
                "chrony stratum {} · reference {} · system offset {} · rms {}",
                t.stratum,
                t.ref_name,
                secs(t.system_offset_s),
                unsigned(t.rms_offset_s)
            ),
            Err(e) => format!("chrony: {e}"),
        },
        Err(e) => format!("chrony: {e}"),
    }));
    f.render_widget(Paragraph::new(info).block(Block::default().borders(Borders::ALL)), bottom);
}

/// Per-bucket counts from cumulative (upper bound, count) pairs, labelled by upper bound, with
/// the empty buckets at both ends dropped so the chart's width goes to the populated ones.
fn histogram_bars(cumulative: &[(f64, u64)]) -> Vec<Bar<'static>> {
    let mut prev = 0;
    let mut counts = Vec::new();
    for (bound, c) in cumulative {
        let label = if bound.is_finite() { secs(*bound).replace(' ', "") } else { "more".into() };
        counts.push((label, c.saturating_sub(prev)));
        prev = *c;
    }
    let first = counts.iter().position(|(_, n)| *n > 0).unwrap_or(0);
    let last = counts.iter().rposition(|(_, n)| *n > 0).unwrap_or(0);
    counts
        .into_iter()
        .enumerate()
        .filter(|(i, _)| (first..=last).contains(i))
        .map(|(_, (label, n))| Bar::default().value(n).label(Line::from(label)))
        .collect()
}
