//! The set-up's items: what each one is, how each interface carries it (a configuration key, or a
//! field of a legacy CFG message), and the wanted value of each for given [`Settings`].

use super::identity::{Identity, Interface};
use super::{Grid, Profile, Settings, TimeMode};
use crate::ubx::valset::keys as k;

/// A UBX message timed reads, whose output rate on UART1 the set-up sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Msg {
    NavPvt,
    NavTimeUtc,
    NavSat,
    NavTimeLs,
    NavStatus,
    /// Antenna and jamming state, protocol ≥ 27.
    MonRf,
    /// The same on older parts.
    MonHw,
    TimTp,
    /// Survey-in progress: NAV-SVIN on F9, TIM-SVIN on M8 timing parts.
    NavSvin,
    TimSvin,
}

/// The NMEA 0183 sentences a factory u-blox sends (GGA, GLL, GSA, GSV, RMC, VTG) and ZDA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nmea {
    Gga,
    Gll,
    Gsa,
    Gsv,
    Rmc,
    Vtg,
    Zda,
}

impl Nmea {
    pub const ALL: [Nmea; 7] = [Nmea::Gga, Nmea::Gll, Nmea::Gsa, Nmea::Gsv, Nmea::Rmc, Nmea::Vtg, Nmea::Zda];
    pub fn name(self) -> &'static str {
        match self {
            Nmea::Gga => "GGA",
            Nmea::Gll => "GLL",
            Nmea::Gsa => "GSA",
            Nmea::Gsv => "GSV",
            Nmea::Rmc => "RMC",
            Nmea::Vtg => "VTG",
            Nmea::Zda => "ZDA",
        }
    }
    pub fn parse(s: &str) -> Option<Nmea> {
        Nmea::ALL.into_iter().find(|n| n.name().eq_ignore_ascii_case(s))
    }
    /// Class 0xF0 message id (M8 §31 "NMEA Protocol", standard messages).
    pub fn legacy_id(self) -> u8 {
        match self {
            Nmea::Gga => 0x00,
            Nmea::Gll => 0x01,
            Nmea::Gsa => 0x02,
            Nmea::Gsv => 0x03,
            Nmea::Rmc => 0x04,
            Nmea::Vtg => 0x05,
            Nmea::Zda => 0x08,
        }
    }
}

impl Msg {
    pub fn class_id(self) -> (u8, u8) {
        match self {
            Msg::NavPvt => (0x01, 0x07),
            Msg::NavTimeUtc => (0x01, 0x21),
            Msg::NavSat => (0x01, 0x35),
            Msg::NavTimeLs => (0x01, 0x26),
            Msg::NavStatus => (0x01, 0x03),
            Msg::MonRf => (0x0A, 0x38),
            Msg::MonHw => (0x0A, 0x09),
            Msg::TimTp => (0x0D, 0x01),
            Msg::NavSvin => (0x01, 0x3B),
            Msg::TimSvin => (0x0D, 0x04),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Msg::NavPvt => "NAV-PVT",
            Msg::NavTimeUtc => "NAV-TIMEUTC",
            Msg::NavSat => "NAV-SAT",
            Msg::NavTimeLs => "NAV-TIMELS",
            Msg::NavStatus => "NAV-STATUS",
            Msg::MonRf => "MON-RF",
            Msg::MonHw => "MON-HW",
            Msg::TimTp => "TIM-TP",
            Msg::NavSvin => "NAV-SVIN",
            Msg::TimSvin => "TIM-SVIN",
        }
    }
    fn key(self) -> u32 {
        match self {
            Msg::NavPvt => k::MSGOUT_UBX_NAV_PVT_UART1,
            Msg::NavTimeUtc => k::MSGOUT_UBX_NAV_TIMEUTC_UART1,
            Msg::NavSat => k::MSGOUT_UBX_NAV_SAT_UART1,
            Msg::NavTimeLs => k::MSGOUT_UBX_NAV_TIMELS_UART1,
            Msg::NavStatus => k::MSGOUT_UBX_NAV_STATUS_UART1,
            Msg::MonRf => k::MSGOUT_UBX_MON_RF_UART1,
            Msg::MonHw => k::MSGOUT_UBX_MON_HW_UART1,
            Msg::TimTp => k::MSGOUT_UBX_TIM_TP_UART1,
            Msg::NavSvin => k::MSGOUT_UBX_NAV_SVIN_UART1,
            Msg::TimSvin => k::MSGOUT_UBX_TIM_SVIN_UART1,
        }
    }
}

