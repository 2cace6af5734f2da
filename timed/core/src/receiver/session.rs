//! The set-up session: detect, read, apply, read back. Driven by an adapter with bytes and the
//! time; answers with actions. One request is outstanding at a time, so every answer, ACK and
//! NAK belongs to exactly one request (a NAK does not say which key it refused, §3.10.28).

use super::identity::{Identity, Interface};
use super::items::{self, Item, ItemId, Msg};
use super::legacy::Carrier;
use super::steps::{detect_failure, steps, Query, Readings, Seen, Step};
use super::{Action, Detected, Failure, ItemReport, Op, Outcome, Report, Settings, TimeMode};
use crate::framer::{Frame, Framer};
use crate::ubx::cfg::{self, CLASS_CFG, ID_CFG};
use crate::ubx::{decode, Ubx};
use std::collections::VecDeque;

/// Speeds tried when the caller knows none (and after the one it knows): the factory 9600 first,
/// then what timed and most set-ups use, then the rest of 9600…921600.
pub const BAUDS: [u32; 8] = [9600, 115_200, 38_400, 230_400, 460_800, 921_600, 19_200, 57_600];
/// Listening time per speed; MON-VER is polled at the start and again half-way (a factory
/// receiver at 9600 baud may be mid-way through its NMEA burst when the first poll arrives).
const DWELL_MS: u64 = 900;
/// `detect`: listening time at the speed found, for the NMEA a receiver sends once per second.
const LISTEN_MS: u64 = 1_100;
/// Time to wait for a poll's answer or a set's ACK before sending it again.
const ANSWER_MS: u64 = 500;
/// Longest wait for NAV-SVIN / TIM-SVIN, polled or in the receiver's own output.
const SURVEY_MS: u64 = 1_100;
/// Sends per request (the first and two retries); then the item is reported, not retried.
const TRIES: u8 = 3;
/// After the speed change: time for the ACK to leave at the old speed before switching.
const BAUD_SWITCH_MS: u64 = 250;
/// Between reading and setting: lets late ACKs of the polls arrive and be dropped.
const SETTLE_MS: u64 = 150;

#[derive(Debug)]
enum Phase {
    Detect {
        bauds: Vec<u32>,
        idx: usize,
        since: u64,
        polls: u8,
        seen: Seen,
        tried: Vec<(u32, Seen)>,
        old: Option<u32>,
    },
    Read {
        queries: Vec<Query>,
        idx: usize,
        verify: bool,
    },
    Settle {
        until: u64,
    },
    Apply {
        steps: Vec<Step>,
        idx: usize,
    },
    BaudSwitch {
        until: u64,
        new: u32,
        old: u32,
    },
    Save,
    Finished,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    Got,
    Nak,
}

/// A set-up session (see the module documentation of [`super`]).
pub struct Session {
    op: Op,
    settings: Settings,
    phase: Phase,
    framer: Framer,
    out: VecDeque<Action>,
    deadline: u64,
    sent_at: u64,
    tries: u8,
    answer: Option<Answer>,
    detected: Option<Detected>,
    readings: Readings,
    /// The keys of the plan, read in one VALGET.
    batch: Vec<ItemId>,
    items: Vec<ItemReport>,
    saved: Option<bool>,
}

impl Session {
    /// Start `op`; `baud_hint` (the speed timed.toml names, or the last known) is tried first.
    pub fn new(op: Op, settings: Settings, baud_hint: Option<u32>, now_ms: u64) -> Session {
        let mut bauds: Vec<u32> = baud_hint.into_iter().collect();
        bauds.extend(BAUDS.iter().filter(|b| Some(**b) != baud_hint));
        let mut s = Session {
            op,
            settings,
            phase: Phase::Finished,
            framer: Framer::new(),
            out: VecDeque::new(),
            deadline: now_ms,
            sent_at: now_ms,
            tries: 0,
            answer: None,
            detected: None,
            readings: Readings::default(),
            batch: Vec::new(),
            items: Vec::new(),
            saved: None,
        };
        s.start_detect(bauds, None, now_ms);
        s
    }

    /// Bytes read from the port at `now_ms`.
    pub fn feed(&mut self, bytes: &[u8], now_ms: u64) {
        if let Phase::Detect { seen, .. } = &mut self.phase {
            seen.bytes += bytes.len();
        }
        let mut frames: Vec<(u8, u8, Vec<u8>, bool)> = Vec::new();
        self.framer.feed(bytes, |f| match f.frame {
            Frame::Nmea { .. } => frames.push((0, 0, Vec::new(), true)),
            Frame::Ubx { class, id, payload } => frames.push((class, id, payload.to_vec(), false)),
        });
        for (class, id, payload, nmea) in frames {
            self.on_frame(class, id, &payload, nmea, now_ms);
        }
    }

