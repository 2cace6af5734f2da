//! Epoch assembly: groups one navigation epoch's burst of NMEA and UBX messages into one
//! [`Epoch`] carrying the time the receiver labels that epoch with, how far the receiver vouches
//! for it, the fix, satellites, time accuracy, leap-second state, the TIM-TP time of the next
//! pulse and antenna / jamming / spoofing state.
//!
//! Epoch boundaries come from the messages themselves: every UBX navigation message carries the
//! epoch's GPS time of week (iTOW) and every timed NMEA sentence its UTC time of day. A message
//! whose time differs from the current epoch's starts a new epoch; UBX-NAV-EOE ends one
//! (u-blox 8 protocol spec §32.17.6, "NAV-EOE: End Of Epoch"). A mixed stream is compared through
//! the GPS−UTC offset learnt from NAV-PVT / NAV-TIMEUTC, which carry both. The daemon can also
//! close an epoch after a quiet gap on the wire ([`Assembler::idle`]); time is passed in.

mod fold;
mod survey;
mod types;

pub use survey::{ecef_to_llh, TimeMode};
pub use types::*;

use crate::nmea::Nmea;
use crate::ubx::Ubx;

/// One decoded message, NMEA or UBX.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    Nmea(Nmea),
    Ubx(Ubx),
}

impl Message {
    /// Short stable name (`UBX-NAV-PVT`, `RMC`…) for per-message statistics.
    pub fn kind(&self) -> &'static str {
        use crate::ubx::Ubx as U;
        match self {
            Message::Ubx(u) => match u {
                U::NavPvt(_) => "UBX-NAV-PVT",
                U::NavTimeUtc(_) => "UBX-NAV-TIMEUTC",
                U::NavTimeGps(_) => "UBX-NAV-TIMEGPS",
                U::NavTimeLs(_) => "UBX-NAV-TIMELS",
                U::NavStatus(_) => "UBX-NAV-STATUS",
                U::NavSat(_) => "UBX-NAV-SAT",
                U::NavSol(_) => "UBX-NAV-SOL",
                U::NavEoe { .. } => "UBX-NAV-EOE",
                U::Svin(_) => "UBX-SVIN",
                U::TimTp(_) => "UBX-TIM-TP",
                U::MonHw(_) => "UBX-MON-HW",
                U::MonRf(_) => "UBX-MON-RF",
                U::MonVer(_) => "UBX-MON-VER",
                U::SecSig(_) => "UBX-SEC-SIG",
                U::Ack { .. } | U::Nak { .. } => "UBX-ACK",
                U::Other { .. } => "UBX-other",
            },
            Message::Nmea(n) => match n {
                Nmea::Rmc(_) => "RMC",
                Nmea::Zda(_) => "ZDA",
                Nmea::Gga(_) => "GGA",
                Nmea::Gns(_) => "GNS",
                Nmea::Gsa(_) => "GSA",
                Nmea::Gsv(_) => "GSV",
                Nmea::Txt(_) => "TXT",
                Nmea::Pubx04(_) => "PUBX04",
                Nmea::Other { kind, .. } => match kind {
                    b"GLL" => "GLL",
                    b"GST" => "GST",
                    b"GBS" => "GBS",
                    b"VTG" => "VTG",
                    _ => "NMEA-other",
                },
            },
        }
    }
}

/// Receive time of a byte, as the serial adapter stamped the read that carried it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct RxStamp {
    /// CLOCK_REALTIME, nanoseconds since the Unix epoch.
    pub realtime_ns: i64,
    /// CLOCK_MONOTONIC_RAW, nanoseconds: never stepped, never slewed (see the daemon's clock).
    pub monotonic_ns: i64,
}

/// Identifies which epoch a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    /// GPS time of week, ms (UBX navigation messages).
    Itow(u32),
    /// UTC milliseconds of day (NMEA sentences with a time field).
    Tod(u32),
}

const DAY_MS: u32 = 86_400_000;
const WEEK_MS: u32 = 604_800_000;