/// One configuration item. Values are integers in the unit the name gives; booleans are 0/1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemId {
    UartInUbx,
    UartOutUbx,
    UartOutNmea,
    /// Output rate on UART1 per navigation epoch (0 = off).
    Rate(Msg),
    NmeaRate(Nmea),
    TpEnabled,
    /// 0 = period, 1 = frequency (CFG-TP5 `isFreq`).
    TpPulseDef,
    /// 0 = ratio, 1 = length (CFG-TP5 `isLength`).
    TpLengthDef,
    TpPeriodUs,
    TpPeriodLockUs,
    /// Pulse length before the receiver is locked to GNSS time: 0 = no pulse without a fix.
    TpLenUs,
    TpLenLockUs,
    TpSyncGnss,
    /// Use the `*Lock` period/length once locked (CFG-TP5 `lockedOtherSet`).
    TpUseLocked,
    TpAlignToTow,
    TpPolarityRising,
    /// 0 = UTC, 1 = GPS.
    TpTimeGrid,
    TpCableDelayNs,
    TpUserDelayNs,
    /// 0 portable, 2 stationary.
    DynModel,
    /// 0 disabled, 1 survey-in, 2 fixed.
    TimeMode,
    /// 0 ECEF, 1 LLH.
    TimePosType,
    EcefXCm,
    EcefYCm,
    EcefZCm,
    EcefXHp01mm,
    EcefYHp01mm,
    EcefZHp01mm,
    Lat1e7Deg,
    Lon1e7Deg,
    HeightCm,
    FixedPosAcc01mm,
    SvinMinDurS,
    SvinAccLimit01mm,
    /// A constellation enabled (1) or not (0): CFG-SIGNAL-*_ENA, or CFG-GNSS's enable flag.
    Gnss(crate::gnss::Constellation),
    /// UART1 speed: applied last, then the receiver is found again at the new speed.
    UartBaud,
}

impl ItemId {
    /// Stable name for text and JSON output.
    pub fn name(self) -> String {
        let s = match self {
            ItemId::UartInUbx => "uart1-in-ubx",
            ItemId::UartOutUbx => "uart1-out-ubx",
            ItemId::UartOutNmea => "uart1-out-nmea",
            ItemId::Rate(m) => return format!("rate {}", m.name()),
            ItemId::NmeaRate(n) => return format!("rate NMEA-{}", n.name()),
            ItemId::Gnss(c) => return format!("gnss-{}", c.name()),
            ItemId::TpEnabled => "timepulse-enabled",
            ItemId::TpPulseDef => "timepulse-frequency-not-period",
            ItemId::TpLengthDef => "timepulse-length-not-ratio",
            ItemId::TpPeriodUs => "timepulse-period-us",
            ItemId::TpPeriodLockUs => "timepulse-period-locked-us",
            ItemId::TpLenUs => "timepulse-length-unlocked-us",
            ItemId::TpLenLockUs => "timepulse-length-locked-us",
            ItemId::TpSyncGnss => "timepulse-sync-gnss",
            ItemId::TpUseLocked => "timepulse-only-with-fix",
            ItemId::TpAlignToTow => "timepulse-align-to-second",
            ItemId::TpPolarityRising => "timepulse-rising-edge",
            ItemId::TpTimeGrid => "timepulse-grid",
            ItemId::TpCableDelayNs => "antenna-cable-delay-ns",
            ItemId::TpUserDelayNs => "user-delay-ns",
            ItemId::DynModel => "dynamic-model",
            ItemId::TimeMode => "time-mode",
            ItemId::TimePosType => "time-mode-position-type",
            ItemId::EcefXCm => "fixed-ecef-x-cm",
            ItemId::EcefYCm => "fixed-ecef-y-cm",
            ItemId::EcefZCm => "fixed-ecef-z-cm",
            ItemId::EcefXHp01mm => "fixed-ecef-x-hp-0.1mm",
            ItemId::EcefYHp01mm => "fixed-ecef-y-hp-0.1mm",
            ItemId::EcefZHp01mm => "fixed-ecef-z-hp-0.1mm",
            ItemId::Lat1e7Deg => "fixed-lat-1e-7deg",
            ItemId::Lon1e7Deg => "fixed-lon-1e-7deg",
            ItemId::HeightCm => "fixed-height-cm",
            ItemId::FixedPosAcc01mm => "fixed-position-accuracy-0.1mm",
            ItemId::SvinMinDurS => "survey-in-min-duration-s",
            ItemId::SvinAccLimit01mm => "survey-in-accuracy-limit-0.1mm",
            ItemId::UartBaud => "uart1-baud",
        };
        s.to_string()
    }