    /// The next action at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> Action {
        if let Some(a) = self.out.pop_front() {
            return a;
        }
        self.advance(now_ms);
        self.out.pop_front().unwrap_or(Action::Wait { until_ms: self.deadline.max(now_ms + 1) })
    }

    fn send(&mut self, bytes: Vec<u8>, now_ms: u64, wait_ms: u64) {
        self.out.push_back(Action::Send(bytes));
        self.sent_at = now_ms;
        self.deadline = now_ms + wait_ms;
        self.answer = None;
    }

    fn start_detect(&mut self, bauds: Vec<u32>, old: Option<u32>, now_ms: u64) {
        let first = bauds.first().copied().unwrap_or(9600);
        self.framer = Framer::new();
        self.out.push_back(Action::SetBaud(first));
        self.phase = Phase::Detect {
            bauds,
            idx: 0,
            since: now_ms,
            polls: 1,
            seen: Seen::default(),
            tried: Vec::new(),
            old,
        };
        self.send(cfg::mon_ver_poll(), now_ms, DWELL_MS / 2);
    }

    fn on_frame(&mut self, class: u8, id: u8, p: &[u8], nmea: bool, now_ms: u64) {
        let msg = if nmea { None } else { decode(class, id, p).ok() };
        // Survey progress as the receiver sends it each second (the plan enables it), polled
        // or not: the latest one is what a finished survey's position is taken from.
        self.readings.note_survey(msg.as_ref());
        match &mut self.phase {
            Phase::Detect { seen, bauds, idx, .. } => {
                if nmea {
                    seen.nmea += 1;
                    if let (Some(d), Some(Answer::Got)) = (self.detected.as_mut(), self.answer) {
                        d.nmea = true;
                    }
                } else {
                    seen.ubx += 1;
                }
                if let Some(Ubx::MonVer(v)) = msg {
                    let baud = bauds.get(*idx).copied().unwrap_or(0);
                    let (nmea, ubx) = (seen.nmea > 0, true);
                    self.detected = Some(Detected { baud, nmea, ubx, identity: Identity::from_mon_ver(&v) });
                    self.answer = Some(Answer::Got);
                    self.deadline = now_ms;
                }
            }
            Phase::Read { queries, idx, .. } => {
                let Some(&q) = queries.get(*idx) else { return };
                let got = self.readings.take(q, class, id, p, msg.as_ref()).map(|ok| {
                    if ok {
                        Answer::Got
                    } else {
                        Answer::Nak
                    }
                });
                if got.is_some() {
                    self.answer = got;
                    self.deadline = now_ms;
                }
            }
            Phase::Apply { steps, idx } => {
                let Some(step) = steps.get(*idx) else { return };
                match msg {
                    Some(Ubx::Ack { class, id }) if (class, id) == step.ack => {
                        self.answer = Some(Answer::Got)
                    }
                    Some(Ubx::Nak { class, id }) if (class, id) == step.ack => {
                        self.answer = Some(Answer::Nak)
                    }
                    _ => return,
                }
                self.deadline = now_ms;
            }
            Phase::Save => match msg {
                Some(Ubx::Ack { class: CLASS_CFG, id: ID_CFG }) => self.answer = Some(Answer::Got),
                Some(Ubx::Nak { class: CLASS_CFG, id: ID_CFG }) => self.answer = Some(Answer::Nak),
                _ => {}
            },
            Phase::Settle { .. } | Phase::BaudSwitch { .. } | Phase::Finished => {}
        }
    }

    fn advance(&mut self, now: u64) {
        if now < self.deadline && self.answer.is_none() {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Detect { bauds, mut idx, mut since, mut polls, mut seen, mut tried, old } => {
                if self.detected.is_some() && self.answer == Some(Answer::Got) {
                    // `detect` reports what the receiver sends by itself too: listen on for a
                    // second at this speed when no NMEA came yet (it comes once per second).
                    let listen = since + LISTEN_MS;
                    if self.op == Op::Detect && seen.nmea == 0 && now < listen {
                        self.deadline = listen;
                        self.phase = Phase::Detect { bauds, idx, since, polls, seen, tried, old };
                        return;
                    }
                    self.answer = None;
                    return self.on_detected(old, now);
                }
                if polls < 2 && now < since + DWELL_MS {
                    polls += 1;
                    self.send(cfg::mon_ver_poll(), now, since + DWELL_MS - now);
                } else if now >= since + DWELL_MS {
                    tried.push((bauds.get(idx).copied().unwrap_or(0), seen));
                    idx += 1;
                    let Some(&b) = bauds.get(idx) else {
                        return self.finish(Some(detect_failure(&tried, old)));
                    };
                    self.framer = Framer::new();
                    self.out.push_back(Action::SetBaud(b));
                    (since, polls, seen) = (now, 1, Seen::default());
                    self.send(cfg::mon_ver_poll(), now, DWELL_MS / 2);
                } else {
                    self.deadline = since + DWELL_MS;
                }
                self.phase = Phase::Detect { bauds, idx, since, polls, seen, tried, old };
            }
            Phase::Read { mut queries, mut idx, verify } => {
                if self.answer == Some(Answer::Nak) && queries.get(idx) == Some(&Query::Batch) {
                    // A key this receiver lacks: ask one by one, so the others are still read.
                    let per_key: Vec<Query> = self.batch.iter().copied().map(Query::Key).collect();
                    queries.splice(idx + 1..idx + 1, per_key);
                }
                let single = matches!(queries.get(idx), Some(Query::Survey(_)));
                if self.answer.is_none() && self.tries < if single { 1 } else { TRIES } {
                    // Timed out: ask again.
                    self.resend_query(&queries, idx, now);
                    self.phase = Phase::Read { queries, idx, verify };
                    return;
                }
                idx += 1;
                if idx < queries.len() {
                    self.tries = 0;
                    self.resend_query(&queries, idx, now);
                    self.phase = Phase::Read { queries, idx, verify };
                } else if verify {
                    self.read_back();
                } else {
                    self.planned(now);
                }
            }
            Phase::Settle { until } => {
                if now < until {
                    self.deadline = until;
                    self.phase = Phase::Settle { until };
                    return;
                }
                let steps = match self.identity() {
                    Some(id) => steps(&self.items, id.interface, &self.readings.readout, self.settings.save),
                    None => Vec::new(),
                };
                self.phase = Phase::Apply { steps, idx: usize::MAX };
                self.answer = Some(Answer::Got);
                self.advance(now);
            }
            Phase::Apply { steps, idx } => self.apply_step(steps, idx, now),
            Phase::BaudSwitch { until, new, old } => {
                if now < until {
                    self.deadline = until;
                    self.phase = Phase::BaudSwitch { until, new, old };
                    return;
                }
                self.start_detect(vec![new, old], Some(old), now);
            }
            Phase::Save => {
                if self.answer.is_none() && self.tries < TRIES {
                    self.tries += 1;
                    self.send(cfg::cfg_save_bbr_flash(), now, ANSWER_MS);
                    self.phase = Phase::Save;
                    return;
                }
                self.saved = Some(self.answer == Some(Answer::Got));
                self.start_read(true, now);
            }
            Phase::Finished => {}
        }
    }

    fn resend_query(&mut self, queries: &[Query], idx: usize, now: u64) {
        let Some(&q) = queries.get(idx) else { return };
        self.tries += 1;
        let bytes = q.bytes(&self.batch);
        // A receiver that does not answer the poll still sends it once per second.
        let wait = if matches!(q, Query::Survey(_)) { SURVEY_MS } else { ANSWER_MS };
        self.send(bytes, now, wait);
    }

    fn identity(&self) -> Option<&Identity> {
        self.detected.as_ref().map(|d| &d.identity)
    }

    fn on_detected(&mut self, old: Option<u32>, now: u64) {
        if old.is_some() {
            // Found again after the speed change: at the new speed means it switched.
            let at = self.detected.as_ref().map_or(0, |d| d.baud);
            for it in self.items.iter_mut().filter(|i| i.item.id == ItemId::UartBaud) {
                // (With --save the same speed may be written again: found at it, it is applied.)
                it.outcome = if i64::from(at) == it.item.wanted { Outcome::Applied } else { Outcome::NoAck };
            }
            if self.settings.save && self.identity().is_some_and(|i| i.interface == Interface::Legacy) {
                return self.start_save(now);
            }
            return self.start_read(true, now);
        }
        match self.op {
            Op::Detect => self.finish(None),
            _ => self.start_read(false, now),
        }
    }

    fn start_save(&mut self, now: u64) {
        self.phase = Phase::Save;
        self.tries = 1;
        self.send(cfg::cfg_save_bbr_flash(), now, ANSWER_MS);
    }

    fn start_read(&mut self, verify: bool, now: u64) {
        let Some(id) = self.identity().cloned() else { return self.finish(None) };
        let survey = self.readings.survey;
        self.readings = Readings { survey, ..Readings::default() };
        let wanted = items::wanted(&self.settings, &id);
        let mut queries: Vec<Query> = Vec::new();
        self.batch = wanted.iter().map(|(item, _)| *item).collect();
        for (item, _) in &wanted {
            let q = match id.interface {
                Interface::Keys => Query::Batch,
                Interface::Legacy => Query::Legacy(Carrier::of(*item)),
            };
            if !queries.contains(&q) {
                queries.push(q);
            }
        }
        if !verify
            && id.timing
            && matches!(self.settings.effective_time_mode(&id), Some(TimeMode::SurveyIn { .. }))
        {
            queries.push(Query::Survey(if id.interface == Interface::Keys {
                Msg::NavSvin
            } else {
                Msg::TimSvin
            }));
        }
        self.tries = 0;
        self.resend_query(&queries, 0, now);
        self.phase = Phase::Read { queries, idx: 0, verify };
    }

    fn planned(&mut self, now: u64) {
        let Some(id) = self.identity().cloned() else { return self.finish(None) };
        // A finished survey-in while the receiver is still in survey-in mode: keep its position
        // as the fixed one (so a power cycle does not start a new survey).
        let surveying = self.readings.current(id.interface, ItemId::TimeMode) == Some(1);
        if let (true, Some(s)) = (surveying, self.readings.survey.filter(|s| s.done)) {
            if self.settings.time_mode.is_none()
                || matches!(self.settings.time_mode, Some(TimeMode::SurveyIn { .. }))
            {
                self.settings = self.settings.with_surveyed(s);
            }
        }
        self.items = items::wanted(&self.settings, &id)
            .into_iter()
            .map(|(item, wanted)| {
                let it = Item { id: item, current: self.readings.current(id.interface, item), wanted };
                let via = match id.interface {
                    Interface::Keys => format!("0x{:08x}", item.key()),
                    Interface::Legacy => Carrier::of(item).name(),
                };
                let equal = it.equal();
                let outcome =
                    if equal && self.op == Op::Apply { Outcome::Unchanged } else { Outcome::NotSent };
                ItemReport { item: it, via, outcome, read_back: None, equal }
            })
            .collect();
        let keys_save = self.settings.save && id.interface == Interface::Keys;
        if self.op != Op::Apply || (self.items.iter().all(|i| i.equal) && !self.settings.save) {
            if self.op == Op::Apply {
                for i in &mut self.items {
                    i.read_back = i.item.current;
                }
            }
            return self.finish(None);
        }
        if keys_save {
            // Written to flash too: every item, not only those that differ in RAM.
            for i in &mut self.items {
                i.outcome = Outcome::NotSent;
            }
        }
        self.phase = Phase::Settle { until: now + SETTLE_MS };
        self.deadline = now + SETTLE_MS;
    }

    fn apply_step(&mut self, mut steps: Vec<Step>, idx: usize, now: u64) {
        if self.answer == Some(Answer::Nak) && steps.get(idx).is_some_and(|s| !s.split.is_empty()) {
            // Refused whole: send the same items one by one, so each NAK names its item.
            let split = std::mem::take(&mut steps[idx].split);
            steps.splice(idx + 1..idx + 1, split);
        } else if let Some(step) = steps.get(idx) {
            if self.answer.is_none() && self.tries < TRIES {
                self.tries += 1;
                self.send(step.bytes.clone(), now, ANSWER_MS);
                self.phase = Phase::Apply { steps, idx };
                return;
            }
            let outcome = match self.answer {
                Some(Answer::Got) => Outcome::Applied,
                Some(Answer::Nak) => Outcome::Nak,
                None => Outcome::NoAck,
            };
            for &n in &step.items {
                if let Some(i) = self.items.get_mut(n) {
                    i.outcome = outcome;
                }
            }
        }
        let next = idx.wrapping_add(1);
        let Some(step) = steps.get(next).cloned() else {
            return self.after_steps(now);
        };
        self.tries = 1;
        self.send(step.bytes.clone(), now, ANSWER_MS);
        if let Some(new) = step.baud {
            // The receiver may switch before its ACK is out: the proof is finding it at the new
            // speed, not the ACK (re-detect below).
            let old = self.detected.as_ref().map_or(9600, |d| d.baud);
            self.deadline = now + BAUD_SWITCH_MS;
            self.phase = Phase::BaudSwitch { until: now + BAUD_SWITCH_MS, new, old };
            return;
        }
        self.phase = Phase::Apply { steps, idx: next };
    }

    fn after_steps(&mut self, now: u64) {
        if self.settings.save && self.identity().is_some_and(|i| i.interface == Interface::Legacy) {
            return self.start_save(now);
        }
        self.start_read(true, now);
    }

    fn read_back(&mut self) {
        if let Some(id) = self.identity() {
            self.readings.read_back(id.interface, &mut self.items);
        }
        self.finish(None);
    }

    fn finish(&mut self, failure: Option<Failure>) {
        self.phase = Phase::Finished;
        let report = Report {
            op: self.op,
            detected: self.detected.clone(),
            items: std::mem::take(&mut self.items),
            failure,
            saved: self.saved,
            survey: self.readings.survey,
        };
        self.out.push_back(Action::Done(report));
    }
}
