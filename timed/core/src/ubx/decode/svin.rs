//! Survey-in progress of a timing receiver: UBX-NAV-SVIN and UBX-TIM-SVIN.
//!
//! Which receiver sends which (interface descriptions of each): the M8T (u-blox 8 protocol,
//! TIM firmware) reports its survey only in TIM-SVIN; NAV-SVIN exists in the u-blox 8 protocol
//! for the high-precision (HPG, M8P) firmware alone. The ZED-F9T (F9 TIM interface
//! description) sends both; NAV-SVIN carries the finer position (0.1 mm parts) and the
//! accuracy directly, TIM-SVIN only a variance. Both come out as the same [`Svin`].

use super::Payload;
use crate::ubx::{Svin, Ubx};

/// NAV-SVIN (0x01 0x3B), F9 "UBX-NAV-SVIN" / M8 HPG: 40 bytes. version @0, iTOW @4, dur @8,
/// meanX/Y/Z I4 cm @12/16/20, meanX/Y/ZHP I1 0.1 mm @24/25/26 (added to the cm value),
/// meanAcc U4 0.1 mm @28, obs @32, valid @36, active @37.
pub(super) fn nav_svin(p: Payload) -> Option<Ubx> {
    p.at_least(40)?;
    let axis = |cm: usize, hp: usize| -> Option<f64> {
        Some(f64::from(p.i4(cm)?) * 1e-2 + f64::from(p.i1(hp)?) * 1e-4)
    };
    Some(Ubx::Svin(Svin {
        itow_ms: Some(p.u4(4)?),
        duration_s: p.u4(8)?,
        mean_acc_m: f64::from(p.u4(28)?) * 1e-4,
        mean_ecef_m: [axis(12, 24)?, axis(16, 25)?, axis(20, 26)?],
        observations: p.u4(32)?,
        valid: p.u1(36)? != 0,
        active: p.u1(37)? != 0,
    }))
}

/// TIM-SVIN (0x0D 0x04), M8 / F9 "UBX-TIM-SVIN": 28 bytes. dur @0, meanX/Y/Z I4 cm @4/8/12,
/// meanV U4 mm² @16 (the position's variance: its square root is the accuracy NAV-SVIN gives
/// as meanAcc), obs @20, valid @24, active @25. No iTOW.
pub(super) fn tim_svin(p: Payload) -> Option<Ubx> {
    p.at_least(28)?;
    let cm = |off: usize| -> Option<f64> { Some(f64::from(p.i4(off)?) * 1e-2) };
    Some(Ubx::Svin(Svin {
        itow_ms: None,
        duration_s: p.u4(0)?,
        mean_acc_m: f64::from(p.u4(16)?).sqrt() * 1e-3,
        mean_ecef_m: [cm(4)?, cm(8)?, cm(12)?],
        observations: p.u4(20)?,
        valid: p.u1(24)? != 0,
        active: p.u1(25)? != 0,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
