//! The receiver's time against chrony's other sources (NTP servers and peers), the second
//! witness to a time shift besides the pulse history: a spoofer or a receiver glitch that moves
//! the receiver's time and pulse together — slowly enough for the pulse train's drift allowance
//! — still parts the receiver from independent clocks on the network.
//!
//! Pure: the daemon reads chrony's sources through its command socket and hands the NTP ones in
//! as offsets against the system clock, the engine holds them against the offset of its latest
//! judged pulse. Owns: which sources count and the majority rule. Must not depend on how chrony
//! is asked.

/// One of chrony's other sources, as chrony measured it at its last sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeerOffset {
    /// The source's time − the system clock, seconds (chronyc's "last sample" with its sign
    /// turned: chronyc prints system − source).
    pub true_minus_system_s: f64,
    /// chrony's error margin for that sample (chronyc's "+/-"), seconds.
    pub error_s: f64,
}

/// What chrony's other sources say about the receiver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// No other source (or no recent pulse to compare): nothing is judged.
    NoPeers,
    /// At least half of them agree with the receiver.
    Agree { peers: usize },
    /// More than half of them put the receiver further off than the limit plus their own error.
    Disagree { disagreeing: usize, peers: usize, median_s: f64 },
}

impl Verdict {
    pub fn disagrees(&self) -> bool {
        matches!(self, Verdict::Disagree { .. })
    }
}

/// Holds the receiver's offset (its time − the system clock, seconds) against the peers'.
/// A peer disagrees when |receiver − peer| exceeds `limit_s` plus the peer's own error; the
/// receiver is judged shifted when more than half of the peers disagree, so one bad server
/// among several cannot close the gate (with a single peer, that peer decides: an operator who
/// has one NTP source and does not want it to can set `time_shift = "warn"`).
pub fn judge(receiver_s: f64, peers: &[PeerOffset], limit_s: f64) -> Verdict {
    let usable: Vec<&PeerOffset> =
        peers.iter().filter(|p| p.true_minus_system_s.is_finite() && p.error_s.is_finite()).collect();
    if usable.is_empty() || !receiver_s.is_finite() {
        return Verdict::NoPeers;
    }
    let mut diffs: Vec<f64> = usable.iter().map(|p| receiver_s - p.true_minus_system_s).collect();
    let disagreeing = usable.iter().zip(&diffs).filter(|(p, d)| d.abs() > limit_s + p.error_s.abs()).count();
    let peers = usable.len();
    if disagreeing * 2 <= peers {
        return Verdict::Agree { peers };
    }
    diffs.sort_by(f64::total_cmp);
    let mid = diffs.len() / 2;
    let median_s = if diffs.len() % 2 == 0 { (diffs[mid - 1] + diffs[mid]) / 2.0 } else { diffs[mid] };
    Verdict::Disagree { disagreeing, peers, median_s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(true_minus_system_s: f64, error_s: f64) -> PeerOffset {
        PeerOffset { true_minus_system_s, error_s }
    }

    #[test]
    fn no_peers_judge_nothing() {
        assert_eq!(judge(0.0, &[], 0.01), Verdict::NoPeers);
        assert_eq!(judge(f64::NAN, &[p(0.0, 0.001)], 0.01), Verdict::NoPeers);
        assert_eq!(judge(0.0, &[p(f64::NAN, 0.001)], 0.01), Verdict::NoPeers);
    }

    #[test]
    fn peers_within_the_limit_plus_their_error_agree() {
        // Receiver 250 µs ahead of the system clock; servers within a few ms.
        let peers = [p(0.002, 0.003), p(-0.004, 0.002), p(0.011, 0.005)];
        assert_eq!(judge(250e-6, &peers, 0.010), Verdict::Agree { peers: 3 });
    }

    #[test]
    fn a_receiver_shifted_against_most_peers_disagrees() {
        // The receiver (and the clock that followed it) 50 ms off three servers.
        let peers = [p(-0.050, 0.002), p(-0.048, 0.003), p(-0.052, 0.004)];
        match judge(0.0, &peers, 0.010) {
            Verdict::Disagree { disagreeing: 3, peers: 3, median_s } => {
                assert!((median_s - 0.050).abs() < 1e-9, "{median_s}")
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn one_bad_server_of_three_is_outvoted_and_a_tie_is_no_majority() {
        let peers = [p(0.0, 0.002), p(0.001, 0.002), p(0.5, 0.002)];
        assert_eq!(judge(0.0, &peers, 0.010), Verdict::Agree { peers: 3 });
        let two = [p(0.0, 0.002), p(0.5, 0.002)];
        assert_eq!(judge(0.0, &two, 0.010), Verdict::Agree { peers: 2 });
    }

    #[test]
    fn a_peer_with_a_wide_error_does_not_disagree_within_it() {
        // 30 ms apart, but the server says ± 25 ms: 30 < 10 + 25.
        assert_eq!(judge(0.0, &[p(0.030, 0.025)], 0.010), Verdict::Agree { peers: 1 });
        assert!(judge(0.0, &[p(0.030, 0.015)], 0.010).disagrees());
    }
}
