//! chrony's NTP sources as the engine's time-shift check needs them (timed-core's
//! `engine::sources`): which of chronyd's sources are independent clocks worth comparing the
//! receiver with, read here because this module owns what chronyd's source modes and states mean.

use super::Source;
use timed_core::engine::sources::PeerOffset;

impl Source {
    /// This source as a peer to hold the receiver against: an NTP server or peer (not a
    /// refclock, which may be timed itself), reached lately and with a sample no older than four
    /// polls, whatever chrony made of it in selection except `jittery`: falsetickers count (a
    /// receiver chrony trusts can make the servers look false) and so do `unusable` ones with a
    /// recent sample (a `noselect` server, kept as a witness only). chrony measures a source against its
    /// own time, which is the system clock plus `chrony_minus_system_s` (tracking's "System
    /// time": the correction still to slew, or under `-x` all of it); the engine wants the source
    /// against the system clock, as its own samples are.
    pub fn peer_offset(&self, chrony_minus_system_s: f64) -> Option<PeerOffset> {
        let network = matches!(self.mode.as_str(), "server" | "peer");
        let usable = self.state != "jittery";
        let poll_s = 2f64.powi(i32::from(self.poll.clamp(-6, 24)));
        let recent = self.last_rx_ago_s.is_some_and(|ago| f64::from(ago) <= 4.0 * poll_s.max(16.0));
        (network && usable && self.reach != 0 && recent).then_some(PeerOffset {
            true_minus_system_s: chrony_minus_system_s - self.last_offset_s,
            error_s: self.last_error_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(mode: &str, state: &str, reach: u8, ago: Option<u32>) -> Source {
        Source {
            index: 0,
            address: "192.0.2.1".into(),
            name: "ntp1".into(),
            mode: mode.into(),
            state: state.into(),
            state_code: 0,
            stratum: 2,
            poll: 6,
            reach,
            last_rx_ago_s: ago,
            last_offset_s: 0.004,
            last_offset_orig_s: 0.004,
            last_error_s: 0.002,
            options: None,
            stats: Err("none".into()),
        }
    }

    #[test]
    fn only_reached_recent_usable_network_sources_are_peers() {
        let p = source("server", "candidate", 0o377, Some(30)).peer_offset(0.0);
        assert_eq!(p, Some(PeerOffset { true_minus_system_s: -0.004, error_s: 0.002 }), "sign turned");
        // chrony's time 1 ms ahead of the system clock: the source is 1 ms further ahead of it.
        let p = source("server", "candidate", 0o377, Some(30)).peer_offset(0.001);
        assert!(p.is_some_and(|p| (p.true_minus_system_s + 0.003).abs() < 1e-12), "{p:?}");
        assert!(source("peer", "falseticker", 1, Some(30)).peer_offset(0.0).is_some());
        assert!(source("refclock", "selected", 0o377, Some(1)).peer_offset(0.0).is_none());
        assert!(source("server", "unusable", 0o377, Some(30)).peer_offset(0.0).is_some(), "noselect");
        assert!(source("server", "jittery", 0o377, Some(30)).peer_offset(0.0).is_none());
        assert!(source("server", "outlier", 0, Some(30)).peer_offset(0.0).is_none());
        assert!(source("server", "outlier", 0o377, None).peer_offset(0.0).is_none());
        // poll 6 (64 s): a sample older than four polls is stale.
        assert!(source("server", "outlier", 0o377, Some(257)).peer_offset(0.0).is_none());
    }
}