    /// The configuration key (protocol ≥ 27) that holds this item.
    pub fn key(self) -> u32 {
        match self {
            ItemId::UartInUbx => k::UART1INPROT_UBX,
            ItemId::UartOutUbx => k::UART1OUTPROT_UBX,
            ItemId::UartOutNmea => k::UART1OUTPROT_NMEA,
            ItemId::Rate(m) => m.key(),
            ItemId::NmeaRate(n) => match n {
                Nmea::Gga => k::MSGOUT_NMEA_ID_GGA_UART1,
                Nmea::Gll => k::MSGOUT_NMEA_ID_GLL_UART1,
                Nmea::Gsa => k::MSGOUT_NMEA_ID_GSA_UART1,
                Nmea::Gsv => k::MSGOUT_NMEA_ID_GSV_UART1,
                Nmea::Rmc => k::MSGOUT_NMEA_ID_RMC_UART1,
                Nmea::Vtg => k::MSGOUT_NMEA_ID_VTG_UART1,
                Nmea::Zda => k::MSGOUT_NMEA_ID_ZDA_UART1,
            },
            ItemId::TpEnabled => k::TP_TP1_ENA,
            ItemId::TpPulseDef => k::TP_PULSE_DEF,
            ItemId::TpLengthDef => k::TP_PULSE_LENGTH_DEF,
            ItemId::TpPeriodUs => k::TP_PERIOD_TP1,
            ItemId::TpPeriodLockUs => k::TP_PERIOD_LOCK_TP1,
            ItemId::TpLenUs => k::TP_LEN_TP1,
            ItemId::TpLenLockUs => k::TP_LEN_LOCK_TP1,
            ItemId::TpSyncGnss => k::TP_SYNC_GNSS_TP1,
            ItemId::TpUseLocked => k::TP_USE_LOCKED_TP1,
            ItemId::TpAlignToTow => k::TP_ALIGN_TO_TOW_TP1,
            ItemId::TpPolarityRising => k::TP_POL_TP1,
            ItemId::TpTimeGrid => k::TP_TIMEGRID_TP1,
            ItemId::TpCableDelayNs => k::TP_ANT_CABLEDELAY,
            ItemId::TpUserDelayNs => k::TP_USER_DELAY_TP1,
            ItemId::DynModel => k::NAVSPG_DYNMODEL,
            ItemId::TimeMode => k::TMODE_MODE,
            ItemId::TimePosType => k::TMODE_POS_TYPE,
            ItemId::EcefXCm => k::TMODE_ECEF_X,
            ItemId::EcefYCm => k::TMODE_ECEF_Y,
            ItemId::EcefZCm => k::TMODE_ECEF_Z,
            ItemId::EcefXHp01mm => k::TMODE_ECEF_X_HP,
            ItemId::EcefYHp01mm => k::TMODE_ECEF_Y_HP,
            ItemId::EcefZHp01mm => k::TMODE_ECEF_Z_HP,
            ItemId::Lat1e7Deg => k::TMODE_LAT,
            ItemId::Lon1e7Deg => k::TMODE_LON,
            ItemId::HeightCm => k::TMODE_HEIGHT,
            ItemId::FixedPosAcc01mm => k::TMODE_FIXED_POS_ACC,
            ItemId::SvinMinDurS => k::TMODE_SVIN_MIN_DUR,
            ItemId::SvinAccLimit01mm => k::TMODE_SVIN_ACC_LIMIT,
            ItemId::Gnss(c) => super::constellations::key(c),
            ItemId::UartBaud => k::UART1_BAUDRATE,
        }
    }

    /// Signed keys (I1/I2/I4 in §6.9) are sign-extended when read back.
    pub fn signed(self) -> bool {
        matches!(
            self,
            ItemId::TpCableDelayNs
                | ItemId::TpUserDelayNs
                | ItemId::EcefXCm
                | ItemId::EcefYCm
                | ItemId::EcefZCm
                | ItemId::EcefXHp01mm
                | ItemId::EcefYHp01mm
                | ItemId::EcefZHp01mm
                | ItemId::Lat1e7Deg
                | ItemId::Lon1e7Deg
                | ItemId::HeightCm
        )
    }
}

/// One item of a plan: what the receiver runs with and what the plan wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    /// `None`: not read (the receiver did not answer, or does not have it).
    pub current: Option<i64>,
    pub wanted: i64,
}

impl Item {
    /// Whether the receiver already runs with what the plan wants. A wanted survey-in is also
    /// met by a fixed position: that is where a finished survey ends (the surveyed position,
    /// kept as the fixed one, so no new survey after a power cycle).
    pub fn equal(&self) -> bool {
        match (self.id, self.current) {
            (ItemId::TimeMode, Some(2)) if self.wanted == 1 => true,
            (_, cur) => cur == Some(self.wanted),
        }
    }
}

