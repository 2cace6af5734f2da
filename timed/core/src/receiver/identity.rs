//! What a receiver is, from its MON-VER answer (M8 §32.16.14, F9 §3.14.16): the extension
//! strings carry `FWVER=` (firmware: `SPG` standard precision, `TIM` timing, `FTS` frequency and
//! time sync, `HPG` high precision), `PROTVER=` (protocol version) and, on newer firmware,
//! `MOD=` (the module, e.g. `NEO-M8T`, `ZED-F9T`). Older ROMs (u-blox 8 ROM 3.01 in the gpsd
//! captures) send no `MOD=`.

use crate::ubx::MonVer;

/// Which configuration messages the receiver takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interface {
    /// CFG-PRT, CFG-MSG, CFG-TP5, CFG-NAV5, CFG-TMODE2, CFG-CFG (u-blox 6/7/8, protocol < 27).
    Legacy,
    /// CFG-VALSET / CFG-VALGET configuration keys (protocol 27 and later: F9, M9, M10, X20).
    Keys,
}

impl Interface {
    pub fn name(self) -> &'static str {
        match self {
            Interface::Legacy => "legacy-cfg",
            Interface::Keys => "cfg-valset",
        }
    }
}

/// A receiver's identity as its MON-VER describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub sw_version: String,
    pub hw_version: String,
    /// `FWVER=` without the prefix, e.g. `TIM 2.20`.
    pub firmware: Option<String>,
    /// `PROTVER=` as (major, minor hundredths), e.g. 29.00 -> (29, 0).
    pub protocol: Option<(u16, u16)>,
    /// `MOD=`, e.g. `ZED-F9T`.
    pub model: Option<String>,
    pub interface: Interface,
    /// A timing part (time mode, survey-in, TIM-SVIN/NAV-SVIN): `TIM`/`FTS` firmware, or a
    /// module whose generation ends in T (NEO-M8T-0, LEA-M8T, ZED-F9T).
    pub timing: bool,
}

/// Protocol versions from 27 on configure through keys (F9 interface description §6).
const FIRST_KEYS_PROTOCOL: u16 = 27;

impl Identity {
    pub fn from_mon_ver(v: &MonVer) -> Identity {
        let ext = |prefix: &str| {
            v.extensions.iter().find_map(|e| e.strip_prefix(prefix).map(|s| s.trim().to_string()))
        };
        let firmware = ext("FWVER=");
        let model = ext("MOD=");
        let protocol = ext("PROTVER=").and_then(|p| parse_protver(&p));
        // Without PROTVER (u-blox 6/7 and early 8 ROMs), the hardware version tells the
        // generation: 00190000 = F9, 000A0000 = M10; everything older is legacy.
        let keys = match protocol {
            Some((major, _)) => major >= FIRST_KEYS_PROTOCOL,
            None => matches!(v.hw_version.trim(), "00190000" | "000A0000"),
        };
        // The part name's generation field ends in T on timing parts: NEO-M8T-0, ZED-F9T-10B.
        let timing_part = |m: &str| {
            m.split('-').any(|p| p.len() >= 3 && p.ends_with('T') && p.chars().any(|c| c.is_ascii_digit()))
        };
        let timing = firmware.as_deref().is_some_and(|f| f.starts_with("TIM") || f.starts_with("FTS"))
            || model.as_deref().is_some_and(timing_part);
        Identity {
            sw_version: v.sw_version.clone(),
            hw_version: v.hw_version.clone(),
            firmware,
            protocol,
            model,
            interface: if keys { Interface::Keys } else { Interface::Legacy },
            timing,
        }
    }

    /// The protocol version as the receiver writes it (`29.00`).
    pub fn protocol_string(&self) -> Option<String> {
        self.protocol.map(|(a, b)| format!("{a}.{b:02}"))
    }
}

fn parse_protver(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('.').unwrap_or((s, "0"));
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}