/// Assembles epochs. Feed every decoded message in stream order with [`Assembler::push`].
#[derive(Clone, Debug, Default)]
pub struct Assembler {
    cur: fold::Partial,
    /// GPS − UTC in whole seconds as the receiver applies it (learnt from messages carrying both).
    gps_utc_s: Option<i32>,
    /// Leap-second knowledge persists across epochs (NAV-TIMELS is sent rarely).
    leap: LeapState,
    /// The last full UTC date seen, with its millisecond of day, to date GGA/GNS-only epochs.
    last_date: Option<(crate::time::Date, u32)>,
    /// Full GPS week last seen, to date TIM-TP and NAV-SOL.
    last_week: Option<u16>,
    /// Antenna status from u-blox `$GPTXT ANTSTATUS=` (persisting, sent on change only).
    txt_antenna: Option<crate::ubx::AntennaStatus>,
    /// SEC-SIG's spoofing state (persisting: a receiver sends it at its own rate).
    sec_spoofing: Option<u8>,
    receiver: ReceiverInfo,
    /// GPS week before which an NMEA-only time is taken as a 1024-week rollover victim.
    week_pivot: Option<u32>,
}

impl Assembler {
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// Treats NMEA dates earlier than GPS week `pivot` (e.g. the firmware's release) as shifted
    /// back by the 10-bit week rollover and moves them forward 1024 weeks.
    pub fn with_week_pivot(mut self, pivot: u32) -> Assembler {
        self.week_pivot = Some(pivot);
        self
    }

    /// What the receiver said about itself (MON-VER, TXT banners), learnt so far.
    pub fn receiver(&self) -> &ReceiverInfo {
        &self.receiver
    }

    /// Adds one message that started at stream `offset` and whose first byte was received at
    /// `rx` (if the caller knows). Returns an epoch when this message completes one: either the
    /// previous epoch (this message belongs to a new one) or the current one (NAV-EOE).
    pub fn push(&mut self, msg: Message, offset: u64, rx: Option<RxStamp>) -> Option<Epoch> {
        self.learn(&msg);
        let key = key_of(&msg);
        let eoe = matches!(msg, Message::Ubx(Ubx::NavEoe { .. }));
        if let Some(k) = key {
            if self.cur.messages > 0 && !self.same_epoch(k) {
                let done = self.finish_current();
                if eoe {
                    // An end marker for an epoch we never saw: nothing to add it to.
                    return done;
                }
                self.cur.begin(offset, rx);
                self.cur.set_key(k);
                self.fold(msg, rx);
                return done;
            }
        }
        if self.cur.messages == 0 {
            self.cur.begin(offset, rx);
        } else if key.is_some() && self.cur.itow.is_none() && self.cur.tod.is_none() {
            // Only unkeyed messages so far (MON-RF or TXT sent after the previous NAV-EOE, as the
            // ZED-F9T does): they trail the previous burst. This epoch's burst, and its first
            // byte, start here.
            self.cur.begin(offset, rx);
        }
        if let Some(k) = key {
            self.cur.set_key(k);
        }
        self.fold(msg, rx);
        if eoe {
            return self.finish_current();
        }
        None
    }

    /// Ends the current epoch if any (end of a capture).
    pub fn flush(&mut self) -> Option<Epoch> {
        (self.cur.messages > 0).then(|| self.finish_current()).flatten()
    }

    /// Ends the current epoch when nothing has arrived for `gap_ns` (monotonic) since its last
    /// message: a receiver without NAV-EOE (NMEA only) has finished its burst by then.
    pub fn idle(&mut self, now: RxStamp, gap_ns: i64) -> Option<Epoch> {
        let last = self.cur.last_rx?;
        if self.cur.messages > 0 && now.monotonic_ns - last.monotonic_ns >= gap_ns {
            return self.finish_current();
        }
        None
    }

    /// Notes the receive time of the latest message of the current epoch (for [`Self::idle`]).
    pub fn touch(&mut self, rx: RxStamp) {
        if self.cur.messages > 0 {
            self.cur.last_rx = Some(rx);
        }
    }

