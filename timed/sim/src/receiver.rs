//! The receiver model's state machine (sans-IO): configuration layers, the UBX input it obeys
//! (legacy CFG-*, CFG-VALSET/VALGET/VALDEL, MON-VER polls), the replies it sends, and what a
//! power cycle or CFG-RST does to it. The scheduler feeds it the frames the host wrote and
//! puts the replies on the line; the burst and the pulse follow [`Receiver::config`].
//!
//! Layers (F9 interface description, "Configuration layers"; u-blox 8 protocol spec,
//! "Configuration concept"): RAM is the configuration in use; BBR (battery-backed RAM) and
//! Flash hold what was saved; Default is the firmware's. At start the RAM layer is built as
//! Default, overridden by Flash, overridden by BBR. Without a backup battery the BBR is lost
//! with the power, so only Flash survives a power cycle.

use crate::keys::{self, Config, Items, Msg};
use crate::model::{self, Part};
use crate::scenario::Scenario;
use crate::survey::Survey;
use timed_core::framer::ubx_frame;

/// What one input frame made the receiver do.
#[derive(Debug, Default, PartialEq)]
pub struct Reply {
    /// Frames to send, in order (a polled message before its ACK).
    pub frames: Vec<Vec<u8>>,
    /// The UART speed changed: switch once these frames are out (u-blox 8 protocol spec,
    /// CFG-PRT: the acknowledgement goes out at the old speed).
    pub baud_after: Option<u32>,
}

/// Result of a CFG message, before it is framed.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Ack,
    /// A polled message or VALGET answer (already framed), then ACK-ACK.
    Poll(Vec<u8>),
    Nak,
    /// No answer at all (CFG-RST is never acknowledged).
    Silent,
}

pub struct Receiver {
    pub part: Part,
    pub default: Items,
    pub ram: Items,
    pub bbr: Items,
    pub flash: Items,
    /// A backup battery keeps the BBR layer through a power cycle.
    pub battery: bool,
    /// No `--model`: the simulator's own MON-VER (naming itself) sent beside MON-RF.
    pub sim_identity: bool,
    /// An open CFG-VALSET transaction: its layers and the items collected so far.
    pub txn: Option<(u8, Vec<(u32, u64)>)>,
    pub survey: Survey,
    /// The survey as the second now being sent reports it (the scheduler sets it at each
    /// edge): what polls of NAV-SVIN/TIM-SVIN answer.
    pub reported_survey: Survey,
    /// Writes to the Flash layer (a figure: configuring without `--save` must make none).
    pub flash_writes: u64,
    /// GPS time of week of the latest epoch, ms (for polled NAV messages).
    pub itow_ms: u32,
}

impl Receiver {
    /// `factory`: as the part ships; otherwise configured as the simulator always was, that
    /// configuration standing in Flash (so a power cycle keeps it).
    pub fn new(part: Part, factory: bool, s: &Scenario, battery: bool, sim_identity: bool) -> Receiver {
        let default = keys::factory(part);
        let flash = if factory {
            Items::new()
        } else {
            model::configured(part, s).into_iter().filter(|(k, v)| default.get(k) != Some(v)).collect()
        };
        let mut r = Receiver {
            part,
            default,
            ram: Items::new(),
            bbr: Items::new(),
            flash,
            battery,
            sim_identity,
            txn: None,
            survey: Survey::default(),
            reported_survey: Survey::default(),
            flash_writes: 0,
            itow_ms: 0,
        };
        r.boot();
        r
    }

    /// RAM from Default, Flash and BBR, in that order of precedence (lowest first).
    fn boot(&mut self) {
        let mut ram = self.default.clone();
        ram.extend(self.flash.iter().map(|(k, v)| (*k, *v)));
        ram.extend(self.bbr.iter().map(|(k, v)| (*k, *v)));
        self.ram = ram;
        self.txn = None;
        self.survey = Survey::default();
        self.reported_survey = Survey::default();
    }

    pub fn config(&self) -> Config {
        Config::from_items(&self.ram)
    }

    /// What the burst of a second follows.
    pub fn output(&self) -> crate::burst::Output {
        crate::burst::Output {
            cfg: self.config(),
            part: self.part,
            monver: self.sim_identity.then(|| crate::ubx::mon_ver_of(self.identity())),
            survey: self.survey,
        }
    }

    /// One simulated second passes (`fix`: the receiver has one; `itow_ms`: its GPS time of
    /// week): the survey-in advances.
    pub fn tick(&mut self, index: u64, fix: bool, itow_ms: u32, truth: &crate::scenario::Position) {
        self.itow_ms = itow_ms;
        let tm = self.config().tmode;
        self.survey.note_config(&tm, index);
        self.survey.tick(&tm, index, fix, truth);
    }

