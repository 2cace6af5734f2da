//! The announced leap second as the engine needs it: the leap indicator for samples on the day
//! that ends with it, and the one place where the pulse count may move because of a label.
//!
//! At an inserted leap second Unix time repeats a second (23:59:60 and 00:00:00 both map to the
//! same Unix second), at a deleted one it skips one, so the receiver's labels move one second
//! against the pulse count at that instant. That is the only label jump the engine follows, and
//! only when the receiver announced it (NAV-TIMELS, u-blox 8 protocol spec §32.17.26) for that
//! very midnight. Samples from the ambiguous seconds around it are withheld (chrony drops
//! refclock samples close to a leap second itself).

use super::{Reject, NS};
use crate::chrony::Leap;
use crate::epoch::Epoch;
use crate::leaplist::LeapList;
use crate::time::{Date, GPS_EPOCH_UNIX};

/// How far (seconds, by the count) from the leap's midnight a label jump counts as the leap.
const JUMP_WINDOW_S: i64 = 3;

#[derive(Clone, Debug, Default)]
pub(super) struct LeapWatch {
    /// The announced change: the Unix second of the midnight it happens at, and +1 or −1.
    announced: Option<(i64, i8)>,
    /// The system's leap-seconds list, checked against the receiver.
    list: Option<LeapList>,
    /// With the list expired: take the receiver's word (`true`) or set no leap indication.
    trust_receiver_when_expired: bool,
}

impl LeapWatch {
    /// Takes the epoch's leap knowledge. The announcement is kept for a day past its midnight:
    /// a receiver may stop announcing the moment the leap has happened, and the labels jump then.
    pub fn note(&mut self, epoch: &Epoch) {
        if let Some(ev) = epoch.leap.event {
            // dateOfLsGpsDn: 1 = Sunday (u-blox 8 protocol spec §32.17.26); GPS weeks start Sunday.
            let days = i64::from(ev.gps_week) * 7 + i64::from(ev.gps_day.saturating_sub(1));
            let day = Date::from_days_since_unix_epoch(GPS_EPOCH_UNIX / 86_400 + days);
            let midnight = (day.days_since_unix_epoch() + 1) * 86_400;
            self.announced = Some((midnight, ev.change));
        } else if let (Some((midnight, _)), Some(t)) = (self.announced, epoch.time) {
            if t.unix().0 > midnight + 86_400 {
                self.announced = None;
            }
        }
    }

    pub fn set_list(&mut self, list: Option<LeapList>, trust_receiver_when_expired: bool) {
        self.list = list;
        self.trust_receiver_when_expired = trust_receiver_when_expired;
    }

    /// The leap indicator for a sample at UTC `true_ns`: set during the UTC day that ends with
    /// the announced leap second, as chrony expects it — and only when that day is 30 June or
    /// 31 December (the only days IERS schedules leap seconds at the end of, and the only days
    /// chrony takes an indication on), and, with a leap-seconds list, only when the list says
    /// the same. An expired list vouches for nothing: then the receiver's word counts only if
    /// the policy says so.
    pub fn indicator(&self, true_ns: i64) -> Leap {
        let unix_day = true_ns.div_euclid(NS).div_euclid(86_400);
        let day_end = (unix_day + 1) * 86_400;
        let Some((midnight, change)) = self.announced.filter(|(m, _)| *m == day_end) else {
            return Leap::Normal;
        };
        let date = Date::from_days_since_unix_epoch(unix_day);
        if !matches!((date.month, date.day), (6, 30) | (12, 31)) {
            return Leap::Normal;
        }
        let agrees = match &self.list {
            None => true,
            Some(l) if l.is_expired(midnight) => self.trust_receiver_when_expired,
            Some(l) => l.leap_at_end_of_day(unix_day) == Some(change),
        };
        match (agrees, change > 0) {
            (false, _) => Leap::Normal,
            (true, true) => Leap::InsertSecond,
            (true, false) => Leap::DeleteSecond,
        }
    }

    /// Whether the receiver's GPS−UTC count disagrees with an unexpired list at its epoch time
    /// (a receiver on its firmware's default count labels every second wrong).
    pub fn count_disagrees(&self, e: &Epoch) -> bool {
        let (Some(list), Some(count), Some(t)) = (&self.list, e.leap.current_s, e.time) else {
            return false;
        };
        let s = t.unix().0;
        !list.is_expired(s) && list.gps_utc_at(s).is_some_and(|l| l != i32::from(count))
    }

    /// Whether a label `by_s` seconds off the count, at counted second `counted`, is the
    /// announced leap second.
    pub fn explains(&self, counted: i64, by_s: i64) -> bool {
        self.announced
            .is_some_and(|(m, change)| (counted - m).abs() <= JUMP_WINDOW_S && by_s == -i64::from(change))
    }

    /// A disagreement near the leap is the leap's, not a wrong second.
    pub fn excuse(&self, second: i64) -> Option<Reject> {
        self.announced.and_then(|(m, _)| ((second - m).abs() <= JUMP_WINDOW_S).then_some(Reject::LeapSecond))
    }

    /// Withholds samples for the seconds next to the leap, whose Unix labels are ambiguous.
    pub fn withhold(&self, second: i64) -> Result<(), Reject> {
        match self.announced {
            Some((m, _)) if (second - m).abs() <= 1 => Err(Reject::LeapSecond),
            _ => Ok(()),
        }
    }
}