    fn same_epoch(&self, k: Key) -> bool {
        // Before the receiver has told us GPS−UTC, use the published value for the epoch's date
        // (IERS Bulletin C): good enough to tell which second a message belongs to.
        let date = self.cur.date_hint().or(self.last_date.map(|(d, _)| d));
        let gps_utc_ms = Some(i64::from(self.gps_utc_s.unwrap_or_else(|| gps_utc_for(date))) * 1000);
        match k {
            Key::Itow(t) => {
                if let Some(cur) = self.cur.itow {
                    return cur == t;
                }
                match (self.cur.tod, gps_utc_ms) {
                    (Some(tod), Some(off)) => itow_to_tod(t, off) == tod % DAY_MS,
                    _ => true,
                }
            }
            Key::Tod(t) => {
                if let Some(cur) = self.cur.tod {
                    return cur == t;
                }
                match (self.cur.itow, gps_utc_ms) {
                    (Some(itow), Some(off)) => itow_to_tod(itow, off) == t % DAY_MS,
                    _ => true,
                }
            }
        }
    }

    fn finish_current(&mut self) -> Option<Epoch> {
        let part = std::mem::take(&mut self.cur);
        let epoch = part.finish(self);
        if let Some(t) = epoch.time {
            if epoch.time_valid || self.last_date.is_none() {
                self.last_date = Some((t.date, t.time.millis_of_day()));
            }
        }
        Some(epoch)
    }

    /// Knowledge that outlives an epoch: GPS−UTC offset, leap seconds, GPS week, receiver info.
    fn learn(&mut self, msg: &Message) {
        use crate::ubx::Ubx as U;
        match msg {
            Message::Ubx(U::NavPvt(p)) if p.valid_date && p.valid_time => {
                self.gps_utc_s =
                    derive_gps_utc(p.itow_ms, p.hour, p.min, p.sec, p.nano_ns).or(self.gps_utc_s);
            }
            Message::Ubx(U::NavTimeUtc(p)) if p.valid_tow && p.valid_utc => {
                self.gps_utc_s =
                    derive_gps_utc(p.itow_ms, p.hour, p.min, p.sec, p.nano_ns).or(self.gps_utc_s);
            }
            Message::Ubx(U::NavTimeGps(g)) => {
                if g.week_valid && g.week > 0 {
                    self.last_week = u16::try_from(g.week).ok();
                }
                if g.leap_valid || self.gps_utc_s.is_none() {
                    self.gps_utc_s = Some(i32::from(g.leap_s));
                }
                if g.leap_valid || self.leap.current_s.is_none() {
                    self.leap.current_s = Some(g.leap_s);
                    self.leap.valid = g.leap_valid;
                    self.leap.source = LeapSource::NavTimeGps;
                }
            }
            Message::Ubx(U::NavSol(s)) if s.week_valid && s.week > 0 => {
                self.last_week = u16::try_from(s.week).ok();
            }
            Message::Ubx(U::NavTimeLs(ls)) => self.leap.apply_timels(ls),
            Message::Ubx(U::MonVer(v)) => self.receiver.apply_monver(v),
            // Sent at its own rate, not every epoch: it holds until it says otherwise.
            Message::Ubx(U::SecSig(s)) => self.sec_spoofing = Some(s.spoofing()),
            Message::Nmea(Nmea::Txt(t)) => {
                if let Some(a) = self.receiver.apply_txt(&t.text) {
                    self.txt_antenna = Some(a);
                }
            }
            Message::Nmea(Nmea::Pubx04(p)) => {
                if let Some(l) = p.leap_s {
                    self.gps_utc_s = Some(i32::from(l));
                    if !p.leap_is_default || self.leap.current_s.is_none() {
                        self.leap.current_s = Some(l);
                        self.leap.valid = !p.leap_is_default;
                        self.leap.source = LeapSource::Pubx04;
                    }
                }
            }
            _ => {}
        }
        if let (Some(s), None) = (self.gps_utc_s, self.leap.current_s) {
            // Derived from a message carrying both GPS and UTC time (NAV-PVT / NAV-TIMEUTC).
            if let Ok(s) = i8::try_from(s) {
                self.leap.current_s = Some(s);
                self.leap.valid = false;
                self.leap.source = LeapSource::Derived;
            }
        }
    }