    /// Power back after a `power_cycle`: RAM is rebuilt from what was saved; the BBR survives
    /// only with a backup battery.
    pub fn power_cycle(&mut self) {
        if !self.battery {
            self.bbr.clear();
        }
        self.boot();
    }

    /// The layered value of `key` without RAM (what a load or a reset restores).
    pub fn saved(&self, key: u32) -> Option<u64> {
        self.bbr.get(&key).or(self.flash.get(&key)).or(self.default.get(&key)).copied()
    }

    /// One UBX frame from the host, in simulated second `index`.
    pub fn handle(&mut self, class: u8, id: u8, payload: &[u8], index: u64) -> Reply {
        let before = self.config();
        if !before.in_ubx {
            // UBX input switched off on this port: the frame is not even parsed.
            return Reply::default();
        }
        let outcome = match (class, id) {
            // Polls of output messages (empty payload) are answered without an ACK (u-blox 8
            // protocol spec, "Polling mechanism").
            (0x0A, 0x04) if payload.is_empty() => {
                return Reply { frames: vec![crate::ubx::mon_ver_of(self.identity())], baud_after: None };
            }
            (0x01, 0x3B) if payload.is_empty() && Msg::NavSvin.on(self.part) => {
                return Reply {
                    frames: vec![crate::survey::nav_svin(&self.reported_survey, self.itow_ms)],
                    baud_after: None,
                };
            }
            (0x0D, 0x04) if payload.is_empty() && Msg::TimSvin.on(self.part) => {
                return Reply {
                    frames: vec![crate::survey::tim_svin(&self.reported_survey)],
                    baud_after: None,
                };
            }
            (0x06, 0x8A..=0x8C) => {
                if self.part.has_valset() {
                    crate::valcfg::handle(self, id, payload)
                } else {
                    Outcome::Nak
                }
            }
            (0x06, _) => {
                // Any other CFG message cancels a started VALSET transaction (F9 interface
                // description, UBX-CFG-VALSET "Notes").
                self.txn = None;
                crate::legacy::handle(self, id, payload)
            }
            _ => return Reply::default(),
        };
        let mut frames = Vec::new();
        match outcome {
            Outcome::Ack => frames.push(ack(true, class, id)),
            Outcome::Poll(msg) => {
                frames.push(msg);
                frames.push(ack(true, class, id));
            }
            Outcome::Nak => frames.push(ack(false, class, id)),
            Outcome::Silent => {}
        }
        let after = self.config();
        if after.tmode != before.tmode {
            // A new time mode starts over (a survey-in restarts when its settings change).
            self.survey = Survey::default();
            self.survey.note_config(&after.tmode, index);
        }
        let baud_after = (after.baud != before.baud).then_some(after.baud);
        Reply { frames, baud_after }
    }

    /// MON-VER strings: the part's, or the simulator's own without `--model`.
    pub fn identity(&self) -> (&'static str, &'static str, &'static [&'static str]) {
        if self.sim_identity {
            crate::ubx::SIM_IDENTITY
        } else {
            self.part.mon_ver()
        }
    }

    /// Checks a RAM configuration before it is applied (F9 interface description,
    /// UBX-CFG-VALSET: "no configuration is applied if the requested configuration is not
    /// valid"; the legacy messages NAK the same values).
    pub fn valid(&self, ram: &Items) -> bool {
        let c = Config::from_items(ram);
        let bauds = [4_800, 9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600];
        bauds.contains(&c.baud)
            && matches!(c.dyn_model, 0 | 2..=8)
            && c.tmode.mode <= 2
            && c.tp.period_us > 0
            && c.tp.period_lock_us > 0
            && c.tp.len_us <= c.tp.period_us
            && c.tp.len_lock_us <= c.tp.period_lock_us
            && crate::gnss::valid(self.part, c.gnss_mask)
    }

    /// Sets RAM items after checking the result; false (nothing applied) when invalid.
    pub fn set_ram(&mut self, items: &[(u32, u64)]) -> bool {
        let mut ram = self.ram.clone();
        ram.extend(items.iter().copied());
        if !self.valid(&ram) {
            return false;
        }
        self.ram = ram;
        true
    }
}

/// ACK-ACK (05 01) or ACK-NAK (05 00) naming the message's class and id.
pub fn ack(ok: bool, class: u8, id: u8) -> Vec<u8> {
    ubx_frame(0x05, u8::from(ok), &[class, id])
}

#[cfg(test)]
#[path = "receiver_tests.rs"]
mod tests;
