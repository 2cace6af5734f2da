//! UBX-SEC-SIG (0x27 0x09): the receiver's signal-security verdict, jamming and spoofing
//! (u-blox F9 HPG 1.32 / TIM 2.20 interface description, UBX-SEC-SIG; parts whose firmware has
//! no SEC class never send it). Two layouts, told apart by `version`:
//! - version 1 (12 bytes): `jamFlags` @4 (bit 0 jamDetEnabled, bits 1..2 jammingState),
//!   `spfFlags` @8 (bit 0 spfDetEnabled, bits 1..3 spoofingState);
//! - version 2 (4 + 4·n bytes): `sigSecFlags` @1 (bit 0 jamDetEnabled, bits 1..2 jammingState,
//!   bit 3 spfDetEnabled, bits 4..6 spoofingState), `jamNumCentFreqs` @3 and that many 4-byte
//!   per-frequency jamming blocks, which timed does not use.
//!
//! States: jamming 0 unknown, 1 none, 2 warning, 3 critical; spoofing 0 unknown, 1 none,
//! 2 indicated, 3 affirmed. Checked against pyubx2's independent definition (SEC-SIG-V1/V2).
//! Owns this one message's layout; the epoch decides what it means for the gate.

/// UBX-SEC-SIG, either version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecSig {
    pub version: u8,
    pub jam_det_enabled: bool,
    pub jamming_state: u8,
    pub spf_det_enabled: bool,
    pub spoofing_state: u8,
}

impl SecSig {
    /// The spoofing state on NAV-STATUS's scale (0 unknown, 1 none, ≥ 2 spoofing), or unknown
    /// when the receiver's spoofing detection is off.
    pub fn spoofing(&self) -> u8 {
        if self.spf_det_enabled {
            self.spoofing_state
        } else {
            0
        }
    }
}

/// Decodes a SEC-SIG payload; `None` for a payload shorter than its version's layout or an
/// unknown version.
pub(super) fn sec_sig(p: &[u8]) -> Option<SecSig> {
    let version = *p.first()?;
    match version {
        1 => {
            let (jam, spf) = (*p.get(4)?, *p.get(8)?);
            (p.len() >= 12).then_some(SecSig {
                version,
                jam_det_enabled: jam & 1 != 0,
                jamming_state: (jam >> 1) & 0x03,
                spf_det_enabled: spf & 1 != 0,
                spoofing_state: (spf >> 1) & 0x07,
            })
        }
        2 => {
            let (flags, n) = (*p.get(1)?, usize::from(*p.get(3)?));
            (p.len() == 4 + 4 * n).then_some(SecSig {
                version,
                jam_det_enabled: flags & 1 != 0,
                jamming_state: (flags >> 1) & 0x03,
                spf_det_enabled: flags & 0x08 != 0,
                spoofing_state: (flags >> 4) & 0x07,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ubx::{decode, Ubx, UbxError};

    #[test]
    fn version_2_flags_and_its_frequency_blocks() {
        // Spoofing affirmed, detection on; jamming warning, detection on; two frequency blocks.
        let flags = 1 | (2 << 1) | 0x08 | (3 << 4);
        let mut p = vec![2, flags, 0, 2];
        p.extend([0u8; 8]);
        let s = decode(0x27, 0x09, &p).unwrap();
        let want = SecSig {
            version: 2,
            jam_det_enabled: true,
            jamming_state: 2,
            spf_det_enabled: true,
            spoofing_state: 3,
        };
        assert_eq!(s, Ubx::SecSig(want));
        assert_eq!(want.spoofing(), 3);
        // The count says two blocks, the payload holds one: not a guess, an error.
        assert_eq!(decode(0x27, 0x09, &p[..8]), Err(UbxError::BadLength { class: 0x27, id: 0x09, len: 8 }));
    }

    #[test]
    fn version_1_flags() {
        // jamFlags @4: detection on, no jamming; spfFlags @8: detection on, spoofing indicated
        // (pyubx2 1.4's UBXReader.parse reads this payload the same way).
        let p = [1, 0, 0, 0, 1 | (1 << 1), 0, 0, 0, 1 | (2 << 1), 0, 0, 0];
        let Ok(Ubx::SecSig(s)) = decode(0x27, 0x09, &p) else { panic!() };
        assert_eq!((s.jamming_state, s.spoofing_state, s.spoofing()), (1, 2, 2));
        assert!(decode(0x27, 0x09, &p[..11]).is_err());
    }

    #[test]
    fn spoofing_detection_off_is_unknown_and_unknown_versions_are_errors() {
        let p = [2, 3 << 4, 0, 0];
        let Ok(Ubx::SecSig(s)) = decode(0x27, 0x09, &p) else { panic!() };
        assert_eq!((s.spf_det_enabled, s.spoofing()), (false, 0));
        assert!(decode(0x27, 0x09, &[3, 0, 0, 0]).is_err());
        assert!(decode(0x27, 0x09, &[]).is_err());
    }

    /// The same bytes pyubx2 1.4 makes of them (generated once with its UBXMessage for
    /// SEC-SIG version 2: sigSecFlags jamDetEnabled 1, jammingState 1, spfDetEnabled 1,
    /// spoofingState 2, no frequency blocks), checksum included.
    #[test]
    fn a_frame_built_by_pyubx2_decodes() {
        let frame = PYUBX2_SEC_SIG_V2;
        assert_eq!(&frame[..4], &[0xB5, 0x62, 0x27, 0x09]);
        let len = usize::from(u16::from_le_bytes([frame[4], frame[5]]));
        let Ok(Ubx::SecSig(s)) = decode(0x27, 0x09, &frame[6..6 + len]) else { panic!() };
        assert_eq!((s.jamming_state, s.spf_det_enabled, s.spoofing()), (1, true, 2));
    }

    const PYUBX2_SEC_SIG_V2: &[u8] =
        &[0xB5, 0x62, 0x27, 0x09, 0x04, 0x00, 0x02, 0x2B, 0x00, 0x00, 0x61, 0x18];
}