    fn fold(&mut self, msg: Message, rx: Option<RxStamp>) {
        self.cur.messages += 1;
        let kind = msg.kind();
        if self.cur.kinds.len() < 32 && !self.cur.kinds.iter().any(|(k, _)| *k == kind) {
            self.cur.kinds.push((kind, rx));
        }
        self.cur.last_rx = self.cur.last_rx.or(self.cur.rx);
        match msg {
            Message::Ubx(u) => self.cur.fold_ubx(u),
            Message::Nmea(n) => self.cur.fold_nmea(n),
        }
    }
}

fn key_of(msg: &Message) -> Option<Key> {
    use crate::ubx::Ubx as U;
    match msg {
        Message::Ubx(u) => match u {
            U::NavPvt(m) => Some(m.itow_ms),
            U::NavTimeUtc(m) => Some(m.itow_ms),
            U::NavTimeGps(m) => Some(m.itow_ms),
            U::NavTimeLs(m) => Some(m.itow_ms),
            U::NavStatus(m) => Some(m.itow_ms),
            U::NavSat(m) => Some(m.itow_ms),
            U::NavSol(m) => Some(m.itow_ms),
            U::NavEoe { itow_ms } => Some(*itow_ms),
            U::Svin(m) => m.itow_ms,
            _ => None,
        }
        .map(Key::Itow),
        Message::Nmea(n) => match n {
            Nmea::Rmc(m) => m.time,
            Nmea::Zda(m) => m.time,
            Nmea::Gga(m) => m.time,
            Nmea::Gns(m) => m.time,
            Nmea::Pubx04(m) => m.time,
            Nmea::Other { time, .. } => *time,
            _ => None,
        }
        .map(|t| Key::Tod(t.millis_of_day())),
    }
}

/// GPS − UTC in seconds in force on `date` (leap seconds since 1999; IERS Bulletin C). Unknown
/// date: the value in force since 2017-01-01.
fn gps_utc_for(date: Option<crate::time::Date>) -> i32 {
    const STEPS: [((i32, u8, u8), i32); 5] =
        [((2017, 1, 1), 18), ((2015, 7, 1), 17), ((2012, 7, 1), 16), ((2009, 1, 1), 15), ((2006, 1, 1), 14)];
    let Some(d) = date else { return 18 };
    STEPS.iter().find(|((y, m, dd), _)| (d.year, d.month, d.day) >= (*y, *m, *dd)).map_or(13, |(_, s)| *s)
}

/// UTC millisecond of day for a GPS time of week, given GPS−UTC in ms. An inserted leap second
/// 23:59:60 has the time of day 86 400 000 in NMEA, which this maps to 0: callers compare NMEA
/// times modulo [`DAY_MS`] (that second's iTOW, with the old GPS−UTC still in force, lands on
/// the next midnight's 0), or a UBX+NMEA receiver's :60 burst would be two epochs.
fn itow_to_tod(itow_ms: u32, gps_utc_ms: i64) -> u32 {
    (i64::from(itow_ms) - gps_utc_ms).rem_euclid(i64::from(DAY_MS)) as u32
}

/// GPS − UTC seconds from a message that gives both iTOW and UTC hh:mm:ss(.nano).
fn derive_gps_utc(itow_ms: u32, h: u8, m: u8, s: u8, nano_ns: i32) -> Option<i32> {
    if itow_ms >= WEEK_MS || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let tod_ms = (i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s)) * 1000
        + i64::from(nano_ns).div_euclid(1_000_000);
    let diff_ms = (i64::from(itow_ms) - tod_ms).rem_euclid(i64::from(DAY_MS));
    // GPS−UTC is a few tens of seconds; round to whole seconds.
    let secs = (diff_ms + 500) / 1000;
    (0..=255).contains(&secs).then_some(secs as i32)
}

#[cfg(test)]
mod tests;
