//! The session's pieces that need no state of their own: the requests it sends for each item
//! (one VALGET per key, one poll per legacy message), the messages that set what differs, and
//! why detection failed.

use super::items::ItemId;
use super::items::Msg;
use super::legacy::{Carrier, Readout};
use super::SurveyResult;
use super::{Failure, Interface, ItemReport, Outcome};
use crate::ubx::cfg::{CLASS_CFG, ID_VALGET, ID_VALSET};
use crate::ubx::valset::{self, KeyValue, Layers};
use crate::ubx::Ubx;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Seen {
    pub bytes: usize,
    pub nmea: usize,
    pub ubx: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Query {
    /// One VALGET for every key of the plan (at most 64 keys per VALGET, §3.10.27; a plan has
    /// fewer). A receiver that lacks one key NAKs it whole: then [`Query::Key`] one by one.
    Batch,
    Key(ItemId),
    Legacy(Carrier),
    Survey(Msg),
}

#[derive(Clone, Debug)]
pub(super) struct Step {
    pub bytes: Vec<u8>,
    pub ack: (u8, u8),
    pub items: Vec<usize>,
    pub baud: Option<u32>,
    /// Sent instead when this step is NAKed: the same items one per message, so the NAK names
    /// the item (a VALSET is applied whole or not at all, §3.10.28).
    pub split: Vec<Step>,
}

/// The messages that set what differs: one VALSET per key, or one legacy message per
/// carrier; the speed last.
pub(super) fn steps(items: &[ItemReport], iface: Interface, readout: &Readout, save: bool) -> Vec<Step> {
    let todo = |i: &ItemReport| i.outcome == Outcome::NotSent;
    let wanted: Vec<(ItemId, i64)> = items.iter().map(|i| (i.item.id, i.item.wanted)).collect();
    let baud_idx = items.iter().position(|i| i.item.id == ItemId::UartBaud && todo(i));
    let mut steps = Vec::new();
    match iface {
        Interface::Keys => {
            let layers = if save { Layers::RamBbrFlash } else { Layers::Ram };
            let kv = |i: &ItemReport| KeyValue { key: i.item.id.key(), raw: i.item.wanted as u64 };
            let one = |n: usize, i: &ItemReport, baud: Option<u32>| Step {
                bytes: valset::valset(layers, &[kv(i)]),
                ack: (CLASS_CFG, ID_VALSET),
                items: vec![n],
                baud,
                split: Vec::new(),
            };
            let todo_items: Vec<(usize, &ItemReport)> =
                items.iter().enumerate().filter(|(n, i)| todo(i) && Some(*n) != baud_idx).collect();
            // All in one VALSET (the plan has fewer than the 64 keys one may carry, §3.10.28);
            // the speed alone and last.
            if !todo_items.is_empty() {
                let all: Vec<KeyValue> = todo_items.iter().map(|(_, i)| kv(i)).collect();
                steps.push(Step {
                    bytes: valset::valset(layers, &all),
                    ack: (CLASS_CFG, ID_VALSET),
                    items: todo_items.iter().map(|(n, _)| *n).collect(),
                    baud: None,
                    split: todo_items.iter().map(|(n, i)| one(*n, i, None)).collect(),
                });
            }
            if let Some(n) = baud_idx {
                steps.push(one(n, &items[n], u32::try_from(items[n].item.wanted).ok()));
            }
        }
        Interface::Legacy => {
            let mut carriers: Vec<Carrier> = Vec::new();
            for i in items.iter().filter(|i| todo(i) && i.item.id != ItemId::UartBaud) {
                let c = Carrier::of(i.item.id);
                if !carriers.contains(&c) {
                    carriers.push(c);
                }
            }
            for c in carriers {
                let mine: Vec<(ItemId, i64)> = wanted
                    .iter()
                    .copied()
                    .filter(|(i, _)| Carrier::of(*i) == c && *i != ItemId::UartBaud)
                    .collect();
                let items = (0..items.len())
                    .filter(|&n| todo(&items[n]) && Carrier::of(items[n].item.id) == c && Some(n) != baud_idx)
                    .collect();
                steps.push(Step {
                    bytes: readout.set_message(c, &mine),
                    ack: c.class_id(),
                    items,
                    baud: None,
                    split: Vec::new(),
                });
            }
            if let Some(n) = baud_idx {
                let prt: Vec<(ItemId, i64)> =
                    wanted.iter().copied().filter(|(i, _)| Carrier::of(*i) == Carrier::Prt).collect();
                let baud = u32::try_from(items[n].item.wanted).ok();
                steps.push(Step {
                    bytes: readout.set_message(Carrier::Prt, &prt),
                    ack: Carrier::Prt.class_id(),
                    items: vec![n],
                    baud,
                    split: Vec::new(),
                });
            }
        }
    }
    steps
}

pub(super) fn detect_failure(tried: &[(u32, Seen)], old: Option<u32>) -> Failure {
    if let Some(old) = old {
        return Failure::LostAfterBaud { new: tried.first().map_or(0, |t| t.0), old };
    }
    let bauds: Vec<u32> = tried.iter().map(|t| t.0).collect();
    if let Some((b, _)) = tried.iter().find(|(_, s)| s.nmea > 0) {
        return Failure::NotUblox { baud: *b };
    }
    if tried.iter().any(|(_, s)| s.bytes > 0) {
        Failure::Garbled { bauds }
    } else {
        Failure::Silent { bauds }
    }
}

impl Query {
    /// The poll that reads this query's items.
    pub(super) fn bytes(self, batch: &[ItemId]) -> Vec<u8> {
        match self {
            Query::Batch => valset::valget_poll(&batch.iter().map(|i| i.key()).collect::<Vec<_>>()),
            Query::Key(item) => valset::valget_poll(&[item.key()]),
            Query::Legacy(c) => c.poll(),
            Query::Survey(m) => {
                let (c, i) = m.class_id();
                crate::framer::ubx_frame(c, i, &[])
            }
        }
    }
}

/// What one read pass collected.
#[derive(Clone, Debug, Default)]
pub(super) struct Readings {
    pub readout: Readout,
    pub keyvals: Vec<KeyValue>,
    pub survey: Option<SurveyResult>,
}

impl Readings {
    /// Keep a frame that answers `q`: `Some(true)` answered, `Some(false)` refused (ACK-NAK),
    /// `None` not about `q`.
    pub(super) fn take(&mut self, q: Query, class: u8, id: u8, p: &[u8], msg: Option<&Ubx>) -> Option<bool> {
        let nak = |c: u8, i: u8| matches!(msg, Some(Ubx::Nak { class, id }) if (*class, *id) == (c, i));
        match q {
            Query::Batch => {
                if (class, id) == (CLASS_CFG, ID_VALGET) {
                    self.keyvals.extend(valset::valget_decode(p).unwrap_or_default());
                    Some(true)
                } else {
                    nak(CLASS_CFG, ID_VALGET).then_some(false)
                }
            }
            Query::Key(item) => {
                if (class, id) == (CLASS_CFG, ID_VALGET) {
                    let kvs = valset::valget_decode(p).unwrap_or_default();
                    let hit = kvs.iter().find(|kv| kv.key == item.key()).copied();
                    self.keyvals.extend(hit);
                    hit.map(|_| true)
                } else {
                    nak(CLASS_CFG, ID_VALGET).then_some(false)
                }
            }
            Query::Legacy(c) => {
                if c.answers(class, id, p) {
                    self.readout.store(c, p);
                    Some(true)
                } else {
                    let (cc, ci) = c.class_id();
                    nak(cc, ci).then_some(false)
                }
            }
            Query::Survey(m) => ((class, id) == m.class_id()).then(|| {
                self.note_survey(msg);
                true
            }),
        }
    }

    /// Keeps a NAV-SVIN (F9 §3.15.14) or TIM-SVIN (M8 §32.18.3) frame's survey state, as the
    /// stream decoder decoded it.
    /// A finished survey, once seen, is kept for the session: it is the position the plan
    /// fixes, and what the report hands on (timed gives it back after a power cycle). A later
    /// unfinished report does not replace it: after the session's own switch to fixed mode the
    /// receiver reports no survey, and one answering a poll ahead of its periodic output can
    /// send the older state last.
    pub(super) fn note_survey(&mut self, msg: Option<&Ubx>) {
        if let Some(Ubx::Svin(s)) = msg {
            let new = SurveyResult::from_svin(s);
            if new.done || !self.survey.is_some_and(|old| old.done) {
                self.survey = Some(new);
            }
        }
    }

    /// Each item's value in this pass as its read-back, and whether it equals the plan.
    pub(super) fn read_back(&self, iface: Interface, items: &mut [ItemReport]) {
        for i in items {
            i.read_back = self.current(iface, i.item.id);
            i.equal = super::Item { current: i.read_back, ..i.item.clone() }.equal();
        }
    }

    /// The receiver's value of an item in this pass.
    pub(super) fn current(&self, iface: Interface, item: ItemId) -> Option<i64> {
        match iface {
            Interface::Legacy => self.readout.current(item),
            Interface::Keys => self.keyvals.iter().find(|kv| kv.key == item.key()).map(|kv| {
                if item.signed() {
                    kv.signed()
                } else {
                    kv.raw as i64
                }
            }),
        }
    }
}