/// The wanted value of every item for these settings on this receiver, in the order they are
/// applied (the position before the mode that uses it; the baud rate last).
pub fn wanted(settings: &Settings, id: &Identity) -> Vec<(ItemId, i64)> {
    let mut w = vec![(ItemId::UartInUbx, 1), (ItemId::UartOutUbx, 1)];
    let keep_nmea = !settings.nmea_keep.is_empty();
    w.push((ItemId::UartOutNmea, i64::from(keep_nmea)));
    let keys = id.interface == Interface::Keys;
    let mut msgs = vec![Msg::NavPvt, Msg::NavTimeUtc, Msg::NavSat, Msg::NavTimeLs, Msg::NavStatus];
    msgs.push(if keys { Msg::MonRf } else { Msg::MonHw });
    msgs.push(Msg::TimTp);
    let time_mode = settings.effective_time_mode(id);
    if time_mode.is_some() && id.timing {
        msgs.push(if keys { Msg::NavSvin } else { Msg::TimSvin });
    }
    w.extend(msgs.into_iter().map(|m| (ItemId::Rate(m), 1)));
    if keep_nmea {
        for n in Nmea::ALL {
            w.push((ItemId::NmeaRate(n), i64::from(settings.nmea_keep.contains(&n))));
        }
    }
    w.extend([
        (ItemId::TpEnabled, 1),
        (ItemId::TpPulseDef, 0),
        (ItemId::TpLengthDef, 1),
        (ItemId::TpPeriodUs, 1_000_000),
        (ItemId::TpPeriodLockUs, 1_000_000),
        (ItemId::TpLenUs, 0),
        (ItemId::TpLenLockUs, i64::from(settings.pulse_len_us)),
        (ItemId::TpSyncGnss, 1),
        (ItemId::TpUseLocked, 1),
        (ItemId::TpAlignToTow, 1),
        (ItemId::TpPolarityRising, 1),
        (
            ItemId::TpTimeGrid,
            match settings.grid {
                Grid::Utc => 0,
                Grid::Gps => 1,
            },
        ),
        (ItemId::TpCableDelayNs, i64::from(settings.cable_delay_ns)),
        (ItemId::TpUserDelayNs, i64::from(settings.user_delay_ns)),
        (
            ItemId::DynModel,
            match settings.profile {
                Profile::Timing => 2,
                Profile::Navigation => 0,
            },
        ),
    ]);
    if let Some(tm) = time_mode {
        let acc = i64::from(settings.fixed_pos_acc_mm) * 10;
        match tm {
            TimeMode::Disabled => w.push((ItemId::TimeMode, 0)),
            TimeMode::SurveyIn { min_dur_s, acc_limit_mm } => w.extend([
                (ItemId::SvinMinDurS, i64::from(min_dur_s)),
                (ItemId::SvinAccLimit01mm, i64::from(acc_limit_mm) * 10),
                (ItemId::TimeMode, 1),
            ]),
            TimeMode::FixedEcef { ecef_01mm } => {
                w.push((ItemId::TimePosType, 0));
                let ids = [
                    (ItemId::EcefXCm, ItemId::EcefXHp01mm),
                    (ItemId::EcefYCm, ItemId::EcefYHp01mm),
                    (ItemId::EcefZCm, ItemId::EcefZHp01mm),
                ];
                for ((cm_id, hp_id), v) in ids.into_iter().zip(ecef_01mm) {
                    // cm part rounds toward zero and the HP part keeps the rest (-99..99), as
                    // §6.9 CFG-TMODE-ECEF_*_HP describes the split.
                    w.push((cm_id, v / 100));
                    if keys {
                        w.push((hp_id, v % 100));
                    }
                }
                w.extend([(ItemId::FixedPosAcc01mm, acc), (ItemId::TimeMode, 2)]);
            }
            TimeMode::FixedLlh { lat_1e7deg, lon_1e7deg, height_cm } => w.extend([
                (ItemId::TimePosType, 1),
                (ItemId::Lat1e7Deg, i64::from(lat_1e7deg)),
                (ItemId::Lon1e7Deg, i64::from(lon_1e7deg)),
                (ItemId::HeightCm, i64::from(height_cm)),
                (ItemId::FixedPosAcc01mm, acc),
                (ItemId::TimeMode, 2),
            ]),
        }
    }
    // Only when asked; after everything else but the speed, since switching them restarts the
    // receiver's GNSS tracking (ZED-F9T integration manual §3.1.4.3).
    if let Some(set) = &settings.constellations {
        w.extend(super::constellations::wanted(set));
    }
    w.push((ItemId::UartBaud, i64::from(settings.baud)));
    w
}
